"""What the commands print on a terminal: problem lines and their summary, ``plan``'s tables, the
password policy in words (the audit and diff reports have their own ``report`` modules)."""

from __future__ import annotations

from .desired import DesiredState
from .password_policy import PasswordPolicy
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


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def password_text(pp: PasswordPolicy) -> str:
    """The password policy in words (never Python's True/False)."""
    classes = {
        "upper-case letters": pp.require_uppercase_characters,
        "lower-case letters": pp.require_lowercase_characters,
        "numbers": pp.require_numbers,
        "symbols": pp.require_symbols,
    }
    required = [name for name, on in classes.items() if on]
    not_required = [name for name, on in classes.items() if not on]
    parts = [f"minimum length {pp.minimum_password_length}"]
    if required:
        parts.append(f"requires {_words(required)}")
    if not_required:
        parts.append(f"does not require {_words(not_required)}")
    parts.append(f"expires after {pp.max_password_age} days" if pp.max_password_age else "never expires")
    parts.append(
        f"the last {pp.password_reuse_prevention} passwords cannot be reused"
        if pp.password_reuse_prevention
        else "passwords may be reused"
    )
    parts.append(
        "users may change their own password"
        if pp.allow_users_to_change_password
        else "users may not change their own password"
    )
    parts.append("an expired password needs an administrator (hard expiry)" if pp.hard_expiry else "no hard expiry")
    return "; ".join(parts)


def plan_text(state: DesiredState) -> str:
    parts = [f"Stack {state.stack}" + (f" (account {state.account_id})" if state.account_id else "")]
    parts.append(
        "\nRoles and their groups\n"
        + table(
            ["group", "role", "path", "policies", "members"],
            [[g.name, g.role, g.path, str(len(g.policies)), str(len(state.members(g.role)))] for g in state.groups],
        )
    )
    parts.append("\nPolicies per group")
    for g in state.groups:
        parts.append(f"  {g.name}: " + ", ".join(p.name for p in g.policies))
    parts.append(
        "\nUsers\n"
        + table(
            ["user", "MFA", "roles", "groups"],
            [
                [
                    u.name,
                    "required" if u.mfa_required else "-",
                    ", ".join(u.roles) or "-",
                    ", ".join(state.groups_of(u)) or "-",
                ]
                for u in state.users
            ],
        )
    )
    parts.append(
        "\nCustom managed policies\n"
        + table(["policy", "path", "from"], [[p.name, p.path, p.source] for p in state.policies])
    )
    parts.append(f"\nPassword policy\n  {password_text(state.password_policy)}")
    parts.append(f"\nAudit baseline\n  {state.audit_baseline.summary(state.stack)}")
    parts.append(
        f"\n{len(state.users)} users, {len(state.roles)} roles in "
        f"{len(state.groups)} groups, {len(state.policies)} custom policies"
    )
    return "\n".join(parts)
