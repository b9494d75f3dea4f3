"""The guardrails of the iam-matrix policy pack, as plain functions.

``pulumi-policy`` pins older protobuf/grpcio than ``pulumi`` does, so it lives in the pack's
own virtualenv. These functions import nothing from it: the project's test suite checks
them directly, and ``__main__.py`` only wraps them in CrossGuard policies.

Inputs are what CrossGuard hands a policy: the resource type token and the resource's
input properties with camelCase names (``groupName``, ``policyArns``). During a preview a
value that is not known yet (the ARN of a policy still to be created) is one of Pulumi's
"unknown" sentinel strings; a rule that meets one judges by what is known - an unknown
customer policy ARN is recovered from the ``aws:iam/policy:Policy`` resource it depends on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The sentinels Pulumi's engine uses for values not known during a preview.
UNKNOWN_VALUES = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)

GROUP = "aws:iam/group:Group"
GROUP_MEMBERSHIP = "aws:iam/groupMembership:GroupMembership"
GROUP_ATTACHMENTS_EXCLUSIVE = "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive"
GROUP_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
POLICY = "aws:iam/policy:Policy"
PASSWORD_POLICY = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
USER_GROUP_MEMBERSHIP = "aws:iam/userGroupMembership:UserGroupMembership"

ADMIN_POLICY_ARN_SUFFIX = ":iam::aws:policy/AdministratorAccess"
DEFAULT_ADMIN_ROLES = ("Admin",)
DEFAULT_GUARDRAILS = ("MFAForcePolicy", "DenyIPAddressPolicy")
# CIS AWS Foundations Benchmark: 1.8/1.9 (v1.4+: length 14, reuse 24) and the v1.2 items
# 1.5-1.7, 1.11 (upper, lower, symbols, numbers, expiry within 90 days) - the project's defaults.
CIS_PASSWORD_MINIMUMS: Mapping[str, Any] = {
    "minimumPasswordLength": 14,
    "passwordReusePrevention": 24,
    "maxPasswordAge": 90,
    "requireUppercaseCharacters": True,
    "requireLowercaseCharacters": True,
    "requireNumbers": True,
    "requireSymbols": True,
}

# Resources that put a policy inside a user or group (inline), or on a user directly.
# Roles are out of scope: the matrix gives people access, and the audit baseline's
# service role for CloudTrail -> CloudWatch Logs carries an inline delivery policy.
INLINE_POLICY_TYPES = {
    "aws:iam/groupPolicy:GroupPolicy": "an inline policy on a group",
    "aws:iam/userPolicy:UserPolicy": "an inline policy on a user",
}
USER_ATTACHMENT_TYPES = {
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "a managed policy attached to a user",
}
# "Exclusive" resources are fine when they pin the list to empty (that removes strays).
EXCLUSIVE_LIST_TYPES = {
    "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive": ("policyNames", "inline policies on a group"),
    "aws:iam/userPoliciesExclusive:UserPoliciesExclusive": ("policyNames", "inline policies on a user"),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": (
        "policyArns",
        "managed policies attached to a user",
    ),
}


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_VALUES


def _number(value: Any) -> float | None:
    """Numbers arrive as floats (the engine's wire format is a protobuf Struct)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass
class Resource:
    """What a stack policy sees of one resource (a ``PolicyResource`` without the SDK)."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    property_dependencies: Mapping[str, Sequence[Resource]] = field(default_factory=dict)


Violation = tuple[str, str | None]  # (message, urn of the resource at fault or None for the stack)


# --- resource rules --------------------------------------------------------------


def no_inline_or_user_policies(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Access is given through groups only: no inline policies, nothing attached to users."""
    if resource_type in INLINE_POLICY_TYPES:
        return [
            f"{INLINE_POLICY_TYPES[resource_type]} is not allowed: "
            "give access with a managed policy attached to a role group"
        ]
    if resource_type in USER_ATTACHMENT_TYPES:
        return [
            f"{USER_ATTACHMENT_TYPES[resource_type]} is not allowed: "
            "put the user in a role group that carries the policy"
        ]
    if resource_type in EXCLUSIVE_LIST_TYPES:
        key, what = EXCLUSIVE_LIST_TYPES[resource_type]
        values = props.get(key)
        if is_unknown(values) or (isinstance(values, list) and values):
            return [f"{what} are not allowed ({key} must be empty)"]
    if resource_type == POLICY_ATTACHMENT:
        users = props.get("users")
        if is_unknown(users) or (isinstance(users, list) and users):
            return ["a policy attachment to users is not allowed: attach policies to role groups"]
    if resource_type == USER_GROUP_MEMBERSHIP:
        return [
            "aws:iam/UserGroupMembership is not allowed: members of a role "
            "group are set by that group's GroupMembership, from the user matrix"
        ]
    return []


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements_allowing_everything(document: Any) -> list[str]:
    """Sids (or positions) of Allow statements granting every action on every resource."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return []
    if not isinstance(document, Mapping):
        return []
    found = []
    for index, statement in enumerate(_as_list(document.get("Statement", [])), 1):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        if admin_equivalent(statement):
            found.append(str(statement.get("Sid") or f"statement {index}"))
    return found


# Wildcards that stand for every resource as IAM reads them.
_ANY_RESOURCE = re.compile(r"\*|arn:\*|arn:[^:]*:\*:\*:\*:\*|arn:\*:\*:\*:\*:\*")


def admin_equivalent(statement: Mapping[str, Any]) -> bool:
    """An Allow statement that grants (close to) everything however it is written: ``*`` or
    ``iam:*`` (which can grant itself the rest), or ``NotAction`` (everything but a few), on
    every resource (``*``, ``arn:*``, ``arn:aws:*:*:*:*`` or a ``NotResource``). Conditions do
    not count as limits here: an always-true condition is easy to write.

    The one place the pack judges this; the access model (iam_matrix/access) judges it
    action by action and can replace this function."""
    if statement.get("Effect") != "Allow":
        return False
    if "NotResource" in statement:
        every_resource = True
    else:
        every_resource = any(
            isinstance(r, str) and _ANY_RESOURCE.fullmatch(r) for r in _as_list(statement.get("Resource", []))
        )
    actions = [a for a in _as_list(statement.get("Action", [])) if isinstance(a, str)]
    broad = "NotAction" in statement or any(a == "*" or a.lower() in ("iam:*", "*:*") for a in actions)
    return every_resource and broad


def no_star_on_star_policy(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """A customer managed policy must not allow ``*`` on ``*`` (use AdministratorAccess, visibly)."""
    if resource_type != POLICY:
        return []
    document = props.get("policy")
    if is_unknown(document):
        return []
    return [
        f"customer managed policy {props.get('name', '?')} allows every action on "
        f"every resource ({sid}); attach AdministratorAccess to an admin role instead"
        for sid in statements_allowing_everything(document)
    ]


def password_policy_cis(
    resource_type: str, props: Mapping[str, Any], minimums: Mapping[str, Any] = CIS_PASSWORD_MINIMUMS
) -> list[str]:
    """The account password policy is at least as strict as the CIS benchmark."""
    if resource_type != PASSWORD_POLICY:
        return []
    problems = []
    for key, wanted in minimums.items():
        value = props.get(key)
        if is_unknown(value):
            continue
        if isinstance(wanted, bool):
            if wanted and value is not True:
                problems.append(f"{key} must be true (CIS)")
        elif key == "maxPasswordAge":
            number = _number(value)
            if number is None or not 0 < number <= wanted:
                problems.append(f"{key} is {_show(value)}; CIS asks for passwords to expire within {wanted} days")
        elif (number := _number(value)) is None or number < wanted:
            problems.append(f"{key} is {_show(value)}; CIS asks for at least {wanted}")
    return problems


def _show(value: Any) -> str:
    number = _number(value)
    return (
        "not set" if value is None else str(int(number)) if number is not None and number.is_integer() else str(value)
    )


# --- stack rules -------------------------------------------------------------------


def role_of(group: str, groups: Iterable[str]) -> str:
    """The role a group belongs to: ``Developer-2`` is the second group of role ``Developer``
    when a group ``Developer`` exists; any other name is the role's first group."""
    names = set(groups)
    match = re.fullmatch(r"(.+)-(\d+)", group)
    if match and int(match.group(2)) >= 2 and match.group(1) in names:
        return match.group(1)
    return group


def _policy_arn(resource: Resource) -> str | None:
    """The ARN-like tail ``policy<path><name>`` of a customer policy whose ARN is not known yet."""
    name, path = resource.props.get("name"), resource.props.get("path") or "/"
    if not isinstance(name, str) or is_unknown(name) or is_unknown(path):
        return None
    return f"policy{path}{name}"


def group_attachments(resources: Sequence[Resource]) -> dict[str, tuple[Resource, set[str], bool]]:
    """Group name -> (the resource attaching policies, policy ARNs, whether some were unknown)."""
    found: dict[str, tuple[Resource, set[str], bool]] = {}
    for resource in resources:
        if resource.type == GROUP_ATTACHMENTS_EXCLUSIVE:
            group, arns = resource.props.get("groupName"), resource.props.get("policyArns")
        elif resource.type == GROUP_ATTACHMENT:
            group, arns = resource.props.get("group"), [resource.props.get("policyArn")]
        elif resource.type == POLICY_ATTACHMENT:  # attaches one policy to any number of groups
            for name in _as_list(resource.props.get("groups") or []):
                if isinstance(name, str) and not is_unknown(name):
                    _add(
                        found,
                        name,
                        resource,
                        {resource.props.get("policyArn")} - {None},
                        is_unknown(resource.props.get("policyArn")),
                    )
            continue
        else:
            continue
        if not isinstance(group, str) or is_unknown(group):
            continue
        known = (
            {a for a in _as_list(arns) if isinstance(a, str) and not is_unknown(a)} if not is_unknown(arns) else set()
        )
        unknown = is_unknown(arns) or any(is_unknown(a) for a in _as_list(arns))
        if unknown:  # recover customer policies from the resources the ARNs come from
            for source in resource.property_dependencies.get(
                "policyArns" if resource.type == GROUP_ATTACHMENTS_EXCLUSIVE else "policyArn", ()
            ):
                if source.type == POLICY and (arn := _policy_arn(source)):
                    known.add(arn)
        _add(found, group, resource, known, unknown)
    return found


def _add(
    found: dict[str, tuple[Resource, set[str], bool]], group: str, resource: Resource, arns: set[str], unknown: bool
) -> None:
    previous = found.get(group)
    if previous:
        arns = arns | previous[1]
        unknown = unknown or previous[2]
        resource = previous[0] if resource.type == POLICY_ATTACHMENT else resource
    found[group] = (resource, arns, unknown)


def group_names(resources: Sequence[Resource]) -> set[str]:
    names = {r.props.get("name") for r in resources if r.type == GROUP}
    names |= set(group_attachments(resources))
    names |= {r.props.get("group") for r in resources if r.type == GROUP_MEMBERSHIP}
    return {n for n in names if isinstance(n, str) and not is_unknown(n)}


def admin_only_in_admin_roles(
    resources: Sequence[Resource],
    admin_roles: Iterable[str] = DEFAULT_ADMIN_ROLES,
    group_roles: Mapping[str, str] | None = None,
) -> list[Violation]:
    """AdministratorAccess may only be attached to the groups of roles in ``adminRoles``.

    ``group_roles`` is the compiled desired state's group -> role map (config_from_stack.py
    writes it): a group the matrix does not plan, such as ``Admin-2`` next to ``Admin``,
    belongs to no admin role. Without it the role is guessed from the group name."""
    allowed = set(admin_roles)
    groups = group_names(resources)
    violations: list[Violation] = []
    for group, (resource, arns, _unknown) in sorted(group_attachments(resources).items()):
        role = (
            group_roles.get(group, f"{group} (not planned by the matrix)")
            if group_roles is not None
            else role_of(group, groups)
        )
        if any(arn.endswith(ADMIN_POLICY_ARN_SUFFIX) for arn in arns) and role not in allowed:
            violations.append(
                (
                    f"group {group} (role {role}) gets AdministratorAccess, but "
                    f"iam-matrix:adminRoles allows only {', '.join(sorted(allowed)) or 'no role'}",
                    resource.urn or None,
                )
            )
    return violations


def guardrails_in_every_role(
    resources: Sequence[Resource], guardrails: Iterable[str] = DEFAULT_GUARDRAILS
) -> list[Violation]:
    """Every role's first group carries the guardrail policies (they cover the whole bundle,
    because every member of a role is in every group of its bundle)."""
    required = list(guardrails)
    groups = group_names(resources)
    attachments = group_attachments(resources)
    violations: list[Violation] = []
    for role in sorted({role_of(g, groups) for g in groups}):
        entry = attachments.get(role)
        if entry is None:
            where = next((r.urn for r in resources if r.type == GROUP and r.props.get("name") == role), None)
            violations.append(
                (
                    f"role {role}: its first group {role} has no policy attachments, so it lacks {', '.join(required)}",
                    where or None,
                )
            )
            continue
        resource, arns, _unknown = entry
        missing = [name for name in required if not any(arn.endswith(f"/{name}") for arn in arns)]
        if missing:
            violations.append(
                (
                    f"role {role}: its first group {role} lacks {', '.join(missing)} "
                    "(guardrails must sit in the first group of every role's bundle)",
                    resource.urn or None,
                )
            )
    return violations


def password_policy_present(resources: Sequence[Resource]) -> list[Violation]:
    """A stack that manages IAM groups also manages the account password policy."""
    if any(r.type == PASSWORD_POLICY for r in resources) or not any(
        r.type in (GROUP, GROUP_ATTACHMENTS_EXCLUSIVE) for r in resources
    ):
        return []
    return [
        (
            "the stack manages IAM groups but no aws:iam/AccountPasswordPolicy: "
            "the account's password policy is left unmanaged",
            None,
        )
    ]
