"""The audit end to end against a moto account built from the seed's desired state."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator.seed import ACCOUNT, Account, build_account, new_session
from iam_matrix.audit.checks import AuditOptions
from iam_matrix.audit.command import audit
from iam_matrix.audit.gather import gather
from iam_matrix.cli import main
from iam_matrix.desired import DesiredState

AA_NOT_CHECKED = ("could-not-check", "access-analyzer")  # moto has no IAM Access Analyzer


def findings_of(account: Account) -> list[tuple[str, str]]:
    snapshot = gather(account.session)
    return [(f.check, f.resource) for f in audit(account.desired, snapshot, AuditOptions()).findings]


@pytest.mark.parametrize("via", ["api", "backend"])
def test_seed_account_audits_clean_except_access_analyzer(
    aws_env: dict[str, Any], desired: DesiredState, via: str
) -> None:
    session = new_session()
    build_account(session, desired, via=via)
    seed_account = Account(session, desired)
    snapshot = gather(seed_account.session)
    result = audit(seed_account.desired, snapshot, AuditOptions())
    assert [(f.check, f.resource) for f in result.findings] == [AA_NOT_CHECKED]
    (finding,) = result.findings
    assert finding.severity == "medium"
    assert "access-analyzer:ListAnalyzers" in finding.message
    assert snapshot.account_id == ACCOUNT
    assert len(snapshot.users) == len(seed_account.desired.users)
    assert set(result.grid.cells.values()) == {"expected"}


def _add_to_admin(a: Account) -> None:
    a.iam.add_user_to_group(GroupName="Admin", UserName="banana@demoasacode.io")


def _add_to_viewer(a: Account) -> None:
    a.iam.add_user_to_group(GroupName="Viewer", UserName="scott@demoasacode.io")


def _admin_on_viewer(a: Account) -> None:
    a.iam.attach_group_policy(GroupName="Viewer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def _inline_policy(a: Account) -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    a.iam.put_user_policy(UserName="scott@demoasacode.io", PolicyName="quick-fix", PolicyDocument=json.dumps(document))


def _remove_mfa(a: Account) -> None:
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/melon@demoasacode.io"
    a.iam.deactivate_mfa_device(UserName="melon@demoasacode.io", SerialNumber=serial)
    a.iam.delete_virtual_mfa_device(SerialNumber=serial)


def _weaken_password_policy(a: Account) -> None:
    pp = a.desired.password_policy
    a.iam.update_account_password_policy(
        MinimumPasswordLength=8,
        RequireSymbols=pp.require_symbols,
        RequireNumbers=pp.require_numbers,
        RequireUppercaseCharacters=pp.require_uppercase_characters,
        RequireLowercaseCharacters=pp.require_lowercase_characters,
        AllowUsersToChangePassword=pp.allow_users_to_change_password,
        MaxPasswordAge=pp.max_password_age,
        PasswordReusePrevention=pp.password_reuse_prevention,
        HardExpiry=pp.hard_expiry,
    )


def _old_access_key(a: Account) -> None:
    a.iam.create_access_key(UserName="car@demoasacode.io")
    a.age_access_key("car@demoasacode.io", days=100, used_days_ago=1)  # in use, so only its age is wrong


def _stop_cloudtrail(a: Account) -> None:
    a.client("cloudtrail").stop_logging(Name="audit")


def _unexpected_user(a: Account) -> None:
    a.iam.create_user(UserName="intern@demoasacode.io")


def _policy_document_changed(a: Account) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:policy/foundation/MFAForcePolicy"
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    a.iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True)


def _policy_on_user(a: Account) -> None:
    a.iam.attach_user_policy(UserName="tiger@demoasacode.io", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")


def _membership_removed(a: Account) -> None:
    a.iam.remove_user_from_group(GroupName="DBA-2", UserName="scott@demoasacode.io")


def _guardrail_detached(a: Account) -> None:
    a.iam.detach_group_policy(
        GroupName="Viewer", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/foundation/DenyIPAddressPolicy"
    )


def _config_stopped(a: Account) -> None:
    a.client("config").stop_configuration_recorder(ConfigurationRecorderName="default")


def _trail_validation_off(a: Account) -> None:
    a.client("cloudtrail").update_trail(Name="audit", EnableLogFileValidation=False)


DRIFTS: list[tuple[str, Callable[[Account], None], tuple[str, str], str]] = [
    ("user added to Admin by hand", _add_to_admin, ("membership-unexpected", "user/banana@demoasacode.io"), "critical"),
    ("user added to Viewer by hand", _add_to_viewer, ("membership-unexpected", "user/scott@demoasacode.io"), "high"),
    (
        "AdministratorAccess attached to Viewer",
        _admin_on_viewer,
        ("group-policy-unexpected", "group/Viewer"),
        "critical",
    ),
    ("inline policy", _inline_policy, ("inline-policy", "user/scott@demoasacode.io"), "high"),
    ("MFA device removed", _remove_mfa, ("mfa-required-missing", "user/melon@demoasacode.io"), "high"),
    (
        "weakened password policy",
        _weaken_password_policy,
        ("password-policy-length", "password-policy/MinimumPasswordLength"),
        "medium",
    ),
    ("access key older than 90 days", _old_access_key, ("access-key-old", "user/car@demoasacode.io"), "medium"),
    ("CloudTrail stopped", _stop_cloudtrail, ("cloudtrail-not-logging", "cloudtrail/audit"), "high"),
    ("user not in the matrix", _unexpected_user, ("user-unexpected", "user/intern@demoasacode.io"), "high"),
    (
        "foundation policy edited",
        _policy_document_changed,
        ("policy-document-drift", "policy/foundation/MFAForcePolicy"),
        "high",
    ),
    ("policy attached to a user", _policy_on_user, ("user-policy-attached", "user/tiger@demoasacode.io"), "high"),
    ("user removed from a group", _membership_removed, ("membership-missing", "user/scott@demoasacode.io"), "medium"),
    ("guardrail detached", _guardrail_detached, ("group-policy-missing", "group/Viewer"), "high"),
    ("Config recorder stopped", _config_stopped, ("config-recorder-not-recording", "config/default"), "medium"),
    (
        "trail log file validation off",
        _trail_validation_off,
        ("cloudtrail-log-validation", "cloudtrail/audit"),
        "medium",
    ),
]


EVERYONE_BUT_ADMIN = {"banana", "bicycle", "car", "devapple", "lamp", "manager", "melon", "scott", "symple"}
# What the access model makes of a drift (the live documents judged like the matrix's): the
# drift finding says what changed, the access finding what it lets people do.
ACCESS_FINDINGS: dict[str, set[tuple[str, str]]] = {
    "user added to Admin by hand": {("access-admin-unexpected", "user/banana@demoasacode.io")},
    "AdministratorAccess attached to Viewer": {
        ("access-admin-unexpected", f"user/{u}@demoasacode.io") for u in ("banana", "bicycle", "car", "melon")
    },
    # MFAForcePolicy rewritten to allow * on *: everyone is an administrator and nobody is held to MFA
    "foundation policy edited": {("access-admin-unexpected", f"user/{u}@demoasacode.io") for u in EVERYONE_BUT_ADMIN}
    | {("access-guardrail-weakened", f"user/{u}@demoasacode.io") for u in EVERYONE_BUT_ADMIN | {"admin"}},
    # bicycle and car keep DenyIPAddressPolicy through DBA and Developer
    "guardrail detached": {
        ("access-guardrail-weakened", "user/banana@demoasacode.io"),
        ("access-guardrail-weakened", "user/melon@demoasacode.io"),
    },
}


@pytest.mark.parametrize(("name", "inject", "expected", "severity"), DRIFTS, ids=[d[0] for d in DRIFTS])
def test_each_drift_yields_exactly_its_finding(
    seed_account: Account, name: str, inject: Callable[[Account], None], expected: tuple[str, str], severity: str
) -> None:
    inject(seed_account)
    result = audit(seed_account.desired, gather(seed_account.session), AuditOptions())
    found = [f for f in result.findings if (f.check, f.resource) != AA_NOT_CHECKED and f.area != "access"]
    assert [(f.check, f.resource) for f in found] == [expected]
    assert found[0].severity == severity
    assert found[0].remediation
    assert {(f.check, f.resource) for f in result.findings if f.area == "access"} == ACCESS_FINDINGS.get(name, set())


def test_root_without_mfa_is_critical(seed_account: Account, aws_env: dict[str, Any]) -> None:
    aws_env["root_mfa"] = False
    assert set(findings_of(seed_account)) == {("root-mfa", "root"), AA_NOT_CHECKED}


def test_grid_marks_missing_and_unexpected_memberships(seed_account: Account) -> None:
    _add_to_admin(seed_account)
    _membership_removed(seed_account)
    grid = audit(seed_account.desired, gather(seed_account.session), AuditOptions()).grid
    assert grid.cells[("banana@demoasacode.io", "Admin")] == "unexpected"
    assert grid.cells[("scott@demoasacode.io", "DBA-2")] == "missing"
    assert grid.cells[("scott@demoasacode.io", "DBA")] == "expected"


# --- the command ---------------------------------------------------------------------------


def test_command_json_and_exit_codes(seed_account: Account, project: Path, tmp_path: Path, quiet_logs: Path) -> None:
    out = tmp_path / "report.json"
    logs = ["--cloudtrail-logs", str(quiet_logs)]
    assert (
        main(
            [
                "audit",
                "--project-dir",
                str(project),
                "--format",
                "json",
                "--fail-on",
                "high",
                "--output",
                str(out),
                *logs,
            ]
        )
        == 0
    )
    report = json.loads(out.read_text())
    assert [(f["check"], f["resource"], f["severity"]) for f in report["findings"]] == [(*AA_NOT_CHECKED, "medium")]
    assert report["summary"]["account_id"] == ACCOUNT and report["summary"]["by_severity"]["medium"] == 1
    assert report["summary"]["access_log"]["events"] == 1 and report["summary"]["access_log"]["files"] == 1
    assert (
        main(["audit", "--project-dir", str(project), "--format", "json", "--output", str(out), *logs]) == 1
    )  # default --fail-on low


def test_command_writes_each_format(seed_account: Account, project: Path, tmp_path: Path) -> None:
    _admin_on_viewer(seed_account)
    _add_to_admin(seed_account)
    from tests.audit.conftest import recent, write_trail_logs
    from tests.audit.test_events import records

    by_hand = [recent(r) for r in records() if r["userIdentity"].get("userName") == "mallory@demoasacode.io"]
    logs = write_trail_logs(tmp_path / "logs", by_hand)
    for fmt in ("text", "json", "markdown", "html"):
        out = tmp_path / f"report.{fmt}"
        assert (
            main(
                [
                    "audit",
                    "--project-dir",
                    str(project),
                    "--format",
                    fmt,
                    "--output",
                    str(out),
                    "--fail-on",
                    "critical",
                    "--cloudtrail-logs",
                    str(logs),
                ]
            )
            == 1
        )
        text = out.read_text()
        assert "group-policy-unexpected" in text and "membership-unexpected" in text
        assert "iam-change-out-of-band" in text and "mallory@demoasacode.io" in text  # who did it, in every format
    page = (tmp_path / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert (
        "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page
    )  # self-contained
    assert 'class="cell unexpected"' in page and 'class="cell expected"' in page
    assert "| critical | `group-policy-unexpected` |" in (tmp_path / "report.markdown").read_text()
    assert "<h2>Sign-ins and out-of-band changes</h2>" in page and "<h3>Who caused the drift</h3>" in page
    membership = next(
        f
        for f in json.loads((tmp_path / "report.json").read_text())["findings"]
        if f["check"] == "membership-unexpected"
    )
    assert (
        "most likely AddUserToGroup by arn:aws:iam::123456789012:user/mallory@demoasacode.io" in membership["message"]
    )
    assert membership["details"]["attribution"]["source_ip"] == "203.0.113.45"


def test_command_suppresses_what_the_exceptions_file_accepts(
    seed_account: Account, project: Path, tmp_path: Path, quiet_logs: Path
) -> None:
    """moto has no Access Analyzer: an entry accepting that could-not-check makes the audit pass,
    the report still lists it as suppressed, and --ignore-exceptions counts it again."""
    import shutil

    copy = Path(shutil.copytree(project, tmp_path / "project"))
    expires = datetime.now(UTC).date().isoformat()  # the last day it applies: today
    (copy / "audit-exceptions.yaml").write_text(
        "exceptions:\n"
        "  - check: could-not-check\n"
        "    resource: access-analyzer\n"
        "    reason: moto implements no IAM Access Analyzer (test account)\n"
        f"    expires: {expires}\n"
    )
    out = tmp_path / "report.json"
    command = ["audit", "--project-dir", str(copy), "--format", "json", "--output", str(out)]
    assert main([*command, "--cloudtrail-logs", str(quiet_logs)]) == 0  # default --fail-on low
    report = json.loads(out.read_text())
    assert report["findings"] == [] and report["summary"]["suppressed"] == 1
    [item] = report["suppressed"]
    assert (item["check"], item["resource"], item["severity"]) == (*AA_NOT_CHECKED, "medium")
    assert item["suppressed"]["expires"] == expires and item["suppressed"]["reason"].startswith("moto implements")
    assert main([*command, "--cloudtrail-logs", str(quiet_logs), "--ignore-exceptions"]) == 1
    assert [(f["check"], f["resource"]) for f in json.loads(out.read_text())["findings"]] == [AA_NOT_CHECKED]


def test_command_refuses_another_account(
    seed_account: Account, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--project-dir", str(project), "--stack", "other"]) == 2
    assert "pinned to account 111111111111" in capsys.readouterr().err


def test_command_bad_input_exits_2(aws_env: dict[str, Any], project: Path, tmp_path: Path) -> None:
    broken = tmp_path / "users.csv"
    broken.write_text("User,Admin,MFA\nsomeone@example.com,Y,maybe\n")
    assert (
        main(
            [
                "audit",
                "--project-dir",
                str(project),
                "--users",
                str(broken),
                "--policies",
                str(project / "matrix" / "policies.csv"),
            ]
        )
        == 2
    )


def test_command_unknown_profile_exits_2(
    aws_env: dict[str, Any], project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--project-dir", str(project), "--profile", "no-such-profile"]) == 2
    assert "no-such-profile" in capsys.readouterr().err


def test_command_unreachable_exits_3(
    aws_env: dict[str, Any], project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    assert main(["audit", "--project-dir", str(project)]) == 3
    assert "could not read the account" in capsys.readouterr().err


class _Denied:
    status_code = 403
    headers: dict[str, str] = {}
    content = b""


def deny(session: boto3.Session, event: str) -> None:
    """Make botocore answer one operation with AccessDenied without sending it."""

    def refuse(**_: Any) -> tuple[Any, dict[str, Any]]:
        return _Denied(), {
            "Error": {"Code": "AccessDenied", "Message": "not authorized"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }

    session.events.register(f"before-call.{event}", refuse)


def test_core_call_denied_exits_3_naming_the_action(
    seed_account: Account, project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import iam_matrix.audit.gather as gather_module

    real = gather_module.make_session

    def denied_session(*args: Any) -> boto3.Session:
        session = real(*args)
        deny(session, "iam.GetAccountAuthorizationDetails")
        return session

    monkeypatch.setattr(gather_module, "make_session", denied_session)
    assert main(["audit", "--project-dir", str(project)]) == 3
    assert "iam:GetAccountAuthorizationDetails" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("event", "part", "action"),
    [
        ("cloudtrail.DescribeTrails", "cloudtrail", "cloudtrail:DescribeTrails"),
        ("config-service.DescribeConfigurationRecorders", "config", "config:DescribeConfigurationRecorders"),
        ("iam.GetAccountPasswordPolicy", "password-policy", "iam:GetAccountPasswordPolicy"),
        ("iam.ListVirtualMFADevices", "virtual-mfa-devices", "iam:ListVirtualMFADevices"),
    ],
)
def test_optional_service_denied_is_could_not_check(seed_account: Account, event: str, part: str, action: str) -> None:
    deny(seed_account.session, event)
    found = audit(seed_account.desired, gather(seed_account.session), AuditOptions()).findings
    assert {(f.check, f.resource) for f in found} == {("could-not-check", part), AA_NOT_CHECKED}
    finding = next(f for f in found if f.resource == part)
    assert action in finding.message and "denied" in finding.message


class _Ok:
    status_code = 200
    headers: dict[str, str] = {}
    content = b""


def test_unexpected_answer_is_could_not_check_not_a_crash(seed_account: Account) -> None:
    seed_account.session.events.register(
        "before-call.cloudtrail.DescribeTrails", lambda **_: (_Ok(), {"trailList": [{"Name": "half-a-trail"}]})
    )
    found = audit(seed_account.desired, gather(seed_account.session), AuditOptions()).findings
    assert {(f.check, f.resource) for f in found} == {("could-not-check", "cloudtrail"), AA_NOT_CHECKED}
    assert "unexpected answer" in next(f for f in found if f.resource == "cloudtrail").message


def test_command_region_is_the_stacks_unless_region_is_given(
    seed_account: Account, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_DEFAULT_REGION in the shell does not silently win over the stack's aws:region."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    out = tmp_path / "report.json"
    main(["audit", "--project-dir", str(project), "--format", "json", "--fail-on", "none", "--output", str(out)])
    assert json.loads(out.read_text())["summary"]["region"] == "us-east-1"  # the stack's aws:region
    main(
        [
            "audit",
            "--project-dir",
            str(project),
            "--format",
            "json",
            "--fail-on",
            "none",
            "--output",
            str(out),
            "--region",
            "eu-west-1",
        ]
    )
    report = json.loads(out.read_text())
    assert report["summary"]["region"] == "eu-west-1"
    # moto has no LookupEvents: the access log is "could not check", never a pass nor a crash
    assert "cloudtrail:LookupEvents" in report["summary"]["access_log"]["unavailable"]
    assert ("could-not-check", "access-log") in {(f["check"], f["resource"]) for f in report["findings"]}


def test_command_reads_trail_logs_from_s3(seed_account: Account, project: Path, tmp_path: Path) -> None:
    """``--cloudtrail-logs s3://...``: the gzipped files of a trail's bucket, on the moto server."""
    import gzip

    from tests.audit.conftest import recent
    from tests.audit.test_events import records

    _add_to_admin(seed_account)
    s3 = seed_account.session.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="org-trail")
    by_hand = [recent(r) for r in records() if r["eventName"] == "AddUserToGroup"]
    day = datetime.now(UTC)
    key = (
        f"AWSLogs/o-abc123/{ACCOUNT}/CloudTrail/us-east-1/{day:%Y/%m/%d}"
        f"/{ACCOUNT}_CloudTrail_us-east-1_{day:%Y%m%dT%H%MZ}_x.json.gz"
    )
    s3.put_object(Bucket="org-trail", Key=key, Body=gzip.compress(json.dumps({"Records": by_hand}).encode()))
    out = tmp_path / "report.json"
    main(
        [
            "audit",
            "--project-dir",
            str(project),
            "--format",
            "json",
            "--fail-on",
            "none",
            "--output",
            str(out),
            "--cloudtrail-logs",
            "s3://org-trail/AWSLogs/",
        ]
    )
    report = json.loads(out.read_text())
    assert report["summary"]["access_log"]["files"] == 1 and report["summary"]["access_log"]["requests"] == 2
    membership = next(f for f in report["findings"] if f["check"] == "membership-unexpected")
    assert membership["details"]["attribution"]["principal"] == "arn:aws:iam::123456789012:user/mallory@demoasacode.io"


