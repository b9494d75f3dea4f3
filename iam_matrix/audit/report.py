"""Audit reports: a terminal table, JSON for machines, Markdown for an issue or PR, and one
self-contained HTML file (inline CSS, no scripts, no external assets) for an auditor."""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..cli_text import table
from ..desired import DesiredState
from ..escape import md_cell_code, md_code, md_text, printable
from .checks import CHECKS
from .checks.access_log import sign_in_rows
from .checks.mfa import mfa_active
from .checks.scope import scoped_groups, scoped_users
from .events import AccessLog
from .exceptions import Suppressed
from .findings import CIS_VERSION, SEVERITIES, Check, Finding, severity_rank
from .snapshot import Snapshot

# --- the users x groups grid (the view model of the HTML report) -------------------


@dataclass(frozen=True)
class Grid:
    users: list[tuple[str, str]]  # (name, "ok" | "missing" | "unexpected")
    groups: list[tuple[str, str]]
    cells: dict[tuple[str, str], str]  # (user, group) -> "expected" | "missing" | "unexpected"
    mfa: dict[str, str] = field(
        default_factory=dict
    )  # user -> "active" | "missing" (marked MFA or console password, none) | "none"


def membership_grid(desired: DesiredState, snapshot: Snapshot) -> Grid:
    """Users x groups in scope, each cell expected (in both), missing (matrix only) or unexpected (account only)."""
    live_users = {u["UserName"]: set(u.get("GroupList", [])) for u in scoped_users(desired, snapshot)}
    live_groups = {g["GroupName"] for g in scoped_groups(desired, snapshot)}
    want = {u.name: set(desired.groups_of(u)) for u in desired.users}
    want_groups = [g.name for g in desired.groups]
    users = [(n, "ok" if n in live_users else "missing") for n in want] + [
        (n, "unexpected") for n in sorted(live_users, key=str.lower) if n not in want
    ]
    groups = [(g, "ok" if g in live_groups else "missing") for g in want_groups] + [
        (g, "unexpected") for g in sorted(live_groups, key=str.lower) if g not in want_groups
    ]
    cells: dict[tuple[str, str], str] = {}
    for user, _ in users:
        for group, _ in groups:
            planned = group in want.get(user, set())
            actual = group in live_users.get(user, set())
            if planned and actual:
                cells[(user, group)] = "expected"
            elif planned:
                cells[(user, group)] = "missing"
            elif actual:
                cells[(user, group)] = "unexpected"
    active = mfa_active(snapshot)
    required = {u.name for u in desired.users if u.mfa_required} | {
        r["user"] for r in snapshot.credential_report if r.get("password_enabled") == "true"
    }
    mfa = {
        user: "active" if active.get(user) else "missing" if user in required else "none"
        for user, state in users
        if state != "missing"
    }
    return Grid(users, groups, cells, mfa)


@dataclass(frozen=True)
class AuditResult:
    desired: DesiredState
    snapshot: Snapshot
    findings: list[Finding]
    grid: Grid
    access_log: AccessLog | None = None  # the window's CloudTrail events (None: not read)
    suppressed: list[Suppressed] = field(default_factory=list)  # accepted by the exceptions file, not counted
    exceptions_file: str = ""  # the file they were read from ("" when the stack has none)

    def summary(self) -> dict[str, Any]:
        counts = Counter(f.severity for f in self.findings)
        return {
            "stack": self.desired.stack,
            "account_id": self.snapshot.account_id,
            "region": self.snapshot.region,
            "caller": self.snapshot.caller_arn,
            "taken_at": self.snapshot.taken_at.isoformat(timespec="seconds"),
            "credential_report_generated": self.snapshot.credential_report_generated.isoformat(timespec="seconds")
            if self.snapshot.credential_report_generated
            else None,
            "users": len(self.snapshot.users),
            "groups": len(self.snapshot.groups),
            "requests": self.snapshot.requests,
            "findings": len(self.findings),
            "suppressed": len(self.suppressed),
            "exceptions_file": self.exceptions_file or None,
            "by_severity": {s: counts.get(s, 0) for s in SEVERITIES},
            "not_checked": sorted({f.resource for f in self.findings if f.check == "could-not-check"}),
            "cis_version": CIS_VERSION,
            "access_log": self.access_log.summary() if self.access_log else None,
        }


