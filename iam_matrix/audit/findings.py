"""Findings, and the check metadata they point at.

Every check has a stable id (CI filters and the exceptions file key on it), one severity,
where one applies the CIS AWS Foundations Benchmark v3.0.0 control it implements, a
remediation and a documentation link. The metadata sits beside the check's function in its
area module (``checks/drift.py``, ...), which registers it here with ``register``; the
catalogue in area order is ``checks.CHECKS``, so docs/audit.md and the reports list it
without drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
CIS_VERSION = "CIS AWS Foundations Benchmark v3.0.0"


def severity_rank(severity: str) -> int:
    """0 for critical ... 4 for info; lower is worse."""
    return SEVERITIES.index(severity)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Check:
    id: str
    area: str
    severity: Severity
    title: str
    cis: str | None = None
    remediation: str = ""  # what to do in general; each finding says what to do about itself
    doc: str = "docs/audit.md#checks"  # where the check is explained


_REGISTERED: dict[str, Check] = {}


def register(*checks: Check) -> tuple[Check, ...]:
    """Make check ids known to ``Finding``; an area module calls it once with its checks.
    Registering another check under a known id is a bug (ids are a stable contract)."""
    for check in checks:
        known = _REGISTERED.get(check.id)
        if known is not None and known != check:
            raise ValueError(f"check id {check.id!r} is registered twice")
        _REGISTERED[check.id] = check
    return checks


def registered(check_id: str) -> Check:
    try:
        return _REGISTERED[check_id]
    except KeyError:
        raise ValueError(f"unknown check id {check_id!r}") from None


AUDIT_CHECKS = register(
    Check(
        "could-not-check",
        "audit",
        "medium",
        "A part of the account could not be read; the checks depending on it were not done",
        remediation="grant the read-only permissions in docs/audit.md, or make the service answer, and audit again",
        doc="docs/audit.md#what-it-reads-opages-never-per-user",
    ),
    Check(
        "exception-expired",
        "audit",
        "low",
        "An entry of the exceptions file is past its expiry: it suppresses nothing any more",
        remediation="fix the finding and delete the entry, or review it again and set a new expiry",
        doc="docs/audit.md#exceptions",
    ),
    Check(
        "exception-unused",
        "audit",
        "info",
        "An entry of the exceptions file matched no finding: the finding is fixed, or the entry has a typo",
        remediation="delete the entry, so it cannot hide a new finding later",
        doc="docs/audit.md#exceptions",
    ),
)


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the account, with what to do about it."""

    check: str
    resource: str
    message: str
    remediation: str
    severity: Severity | None = None  # None: the check's own severity
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        check = registered(self.check)
        if self.severity is None:
            object.__setattr__(self, "severity", check.severity)

    @property
    def cis(self) -> str | None:
        return registered(self.check).cis

    @property
    def area(self) -> str:
        return registered(self.check).area

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "check": self.check,
            "severity": self.severity,
            "resource": self.resource,
            "message": self.message,
            "remediation": self.remediation,
            "cis": self.cis,
            "area": self.area,
        }
        if self.details:
            data["details"] = self.details
        return data


def could_not_check(part: str, reason: str, checks: list[str], remediation: str | None = None) -> Finding:
    """A finding that says a part of the account could not be read, at the severity of the worst check skipped."""
    worst: Severity = min((registered(c).severity for c in checks), key=severity_rank)
    if remediation is None:
        remediation = (
            "grant the auditing principal the read-only permissions listed "
            "in docs/audit.md (the SecurityAudit managed policy covers them)"
            if "denied" in reason
            else "check that the service is available in the audited region and "
            "answers, then audit again; until then treat the check as failed"
        )
    return Finding(
        "could-not-check",
        part,
        f"could not check {part}: {reason}; not checked: {', '.join(checks)}",
        remediation,
        severity=worst,
        details={"reason": reason, "checks": checks},
    )
