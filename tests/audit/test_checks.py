"""The pure checks on hand-made snapshots: no AWS, no moto."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iam_matrix.audit.checks import CHECKS, AuditOptions, run_checks
from iam_matrix.audit.checks.drift import canonical
from iam_matrix.audit.checks.logging import logging_findings
from iam_matrix.audit.findings import Finding
from iam_matrix.audit.snapshot import ROOT_ROW, Snapshot, parse_credential_report
from iam_matrix.compiler import compile_state
from iam_matrix.desired import CustomPolicy, DesiredState, Group, PolicyRef, User
from iam_matrix.password_policy import PasswordPolicy
from iam_matrix.settings import load_stack_settings

ACCOUNT = "123456789012"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
GUARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["s3:DeleteBucket"], "Resource": "*"}]}


def desired() -> DesiredState:
    policy = CustomPolicy("Guard", "/foundation/", GUARD, "policies/foundation/Guard.json")
    guard = PolicyRef("Guard", policy.arn, "custom", guardrail=True, grants=False)
    read = PolicyRef("ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess", "aws")
    groups = (Group("Viewer", "Viewer", 1, "/", (guard, read)),)
    users = (User("ann", True, ("Viewer",), "users.csv"), User("bob", False, (), "users.csv"))
    return DesiredState("dev", None, "/", True, groups, users, (policy,), PasswordPolicy()).with_account(ACCOUNT)


def report_row(user: str, **fields: str) -> dict[str, str]:
    row = {
        "user": user,
        "password_enabled": "false",
        "mfa_active": "false",
        "user_creation_time": (NOW - timedelta(days=1)).isoformat(),
        "access_key_1_active": "false",
        "access_key_2_active": "false",
    }
    row.update(fields)
    return row


def clean_snapshot() -> Snapshot:
    guard_arn = f"arn:aws:iam::{ACCOUNT}:policy/foundation/Guard"
    return Snapshot(
        account_id=ACCOUNT,
        taken_at=NOW,
        credential_report=[
            report_row(ROOT_ROW, mfa_active="true"),
            report_row("ann", mfa_active="true"),
            report_row("bob"),
        ],
        users=[
            {
                "UserName": "ann",
                "Path": "/",
                "GroupList": ["Viewer"],
                "UserPolicyList": [],
                "AttachedManagedPolicies": [],
            },
            {"UserName": "bob", "Path": "/", "GroupList": [], "UserPolicyList": [], "AttachedManagedPolicies": []},
        ],
        groups=[
            {
                "GroupName": "Viewer",
                "Path": "/",
                "GroupPolicyList": [],
                "AttachedManagedPolicies": [
                    {"PolicyName": "Guard", "PolicyArn": guard_arn},
                    {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                ],
            }
        ],
        policies=[
            {
                "PolicyName": "Guard",
                "Path": "/foundation/",
                "Arn": guard_arn,
                "PolicyVersionList": [
                    {
                        "IsDefaultVersion": True,
                        "Document": {
                            "Statement": {"Resource": "*", "Action": "s3:DeleteBucket", "Effect": "Deny"},
                            "Version": "2012-10-17",
                        },
                    }
                ],
            }
        ],
        password_policy={
            "MinimumPasswordLength": 14,
            "RequireSymbols": True,
            "RequireNumbers": True,
            "RequireUppercaseCharacters": True,
            "RequireLowercaseCharacters": True,
            "AllowUsersToChangePassword": True,
            "ExpirePasswords": True,
            "MaxPasswordAge": 90,
            "PasswordReusePrevention": 24,
            "HardExpiry": False,
        },
        virtual_mfa_devices=[
            {"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/ann", "User": {"UserName": "ann"}, "EnableDate": NOW}
        ],
        **baseline(),
    )


def baseline() -> dict[str, Any]:
    """What the AuditBaseline component leaves in an account."""
    arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/iam-matrix"
    return {
        "trails": [
            {
                "Name": "iam-matrix",
                "TrailARN": arn,
                "IsMultiRegionTrail": True,
                "LogFileValidationEnabled": True,
                "IncludeGlobalServiceEvents": True,
            }
        ],
        "trail_status": {arn: {"IsLogging": True}},
        "config_recorders": [{"name": "iam-matrix"}],
        "config_recorder_status": [{"name": "iam-matrix", "recording": True}],
        "analyzers": [{"name": "iam-matrix-dev", "type": "ACCOUNT", "status": "ACTIVE"}],
    }


def checks(snapshot: Snapshot, options: AuditOptions | None = None) -> list[tuple[str, str]]:
    return [(f.check, f.resource) for f in run_checks(desired(), snapshot, options)]


def test_clean_snapshot_has_no_findings() -> None:
    assert checks(clean_snapshot()) == []


def test_every_check_id_is_catalogued_with_a_known_severity() -> None:
    with pytest.raises(ValueError):
        Finding("no-such-check", "x", "m", "r")
    assert all(c.severity in ("critical", "high", "medium", "low", "info") for c in CHECKS.values())


def test_canonical_ignores_order_and_single_item_lists() -> None:
    a = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["b:*", "a:*"], "Resource": ["*"]}]}
    b = {"Statement": {"Resource": "*", "Action": ["a:*", "b:*"], "Effect": "Allow"}, "Version": "2012-10-17"}
    assert canonical(a) == canonical(b)
    assert canonical(a) != canonical({**b, "Statement": {**b["Statement"], "Effect": "Deny"}})


# --- logging: the function the AuditBaseline tests use ------------------------------------


def test_logging_passes_with_the_audit_baseline() -> None:
    assert logging_findings(Snapshot(ACCOUNT, **baseline())) == []


def test_organization_analyzer_counts() -> None:
    parts = baseline() | {"analyzers": [{"name": "org", "type": "ORGANIZATION", "status": "ACTIVE"}]}
    assert logging_findings(Snapshot(ACCOUNT, **parts)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"trails": []}, "cloudtrail-missing"),
        ({"trails": [{**baseline()["trails"][0], "IsMultiRegionTrail": False}]}, "cloudtrail-missing"),
        (
            {"trail_status": {f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/iam-matrix": {"IsLogging": False}}},
            "cloudtrail-not-logging",
        ),
        ({"trails": [{**baseline()["trails"][0], "LogFileValidationEnabled": False}]}, "cloudtrail-log-validation"),
        ({"trails": [{**baseline()["trails"][0], "IncludeGlobalServiceEvents": False}]}, "cloudtrail-global-events"),
        ({"config_recorders": [], "config_recorder_status": []}, "config-recorder-missing"),
        ({"config_recorder_status": [{"name": "iam-matrix", "recording": False}]}, "config-recorder-not-recording"),
        ({"analyzers": []}, "access-analyzer-missing"),
        ({"analyzers": [{"name": "a", "type": "ACCOUNT", "status": "CREATING"}]}, "access-analyzer-missing"),
        (
            {"analyzers": [{"name": "a", "type": "ACCOUNT_UNUSED_ACCESS", "status": "ACTIVE"}]},
            "access-analyzer-missing",
        ),
    ],
)
def test_logging_gaps(change: dict[str, Any], expected: str) -> None:
    assert [f.check for f in logging_findings(Snapshot(ACCOUNT, **(baseline() | change)))] == [expected]


def test_unreadable_services_are_could_not_check_at_the_checks_severity() -> None:
    reasons = {"cloudtrail": "cloudtrail:DescribeTrails denied (AccessDenied)", "config": "x", "access-analyzer": "y"}
    found = logging_findings(Snapshot(ACCOUNT, unavailable=reasons))
    assert [(f.check, f.resource, f.severity) for f in found] == [
        ("could-not-check", "cloudtrail", "high"),
        ("could-not-check", "config", "medium"),
        ("could-not-check", "access-analyzer", "medium"),
    ]
    assert "cloudtrail:DescribeTrails" in found[0].message


def test_trail_status_error_is_not_reported_as_stopped() -> None:
    parts = baseline() | {
        "trail_status": {
            f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/iam-matrix": {"error": "cloudtrail:GetTrailStatus denied"}
        }
    }
    assert [(f.check, f.resource) for f in logging_findings(Snapshot(ACCOUNT, **parts))] == [
        ("could-not-check", "cloudtrail")
    ]


# --- credentials, MFA and password policy ------------------------------------------------


def test_unused_and_old_credentials() -> None:
    snapshot = clean_snapshot()
    old = (NOW - timedelta(days=120)).isoformat()
    snapshot.credential_report[2] = report_row(
        "bob",
        password_enabled="true",
        mfa_active="true",
        password_last_used=(NOW - timedelta(days=50)).isoformat(),
        access_key_1_active="true",
        access_key_1_last_rotated=old,
        access_key_1_last_used_date="N/A",
        access_key_2_active="true",
        access_key_2_last_rotated=(NOW - timedelta(days=3)).isoformat(),
        access_key_2_last_used_date=(NOW - timedelta(days=1)).isoformat(),
    )
    found = run_checks(desired(), snapshot)
    assert sorted((f.check, f.details.get("credential", "")) for f in found) == [
        ("access-key-old", "access_key_1"),
        ("access-keys-two-active", ""),
        ("credential-unused", "access_key_1"),
        ("credential-unused", "password"),
    ]
    assert checks(snapshot, AuditOptions(unused_credential_days=200, access_key_max_age_days=200)) == [
        ("access-keys-two-active", "user/bob")
    ]


def test_thresholds_come_from_the_stack_config_through_the_desired_state() -> None:
    """The audit and the AuditBaseline's Config rules read the same two compiled numbers."""
    state = compile_state(
        load_stack_settings(stack="dev", overrides={"auditUnusedCredentialDays": 200, "auditAccessKeyMaxAgeDays": 30})
    )
    assert AuditOptions.of(state) == AuditOptions(
        unused_credential_days=200,
        access_key_max_age_days=30,
        deploy_principals=("arn:aws:iam::*:role/iam-matrix-deploy",),
    )
    assert AuditOptions.of(desired()) == AuditOptions()


