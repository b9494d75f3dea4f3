"""Credentials: unused passwords and keys (CIS 1.12), old keys (1.14), two active keys (1.13),
from the credential report."""

from __future__ import annotations

from datetime import datetime

from ..findings import Check, Finding, register
from ..snapshot import ROOT_ROW, Snapshot, parse_time
from .base import Area, AuditOptions

DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"

CHECKS = register(
    Check(
        "credential-unused",
        "credentials",
        "medium",
        "A password or access key has not been used for longer than auditUnusedCredentialDays",
        "1.12",
        remediation="delete the login profile or deactivate and delete the key",
        doc="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
    ),
    Check(
        "access-key-old",
        "credentials",
        "medium",
        "An active access key is older than auditAccessKeyMaxAgeDays",
        "1.14",
        remediation="rotate the key: create a new one, move the workload, delete the old one",
        doc=DOC,
    ),
    Check(
        "access-keys-two-active",
        "credentials",
        "low",
        "A user has two active access keys",
        "1.13",
        remediation="keep one active key per user",
        doc=DOC,
    ),
)


def _days(now: datetime, then: datetime) -> int:
    return (now - then).days


def credential_findings(snapshot: Snapshot, options: AuditOptions) -> list[Finding]:
    """Unused passwords and keys (CIS 1.12), old keys (1.14), two active keys (1.13), from the credential report."""
    out: list[Finding] = []
    now = snapshot.taken_at
    unused, max_age = options.unused_credential_days, options.access_key_max_age_days
    for row in snapshot.credential_report:
        name = row.get("user", "")
        if name == ROOT_ROW:
            continue
        created = parse_time(row.get("user_creation_time"))
        if row.get("password_enabled") == "true":
            last = parse_time(row.get("password_last_used"))
            since = last or parse_time(row.get("password_last_changed")) or created
            if since and _days(now, since) > unused:
                what = (
                    f"last used {_days(now, since)} days ago"
                    if last
                    else f"never used, set {_days(now, since)} days ago"
                )
                out.append(
                    Finding(
                        "credential-unused",
                        f"user/{name}",
                        f"console password of {name} {what} (limit {unused})",
                        "delete the login profile if the user no longer needs the console",
                        details={"credential": "password"},
                    )
                )
        active = []
        for n in ("1", "2"):
            if row.get(f"access_key_{n}_active") != "true":
                continue
            active.append(n)
            rotated = parse_time(row.get(f"access_key_{n}_last_rotated"))
            last = parse_time(row.get(f"access_key_{n}_last_used_date"))
            since = last or rotated or created
            if since and _days(now, since) > unused:
                what = (
                    f"last used {_days(now, since)} days ago"
                    if last
                    else f"never used, created {_days(now, since)} days ago"
                )
                out.append(
                    Finding(
                        "credential-unused",
                        f"user/{name}",
                        f"access key {n} of {name} {what} (limit {unused})",
                        "deactivate, then delete the key",
                        details={"credential": f"access_key_{n}"},
                    )
                )
            if rotated and _days(now, rotated) > max_age:
                out.append(
                    Finding(
                        "access-key-old",
                        f"user/{name}",
                        f"access key {n} of {name} is {_days(now, rotated)} days old (limit {max_age})",
                        "create a new key, move the workload to it, deactivate and delete the old one",
                        details={"credential": f"access_key_{n}"},
                    )
                )
        if len(active) == 2:
            out.append(
                Finding(
                    "access-keys-two-active",
                    f"user/{name}",
                    f"{name} has two active access keys",
                    "keep one active key per user; deactivate the other once rotation is done",
                )
            )
    return out


AREA = Area("credentials", CHECKS, lambda given: credential_findings(given.snapshot, given.options))