def _headline(result: AuditResult) -> str:
    s = result.summary()
    counts = ", ".join(f"{n} {sev}" for sev, n in s["by_severity"].items() if n) or "none"
    suppressed = f"; {s['suppressed']} suppressed by {result.exceptions_file}" if result.suppressed else ""
    return (
        f"Audit of account {s['account_id']} against stack {s['stack']} ({s['region']}, {s['taken_at']}): "
        f"{s['findings']} finding(s): {counts}{suppressed}"
    )


def no_findings_line(result: AuditResult) -> str:
    """What a report says when nothing counts; never "passes every check" while findings are suppressed."""
    if result.suppressed:
        return (
            f"No findings apart from {len(result.suppressed)} suppressed by {result.exceptions_file} (listed below): "
            "the account otherwise matches the matrix and passes every check."
        )
    return "No findings: the account matches the matrix and passes every check."


def suppressed_rows(result: AuditResult) -> list[list[str]]:
    """severity, check, resource, message, reason, expires, entry: one row per suppressed finding."""
    return [
        [
            s.finding.severity or "",
            s.finding.check,
            s.finding.resource,
            s.finding.message,
            s.exception.reason,
            s.exception.expires.isoformat(),
            s.exception.where,
        ]
        for s in result.suppressed
    ]


SUPPRESSED_HEADERS = ["severity", "check", "resource", "message", "reason", "expires", "entry"]


def render_text(result: AuditResult) -> str:
    rows = [
        [f.severity or "", f.check, f.cis or "-", printable(f.resource), printable(f.message)] for f in result.findings
    ]
    parts = [_headline(result)]
    if rows:
        parts.append(table(["severity", "check", "CIS", "resource", "message"], rows))
        fixes = []
        seen: set[tuple[str, str]] = set()
        for f in result.findings:
            if (f.check, f.remediation) not in seen:
                seen.add((f.check, f.remediation))
                fixes.append(f"  {f.check}: {printable(f.remediation)}")
        parts.append("Remediation\n" + "\n".join(fixes))
    else:
        parts.append(no_findings_line(result))
    if result.suppressed:
        rows = [[printable(cell) for cell in row] for row in suppressed_rows(result)]
        parts.append(
            f"Suppressed by {printable(result.exceptions_file)} ({len(rows)}, not counted for --fail-on)\n"
            + table(SUPPRESSED_HEADERS, rows)
        )
    parts.append(
        f"{result.snapshot.requests} AWS requests, {len(result.snapshot.users)} "
        f"users, {len(result.snapshot.groups)} groups read."
    )
    if result.access_log:
        parts.append(access_log_line(result.access_log))
    return "\n\n".join(parts)


def render_json(result: AuditResult) -> str:
    return json.dumps(
        {
            "findings": [f.to_dict() for f in result.findings],
            "suppressed": [s.to_dict() for s in result.suppressed],
            "summary": result.summary(),
        },
        indent=2,
        ensure_ascii=False,
        default=str,
    )


def access_log_line(log: AccessLog) -> str:
    """One line on what the access-log checks read."""
    if log.unavailable:
        return f"Access log: {log.source} could not be read ({log.unavailable})."
    files = f", {log.files} log file(s)" if log.files else ""
    return (
        f"Access log: {log.source}, {log.days} days since "
        f"{log.start:%Y-%m-%d %H:%M} UTC: {len(log.events)} sign-in, root and IAM "
        f"event(s) of {log.records} record(s){files}, {log.requests} AWS requests."
    )