def test_console_user_without_mfa_and_root() -> None:
    snapshot = clean_snapshot()
    snapshot.credential_report[0] = report_row(ROOT_ROW, mfa_active="false", access_key_1_active="true")
    snapshot.credential_report[2] = report_row("bob", password_enabled="true", password_last_used=NOW.isoformat())
    assert sorted(checks(snapshot)) == [
        ("console-mfa-missing", "user/bob"),
        ("root-access-key", "root"),
        ("root-mfa", "root"),
    ]


def test_mfa_from_either_source_and_device_name() -> None:
    snapshot = clean_snapshot()
    snapshot.credential_report[1]["mfa_active"] = (
        "false"  # report older than the enrolment: the live device list still shows it
    )
    assert checks(snapshot) == []
    snapshot.virtual_mfa_devices[0]["SerialNumber"] = f"arn:aws:iam::{ACCOUNT}:mfa/phone"
    assert checks(snapshot) == [("mfa-device-name", "user/ann")]
    snapshot.virtual_mfa_devices = []
    assert checks(snapshot) == [("mfa-required-missing", "user/ann")]


def test_missing_root_row_is_could_not_check() -> None:
    snapshot = clean_snapshot()
    del snapshot.credential_report[0]
    assert checks(snapshot) == [("could-not-check", "root-account")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"MinimumPasswordLength": 8}, [("password-policy-length", "password-policy/MinimumPasswordLength")]),
        ({"PasswordReusePrevention": 5}, [("password-policy-reuse", "password-policy/PasswordReusePrevention")]),
        ({"RequireSymbols": False}, [("password-policy-weaker", "password-policy/RequireSymbols")]),
        (
            {"ExpirePasswords": False, "MaxPasswordAge": 0},
            [("password-policy-weaker", "password-policy/MaxPasswordAge")],
        ),
        ({"MaxPasswordAge": 365}, [("password-policy-weaker", "password-policy/MaxPasswordAge")]),
        (
            {"AllowUsersToChangePassword": False},
            [("password-policy-weaker", "password-policy/AllowUsersToChangePassword")],
        ),
        (
            {"MinimumPasswordLength": 20, "MaxPasswordAge": 30},
            [
                ("password-policy-differs", "password-policy/MaxPasswordAge"),
                ("password-policy-differs", "password-policy/MinimumPasswordLength"),
            ],
        ),
    ],
)
def test_password_policy_field_by_field(change: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    snapshot = clean_snapshot()
    snapshot.password_policy = {**(snapshot.password_policy or {}), **change}
    assert sorted(checks(snapshot)) == sorted(expected)


def test_no_password_policy() -> None:
    snapshot = clean_snapshot()
    snapshot.password_policy = None
    assert checks(snapshot) == [("password-policy-missing", "password-policy")]


# --- drift scope ---------------------------------------------------------------------------


def test_groups_outside_the_group_path_are_not_compared_but_users_are() -> None:
    snapshot = clean_snapshot()
    snapshot.groups.append(
        {"GroupName": "Billing", "Path": "/finance/", "GroupPolicyList": [], "AttachedManagedPolicies": []}
    )
    assert checks(snapshot) == [
        ("group-unexpected", "group/Billing")
    ]  # the stack's groupPath is "/": everything is in scope
    scoped = desired()
    scoped = dataclasses.replace(scoped, groups=tuple(dataclasses.replace(g, path="/people/") for g in scoped.groups))
    snapshot.groups[0]["Path"] = "/people/"
    assert [(f.check, f.resource) for f in run_checks(scoped, snapshot)] == []


def test_unexpected_customer_policy_under_a_stack_path() -> None:
    snapshot = clean_snapshot()
    snapshot.policies.append(
        {
            "PolicyName": "Old",
            "Path": "/foundation/",
            "Arn": f"arn:aws:iam::{ACCOUNT}:policy/foundation/Old",
            "PolicyVersionList": [],
        }
    )
    snapshot.policies.append(
        {
            "PolicyName": "Theirs",
            "Path": "/team/",
            "Arn": f"arn:aws:iam::{ACCOUNT}:policy/team/Theirs",
            "PolicyVersionList": [],
        }
    )
    assert checks(snapshot) == [("policy-unexpected", "policy/foundation/Old")]


def test_missing_user_and_group_are_reported_once() -> None:
    snapshot = clean_snapshot()
    snapshot.users = [u for u in snapshot.users if u["UserName"] != "ann"]
    snapshot.groups = []
    assert sorted(checks(snapshot)) == [("group-missing", "group/Viewer"), ("user-missing", "user/ann")]


def test_credential_report_parsing() -> None:
    rows = parse_credential_report(
        b"user,arn,mfa_active\n<root_account>,arn:aws:iam::1:root,true\nann,arn:aws:iam::1:user/ann,false\n"
    )
    assert rows[0]["user"] == ROOT_ROW and rows[1]["mfa_active"] == "false"
