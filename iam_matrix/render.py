"""Human-readable text for ``plan`` and ``validate``."""

from __future__ import annotations

from .desired import DesiredState
from .problems import Problem


def problems_text(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


def summary_line(problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error(s), {warnings} warning(s)"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)] if rows else [len(h) for h in headers]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def plan_text(state: DesiredState) -> str:
    parts = [f"Stack {state.stack}" + (f" (account {state.account_id})" if state.account_id else "")]
    parts.append("\nRoles and their groups\n" + table(
        ["group", "role", "path", "policies", "members"],
        [[g.name, g.role, g.path, str(len(g.policies)), str(len(g.members))] for g in state.groups],
    ))
    parts.append("\nPolicies per group")
    for g in state.groups:
        parts.append(f"  {g.name}: " + ", ".join(p.name for p in g.policies))
    parts.append("\nUsers\n" + table(
        ["user", "MFA", "roles", "groups"],
        [[u.name, "required" if u.mfa_required else "-", ", ".join(u.roles) or "-", ", ".join(u.groups) or "-"] for u in state.users],
    ))
    parts.append("\nCustom managed policies\n" + table(
        ["policy", "path", "from"], [[p.name, p.path, p.source] for p in state.policies]
    ))
    pp = state.password_policy
    parts.append(
        "\nPassword policy\n"
        f"  minimum length {pp.minimum_password_length}; requires upper {pp.require_uppercase_characters}, lower {pp.require_lowercase_characters}, "
        f"numbers {pp.require_numbers}, symbols {pp.require_symbols}; max age {pp.max_password_age} days; "
        f"reuse prevention {pp.password_reuse_prevention}; users may change {pp.allow_users_to_change_password}; hard expiry {pp.hard_expiry}"
    )
    parts.append(f"\nAudit baseline\n  {state.audit_baseline.summary(state.stack)}")
    parts.append(f"\n{len(state.users)} users, {len(state.roles)} roles in {len(state.groups)} groups, {len(state.policies)} custom policies")
    return "\n".join(parts)
