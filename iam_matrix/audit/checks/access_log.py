"""The access-log checks: (desired state, snapshot, access log, options) -> findings. Pure.

The third part of the seed's periodic audit ("review the IAM access logs in CloudTrail:
sign-in events, authorization events, password resets"), as checks over parsed events:

* ``console-login-no-mfa``: a console sign-in of an IAM user without MFA (CIS 1.10 in practice);
* ``root-sign-in`` and ``root-activity``: any use of the root user (CIS 1.7);
* ``console-login-failures``: ``threshold`` or more failed sign-ins for one user name within an hour;
* ``iam-change-out-of-band``: an IAM write call by a principal no ``deployPrincipals`` pattern
  matches, with who, when, from where; ``iam-self-service`` for a user's own password, MFA and keys;
* ``access-log-unreadable``: files or records that could not be read;
* drift attribution: ``attribute`` adds to each drift finding the event that most likely caused it.

A window that could not be read, or that holds no event while no trail logs, is
``could-not-check``: silence is never a pass.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from fnmatch import fnmatchcase

from ...catalog import ADMIN_POLICY_ARN
from ...desired import DesiredState
from ..events import AccessLog, Event
from ..findings import Check, Finding, could_not_check, register
from ..snapshot import Snapshot
from .base import Area, AuditInput

DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html"
CHECKS = register(
    Check(
        "console-login-no-mfa",
        "access-log",
        "high",
        "A user signed in to the console without MFA",
        "1.10",
        remediation="have the user enrol MFA; find out why the sign-in was allowed without it",
        doc=DOC,
    ),
    Check(
        "root-sign-in",
        "access-log",
        "critical",
        "The root user signed in to the console",
        "1.7",
        remediation="find out who used root and why; rotate its password and check its MFA",
        doc=DOC,
    ),
    Check(
        "root-activity",
        "access-log",
        "high",
        "The root user made calls (other than signing in)",
        "1.7",
        remediation="find out who used root and why; use IAM roles for the task",
        doc=DOC,
    ),
    Check(
        "console-login-failures",
        "access-log",
        "medium",
        "Repeated failed console sign-ins for one user name within an hour",
        remediation="check whether someone is guessing the password; lock the user if so",
        doc=DOC,
    ),
    Check(
        "iam-change-out-of-band",
        "access-log",
        "high",
        "IAM was changed by a principal other than the stack's deploy principals (iam-matrix:deployPrincipals)",
        remediation="find out who made the change; make it through the matrix, "
        "or add the pipeline's principal to deployPrincipals",
        doc=DOC,
    ),
    Check(
        "iam-self-service",
        "access-log",
        "info",
        "A user changed their own password, MFA device or access key",
        remediation="nothing to do unless the user did not expect it",
        doc=DOC,
    ),
    Check(
        "access-log-unreadable",
        "access-log",
        "medium",
        "A CloudTrail log file or record could not be read; its events were not checked",
        remediation="check the log bucket's files and permissions, then audit again",
        doc=DOC,
    ),
)

ACCESS_LOG_CHECKS = [
    "console-login-no-mfa",
    "root-sign-in",
    "root-activity",
    "console-login-failures",
    "iam-change-out-of-band",
    "iam-self-service",
]
FAILURE_WINDOW = timedelta(hours=1)
# What an IAM user does to their own credentials: expected self-service, not a change of access.
SELF_SERVICE = frozenset(
    {
        "ChangePassword",
        "CreateVirtualMFADevice",
        "EnableMFADevice",
        "ResyncMFADevice",
        "DeactivateMFADevice",
        "DeleteVirtualMFADevice",
        "CreateAccessKey",
        "UpdateAccessKey",
        "DeleteAccessKey",
        "UploadSSHPublicKey",
        "UpdateSSHPublicKey",
        "DeleteSSHPublicKey",
        "CreateServiceSpecificCredential",
        "UpdateServiceSpecificCredential",
        "DeleteServiceSpecificCredential",
        "ResetServiceSpecificCredential",
    }
)
EXAMPLES_SHOWN = 5


def matches_deploy_principal(event: Event, patterns: Iterable[str]) -> bool:
    """The caller's ARN, or the role behind its session, matches one pattern (``*`` and ``?`` wildcards)."""
    arns = [a for a in (event.principal_arn, event.issuer_arn) if a]
    return any(fnmatchcase(arn, pattern) for pattern in patterns for arn in arns)


