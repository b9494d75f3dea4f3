"""The audit's exceptions file: strict reading (every problem at once, with its JSON path),
suppression by check id and resource until the expiry, expired and stale entries reported,
and suppressed findings shown - not counted - in every report format."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from iam_matrix.audit.command import audit, fails
from iam_matrix.audit.exceptions import (
    MAX_DAYS,
    AuditException,
    Exceptions,
    apply_exceptions,
    load_exceptions,
)
from iam_matrix.audit.findings import Finding
from iam_matrix.audit.report import RENDERERS
from iam_matrix.cli import main
from iam_matrix.problems import MatrixInvalid
from iam_matrix.settings import load_stack_settings
from tests.audit.test_checks import NOW, clean_snapshot, desired
from tests.project import REPO, Project
from tests.review.repo import GitProject

TODAY = NOW.date()  # the hand-built snapshot's day: 2026-06-01


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.copy(tmp_path / "project")


def load(project: Project, text: str | None = None, today: date = TODAY, **config: object) -> Exceptions:
    if text is not None:
        project.write("audit-exceptions.yaml", text)
    if config:
        project.set_config(**config)
    return load_exceptions(load_stack_settings(project.root, "dev"), today)


def problems(project: Project, text: str, **config: object) -> list[str]:
    with pytest.raises(MatrixInvalid) as raised:
        load(project, text, **config)
    return [f"{p.location} [{p.code}]: {p.message}" for p in raised.value.problems]


# --- reading the file --------------------------------------------------------------------


def test_a_valid_file_gives_its_entries(project: Project) -> None:
    found = load(
        project,
        """# reviewed in PR #42
exceptions:
  - check: access-analyzer-missing
    resource: access-analyzer
    reason: the organization's ORGANIZATION analyzer covers this account (SEC-101)
    expires: 2026-12-31
  - check: user-unexpected
    resource: "user/ci-*"
    reason: CI users are made by the platform pipeline (SEC-102)
    expires: "2026-07-01"
    stacks: [dev]
