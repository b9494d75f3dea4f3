"""``plan`` after ``adopt``: the first up's unavoidable differences, recomputed from the
account file adopt saved, for the matrix as it is now."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iam_matrix.adopt.command import adopt
from iam_matrix.adopt.first_up import ACCOUNT_FILE, read_account
from iam_matrix.cli import main
from tests.adopt.test_draft import ACCOUNT, AWS, group, snapshot, user


@pytest.fixture
def adopted(tmp_path: Path) -> Path:
    snap = snapshot(
        groups=[group("Ops", AWS + "ReadOnlyAccess", inline=("legacy-ssm",)), group("Auditors", AWS + "SecurityAudit")],
        users=[user("ann", "Ops"), user("bob", "Auditors", "Ops")],
        credential_report=[{"user": "ann", "mfa_active": "false"}, {"user": "bob", "mfa_active": "false"}],
    )
    result = adopt(snap, tmp_path / "out", stack="prod")
    assert result.state is not None
    return result.output


def plan(project: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["plan", "--project-dir", str(project), "--stack", "prod"]) == 0
    return capsys.readouterr().out


def test_the_account_file_reads_back_as_the_snapshot_adopt_read(adopted: Path) -> None:
    snap = read_account(adopted / ACCOUNT_FILE)
    assert snap.account_id == ACCOUNT
    assert [g["GroupName"] for g in snap.groups] == ["Ops", "Auditors"]
    assert snap.groups[0]["GroupPolicyList"][0]["PolicyName"] == "legacy-ssm"


def test_plan_shows_what_the_first_up_deletes_before_anyone_runs_it(adopted: Path, capsys) -> None:
    out = plan(adopted, capsys)
    section = out[out.index("First up after adopt") :]
    assert f"account {ACCOUNT} as adopt read it" in section
    assert "[REVIEW] UPDATE in place: 1 x GroupPoliciesExclusive" in section
    assert "inline policies legacy-ssm deleted: Ops-inline-policies" in section
    assert "[info] CREATE: 2 x GroupMembership" in section  # not importable; adds the members
    assert "[info] UPDATE in place: 2 x User" in section  # the stack's tags


def test_plan_recomputes_the_differences_for_the_matrix_as_it_is_now(adopted: Path, capsys) -> None:
    users = adopted / "matrix" / "users.csv"
    rows = users.read_text().splitlines()
    users.write_text("\n".join(r if not r.startswith("bob,") else r.replace("Y", "", 1) for r in rows) + "\n")
    section = plan(adopted, capsys).split("First up after adopt", 1)[1]
    assert "membership-unexpected" in section and "bob" in section  # bob's mark for Auditors was taken away
    assert "[REVIEW] changed to what the matrix says" in section


def test_an_account_file_of_another_account_or_not_adopts_is_named_not_used(adopted: Path, capsys) -> None:
    document = json.loads((adopted / ACCOUNT_FILE).read_text())
    (adopted / ACCOUNT_FILE).write_text(json.dumps({**document, "account_id": "999999999999"}))
    assert "not compared: it is account 999999999999's" in plan(adopted, capsys)
    (adopted / ACCOUNT_FILE).write_text('{"format": 1, "users": "\\u001b[2J"}')
    out = plan(adopted, capsys)
    assert "not read: account.json" in out and "\x1b" not in out
    (adopted / ACCOUNT_FILE).unlink()
    (adopted / ACCOUNT_FILE).symlink_to(adopted / "Pulumi.prod.yaml")
    assert "not read: adopt/account.json is a symlink" in plan(adopted, capsys)
    (adopted / ACCOUNT_FILE).unlink()
    assert "First up after adopt" not in plan(adopted, capsys)
