"""What the program registers for one stack, without deploying anything.

``adopt`` writes its import file from this list, so the types, logical names and parents in
it are the ones the program really uses rather than a second, hand-kept copy. The program
(``components.program.main``) runs under Pulumi's mock runtime with the stack's config;
each ``RegisterResource`` call is recorded as the engine would receive it. The mocks return
the inputs as outputs, plus the ARNs IAM would compute, so dependent resources see real
group names and policy ARNs. Needs only the Pulumi SDK (no moto, no AWS).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from iam_matrix.project import PROJECT
from iam_matrix.settings import read_stack_config

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Registered:
    """One registered resource: what an import file entry needs, and what the first up compares."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str  # the parent's URN ("" for none)
    inputs: dict[str, Any]
    ignore_changes: tuple[str, ...] = ()


class _Outputs(pulumi.runtime.Mocks):
    """Outputs = inputs, plus the ARN of users, groups and policies (the program reads those)."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        kind = {"aws:iam/user:User": "user", "aws:iam/group:Group": "group", "aws:iam/policy:Policy": "policy"}.get(
            args.typ
        )
        if kind:
            inputs["arn"] = (
                f"arn:aws:iam::{self.account_id}:{kind}{inputs.get('path') or '/'}{inputs.get('name', args.name)}"
            )
        return str(inputs.get("name") or args.name), inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {"accountId": self.account_id, "partition": "aws", "region": "us-east-1", "name": "us-east-1"}


class _Recorder(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.found: dict[str, Registered] = {}
        self.lock = threading.Lock()

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        with self.lock:
            if request.type != STACK_TYPE:
                pulumi_mocks._ensure_event_loop()
                urn = self.make_urn(request.parent, request.type, request.name)
                inputs = dict(rpc.deserialize_properties(request.object))
                self.found[urn] = Registered(
                    urn,
                    request.type,
                    request.name,
                    bool(request.custom),
                    request.parent,
                    inputs,
                    tuple(request.ignoreChanges),
                )
            return super().RegisterResource(request)


def stack_config(project_dir: Path, stack: str) -> dict[str, str]:
    """``Pulumi.<stack>.yaml`` as the engine hands it to a program (strings; lists as JSON)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in read_stack_config(project_dir, stack).items()}


def registered_resources(project_dir: Path, stack: str, account_id: str) -> list[Registered]:
    """Every resource ``pulumi up`` of ``stack`` in ``project_dir`` would register, in order."""
    from .preflight import LiveAccount, reading_with
    from .program import main

    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]
    if hasattr(pulumi_settings, "ROOT"):
        pulumi_settings.ROOT.set(None)  # the SDK also keeps the root Stack in a ContextVar
    pulumi.runtime.set_all_config(stack_config(project_dir, stack))
    mocks = _Outputs(account_id)
    monitor = _Recorder(mocks)
    quiet = logging.getLogger("iam-matrix-registered")
    quiet.propagate = False  # the program's warnings are validate's, which adopt reports itself
    quiet.addHandler(logging.NullHandler())
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, logger=quiet, monitor=monitor)
    pulumi_settings.SETTINGS.rpc_manager.clear()
    try:
        # What the program registers, not what it finds: the pre-flight reads an empty account.
        with reading_with(lambda *_args, **_kwargs: LiveAccount()):
            _sync_await(run_pulumi_func(lambda: main(project_dir)))
            _sync_await(wait_for_rpcs())
    finally:
        pulumi_settings.SETTINGS.rpc_manager.clear()
        pulumi_settings.SETTINGS.outputs.clear()
    return list(monitor.found.values())
