"""A small mock runtime for the AuditBaseline tests: records every registration with its
parent and dependencies (which ``pulumi.runtime.Mocks`` alone never sees) and answers the
three invokes the component makes. No AWS, no Pulumi engine."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

ACCOUNT = "123456789012"
REGION = "ap-northeast-2"


@dataclass
class Registered:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: list[str]
    inputs: dict[str, Any]


class FakeAws(pulumi.runtime.Mocks):
    """Outputs as the provider would compute them (ids, ARNs) from the inputs."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        typ, name = args.typ, args.name
        physical = inputs.get("name") or inputs.get("bucket") or f"{name}-1a2b3c"
        outputs = {**inputs}
        if typ == "aws:s3/bucket:Bucket":
            outputs.update(bucket=physical, arn=f"arn:aws:s3:::{physical}")
        elif typ == "aws:kms/key:Key":
            physical = "0b1c2d3e-key"
            outputs.update(keyId=physical, arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{physical}")
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            outputs["arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical}"
        elif typ == "aws:iam/role:Role":
            outputs.update(name=physical, arn=f"arn:aws:iam::{ACCOUNT}:role/{physical}")
        elif typ == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            physical = "AWSServiceRoleForConfig"
            outputs.update(name=physical, arn=f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/{physical}")
        elif typ == "aws:cloudtrail/trail:Trail":
            outputs["arn"] = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{physical}"
        elif typ == "aws:accessanalyzer/analyzer:Analyzer":
            physical = inputs["analyzerName"]
            outputs["arn"] = f"arn:aws:access-analyzer:{REGION}:{ACCOUNT}:analyzer/{physical}"
        elif typ == "aws:cfg/rule:Rule":
            outputs["arn"] = f"arn:aws:config:{REGION}:{ACCOUNT}:config-rule/{physical}"
        return physical, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        answers = {
            "aws:index/getCallerIdentity:getCallerIdentity": {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "userId": "AIDAEXAMPLE", "id": ACCOUNT},
            "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": "aws"},
            "aws:index/getRegion:getRegion": {"region": REGION, "name": REGION, "id": REGION, "endpoint": f"ec2.{REGION}.amazonaws.com", "description": "Asia Pacific (Seoul)"},
        }
        return answers[args.token]


class _Monitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: dict[str, Registered] = {}
        self.with_outputs: set[str] = set()
        self.lock = threading.Lock()

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        with self.lock:
            if request.type != "pulumi:pulumi:Stack":
                pulumi_mocks._ensure_event_loop()
                urn = self.make_urn(request.parent, request.type, request.name)
                self.registered[urn] = Registered(
                    urn, request.type, request.name, bool(request.custom), request.parent, sorted(request.dependencies), dict(rpc.deserialize_properties(request.object))
                )
            return super().RegisterResource(request)

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        self.with_outputs.add(request.urn)
        return super().RegisterResourceOutputs(request)


@dataclass
class Run:
    registered: dict[str, Registered]
    with_outputs: set[str]
    result: Any
    outputs: dict[str, Any]
    warnings: list[str]

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.registered.values() if r.type == typ]

    def one(self, typ: str) -> Registered:
        found = self.of_type(typ)
        assert len(found) == 1, f"{typ}: {len(found)} registered"
        return found[0]

    @property
    def types(self) -> set[str]:
        return {r.type for r in self.registered.values()}

    def urn_of(self, typ: str) -> str:
        return self.one(typ).urn


def run(build, stack: str = "dev") -> Run:
    """Run ``build()`` (returns the component) under the mock runtime; resolve its outputs."""
    pulumi_settings.SETTINGS.root_resource = None
    mocks = FakeAws()
    monitor = _Monitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="iam-matrix", stack=stack, preview=False, monitor=monitor)
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    holder: dict[str, Any] = {}
    warnings: list[str] = []
    original = pulumi.log.warn

    def warn(message: str, *args: Any, **kwargs: Any) -> None:
        warnings.append(message)

    pulumi.log.warn = warn
    try:
        _sync_await(run_pulumi_func(lambda: holder.setdefault("result", build())))
        result = holder["result"]
        outputs = _sync_await(pulumi.Output.from_input(result.outputs()).future()) if hasattr(result, "outputs") else {}
        _sync_await(wait_for_rpcs())
    finally:
        pulumi.log.warn = original
    return Run(dict(monitor.registered), set(monitor.with_outputs), result, outputs, warnings)


def drain_failed_run() -> None:
    """Forget what a failed program run left behind.

    After a registration fails, its RPCs, the outputs waiting on it (a component's
    ``register_outputs``, say) and the recorded exception stay in pulumi's global settings;
    the next run's ``wait_for_rpcs`` awaits all of them and would raise the old error."""
    from pulumi.runtime.sync_await import _ensure_event_loop

    pulumi_settings.SETTINGS.rpc_manager.clear()
    with pulumi_settings.SETTINGS.lock:
        pulumi_settings.SETTINGS.outputs.clear()
    loop = _ensure_event_loop()
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
