"""The program under mocks with no account at all: outputs computed from the inputs the
way the provider computes them (ids, ARNs), for tests that only look at what the program
registers, for the benchmark, and for ``components.registered`` (what ``adopt`` imports).
Nothing is applied anywhere; needs only the Pulumi SDK."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pulumi

from .preflight import LiveAccount

DEFAULT_ACCOUNT = "123456789012"  # moto's default account id, which the emulated account uses too
DEFAULT_REGION = "ap-northeast-2"
_IAM_KINDS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/group:Group": "group",
    "aws:iam/user:User": "user",
    "aws:iam/role:Role": "role",
}


class OfflineProvider(pulumi.runtime.Mocks):
    """Physical id = the resource's name input (or a fixed suffix), outputs = inputs plus the
    values the provider computes and the program reads (``arn``, ``keyId``, ``bucket``, a
    stand-in PGP ciphertext ``wcFMA-<user>`` for login profiles)."""

    def __init__(self, account_id: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION) -> None:
        self.account_id = account_id
        self.region = region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        typ, account, region = args.typ, self.account_id, self.region
        physical = inputs.get("name") or inputs.get("bucket") or f"{args.name}-1a2b3c"
        outputs = {**inputs}
        if typ in _IAM_KINDS:
            outputs["arn"] = f"arn:aws:iam::{account}:{_IAM_KINDS[typ]}{inputs.get('path') or '/'}{physical}"
            outputs["name"] = physical
        elif typ == "aws:iam/userLoginProfile:UserLoginProfile":
            physical = inputs["user"]
            outputs.update(encryptedPassword=f"wcFMA-{physical}", keyFingerprint="fp", password=None)
        elif typ == "aws:s3/bucket:Bucket":
            outputs.update(bucket=physical, arn=f"arn:aws:s3:::{physical}")
        elif typ == "aws:kms/key:Key":
            physical = "0b1c2d3e-key"
            outputs.update(keyId=physical, arn=f"arn:aws:kms:{region}:{account}:key/{physical}")
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            outputs["arn"] = f"arn:aws:logs:{region}:{account}:log-group:{physical}"
        elif typ == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            physical = "AWSServiceRoleForConfig"
            outputs.update(
                name=physical, arn=f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/{physical}"
            )
        elif typ == "aws:cloudtrail/trail:Trail":
            outputs["arn"] = f"arn:aws:cloudtrail:{region}:{account}:trail/{physical}"
        elif typ == "aws:accessanalyzer/analyzer:Analyzer":
            physical = inputs["analyzerName"]
            outputs["arn"] = f"arn:aws:access-analyzer:{region}:{account}:analyzer/{physical}"
        elif typ == "aws:cfg/rule:Rule":
            outputs["arn"] = f"arn:aws:config:{region}:{account}:config-rule/{physical}"
        return physical, outputs

    def live_account(self, user_names: Iterable[str], *, console_access: bool) -> LiveAccount:
        """What the program's pre-flight (``components/preflight.py``) finds here: nothing, as
        in an empty account; the run never reaches AWS."""
        return LiveAccount()

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        """A plain dict (the SDK's MockMonitor reads a tuple's second item as check failures)."""
        account, region = self.account_id, self.region
        answers = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": account,
                "arn": f"arn:aws:iam::{account}:user/ci",
                "userId": "AIDAEXAMPLE",
                "id": account,
            },
            "aws:index/getPartition:getPartition": {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
                "id": "aws",
            },
            "aws:index/getRegion:getRegion": {
                "region": region,
                "name": region,
                "id": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
                "description": region,
            },
        }
        return answers.get(args.token, {})
