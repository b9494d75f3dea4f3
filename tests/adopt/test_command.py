"""``iam-matrix adopt`` run as a command: the account is read in the stack's ``aws:region``, the way
the audit reads it (the shared ``read_live_account``), unless ``--region`` says otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from iam_matrix.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", folder / "Pulumi.yaml")
    (folder / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    monkeypatch.chdir(folder)
    return folder


def _drafted_region(output: Path) -> str:
    return yaml.safe_load((output / "Pulumi.prod.yaml").read_text())["config"]["aws:region"]


@pytest.mark.usefixtures("account")
def test_adopt_reads_the_account_in_the_stack_region(project: Path) -> None:
    output = project.parent / "adopted"
    assert main(["adopt", "--stack", "prod", "--output", str(output)]) == 0
    assert _drafted_region(output) == "eu-west-1"  # AWS_DEFAULT_REGION is us-east-1 here


@pytest.mark.usefixtures("account")
def test_region_option_wins_over_the_stack_file(project: Path) -> None:
    output = project.parent / "adopted"
    assert main(["adopt", "--stack", "prod", "--region", "eu-central-1", "--output", str(output)]) == 0
    assert _drafted_region(output) == "eu-central-1"


def test_a_bad_profile_is_a_configuration_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = project.parent / "adopted"
    assert main(["adopt", "--profile", "no-such-profile-here", "--output", str(output)]) == 2
    assert "adopt: AWS configuration:" in capsys.readouterr().err
