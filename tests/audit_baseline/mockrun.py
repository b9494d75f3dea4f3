"""The AuditBaseline's own mock runs: the harness's recording runtime
(``tests.harness.run_program``) with ``FakeAws``, which computes ids and ARNs as the
provider would and answers the three invokes the component makes. No AWS, no engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

from tests.harness import ProgramRun, Registration, run_program

ACCOUNT = "123456789012"
REGION = "ap-northeast-2"
OUTPUTS_EXPORT = "componentOutputs"


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


@dataclass
class Run:
    """What a component registered (with parents, dependencies and inputs) and its resolved outputs."""

    program: ProgramRun
    outputs: dict[str, Any]

    @property
    def registered(self) -> dict[str, Registration]:
        return self.program.registrations

    @property
    def with_outputs(self) -> set[str]:
        """URNs of the components that called ``register_outputs``."""
        return self.program.components_with_outputs

    @property
    def types(self) -> set[str]:
        return self.program.types

    def of_type(self, typ: str) -> list[Registration]:
        return self.program.of_type(typ)

    def one(self, typ: str) -> Registration:
        found = self.of_type(typ)
        assert len(found) == 1, f"{typ}: {len(found)} registered"
        return found[0]

    def urn_of(self, typ: str) -> str:
        return self.one(typ).urn


def run(build: Callable[[], Any], stack: str = "dev") -> Run:
    """Run ``build()`` (returns the component) under the mock runtime; resolve its outputs."""

    def program() -> None:
        component = build()
        pulumi.export(OUTPUTS_EXPORT, component.outputs())

    result = run_program(program, FakeAws(), stack=stack)
    return Run(result, result.exports.get(OUTPUTS_EXPORT) or {})