# --- the live documents of AWS managed policies ---------------------------------------------


def _attached_aws_arns(desired: DesiredState) -> set[str]:
    return {p.arn for g in desired.groups for p in g.policies if p.kind == "aws"}


def test_gather_reads_the_live_documents_of_the_attached_aws_managed_policies(seed_account: Account) -> None:
    snapshot = gather(seed_account.session)
    assert set(snapshot.managed_documents) == _attached_aws_arns(seed_account.desired)
    assert not snapshot.managed_unreadable
    version = seed_account.iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
    live = seed_account.iam.get_policy_version(
        PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess", VersionId=version["DefaultVersionId"]
    )["PolicyVersion"]["Document"]
    assert snapshot.managed_documents["arn:aws:iam::aws:policy/ReadOnlyAccess"] == live


def test_the_access_checks_judge_the_live_aws_managed_document(seed_account: Account) -> None:
    """The account's ReadOnlyAccess answers with a document allowing * on *: the four Viewer
    members are admin-equivalent, although the shipped snapshot's ReadOnlyAccess is read only."""

    def everything(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        if params.get("body", {}).get("PolicyArn") != "arn:aws:iam::aws:policy/ReadOnlyAccess":
            return None
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        quoted = urllib.parse.quote(json.dumps(document))  # as IAM answers it; botocore decodes it
        return _Ok(), {"PolicyVersion": {"Document": quoted, "VersionId": "v9", "IsDefaultVersion": True}}

    seed_account.session.events.register("before-call.iam.GetPolicyVersion", everything)
    found = audit(seed_account.desired, gather(seed_account.session), AuditOptions()).findings
    assert {(f.check, f.resource) for f in found if f.area == "access"} == {
        ("access-admin-unexpected", f"user/{u}@demoasacode.io") for u in ("banana", "bicycle", "car", "melon")
    }


def test_an_unreadable_aws_managed_document_falls_back_to_the_shipped_snapshot(seed_account: Account) -> None:
    deny(seed_account.session, "iam.GetPolicyVersion")
    snapshot = gather(seed_account.session)
    assert set(snapshot.managed_unreadable) == _attached_aws_arns(seed_account.desired)
    assert all("iam:GetPolicyVersion denied" in r for r in snapshot.managed_unreadable.values())
    found = audit(seed_account.desired, snapshot, AuditOptions()).findings
    assert {(f.check, f.resource) for f in found} == {AA_NOT_CHECKED}  # judged by the snapshot: still clean
    _admin_on_viewer(seed_account)
    found = audit(seed_account.desired, gather(seed_account.session), AuditOptions()).findings
    admin = next(f for f in found if f.check == "access-admin-unexpected")
    assert "AdministratorAccess" in admin.details["aws_managed_documents_from_shipped_snapshot"]
    assert "iam:GetPolicyVersion denied" in admin.details["why"]["AdministratorAccess"]
