"""Risks a user has only through the union of their roles: two roles outside ``adminRoles``
that are each harmless alone (``NotAction: iam:*`` on ``*`` in one, ``iam:*`` in the other)
make their common members admin-equivalent, or complete a privilege-escalation path neither
role has (``iam:PassRole`` from one, ``ec2:RunInstances`` from the other).

``validate`` (``rules``) and the policy pack (``policy-pack/rules.py``) both ask this module,
so they cannot disagree. Each distinct combination of roles is judged once, however many
users share it: the cost grows with the number of combinations, not of users. Standard
library only (with ``model``), like ``attached``: the pack's virtualenv imports it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from .model import ADMIN_COVERAGE, Access, AccessModel, EscalationPath


@dataclass(frozen=True)
class UnionRisk:
    """One role combination whose union is riskier than each of its roles."""

    roles: tuple[str, ...]  # the roles combined, in name order
    parts: tuple[str, ...]  # the model's principals combined: roles (validate) or a stack's groups (the pack)
    users: tuple[str, ...]  # everyone who holds exactly this combination
    access: Access  # the union
    admin: bool  # admin-equivalent through the union, though no one role is
    paths: tuple[EscalationPath, ...]  # escalation paths of the union that no one role has (empty when admin)

    def admin_via(self) -> tuple[tuple[str, str], ...]:
        """(part, policy) pairs whose allows together make the union admin-equivalent."""
        return tuple(dict.fromkeys((g.role, g.policy) for g in self.access.admin_grants()))

    def supplying_parts(self) -> tuple[str, ...]:
        """The parts whose policies supply the risk (the admin grants, or the paths' actions)."""
        if self.admin:
            pairs = self.admin_via()
        else:
            pairs = tuple(pair for p in self.paths for a in p.actions for pair in p.sources[a])
        return tuple(dict.fromkeys(part for part, _ in pairs))


def union_risks(
    model: AccessModel, admin_roles: Collection[str], role_of: Mapping[str, str] | None = None
) -> list[UnionRisk]:
    """The role combinations held by the model's users that are admin-equivalent, or have a
    privilege-escalation path, only through their union.

    ``role_of`` maps a principal of the model to its role (the pack models each group, so a
    bundle's groups count as one role); by default each principal is a role. A combination
    with a role in ``admin_roles`` is fine (its users are meant to administer the account),
    and so is one with a role that is admin-equivalent alone (that role is the problem, and
    its own rule reports it)."""
    role_of = role_of or {}
    admins = set(admin_roles)
    known = set(model.role_names)
    combinations: dict[tuple[str, ...], list[str]] = {}
    for user in model.users:
        parts = tuple(sorted({p for p in user.roles if p in known}))
        combinations.setdefault(parts, []).append(user.name)
    compact = _Compact(model)
    alone: dict[tuple[str, ...], _Alone] = {}  # a role's parts -> their access (shared across combinations)
    found: list[UnionRisk] = []
    for parts, users in combinations.items():
        by_role: dict[str, list[str]] = {}
        for part in parts:
            by_role.setdefault(role_of.get(part, part), []).append(part)
        if len(by_role) < 2 or admins & by_role.keys():
            continue
        each = []
        for held in by_role.values():
            key = tuple(held)
            if key not in alone:
                alone[key] = compact.alone(model.combination(key))
            each.append(alone[key])
        if any(a.access.admin_equivalent for a in each):
            continue
        # cheap tests first, on the escalation actions only: most combinations add nothing
        maybe_admin = sum(a.size for a in each) >= ADMIN_COVERAGE * len(model.catalog)
        held_bits = _union(a.broad for a in each) & ~_union(a.deny for a in each)
        if not maybe_admin and any(not held_bits & ~a.broad for a in each):
            continue  # one role alone holds every escalation action the union holds
        had = set().union(*(a.methods for a in each))
        new = [method for method, mask in compact.methods if mask & held_bits == mask and method not in had]
        if not (new or maybe_admin):
            continue
        union = model.combination(parts)
        roles = tuple(sorted(by_role, key=str.lower))
        if union.admin_equivalent:
            found.append(UnionRisk(roles, parts, tuple(users), union, True, ()))
            continue
        paths = tuple(p for p in union.escalation_paths if p.method not in had)
        if paths:
            found.append(UnionRisk(roles, parts, tuple(users), union, False, paths))
    found.sort(key=lambda r: (not r.admin, [n.lower() for n in r.roles]))
    return found


class _Alone(NamedTuple):
    access: Access
    methods: frozenset[str]  # its escalation paths
    broad: int  # its allows on all resources, after its denies, over the escalation actions only (``_Compact``)
    deny: int  # its explicit denies, over the escalation actions only
    size: int  # how many actions it allows on all resources


class _Compact:
    """The escalation actions renumbered from 0, so a combination's paths are tested on ints of
    a few dozen bits rather than on the catalog's (about 20,000). The union's allows on all
    resources are the roles' own ones less every role's denies, so they are computed per role:
    the result is the model's (``Access.escalation_paths``), which reports what is found."""

    def __init__(self, model: AccessModel):
        self.bits = list(dict.fromkeys(bit for _, _, bits, _ in model.escalation_masks for bit in bits))
        position = {bit: index for index, bit in enumerate(self.bits)}
        self.methods = [
            (method, _union(1 << position[bit] for bit in bits)) for method, _, bits, _ in model.escalation_masks
        ]

    def project(self, value: int) -> int:
        return _union(1 << index for index, bit in enumerate(self.bits) if value & bit)

    def alone(self, access: Access) -> _Alone:
        methods = frozenset(p.method for p in access.escalation_paths)
        return _Alone(
            access, methods, self.project(access.broad), self.project(access.hard_deny), access.broad.bit_count()
        )


def _union(values: Iterable[int]) -> int:
    found = 0
    for value in values:
        found |= value
    return found
