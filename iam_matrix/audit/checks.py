"""The checks: (desired state, snapshot, options) -> findings. Pure: no AWS, no clock.

Scope of the drift checks (documented in docs/audit.md):
* users: every user whose path is under the stack's ``userPath`` (``/`` by default, so all
  users), plus any user the matrix names wherever it lives. A user in scope but not in the
  matrix is ``user-unexpected``: finding users nobody needs is the point of the seed's audit.
* groups: every group under the paths of the planned groups (``groupPath``), plus any group
  the matrix plans. Groups elsewhere belong to someone else and are not compared.
* custom policies: every policy in policies/, and customer managed policies under the same
  IAM paths (``/foundation/``, ...) as unexpected.
* hygiene checks (inline policies, directly attached policies, MFA, credentials) cover every
  user and group of the account: they are account rules, not matrix rules.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..catalog import ADMIN_POLICY_ARN
from ..desired import DesiredState
from ..escape import shell_word
from .access_log import access_log_findings, attribute
from .events import AccessLog
from .findings import Finding, could_not_check, sort_findings
from .snapshot import ROOT_ROW, Snapshot, parse_time


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
        return cls(baseline.unused_credential_days, baseline.access_key_max_age_days, log.deploy_principals, log.failed_sign_in_threshold)


def run_checks(desired: DesiredState, snapshot: Snapshot, options: AuditOptions | None = None, access_log: AccessLog | None = None) -> list[Finding]:
    """Every finding for one account, worst first; with the window's CloudTrail events when
    ``access_log`` is given (the command always reads one), drift findings say who caused them."""
    options = options or AuditOptions()
    if desired.account_id is None:
        desired = desired.with_account(snapshot.account_id)
    findings: list[Finding] = []
    findings += drift_findings(desired, snapshot)
    findings += hygiene_findings(snapshot)
    findings += mfa_findings(desired, snapshot)
    findings += password_findings(desired, snapshot)
    findings += credential_findings(snapshot, options)
    findings += logging_findings(snapshot)
    if access_log is not None:
        findings = attribute(findings, access_log)
        findings += access_log_findings(desired, snapshot, access_log, options.deploy_principals, options.failed_sign_in_threshold)
    return sort_findings(findings)


# --- scope -------------------------------------------------------------------------


def _under(path: str, prefixes: Iterable[str]) -> bool:
    return any(path.startswith(prefix) for prefix in prefixes)


def group_paths(desired: DesiredState) -> set[str]:
    return {g.path for g in desired.groups} or {"/"}


def scoped_users(desired: DesiredState, snapshot: Snapshot) -> list[dict[str, Any]]:
    names = {u.name for u in desired.users}
    return [u for u in snapshot.users if u["UserName"] in names or _under(u.get("Path", "/"), [desired.user_path])]


def scoped_groups(desired: DesiredState, snapshot: Snapshot) -> list[dict[str, Any]]:
    names = {g.name for g in desired.groups}
    paths = group_paths(desired)
    return [g for g in snapshot.groups if g["GroupName"] in names or _under(g.get("Path", "/"), paths)]


# --- drift -------------------------------------------------------------------------


def drift_findings(desired: DesiredState, snapshot: Snapshot) -> list[Finding]:
    """Users, groups, memberships, group attachments and custom policies against the matrix."""
    out: list[Finding] = []
    live_users = {u["UserName"]: u for u in scoped_users(desired, snapshot)}
    live_groups = {g["GroupName"]: g for g in scoped_groups(desired, snapshot)}
    want_users = {u.name: u for u in desired.users}
    want_groups = {g.name: g for g in desired.groups}

    for name, user in want_users.items():
        if name not in live_users:
            fix = "run pulumi up to create it, or delete the row if the person left" if desired.manage_users else "create the user (manageUsers is false, so the stack only manages memberships), or delete the row"
            out.append(Finding("user-missing", f"user/{name}", f"{name} is in the user matrix ({user.source}) but not in the account", fix))
    for name, live in live_users.items():
        if name not in want_users:
            groups = ", ".join(live.get("GroupList", [])) or "no groups"
            out.append(Finding("user-unexpected", f"user/{name}", f"{name} exists in the account but not in the user matrix (member of {groups})",
                               "delete the user if nobody needs it, or add a row to the user matrix", details={"groups": list(live.get("GroupList", []))}))
    for name in want_groups:
        if name not in live_groups:
            out.append(Finding("group-missing", f"group/{name}", f"group {name} is planned by the matrix but does not exist; its members lack its policies", "run pulumi up"))
    members: dict[str, set[str]] = {}
    for user in snapshot.users:
        for group in user.get("GroupList", []):
            members.setdefault(group, set()).add(user["UserName"])
    for name, live in live_groups.items():
        if name not in want_groups:
            policies = [p["PolicyName"] for p in live.get("AttachedManagedPolicies", [])]
            who = ", ".join(sorted(members.get(name, ()))) or "no members"
            out.append(Finding("group-unexpected", f"group/{name}", f"group {name} is not planned by the matrix ({who}; policies: {', '.join(policies) or 'none'})",
                               "delete the group, or add its role to both matrices", details={"members": sorted(members.get(name, ())), "policies": policies}))

    for name, user in want_users.items():
        live = live_users.get(name)
        if live is None:
            continue
        have = set(live.get("GroupList", []))
        for group in user.groups:
            if group in live_groups and group not in have:
                out.append(Finding("membership-missing", f"user/{name}", f"{name} is not in group {group} ({want_groups[group].role}) as the matrix says", "run pulumi up",
                                       details={"group": group}))
        for group in sorted(have):
            if group in want_groups and group not in user.groups:
                admin = ADMIN_POLICY_ARN in want_groups[group].policy_arns or any(p["PolicyArn"] == ADMIN_POLICY_ARN for p in live_groups[group].get("AttachedManagedPolicies", []))
                out.append(Finding("membership-unexpected", f"user/{name}", f"{name} is in group {group} but the matrix does not give them role {want_groups[group].role}" + (" - the group has AdministratorAccess" if admin else ""),
                                   f"remove {name} from {group}, or mark the role in the user matrix", severity="critical" if admin else None, details={"group": group}))

    for name, group in want_groups.items():
        live = live_groups.get(name)
        if live is None:
            continue
        attached = {p["PolicyArn"]: p["PolicyName"] for p in live.get("AttachedManagedPolicies", [])}
        for ref in group.policies:
            if ref.arn not in attached:
                out.append(Finding("group-policy-missing", f"group/{name}", f"{ref.name} ({ref.arn}) is not attached to {name}" + (" - a guardrail is off" if ref.guardrail else ""), "run pulumi up",
                                   details={"policy_arn": ref.arn}))
        for arn in sorted(set(attached) - set(group.policy_arns)):
            admin = arn == ADMIN_POLICY_ARN
            out.append(Finding("group-policy-unexpected", f"group/{name}", f"{attached[arn]} ({arn}) is attached to {name} but not marked for role {group.role} in the policy matrix",
                               f"detach it from {name}, or mark it in the policy matrix", severity="critical" if admin else None, details={"policy_arn": arn}))

    live_policies = {p["Arn"]: p for p in snapshot.policies}
    wanted_arns = set()
    for policy in desired.policies:
        arn = desired.policy_arn(policy)
        wanted_arns.add(arn)
        live = live_policies.get(arn)
        if live is None:
            out.append(Finding("policy-missing", f"policy/{policy.path.strip('/')}/{policy.name}" if policy.path != "/" else f"policy/{policy.name}",
                               f"{policy.name} from {policy.source} does not exist ({arn})", "run pulumi up"))
            continue
        document = default_document(live)
        if document is None or canonical(document) != canonical(policy.document):
            out.append(Finding("policy-document-drift", f"policy{policy.path}{policy.name}", f"the default version of {policy.name} differs from {policy.source}",
                               "run pulumi up to restore it (or put the change in the file and review it)", details={"live": document, "desired": dict(policy.document)}))
    paths = {p.path for p in desired.policies}
    for arn, live in sorted(live_policies.items()):
        if arn not in wanted_arns and live.get("Path", "/") in paths:
            name = live.get("PolicyName") or arn.rsplit("/", 1)[-1]  # moto's details answer omits PolicyName
            out.append(Finding("policy-unexpected", f"policy{live.get('Path', '/')}{name}", f"{name} is under the stack's policy path {live.get('Path')} but not in policies/",
                               "delete it, or add its document to policies/", details={"attachments": live.get("AttachmentCount", 0)}))
    return out


def hygiene_findings(snapshot: Snapshot) -> list[Finding]:
    """Inline policies and policies attached to users, anywhere in the account (CIS 1.15)."""
    out: list[Finding] = []
    for user in snapshot.users:
        name = user["UserName"]
        for policy in user.get("UserPolicyList", []):
            out.append(Finding("inline-policy", f"user/{name}", f"inline policy {policy['PolicyName']} is embedded in user {name}",
                               "delete it; grant access through a group and a managed policy in the policy matrix", details={"policy": policy["PolicyName"]}))
        for policy in user.get("AttachedManagedPolicies", []):
            out.append(Finding("user-policy-attached", f"user/{name}", f"{policy['PolicyName']} ({policy['PolicyArn']}) is attached directly to user {name}",
                               "detach it; give the user a role in the user matrix instead", severity="critical" if policy["PolicyArn"] == ADMIN_POLICY_ARN else None))
    for group in snapshot.groups:
        for policy in group.get("GroupPolicyList", []):
            out.append(Finding("inline-policy", f"group/{group['GroupName']}", f"inline policy {policy['PolicyName']} is embedded in group {group['GroupName']}",
                               "delete it; put the document in policies/ and mark it in the policy matrix", details={"policy": policy["PolicyName"]}))
    return out


def default_document(policy: Mapping[str, Any]) -> Any:
    for version in policy.get("PolicyVersionList", []):
        if version.get("IsDefaultVersion"):
            document = version.get("Document")
            if isinstance(document, str):
                document = json.loads(urllib.parse.unquote(document))
            return document
    return None


def canonical(value: Any) -> Any:
    """A policy document in a form where equal meaning compares equal: key order, list order
    (every list in the IAM policy grammar is a set) and "x" versus ["x"] do not matter."""
    if isinstance(value, Mapping):
        return {k: canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return items[0] if len(items) == 1 else items
    return value


# --- MFA -----------------------------------------------------------------------------


def mfa_active(snapshot: Snapshot) -> dict[str, bool]:
    """User name -> has an active MFA device, from the credential report or the live virtual device list.

    The report may be up to four hours old; the virtual device list is live but omits hardware
    and FIDO keys, so either source saying yes counts."""
    active = {row["user"]: row.get("mfa_active") == "true" for row in snapshot.credential_report if row.get("user") != ROOT_ROW}
    for device in snapshot.virtual_mfa_devices:
        user = (device.get("User") or {}).get("UserName")
        if user and device.get("EnableDate"):
            active[user] = True
    return active


def mfa_findings(desired: DesiredState, snapshot: Snapshot) -> list[Finding]:
    out: list[Finding] = []
    active = mfa_active(snapshot)
    required = {u.name for u in desired.users if u.mfa_required}
    reported: set[str] = set()
    existing = {u["UserName"] for u in snapshot.users}  # the report can list users deleted since it was made
    for user in snapshot.users:
        name = user["UserName"]
        if name in required and not active.get(name, False):
            reported.add(name)
            out.append(Finding("mfa-required-missing", f"user/{name}", f"{name} is marked MFA-required in the user matrix but has no active MFA device",
                               f"have {name} enrol a virtual MFA device named {name} (IAM > Users > Security credentials)"))
    for row in snapshot.credential_report:
        name = row.get("user", "")
        if name == ROOT_ROW or name in reported or name not in existing:
            continue
        if row.get("password_enabled") == "true" and not active.get(name, False):
            out.append(Finding("console-mfa-missing", f"user/{name}", f"{name} can sign in to the console with a password but has no MFA device",
                               f"have {name} enrol an MFA device, or delete the login profile if they need no console access"))
    for device in snapshot.virtual_mfa_devices:
        user = (device.get("User") or {}).get("UserName")
        device_name = device.get("SerialNumber", "").rsplit("/", 1)[-1]
        if user and device.get("EnableDate") and device_name != user:
            out.append(Finding("mfa-device-name", f"user/{user}", f"MFA device {device_name} of {user} is not named after the user", "name virtual MFA devices after their user when they are next replaced"))
    if "virtual-mfa-devices" in snapshot.unavailable:  # MFA status still comes from the credential report
        out.append(could_not_check("virtual-mfa-devices", snapshot.unavailable["virtual-mfa-devices"], ["mfa-device-name"]))
    root = snapshot.report_row(ROOT_ROW)
    if root is None:
        if snapshot.credential_report or snapshot.users:
            out.append(could_not_check("root-account", "the credential report has no <root_account> row", ["root-mfa", "root-access-key"], "regenerate the credential report"))
    else:
        if root.get("mfa_active") != "true":
            out.append(Finding("root-mfa", "root", "the root user has no MFA device", "sign in as root and enrol a hardware or virtual MFA device; then lock the credentials away"))
        keys = [n for n in ("1", "2") if root.get(f"access_key_{n}_active") == "true"]
        if keys:
            out.append(Finding("root-access-key", "root", f"the root user has {len(keys)} active access key(s)", "delete the root access keys; use IAM users or roles"))
    return out


# --- password policy -----------------------------------------------------------------


def password_findings(desired: DesiredState, snapshot: Snapshot) -> list[Finding]:
    """The live password policy against the desired one, one finding per field."""
    if "password-policy" in snapshot.unavailable:
        return [could_not_check("password-policy", snapshot.unavailable["password-policy"], ["password-policy-missing", "password-policy-length", "password-policy-reuse", "password-policy-weaker"])]
    want = desired.password_policy
    live = snapshot.password_policy
    if live is None:
        return [Finding("password-policy-missing", "password-policy", "the account has no password policy: IAM's default allows 8-character passwords that never expire",
                        "run pulumi up (the stack sets the policy from passwordMinimumLength and friends)")]
    out: list[Finding] = []
    fix = "run pulumi up to restore the stack's password policy"

    def field(check: str, name: str, message: str) -> None:
        out.append(Finding(check, f"password-policy/{name}", message, fix))

    length = int(live.get("MinimumPasswordLength", 8))
    if length < want.minimum_password_length:
        field("password-policy-length", "MinimumPasswordLength", f"minimum length is {length}, the stack wants {want.minimum_password_length}")
    elif length > want.minimum_password_length:
        field("password-policy-differs", "MinimumPasswordLength", f"minimum length is {length}, the stack sets {want.minimum_password_length}")
    reuse = int(live.get("PasswordReusePrevention", 0))
    if reuse < want.password_reuse_prevention:
        field("password-policy-reuse", "PasswordReusePrevention", f"remembers {reuse} previous passwords, the stack wants {want.password_reuse_prevention}")
    elif reuse > want.password_reuse_prevention:
        field("password-policy-differs", "PasswordReusePrevention", f"remembers {reuse} previous passwords, the stack sets {want.password_reuse_prevention}")
    for key, wanted, label in (
        ("RequireUppercaseCharacters", want.require_uppercase_characters, "an upper-case letter"),
        ("RequireLowercaseCharacters", want.require_lowercase_characters, "a lower-case letter"),
        ("RequireNumbers", want.require_numbers, "a number"),
        ("RequireSymbols", want.require_symbols, "a symbol"),
    ):
        have = bool(live.get(key, False))
        if wanted and not have:
            field("password-policy-weaker", key, f"passwords need not contain {label}")
        elif have and not wanted:
            field("password-policy-differs", key, f"passwords must contain {label}, the stack does not require it")
    age = int(live.get("MaxPasswordAge", 0)) if live.get("ExpirePasswords", bool(live.get("MaxPasswordAge"))) else 0
    wanted_age = want.max_password_age
    if wanted_age and (age == 0 or age > wanted_age):
        field("password-policy-weaker", "MaxPasswordAge", f"passwords expire after {age} days, the stack wants {wanted_age}" if age else f"passwords never expire, the stack wants {wanted_age} days")
    elif age != wanted_age:
        field("password-policy-differs", "MaxPasswordAge", f"passwords expire after {age} days, the stack sets {wanted_age or 'no expiry'}")
    change = bool(live.get("AllowUsersToChangePassword", False))
    if want.allow_users_to_change_password and not change:
        field("password-policy-weaker", "AllowUsersToChangePassword", "users may not change their own password (so they cannot rotate it)")
    elif change != want.allow_users_to_change_password:
        field("password-policy-differs", "AllowUsersToChangePassword", "users may change their own password, the stack does not allow it")
    hard = bool(live.get("HardExpiry", False))
    if hard != want.hard_expiry:
        field("password-policy-differs", "HardExpiry", f"hard expiry is {'on' if hard else 'off'}, the stack sets it {'on' if want.hard_expiry else 'off'}")
    return out


# --- credentials ---------------------------------------------------------------------


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
                what = f"last used {_days(now, since)} days ago" if last else f"never used, set {_days(now, since)} days ago"
                out.append(Finding("credential-unused", f"user/{name}", f"console password of {name} {what} (limit {unused})",
                                   "delete the login profile if the user no longer needs the console", details={"credential": "password"}))
        active = []
        for n in ("1", "2"):
            if row.get(f"access_key_{n}_active") != "true":
                continue
            active.append(n)
            rotated = parse_time(row.get(f"access_key_{n}_last_rotated"))
            last = parse_time(row.get(f"access_key_{n}_last_used_date"))
            since = last or rotated or created
            if since and _days(now, since) > unused:
                what = f"last used {_days(now, since)} days ago" if last else f"never used, created {_days(now, since)} days ago"
                out.append(Finding("credential-unused", f"user/{name}", f"access key {n} of {name} {what} (limit {unused})",
                                   "deactivate, then delete the key", details={"credential": f"access_key_{n}"}))
            if rotated and _days(now, rotated) > max_age:
                out.append(Finding("access-key-old", f"user/{name}", f"access key {n} of {name} is {_days(now, rotated)} days old (limit {max_age})",
                                   "create a new key, move the workload to it, deactivate and delete the old one", details={"credential": f"access_key_{n}"}))
        if len(active) == 2:
            out.append(Finding("access-keys-two-active", f"user/{name}", f"{name} has two active access keys", "keep one active key per user; deactivate the other once rotation is done"))
    return out


# --- logging and automation ---------------------------------------------------------


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
        return [Finding("cloudtrail-missing", "cloudtrail", "no multi-region CloudTrail trail: API calls, sign-ins and password resets in most regions are not recorded",
                        "deploy the AuditBaseline component (multi-region trail with log file validation)")]
    unknown = [t["Name"] for t in trails if "error" in snapshot.trail_status.get(t["TrailARN"], {"error": "no status"})]
    logging = [t for t in trails if snapshot.trail_status.get(t["TrailARN"], {}).get("IsLogging")]
    names = ", ".join(sorted(t["Name"] for t in trails))
    if not logging:
        if unknown:
            reasons = "; ".join(sorted({snapshot.trail_status.get(t["TrailARN"], {}).get("error", "no status") for t in trails}))
            return [could_not_check("cloudtrail", f"status of trail(s) {', '.join(unknown)} unknown ({reasons})", checks[1:])]
        return [Finding("cloudtrail-not-logging", "cloudtrail/" + names, f"multi-region trail(s) {names} exist but none is logging", f"start logging: aws cloudtrail start-logging --name {shell_word(trails[0]['Name'])}")]
    validated = [t for t in logging if t.get("LogFileValidationEnabled")]
    if not validated:
        return [Finding("cloudtrail-log-validation", "cloudtrail/" + ", ".join(t["Name"] for t in logging), "no logging multi-region trail has log file validation: log files could be altered unnoticed",
                        f"aws cloudtrail update-trail --name {shell_word(logging[0]['Name'])} --enable-log-file-validation")]
    if not any(t.get("IncludeGlobalServiceEvents") for t in validated):
        return [Finding("cloudtrail-global-events", "cloudtrail/" + ", ".join(t["Name"] for t in validated), "the multi-region trail does not record global service events (IAM changes and console sign-ins)",
                        f"aws cloudtrail update-trail --name {shell_word(validated[0]['Name'])} --include-global-service-events")]
    return []


def _config(snapshot: Snapshot) -> list[Finding]:
    if "config" in snapshot.unavailable:
        return [could_not_check("config", snapshot.unavailable["config"], ["config-recorder-missing", "config-recorder-not-recording"])]
    if not snapshot.config_recorders:
        return [Finding("config-recorder-missing", f"config/{snapshot.region}", f"no AWS Config recorder in {snapshot.region}: IAM configuration changes are not recorded nor evaluated by Config rules",
                        "deploy the AuditBaseline component (Config recorder, delivery channel and IAM rules)")]
    if not any(s.get("recording") for s in snapshot.config_recorder_status):
        names = ", ".join(r.get("name", "?") for r in snapshot.config_recorders)
        return [Finding("config-recorder-not-recording", f"config/{names}", f"AWS Config recorder {names} exists but is not recording", f"aws configservice start-configuration-recorder --configuration-recorder-name {shell_word(snapshot.config_recorders[0].get('name'))}")]
    return []


def _access_analyzer(snapshot: Snapshot) -> list[Finding]:
    if "access-analyzer" in snapshot.unavailable:
        return [could_not_check("access-analyzer", snapshot.unavailable["access-analyzer"], ["access-analyzer-missing"])]
    if any(a.get("type") in ("ACCOUNT", "ORGANIZATION") and a.get("status") == "ACTIVE" for a in snapshot.analyzers):
        return []
    others = ", ".join(f"{a.get('name')} ({a.get('type')}, {a.get('status')})" for a in snapshot.analyzers)
    return [Finding("access-analyzer-missing", f"access-analyzer/{snapshot.region}", f"no active IAM Access Analyzer for external access in {snapshot.region}" + (f"; found {others}" if others else ""),
                    "deploy the AuditBaseline component (account analyzer)")]


# --- the users x groups grid (for the HTML report) -----------------------------------


@dataclass(frozen=True)
class Grid:
    users: list[tuple[str, str]]  # (name, "ok" | "missing" | "unexpected")
    groups: list[tuple[str, str]]
    cells: dict[tuple[str, str], str]  # (user, group) -> "expected" | "missing" | "unexpected"
    mfa: dict[str, str] = field(default_factory=dict)  # user -> "active" | "missing" (marked MFA or console password, none) | "none"


def membership_grid(desired: DesiredState, snapshot: Snapshot) -> Grid:
    """Users x groups in scope, each cell expected (in both), missing (matrix only) or unexpected (account only)."""
    live_users = {u["UserName"]: set(u.get("GroupList", [])) for u in scoped_users(desired, snapshot)}
    live_groups = {g["GroupName"] for g in scoped_groups(desired, snapshot)}
    want = {u.name: set(u.groups) for u in desired.users}
    want_groups = [g.name for g in desired.groups]
    users = [(n, "ok" if n in live_users else "missing") for n in want] + [(n, "unexpected") for n in sorted(live_users, key=str.lower) if n not in want]
    groups = [(g, "ok" if g in live_groups else "missing") for g in want_groups] + [(g, "unexpected") for g in sorted(live_groups, key=str.lower) if g not in want_groups]
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
    required = {u.name for u in desired.users if u.mfa_required} | {r["user"] for r in snapshot.credential_report if r.get("password_enabled") == "true"}
    mfa = {user: "active" if active.get(user) else "missing" if user in required else "none" for user, state in users if state != "missing"}
    return Grid(users, groups, cells, mfa)
