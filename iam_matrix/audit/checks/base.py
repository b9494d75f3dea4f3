"""What every check area shares: the audit's inputs, its thresholds and the ``Area`` an area
module registers (its checks' metadata and the function that finds them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...desired import DesiredState
from ..events import AccessLog
from ..findings import Check, Finding
from ..snapshot import Snapshot


@dataclass(frozen=True)
class AuditOptions:
    unused_credential_days: int = 45
    access_key_max_age_days: int = 90
    deploy_principals: tuple[str, ...] = ()  # ARN patterns whose IAM calls are the pipeline's, not out-of-band
    failed_sign_in_threshold: int = 5

    @classmethod
    def of(cls, desired: DesiredState) -> AuditOptions:
        """The thresholds the stack config gives (auditUnusedCredentialDays,
        auditAccessKeyMaxAgeDays, deployPrincipals, auditFailedSignInThreshold), as compiled once
        with the rest of the desired state; the AuditBaseline's Config rules use the same two days."""
        baseline, log = desired.audit_baseline, desired.access_log
        return cls(
            baseline.unused_credential_days,
            baseline.access_key_max_age_days,
            log.deploy_principals,
            log.failed_sign_in_threshold,
        )


@dataclass(frozen=True)
class AuditInput:
    """Everything a check may read: the desired state (account id filled in), one snapshot of
    the account, the thresholds and, when the command read one, the window's access log."""

    desired: DesiredState
    snapshot: Snapshot
    options: AuditOptions
    access_log: AccessLog | None = None


@dataclass(frozen=True)
class Area:
    """One area of checks: its metadata (registered with ``findings.register``) and ``run``."""

    name: str
    checks: tuple[Check, ...]
    run: Callable[[AuditInput], list[Finding]]
