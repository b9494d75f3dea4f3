"""The access diff as a PR comment (markdown), terminal text or JSON.

Written for a reviewer who reads it in ten seconds: escalations first, then who changed,
then the roles, bundles and documents behind it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..escape import html_text, md_code, md_fence, md_text, printable
from .diff import AccessDiff, UserChange

MARKER = "<!-- iam-matrix access diff -->"

ESCALATION_LABELS = {
    "admin": "administrator access",
    "admin-outside-admin-roles": "administrator access outside adminRoles",
    "admin-roles": "adminRoles widened",
    "near-admin": "near-administrator access",
    "privilege-escalation": "privilege escalation",
    "permissions-management": "permissions management",
    "credentials-exposure": "credentials exposure",
    "mfa-dropped": "MFA requirement dropped",
    "mfa-not-required": "MFA not required",
    "mfa-enforcement-dropped": "MFA enforcement dropped",
    "cidr-added": "network allowed",
    "ip-restriction-dropped": "IP restriction dropped",
    "password-weakened": "password policy weakened",
}


def _list(items: tuple[str, ...], show: Callable[[str], str] = str) -> str:
    return ", ".join(map(show, items))


def _user_lines(change: UserChange, code: Callable[[str], str], show: Callable[[str], str] = str) -> list[str]:
    parts = []
    if change.roles_gained:
        parts.append(f"joins {_list(change.roles_gained, code)}")
    if change.roles_lost:
        parts.append(f"leaves {_list(change.roles_lost, code)}")
    if change.mfa_before is not None:
        parts.append("MFA now required" if change.mfa_after else "MFA no longer required")
    lines = ["; ".join(parts)] if parts else []
    if change.policies_gained:
        lines.append(f"gains {_list(change.policies_gained, show)}")
    if change.policies_lost:
        lines.append(f"loses {_list(change.policies_lost, show)}")
    if change.actions_gained or change.actions_lost:
        lines.append(action_counts(change))
    return lines


def action_counts(change: UserChange) -> str:
    """``actions +12 (Write 10, Read 2) / -3 (List 3) in ec2, s3``: the size of a change at a glance."""

    def side(sign: str, counts) -> str:
        total = sum(counts.values())
        return f"{sign}{total} ({', '.join(f'{level} {n}' for level, n in counts.items())})" if total else f"{sign}0"

    services = _list(change.services[:8]) + (
        f" and {len(change.services) - 8} more" if len(change.services) > 8 else ""
    )
    return f"IAM actions {side('+', change.actions_gained)} / {side('-', change.actions_lost)} in {services}"


def summary(diff: AccessDiff) -> str:
    """``2 escalations, 1 user added, 6 policy documents changed`` (what changed, counted)."""
    counts = [
        (len(diff.escalations), "escalation", "escalations"),
        (len(diff.users_added), "user added", "users added"),
        (len(diff.users_removed), "user removed", "users removed"),
        (len(diff.users_changed), "user changed", "users changed"),
        (len(diff.roles), "role changed", "roles changed"),
        (len(diff.documents), "policy document changed", "policy documents changed"),
    ]
    parts = [f"{count} {one if count == 1 else many}" for count, one, many in counts if count]
    return ", ".join(parts) if parts else "no access change"


def markdown(diff: AccessDiff) -> str:
    """The PR comment. The first line is a marker a workflow can find to update it in place.

    Every value (names, refs, messages, paths, documents) goes through ``iam_matrix.escape``:
    escaped text or a code span it cannot close, so no cell or file name can hide, restyle or
    mention anything; the comment is closed (no open block) so several concatenate cleanly.
    """
    code, show = md_code, md_text
    out = [
        MARKER,
        f"### Access changes: stack {code(diff.stack)}",
        f"{code(diff.base_ref)} → {code(diff.head_ref)}: {summary(diff)}",
        "",
    ]
    if diff.empty:
        out.append(
            "**No access change.** Users, roles, effective policies, policy "
            "documents and IAM settings are the same at both revisions."
        )
        return "\n".join(out) + "\n\n"
    if diff.escalations:
        out.append(f"#### :warning: Escalations ({len(diff.escalations)})")
        out += [f"- **{ESCALATION_LABELS[e.kind]}**: {show(e.message)}" for e in diff.escalations]
        out.append("")
    else:
        out += [
            "No escalation: judged by what the policy documents allow, "
            "nobody gains admin-equivalent or near-admin access, a "
            "privilege-escalation path, permissions-management or "
            "credentials-exposing actions, and no MFA or network guardrail denies less.",
            "",
        ]
    if diff.users_added or diff.users_removed or diff.users_changed:
        out.append("#### Users")
        for user in diff.users_added:
            mfa = "MFA required" if user.mfa_required else "**MFA not required**"
            out.append(
                f"- :heavy_plus_sign: **{show(user.name)}** added: roles {_list(user.roles, code) or 'none'}; {mfa}"
            )
            if user.policies:
                out.append(f"  - effective policies: {_list(user.policies, show)}")
        for user in diff.users_removed:
            had = f"had roles {_list(user.roles, code)}" if user.roles else "had no role"
            out.append(f"- :heavy_minus_sign: **{show(user.name)}** removed ({had})")
        for change in diff.users_changed:
            lines = _user_lines(change, code, show)
            if change.roles_gained or change.roles_lost or change.mfa_before is not None:
                out.append(f"- **{show(change.name)}** {lines.pop(0)}")
            else:
                out.append(f"- **{show(change.name)}** (through a change to role {_list(change.via_roles, code)})")
            out += [f"  - {line}" for line in lines]
        out.append("")
    if diff.roles:
        out.append("#### Roles")
        for role in diff.roles:
            head = (
                f"- {code(role.name)}"
                + {"added": " (new role)", "removed": " (role removed)", "changed": ""}[role.status]
            )
            parts = []
            if role.policies_added:
                parts.append(f"+ {_list(role.policies_added, show)}")
            if role.policies_removed:
                parts.append(f"− {_list(role.policies_removed, show)}")
            out.append(head + (": " + "; ".join(parts) if parts else ""))
        out.append("")
    if diff.bundles:
        out.append("#### Bundles (groups per role)")
        for bundle in diff.bundles:
            out.append(
                f"- {code(bundle.role)} {bundle.kind}: {len(bundle.groups_before)} → {len(bundle.groups_after)} groups "
                f"({_list(bundle.groups_after, show)}); members are "
                "put in every group, access is unchanged by this alone"
            )
        out.append("")
    if diff.documents:
        out.append("#### Policy documents")
        for document in diff.documents:
            path = document.path_after or document.path_before
            summary_line = (
                f"<details><summary><code>{html_text(f'{path}{document.name}')}</code> {document.status}</summary>"
            )
            out += [summary_line, "", md_fence(document.diff, "diff"), "</details>", ""]
    if diff.settings:
        out.append("#### Settings")
        out += [f"- {code(s.name)}: {code(json.dumps(s.before))} → {code(json.dumps(s.after))}" for s in diff.settings]
        out.append("")
    if diff.deploy:
        out.append("#### Applying it")
        out += [
            f"- {':no_entry: **cannot be applied as it is**: ' if n.blocks else ''}{md_text(n.message)}"
            for n in diff.deploy
        ]
        out.append("")
    return "\n".join(out).rstrip() + "\n\n"  # a blank line closes any HTML block: comments concatenate


def text(diff: AccessDiff) -> str:
    """The same report for a terminal."""
    out = [f"Access changes, stack {diff.stack}: {diff.base_ref} -> {diff.head_ref}", summary(diff)]
    if diff.empty:
        out.append("No access change.")
        return "\n".join(out) + "\n"
    if diff.escalations:
        out.append(f"\nESCALATIONS ({len(diff.escalations)})")
        out += [f"  ! {ESCALATION_LABELS[e.kind]}: {e.message}" for e in diff.escalations]
    if diff.users_added or diff.users_removed or diff.users_changed:
        out.append("\nUsers")
        for user in diff.users_added:
            out.append(
                f"  + {user.name}: roles {_list(user.roles) or 'none'}; "
                f"MFA {'required' if user.mfa_required else 'NOT required'}"
            )
            if user.policies:
                out.append(f"      effective policies: {_list(user.policies)}")
        for user in diff.users_removed:
            out.append(f"  - {user.name} ({'had roles ' + _list(user.roles) if user.roles else 'had no role'})")
        for change in diff.users_changed:
            out.append(
                f"  ~ {change.name}"
                + (
                    f" (through role {_list(change.via_roles)})"
                    if change.via_roles and not (change.roles_gained or change.roles_lost)
                    else ""
                )
            )
            out += [f"      {line}" for line in _user_lines(change, str)]
    if diff.roles:
        out.append("\nRoles")
        for role in diff.roles:
            out.append(f"  {role.name} ({role.status})")
            if role.policies_added:
                out.append(f"      + {_list(role.policies_added)}")
            if role.policies_removed:
                out.append(f"      - {_list(role.policies_removed)}")
    if diff.bundles:
        out.append("\nBundles")
        out += [
            f"  {b.role} {b.kind}: {len(b.groups_before)} -> {len(b.groups_after)} groups ({_list(b.groups_after)})"
            for b in diff.bundles
        ]
    if diff.documents:
        out.append("\nPolicy documents")
        for document in diff.documents:
            out.append(f"  {document.path_after or document.path_before}{document.name} ({document.status})")
            out += ["      " + line for line in document.diff.splitlines()]
    if diff.settings:
        out.append("\nSettings")
        out += [f"  {s.name}: {json.dumps(s.before)} -> {json.dumps(s.after)}" for s in diff.settings]
    if diff.deploy:
        out.append("\nApplying it")
        out += [f"  {'BLOCKED: ' if n.blocks else ''}{n.message}" for n in diff.deploy]
    return "".join(
        printable(line) + "\n" for line in "\n".join(out).split("\n")
    )  # no value moves the cursor or injects a log command


def as_json(diff: AccessDiff) -> str:
    return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[AccessDiff], str]] = {"markdown": markdown, "text": text, "json": as_json}
