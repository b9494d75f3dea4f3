"""The desired state: what the account must look like, compiled once from the matrix.

Plain frozen dataclasses and no Pulumi or boto3: the Pulumi program deploys it, the audit
compares the live account with it, and the review diff compares two of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .access_log_options import AccessLogOptions
from .audit_baseline import BaselineOptions
from .deploy_options import DeployOptions
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
    """One IAM group of a role's bundle. Its members are not stored here: they are the role's
    (``DesiredState.members``), which are the users whose ``roles`` name it."""

    name: str
    role: str
    index: int  # 1 for the role's first group, 2 for "<Role>-2", ...
    path: str
    policies: tuple[PolicyRef, ...]

    @property
    def policy_arns(self) -> tuple[str, ...]:
        return tuple(p.arn for p in self.policies)


@dataclass(frozen=True)
class Role:
    """A role of the matrix as a view: its groups, their policies and its members, all derived
    from the state's groups and users (``DesiredState.roles``). The access model also builds
    roles of a live account (``access.live``)."""

    name: str
    groups: tuple[str, ...]
    policies: tuple[PolicyRef, ...]
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class User:
    """One user row. ``roles`` is the one stored membership fact: a role's members, a group's
    members and a user's groups (``DesiredState.groups_of``) are all derived from it."""

    name: str
    mfa_required: bool
    roles: tuple[str, ...]
    source: str  # the file (and sheet) the row is in, e.g. "users.csv"


class InconsistentState(ValueError):
    """A desired state whose facts contradict each other (only a hand-built one can: the compiler
    reports such inputs as problems in the matrix)."""


def derive_roles(groups: Iterable[Group], users: Iterable[User]) -> tuple[Role, ...]:
    """The roles that the groups belong to (in case-insensitive name order), each with its
    groups in bundle order, their policies, and its members (users naming it, name order)."""
    bundles: dict[str, list[Group]] = {}
    for group in groups:
        bundles.setdefault(group.role, []).append(group)
    members: dict[str, list[str]] = {role: [] for role in bundles}
    for user in users:
        for role in user.roles:
            if role in members:
                members[role].append(user.name)
    roles = []
    for name in sorted(bundles, key=str.lower):
        bundle = sorted(bundles[name], key=lambda g: g.index)
        roles.append(
            Role(
                name,
                tuple(g.name for g in bundle),
                tuple(p for g in bundle for p in g.policies),
                tuple(sorted(members[name], key=str.lower)),
            )
        )
    return tuple(roles)


def consistency_problems(groups: Sequence[Group], users: Sequence[User], policies: Sequence[CustomPolicy]) -> list[str]:
    """What makes these facts contradict each other: a name used twice (IAM names are
    case-insensitive), a bundle whose indexes are not 1..n, a user with a role that has no group,
    a group attaching a custom policy the state does not define."""
    found: list[str] = []
    for kind, names in (
        ("group", [g.name for g in groups]),
        ("user", [u.name for u in users]),
        ("custom policy", [p.name for p in policies]),
    ):
        seen: dict[str, str] = {}
        for name in names:
            other = seen.get(name.lower())
            seen.setdefault(name.lower(), name)
            if other is not None:
                found.append(f"{kind} {name!r} is defined twice (as {other!r} too; IAM names are case-insensitive)")
    indexes: dict[str, list[int]] = {}
    for group in groups:
        indexes.setdefault(group.role, []).append(group.index)
    for role, seen_indexes in sorted(indexes.items()):
        if sorted(seen_indexes) != list(range(1, len(seen_indexes) + 1)):
            found.append(f"the groups of role {role!r} have indexes {sorted(seen_indexes)}; a bundle is numbered 1..n")
    for user in users:
        for role in user.roles:
            if role not in indexes:
                found.append(
                    f"user {user.name!r} has role {role!r}, but no group belongs to it (Group.role): "
                    "a role exists through its groups"
                )
    custom = {p.name for p in policies}
    for group in groups:
        for ref in group.policies:
            if ref.kind == "custom" and ref.name not in custom:
                found.append(
                    f"group {group.name!r} attaches custom policy {ref.name!r}, which the state does not define"
                )
    return found


@dataclass(frozen=True)
class DesiredState:
    """The compiled state. Each fact is stored once: groups (bundle, path, policies), users (their
    roles), custom policies, options. Roles, members and a user's groups are derived views, so
    no consumer can read a copy that disagrees; facts that contradict each other are refused."""

    stack: str
    account_id: str | None
    user_path: str
    manage_users: bool
    groups: tuple[Group, ...]
    users: tuple[User, ...]
    policies: tuple[CustomPolicy, ...]
    password_policy: PasswordPolicy
    tags: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    audit_baseline: BaselineOptions = field(default_factory=BaselineOptions)
    access_log: AccessLogOptions = field(default_factory=AccessLogOptions)
    role_trust: RoleTrustOptions = field(default_factory=RoleTrustOptions)
    deploy: DeployOptions = field(default_factory=DeployOptions)

    def __post_init__(self) -> None:
        for name in ("groups", "users", "policies"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        found = consistency_problems(self.groups, self.users, self.policies)
        if found:
            raise InconsistentState(f"inconsistent desired state of stack {self.stack!r}: " + "; ".join(found))

    @cached_property
    def roles(self) -> tuple[Role, ...]:
        return derive_roles(self.groups, self.users)

    @cached_property
    def _roles_by_name(self) -> dict[str, Role]:
        return {r.name: r for r in self.roles}

    def members(self, role: str) -> tuple[str, ...]:
        """The users of ``role``, which are the members of each of its groups."""
        found = self._roles_by_name.get(role)
        return found.members if found is not None else ()

    def groups_of(self, user: User) -> tuple[str, ...]:
        """Every group of each of the user's roles (roles in the user's order, groups in bundle order)."""
        return tuple(g for role in user.roles for g in self._roles_by_name[role].groups)

    @cached_property
    def _groups_by_name(self) -> dict[str, Group]:
        return {g.name: g for g in self.groups}

    def group(self, name: str) -> Group:
        return self._groups_by_name[name]

    def user(self, name: str) -> User:
        return next(u for u in self.users if u.name == name)

    def role(self, name: str) -> Role:
        return self._roles_by_name[name]

    def with_account(self, account_id: str) -> DesiredState:
        """The same state with customer managed policy ARNs filled in for one account."""
        groups = tuple(
            dataclasses.replace(g, policies=tuple(p.with_account(account_id) for p in g.policies)) for g in self.groups
        )
        return dataclasses.replace(self, account_id=account_id, groups=groups)

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
                    "members": list(self.members(g.role)),
                }
                for g in self.groups
            ],
            "users": [
                {
                    "name": u.name,
                    "mfa_required": u.mfa_required,
                    "roles": list(u.roles),
                    "groups": list(self.groups_of(u)),
                }
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
