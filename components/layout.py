"""What the program registers for a desired state: types, logical names, parents and inputs.

Pure (no Pulumi): ``adopt`` writes its import file and lists what the first ``up`` still
changes from this, in milliseconds for thousands of users, instead of running the program
under Pulumi's mock runtime (``components.registered``, seconds per thousand resources).
The components take their logical names and type tokens from here, so the names are one
fact; ``tests/components/test_layout.py`` holds the whole list (inputs included) equal to
what the program registers under the mock runtime, for the example and an adopted account.

Not listed: the AuditBaseline's resources (``auditBaseline``), which adopt never imports;
``planned_resources`` says so in ``not_listed``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from iam_matrix.desired import CustomPolicy, DesiredState
from iam_matrix.project import PROJECT

from .common import TYPE_PREFIX, resource_tags

# the program's ComponentResources: type token and logical name
POLICIES = (f"{TYPE_PREFIX}CustomPolicies", "policies")
PASSWORD_POLICY = (f"{TYPE_PREFIX}PasswordPolicy", "password-policy")
USERS = (f"{TYPE_PREFIX}Users", "users")
GROUP_BUNDLE = f"{TYPE_PREFIX}GroupBundle"  # one per role, named after the role
AUDIT_BASELINE = (f"{TYPE_PREFIX}AuditBaseline", "audit")

# pulumi-aws type tokens of the resources the components create
POLICY = "aws:iam/policy:Policy"
ACCOUNT_PASSWORD_POLICY = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
USER = "aws:iam/user:User"
LOGIN_PROFILE = "aws:iam/userLoginProfile:UserLoginProfile"
GROUP = "aws:iam/group:Group"
MEMBERSHIP = "aws:iam/groupMembership:GroupMembership"
ATTACHMENTS = "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive"
INLINE_POLICIES = "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive"

LOGIN_IGNORED = ("pgpKey", "passwordResetRequired", "passwordLength")  # components.users says why
POLICY_IGNORED = ("description",)  # components.policies says why
DEFAULT_PASSWORD_LENGTH = 20  # the provider's default
MAX_PASSWORD_LENGTH = 128  # the provider accepts 5 to 128


def login_password_length(minimum_password_length: int) -> int:
    """The provider's default length, or the account's minimum when that is longer (IAM refuses
    a shorter password: PasswordPolicyViolation)."""
    return min(max(DEFAULT_PASSWORD_LENGTH, minimum_password_length), MAX_PASSWORD_LENGTH)


def membership_name(group: str) -> str:
    return f"{group}-members"


def attachments_name(group: str) -> str:
    return f"{group}-policies"


def inline_policies_name(group: str) -> str:
    return f"{group}-inline-policies"


def login_profile_name(user: str) -> str:
    return f"{user}-login"


def policy_document(policy: CustomPolicy) -> str:
    """The document exactly as the Policy resource is given it."""
    return json.dumps(policy.document, indent=2)


@dataclass(frozen=True)
class Planned:
    """One resource as the engine receives it (the fields ``adopt.import_plan`` reads)."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str  # the parent's URN ("" for the stack)
    inputs: dict[str, Any]
    ignore_changes: tuple[str, ...] = ()


@dataclass
class Layout:
    resources: list[Planned] = field(default_factory=list)
    not_listed: list[str] = field(default_factory=list)  # parts of the program the list leaves out, and why


def urn(stack: str, parent_type: str, type_: str, name: str) -> str:
    """The engine's URN: the parent's type chain (components are children of the stack) and the name."""
    chain = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{stack}::{PROJECT}::{chain}::{name}"


def planned_resources(state: DesiredState) -> Layout:
    """Every resource ``components.program.deploy(state)`` registers, components first
    and then their children, each in construction order. ``state`` must carry the account id
    (``with_account``): the ARNs in the inputs are the account's."""
    stack = state.stack
    layout = Layout()
    components: list[Planned] = []
    children: list[Planned] = []

    def component(type_: str, name: str) -> str:
        planned = Planned(urn(stack, "", type_, name), type_, name, False, "", {})
        components.append(planned)
        return planned.urn

    def child(parent: str, parent_type: str, type_: str, name: str, inputs: dict[str, Any], ignored=()) -> None:
        children.append(Planned(urn(stack, parent_type, type_, name), type_, name, True, parent, inputs, ignored))

    tags = dict(state.tags)
    parent = component(*POLICIES)
    arns: dict[str, str] = {}
    for policy in state.policies:
        arns[policy.name] = state.policy_arn(policy)
        inputs = {
            "name": policy.name,
            "path": policy.path,
            "description": policy.description,
            "policy": policy_document(policy),
            "tags": resource_tags(stack, policy.source, tags),
        }
        child(parent, POLICIES[0], POLICY, policy.name, inputs, POLICY_IGNORED)
    parent = component(*PASSWORD_POLICY)
    pp = state.password_policy
    child(
        parent,
        PASSWORD_POLICY[0],
        ACCOUNT_PASSWORD_POLICY,
        PASSWORD_POLICY[1],
        {
            "minimumPasswordLength": pp.minimum_password_length,
            "requireUppercaseCharacters": pp.require_uppercase_characters,
            "requireLowercaseCharacters": pp.require_lowercase_characters,
            "requireNumbers": pp.require_numbers,
            "requireSymbols": pp.require_symbols,
            "maxPasswordAge": pp.max_password_age,
            "passwordReusePrevention": pp.password_reuse_prevention,
            "allowUsersToChangePassword": pp.allow_users_to_change_password,
            "hardExpiry": pp.hard_expiry,
        },
    )
    if state.manage_users:
        parent = component(*USERS)
        console = state.deploy.console_access
        for user in state.users:
            inputs = {
                "name": user.name,
                "path": state.user_path,
                "forceDestroy": state.deploy.force_destroy_users,
                "tags": resource_tags(stack, user.source, tags),
            }
            child(parent, USERS[0], USER, user.name, inputs)
            if console:
                inputs = {
                    "user": user.name,
                    "passwordResetRequired": True,
                    "pgpKey": state.deploy.pgp_key,
                    "passwordLength": login_password_length(pp.minimum_password_length),
                }
                child(parent, USERS[0], LOGIN_PROFILE, login_profile_name(user.name), inputs, LOGIN_IGNORED)
    for role in state.roles:
        parent = component(GROUP_BUNDLE, role.name)
        mine = [state.group(name) for name in role.groups]  # as GroupBundleArgs.of
        for group in mine:
            child(parent, GROUP_BUNDLE, GROUP, group.name, {"name": group.name, "path": group.path})
            inputs = {"name": membership_name(group.name), "group": group.name, "users": list(role.members)}
            child(parent, GROUP_BUNDLE, MEMBERSHIP, membership_name(group.name), inputs)
        for group in mine:
            policy_arns = [arns[p.name] if p.kind == "custom" and p.name in arns else p.arn for p in group.policies]
            inputs = {"groupName": group.name, "policyArns": policy_arns}
            child(parent, GROUP_BUNDLE, ATTACHMENTS, attachments_name(group.name), inputs)
            inputs = {"groupName": group.name, "policyNames": []}
            child(parent, GROUP_BUNDLE, INLINE_POLICIES, inline_policies_name(group.name), inputs)
    if state.audit_baseline.enabled:
        component(*AUDIT_BASELINE)
        layout.not_listed.append(
            "the AuditBaseline's resources (CloudTrail, AWS Config, Access Analyzer): adopt does not import them; "
            "the first up creates them"
        )
    layout.resources = components + children
    return layout