def render_markdown(result: AuditResult) -> str:
    s = result.summary()
    lines = [
        f"## IAM audit: account {md_code(s['account_id'])}, stack {md_code(s['stack'])}",
        "",
        f"{md_text(s['taken_at'])} · {md_text(s['region'])} · {s['users']} "
        f"users · {s['groups']} groups · {s['requests']} AWS requests",
        "",
    ]
    lines.append("| " + " | ".join(SEVERITIES) + " |")
    lines.append("|" + "---|" * len(SEVERITIES))
    lines.append("| " + " | ".join(str(s["by_severity"][sev]) for sev in SEVERITIES) + " |")
    lines.append("")
    if not result.findings:
        lines.append(md_text(no_findings_line(result)))
        lines += _markdown_suppressed(result)
        if result.access_log:
            lines += ["", md_text(access_log_line(result.access_log))]
        return "\n".join(lines) + "\n"
    lines += ["| Severity | Check | CIS | Resource | Finding | Remediation |", "|---|---|---|---|---|---|"]
    for f in result.findings:
        cells = [
            md_text(f.severity or ""),
            md_code(f.check),  # check ids are ours: [a-z-]
            md_text(f.cis or ""),
            md_cell_code(f.resource),
            md_text(f.message),
            md_text(f.remediation),
        ]
        lines.append("| " + " | ".join(cells) + " |")  # every cell escaped: an account's names cannot break the table
    lines += _markdown_suppressed(result)
    if result.access_log:
        lines += ["", md_text(access_log_line(result.access_log))]
    lines += ["", f"CIS ids refer to the {CIS_VERSION}."]
    return "\n".join(lines) + "\n"


def _markdown_suppressed(result: AuditResult) -> list[str]:
    """The suppressed findings with the reason and expiry of the entry that accepts each."""
    if not result.suppressed:
        return []
    lines = [
        "",
        f"### Suppressed by {md_code(result.exceptions_file)} ({len(result.suppressed)}, not counted)",
        "",
        "| Severity | Check | Resource | Finding | Reason | Expires | Entry |",
        "|---|---|---|---|---|---|---|",
    ]
    for severity, check, resource, message, reason, expires, entry in suppressed_rows(result):
        cells = [md_text(severity), md_code(check), md_cell_code(resource), md_text(message), md_text(reason)]
        lines.append("| " + " | ".join([*cells, md_text(expires), md_cell_code(entry)]) + " |")
    return lines


_CSS = (
    '\nbody{font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;'
    """color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}h3{font-size:15px;margin:18px 0 8px}
.meta{color:#57606a;margin-bottom:16px}
.cards{display:flex;gap:10px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:10px 16px;min-width:90px;text-align:center}
.card b{display:block;font-size:22px}
.sev-critical{background:#82071e;color:#fff}.sev-high{background:#cf222e;color:#fff}.sev-medium{background:#bf8700;color:#fff}
.sev-low{background:#0969da;color:#fff}.sev-info{background:#6e7781;color:#fff}
.pill{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600}
table{border-collapse:collapse;background:#fff;border:1px solid #d0d7de}
th,td{border:1px solid #d0d7de;padding:5px 8px;vertical-align:top;text-align:left}
th{background:#f0f3f6;font-weight:600}
.grid-wrap{overflow-x:auto}
.grid td.cell{text-align:center;width:64px;font-weight:700}
.grid th.group{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-size:12px}
.mfa-active{color:#116329}.mfa-missing{background:#ffd8d3;color:#a40e26}.mfa-none{color:#57606a}
.findings td:nth-child(2) code,.findings td:nth-child(4) code{white-space:nowrap}
.expected{background:#dafbe1;color:#116329}.missing{background:#fff1c2;color:#7d4e00}.unexpected{background:#ffd8d3;color:#a40e26}
tr.row-missing th{background:#fff1c2}tr.row-unexpected th{background:#ffd8d3}
th.group.col-missing{background:#fff1c2}th.group.col-unexpected{background:#ffd8d3}
.legend span{display:inline-block;padding:2px 10px;margin-right:8px;border-radius:4px;border:1px solid #d0d7de}
.findings td.msg{max-width:520px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
footer{color:#57606a;margin-top:24px;font-size:12px}
"""
)

_MARK = {"expected": "✓", "missing": "−", "unexpected": "+"}
_MFA = {"active": "on", "missing": "off", "none": "off"}


