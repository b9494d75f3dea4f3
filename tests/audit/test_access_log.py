"""The access-log checks and drift attribution, over the fixture's events: pure, no AWS."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from iam_matrix.audit.checks import AuditOptions, run_checks
from iam_matrix.audit.checks.access_log import access_log_findings, attribute, matches_deploy_principal
from iam_matrix.audit.command import audit
from iam_matrix.audit.events import AccessLog, parse_record
from iam_matrix.audit.findings import Finding
from iam_matrix.audit.report import AuditResult, render_html, render_json, render_markdown, render_text
from iam_matrix.audit.snapshot import Snapshot
from iam_matrix.compiler import compile_state
from iam_matrix.desired import DesiredState
from iam_matrix.problems import MatrixInvalid
from iam_matrix.settings import load_stack_settings
from tests.audit.test_events import END, START, fixture_log, records

REPO = Path(__file__).resolve().parents[2]
DEPLOY = ("arn:aws:iam::*:role/iam-matrix-deploy",)
ACCOUNT = "123456789012"


@functools.cache
def example() -> DesiredState:
    return compile_state(load_stack_settings(REPO, "dev")).with_account(ACCOUNT)


def logging_trail() -> Snapshot:
    arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/audit"
    return Snapshot(
        ACCOUNT,
        trails=[{"Name": "audit", "TrailARN": arn, "IsMultiRegionTrail": True}],
        trail_status={arn: {"IsLogging": True}},
    )


def findings(log: AccessLog | None = None, snapshot: Snapshot | None = None, threshold: int = 5) -> list[Finding]:
    return access_log_findings(example(), snapshot or logging_trail(), log or fixture_log(), DEPLOY, threshold)


def by_check(items: list[Finding], check: str) -> list[Finding]:
    return [f for f in items if f.check == check]


def test_sign_in_without_mfa_by_a_matrix_user() -> None:
    (finding,) = by_check(findings(), "console-login-no-mfa")
    assert finding.resource == "user/tiger@demoasacode.io" and finding.severity == "high" and finding.cis == "1.10"
    assert "a user of the matrix" in finding.message and "2026-11-30 08:15:42 UTC from 203.0.113.45" in finding.message


def test_root_sign_in_and_root_activity() -> None:
    items = findings()
    (signin,) = by_check(items, "root-sign-in")
    (activity,) = by_check(items, "root-activity")
    assert (
        signin.severity == "high" and "with MFA" in signin.message and "198.51.100.200" in signin.message
    )  # with MFA: high, without: critical
    assert activity.cis == "1.7" and "1 call(s)" in activity.message and "ListBuckets" in activity.message
    no_mfa = {
        **next(r for r in records() if r["userIdentity"]["type"] == "Root" and r["eventName"] == "ConsoleLogin"),
        "additionalEventData": {"MFAUsed": "No"},
    }
    log = AccessLog("x", START, END)
    log.add_record(no_mfa, "x")
    (critical,) = by_check(findings(log), "root-sign-in")
    assert critical.severity == "critical" and "WITHOUT MFA" in critical.message


@pytest.mark.parametrize(("threshold", "expected"), [(5, 1), (6, 0), (2, 1)])
def test_failed_sign_ins_within_an_hour(threshold: int, expected: int) -> None:
    found = by_check(findings(threshold=threshold), "console-login-failures")
    assert len(found) == expected
    if found:
        assert found[0].resource == "user/melon@demoasacode.io" and found[0].message.startswith(
            "5 failed console sign-ins"
        )
        assert "192.0.2.66" in found[0].message


def test_failures_spread_over_more_than_an_hour_do_not_count() -> None:
    failure = next(r for r in records() if r.get("responseElements") == {"ConsoleLogin": "Failure"})
    log = AccessLog("x", START, END)
    for hour in range(6):  # one failure an hour, six hours running
        log.add_record({**failure, "eventID": f"f{hour}", "eventTime": f"2026-11-30T{hour:02d}:30:00Z"}, "x")
    assert not by_check(findings(log), "console-login-failures")


def test_out_of_band_changes_are_the_persons_not_the_pipelines() -> None:
    items = by_check(findings(), "iam-change-out-of-band")
    assert [(f.details["event"]["event"], f.resource) for f in items] == [
        ("AddUserToGroup", "user/banana@demoasacode.io"),
        ("AttachGroupPolicy", "group/Viewer"),
        ("PutUserPolicy", "user/scott@demoasacode.io"),
        ("CreateAccessKey", "user/car@demoasacode.io"),
    ]
    assert all(
        "arn:aws:iam::123456789012:user/mallory@demoasacode.io" in f.message and "203.0.113.45" in f.message
        for f in items
    )
    assert items[1].severity == "critical"  # AdministratorAccess attached
    assert "aws-cli/2.22.5" in items[2].message  # the user agent says how
    assert not any("AccessDenied" in f.message for f in items)  # a denied call changed nothing


def test_self_service_is_info() -> None:
    (finding,) = by_check(findings(), "iam-self-service")
    assert finding.severity == "info" and finding.message.startswith(
        "ChangePassword by arn:aws:iam::123456789012:user/scott@demoasacode.io"
    )


def test_every_change_is_out_of_band_without_deploy_principals() -> None:
    items = access_log_findings(example(), logging_trail(), fixture_log(), (), 5)
    assert len(by_check(items, "iam-change-out-of-band")) == 8


def test_deploy_principal_patterns() -> None:
    deploy = parse_record(next(r for r in records() if r["userIdentity"]["type"] == "AssumedRole"), "x")
    assert deploy is not None and not isinstance(deploy, str)
    assert matches_deploy_principal(
        deploy, ["arn:aws:iam::123456789012:role/iam-matrix-deploy"]
    )  # the role behind the session
    assert matches_deploy_principal(deploy, ["arn:aws:sts::*:assumed-role/iam-matrix-deploy/*"])  # the session itself
    assert not matches_deploy_principal(deploy, ["arn:aws:iam::*:role/iam-matrix-deploy-other"])
    assert not matches_deploy_principal(deploy, ["arn:aws:iam::999999999999:role/iam-matrix-deploy"])


@pytest.mark.parametrize(
    "pattern", ["*", "arn:aws:iam::*:role/*", "arn:aws:iam::*:*", "role/iam-matrix-deploy", "arn:aws:s3:::bucket"]
)
def test_a_pattern_matching_everyone_is_refused(tmp_path: Path, pattern: str) -> None:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        (tmp_path / name).write_text((REPO / name).read_text())
    with pytest.raises(MatrixInvalid) as error:
        compile_state(
            load_stack_settings(
                tmp_path,
                "dev",
                {
                    "deployPrincipals": [pattern],
                    "usersFile": str(REPO / "matrix/users.csv"),
                    "policiesFile": str(REPO / "matrix/policies.csv"),
                    "policiesDir": str(REPO / "policies"),
                },
            )
        )
    assert any(
        p.code == "config-deploy-principal" and "iam-matrix:deployPrincipals" in str(p) for p in error.value.problems
    )


def test_the_options_come_from_the_stack_config() -> None:
    options = AuditOptions.of(example())
    assert options.deploy_principals == DEPLOY and options.failed_sign_in_threshold == 5


def test_no_events_and_no_trail_is_could_not_check() -> None:
    empty = AccessLog("LookupEvents (us-east-1)", START, END)
    (finding,) = findings(empty, Snapshot(ACCOUNT))
    assert finding.check == "could-not-check" and finding.resource == "access-log" and finding.severity == "critical"
    assert "no multi-region trail is known to be logging" in finding.message
    assert findings(empty) == []  # a quiet window with a logging trail passes


def test_an_unreadable_source_is_could_not_check() -> None:
    log = AccessLog(
        "LookupEvents (us-east-1)", START, END, unavailable="cloudtrail:LookupEvents denied (AccessDeniedException)"
    )
    (finding,) = findings(log)
    assert finding.check == "could-not-check" and "cloudtrail:LookupEvents" in finding.remediation


def test_unreadable_files_are_reported_where_they_are() -> None:
    log = fixture_log()
    log.problem("s3://logs/AWSLogs/x.json.gz", "not a readable gzip file")
    (finding,) = by_check(findings(log), "access-log-unreadable")
    assert "s3://logs/AWSLogs/x.json.gz: not a readable gzip file" in finding.message


def test_drift_is_attributed_to_the_event_that_caused_it() -> None:
    drift = [
        Finding(
            "membership-unexpected",
            "user/banana@demoasacode.io",
            "banana is in Admin",
            "fix",
            details={"group": "Admin"},
        ),
        Finding(
            "group-policy-unexpected",
            "group/Viewer",
            "admin on Viewer",
            "fix",
            details={"policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ),
        Finding("inline-policy", "user/scott@demoasacode.io", "inline", "fix", details={"policy": "quick-fix"}),
        Finding(
            "membership-unexpected", "user/car@demoasacode.io", "car is in Admin", "fix", details={"group": "Admin"}
        ),
        Finding("root-mfa", "root", "no root MFA", "fix"),
    ]
    banana, viewer, scott, car, root = attribute(drift, fixture_log())
    assert banana.message.endswith(
        "; most likely AddUserToGroup by arn:aws:iam::123456789012:user/mallory@demoasacode.io"
        " at 2026-11-30 09:12:44 UTC from 203.0.113.45"
    )
    assert (
        banana.details["attribution"]["principal"] == "arn:aws:iam::123456789012:user/mallory@demoasacode.io"
        and banana.details["group"] == "Admin"
    )
    assert (
        "AttachGroupPolicy by arn:aws:iam::123456789012:user/mallory" in viewer.message
    )  # not the pipeline's ReadOnlyAccess attachment
    assert "PutUserPolicy by arn:aws:iam::123456789012:user/mallory" in scott.message
    assert (
        car.message.endswith("; no event in the window (30 days of fixture)")
        and car.details["attribution"]["event"] is None
    )
    assert root == drift[4]  # not a drift finding


def test_run_checks_reads_the_access_log_it_is_given() -> None:
    found = run_checks(example(), logging_trail(), access_log=fixture_log())
    checks = {f.check for f in found}
    assert {
        "console-login-no-mfa",
        "root-sign-in",
        "iam-change-out-of-band",
        "console-login-failures",
        "user-missing",
    } <= checks
    user_missing = next(f for f in found if f.check == "user-missing")
    assert "no event in the window" in user_missing.message
    assert not any(
        "no event in the window" in f.message for f in run_checks(example(), logging_trail())
    )  # no log given: no attribution


HOSTILE_AGENT = "<script>alert(1)</script> [click](https://evil.example) `code` | cell\nline"


def hostile_result() -> AuditResult:
    record = next(r for r in records() if r["eventName"] == "AddUserToGroup" and r["userIdentity"]["type"] == "IAMUser")
    record = {
        **record,
        "userAgent": HOSTILE_AGENT,
        "requestParameters": {"groupName": "Admin", "userName": "x`<img src=x>|y"},
    }
    log = AccessLog("fixture", START, END)
    log.add_record(record, "x")
    return audit(example(), logging_trail(), AuditOptions.of(example()), log)


def test_every_format_carries_the_same_access_log_findings() -> None:
    result = audit(example(), logging_trail(), AuditOptions.of(example()), fixture_log())
    wanted = {(f.check, f.resource) for f in result.findings if f.area == "access-log"}
    assert {"console-login-no-mfa", "root-sign-in", "iam-change-out-of-band", "console-login-failures"} <= {
        c for c, _ in wanted
    }
    report = json.loads(render_json(result))
    assert {(f["check"], f["resource"]) for f in report["findings"] if f["area"] == "access-log"} == wanted
    assert report["summary"]["access_log"]["events"] == len(fixture_log().events)
    text, markdown, page = render_text(result), render_markdown(result), render_html(result)
    for check, _ in wanted:
        assert check in text and f"`{check}`" in markdown and f"<code>{check}</code>" in page
    assert "Access log: fixture, 30 days since 2026-11-01 00:00 UTC" in text
    assert "<h2>Sign-ins and out-of-band changes</h2>" in page and "<th>tiger@demoasacode.io</th>" in page


def test_values_from_the_account_are_escaped() -> None:
    result = hostile_result()
    page = render_html(result)
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    markdown = render_markdown(result)
    assert (
        "<script>" not in markdown and "\\[click\\](https://evil.example)" in markdown
    )  # iam_matrix.escape: [ ] escaped, no link
    row = next(line for line in markdown.splitlines() if "iam-change-out-of-band" in line)
    assert row.count(" | ") == 5  # the pipe in the user agent and the user name stays inside its cell
    assert "<code>user/x\\`\\<img src=x\\>\\|y</code>" in row  # a backtick in the value cannot end the code


def test_deleting_another_users_mfa_device_is_not_self_service() -> None:
    person = next(r for r in records() if r["eventName"] == "AddUserToGroup" and r["userIdentity"]["type"] == "IAMUser")
    log = AccessLog("x", START, END)
    for number, owner in enumerate(("melon@demoasacode.io", "mallory@demoasacode.io")):
        log.add_record(
            {
                **person,
                "eventID": f"mfa-{number}",
                "eventName": "DeleteVirtualMFADevice",
                "requestParameters": {"serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/{owner}"},
            },
            "x",
        )
    items = findings(log)
    assert [(f.check, f.resource) for f in items if f.area == "access-log"] == [
        ("iam-change-out-of-band", "mfa/melon@demoasacode.io"),
        ("iam-self-service", "mfa/mallory@demoasacode.io"),
    ]
