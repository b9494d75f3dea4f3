"""The import file for ``pulumi import --file`` and what the first ``pulumi up`` will still change.

Input: the resources the program registers for the drafted stack (``components.layout``, which
the tests hold equal to ``components.registered``'s mock-runtime run) and the account snapshot.
Pure: no Pulumi, no boto3.

The file follows the format ``pulumi import --file`` reads (pulumi/pulumi,
pkg/cmd/pulumi/operations/import.go, ``importFile``/``importSpec``): ``nameTable`` (empty:
every parent is in the same file, Pulumi >= 3.94), ``resources`` with ``type``, ``name`` (a key,
unique in the file, that ``parent`` refers to), ``logicalName`` (the program's resource name),
``id`` (the provider's import id) and ``parent``; ComponentResources are ``component: true``
entries without an id. The engine builds each URN from the parent's type chain and the
logical name, which gives exactly the URNs the program registers.

Import ids (terraform-provider-aws, internal/service/iam/): group and user: the name
(group.go, user.go); policy: the ARN (policy.go); GroupPolicyAttachmentsExclusive and
GroupPoliciesExclusive: the group name (``ImportStatePassthroughID`` on group_name);
AccountPasswordPolicy: the fixed id ``iam-account-password-policy``; UserLoginProfile: the
user name. GroupMembership has no importer (group_membership.go declares none), so it is left
out; its create only calls AddUserToGroup for the listed users (``addUsersToGroup``), which
removes nobody.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..access.live import default_document
from ..audit.checks.drift import canonical
from ..audit.snapshot import Snapshot
from ..password_policy import FIELDS

PASSWORD_POLICY_ID = "iam-account-password-policy"
NOT_IMPORTABLE = {
    "aws:iam/groupMembership:GroupMembership": (
        "pulumi-aws cannot import it (terraform-provider-aws internal/service/iam/group_membership.go has no "
        "importer); "
        "the first up creates it, which only adds the listed users (all current members) and removes nobody"
    ),
}


def _camel(attribute: str) -> str:
    head, *rest = attribute.split("_")
    return head + "".join(part.title() for part in rest)


class Resource(Protocol):
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    ignore_changes: Sequence[str]


@dataclass(frozen=True)
class Change:
    """One thing the first ``pulumi up`` after the import still does."""

    op: str  # "create", "update", "replace"
    type: str
    name: str
    why: str
    removes: bool = False  # takes something away from the account (an inline policy, a member)


@dataclass
class ImportPlan:
    document: dict[str, Any]
    left_out: list[dict[str, str]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def type_name(token: str) -> str:
    return token.rsplit(":", 1)[-1]


class _Live:
    """The snapshot indexed the way the import ids name things."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.users = {u["UserName"]: u for u in snapshot.users}
        self.groups = {g["GroupName"]: g for g in snapshot.groups}
        self.policies = {p["Arn"]: p for p in snapshot.policies}
        self.report = {row.get("user"): row for row in snapshot.credential_report}
        self.members: dict[str, set[str]] = {}
        for user in snapshot.users:
            for group in user.get("GroupList", []):
                self.members.setdefault(group, set()).add(user["UserName"])


