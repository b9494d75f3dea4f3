"""adminRoles in the drafted stack: exactly the roles that are admin-equivalent today (by the
access model validate uses), so the draft of an account without an ``Admin`` group validates."""

from __future__ import annotations

from pathlib import Path

import pytest

from iam_matrix.adopt.command import adopt
from iam_matrix.adopt.draft import draft_from_snapshot
from iam_matrix.catalog import load_catalog
from iam_matrix.cli import main
from tests.adopt.test_draft import AWS, group, policy, snapshot, user

EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _entry(draft, kind: str):
    return next(e for e in draft.residue if e.kind == kind)


def test_an_account_without_admin_drafts_empty_admin_roles_and_validates(tmp_path: Path, capsys) -> None:
    snap = snapshot(
        groups=[group("Ops", AWS + "ReadOnlyAccess"), group("Auditors", AWS + "SecurityAudit")],
        users=[user("ann", "Ops"), user("bob", "Auditors")],
    )
    draft = draft_from_snapshot(snap, "prod", load_catalog())
    assert draft.admin_roles == () and draft.stack_config(workbook=False)["iam-matrix:adminRoles"] == []
    assert "adminRoles is empty" in _entry(draft, "admin-roles").what

    result = adopt(snap, tmp_path / "out", stack="prod")
    assert result.compiled.errors == [] and result.plan is not None  # the import file is written
    assert "iam-matrix:adminRoles: []" in (tmp_path / "out" / "Pulumi.prod.yaml").read_text()
    assert main(["validate", "--project-dir", str(tmp_path / "out"), "--stack", "prod"]) == 0
    assert "valid" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["aws-managed", "custom-document"])
def test_admin_roles_lists_the_roles_that_give_administrator_access_however_written(tmp_path: Path, how) -> None:
    everything = policy("Everything", "/platform/") | {
        "PolicyVersionList": [{"Document": EVERYTHING, "IsDefaultVersion": True, "VersionId": "v1"}]
    }
    admin = (
        group("Platform", AWS + "AdministratorAccess") if how == "aws-managed" else group("Platform", everything["Arn"])
    )
    snap = snapshot(
        groups=[admin, group("Ops", AWS + "ReadOnlyAccess")],
        users=[user("ann", "Platform"), user("bob", "Ops")],
        policies=[everything] if how == "custom-document" else [],
    )
    draft = draft_from_snapshot(snap, "prod", load_catalog())
    assert draft.admin_roles == ("Platform",)
    assert _entry(draft, "admin-roles").details == {"roles": ["Platform"]}
    result = adopt(snap, tmp_path / "out", stack="prod")
    assert result.compiled.errors == [], [str(p) for p in result.compiled.errors]
    assert result.state is not None and result.plan is not None
