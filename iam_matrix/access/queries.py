"""Questions asked of the access model: who can do an action, what one principal can do."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from .catalog import ActionCatalog
from .model import AccessModel, Grant


@dataclass(frozen=True)
class Holder:
    name: str
    via: tuple[tuple[str, str], ...]  # (role, policy)
    conditional: bool  # every matching allow is conditional, or a conditional/scoped deny limits it
    actions: tuple[str, ...]
    limited_by: tuple[str, ...]  # policies whose conditional or guardrail denies cover the actions


@dataclass(frozen=True)
class WhoCan:
    action: str
    resource: str | None
    actions: tuple[str, ...]  # the catalog actions the pattern matches
    holders: tuple[Holder, ...]
    suggestion: str | None = None  # when the pattern matches no catalog action

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "resource": self.resource,
            "matched_actions": len(self.actions),
            "suggestion": self.suggestion,
            "users": [
                {
                    "name": h.name,
                    "via": [{"role": r, "policy": p} for r, p in h.via],
                    "conditional": h.conditional,
                    "actions": list(h.actions),
                    "limited_by": list(h.limited_by),
                }
                for h in self.holders
            ],
        }


def _grant_bits(grant: Grant, bits: int, resource: str | None) -> tuple[int, int, int, int, bool]:
    """Among ``bits``, for one grant: (allowed, allowed without condition, denied outright,
    limited by a conditional or partial deny, whether an MFA/network guardrail covers them)."""
    access = grant.access
    if resource is None:
        guarded = any(g.denies & bits for g in access.guardrails)
        return access.allow & bits, access.unconditional & bits, access.deny & bits, access.limits & bits, guarded
    allowed = unconditional = denied = limited = 0
    guarded = False
    for statement in access.statements:
        hit = statement.actions & bits
        if not hit or not statement.applies_to(resource):
            continue
        if statement.effect == "Allow":
            allowed |= hit
            if not statement.conditional:
                unconditional |= hit
        elif statement.guardrail:
            guarded = True
        elif statement.conditional or statement.not_resource:
            limited |= hit
        else:
            denied |= hit
    return allowed, unconditional, denied, limited, guarded


def who_can(model: AccessModel, action: str, resource: str | None = None) -> WhoCan:
    """Every user who may perform ``action`` (a wildcard like ``iam:Pass*`` allowed).

    ``conditional`` is true when none of the matching actions is allowed without a condition
    and free of conditional or partial denies; the MFA and network guardrails that apply to
    everyone are named in ``limited_by`` but do not make an allow conditional.

    Only the matching bits are looked at: each role's allows and denies among them first, so
    a user is only looked at in detail when their roles allow one of the actions."""
    catalog = model.catalog
    bits = catalog.expand(action)
    holders = []
    per_policy: dict[int, tuple[int, int, int, int, bool]] = {}  # one look at each policy, not each user's copy
    per_role = {name: _role_parts(model, name, bits, resource, per_policy) for name in model.role_names}
    per_roles: dict[tuple[str, ...], Holder | None] = {}  # users with the same roles hold it the same way
    names_of: dict[int, tuple[str, ...]] = {}  # most holders hold the same actions
    for name in model.user_names if bits else ():
        roles = model.roles_of(name)
        if roles not in per_roles:
            per_roles[roles] = _holder(catalog, [per_role.get(role, _NOTHING) for role in roles], names_of)
        found = per_roles[roles]
        if found is not None:
            holders.append(Holder(name, found.via, found.conditional, found.actions, found.limited_by))
    return WhoCan(
        action, resource, tuple(catalog.names_of(bits)), tuple(holders), None if bits else catalog.suggest(action)
    )


class _RoleParts(NamedTuple):
    """One role's grants that touch the matching actions, each with ``_grant_bits``."""

    allowed: int
    denied: int
    parts: tuple[tuple[Grant, int, int, int, int, bool], ...]


_NOTHING = _RoleParts(0, 0, ())


def _role_parts(
    model: AccessModel,
    role: str,
    bits: int,
    resource: str | None,
    per_policy: dict[int, tuple[int, int, int, int, bool]],
) -> _RoleParts:
    sums = model.role_sums(role)
    parts = []
    for grant in model.grants_of((role,)):
        key = id(grant.access)
        if key not in per_policy:
            per_policy[key] = _grant_bits(grant, bits, resource)
        if any(per_policy[key]):
            parts.append((grant, *per_policy[key]))
    return _RoleParts(sums.allow & bits, sums.deny & bits, tuple(parts))


