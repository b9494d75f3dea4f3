"""The desired state: what the account must look like, compiled once from the matrix.

Plain frozen dataclasses and no Pulumi or boto3: the Pulumi program deploys it, the audit
compares the live account with it, and the review diff compares two of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .access_log_options import AccessLogOptions
from .audit_baseline import BaselineOptions
from .password_policy import PasswordPolicy
from .problems import Problem
from .role_trust_options import RoleTrustOptions

ACCOUNT_PLACEHOLDER = "${AWS::AccountId}"


@dataclass(frozen=True)
class PolicyRef:
    """One policy row of the matrix, resolved to exactly one policy."""

    name: str
    arn: str
    kind: str  # "aws" (AWS managed), "custom" (a document in policies/), "arn" (given as an ARN)
    guardrail: bool = False  # a /foundation/ policy: kept in the first group of a bundle
    grants: bool = True  # allows something (False for deny-only guardrails)

    def with_account(self, account_id: str) -> PolicyRef:
        return dataclasses.replace(self, arn=self.arn.replace(ACCOUNT_PLACEHOLDER, account_id))


@dataclass(frozen=True)
class CustomPolicy:
    name: str
    path: str
    document: Mapping[str, Any]
    source: str  # e.g. "policies/foundation/MFAForcePolicy.json"

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT_PLACEHOLDER}:policy{self.path}{self.name}"

    @property
    def description(self) -> str:
        return f"Managed by iam-matrix from {self.source}"


@dataclass(frozen=True)
class Group:
    name: str
    role: str
    index: int  # 1 for the role's first group, 2 for "<Role>-2", ...
    path: str
    policies: tuple[PolicyRef, ...]
    members: tuple[str, ...]

    @property
    def policy_arns(self) -> tuple[str, ...]:
        return tuple(p.arn for p in self.policies)


@dataclass(frozen=True)
class Role:
    name: str
    groups: tuple[str, ...]
    policies: tuple[PolicyRef, ...]
    members: tuple[str, ...]


@dataclass(frozen=True)
class User:
    name: str
    mfa_required: bool
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    source: str  # the file (and sheet) the row is in, e.g. "users.csv"


@dataclass(frozen=True)
class DesiredState:
    stack: str
    account_id: str | None
    user_path: str
    manage_users: bool
    roles: tuple[Role, ...]
    groups: tuple[Group, ...]
    users: tuple[User, ...]
    policies: tuple[CustomPolicy, ...]
    password_policy: PasswordPolicy
    tags: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    audit_baseline: BaselineOptions = field(default_factory=BaselineOptions)
    access_log: AccessLogOptions = field(default_factory=AccessLogOptions)
    role_trust: RoleTrustOptions = field(default_factory=RoleTrustOptions)

    def group(self, name: str) -> Group:
        return next(g for g in self.groups if g.name == name)

    def user(self, name: str) -> User:
        return next(u for u in self.users if u.name == name)

    def role(self, name: str) -> Role:
        return next(r for r in self.roles if r.name == name)

    def with_account(self, account_id: str) -> DesiredState:
        """The same state with customer managed policy ARNs filled in for one account."""
        groups = tuple(
            dataclasses.replace(g, policies=tuple(p.with_account(account_id) for p in g.policies)) for g in self.groups
        )
        roles = tuple(
            dataclasses.replace(r, policies=tuple(p.with_account(account_id) for p in r.policies)) for r in self.roles
        )
        return dataclasses.replace(self, account_id=account_id, groups=groups, roles=roles)

    def policy_arn(self, policy: CustomPolicy) -> str:
        return policy.arn.replace(ACCOUNT_PLACEHOLDER, self.account_id) if self.account_id else policy.arn

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``plan --format json`` (a stable contract)."""
        return {
            "stack": self.stack,
            "account_id": self.account_id,
            "roles": [
                {
                    "name": r.name,
                    "groups": list(r.groups),
                    "policies": [p.name for p in r.policies],
                    "members": list(r.members),
                }
                for r in self.roles
            ],
            "groups": [
                {
                    "name": g.name,
                    "role": g.role,
                    "path": g.path,
                    "policy_arns": list(g.policy_arns),
                    "members": list(g.members),
                }
                for g in self.groups
            ],
            "users": [
                {"name": u.name, "mfa_required": u.mfa_required, "roles": list(u.roles), "groups": list(u.groups)}
                for u in self.users
            ],
            "policies": [
                {"name": p.name, "path": p.path, "arn": self.policy_arn(p), "document": p.document}
                for p in self.policies
            ],
            "password_policy": self.password_policy.to_dict(),
            "manage_users": self.manage_users,
            "user_path": self.user_path,
            "tags": dict(self.tags),
            "audit_baseline": self.audit_baseline.to_dict(),
            "access_log": self.access_log.to_dict(),
            "role_trust": self.role_trust.to_dict(),
            "warnings": [w.to_dict() for w in self.warnings],
        }
