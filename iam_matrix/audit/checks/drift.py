"""Drift: the account's users, groups, memberships, group attachments and custom policies
against the desired state, plus policy hygiene anywhere in the account (CIS 1.15).
Which users and groups are compared is ``scope``'s job."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...access.live import default_document
from ...catalog import ADMIN_POLICY_ARN
from ...desired import DesiredState, Group, User
from ..findings import Check, Finding, register
from ..snapshot import Snapshot
from .base import Area
from .scope import scoped_groups, scoped_users

DOC = "docs/audit.md#checks"
PULUMI_UP = "run pulumi up to make the account match the matrix, or change the matrix in a reviewed pull request"

CHECKS = register(
    Check(
        "user-missing",
        "drift",
        "high",
        "A user of the matrix does not exist in the account",
        remediation=PULUMI_UP,
        doc=DOC,
    ),
    Check(
        "user-unexpected",
        "drift",
        "high",
        "A user exists that the matrix does not list",
        remediation="delete the user if nobody needs it, or add a row to the user matrix",
        doc=DOC,
    ),
    Check("group-missing", "drift", "high", "A group of the matrix does not exist", remediation=PULUMI_UP, doc=DOC),
    Check(
        "group-unexpected",
        "drift",
        "medium",
        "A group exists under the stack's group path that the matrix does not plan",
        remediation="delete the group, or add its role to both matrices",
        doc=DOC,
    ),
    Check(
        "membership-missing",
        "drift",
        "medium",
        "A user is not in a group the matrix puts them in",
        remediation=PULUMI_UP,
        doc=DOC,
    ),
    Check(
        "membership-unexpected",
        "drift",
        "high",
        "A user is in a group the matrix does not put them in",
        remediation="remove the user from the group, or mark the role in the user matrix",
        doc=DOC,
    ),
    Check(
        "group-policy-missing",
        "drift",
        "high",
        "A policy the matrix attaches to a group is not attached",
        remediation=PULUMI_UP,
        doc=DOC,
    ),
    Check(
        "group-policy-unexpected",
        "drift",
        "high",
        "A policy is attached to a group without a mark in the policy matrix",
        remediation="detach it, or mark it in the policy matrix",
        doc=DOC,
    ),
    Check(
        "policy-missing",
        "drift",
        "high",
        "A custom policy of the stack (policies/) does not exist",
        remediation=PULUMI_UP,
        doc=DOC,
    ),
    Check(
        "policy-document-drift",
        "drift",
        "high",
        "A custom policy's default version differs from its document in policies/",
        remediation="run pulumi up to restore it (or put the change in the file and review it)",
        doc=DOC,
    ),
    Check(
        "policy-unexpected",
        "drift",
        "low",
        "A customer managed policy sits under one of the stack's policy paths but is not in policies/",
        remediation="delete it, or add its document to policies/",
        doc=DOC,
    ),
    Check(
        "inline-policy",
        "drift",
        "high",
        "An inline policy is embedded in a user or group",
        "1.15",
        remediation="delete it; grant access through a group and a managed policy of the policy matrix",
        doc="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
    ),
    Check(
        "user-policy-attached",
        "drift",
        "high",
        "A managed policy is attached directly to a user",
        "1.15",
        remediation="detach it; give the user a role in the user matrix instead",
        doc="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",
    ),
)


@dataclass(frozen=True)
class _Compared:
    """The desired and the live users and groups in scope, by name."""

    desired: DesiredState
    snapshot: Snapshot
    live_users: dict[str, dict[str, Any]]
    live_groups: dict[str, dict[str, Any]]
    want_users: dict[str, User]
    want_groups: dict[str, Group]

    @classmethod
    def of(cls, desired: DesiredState, snapshot: Snapshot) -> _Compared:
        return cls(
            desired,
            snapshot,
            {u["UserName"]: u for u in scoped_users(desired, snapshot)},
            {g["GroupName"]: g for g in scoped_groups(desired, snapshot)},
            {u.name: u for u in desired.users},
            {g.name: g for g in desired.groups},
        )


def drift_findings(desired: DesiredState, snapshot: Snapshot) -> list[Finding]:
    """Users, groups, memberships, group attachments and custom policies against the matrix."""
    compared = _Compared.of(desired, snapshot)
    return [
        *_users(compared),
        *_groups(compared),
        *_memberships(compared),
        *_group_attachments(compared),
        *_custom_policies(desired, snapshot),
    ]


def _users(c: _Compared) -> list[Finding]:
    out: list[Finding] = []
    for name, user in c.want_users.items():
        if name not in c.live_users:
            fix = (
                "run pulumi up to create it, or delete the row if the person left"
                if c.desired.manage_users
                else "create the user (manageUsers is false, so the stack only manages memberships), or delete the row"
            )
            out.append(
                Finding(
                    "user-missing",
                    f"user/{name}",
                    f"{name} is in the user matrix ({user.source}) but not in the account",
                    fix,
                )
            )
    for name, live in c.live_users.items():
        if name not in c.want_users:
            groups = ", ".join(live.get("GroupList", [])) or "no groups"
            out.append(
                Finding(
                    "user-unexpected",
                    f"user/{name}",
                    f"{name} exists in the account but not in the user matrix (member of {groups})",
                    "delete the user if nobody needs it, or add a row to the user matrix",
                    details={"groups": list(live.get("GroupList", []))},
                )
            )
    return out


def _groups(c: _Compared) -> list[Finding]:
    out: list[Finding] = []
    for name in c.want_groups:
        if name not in c.live_groups:
            out.append(
                Finding(
                    "group-missing",
                    f"group/{name}",
                    f"group {name} is planned by the matrix but does not exist; its members lack its policies",
                    "run pulumi up",
                )
            )
    members: dict[str, set[str]] = {}
    for user in c.snapshot.users:
        for group in user.get("GroupList", []):
            members.setdefault(group, set()).add(user["UserName"])
    for name, live in c.live_groups.items():
        if name not in c.want_groups:
            policies = [p["PolicyName"] for p in live.get("AttachedManagedPolicies", [])]
            who = ", ".join(sorted(members.get(name, ()))) or "no members"
            out.append(
                Finding(
                    "group-unexpected",
                    f"group/{name}",
                    f"group {name} is not planned by the matrix ({who}; policies: {', '.join(policies) or 'none'})",
                    "delete the group, or add its role to both matrices",
                    details={"members": sorted(members.get(name, ())), "policies": policies},
                )
            )
    return out


def _grants_admin(group: Group, live: Mapping[str, Any]) -> bool:
    return ADMIN_POLICY_ARN in group.policy_arns or any(
        p["PolicyArn"] == ADMIN_POLICY_ARN for p in live.get("AttachedManagedPolicies", [])
    )


def _memberships(c: _Compared) -> list[Finding]:
    out: list[Finding] = []
    for name, user in c.want_users.items():
        live = c.live_users.get(name)
        if live is None:
            continue
        have = set(live.get("GroupList", []))
        want = c.desired.groups_of(user)
        for group in want:
            if group in c.live_groups and group not in have:
                out.append(
                    Finding(
                        "membership-missing",
                        f"user/{name}",
                        f"{name} is not in group {group} ({c.want_groups[group].role}) as the matrix says",
                        "run pulumi up",
                        details={"group": group},
                    )
                )
        for group in sorted(have):
            if group in c.want_groups and group not in want:
                planned = c.want_groups[group]
                admin = _grants_admin(planned, c.live_groups[group])
                message = f"{name} is in group {group} but the matrix does not give them role {planned.role}" + (
                    " - the group has AdministratorAccess" if admin else ""
                )
                out.append(
                    Finding(
                        "membership-unexpected",
                        f"user/{name}",
                        message,
                        f"remove {name} from {group}, or mark the role in the user matrix",
                        severity="critical" if admin else None,
                        details={"group": group},
                    )
                )
    return out


def _group_attachments(c: _Compared) -> list[Finding]:
    out: list[Finding] = []
    for name, group in c.want_groups.items():
        live = c.live_groups.get(name)
        if live is None:
            continue
        attached = {p["PolicyArn"]: p["PolicyName"] for p in live.get("AttachedManagedPolicies", [])}
        for ref in group.policies:
            if ref.arn not in attached:
                out.append(
                    Finding(
                        "group-policy-missing",
                        f"group/{name}",
                        f"{ref.name} ({ref.arn}) is not attached to {name}"
                        + (" - a guardrail is off" if ref.guardrail else ""),
                        "run pulumi up",
                        details={"policy_arn": ref.arn},
                    )
                )
        for arn in sorted(set(attached) - set(group.policy_arns)):
            out.append(
                Finding(
                    "group-policy-unexpected",
                    f"group/{name}",
                    f"{attached[arn]} ({arn}) is attached to {name} but "
                    f"not marked for role {group.role} in the policy matrix",
                    f"detach it from {name}, or mark it in the policy matrix",
                    severity="critical" if arn == ADMIN_POLICY_ARN else None,
                    details={"policy_arn": arn},
                )
            )
    return out


def _custom_policies(desired: DesiredState, snapshot: Snapshot) -> list[Finding]:
    out: list[Finding] = []
    live_policies = {p["Arn"]: p for p in snapshot.policies}
    wanted_arns = set()
    for policy in desired.policies:
        arn = desired.policy_arn(policy)
        wanted_arns.add(arn)
        live = live_policies.get(arn)
        if live is None:
            out.append(
                Finding(
                    "policy-missing",
                    f"policy/{policy.path.strip('/')}/{policy.name}" if policy.path != "/" else f"policy/{policy.name}",
                    f"{policy.name} from {policy.source} does not exist ({arn})",
                    "run pulumi up",
                )
            )
            continue
        document = default_document(live)
        if document is None or canonical(document) != canonical(policy.document):
            out.append(
                Finding(
                    "policy-document-drift",
                    f"policy{policy.path}{policy.name}",
                    f"the default version of {policy.name} differs from {policy.source}",
                    "run pulumi up to restore it (or put the change in the file and review it)",
                    details={"live": document, "desired": dict(policy.document)},
                )
            )
    paths = {p.path for p in desired.policies}
    for arn, live in sorted(live_policies.items()):
        if arn not in wanted_arns and live.get("Path", "/") in paths:
            name = live.get("PolicyName") or arn.rsplit("/", 1)[-1]  # moto's details answer omits PolicyName
            out.append(
                Finding(
                    "policy-unexpected",
                    f"policy{live.get('Path', '/')}{name}",
                    f"{name} is under the stack's policy path {live.get('Path')} but not in policies/",
                    "delete it, or add its document to policies/",
                    details={"attachments": live.get("AttachmentCount", 0)},
                )
            )
    return out


def hygiene_findings(snapshot: Snapshot) -> list[Finding]:
    """Inline policies and policies attached to users, anywhere in the account (CIS 1.15)."""
    out: list[Finding] = []
    for user in snapshot.users:
        name = user["UserName"]
        for policy in user.get("UserPolicyList", []):
            out.append(
                Finding(
                    "inline-policy",
                    f"user/{name}",
                    f"inline policy {policy['PolicyName']} is embedded in user {name}",
                    "delete it; grant access through a group and a managed policy in the policy matrix",
                    details={"policy": policy["PolicyName"]},
                )
            )
        for policy in user.get("AttachedManagedPolicies", []):
            out.append(
                Finding(
                    "user-policy-attached",
                    f"user/{name}",
                    f"{policy['PolicyName']} ({policy['PolicyArn']}) is attached directly to user {name}",
                    "detach it; give the user a role in the user matrix instead",
                    severity="critical" if policy["PolicyArn"] == ADMIN_POLICY_ARN else None,
                )
            )
    for group in snapshot.groups:
        for policy in group.get("GroupPolicyList", []):
            out.append(
                Finding(
                    "inline-policy",
                    f"group/{group['GroupName']}",
                    f"inline policy {policy['PolicyName']} is embedded in group {group['GroupName']}",
                    "delete it; put the document in policies/ and mark it in the policy matrix",
                    details={"policy": policy["PolicyName"]},
                )
            )
    return out


def canonical(value: Any) -> Any:
    """A policy document in a form where equal meaning compares equal: key order, list order
    (every list in the IAM policy grammar is a set) and "x" versus ["x"] do not matter."""
    if isinstance(value, Mapping):
        return {k: canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return items[0] if len(items) == 1 else items
    return value


AREA = Area(
    "drift", CHECKS, lambda given: drift_findings(given.desired, given.snapshot) + hygiene_findings(given.snapshot)
)