def _holder(catalog: ActionCatalog, roles: list[_RoleParts], names_of: dict[int, tuple[str, ...]]) -> Holder | None:
    """How a user whose roles give ``roles`` holds the matching actions, or None when they
    do not (a deny in any role covers the whole union)."""
    allowed = denied = 0
    for role in roles:
        allowed |= role.allowed
        denied |= role.denied
    if not allowed & ~denied:
        return None
    parts = [part for role in roles for part in role.parts]
    denied = allowed = unconditional = limited = 0
    for _, _, _, grant_denied, _, _ in parts:
        denied |= grant_denied
    via: list[tuple[str, str]] = []
    limiting: list[str] = []
    for grant, grant_allowed, grant_unconditional, _, grant_limited, guarded in parts:
        if grant_allowed & ~denied and (grant.role, grant.policy) not in via:
            via.append((grant.role, grant.policy))
        allowed |= grant_allowed
        unconditional |= grant_unconditional
        limited |= grant_limited
        if (grant_limited or guarded) and grant.policy not in limiting:
            limiting.append(grant.policy)
    allowed &= ~denied
    if not allowed:
        return None
    free = allowed & unconditional & ~limited
    names = names_of.get(allowed)
    if names is None:
        names = names_of[allowed] = tuple(catalog.names_of(allowed))
    return Holder("", tuple(via), not free, names, tuple(limiting))


def who_can_json(result: WhoCan) -> str:
    """``who-can --format json``: one user per line, so thousands of users stay readable
    with grep and cheap to write (one compact ``json.dumps`` per user)."""
    data = result.to_dict()
    users = data.pop("users")
    head = json.dumps(data, ensure_ascii=False)[:-1]
    if not users:
        return head + ', "users": []}\n'
    lines = ",\n".join("  " + json.dumps(user, ensure_ascii=False) for user in users)
    return head + ', "users": [\n' + lines + "\n]}\n"


def who_can_text(result: WhoCan) -> str:
    if not result.actions:
        hint = f" (did you mean {result.suggestion}?)" if result.suggestion else ""
        return f"{result.action} matches no IAM action in the catalog{hint}\n"
    where = f" on {result.resource}" if result.resource else ""
    shown = ", ".join(result.actions[:5]) + (f" and {len(result.actions) - 5} more" if len(result.actions) > 5 else "")
    lines = [f"{result.action}{where} ({shown}): {len(result.holders)} user(s)"]
    for holder in result.holders:
        via = "; ".join(f"{policy} (role {role})" for role, policy in holder.via)
        flag = " [conditional]" if holder.conditional else ""
        limits = f"; limited by {', '.join(holder.limited_by)}" if holder.limited_by else ""
        lines.append(f"  {holder.name}{flag}: via {via}{limits}")
    return "\n".join(lines) + "\n"


def access_text(data: dict[str, Any]) -> str:
    """``access USER_OR_ROLE`` as text, from ``Access.to_dict()``."""
    counts = data["actions"]
    lines = [
        f"{data['kind']} {data['name']}: {counts['allowed']} of {counts['catalog']} "
        f"IAM actions allowed ({counts['on_all_resources']} on all resources)"
    ]
    levels = ", ".join(f"{level} {count}" for level, count in data["access_levels"].items())
    lines.append(f"access levels: {levels or 'none'}")
    lines.append("risk classes:")
    for name, risk in data["risks"].items():
        if name == "privilege-escalation":
            lines.append(f"  {name}: {len(risk['paths'])} path(s)")
            for path in risk["paths"]:
                via = "; ".join(
                    f"{a} via {', '.join(s['policy'] + ' (' + s['role'] + ')' for s in sources)}"
                    for a, sources in path["via"].items()
                )
                lines.append(f"    {path['method']}: {via}")
        else:
            examples = ", ".join(risk["examples"][:8])
            more = f" and {risk['actions'] - 8} more" if risk["actions"] > 8 else ""
            lines.append(f"  {name}: {risk['actions']} action(s): {examples}{more}")
    if not data["risks"]:
        lines.append("  none")
    lines.append("guardrails:")
    for kind, guard in data["guardrails"].items():
        label = {
            "mfa": "MFA (denies everything but MFA self-service without MFA)",
            "network": "network (denies everything from outside the allowed networks)",
        }[kind]
        if not guard["present"]:
            state = "absent"
        elif guard["holds"]:
            state = f"holds ({', '.join(guard['policies'])})"
        else:
            state = f"leaves {guard['gaps']} action(s) undenied ({', '.join(guard['policies'])})"
        lines.append(f"  {label}: {state}")
    lines.append("services:")
    for prefix, levels in sorted(data["services"].items()):
        lines.append(f"  {prefix}: " + ", ".join(f"{level} {count}" for level, count in levels.items()))
    if data["unknown_actions"]:
        lines.append(f"actions the catalog does not know (kept, not judged): {', '.join(data['unknown_actions'])}")
    if data["unmodelled_policies"]:
        lines.append(f"policies without a known document (not judged): {', '.join(data['unmodelled_policies'])}")
    return "\n".join(lines) + "\n"