def render_html(result: AuditResult) -> str:
    s = result.summary()
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>IAM audit {e(s['account_id'])} / {e(s['stack'])}</title>",
        f"<style>{_CSS}</style></head><body><main>",
    ]
    out.append(f"<h1>IAM audit of account {e(s['account_id'])} against stack <code>{e(s['stack'])}</code></h1>")
    out.append(
        f'<div class="meta">{e(s["taken_at"])} · region {e(s["region"])} · read as {e(s["caller"] or "?")} '
        f"· {s['users']} users, {s['groups']} groups · {s['requests']} AWS requests</div>"
    )
    out.append(
        '<div class="cards">'
        + "".join(
            f'<div class="card{" sev-" + sev if s["by_severity"][sev] else ""}">'
            f"<b>{s['by_severity'][sev]}</b>{sev}</div>"
            for sev in SEVERITIES
        )
        + "</div>"
    )
    grid = result.grid
    out.append("<h2>Users × groups</h2>")
    out.append(
        '<p class="legend"><span class="expected">✓ expected</span><span class="missing">− '
        'missing (in the matrix, not in the account)</span><span class="unexpected">+ '
        'unexpected (in the account, not in the matrix)</span><span class="mfa-missing">MFA '
        "off for a user marked MFA or with a console password</span></p>"
    )
    out.append('<div class="grid-wrap"><table class="grid"><thead><tr><th>user</th>')
    for group, state in grid.groups:
        label = group + (" (missing)" if state == "missing" else " (unexpected)" if state == "unexpected" else "")
        out.append(f'<th class="group col-{state}">{e(label)}</th>')
    out.append('<th class="group">MFA</th></tr></thead><tbody>')
    for user, state in grid.users:
        label = user + (" (missing)" if state == "missing" else " (not in matrix)" if state == "unexpected" else "")
        out.append(f'<tr class="row-{state}"><th>{e(label)}</th>')
        for group, _ in grid.groups:
            cell = grid.cells.get((user, group))
            out.append(
                f'<td class="cell {cell}" title="{e(cell)}">{_MARK[cell]}</td>' if cell else '<td class="cell"></td>'
            )
        mfa = grid.mfa.get(user, "")
        out.append(f'<td class="cell mfa-{mfa}" title="MFA {mfa}">{_MFA.get(mfa, "")}</td></tr>')
    out.append("</tbody></table></div>")
    if result.access_log:
        out += _html_access_log(result)
    out.append(f"<h2>Findings ({len(result.findings)})</h2>")
    if result.findings:
        out.append(
            '<table class="findings"><thead><tr><th>severity</th><th>check</th><th>CIS</th>'
            "<th>resource</th><th>finding</th><th>remediation</th></tr></thead><tbody>"
        )
        for f in result.findings:
            out.append(
                '<tr><td><span class="pill '
                f'sev-{f.severity}">{e(f.severity or "")}</span></td><td>'
                f"<code>{e(f.check)}</code></td><td>{e(f.cis or '')}</td>"
                f"<td><code>{e(f.resource)}</code></td><td "
                f'class="msg">{e(f.message)}</td><td>{e(f.remediation)}</td></tr>'
            )
        out.append("</tbody></table>")
    else:
        out.append(f"<p>{e(no_findings_line(result))}</p>")
    if result.suppressed:
        out.append(
            f"<h2>Suppressed by <code>{e(result.exceptions_file)}</code> ({len(result.suppressed)}, not counted)</h2>"
        )
        out.append(
            '<table class="findings suppressed"><thead><tr><th>severity</th><th>check</th><th>resource</th>'
            "<th>finding</th><th>reason</th><th>expires</th><th>entry</th></tr></thead><tbody>"
        )
        for severity, check, resource, message, reason, expires, entry in suppressed_rows(result):
            out.append(
                f'<tr><td><span class="pill sev-{e(severity)}">{e(severity)}</span></td>'
                f"<td><code>{e(check)}</code></td>"
                f'<td><code>{e(resource)}</code></td><td class="msg">{e(message)}</td><td>{e(reason)}</td>'
                f"<td>{e(expires)}</td><td><code>{e(entry)}</code></td></tr>"
            )
        out.append("</tbody></table>")
    out.append(
        "<h2>Checks</h2><table><thead><tr><th>check</th><th>severity</th><th>CIS</th><th>what "
        "it looks for</th></tr></thead><tbody>"
    )
    for check in CHECKS.values():
        out.append(
            f"<tr><td><code>{e(check.id)}</code></td><td>{e(check_severity(check, result.findings))}</td>"
            f"<td>{e(check.cis or '')}</td><td>{e(check.title)}</td></tr>"
        )
    out.append(
        "</tbody></table><footer>Generated by <code>python -m iam_matrix audit</code>. "
        f"CIS ids refer to the {e(CIS_VERSION)}.</footer></main></body></html>"
    )
    return "\n".join(out) + "\n"


