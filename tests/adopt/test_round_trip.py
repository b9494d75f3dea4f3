"""adopt on an account deployed from the shipped example gives back the same desired state,
an audit without drift, and an import file that names exactly what the program registers."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from emulator import OfflineProvider, run_main
from emulator.seed import build_account
from iam_matrix.adopt.command import AdoptResult, adopt
from iam_matrix.audit.checks.drift import drift_findings
from iam_matrix.audit.gather import gather
from iam_matrix.compiler import compile_state
from iam_matrix.desired import DesiredState
from iam_matrix.settings import load_stack_settings
from tests.adopt.conftest import ACCOUNT
from tests.adopt.import_schema import SCHEMA, urns

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def example() -> DesiredState:
    return compile_state(load_stack_settings(REPO, "dev"))


@pytest.fixture(scope="module")
def adopted(
    moto_session, example: DesiredState, tmp_path_factory: pytest.TempPathFactory
) -> tuple[AdoptResult, object]:
    build_account(moto_session, example, via="api")
    snapshot = gather(moto_session, roles=True)
    return adopt(snapshot, tmp_path_factory.mktemp("adopted"), stack="dev"), snapshot


def test_the_draft_compiles_to_the_example_state(adopted, example: DesiredState) -> None:
    result, _ = adopted
    assert result.compiled.errors == []
    want, got = example.to_dict(), result.state.to_dict()
    for key in ("roles", "groups", "users", "policies", "password_policy", "user_path", "manage_users"):
        assert got[key] == want[key], key
    assert result.state.role("Developer").groups == (
        "Developer",
        "Developer-2",
        "Developer-3",
    )  # merged back into one role


def test_the_audit_finds_no_drift_and_the_reports_say_what_the_first_up_does(adopted) -> None:
    result, snapshot = adopted
    assert drift_findings(result.state.with_account(ACCOUNT), snapshot) == []
    assert not [e for e in result.residue if e.blocking]
    report = json.loads((_root(result) / "adopt" / "residue.json").read_text())
    ops = {(e["details"].get("op"), e["details"].get("type")) for e in report["entries"] if e["kind"] == "first-up"}
    assert ops == {
        ("create", "aws:iam/groupMembership:GroupMembership"),
        ("update", "aws:iam/user:User"),
        ("update", "aws:iam/policy:Policy"),
    }
    assert "tiger@demoasacode.io" in (_root(result) / "adopt" / "residue.txt").read_text()  # the user in no group


def _root(result: AdoptResult) -> Path:
    return result.output


def test_the_import_file_follows_the_documented_schema_and_names_what_the_program_registers(adopted) -> None:
    result, _ = adopted
    document = json.loads((_root(result) / "adopt" / "import.json").read_text())
    jsonschema.validate(document, SCHEMA)
    declared = urns(document, "dev", "iam-matrix")

    run = run_main(_root(result), OfflineProvider(ACCOUNT))

    def engine(urn: str) -> str:
        """The mock monitor puts the root stack's type in its children's URNs; the engine does not."""
        return (
            "" if urn.endswith("::pulumi:pulumi:Stack::iam-matrix-dev") else urn.replace("::pulumi:pulumi:Stack$", "::")
        )

    registered = {
        engine(r.urn): (r.type, r.name, engine(r.parent))
        for r in run.registrations.values()
        if r.type != "aws:iam/groupMembership:GroupMembership"
    }
    assert declared == registered
    ids = {
        spec["logicalName"]: spec.get("id")
        for spec in document["resources"]
        if spec["type"] != "iam-matrix:index:GroupBundle"
    }
    assert (
        ids["Developer-2"] == "Developer-2"
        and ids["Developer-2-policies"] == "Developer-2"
        and ids["password-policy"] == "iam-account-password-policy"
    )
    assert ids["MFAForcePolicy"] == f"arn:aws:iam::{ACCOUNT}:policy/foundation/MFAForcePolicy"
    left_out = json.loads((_root(result) / "adopt" / "residue.json").read_text())["left_out_of_import"]
    assert {e["type"] for e in left_out} == {"aws:iam/groupMembership:GroupMembership"}
    assert all("group_membership.go" in e["reason"] for e in left_out)


def test_the_command_reads_the_account_and_writes_the_draft(
    adopted, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from iam_matrix.cli import main

    output = tmp_path / "draft"
    assert main(["adopt", "--output", str(output), "--stack", "prod", "--format", "xlsx"]) == 0
    err = capsys.readouterr().err
    assert "pulumi import --file" in err and "AWS requests" in err
    assert (output / "matrix" / "iam-matrix.xlsx").is_file() and (output / "Pulumi.prod.yaml").is_file()
    assert "iam-matrix:workbook: matrix/iam-matrix.xlsx" in (output / "Pulumi.prod.yaml").read_text()
    assert main(["validate", "--project-dir", str(output), "--stack", "prod"]) == 0
    assert main(["adopt", "--output", str(output), "--stack", "prod"]) == 0  # over its own earlier output
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    assert main(["adopt", "--output", str(tmp_path / "busy")]) == 2
    assert "not empty" in capsys.readouterr().err
