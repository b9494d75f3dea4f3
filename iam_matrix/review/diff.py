"""Compare two desired states the way a reviewer thinks about access.

A pure function of two ``Revision``s (a compiled ``DesiredState`` plus the two config
values a reviewer cares about that the state does not carry: ``adminRoles`` and
``allowedCidrs``). No git, no files: the tests build states in memory and compare them.

"Effective" policies of a user are the union of the policies of all their roles; which
group of a bundle holds a policy changes nothing about access, so it is never reported
as a policy change (a bundle split or merge is reported on its own).

Escalations come from the access model (``iam_matrix.access``), never from policy names:
what a policy allows is read from its document, custom or AWS managed.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import password_policy
from ..access.changes import delta, gains, weakened
from ..access.model import AccessModel, build_model
from ..catalog import ADMIN_POLICY_NAME
from ..desired import CustomPolicy, DesiredState, Role, User
from ..password_policy import PasswordPolicy
from ..policy_documents import source_ip_allow_list
from .deploy import DeployNote, deploy_notes

# Escalation kinds, most serious first: the report lists them in this order.
ESCALATION_ORDER = (
    "admin",  # a user becomes admin-equivalent (all actions on all resources, however written)
    "admin-outside-admin-roles",  # a role not in adminRoles is admin-equivalent
    "admin-roles",  # adminRoles config gains a role
    "near-admin",  # a user gets all services but a few (PowerUserAccess and the like)
    "privilege-escalation",  # a user gains a known escalation path (cloudsplaining's list), judged on all their roles
    "permissions-management",  # a user gains permissions-management actions on all resources
    "credentials-exposure",  # a user gains actions that return credentials
    "mfa-dropped",  # a user's MFA requirement is removed
    "mfa-not-required",  # a new user is not required to use MFA
    "mfa-enforcement-dropped",  # a role's MFA guardrail denies less than before (removed or edited)
    "cidr-added",  # a network is added to the allow-list
    "ip-restriction-dropped",  # a role's network guardrail denies less than before (removed or edited)
    "password-weakened",  # the account password policy gets weaker
)


@dataclass(frozen=True)
class Revision:
    """One side of the comparison: a compiled state and the config it was compiled with."""

    state: DesiredState
    ref: str = ""
    admin_roles: tuple[str, ...] = ("Admin",)
    allowed_cidrs: tuple[str, ...] = ()
    max_user_removal_percent: int = 25  # maxUserRemovalPercent / confirmUserRemoval (review/safety.py)
    confirm_user_removal: bool = False
    quota: int = 10  # maxPoliciesPerGroup: how full a group of a bundle may get


@dataclass(frozen=True)
class Escalation:
    kind: str
    subject: str  # the user, role, policy or config key it is about
    message: str


@dataclass(frozen=True)
class UserSummary:
    name: str
    roles: tuple[str, ...]
    policies: tuple[str, ...]
    mfa_required: bool


@dataclass(frozen=True)
class UserChange:
    name: str
    roles_gained: tuple[str, ...] = ()
    roles_lost: tuple[str, ...] = ()
    policies_gained: tuple[str, ...] = ()
    policies_lost: tuple[str, ...] = ()
    mfa_before: bool | None = None  # set only when the MFA requirement changed
    mfa_after: bool | None = None
    via_roles: tuple[str, ...] = ()  # roles the user kept whose policies (or their documents) changed
    actions_gained: Mapping[str, int] = field(default_factory=dict)  # access level -> IAM actions gained
    actions_lost: Mapping[str, int] = field(default_factory=dict)
    services: tuple[str, ...] = ()  # services with an action gained or lost


@dataclass(frozen=True)
class RoleChange:
    name: str
    status: str  # "added", "removed" or "changed"
    policies_added: tuple[str, ...] = ()
    policies_removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class BundleChange:
    role: str
    groups_before: tuple[str, ...]
    groups_after: tuple[str, ...]

    @property
    def kind(self) -> str:
        return "split" if len(self.groups_after) > len(self.groups_before) else "merged"


@dataclass(frozen=True)
class DocumentChange:
    name: str
    status: str  # "added", "removed" or "changed"
    path_before: str | None
    path_after: str | None
    diff: str  # unified diff of the pretty-printed, key-sorted JSON documents


@dataclass(frozen=True)
class SettingChange:
    name: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AccessDiff:
    stack: str
    base_ref: str
    head_ref: str
    escalations: tuple[Escalation, ...] = ()
    users_added: tuple[UserSummary, ...] = ()
    users_removed: tuple[UserSummary, ...] = ()
    users_changed: tuple[UserChange, ...] = ()
    roles: tuple[RoleChange, ...] = ()
    bundles: tuple[BundleChange, ...] = ()
    documents: tuple[DocumentChange, ...] = ()
    settings: tuple[SettingChange, ...] = ()
    notes: tuple[str, ...] = field(default=())
    deploy: tuple[DeployNote, ...] = ()  # can one pulumi up apply it (review/deploy.py)

    @property
    def blocked(self) -> bool:
        return any(note.blocks for note in self.deploy)

    @property
    def empty(self) -> bool:
        """True when nothing that changes access (or the account's IAM settings) changed."""
        return not (
            self.escalations
            or self.users_added
            or self.users_removed
            or self.users_changed
            or self.roles
            or self.bundles
            or self.documents
            or self.settings
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["bundles"] = [{**asdict(b), "kind": b.kind} for b in self.bundles]
        data["no_change"] = self.empty
        return data


# --- helpers -------------------------------------------------------------------


def _sorted(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(items), key=str.lower))


def _by_name(items: Iterable[Any]) -> dict[str, Any]:
    return {item.name: item for item in items}


class _Facts:
    """What one revision says, indexed for the comparison."""

    def __init__(self, revision: Revision):
        state = revision.state
        self.revision = revision
        self.users: dict[str, User] = _by_name(state.users)
        self.roles: dict[str, Role] = _by_name(state.roles)
        self.custom: dict[str, CustomPolicy] = _by_name(state.policies)
        self.role_policies: dict[str, set[str]] = {r.name: {p.name for p in r.policies} for r in state.roles}
        self.model: AccessModel = build_model(state)

    def effective(self, user: str) -> dict[str, list[str]]:
        """Policy name -> the roles (sorted) that give it to ``user``."""
        found: dict[str, list[str]] = {}
        for role in self.users[user].roles:
            for policy in sorted(self.role_policies.get(role, ()), key=str.lower):
                found.setdefault(policy, []).append(role)
        return found

    def cidrs(self) -> dict[str, str]:
        """Allowed network -> where it is allowed (config key or policy document)."""
        found = {cidr: "iam-matrix:allowedCidrs" for cidr in self.revision.allowed_cidrs}
        for name, policy in sorted(self.custom.items()):
            for cidr in source_ip_allow_list(policy.document) or ():
                found.setdefault(str(cidr), name)
        return found


# --- the comparison ------------------------------------------------------------


def diff_revisions(base: Revision, head: Revision) -> AccessDiff:
    """Everything that changes who may do what between ``base`` and ``head``."""
    old, new = _Facts(base), _Facts(head)
    escalations: list[Escalation] = []
    users_added, users_removed, users_changed = _user_changes(old, new, escalations)
    roles, bundles = _role_changes(base, head, old, new, escalations)
    escalations += _config_escalations(base, head, old, new)
    escalations.sort(key=lambda e: (ESCALATION_ORDER.index(e.kind), e.subject.lower()))
    return AccessDiff(
        stack=head.state.stack,
        base_ref=base.ref,
        head_ref=head.ref,
        escalations=tuple(escalations),
        users_added=tuple(users_added),
        users_removed=tuple(users_removed),
        users_changed=tuple(users_changed),
        roles=tuple(roles),
        bundles=tuple(bundles),
        documents=tuple(_document_changes(old.custom, new.custom)),
        settings=tuple(_setting_changes(base, head)),
        deploy=tuple(deploy_notes(base.state, head.state, head.quota)),
    )


def _user_changes(
    old: _Facts, new: _Facts, escalations: list[Escalation]
) -> tuple[list[UserSummary], list[UserSummary], list[UserChange]]:
    """Users added, removed and changed; their escalations go to ``escalations``."""
    changed_documents = _roles_with_changed_documents(old, new)
    users_added, users_removed, users_changed = [], [], []
    for name in sorted(set(new.users) | set(old.users), key=str.lower):
        if name not in old.users:
            user = new.users[name]
            users_added.append(UserSummary(name, user.roles, _sorted(new.effective(name)), user.mfa_required))
            _user_escalations(escalations, name, old, new, new_user=True)
            if not user.mfa_required:
                escalations.append(Escalation("mfa-not-required", name, f"new user {name} is not required to use MFA"))
        elif name not in new.users:
            user = old.users[name]
            users_removed.append(UserSummary(name, user.roles, _sorted(old.effective(name)), user.mfa_required))
        else:
            change = _user_change(name, old, new, changed_documents)
            if change is not None:
                users_changed.append(change)
            _user_escalations(escalations, name, old, new, new_user=False)
            if old.users[name].mfa_required and not new.users[name].mfa_required:
                escalations.append(Escalation("mfa-dropped", name, f"{name} is no longer required to use MFA"))
    return users_added, users_removed, users_changed


def _user_change(name: str, old: _Facts, new: _Facts, changed_documents: set[str]) -> UserChange | None:
    """How a user in both revisions changes; None when nothing about their access does."""
    before, after = old.users[name], new.users[name]
    eff_before, eff_after = old.effective(name), new.effective(name)
    mfa_changed = before.mfa_required != after.mfa_required
    change = UserChange(
        name,
        roles_gained=_sorted(set(after.roles) - set(before.roles)),
        roles_lost=_sorted(set(before.roles) - set(after.roles)),
        policies_gained=_sorted(set(eff_after) - set(eff_before)),
        policies_lost=_sorted(set(eff_before) - set(eff_after)),
        mfa_before=before.mfa_required if mfa_changed else None,
        mfa_after=after.mfa_required if mfa_changed else None,
        via_roles=_sorted(
            r
            for r in set(before.roles) & set(after.roles)
            if old.role_policies.get(r) != new.role_policies.get(r) or r in changed_documents
        ),
        **_action_counts(old, new, name),
    )
    changed = (
        change.roles_gained
        or change.roles_lost
        or change.policies_gained
        or change.policies_lost
        or change.mfa_before is not None
        or change.actions_gained
        or change.actions_lost
    )
    return change if changed else None


def _role_changes(
    base: Revision, head: Revision, old: _Facts, new: _Facts, escalations: list[Escalation]
) -> tuple[list[RoleChange], list[BundleChange]]:
    """Roles added, removed or given other policies, bundles that change size; the roles'
    escalations (admin outside adminRoles, weakened guardrails) go to ``escalations``."""
    roles: list[RoleChange] = []
    bundles: list[BundleChange] = []
    for name in sorted(set(new.roles) | set(old.roles), key=str.lower):
        before_policies = old.role_policies.get(name, set())
        after_policies = new.role_policies.get(name, set())
        status = "added" if name not in old.roles else "removed" if name not in new.roles else "changed"
        added, removed = _sorted(after_policies - before_policies), _sorted(before_policies - after_policies)
        if status != "changed" or added or removed:
            roles.append(RoleChange(name, status, added, removed))
        if status == "changed" and len(old.roles[name].groups) != len(new.roles[name].groups):
            bundles.append(BundleChange(name, old.roles[name].groups, new.roles[name].groups))
        if name not in new.roles:
            continue
        members = new.roles[name].members
        who = (
            f" ({len(members)} member{'s' if len(members) != 1 else ''}: {', '.join(members)})"
            if members
            else " (no members yet)"
        )
        escalations += _admin_outside_admin_roles(name, base, head, old, new, who)
        if status == "changed":
            escalations += _guardrail_escalations(name, old, new, who)
    return roles, bundles


def _admin_outside_admin_roles(
    name: str, base: Revision, head: Revision, old: _Facts, new: _Facts, who: str
) -> list[Escalation]:
    """A role that becomes admin-equivalent at head (or was allowed to be at base) while not in adminRoles."""
    access = new.model.role(name)
    was_admin = name in old.roles and old.model.role(name).admin_equivalent
    if name in head.admin_roles or not access.admin_equivalent or (was_admin and name not in base.admin_roles):
        return []
    supplying = ", ".join(
        g.policy for g in access.grants if g.access.broad.bit_count() * 2 > len(new.model.catalog)
    ) or ", ".join(g.policy for g in access.grants)
    return [
        Escalation(
            "admin-outside-admin-roles",
            name,
            f"role {name} is admin-equivalent (through {supplying}) but is not in "
            f"iam-matrix:adminRoles ({', '.join(head.admin_roles) or 'empty'}){who}",
        )
    ]


def _guardrail_escalations(name: str, old: _Facts, new: _Facts, who: str) -> list[Escalation]:
    """The MFA and network guardrails of a role that deny less at head than at base."""
    out: list[Escalation] = []
    guards_before, guards_after = old.model.role(name).guardrails, new.model.role(name).guardrails
    for kind, label, consequence in (
        ("mfa", "mfa-enforcement-dropped", "without MFA"),
        ("network", "ip-restriction-dropped", "from outside the allowed networks"),
    ):
        how = weakened(guards_before[kind], guards_after[kind], new.model.catalog)
        if how:
            message = f"role {name}: {how}, so requests {consequence} are allowed that were denied{who}"
            out.append(Escalation(label, name, message))
    return out


def _config_escalations(base: Revision, head: Revision, old: _Facts, new: _Facts) -> list[Escalation]:
    """Stack config that widens access: a role added to adminRoles, a network allowed, a weaker password policy."""
    out = [
        Escalation("admin-roles", role, f"iam-matrix:adminRoles now allows role {role} to carry {ADMIN_POLICY_NAME}")
        for role in sorted(set(head.admin_roles) - set(base.admin_roles), key=str.lower)
    ]
    old_cidrs, new_cidrs = old.cidrs(), new.cidrs()
    out += [
        Escalation("cidr-added", cidr, f"network {cidr} is added to the allow-list ({new_cidrs[cidr]})")
        for cidr in sorted(set(new_cidrs) - set(old_cidrs))
    ]
    weaker = _password_weakenings(base.state.password_policy, head.state.password_policy)
    if weaker:
        message = "the password policy gets weaker: " + "; ".join(weaker)
        out.append(Escalation("password-weakened", "password policy", message))
    return out


def diff_states(base: DesiredState, head: DesiredState, *, admin_roles: Iterable[str] = ("Admin",)) -> AccessDiff:
    """Shortcut for two states compiled with the same adminRoles and no CIDR config."""
    roles = tuple(admin_roles)
    return diff_revisions(Revision(base, "base", roles), Revision(head, "head", roles))


def _user_escalations(out: list[Escalation], user: str, old: _Facts, new: _Facts, *, new_user: bool) -> None:
    """Risk classes ``user`` has at head and did not have at base, judged on all their roles."""
    before = None if new_user else old.model.user(user)
    who = f"new user {user}" if new_user else user
    for gain in gains(before, new.model.user(user)):
        out.append(Escalation(gain.kind, user, f"{who} {gain.message}"))


def _action_counts(old: _Facts, new: _Facts, user: str) -> dict[str, Any]:
    """Gained and lost actions per access level, and the services touched."""
    change = delta(old.model.user(user), new.model.user(user), new.model.catalog)
    return {"actions_gained": change.gained, "actions_lost": change.lost, "services": change.services}


def _roles_with_changed_documents(old: _Facts, new: _Facts) -> set[str]:
    """Roles kept whose policies are the same but whose access changed with a document edit."""
    changed = {
        name for name in set(old.custom) & set(new.custom) if old.custom[name].document != new.custom[name].document
    }
    return {
        role
        for role, policies in new.role_policies.items()
        if policies & changed and role in old.roles and old.model.role(role).allowed != new.model.role(role).allowed
    }


def _setting_changes(base: Revision, head: Revision) -> list[SettingChange]:
    changes: list[SettingChange] = []
    old, new = base.state, head.state
    pairs: list[tuple[str, Any, Any]] = [
        ("adminRoles", list(base.admin_roles), list(head.admin_roles)),
        ("allowedCidrs", list(base.allowed_cidrs), list(head.allowed_cidrs)),
        ("account", old.account_id, new.account_id),
        ("manageUsers", old.manage_users, new.manage_users),
        ("userPath", old.user_path, new.user_path),
    ]
    pairs += [
        (f"password.{key}", value, getattr(new.password_policy, key))
        for key, value in old.password_policy.to_dict().items()
    ]
    baseline = new.audit_baseline.to_dict()
    pairs += [(f"auditBaseline.{key}", value, baseline[key]) for key, value in old.audit_baseline.to_dict().items()]
    for name, before, after in pairs:
        if before != after:
            changes.append(SettingChange(name, before, after))
    return changes


_WEAKER_WORDS = {"minimum_password_length": "minimum length", "password_reuse_prevention": "reuse prevention"}


def _password_weakenings(old: PasswordPolicy, new: PasswordPolicy) -> list[str]:
    """What got weaker, in words: which way is weaker comes from ``password_policy.FIELDS``."""
    weaker: list[str] = []
    for setting in password_policy.weakened(old, new):
        before, after = getattr(old, setting.attribute), getattr(new, setting.attribute)
        if setting.safer == "on":
            weaker.append(f"{setting.attribute.replace('_', ' ')} turned off")
        elif setting.safer == "shorter":
            weaker.append(f"max age {before or 'never'} -> {after or 'never'} days")
        else:
            weaker.append(
                f"{_WEAKER_WORDS.get(setting.attribute, setting.attribute.replace('_', ' '))} {before} -> {after}"
            )
    return weaker


def _pretty(document: Mapping[str, Any]) -> list[str]:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def _document_changes(old: Mapping[str, CustomPolicy], new: Mapping[str, CustomPolicy]) -> list[DocumentChange]:
    changes: list[DocumentChange] = []
    for name in sorted(set(old) | set(new), key=str.lower):
        before, after = old.get(name), new.get(name)
        if before is not None and after is not None and before.path == after.path and before.document == after.document:
            continue
        status = "added" if before is None else "removed" if after is None else "changed"
        lines = difflib.unified_diff(
            _pretty(before.document) if before else [],
            _pretty(after.document) if after else [],
            fromfile=f"a{before.path}{name}" if before else "/dev/null",
            tofile=f"b{after.path}{name}" if after else "/dev/null",
            lineterm="",
        )
        changes.append(
            DocumentChange(
                name, status, before.path if before else None, after.path if after else None, "\n".join(lines)
            )
        )
    return changes