def _when(event: Event) -> str:
    return event.time.strftime("%Y-%m-%d %H:%M:%S UTC")


def _origin(event: Event) -> str:
    return f"from {event.source_ip or 'an unknown address'}" + (f" ({event.user_agent})" if event.user_agent else "")


def _target(event: Event) -> tuple[str, str]:
    """(resource, words) for what an IAM call changed, from its request parameters."""
    t = event.target
    if "userName" in t and "groupName" in t:
        return f"user/{t['userName']}", f"{t['userName']} / group {t['groupName']}"
    for key, kind in (("groupName", "group"), ("userName", "user"), ("roleName", "role")):
        if key in t:
            extra = t.get("policyArn") or t.get("policyName") or ""
            return f"{kind}/{t[key]}", t[key] + (f" / {extra}" if extra else "")
    if "policyArn" in t:
        return "policy/" + t["policyArn"].rsplit(":policy/", 1)[-1], t["policyArn"]
    if "policyName" in t:
        return f"policy/{t['policyName']}", t["policyName"]
    if "serialNumber" in t:
        return "mfa/" + t["serialNumber"].rsplit("/", 1)[-1], t["serialNumber"]
    if event.name in ("UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"):
        return "password-policy", "the account password policy"
    return f"iam/{event.name}", ""


# --- the checks ----------------------------------------------------------------------


def access_log_findings(
    desired: DesiredState,
    snapshot: Snapshot,
    log: AccessLog,
    deploy_principals: Iterable[str],
    failed_sign_in_threshold: int,
) -> list[Finding]:
    """Every access-log finding for one window; ``could-not-check`` when the window says nothing."""
    if log.unavailable:
        return [
            could_not_check(
                "access-log",
                log.unavailable,
                ACCESS_LOG_CHECKS,
                "grant cloudtrail:LookupEvents (or s3:ListBucket and s3:GetObject on the log bucket for "
                "--cloudtrail-logs), then audit again"
                if "denied" in log.unavailable
                else None,
            )
        ]
    out: list[Finding] = []
    if not log.events and not _trail_logging(snapshot):
        why = f"{log.source} holds no sign-in, root or IAM event in the {log.days} days since {log.start:%Y-%m-%d}"
        why += f" ({log.files} file(s) read)" if log.files or not log.source.startswith("LookupEvents") else ""
        out.append(
            could_not_check(
                "access-log",
                why + " and no multi-region trail is known to be logging",
                ACCESS_LOG_CHECKS,
                "deploy the AuditBaseline trail (or point --cloudtrail-logs at the organisation trail's "
                "bucket), then audit again",
            )
        )
    out += unreadable_findings(log)
    matrix_users = {u.name for u in desired.users}
    out += sign_in_findings(log.events, matrix_users)
    out += failed_sign_in_findings(log.events, failed_sign_in_threshold)
    out += root_findings(log.events)
    out += iam_change_findings(log.events, tuple(deploy_principals))
    return out


def _trail_logging(snapshot: Snapshot) -> bool:
    return any(
        snapshot.trail_status.get(t.get("TrailARN", ""), {}).get("IsLogging")
        for t in snapshot.trails
        if t.get("IsMultiRegionTrail")
    )


def unreadable_findings(log: AccessLog) -> list[Finding]:
    """One finding for what could not be read in a source that was: where, and how many more."""
    if not log.problems and not log.truncated:
        return []
    shown = "; ".join(str(p) for p in log.problems[:EXAMPLES_SHOWN])
    count = len(log.problems) + log.more_problems
    parts = (
        [
            f"{count} file(s) or record(s) of {log.source} could not be read: {shown}"
            + (" ..." if count > EXAMPLES_SHOWN else "")
        ]
        if count
        else []
    )
    if log.truncated:
        parts.append(
            f"more than {log.max_events:,} sign-in, root and IAM events in the window: those past the limit "
            "were not checked"
        )
    return [
        Finding(
            "access-log-unreadable",
            "access-log",
            "; ".join(parts),
            "find out who wrote those files (a trail writes valid JSON); audit a shorter --since window if the "
            "log was truncated",
            details={"problems": [str(p) for p in log.problems], "more": log.more_problems, "truncated": log.truncated},
        )
    ]


