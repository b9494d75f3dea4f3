"""The audit's checks: (desired state, snapshot, options, access log) -> findings. Pure: no
AWS, no clock.

One module per area; each keeps its checks' metadata (id, severity, CIS id, remediation,
documentation link) beside the functions that find them and exposes ``AREA``. Adding an
area is one module plus one line in ``AREAS``, whose order is the order of the catalogue
(docs/audit.md, the reports) and the tie-break when findings are sorted.
"""

from __future__ import annotations

from ...desired import DesiredState
from ..events import AccessLog
from ..findings import AUDIT_CHECKS, Check, Finding, severity_rank
from ..snapshot import Snapshot
from . import access, credentials, drift, logging, mfa, password, roles
from .access_log import AREA as ACCESS_LOG
from .access_log import attribute
from .base import Area, AuditInput, AuditOptions

AREAS: tuple[Area, ...] = (
    drift.AREA,
    mfa.AREA,
    password.AREA,
    credentials.AREA,
    logging.AREA,
    access.AREA,
    roles.AREA,
    ACCESS_LOG,
)

CHECKS: dict[str, Check] = {c.id: c for area in AREAS for c in area.checks} | {c.id: c for c in AUDIT_CHECKS}

__all__ = ["AREAS", "CHECKS", "AuditInput", "AuditOptions", "run_checks", "sort_findings"]


def run_checks(
    desired: DesiredState, snapshot: Snapshot, options: AuditOptions | None = None, access_log: AccessLog | None = None
) -> list[Finding]:
    """Every finding for one account, worst first; with the window's CloudTrail events when
    ``access_log`` is given (the command always reads one), drift findings say who caused them."""
    if desired.account_id is None:
        desired = desired.with_account(snapshot.account_id)
    given = AuditInput(desired, snapshot, options or AuditOptions(), access_log)
    findings: list[Finding] = []
    for area in AREAS:
        if area is ACCESS_LOG and access_log is not None:
            findings = attribute(findings, access_log)  # drift findings get the event that caused them
        findings += area.run(given)
    return sort_findings(findings)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Worst first, then grouped by check (catalogue order) and resource, so reports are stable run to run."""
    order = {check_id: i for i, check_id in enumerate(CHECKS)}
    return sorted(
        findings, key=lambda f: (severity_rank(f.severity or "info"), order[f.check], f.resource.lower(), f.message)
    )
