"""The access model: for every role and every user of a desired state, what IAM would let
them do, judged at the level IAM itself decides (actions, resources, conditions, denies).

A user's access is the union over every group of every role they hold (a bundle's groups
included); an explicit deny in any of those groups applies to all of it. Risk classes are
judged on that union, so a privilege-escalation path split over two roles is still found.

What the model does not see (and says so in the README): service control policies,
permission boundaries, resource-based policies, session policies, and policies given as
an ARN from another account (reported as ``unmodelled``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from ..desired import CustomPolicy, DesiredState, PolicyRef, Role, User
from .catalog import ActionCatalog, RiskData, load_action_catalog, load_managed_documents, load_risks
from .policies import PolicyAccess, compile_policy
from .precompiled import load_shipped_access

ADMIN_COVERAGE = 0.99  # share of the catalog allowed on every resource, with every permissions-management action
NEAR_ADMIN_COVERAGE = 0.90  # PowerUserAccess: every service but IAM, Organizations and Account
# What a user must be able to do without MFA to sign in and enrol a device (the AWS
# documentation's "Allows MFA-authenticated IAM users to manage their own credentials").
MFA_SELF_SERVICE = (
    "iam:ChangePassword",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetAccountPasswordPolicy",
    "iam:GetUser",
    "iam:GetMFADevice",
    "iam:ListMFADevices",
    "iam:ListUsers",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "sts:GetSessionToken",
)
RISK_ORDER = (
    "admin-equivalent",
    "near-admin",
    "privilege-escalation",
    "permissions-management",
    "credentials-exposure",
    "data-exfiltration",
    "infrastructure-modification",
)


@dataclass(frozen=True)
class Grant:
    """One policy a principal holds, and the role that gives it."""

    role: str
    policy: str
    access: PolicyAccess


class Sums(NamedTuple):
    """The unions over a principal's grants, before its denies apply: computed once per role
    and combined per user (a user's union is the union of their roles' unions)."""

    allow: int
    broad: int
    unconditional: int
    deny: int
    limits: int
    unknown: tuple[str, ...]

    @classmethod
    def of(cls, grants: Iterable[Grant]) -> Sums:
        return cls.combined(grant.access for grant in grants)

    @classmethod
    def combined(cls, parts: Iterable[Sums | PolicyAccess]) -> Sums:
        """The union of roles' sums, or of policies' accesses (both carry the same five sets)."""
        allow = broad = unconditional = deny = limits = 0
        unknown: set[str] = set()
        for part in parts:
            allow |= part.allow
            broad |= part.broad
            unconditional |= part.unconditional
            deny |= part.deny
            limits |= part.limits
            unknown.update(part.unknown)
        return cls(allow, broad, unconditional, deny, limits, tuple(sorted(unknown)))


@dataclass(frozen=True)
class EscalationPath:
    method: str  # cloudsplaining's name, e.g. CreateEC2WithExistingIP
    actions: tuple[str, ...]
    bits: tuple[int, ...]  # each action's bit
    holder: Access = field(repr=False, compare=False)

    @cached_property
    def sources(self) -> Mapping[str, tuple[tuple[str, str], ...]]:
        """Action -> ((role, policy), ...) that allow it on all resources; only computed when a
        report names them (most principals' paths are only counted)."""
        return {a: self.holder.sources(b, broad=True) for a, b in zip(self.actions, self.bits, strict=True)}


@dataclass(frozen=True)
class GuardrailState:
    kind: str  # "mfa" or "network"
    present: bool
    denied: int  # actions denied under the guardrail's condition
    gaps: int  # actions that should be denied but are not
    policies: tuple[str, ...]

    @property
    def holds(self) -> bool:
        return self.present and not self.gaps


class Access:
    """The effective access of one principal (a role, or a user over all their roles)."""

    def __init__(self, name: str, kind: str, grants: tuple[Grant, ...], model: AccessModel, sums: Sums | None = None):
        self.name = name
        self.kind = kind  # "role" or "user"
        self.grants = grants
        self.model = model
        allow, broad, unconditional, deny, limits, unknown = sums or Sums.of(grants)
        self.hard_deny = deny
        self.allowed = allow & ~deny
        self.broad = broad & ~deny
        self.unconditional = unconditional & ~deny
        self.limited = limits
        self.unknown = unknown
        self._all = model.catalog.all

    # --- who gives what ---------------------------------------------------------
    def sources(self, bits: int, *, broad: bool = False) -> tuple[tuple[str, str], ...]:
        """(role, policy) pairs whose allows cover any of ``bits``."""
        found = []
        for grant in self.grants:
            if bits & (grant.access.broad if broad else grant.access.allow) and (grant.role, grant.policy) not in found:
                found.append((grant.role, grant.policy))
        return tuple(found)

    # --- risk classes ---------------------------------------------------------------
    @cached_property
    def admin_equivalent(self) -> bool:
        return covers_admin(self.model.catalog, self.broad)

    def admin_sources(self) -> tuple[str, ...]:
        """The fewest policies (largest first) whose allows on all resources together make
        the principal admin-equivalent: ``AdministratorAccess``, or ``PowerUserAccess`` with
        ``IAMFullAccess``. Empty when it is not admin-equivalent."""
        return tuple(dict.fromkeys(g.policy for g in self.admin_grants()))

    def admin_grants(self) -> tuple[Grant, ...]:
        """The grants behind ``admin_sources``, each with the role that gives it: chosen largest
        first, then those the others make unnecessary left out (``NotAction: iam:*`` with
        ``iam:*``, not also the policy that happened to add a few IAM actions on the way)."""
        if not self.admin_equivalent:
            return ()
        catalog = self.model.catalog
        chosen: list[Grant] = []
        union = 0
        for grant in sorted(self.grants, key=lambda g: -g.access.broad.bit_count()):
            if grant.access.broad & ~union & ~self.hard_deny:
                chosen.append(grant)
                union |= grant.access.broad
                if covers_admin(catalog, union & ~self.hard_deny):
                    break
        for grant in chosen[-2::-1]:  # the last one added is needed: without it the others fell short
            rest = _union(g.access.broad for g in chosen if g is not grant)
            if covers_admin(catalog, rest & ~self.hard_deny):
                chosen.remove(grant)
        return tuple(chosen)

    @cached_property
    def near_admin(self) -> bool:
        return not self.admin_equivalent and self.broad.bit_count() >= NEAR_ADMIN_COVERAGE * len(self.model.catalog)

    @cached_property
    def escalation_paths(self) -> tuple[EscalationPath, ...]:
        paths = []
        for method, actions, bits, combined in self.model.escalation_masks:
            if combined & self.broad == combined:
                paths.append(EscalationPath(method, actions, tuple(bits), self))
        return tuple(paths)

    @cached_property
    def risks(self) -> dict[str, int]:
        """Risk class -> the actions behind it (bitset); only classes that apply."""
        catalog, data = self.model.catalog, self.model.risks
        found: dict[str, int] = {}
        if self.admin_equivalent:
            found["admin-equivalent"] = self.broad
        elif self.near_admin:
            found["near-admin"] = self.broad
        if self.escalation_paths:
            found["privilege-escalation"] = catalog.mask(a for p in self.escalation_paths for a in p.actions)
        for name, bits in (
            ("permissions-management", catalog.level_masks["Permissions management"]),
            ("credentials-exposure", data.credentials_exposure),
            ("data-exfiltration", data.data_exfiltration),
            ("infrastructure-modification", catalog.level_masks["Write"]),
        ):
            if self.broad & bits:
                found[name] = self.broad & bits
        return found

    # --- guardrails -------------------------------------------------------------------
    @cached_property
    def guardrails(self) -> dict[str, GuardrailState]:
        catalog = self.model.catalog
        states = {}
        for kind in ("mfa", "network"):
            hits = [(g.policy, r) for g in self.grants for r in g.access.guardrails if r.kind == kind]
            denied = _union(r.denies for _, r in hits)
            should = catalog.all & ~self.model.mfa_self_service if kind == "mfa" else catalog.all
            policies = tuple(dict.fromkeys(p for p, _ in hits))
            states[kind] = GuardrailState(kind, bool(hits), denied, should & ~denied if hits else should, policies)
        return states

    # --- summaries --------------------------------------------------------------------
    def service_levels(self) -> dict[str, dict[str, int]]:
        """Service prefix -> access level -> number of actions allowed."""
        catalog = self.model.catalog
        return {
            prefix: catalog.level_counts(self.allowed & service.mask)
            for prefix, service in catalog.services.items()
            if self.allowed & service.mask
        }

    def to_dict(self) -> dict[str, Any]:
        catalog = self.model.catalog
        risks = {}
        for name, bits in self.risks.items():
            entry: dict[str, Any] = {"actions": bits.bit_count()}
            if name == "privilege-escalation":
                entry["paths"] = [
                    {
                        "method": p.method,
                        "actions": list(p.actions),
                        "via": {a: [{"role": r, "policy": pol} for r, pol in s] for a, s in p.sources.items()},
                    }
                    for p in self.escalation_paths
                ]
            elif bits.bit_count() <= 50:
                entry["examples"] = catalog.names_of(bits)
            else:
                entry["examples"] = catalog.names_of(bits)[:20]
            risks[name] = entry
        return {
            "name": self.name,
            "kind": self.kind,
            "actions": {
                "allowed": self.allowed.bit_count(),
                "on_all_resources": self.broad.bit_count(),
                "catalog": len(catalog),
            },
            "access_levels": catalog.level_counts(self.allowed),
            "services": self.service_levels(),
            "risks": risks,
            "guardrails": {
                kind: {
                    "present": g.present,
                    "holds": g.holds,
                    "denies": g.denied.bit_count(),
                    "gaps": g.gaps.bit_count() if g.present else None,
                    "policies": list(g.policies),
                }
                for kind, g in self.guardrails.items()
            },
            "policies": [{"role": g.role, "policy": g.policy} for g in self.grants],
            "unknown_actions": list(self.unknown),
            "unmodelled_policies": sorted(self.model.unmodelled_for(self)),
        }


def covers_admin(catalog: ActionCatalog, broad: int) -> bool:
    """Admin-equivalent: every permissions-management action and nearly all the catalog on all resources."""
    missing = catalog.all & ~broad
    return not missing & catalog.level_masks["Permissions management"] and broad.bit_count() >= ADMIN_COVERAGE * len(
        catalog
    )


def _union(values: Iterable[int]) -> int:
    found = 0
    for value in values:
        found |= value
    return found


@dataclass
class AccessModel:
    """Every role's and user's access: for a desired state (``build_model``), or for the
    planned roles and users while the compiler validates them."""

    roles: tuple[Role, ...]
    users: tuple[User, ...]
    catalog: ActionCatalog
    risks: RiskData
    documents: Mapping[str, Mapping[str, Any]] = field(repr=False, default_factory=dict)  # policy name -> document
    policies: dict[str, PolicyAccess] = field(default_factory=dict)
    unmodelled: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.mfa_self_service = self.catalog.mask(MFA_SELF_SERVICE)
        # (method, actions, each action's bit, all of them); a method naming an action the catalog lacks never applies
        self.escalation_masks = []
        for method, actions in self.risks.privilege_escalation.items():
            bits = [self.catalog.bit(a) for a in actions]
            if all(bits):
                self.escalation_masks.append((method, actions, bits, _union(bits)))
        self._roles: dict[str, Access] = {}
        self._users: dict[str, Access] = {}
        self._role_sums: dict[str, Sums] = {}
        self._role_grants = {role.name: tuple(self._grants(role.name, role.policies)) for role in self.roles}
        self._user_roles = {user.name: user.roles for user in self.users}

    def _grants(self, role: str, refs: Iterable[PolicyRef]) -> Iterable[Grant]:
        for ref in refs:
            access = self.policy(ref.name, ref.kind)
            if access is not None:
                yield Grant(role, ref.name, access)

    def policy(self, name: str, kind: str = "custom") -> PolicyAccess | None:
        """The compiled access of one policy: its document's, or for an AWS managed policy
        without a document given, the shipped snapshot's precompiled one."""
        access = self.policies.get(name)
        if access is None:
            document = self.documents.get(name)
            if document is not None:
                access = _compiled(name, document, self.catalog)
            elif kind == "aws":
                access = shipped_access(name, self.catalog)
            if access is None:
                self.unmodelled.add(name)
                return None
            self.policies[name] = access
        return access

    def role_sums(self, role: str) -> Sums:
        """The unions over one role's grants, before its denies apply (a role the model does
        not know has none)."""
        found = self._role_sums.get(role)
        if found is None:
            found = self._role_sums[role] = Sums.of(self._role_grants.get(role, ()))
        return found

    def unmodelled_for(self, access: Access) -> set[str]:
        roles = {access.name} if access.kind == "role" else set(self._user_roles.get(access.name, ()))
        return {p.name for r in self.roles if r.name in roles for p in r.policies if p.name in self.unmodelled}

    def role(self, name: str) -> Access:
        found = self._roles.get(name)
        if found is None:
            found = self._roles[name] = Access(name, "role", self._role_grants[name], self, self.role_sums(name))
        return found

    def user(self, name: str) -> Access:
        found = self._users.get(name)
        if found is None:
            roles = self._user_roles[name]
            grants = self.grants_of(roles)
            sums = self.role_sums(roles[0]) if len(roles) == 1 else Sums.combined(self.role_sums(r) for r in roles)
            found = self._users[name] = Access(name, "user", grants, self, sums)
        return found

    def grants_of(self, roles: Iterable[str]) -> tuple[Grant, ...]:
        """Every grant of ``roles``, in their order: a user's grants are their roles'."""
        return tuple(g for role in roles for g in self._role_grants.get(role, ()))

    def combination(self, roles: Iterable[str]) -> Access:
        """The access of anyone who holds exactly ``roles``: a user's union without naming the
        user, so a rule judges each distinct role combination once however many users share it."""
        roles = tuple(roles)
        if len(roles) == 1:
            return self.role(roles[0])
        grants = self.grants_of(roles)
        return Access(" + ".join(roles), "user", grants, self, Sums.combined(self.role_sums(r) for r in roles))

    def roles_of(self, user: str) -> tuple[str, ...]:
        return tuple(self._user_roles[user])

    @property
    def role_names(self) -> list[str]:
        return list(self._role_grants)

    @property
    def user_names(self) -> list[str]:
        return list(self._user_roles)


_COMPILED: dict[tuple[str, int], tuple[Mapping[str, Any], PolicyAccess]] = {}


def _compiled(name: str, document: Mapping[str, Any], catalog: ActionCatalog) -> PolicyAccess:
    """One compile per document object: the shipped managed documents are shared by every
    model of a process (both sides of a diff, every stack of a benchmark)."""
    key = (name, id(document))
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is document:
        return hit[1]
    access = compile_policy(name, document, catalog)
    if len(_COMPILED) < 8192:
        _COMPILED[key] = (document, access)
    return access


def documents_of(
    roles: Iterable[Role], policies: Iterable[CustomPolicy], managed: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Mapping[str, Any]]:
    """Policy name -> document for every policy the roles get: custom ones from
    ``policies/``, AWS managed ones from ``managed`` when given (else the model takes the
    shipped snapshot's, precompiled: ``shipped_access``)."""
    found: dict[str, Mapping[str, Any]] = {}
    custom = {p.name: p.document for p in policies}
    for role in roles:
        for ref in role.policies:
            if ref.kind == "custom" and ref.name in custom:
                found[ref.name] = custom[ref.name]
            elif ref.kind == "aws" and managed is not None and ref.name in managed:
                found[ref.name] = managed[ref.name]
    return found


def shipped_access(name: str, catalog: ActionCatalog) -> PolicyAccess | None:
    """An AWS managed policy as the shipped snapshot writes it: precompiled when the shipped
    data matches (``precompiled``), else compiled from the snapshot's document."""
    if catalog is load_action_catalog():
        found = load_shipped_access().get(name)
        if found is not None:
            return found
    document = load_managed_documents().get(name)
    return None if document is None else _compiled(name, document, catalog)


def build_model(state: DesiredState, documents: Mapping[str, Mapping[str, Any]] | None = None) -> AccessModel:
    """The access model of a compiled desired state (documents: see ``documents_of``)."""
    return model_of(state.roles, state.users, state.policies, documents)


def model_of(
    roles: Iterable[Role],
    users: Iterable[User],
    policies: Iterable[CustomPolicy],
    documents: Mapping[str, Mapping[str, Any]] | None = None,
) -> AccessModel:
    roles, users, policies = tuple(roles), tuple(users), tuple(policies)
    if documents is not None:
        return AccessModel(roles, users, load_action_catalog(), load_risks(), documents)
    # validate builds the model of the planned roles; a command then asks for the model of the
    # state: the same roles and users (equal values; the state derives its roles anew) and the
    # same documents (by identity: the entry holds the policies, so their ids stay theirs)
    key = (roles, users, frozenset((p.name, id(p.document)) for p in policies))
    for held, model in _BUILT:
        if held[0] == key:
            return model
    model = AccessModel(roles, users, load_action_catalog(), load_risks(), documents_of(roles, policies))
    _BUILT.insert(0, ((key, roles, users, policies), model))
    del _BUILT[2:]  # both sides of a diff
    return model


_BUILT: list[tuple[tuple[Any, ...], AccessModel]] = []