def sign_in_findings(events: Iterable[Event], matrix_users: set[str]) -> list[Finding]:
    """Successful console sign-ins of IAM users without MFA, one finding per user."""
    by_user: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if (
            event.is_sign_in
            and event.identity_type == "IAMUser"
            and event.login_result == "Success"
            and event.mfa_used is False
        ):
            by_user[event.user_name or event.principal_arn.rsplit("/", 1)[-1]].append(event)
    out = []
    for name, signins in sorted(by_user.items()):
        last = max(signins, key=lambda e: e.time)
        who = "a user of the matrix" if name in matrix_users else "not in the matrix"
        ips = sorted({e.source_ip for e in signins if e.source_ip})
        out.append(
            Finding(
                "console-login-no-mfa",
                f"user/{name}",
                f"{name} ({who}) signed in to the console without MFA {len(signins)} time(s), last at "
                f"{_when(last)} {_origin(last)}",
                f"have {name} enrol an MFA device and attach the stack's MFA-forcing policy; ask {name} whether "
                "the sign-ins were theirs",
                details={"count": len(signins), "source_ips": ips, "last": last.to_dict()},
            )
        )
    return out


def failed_sign_in_findings(events: Iterable[Event], threshold: int) -> list[Finding]:
    """``threshold`` or more failed sign-ins for one user name within any one hour."""
    failures: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.is_sign_in and event.login_result == "Failure":
            failures["root" if event.is_root else event.user_name or "an unknown user name"].append(event)
    out = []
    for name, items in sorted(failures.items()):
        items.sort(key=lambda e: e.time)
        best, best_start = 0, 0
        start = 0
        for end in range(len(items)):  # the busiest hour, by a sliding window over the sorted times
            while items[end].time - items[start].time > FAILURE_WINDOW:
                start += 1
            if end - start + 1 > best:
                best, best_start = end - start + 1, start
        if best < threshold:
            continue
        burst = items[best_start : best_start + best]
        ips = sorted({e.source_ip for e in burst if e.source_ip})
        out.append(
            Finding(
                "console-login-failures",
                "root" if name == "root" else f"user/{name}",
                f"{best} failed console sign-ins for {name} within an hour ({_when(burst[0])} to "
                f"{_when(burst[-1])}) from {', '.join(ips) or 'unknown addresses'}"
                f" (threshold {threshold})",
                "find out whether the attempts were the user's; block the addresses if not, and check the user has MFA",
                details={
                    "count": best,
                    "threshold": threshold,
                    "source_ips": ips,
                    "first": burst[0].to_dict(),
                    "last": burst[-1].to_dict(),
                },
            )
        )
    return out


def root_findings(events: Iterable[Event]) -> list[Finding]:
    """Root sign-ins one by one, and the rest of the root user's calls as one finding."""
    out = []
    other: list[Event] = []
    for event in events:
        if not event.is_root:
            continue
        if event.is_sign_in:
            if event.login_result != "Success":
                continue  # failed attempts count in console-login-failures
            mfa = {True: "with MFA", False: "WITHOUT MFA", None: "(MFA not recorded)"}[event.mfa_used]
            out.append(
                Finding(
                    "root-sign-in",
                    "root",
                    f"the root user signed in to the console {mfa} at {_when(event)} {_origin(event)}",
                    "find out who holds the root credentials and why they were used; use IAM users or roles "
                    "for daily work (CIS 1.7)",
                    severity=None if event.mfa_used is False else "high",
                    details={"event": event.to_dict()},
                )
            )
        else:
            other.append(event)
    if other:
        other.sort(key=lambda e: e.time)
        names = sorted({e.name for e in other})
        ips = sorted({e.source_ip for e in other if e.source_ip})
        out.append(
            Finding(
                "root-activity",
                "root",
                f"the root user made {len(other)} call(s) between {_when(other[0])} and {_when(other[-1])}: "
                f"{', '.join(names[:10])}{' ...' if len(names) > 10 else ''} from "
                f"{', '.join(ips[:5]) or 'unknown addresses'}",
                "use IAM users or roles for administrative tasks; keep the root credentials locked away with "
                "MFA (CIS 1.7)",
                details={"count": len(other), "events": names, "source_ips": ips, "last": other[-1].to_dict()},
            )
        )
    return out