""",
    )
    assert found.file == "audit-exceptions.yaml"
    assert [(e.check, e.resource, e.expires, e.stacks, e.where) for e in found.entries] == [
        ("access-analyzer-missing", "access-analyzer", date(2026, 12, 31), (), "audit-exceptions.yaml $.exceptions[0]"),
        ("user-unexpected", "user/ci-*", date(2026, 7, 1), ("dev",), "audit-exceptions.yaml $.exceptions[1]"),
    ]


def test_no_file_at_the_default_path_is_no_exceptions_but_a_configured_file_must_exist(project: Project) -> None:
    assert load(project).entries == ()
    assert problems(project, None, auditExceptionsFile="security/exceptions.yaml") == [  # type: ignore[arg-type]
        f"security/exceptions.yaml [exceptions-file]: file not found ({project.root / 'security/exceptions.yaml'})",
    ]


def test_an_empty_setting_turns_exceptions_off(project: Project) -> None:
    assert load(project, "exceptions: [{check: nope}]\n", auditExceptionsFile="") == Exceptions("")


def test_every_problem_of_every_entry_is_reported_at_once_with_its_json_path(project: Project) -> None:
    assert problems(
        project,
        """exceptions:
  - check: user-unexpectd
    resource: "*"
    reason: ""
    expires: 2030-01-01
    stacks: [prod]
    owner: me
  - resource: user/ann
    expires: 1 June
  - check: exception-expired
    resource: user/*
    reason: "tab\\there"
    expires: 2026-06-01T10:00:00
  - just a string
""",
    ) == [
        "audit-exceptions.yaml $.exceptions[0].owner [exceptions-shape]: unknown field 'owner'",
        "audit-exceptions.yaml $.exceptions[0].check [exception-check]: 'user-unexpectd' is not a check id of "
        "the audit",
        "audit-exceptions.yaml $.exceptions[0].resource [exception-resource]: '*' matches every resource",
        "audit-exceptions.yaml $.exceptions[0].reason [exceptions-shape]: reason is '', not a non-empty text",
        "audit-exceptions.yaml $.exceptions[0].expires [exception-expiry]: 2030-01-01 is more than 365 days ahead "
        "(at most 2027-06-01)",
        "audit-exceptions.yaml $.exceptions[0].stacks [exception-stack]: there is no stack 'prod' "
        "(no Pulumi.prod.yaml in the project)",
        "audit-exceptions.yaml $.exceptions[1].check [exceptions-shape]: the entry has no check",
        "audit-exceptions.yaml $.exceptions[1].reason [exceptions-shape]: the entry has no reason",
        "audit-exceptions.yaml $.exceptions[1].expires [exception-expiry]: '1 June' is not a date written YYYY-MM-DD",
        "audit-exceptions.yaml $.exceptions[2].check [exception-check]: exception-expired reports on the exceptions "
        "file itself and cannot be excepted",
        "audit-exceptions.yaml $.exceptions[2].resource [exception-resource]: 'user/*' matches every resource "
        "of its kind",
        "audit-exceptions.yaml $.exceptions[2].reason [exceptions-shape]: reason 'tab\\there' holds control or "
        "invisible characters",
        "audit-exceptions.yaml $.exceptions[2].expires [exception-expiry]: datetime.datetime(2026, 6, 1, 10, 0) is "
        "not a date written YYYY-MM-DD",
        "audit-exceptions.yaml $.exceptions[3] [exceptions-shape]: the entry is str, not a mapping",
    ]


def test_the_check_id_suggests_the_closest_known_one(project: Project) -> None:
    with pytest.raises(MatrixInvalid) as raised:
        load(project, "exceptions:\n  - {check: inline-polcy, resource: user/a, reason: r, expires: 2026-07-01}\n")
    assert raised.value.problems[0].fix == "did you mean inline-policy?"


def test_the_same_check_and_resource_twice_is_refused(project: Project) -> None:
    entry = "  - {check: inline-policy, resource: user/a, reason: r, expires: 2026-07-01}\n"
    assert problems(project, "exceptions:\n" + entry + entry) == [
        "audit-exceptions.yaml $.exceptions[1] [exception-duplicate]: inline-policy on 'user/a' is already "
        "excepted by $.exceptions[0]",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "exceptions:\n  - check: inline-policy\n    expires: 2026-07-01\n    expires: 2027-05-01\n",
            "audit-exceptions.yaml line 4 [exceptions-file]: the key 'expires' is given twice in one mapping",
        ),
        (
            "exceptions:\n  - &e {check: inline-policy, resource: user/a, reason: r, expires: 2026-07-01}\n  - *e\n",
            "audit-exceptions.yaml line 2 [exceptions-file]: YAML anchors and aliases (&name, *name) are not accepted",
        ),
        ("exceptions: [\n", "audit-exceptions.yaml line 2 [exceptions-file]: not valid YAML"),
        (  # a mapping as a key: refused as unhashable, not a TypeError out of the duplicate-key check
            "exceptions:\n  - {check: inline-policy, {a: 1}: x}\n",
            "audit-exceptions.yaml line 2 [exceptions-file]: not valid YAML ('found unhashable key')",
        ),
        ("- check: inline-policy\n", "audit-exceptions.yaml $ [exceptions-shape]: the file must be a mapping"),
        ("exceptions: {check: x}\n", "audit-exceptions.yaml $.exceptions [exceptions-shape]: exceptions is dict"),
    ],
)
def test_a_file_that_is_not_strict_yaml_of_the_right_shape_is_refused(
    project: Project, text: str, expected: str
) -> None:
    [problem] = problems(project, text)
    assert problem.startswith(expected)


def test_a_file_too_large_or_not_utf8_is_refused(project: Project) -> None:
    [big] = problems(project, "#" * (1 << 20) + "\n")
    assert "[exceptions-file]: the file is 1,048,577 bytes; at most 1,048,576 are read" in big
    (project.root / "audit-exceptions.yaml").write_bytes(b"exceptions: []\n# \xff\n")
    with pytest.raises(MatrixInvalid, match=r"exceptions-file.*not UTF-8"):
        load(project)


def test_a_symlink_or_a_path_outside_the_project_is_refused(project: Project, tmp_path: Path) -> None:
    inside = project.write("security/exceptions.yaml", "exceptions: []\n")
    os.symlink(inside, project.root / "audit-exceptions.yaml")
    [link] = problems(project, None)  # type: ignore[arg-type]
    assert "[path-symlink]: 'audit-exceptions.yaml' is a symlink" in link
    (project.root / "audit-exceptions.yaml").unlink()
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("exceptions: []\n")
    os.symlink(outside, project.root / "audit-exceptions.yaml")
    [out] = problems(project, None)  # type: ignore[arg-type]
    assert "[path-outside]: iam-matrix:auditExceptionsFile is 'audit-exceptions.yaml', outside the project" in out
    [far] = problems(project, None, auditExceptionsFile=str(outside))  # type: ignore[arg-type]
    assert "iam-matrix:auditExceptionsFile [path-outside]" in far


def test_the_horizon_is_counted_from_the_audits_day(project: Project) -> None:
    last = TODAY + timedelta(MAX_DAYS)
    text = f"exceptions:\n  - {{check: inline-policy, resource: user/a, reason: r, expires: {last}}}\n"
    assert len(load(project, text).entries) == 1
    assert len(problems(project, text.replace(str(last), str(last + timedelta(1))))) == 1


def test_the_command_exits_2_on_a_bad_file_before_reading_aws(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import iam_matrix.audit.gather as gather

    monkeypatch.setattr(gather, "make_session", lambda *a, **k: pytest.fail("AWS was read"))
    project.write("audit-exceptions.yaml", "exceptions:\n  - {check: nope, resource: '*'}\n")
    assert main(["audit", "--project-dir", str(project.root)]) == 2
    err = capsys.readouterr().err
    assert "audit-exceptions.yaml $.exceptions[0].check: error [exception-check]" in err
    assert "audit-exceptions.yaml $.exceptions[0].reason: error [exceptions-shape]" in err
    assert "invalid: 4 error(s), 0 warning(s)" in err  # check, resource, no reason, no expires


# --- validate reads it too ---------------------------------------------------------------


def soon() -> str:
    """An expiry validate accepts on the day the test runs (validate counts from today, UTC)."""
    return (datetime.now(UTC).date() + timedelta(30)).isoformat()


def test_validate_reports_the_files_problems_with_the_matrixs(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pull request that breaks the file fails validate, not only the next audit."""
    project.write("audit-exceptions.yaml", "exceptions:\n  - {check: inline-polcy, resource: '*'}\n")
    project.edit("matrix/policies.csv", "ReadOnlyAccess,", "ReadOnlyAcess,")
    assert main(["validate", "--project-dir", str(project.root), "--format", "json"]) == 2
    errors = [p for p in json.loads(capsys.readouterr().out)["problems"] if p["severity"] == "error"]
    assert [(p["location"], p["code"]) for p in errors if p["file"] == "audit-exceptions.yaml"] == [
        ("audit-exceptions.yaml $.exceptions[0].reason", "exceptions-shape"),
        ("audit-exceptions.yaml $.exceptions[0].expires", "exceptions-shape"),
        ("audit-exceptions.yaml $.exceptions[0].check", "exception-check"),
        ("audit-exceptions.yaml $.exceptions[0].resource", "exception-resource"),
    ]
    assert "did you mean inline-policy?" in next(p["fix"] for p in errors if p["code"] == "exception-check")
    assert any(p["code"] == "policy-unknown" for p in errors)  # the matrix's problems are still all there


def test_validate_accepts_a_good_file_and_no_file(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--project-dir", str(project.root)]) == 0
    entry = f"  - {{check: inline-policy, resource: user/ci-bot, reason: PR 42, expires: {soon()}}}\n"
    project.write("audit-exceptions.yaml", "exceptions:\n" + entry)
    assert main(["validate", "--project-dir", str(project.root)]) == 0
    project.set_config(auditExceptionsFile="security/missing.yaml")  # a file the stack names must exist
    assert main(["validate", "--project-dir", str(project.root)]) == 2
    assert "security/missing.yaml: error [exceptions-file]: file not found" in capsys.readouterr().out


def test_validate_at_a_ref_reads_the_file_committed_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The pull-request workflow validates the PR's commit with the base's code: the file at the
    ref counts, not the working tree's, and the stacks an entry names are the ref's stack files."""
    (tmp_path / "repo").mkdir()
    repo = GitProject(tmp_path / "repo")
    shutil.copy(repo.root / "Pulumi.dev.yaml", repo.root / "Pulumi.prod.yaml")
    repo.edit("Pulumi.prod.yaml", '"111111111111"', '"222222222222"')
    entry = f"  - {{check: inline-policy, resource: user/ci-bot, reason: r, expires: {soon()}, stacks: [prod]}}\n"
    (repo.root / "audit-exceptions.yaml").write_text("exceptions:\n" + entry)
    good = repo.commit("an exception for prod")
    (repo.root / "audit-exceptions.yaml").write_text(
        "exceptions:\n" + entry.replace("expires:", "expires: 2026-01-01, expires:")
    )
    bad = repo.commit("an expiry given twice")
    (repo.root / "audit-exceptions.yaml").write_text("exceptions:\n" + entry)  # the working tree is fine again
    assert main(["validate", "--project-dir", str(repo.root), "--ref", good]) == 0
    capsys.readouterr()
    assert main(["validate", "--project-dir", str(repo.root), "--ref", bad]) == 2
    assert "audit-exceptions.yaml line 2: error [exceptions-file]" in capsys.readouterr().out
    (repo.root / "audit-exceptions.yaml").unlink()
    os.symlink("Pulumi.yaml", repo.root / "audit-exceptions.yaml")
    linked = repo.commit("exceptions by symlink")
    assert main(["validate", "--project-dir", str(repo.root), "--ref", linked]) == 2
    assert "'audit-exceptions.yaml' is a symlink" in capsys.readouterr().err


def test_validate_reads_the_file_without_boto3_or_pulumi() -> None:
    code = (
        "import sys\n"
        "from iam_matrix.cli import main\n"
        f"assert main(['validate', '--project-dir', {str(REPO)!r}]) == 0\n"
        "assert 'iam_matrix.audit.exceptions' in sys.modules\n"
        "bad = [m for m in ('pulumi', 'pulumi_aws', 'boto3', 'botocore') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, capture_output=True)


# --- applying it -------------------------------------------------------------------------


def entry(
    check: str, resource: str, expires: date = TODAY, index: int = 0, stacks: tuple[str, ...] = ()
) -> AuditException:
    return AuditException(check, resource, f"reason {index}", expires, f"x.yaml $.exceptions[{index}]", stacks)


def finding(check: str, resource: str) -> Finding:
    return Finding(check, resource, f"{check} on {resource}", "fix it")


def test_an_entry_suppresses_its_check_on_matching_resources_through_its_last_day() -> None:
    findings = [
        finding("user-unexpected", "user/ci-1"),
        finding("user-unexpected", "user/cid"),
        finding("inline-policy", "user/ci-1"),
    ]
    exceptions = Exceptions("x.yaml", (entry("user-unexpected", "user/ci-?"),))
    applied = apply_exceptions(findings, exceptions, "dev", TODAY)
    assert [(s.finding.resource, s.exception.where) for s in applied.suppressed] == [
        ("user/ci-1", "x.yaml $.exceptions[0]")
    ]
    assert [(f.check, f.resource) for f in applied.findings] == [
        ("user-unexpected", "user/cid"),
        ("inline-policy", "user/ci-1"),
    ]


def test_glob_characters_other_than_star_and_question_mark_are_literal() -> None:
    exceptions = Exceptions("x.yaml", (entry("inline-policy", "user/[ab]*"),))
    applied = apply_exceptions(
        [finding("inline-policy", "user/a1"), finding("inline-policy", "user/[ab]1")], exceptions, "dev", TODAY
    )
    assert [s.finding.resource for s in applied.suppressed] == ["user/[ab]1"]


def test_an_expired_entry_suppresses_nothing_and_is_itself_a_finding() -> None:
    applied = apply_exceptions(
        [finding("inline-policy", "user/a")],
        Exceptions("x.yaml", (entry("inline-policy", "user/a"),)),
        "dev",
        TODAY + timedelta(1),
    )
    assert applied.suppressed == []
    assert [(f.check, f.resource, f.severity) for f in applied.findings] == [
        ("inline-policy", "user/a", "high"),
        ("exception-expired", "x.yaml $.exceptions[0]", "low"),
    ]
    assert "expired on 2026-06-01; its 1 finding(s) count again (reason given: reason 0)" in applied.findings[1].message


def test_an_entry_that_matches_nothing_is_reported_as_unused_unless_its_check_could_not_run() -> None:
    exceptions = Exceptions(
        "x.yaml", (entry("inline-policy", "user/gone"), entry("access-analyzer-missing", "access-analyzer", index=1))
    )
    not_checked = Finding(
        "could-not-check", "access-analyzer", "m", "r", details={"checks": ["access-analyzer-missing"]}
    )
    applied = apply_exceptions([not_checked], exceptions, "dev", TODAY)
    assert [(f.check, f.resource, f.severity) for f in applied.findings] == [
        ("could-not-check", "access-analyzer", "medium"),
        ("exception-unused", "x.yaml $.exceptions[0]", "info"),
    ]


def test_an_entry_for_other_stacks_neither_applies_nor_is_stale() -> None:
    exceptions = Exceptions("x.yaml", (entry("inline-policy", "user/a", stacks=("prod",)),))
    applied = apply_exceptions([finding("inline-policy", "user/a")], exceptions, "dev", TODAY)
    assert (applied.suppressed, [f.check for f in applied.findings]) == ([], ["inline-policy"])
    assert len(apply_exceptions([finding("inline-policy", "user/a")], exceptions, "prod", TODAY).suppressed) == 1


# --- the reports ---------------------------------------------------------------------------

HOSTILE = "accepted by <b>sec</b> | see `SEC-1` @here [x](http://evil)"


def suppressed_result():
    snapshot = clean_snapshot()
    users = [
        {**u, "UserPolicyList": [{"PolicyName": "quick-fix", "PolicyDocument": {}}]} if u["UserName"] == "ann" else u
        for u in snapshot.users
    ]
    exceptions = Exceptions(
        "audit-exceptions.yaml",
        (AuditException("inline-policy", "user/ann", HOSTILE, TODAY, "audit-exceptions.yaml $.exceptions[0]"),),
    )
    return audit(desired(), dataclasses.replace(snapshot, users=users), exceptions=exceptions)


def test_a_suppressed_finding_does_not_count_for_the_exit_code() -> None:
    result = suppressed_result()
    assert result.findings == [] and [s.finding.check for s in result.suppressed] == ["inline-policy"]
    assert not fails(result, "info")
    unsuppressed = audit(desired(), result.snapshot)
    assert [f.check for f in unsuppressed.findings] == ["inline-policy"] and fails(unsuppressed, "low")


def test_every_format_shows_the_suppressed_finding_with_its_reason_and_expiry() -> None:
    result = suppressed_result()
    text = RENDERERS["text"](result)
    assert "0 finding(s): none; 1 suppressed by audit-exceptions.yaml" in text
    assert "No findings apart from 1 suppressed by audit-exceptions.yaml" in text
    [row] = [line for line in text.splitlines() if line.startswith("high ")]
    assert row.split()[:3] == ["high", "inline-policy", "user/ann"] and "2026-06-01" in row and HOSTILE in row

    report = json.loads(RENDERERS["json"](result))
    assert report["findings"] == [] and report["summary"]["suppressed"] == 1
    [item] = report["suppressed"]
    assert (item["check"], item["resource"], item["severity"]) == ("inline-policy", "user/ann", "high")
    assert item["suppressed"] == {
        "check": "inline-policy",
        "resource": "user/ann",
        "reason": HOSTILE,
        "expires": "2026-06-01",
        "entry": "audit-exceptions.yaml $.exceptions[0]",
        "stacks": [],
    }

    markdown = RENDERERS["markdown"](result)
    assert "### Suppressed by `audit-exceptions.yaml` (1, not counted)" in markdown
    [md_row] = [line for line in markdown.splitlines() if "inline-policy" in line and line.startswith("| high")]
    assert "\\<b\\>sec\\</b\\> \\| see \\`SEC-1\\` @\u2060here \\[x\\](http://evil)" in md_row
    assert "| 2026-06-01 |" in md_row

    page = RENDERERS["html"](result)
    section = page[page.index("<h2>Suppressed by") : page.index("<h2>Checks</h2>")]
    assert "<td>accepted by &lt;b&gt;sec&lt;/b&gt; | see `SEC-1` @here [x](http://evil)</td>" in section
    assert "<td>2026-06-01</td>" in section and "<code>inline-policy</code>" in section
    assert "<b>sec</b>" not in page


def test_an_audit_without_exceptions_reports_as_before() -> None:
    result = audit(desired(), clean_snapshot())
    assert "suppressed" not in RENDERERS["text"](result).lower()
    assert "Suppressed" not in RENDERERS["markdown"](result) and "Suppressed" not in RENDERERS["html"](result)
    assert json.loads(RENDERERS["json"](result))["suppressed"] == []
