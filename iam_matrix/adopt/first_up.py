"""What the first ``pulumi up`` after the import changes: for ``adopt``'s report and for ``plan``.

adopt saves the account as it read it (``adopt/account.json``: users, groups, policies, the
password policy and the credential report rows, in the shapes boto3 returns). ``first_up``
compares a desired state with it the way adopt did when it wrote the draft: every drift
finding the audit would report (``audit.checks.drift``), then every create, update and
replace the up still does after ``pulumi import`` (``import_plan`` on ``components.layout``).
So ``plan`` recomputes the differences for the matrix as it is now (after the residue report
was acted on), offline, without a second copy of any rule.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ..audit.checks.drift import drift_findings
from ..audit.snapshot import Snapshot, parse_time
from ..desired import DesiredState
from ..input_files import load_json, read_regular_file
from ..settings import Settings
from .import_plan import ImportPlan, import_plan
from .residue import Residue, shown

ACCOUNT_FILE = "adopt/account.json"
MAX_ACCOUNT_FILE_BYTES = 256 << 20  # 5,000 users and 300 groups are about 10 MiB
_PARTS = ("users", "groups", "policies", "roles", "credential_report")
FORMAT = 1


def account_json(snapshot: Snapshot) -> str:
    """The parts of ``snapshot`` the comparison reads (dates as ISO text)."""
    document = {
        "format": FORMAT,
        "account_id": snapshot.account_id,
        "region": snapshot.region,
        "taken_at": snapshot.taken_at.isoformat(),
        "password_policy": snapshot.password_policy,
        **{part: getattr(snapshot, part) for part in _PARTS},
    }
    return json.dumps(document, indent=1, ensure_ascii=True, default=str) + "\n"


class AccountFileError(ValueError):
    """adopt/account.json is missing, too big, not JSON or not in adopt's shape."""


def read_account(path: Path) -> Snapshot:
    """``adopt/account.json`` back as a Snapshot; ``AccountFileError`` says why it cannot be."""
    try:
        document = load_json(read_regular_file(path, MAX_ACCOUNT_FILE_BYTES).decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise AccountFileError(f"{path.name}: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise AccountFileError(f"{path.name} is not an account file written by this version of adopt")
    lists = {part: document.get(part) for part in _PARTS}
    if not all(isinstance(v, list) and all(isinstance(i, dict) for i in v) for v in lists.values()):
        raise AccountFileError(f"{path.name}: {', '.join(_PARTS)} must be lists of objects")
    password = document.get("password_policy")
    if not isinstance(document.get("account_id"), str) or not (password is None or isinstance(password, dict)):
        raise AccountFileError(f"{path.name}: account_id must be text and password_policy an object or null")
    return Snapshot(
        account_id=document["account_id"],
        region=str(document.get("region") or "us-east-1"),
        taken_at=parse_time(document.get("taken_at")) or datetime.now(UTC),
        password_policy=password,
        **lists,
    )


def _plan(state: DesiredState, snapshot: Snapshot) -> ImportPlan:
    from components.layout import planned_resources  # no Pulumi: the list of what the program registers

    layout = planned_resources(state)
    plan = import_plan(layout.resources, snapshot)
    plan.left_out += [{"type": "", "name": "", "reason": part} for part in layout.not_listed]
    return plan


def _change_residue(plan: ImportPlan) -> list[Residue]:
    """What the first up after the import still does, one entry per kind of change."""
    grouped: dict[tuple[str, str, str, bool], list[str]] = {}
    for change in plan.changes:
        grouped.setdefault((change.op, change.type, change.why, change.removes), []).append(change.name)
    out = []
    for (op, typ, why, removes), names in grouped.items():
        shown_names = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        out.append(
            Residue(
                "first-up",
                f"{len(names)} x {typ.rsplit(':', 1)[-1]}",
                f"{why}: {shown_names}",
                op.upper() + (" in place" if op == "update" else ""),
                "nothing, if expected; otherwise change the matrix or the account before the first up",
                {"op": op, "type": typ, "names": names},
                blocking=removes or op in ("replace", "delete"),
            )
        )
    return out


def first_up(state: DesiredState, snapshot: Snapshot) -> tuple[ImportPlan, list[Residue]]:
    """The import plan and what the first up changes: drift first (the matrix and the account
    differ on a managed fact), then the operations left after the import."""
    state = state.with_account(snapshot.account_id)
    entries = [
        Residue(
            "first-up",
            finding.resource,
            f"the matrix and the account differ: {finding.message} ({finding.check})",
            "changed to what the matrix says",
            finding.remediation,
            blocking=True,
        )
        for finding in drift_findings(state, snapshot)
    ]
    plan = _plan(state, snapshot)
    return plan, entries + _change_residue(plan)


def plan_section(settings: Settings, state: DesiredState) -> str | None:
    """The text ``plan`` prints after the desired state when the project holds adopt's account
    file; None when it holds none."""
    path = settings.project_dir / ACCOUNT_FILE
    allowed = [settings.account_id] if settings.account_id else []
    if not path.exists() and not path.is_symlink():
        return None
    head = f"\nFirst up after adopt ({ACCOUNT_FILE})"
    if path.is_symlink():
        return f"{head}\n  not read: {ACCOUNT_FILE} is a symlink"
    try:
        snapshot = read_account(path)
    except AccountFileError as error:
        return f"{head}\n  not read: {shown(error)}"
    if allowed and snapshot.account_id not in allowed:
        return (
            f"{head}\n  not compared: it is account {shown(snapshot.account_id)}'s, this stack deploys to "
            f"{', '.join(map(shown, allowed))}"
        )
    plan, entries = first_up(state, snapshot)
    review = [e for e in entries if e.blocking]
    lines = [
        f"{head}: account {shown(snapshot.account_id)} as adopt read it at {snapshot.taken_at:%Y-%m-%d %H:%M} UTC",
        f"  after pulumi import --file adopt/import.json, the first up: {len(entries)} change(s), "
        f"{len(review)} to review (re-run adopt to compare with the account as it is now)",
    ]
    for entry in sorted(entries, key=lambda e: not e.blocking):
        lines.append(f"  [{'REVIEW' if entry.blocking else 'info'}] {shown(entry.first_up)}: {shown(entry.subject)}")
        lines.append(f"      {shown(entry.what)}")
    for left in plan.left_out:
        if not left["type"]:
            lines.append(f"  [info] not imported: {shown(left['reason'])}")
    return "\n".join(lines)