def _self_service(event: Event) -> bool:
    """A user's call on their own credentials: the user named in the request, or for a call that
    names only an MFA device, the device's name (``mfa/<user>``, the seed's convention), is the caller."""
    if event.name not in SELF_SERVICE or event.identity_type != "IAMUser" or not event.user_name:
        return False
    if "userName" in event.target:
        return event.target["userName"] == event.user_name
    if "serialNumber" in event.target:
        return event.target["serialNumber"].rsplit("/", 1)[-1] == event.user_name
    return event.name in ("ChangePassword", "CreateAccessKey", "CreateVirtualMFADevice")


def iam_change_findings(events: Iterable[Event], deploy_principals: tuple[str, ...]) -> list[Finding]:
    """Successful IAM write calls not made by a deploy principal, one finding each, oldest first."""
    out = []
    for event in sorted((e for e in events if e.is_iam_write and not e.error_code), key=lambda e: e.time):
        if event.identity_type == "AWSService" or matches_deploy_principal(event, deploy_principals):
            continue
        resource, what = _target(event)
        where = f"{_when(event)} {_origin(event)}"
        if _self_service(event):
            out.append(
                Finding(
                    "iam-self-service",
                    resource,
                    f"{event.name} by {event.actor} on their own user at {where}",
                    "nothing to do if the user did it; otherwise treat their password and keys as compromised",
                    details={"event": event.to_dict()},
                )
            )
            continue
        admin = event.target.get("policyArn") == ADMIN_POLICY_ARN
        out.append(
            Finding(
                "iam-change-out-of-band",
                resource,
                f"{event.name}{' on ' + what if what else ''} by {event.actor} at {where}, outside the stack's "
                "deploy principals",
                f"ask {event.actor} why IAM was changed outside the pipeline; run pulumi up to undo it or put "
                "the change in the matrix "
                "and review it; if nobody made it, treat those credentials as compromised",
                severity="critical" if admin else None,
                details={"event": event.to_dict()},
            )
        )
    return out


# --- drift attribution ---------------------------------------------------------------

Matcher = Callable[[Event, Finding], bool]


def _param(key: str) -> Callable[[Finding], str]:
    """The value a finding's resource or details give for one request parameter."""

    def value(finding: Finding) -> str:
        kind, _, name = finding.resource.partition("/")
        if key == "userName" and kind == "user":
            return name
        if key == "groupName":
            return finding.details.get("group") or (name if kind == "group" else "")
        if key == "policyArn":
            return finding.details.get("policy_arn", "")
        if key == "policyName":
            return finding.details.get("policy") or (name.rsplit("/", 1)[-1] if kind == "policy" else "")
        return ""

    return value


def _event_value(event: Event, key: str) -> str:
    if key == "policyName":  # DeletePolicy and CreatePolicyVersion name the policy by ARN
        return event.target.get("policyName") or event.target.get("policyArn", "").rsplit("/", 1)[-1]
    return event.target.get(key, "")


def _on(*names: str, keys: tuple[str, ...] = ()) -> Matcher:
    """An event of one of ``names`` whose request parameters equal the finding's for ``keys``
    (a key the finding does not know is not compared)."""

    def match(event: Event, finding: Finding) -> bool:
        return event.name in names and all(
            _event_value(event, key) == want for key in keys if (want := _param(key)(finding))
        )

    return match


def _inline(event: Event, finding: Finding) -> bool:
    name = "PutGroupPolicy" if finding.resource.startswith("group/") else "PutUserPolicy"
    return _on(name, keys=("userName", "groupName", "policyName"))(event, finding)


