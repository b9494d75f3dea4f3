"""The guardrails of the iam-matrix policy pack, as plain functions.

``pulumi-policy`` pins older protobuf/grpcio than ``pulumi`` does, so it lives in the pack's
own virtualenv. These functions import nothing from it: the project's test suite checks
them directly, and ``__main__.py`` only wraps them in CrossGuard policies.

Inputs are what CrossGuard hands a policy: the resource type token and the resource's
input properties with camelCase names (``groupName``, ``policyArns``). During a preview a
value that is not known yet (the ARN of a policy still to be created) is one of Pulumi's
"unknown" sentinel strings; a rule that meets one judges by what is known - an unknown
customer policy ARN is recovered from the ``aws:iam/policy:Policy`` resource it depends on.

What a policy grants is judged by the project's access model (``iam_matrix.access``, the
one the diff, ``validate`` and the audit use), never by a policy's name: a role is
admin-equivalent however its documents write it, and a guardrail counts when its document
denies what an MFA or network guardrail must deny. That part of the core is standard library
only; ``__main__.py`` puts the project folder on ``sys.path`` so the pack's virtualenv
imports it (CrossGuard runs the pack from its folder and has no option for a module path).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iam_matrix.access.attached import AWS_MANAGED_ARN, Attached, managed_document, roles_model
from iam_matrix.access.model import AccessModel, covers_admin
from iam_matrix.access.unions import UnionRisk, union_risks

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
USER = "aws:iam/user:User"

ADMIN_POLICY_ARN_SUFFIX = ":iam::aws:policy/AdministratorAccess"
DEFAULT_ADMIN_ROLES = ("Admin",)
GUARDRAIL_KINDS = {
    "mfa": "an MFA guardrail (a Deny of everything but MFA self-service while aws:MultiFactorAuthPresent is false)",
    "network": "a network guardrail (a Deny of everything while aws:SourceIp is outside the allowed networks)",
}
DEFAULT_GUARDRAILS = ("mfa", "network")
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


def document_of(value: Any) -> Mapping[str, Any] | None:
    """A policy document input (JSON text or an object) as a mapping; None when it is not known."""
    if value is None or is_unknown(value):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, Mapping) else None


def statements_allowing_everything(document: Any) -> list[str]:
    """Sids (or positions) of the Allow statements that make ``document`` admin-equivalent as
    the access model judges it (all actions on all resources, however written; conditions do
    not count as limits: an always-true condition is easy to write). Empty when it is not."""
    found = document_of(document)
    if found is None:
        return []
    model = roles_model({"policy": [Attached("policy", "policy", found)]})
    if not model.role("policy").admin_equivalent:
        return []
    access = model.policy("policy")
    wide = [s for s in access.statements if s.effect == "Allow" and covers_admin(model.catalog, s.broad)]
    return [s.sid for s in wide or [s for s in access.statements if s.effect == "Allow" and s.broad]]


def no_star_on_star_policy(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """A customer managed policy must not be admin-equivalent (use AdministratorAccess, visibly)."""
    if resource_type != POLICY:
        return []
    return [
        f"customer managed policy {props.get('name', '?')} allows every action on "
        f"every resource ({sid}); attach AdministratorAccess to an admin role instead"
        for sid in statements_allowing_everything(props.get("policy"))
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
    """The ARN tail ``policy<path><name>`` of a customer policy resource of the stack."""
    name, path = resource.props.get("name"), resource.props.get("path") or "/"
    if not isinstance(name, str) or is_unknown(name) or not isinstance(path, str) or is_unknown(path):
        return None
    return f"policy{path}{name}"


def _attached(arns: Iterable[str], sources: Sequence[Resource]) -> list[Attached]:
    """The policies behind ``arns`` (known ARNs and tails recovered from ``sources``), each with
    its document: an AWS managed one from the shipped snapshot, a customer one from the
    stack's policy resource the attachment depends on. A customer ARN that no such resource
    backs (another account's ``.../MFAForcePolicy``) has no known document."""
    stack = {tail: s for s in sources if s.type == POLICY and (tail := _policy_arn(s))}
    found = []
    for arn in sorted(arns):
        if AWS_MANAGED_ARN.fullmatch(arn):
            found.append(Attached(arn, arn.rsplit("/", 1)[-1], managed_document(arn)))
            continue
        parts = arn.split(":", 5)
        tail = parts[5] if len(parts) == 6 and parts[0] == "arn" else arn
        source = stack.get(tail)
        name = tail.rsplit("/", 1)[-1]
        found.append(
            Attached(tail, name, document_of(source.props.get("policy"))) if source else Attached(arn, name, None)
        )
    return found


def group_attachments(resources: Sequence[Resource]) -> dict[str, tuple[Resource, list[Attached], bool]]:
    """Group name -> (the resource attaching policies, the policies, whether some ARNs were unknown)."""
    found: dict[str, tuple[Resource, list[Attached], bool]] = {}
    for resource in resources:
        if resource.type == GROUP_ATTACHMENTS_EXCLUSIVE:
            groups, arns, key = [resource.props.get("groupName")], resource.props.get("policyArns"), "policyArns"
        elif resource.type == GROUP_ATTACHMENT:
            groups, arns, key = [resource.props.get("group")], [resource.props.get("policyArn")], "policyArn"
        elif resource.type == POLICY_ATTACHMENT:  # attaches one policy to any number of groups
            groups, arns, key = (
                _as_list(resource.props.get("groups") or []),
                [resource.props.get("policyArn")],
                "policyArn",
            )
        else:
            continue
        known = (
            {a for a in _as_list(arns) if isinstance(a, str) and not is_unknown(a)} if not is_unknown(arns) else set()
        )
        unknown = is_unknown(arns) or any(is_unknown(a) for a in _as_list(arns))
        sources = [s for s in resource.property_dependencies.get(key, ()) if s.type == POLICY]
        if unknown:  # recover customer policies from the resources the ARNs come from
            known |= {tail for s in sources if (tail := _policy_arn(s))}
        policies = _attached(known, sources)
        for group in groups:
            if isinstance(group, str) and not is_unknown(group):
                _add(found, group, resource, policies, unknown)
    return found


def _add(
    found: dict[str, tuple[Resource, list[Attached], bool]],
    group: str,
    resource: Resource,
    policies: list[Attached],
    unknown: bool,
) -> None:
    previous = found.get(group)
    if previous:
        policies = previous[1] + [p for p in policies if p not in previous[1]]
        unknown = unknown or previous[2]
        resource = previous[0] if resource.type == POLICY_ATTACHMENT else resource
    found[group] = (resource, policies, unknown)


def group_names(resources: Sequence[Resource]) -> set[str]:
    names = {r.props.get("name") for r in resources if r.type == GROUP}
    names |= set(group_attachments(resources))
    names |= {r.props.get("group") for r in resources if r.type == GROUP_MEMBERSHIP}
    return {n for n in names if isinstance(n, str) and not is_unknown(n)}


def role_groups(resources: Sequence[Resource], group_roles: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """Role -> its groups in the stack. ``group_roles`` is the compiled desired state's
    group -> role map (config_from_stack.py writes it): a group the matrix does not plan,
    such as ``Admin-2`` next to ``Admin``, is a role of its own. Without it the role is
    guessed from the group name."""
    groups = group_names(resources)
    found: dict[str, list[str]] = {}
    for group in sorted(groups):
        if group_roles is None:
            role = role_of(group, groups)
        else:
            role = group_roles.get(group, f"{group} (not planned by the matrix)")
        found.setdefault(role, []).append(group)
    return found


def stack_model(
    resources: Sequence[Resource], group_roles: Mapping[str, str] | None = None
) -> tuple[AccessModel, dict[str, list[str]], dict[str, tuple[Resource, list[Attached], bool]]]:
    """(the access model of the stack's roles, role -> groups, group -> attachments)."""
    roles = role_groups(resources, group_roles)
    attachments = group_attachments(resources)
    policies = {
        role: [p for g in groups if g in attachments for p in attachments[g][1]] for role, groups in roles.items()
    }
    return roles_model(policies), roles, attachments


def admin_only_in_admin_roles(
    resources: Sequence[Resource],
    admin_roles: Iterable[str] = DEFAULT_ADMIN_ROLES,
    group_roles: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Only roles in ``adminRoles`` may be admin-equivalent: all actions on all resources
    over the policies of all the role's groups, as the access model judges it (AdministratorAccess,
    ``*`` on ``arn:*``, ``NotAction`` of one action, PowerUserAccess with IAMFullAccess...). Nor may
    a user be, through the union of the groups they are in of several roles none of which is
    (``union_findings``: validate's ``user-roles-admin-equivalent``)."""
    allowed = set(admin_roles)
    model, roles, attachments = stack_model(resources, group_roles)
    violations: list[Violation] = []
    for role, groups in roles.items():
        access = model.role(role)
        named = [
            g
            for g in groups
            if g in attachments and any(p.arn.endswith(ADMIN_POLICY_ARN_SUFFIX) for p in attachments[g][1])
        ]
        if role in allowed or not (access.admin_equivalent or named):
            continue
        supplying = list(access.admin_sources())
        group = (
            named[0]
            if named
            else next(
                (g for g in groups if g in attachments and any(p.name in supplying for p in attachments[g][1])),
                groups[0],
            )
        )
        through = ", ".join(dict.fromkeys(supplying)) or "AdministratorAccess"
        violations.append(
            (
                f"group {group} (role {role}) is admin-equivalent (all actions on all resources, through {through}),"
                f" but iam-matrix:adminRoles allows only {', '.join(sorted(allowed)) or 'no role'}",
                attachments[group][0].urn if group in attachments else None,
            )
        )
    risks, members = union_findings(resources, allowed, group_roles)
    for risk in risks:
        if risk.admin:
            who, via = _union_text(risk, risk.admin_via())
            violations.append(
                (
                    f"{who} {'are' if len(risk.users) > 1 else 'is'} admin-equivalent through the union of their groups"
                    " (all actions on all resources,"
                    f" through {via}), though no one of their roles is; iam-matrix:adminRoles allows only"
                    f" {', '.join(sorted(allowed)) or 'no role'}",
                    _membership_urn(risk, members),
                )
            )
    return violations


def _names(value: Any, sources: Sequence[Resource], of_type: str) -> list[str]:
    """The names in a membership input (one or a list); unknown ones are taken from the
    resources of ``of_type`` the input depends on (a group or user still to be created)."""
    values = [] if is_unknown(value) or value is None else _as_list(value)
    names = [v for v in values if isinstance(v, str) and not is_unknown(v)]
    if is_unknown(value) or any(is_unknown(v) for v in values):
        names += [n for s in sources if s.type == of_type and isinstance(n := s.props.get("name"), str)]
    return [n for n in dict.fromkeys(names) if not is_unknown(n)]


def user_groups(resources: Sequence[Resource]) -> dict[str, dict[str, Resource]]:
    """User -> group -> the resource that puts the user in it: a group's ``GroupMembership``
    (what the program registers) or a user's ``UserGroupMembership`` (refused by
    ``no-inline-or-user-policies``, and still counted: the access it gives is real)."""
    found: dict[str, dict[str, Resource]] = {}
    for resource in resources:
        deps = resource.property_dependencies
        if resource.type == GROUP_MEMBERSHIP:
            pairs = [
                (user, group)
                for group in _names(resource.props.get("group"), deps.get("group", ()), GROUP)
                for user in _names(resource.props.get("users"), deps.get("users", ()), USER)
            ]
        elif resource.type == USER_GROUP_MEMBERSHIP:
            pairs = [
                (user, group)
                for user in _names(resource.props.get("user"), deps.get("user", ()), USER)
                for group in _names(resource.props.get("groups"), deps.get("groups", ()), GROUP)
            ]
        else:
            continue
        for user, group in pairs:
            found.setdefault(user, {}).setdefault(group, resource)
    return found


def union_findings(
    resources: Sequence[Resource],
    admin_roles: Iterable[str] = DEFAULT_ADMIN_ROLES,
    group_roles: Mapping[str, str] | None = None,
) -> tuple[list[UnionRisk], dict[str, dict[str, Resource]]]:
    """The users' role combinations that are admin-equivalent, or have a privilege-escalation
    path, only through their union (``iam_matrix.access.unions``, as ``validate`` judges the
    matrix), over the groups each user is actually in; and user -> group -> membership resource."""
    roles = role_groups(resources, group_roles)
    attachments = group_attachments(resources)
    members = user_groups(resources)
    group_role = {group: role for role, groups in roles.items() for group in groups}
    model = roles_model(
        {group: attachments[group][1] if group in attachments else [] for group in group_role},
        {user: sorted(g for g in groups if g in group_role) for user, groups in members.items()},
    )
    return union_risks(model, list(admin_roles), group_role), members


def _union_text(risk: UnionRisk, pairs: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """(who and which groups, the policies with their groups) of a union finding."""
    more = f" and {len(risk.users) - 3} more" if len(risk.users) > 3 else ""
    who = f"user{'s' if len(risk.users) > 1 else ''} {', '.join(risk.users[:3])}{more}"
    return (
        f"{who} (groups {', '.join(risk.parts)}; roles {' + '.join(risk.roles)})",
        ", ".join(f"{policy} (group {group})" for group, policy in dict.fromkeys(pairs)),
    )


def _membership_urn(risk: UnionRisk, members: Mapping[str, Mapping[str, Resource]]) -> str | None:
    """The membership that puts the first user in a group supplying the risk."""
    held = members.get(risk.users[0], {})
    for group in risk.supplying_parts():
        if group in held:
            return held[group].urn or None
    return None


def escalation_only_through_unions(
    resources: Sequence[Resource],
    admin_roles: Iterable[str] = DEFAULT_ADMIN_ROLES,
    group_roles: Mapping[str, str] | None = None,
) -> list[Violation]:
    """A privilege-escalation path (cloudsplaining's list) that users have only through the
    union of their groups of several roles: an advisory, as ``validate``'s warning is."""
    risks, members = union_findings(resources, admin_roles, group_roles)
    violations: list[Violation] = []
    for risk in risks:
        if risk.admin:
            continue  # admin-access-only-in-admin-roles reports it
        pairs = [pair for p in risk.paths for a in p.actions for pair in p.sources[a]]
        who, via = _union_text(risk, pairs)
        methods = ", ".join(p.method for p in risk.paths[:3]) + (
            f" and {len(risk.paths) - 3} more" if len(risk.paths) > 3 else ""
        )
        violations.append(
            (
                f"{who} {'have' if len(risk.users) > 1 else 'has'} {len(risk.paths)} privilege-escalation path(s)"
                " only through the union of their groups,"
                f" which no one of their roles has: {methods}, through {via}",
                _membership_urn(risk, members),
            )
        )
    return violations


def guardrails_in_every_role(
    resources: Sequence[Resource],
    guardrails: Iterable[str] = DEFAULT_GUARDRAILS,
    group_roles: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Every role's groups carry guardrails that hold, judged by their documents: the MFA one
    denies everything but MFA self-service without MFA, the network one everything from
    outside the allowed networks. A policy called ``MFAForcePolicy`` whose document denies
    nothing is no guardrail; one from another account, whose document the stack does not
    hold, is not judged and so does not count."""
    kinds = [k for k in guardrails if k in GUARDRAIL_KINDS]
    model, roles, attachments = stack_model(resources, group_roles)
    violations: list[Violation] = []
    for role, groups in roles.items():
        first = next((g for g in groups if g in attachments), None)
        where = (
            attachments[first][0].urn
            if first
            else next((r.urn for r in resources if r.type == GROUP and r.props.get("name") in groups), "")
        )
        states = model.role(role).guardrails
        for kind in kinds:
            state = states[kind]
            if not state.present:
                violations.append(
                    (
                        f"role {role}: no policy of its groups ({', '.join(groups)}) is {GUARDRAIL_KINDS[kind]}",
                        where or None,
                    )
                )
            elif state.gaps:
                examples = ", ".join(model.catalog.names_of(state.gaps)[:3])
                violations.append(
                    (
                        f"role {role}: its {'MFA' if kind == 'mfa' else kind} guardrail ({', '.join(state.policies)})"
                        f" leaves {state.gaps.bit_count()} action(s) undenied (e.g. {examples}):"
                        " a guardrail is judged by its document, not its name",
                        where or None,
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