def check_severity(check: Check, findings: list[Finding]) -> str:
    """A check's severity as the checks table shows it: its usual one, and the severities its
    findings in this report were raised or lowered to (e.g. critical when a group grants
    AdministratorAccess), so the table and the findings never disagree."""
    found = sorted({f.severity for f in findings if f.check == check.id and f.severity}, key=severity_rank)
    if not found or found == [check.severity]:
        return check.severity
    return f"{check.severity}; in this report: {', '.join(found)}"


def _html_access_log(result: AuditResult) -> list[str]:
    """Sign-ins, IAM changes outside the pipeline, and who caused each drift finding."""
    e = html.escape
    log = result.access_log
    assert log is not None
    out = ["<h2>Sign-ins and out-of-band changes</h2>", f'<p class="meta">{e(access_log_line(log))}</p>']
    if log.unavailable:
        return out
    rows = sign_in_rows(log)
    out.append("<h3>Console sign-ins</h3>")
    if rows:
        out.append(
            '<table class="signins"><thead><tr><th>user</th><th>signed in</th><th>without MFA</th><th>failed</th>'
            "<th>last attempt</th><th>source IPs</th></tr></thead><tbody>"
        )
        for r in rows:
            mfa = ' class="mfa-missing"' if r.without_mfa else ""
            fail = ' class="mfa-missing"' if r.failures >= result.desired.access_log.failed_sign_in_threshold else ""
            out.append(
                f"<tr><th>{e(r.user)}</th><td>{r.successes}</td><td{mfa}>{r.without_mfa}</td><td{fail}>{r.failures}</td>"
                f"<td>{e(r.last)}</td><td>{e(', '.join(r.source_ips))}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append("<p>No console sign-in in the window.</p>")
    changes = [f for f in result.findings if f.check == "iam-change-out-of-band"]
    out.append(f"<h3>IAM changes outside the pipeline ({len(changes)})</h3>")
    if changes:
        out.append(
            '<table class="changes"><thead><tr><th>time</th><th>principal</th><th>call</th><th>resource</th>'
            "<th>source IP</th><th>user agent</th></tr></thead><tbody>"
        )
        for f in changes:
            ev = f.details["event"]
            out.append(
                f"<tr><td>{e(ev['time'])}</td><td><code>{e(ev['principal'])}</code></td><td><code>{e(ev['event'])}</code></td>"
                f"<td><code>{e(f.resource)}</code></td><td>{e(ev['source_ip'])}</td><td "
                f'class="msg">{e(ev["user_agent"])}</td></tr>'
            )
        out.append("</tbody></table>")
    else:
        out.append(
            "<p>None: every IAM change in the window was made by a deploy principal (iam-matrix:deployPrincipals).</p>"
        )
    attributed = [f for f in result.findings if "attribution" in f.details]
    if attributed:
        out.append("<h3>Who caused the drift</h3>")
        out.append(
            '<table class="attribution"><thead><tr><th>check</th><th>resource</th><th>most '
            "likely caused by</th></tr></thead><tbody>"
        )
        for f in attributed:
            a = f.details["attribution"]
            cause = (
                f"<code>{e(a['event'])}</code> by <code>{e(a['principal'])}</code> "
                f"at {e(a['time'])} from {e(a['source_ip'] or '?')}"
                if a.get("event")
                else "no event in the window"
            )
            out.append(
                f"<tr><td><code>{e(f.check)}</code></td><td><code>{e(f.resource)}</code></td><td>{cause}</td></tr>"
            )
        out.append("</tbody></table>")
    return out


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "html": render_html}