ATTRIBUTION: dict[str, Matcher] = {
    "user-unexpected": _on("CreateUser", keys=("userName",)),
    "user-missing": _on("DeleteUser", keys=("userName",)),
    "group-unexpected": _on("CreateGroup", keys=("groupName",)),
    "group-missing": _on("DeleteGroup", keys=("groupName",)),
    "membership-unexpected": _on("AddUserToGroup", keys=("userName", "groupName")),
    "membership-missing": _on("RemoveUserFromGroup", keys=("userName", "groupName")),
    "group-policy-unexpected": _on("AttachGroupPolicy", keys=("groupName", "policyArn")),
    "group-policy-missing": _on("DetachGroupPolicy", keys=("groupName", "policyArn")),
    "policy-missing": _on("DeletePolicy", keys=("policyName",)),
    "policy-document-drift": _on("CreatePolicyVersion", "SetDefaultPolicyVersion", keys=("policyName",)),
    "policy-unexpected": _on("CreatePolicy", keys=("policyName",)),
    "inline-policy": _inline,
    "user-policy-attached": _on("AttachUserPolicy", keys=("userName",)),
    "mfa-required-missing": _on("DeactivateMFADevice", "DeleteVirtualMFADevice", keys=("userName",)),
    "console-mfa-missing": _on(
        "CreateLoginProfile", "DeactivateMFADevice", "DeleteVirtualMFADevice", keys=("userName",)
    ),
    "password-policy-length": _on("UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"),
    "password-policy-reuse": _on("UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"),
    "password-policy-weaker": _on("UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"),
    "password-policy-missing": _on("DeleteAccountPasswordPolicy"),
}


def attribute(findings: list[Finding], log: AccessLog) -> list[Finding]:
    """Each drift finding with the latest successful IAM call of the window that explains it
    (principal, time, source IP), or "no event in the window"."""
    writes = sorted((e for e in log.events if e.is_iam_write and not e.error_code), key=lambda e: e.time, reverse=True)
    out = []
    for finding in findings:
        match = ATTRIBUTION.get(finding.check)
        if match is None:
            out.append(finding)
            continue
        if log.unavailable:
            note, attribution = (
                "; cause unknown: the access log could not be read",
                {"event": None, "reason": log.unavailable},
            )
        else:
            event = next((e for e in writes if match(e, finding)), None)
            if event is None:
                note = f"; no event in the window ({log.days} days of {log.source})"
                attribution = {"event": None, "window_days": log.days, "source": log.source}
            else:
                ip = event.source_ip or "an unknown address"
                note = f"; most likely {event.name} by {event.actor} at {_when(event)} from {ip}"
                attribution = event.to_dict()
        out.append(
            dataclasses.replace(
                finding, message=finding.message + note, details={**finding.details, "attribution": attribution}
            )
        )
    return out


def _area_findings(given: AuditInput) -> list[Finding]:
    if given.access_log is None:
        return []
    options = given.options
    return access_log_findings(
        given.desired, given.snapshot, given.access_log, options.deploy_principals, options.failed_sign_in_threshold
    )


AREA = Area("access-log", CHECKS, _area_findings)


# --- the report's sign-in table ------------------------------------------------------


@dataclass(frozen=True)
class SignInRow:
    """One user name's console sign-ins in the window (the HTML report's sign-in table)."""

    user: str
    successes: int
    without_mfa: int
    failures: int
    last: str  # time of the last attempt
    source_ips: tuple[str, ...]


def sign_in_rows(log: AccessLog) -> list[SignInRow]:
    """Console sign-ins per user name (root included), most attempts first."""
    by_user: dict[str, list[Event]] = defaultdict(list)
    for event in log.events:
        if event.is_sign_in:
            by_user["root" if event.is_root else event.user_name or "an unknown user name"].append(event)
    rows = []
    for user, items in by_user.items():
        ok = [e for e in items if e.login_result == "Success"]
        rows.append(
            SignInRow(
                user,
                len(ok),
                sum(e.mfa_used is False for e in ok),
                len(items) - len(ok),
                _when(max(items, key=lambda e: e.time)),
                tuple(sorted({e.source_ip for e in items if e.source_ip})),
            )
        )
    return sorted(rows, key=lambda r: (-(r.successes + r.failures), r.user.lower()))
