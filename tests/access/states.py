"""Desired states built in memory for the access model tests: roles of policy names,
users of roles, custom documents by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iam_matrix.catalog import load_catalog
from iam_matrix.desired import CustomPolicy, DesiredState, Group, PolicyRef, User
from iam_matrix.password_policy import PasswordPolicy

MFA_DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "NotAction": ["iam:ChangePassword", "iam:EnableMFADevice", "iam:ListMFADevices", "sts:GetSessionToken"],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    ],
}
IP_DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}, "Bool": {"aws:ViaAWSService": "false"}},
        }
    ],
}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}],
    }


def ref(name: str, custom: Mapping[str, Any]) -> PolicyRef:
    if name in custom:
        return PolicyRef(name, f"arn:aws:iam::111111111111:policy/custom/{name}", "custom")
    managed = load_catalog().get(name)
    assert managed is not None, name
    return PolicyRef(name, managed.arn, "aws")


def state(
    roles: Mapping[str, tuple[str, ...]], users: Mapping[str, tuple[str, ...]], custom: Mapping[str, dict] | None = None
) -> DesiredState:
    custom = dict(custom or {})
    refs = {role: tuple(ref(n, custom) for n in names) for role, names in roles.items()}
    return DesiredState(
        stack="dev",
        account_id="111111111111",
        user_path="/",
        manage_users=True,
        groups=tuple(Group(role, role, 1, "/", refs[role]) for role in sorted(roles)),
        users=tuple(User(u, True, tuple(sorted(rs)), "users.csv") for u, rs in sorted(users.items())),
        policies=tuple(CustomPolicy(n, "/custom/", d, f"policies/custom/{n}.json") for n, d in sorted(custom.items())),
        password_policy=PasswordPolicy(),
    )
