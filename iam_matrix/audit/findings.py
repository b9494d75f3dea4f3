"""Findings and the catalogue of checks.

Every check has a stable id (CI filters and suppressions key on it), one severity and, where
one applies, the CIS AWS Foundations Benchmark v3.0.0 control it implements. Keeping the
catalogue in one table is what lets docs/audit.md and the reports list it without drift.
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


_CHECKS = [
    # drift against the desired state
    Check("user-missing", "drift", "high", "A user of the matrix does not exist in the account"),
    Check("user-unexpected", "drift", "high", "A user exists that the matrix does not list"),
    Check("group-missing", "drift", "high", "A group of the matrix does not exist"),
    Check("group-unexpected", "drift", "medium", "A group exists under the stack's group path that the matrix does not plan"),
    Check("membership-missing", "drift", "medium", "A user is not in a group the matrix puts them in"),
    Check("membership-unexpected", "drift", "high", "A user is in a group the matrix does not put them in"),
    Check("group-policy-missing", "drift", "high", "A policy the matrix attaches to a group is not attached"),
    Check("group-policy-unexpected", "drift", "high", "A policy is attached to a group without a mark in the policy matrix"),
    Check("policy-missing", "drift", "high", "A custom policy of the stack (policies/) does not exist"),
    Check("policy-document-drift", "drift", "high", "A custom policy's default version differs from its document in policies/"),
    Check("policy-unexpected", "drift", "low", "A customer managed policy sits under one of the stack's policy paths but is not in policies/"),
    Check("inline-policy", "drift", "high", "An inline policy is embedded in a user or group", "1.15"),
    Check("user-policy-attached", "drift", "high", "A managed policy is attached directly to a user", "1.15"),
    # MFA
    Check("mfa-required-missing", "mfa", "high", "A user marked MFA-required has no active MFA device", "1.10"),
    Check("console-mfa-missing", "mfa", "high", "A user with a console password has no active MFA device", "1.10"),
    Check("mfa-device-name", "mfa", "info", "A virtual MFA device is not named after its user (the seed's convention)"),
    Check("root-mfa", "mfa", "critical", "The root user has no MFA", "1.5"),
    Check("root-access-key", "credentials", "critical", "The root user has an active access key", "1.4"),
    # password policy
    Check("password-policy-missing", "password", "high", "The account has no password policy", "1.8"),
    Check("password-policy-length", "password", "medium", "The minimum password length is below the desired one", "1.8"),
    Check("password-policy-reuse", "password", "medium", "Password reuse prevention is below the desired one", "1.9"),
    Check("password-policy-weaker", "password", "medium", "A password policy setting is weaker than the desired one"),
    Check("password-policy-differs", "password", "info", "A password policy setting differs from the desired one without being weaker"),
    # credentials
    Check("credential-unused", "credentials", "medium", "A password or access key has not been used for longer than auditUnusedCredentialDays", "1.12"),
    Check("access-key-old", "credentials", "medium", "An active access key is older than auditAccessKeyMaxAgeDays", "1.14"),
    Check("access-keys-two-active", "credentials", "low", "A user has two active access keys", "1.13"),
    # logging and automation
    Check("cloudtrail-missing", "logging", "high", "No multi-region CloudTrail trail", "3.1"),
    Check("cloudtrail-not-logging", "logging", "high", "No multi-region CloudTrail trail is logging", "3.1"),
    Check("cloudtrail-log-validation", "logging", "medium", "No logging multi-region trail has log file validation", "3.2"),
    Check("cloudtrail-global-events", "logging", "medium", "The logging multi-region trail does not include global service events (IAM and sign-in events)", "3.1"),
    Check("config-recorder-missing", "logging", "medium", "No AWS Config configuration recorder in the audited region", "3.3"),
    Check("config-recorder-not-recording", "logging", "medium", "The AWS Config configuration recorder is not recording", "3.3"),
    Check("access-analyzer-missing", "logging", "medium", "No active IAM Access Analyzer (account or organization) in the audited region", "1.20"),
    # the access log: CloudTrail sign-in and IAM events of the window (iam_matrix/audit/access_log.py)
    Check("console-login-no-mfa", "access-log", "high", "A user signed in to the console without MFA", "1.10"),
    Check("root-sign-in", "access-log", "critical", "The root user signed in to the console", "1.7"),
    Check("root-activity", "access-log", "high", "The root user made calls (other than signing in)", "1.7"),
    Check("console-login-failures", "access-log", "medium", "Repeated failed console sign-ins for one user name within an hour"),
    Check("iam-change-out-of-band", "access-log", "high", "IAM was changed by a principal other than the stack's deploy principals (iam-matrix:deployPrincipals)"),
    Check("iam-self-service", "access-log", "info", "A user changed their own password, MFA device or access key"),
    Check("access-log-unreadable", "access-log", "medium", "A CloudTrail log file or record could not be read; its events were not checked"),
    # the audit itself
    # access: what the live policies grant, judged by the access model (iam_matrix/access/)
    Check("access-admin-unexpected", "access", "critical", "A user is admin-equivalent in the account (however the policies write it) but not through the matrix's adminRoles"),
    Check("access-privilege-escalation", "access", "high", "A user's live policies together allow a known privilege-escalation path the matrix does not give them"),
    Check("access-guardrail-weakened", "access", "high", "A user's MFA or network guardrail denies less in the account than the matrix's documents do"),
        Check("could-not-check", "audit", "medium", "A part of the account could not be read; the checks depending on it were not done"),
]

CHECKS: dict[str, Check] = {c.id: c for c in _CHECKS}


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
        if self.check not in CHECKS:
            raise ValueError(f"unknown check id {self.check!r}")
        if self.severity is None:
            object.__setattr__(self, "severity", CHECKS[self.check].severity)

    @property
    def cis(self) -> str | None:
        return CHECKS[self.check].cis

    @property
    def area(self) -> str:
        return CHECKS[self.check].area

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


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Worst first, then grouped by check and resource, so reports are stable run to run."""
    order = {c.id: i for i, c in enumerate(_CHECKS)}
    return sorted(findings, key=lambda f: (severity_rank(f.severity or "info"), order[f.check], f.resource.lower(), f.message))


def could_not_check(part: str, reason: str, checks: list[str], remediation: str | None = None) -> Finding:
    """A finding that says a part of the account could not be read, at the severity of the worst check skipped."""
    worst: Severity = min((CHECKS[c].severity for c in checks), key=severity_rank)
    if remediation is None:
        remediation = ("grant the auditing principal the read-only permissions listed in docs/audit.md (the SecurityAudit managed policy covers them)" if "denied" in reason
                       else "check that the service is available in the audited region and answers, then audit again; until then treat the check as failed")
    return Finding("could-not-check", part, f"could not check {part}: {reason}; not checked: {', '.join(checks)}", remediation, severity=worst, details={"reason": reason, "checks": checks})
