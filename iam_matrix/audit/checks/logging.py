"""Logging and automation: CloudTrail (CIS 3.1, 3.2), AWS Config (3.3) and IAM Access Analyzer
(1.20), as the AuditBaseline component deploys them."""

from __future__ import annotations

from ...escape import shell_word
from ..findings import Check, Finding, could_not_check, register
from ..snapshot import Snapshot
from .base import Area

BASELINE = "deploy the AuditBaseline component (docs/audit-baseline.md)"
TRAIL_DOC = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html"

CHECKS = register(
    Check(
        "cloudtrail-missing",
        "logging",
        "high",
        "No multi-region CloudTrail trail",
        "3.1",
        remediation=BASELINE,
        doc=TRAIL_DOC,
    ),
    Check(
        "cloudtrail-not-logging",
        "logging",
        "high",
        "No multi-region CloudTrail trail is logging",
        "3.1",
        remediation="start logging on the trail",
        doc=TRAIL_DOC,
    ),
    Check(
        "cloudtrail-log-validation",
        "logging",
        "medium",
        "No logging multi-region trail has log file validation",
        "3.2",
        remediation="enable log file validation on the trail",
        doc="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html",
    ),
    Check(
        "cloudtrail-global-events",
        "logging",
        "medium",
        "The logging multi-region trail does not include global service events (IAM and sign-in events)",
        "3.1",
        remediation="include global service events in the trail",
        doc=TRAIL_DOC,
    ),
    Check(
        "config-recorder-missing",
        "logging",
        "medium",
        "No AWS Config configuration recorder in the audited region",
        "3.3",
        remediation=BASELINE,
        doc="https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html",
    ),
    Check(
        "config-recorder-not-recording",
        "logging",
        "medium",
        "The AWS Config configuration recorder is not recording",
        "3.3",
        remediation="start the configuration recorder",
        doc="https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html",
    ),
    Check(
        "access-analyzer-missing",
        "logging",
        "medium",
        "No active IAM Access Analyzer (account or organization) in the audited region",
        "1.20",
        remediation=BASELINE,
        doc="https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html",
    ),
)


def logging_findings(snapshot: Snapshot) -> list[Finding]:
    """CloudTrail, AWS Config and IAM Access Analyzer, as the AuditBaseline component deploys them.

    Passing needs: a multi-region trail that is logging, with log file validation and global
    service events; a Config recorder that is recording; an ACTIVE analyzer of type ACCOUNT or
    ORGANIZATION."""
    return _cloudtrail(snapshot) + _config(snapshot) + _access_analyzer(snapshot)


def _cloudtrail(snapshot: Snapshot) -> list[Finding]:
    checks = ["cloudtrail-missing", "cloudtrail-not-logging", "cloudtrail-log-validation", "cloudtrail-global-events"]
    if "cloudtrail" in snapshot.unavailable:
        return [could_not_check("cloudtrail", snapshot.unavailable["cloudtrail"], checks)]
    trails = list({t["TrailARN"]: t for t in snapshot.trails if t.get("IsMultiRegionTrail")}.values())
    if not trails:
        return [
            Finding(
                "cloudtrail-missing",
                "cloudtrail",
                "no multi-region CloudTrail trail: API calls, sign-ins "
                "and password resets in most regions are not recorded",
                "deploy the AuditBaseline component (multi-region trail with log file validation)",
            )
        ]
    unknown = [t["Name"] for t in trails if "error" in snapshot.trail_status.get(t["TrailARN"], {"error": "no status"})]
    logging = [t for t in trails if snapshot.trail_status.get(t["TrailARN"], {}).get("IsLogging")]
    names = ", ".join(sorted(t["Name"] for t in trails))
    if not logging:
        if unknown:
            reasons = "; ".join(
                sorted({snapshot.trail_status.get(t["TrailARN"], {}).get("error", "no status") for t in trails})
            )
            return [
                could_not_check(
                    "cloudtrail", f"status of trail(s) {', '.join(unknown)} unknown ({reasons})", checks[1:]
                )
            ]
        return [
            Finding(
                "cloudtrail-not-logging",
                "cloudtrail/" + names,
                f"multi-region trail(s) {names} exist but none is logging",
                f"start logging: aws cloudtrail start-logging --name {shell_word(trails[0]['Name'])}",
            )
        ]
    validated = [t for t in logging if t.get("LogFileValidationEnabled")]
    if not validated:
        return [
            Finding(
                "cloudtrail-log-validation",
                "cloudtrail/" + ", ".join(t["Name"] for t in logging),
                "no logging multi-region trail has log file validation: log files could be altered unnoticed",
                f"aws cloudtrail update-trail --name {shell_word(logging[0]['Name'])} --enable-log-file-validation",
            )
        ]
    if not any(t.get("IncludeGlobalServiceEvents") for t in validated):
        return [
            Finding(
                "cloudtrail-global-events",
                "cloudtrail/" + ", ".join(t["Name"] for t in validated),
                "the multi-region trail does not record global service events (IAM changes and console sign-ins)",
                "aws cloudtrail update-trail --name "
                f"{shell_word(validated[0]['Name'])} --include-global-service-events",
            )
        ]
    return []


def _config(snapshot: Snapshot) -> list[Finding]:
    if "config" in snapshot.unavailable:
        return [
            could_not_check(
                "config", snapshot.unavailable["config"], ["config-recorder-missing", "config-recorder-not-recording"]
            )
        ]
    if not snapshot.config_recorders:
        return [
            Finding(
                "config-recorder-missing",
                f"config/{snapshot.region}",
                f"no AWS Config recorder in {snapshot.region}: IAM configuration "
                "changes are not recorded nor evaluated by Config rules",
                "deploy the AuditBaseline component (Config recorder, delivery channel and IAM rules)",
            )
        ]
    if not any(s.get("recording") for s in snapshot.config_recorder_status):
        names = ", ".join(r.get("name", "?") for r in snapshot.config_recorders)
        return [
            Finding(
                "config-recorder-not-recording",
                f"config/{names}",
                f"AWS Config recorder {names} exists but is not recording",
                "aws configservice start-configuration-recorder --configuration-recorder-name "
                f"{shell_word(snapshot.config_recorders[0].get('name'))}",
            )
        ]
    return []


def _access_analyzer(snapshot: Snapshot) -> list[Finding]:
    if "access-analyzer" in snapshot.unavailable:
        return [
            could_not_check("access-analyzer", snapshot.unavailable["access-analyzer"], ["access-analyzer-missing"])
        ]
    if any(a.get("type") in ("ACCOUNT", "ORGANIZATION") and a.get("status") == "ACTIVE" for a in snapshot.analyzers):
        return []
    others = ", ".join(f"{a.get('name')} ({a.get('type')}, {a.get('status')})" for a in snapshot.analyzers)
    return [
        Finding(
            "access-analyzer-missing",
            f"access-analyzer/{snapshot.region}",
            f"no active IAM Access Analyzer for external access in {snapshot.region}"
            + (f"; found {others}" if others else ""),
            "deploy the AuditBaseline component (account analyzer)",
        )
    ]


AREA = Area("logging", CHECKS, lambda given: logging_findings(given.snapshot))
