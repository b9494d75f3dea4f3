"""A desired state written straight into a moto account, without running the program.

For the audit's tests, benchmark and example report, which need many accounts in little
time: the same groups, attachments, users and password policy the program deploys
(``tests/emulator/test_seed.py`` compares the two), plus a multi-region trail and a Config
recorder, and MFA devices for the users marked (which no ``pulumi up`` can enrol).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.loaders
import botocore.session

from iam_matrix.desired import DesiredState

ACCOUNT = "123456789012"  # moto's default account
OTHER_ACCOUNT = "111111111111"
BUCKET = "audit-logs"
_LOADER = botocore.loaders.create_loader()


def new_session() -> boto3.Session:
    """A boto3 session from the environment that shares parsed service models with the
    others (loading them is most of the cost of a new session's first clients)."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core)


@dataclass
class Account:
    """Handles on the moto account a test changes."""

    session: boto3.Session
    desired: DesiredState

    def client(self, service: str) -> Any:
        return self.session.client(service)

    @property
    def iam(self) -> Any:
        return self.client("iam")

    def backend_user(self, name: str) -> Any:
        from moto.backends import get_backend

        return get_backend("iam")[ACCOUNT]["aws"].users[name]

    def age_access_key(self, user: str, days: int, used_days_ago: int | None = 1) -> None:
        """Backdate a user's first access key (moto's backends live in this process)."""
        from moto.iam.models import AccessKeyLastUsed

        key = self.backend_user(user).access_keys[0]
        key.create_date = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
        if used_days_ago is not None:
            key.last_used = AccessKeyLastUsed(
                datetime.now(UTC).replace(tzinfo=None) - timedelta(days=used_days_ago), "iam", "us-east-1"
            )


def build_account(session: boto3.Session, desired: DesiredState, extra_users: int = 0, via: str = "backend") -> None:
    """Deploy the desired state as the Pulumi program would, plus the audit baseline
    (multi-region trail with log file validation, Config recorder), with MFA for users marked.

    ``via="api"`` makes every IAM change through the IAM API (about 150 requests, 10 ms each on
    moto); ``via="backend"`` makes the same changes on moto's in-process IAM backend, which keeps
    a test's setup under 0.2 s. Both must audit identically (a test checks)."""
    state = desired.with_account(ACCOUNT) if desired.account_id is None else desired
    users = [(u.name, u.mfa_required, state.groups_of(u)) for u in state.users]
    users += [(f"extra{i:04d}@example.com", True, (state.groups[0].name,)) for i in range(extra_users)]
    iam = _ApiIam(session.client("iam")) if via == "api" else _BackendIam()
    for policy in state.policies:
        iam.create_policy(policy.name, policy.path, json.dumps(policy.document), policy.description)
    for group in state.groups:
        iam.create_group(group.name, group.path)
        for arn in group.policy_arns:
            iam.attach_group_policy(group.name, arn)
    for name, mfa, groups in users:
        iam.create_user(name, state.user_path)
        for group in groups:
            iam.add_user_to_group(group, name)
        if mfa:
            iam.enable_virtual_mfa(name)
    pp = state.password_policy
    session.client("iam").update_account_password_policy(**pp.to_api())
    s3 = session.client("s3")
    where = (
        {}
        if s3.meta.region_name == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": s3.meta.region_name}}
    )
    s3.create_bucket(Bucket=BUCKET, **where)
    trail = session.client("cloudtrail")
    trail.create_trail(
        Name="audit",
        S3BucketName=BUCKET,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        IncludeGlobalServiceEvents=True,
    )
    trail.start_logging(Name="audit")
    config = session.client("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": BUCKET})
    config.start_configuration_recorder(ConfigurationRecorderName="default")


class _ApiIam:
    def __init__(self, client: Any):
        self.c = client

    def create_policy(self, name: str, path: str, document: str, description: str) -> None:
        self.c.create_policy(PolicyName=name, Path=path, PolicyDocument=document, Description=description)

    def create_group(self, name: str, path: str) -> None:
        self.c.create_group(GroupName=name, Path=path)

    def attach_group_policy(self, group: str, arn: str) -> None:
        self.c.attach_group_policy(GroupName=group, PolicyArn=arn)

    def create_user(self, name: str, path: str) -> None:
        self.c.create_user(UserName=name, Path=path)

    def add_user_to_group(self, group: str, user: str) -> None:
        self.c.add_user_to_group(GroupName=group, UserName=user)

    def enable_virtual_mfa(self, user: str) -> None:
        serial = self.c.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]["SerialNumber"]
        self.c.enable_mfa_device(
            UserName=user, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )


class _BackendIam:
    def __init__(self) -> None:
        from moto.backends import get_backend

        self.b = get_backend("iam")[ACCOUNT]["aws"]

    def create_policy(self, name: str, path: str, document: str, description: str) -> None:
        self.b.create_policy(description=description, path=path, policy_document=document, policy_name=name, tags=[])

    def create_group(self, name: str, path: str) -> None:
        self.b.create_group(name, path)

    def attach_group_policy(self, group: str, arn: str) -> None:
        self.b.attach_group_policy(arn, group)

    def create_user(self, name: str, path: str) -> None:
        self.b.create_user("us-east-1", name, path)

    def add_user_to_group(self, group: str, user: str) -> None:
        self.b.add_user_to_group(group, user)

    def enable_virtual_mfa(self, user: str) -> None:
        device = self.b.create_virtual_mfa_device(user, "/")
        self.b.enable_mfa_device(user, device.serial_number, "123456", "654321")