def _tags(items: Sequence[Mapping[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def _id_and_diff(live: _Live, resource: Resource) -> tuple[str | None, list[tuple[str, str, bool]]]:
    """The import id (None: nothing to import) and the (op, why, removes) differences the up still makes."""
    inputs, typ = resource.inputs, resource.type
    diffs: list[tuple[str, str, bool]] = []

    def differs(
        key: str, have: Any, want: Any, op: str = "update", what: str | None = None, removes: bool = False
    ) -> None:
        if key not in resource.ignore_changes and have != want:
            diffs.append((op, what or f"{key}: {have!r} -> {want!r}", removes))

    if typ == "aws:iam/group:Group":
        group = live.groups.get(inputs["name"])
        if group is None:
            return None, []
        differs("path", group.get("Path", "/"), inputs.get("path") or "/")
        return group["GroupName"], diffs
    if typ == "aws:iam/user:User":
        user = live.users.get(inputs["name"])
        if user is None:
            return None, []
        differs("path", user.get("Path", "/"), inputs.get("path") or "/")
        differs("tags", _tags(user.get("Tags")), dict(inputs.get("tags") or {}), what="tags set to the stack's tags")
        return user["UserName"], diffs
    if typ == "aws:iam/policy:Policy":
        arn = f"arn:aws:iam::{live.snapshot.account_id}:policy{inputs.get('path') or '/'}{inputs['name']}"
        policy = live.policies.get(arn)
        if policy is None:
            return None, []
        differs(
            "description",
            policy.get("Description") or "",
            inputs.get("description") or "",
            "replace",
            f"description {policy.get('Description') or ''!r} -> {inputs.get('description')!r} forces a replacement",
        )
        document = default_document(policy)
        wanted = json.loads(inputs["policy"]) if isinstance(inputs.get("policy"), str) else inputs.get("policy")
        differs("policy", canonical(document), canonical(wanted), what="a new default version of the document")
        if "tags" not in resource.ignore_changes and inputs.get("tags"):  # the details call returns no policy tags
            diffs.append(("update", "tags set to the stack's tags (unless it has exactly these already)", False))
        return arn, diffs
    if typ in (
        "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
        "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive",
    ):
        group = live.groups.get(inputs["groupName"])
        if group is None:
            return None, []
        if typ.endswith("GroupPolicyAttachmentsExclusive"):
            have = sorted(p["PolicyArn"] for p in group.get("AttachedManagedPolicies", []))
            want = sorted(inputs.get("policyArns") or [])
            differs("policyArns", have, want, removes=bool(set(have) - set(want)))
        else:
            have = sorted(p["PolicyName"] for p in group.get("GroupPolicyList", []))
            differs(
                "policyNames",
                have,
                sorted(inputs.get("policyNames") or []),
                what=f"inline policies {', '.join(have)} deleted",
                removes=True,
            )
        return group["GroupName"], diffs
    if typ == "aws:iam/accountPasswordPolicy:AccountPasswordPolicy":
        current = live.snapshot.password_policy
        if current is None:
            return None, []
        for f in FIELDS:  # the program's inputs are the pulumi_aws argument names, camelCased by the engine
            key = _camel(f.attribute)
            if inputs.get(key) is not None:
                differs(
                    key, current.get(f.api_name), int(inputs[key]) if isinstance(inputs[key], float) else inputs[key]
                )
        return PASSWORD_POLICY_ID, diffs
    if typ == "aws:iam/userLoginProfile:UserLoginProfile":
        row = live.report.get(str(inputs.get("user"))) or {}
        return (str(inputs["user"]), []) if row.get("password_enabled") == "true" else (None, [])
    if typ == "aws:iam/groupMembership:GroupMembership":
        extra = live.members.get(inputs["group"], set()) - set(inputs.get("users") or [])
        if extra:
            diffs.append(
                ("update", f"the up after the first removes {', '.join(sorted(extra))} (not in the matrix)", True)
            )
        return None, diffs
    return None, []


def import_plan(
    resources: Sequence[Resource], snapshot: Snapshot, unique: Callable[[Resource], str] | None = None
) -> ImportPlan:
    """The import file for ``resources`` (in registration order) and what the up still changes."""
    live = _Live(snapshot)
    keys: dict[str, str] = {}
    used: set[str] = set()
    for resource in resources:
        key = unique(resource) if unique else f"{type_name(resource.type)}:{resource.name}"
        while key in used:
            key += "'"
        used.add(key)
        keys[resource.urn] = key
    plan = ImportPlan({"nameTable": {}, "resources": []})
    for resource in resources:
        entry: dict[str, Any] = {"type": resource.type, "name": keys[resource.urn], "logicalName": resource.name}
        if resource.parent in keys:
            entry["parent"] = keys[resource.parent]
        if not resource.custom:
            entry["component"] = True
            plan.document["resources"].append(entry)
            continue
        resource_id, diffs = _id_and_diff(live, resource)
        if resource.type in NOT_IMPORTABLE:
            plan.left_out.append(
                {"type": resource.type, "name": resource.name, "reason": NOT_IMPORTABLE[resource.type]}
            )
            plan.changes.append(
                Change(
                    "create", resource.type, resource.name, "not importable: created, adding its users (removes nobody)"
                )
            )
        elif resource_id is None:
            plan.left_out.append(
                {
                    "type": resource.type,
                    "name": resource.name,
                    "reason": "does not exist in the account: the first up creates it",
                }
            )
            plan.changes.append(Change("create", resource.type, resource.name, "does not exist in the account yet"))
            continue
        else:
            entry["id"] = resource_id
            plan.document["resources"].append(entry)
        for op, why, removes in diffs:
            plan.changes.append(Change(op, resource.type, resource.name, why, removes))
    return plan
