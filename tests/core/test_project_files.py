"""Symlinks and paths outside the project are errors for every reader of the matrix, and a
custom policy cannot shadow an AWS managed policy of the same name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from iam_matrix.cli import main
from tests.core.project import codes, find
from tests.project import Project

ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def run(project: Project, *args: str) -> int:
    return main([args[0], "--project-dir", str(project.root), *args[1:]])


def test_a_symlinked_policy_document_is_an_error_in_validate_and_plan(project: Project, capsys) -> None:
    elsewhere = project.write("notes/admin.json", json.dumps(ADMIN))
    os.symlink(elsewhere, project.root / "policies/custom/ReadOnlyAccess.json")
    result = project.check()
    problem = find(result, "path-symlink")
    assert problem.location.file == "policies/custom/ReadOnlyAccess.json" and "is a symlink" in problem.message
    assert result.state is None
    for command in ("validate", "plan"):
        assert run(project, command) == 2
        captured = capsys.readouterr()
        assert "'policies/custom/ReadOnlyAccess.json' is a symlink" in captured.out + captured.err


def test_a_symlinked_folder_below_policies_is_an_error(project: Project, tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "Open.json").write_text(json.dumps(ADMIN))
    os.symlink(tmp_path / "outside", project.root / "policies/extra")
    assert [p.location.file for p in project.check().errors] == ["policies/extra"]


@pytest.mark.parametrize("key", ["usersFile", "policiesFile"])
def test_a_symlinked_matrix_file_is_an_error(project: Project, key: str) -> None:
    relative = f"matrix/{'users' if key == 'usersFile' else 'policies'}.csv"
    real = project.root / "matrix" / "real.csv"
    (project.root / relative).rename(real)
    os.symlink(real, project.root / relative)
    problem = find(project.check(), "path-symlink")
    assert problem.location.cell == f"iam-matrix:{key}" and repr(relative) in problem.message


def test_a_symlinked_matrix_folder_is_an_error(project: Project) -> None:
    (project.root / "matrix").rename(project.root / "sheets")
    os.symlink(project.root / "sheets", project.root / "matrix")
    assert codes(project.check(), "error") == ["path-symlink", "path-symlink"]


def test_a_symlinked_stack_file_is_an_error(project: Project, capsys) -> None:
    (project.root / "Pulumi.dev.yaml").rename(project.root / "real.yaml")
    os.symlink(project.root / "real.yaml", project.root / "Pulumi.dev.yaml")
    assert run(project, "validate") == 2
    assert "'Pulumi.dev.yaml' is a symlink" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["../users.csv", "matrix/../../users.csv", "/etc/passwd"])
def test_a_matrix_file_outside_the_project_is_an_error(project: Project, value: str) -> None:
    (project.root.parent / "users.csv").write_text(project.read("matrix/users.csv"))
    project.set_config(usersFile=value)
    problem = find(project.check(), "path-outside")
    assert problem.location.cell == "iam-matrix:usersFile" and repr(value) in problem.message


def test_command_line_files_outside_the_project_are_an_error(project: Project, tmp_path: Path, capsys) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.csv"
    outside.write_text(project.read("matrix/users.csv"))
    try:
        assert (
            run(project, "validate", "--users", str(outside), "--policies", str(project.root / "matrix/policies.csv"))
            == 2
        )
        assert "outside the project folder" in capsys.readouterr().out
    finally:
        outside.unlink()


def test_a_path_with_dotdot_that_stays_inside_is_fine(project: Project) -> None:
    project.set_config(usersFile="matrix/../matrix/users.csv")
    assert not project.check().errors


def test_a_custom_policy_named_like_an_aws_managed_policy_is_an_error(project: Project) -> None:
    project.write("policies/custom/ReadOnlyAccess.json", json.dumps(ADMIN))
    problem = find(project.check(), "policy-shadowed")
    assert problem.location.file == "policies.csv"
    assert (
        "arn:aws:iam::aws:policy/ReadOnlyAccess" in problem.message
        and "policies/custom/ReadOnlyAccess.json" in problem.message
    )
    assert problem.fix.startswith("rename policies/custom/ReadOnlyAccess.json")


def test_the_aws_policy_can_be_named_by_its_arn_beside_a_custom_namesake(project: Project) -> None:
    project.write(
        "policies/custom/ReadOnlyAccess.json",
        json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
        ),
    )
    project.edit("matrix/policies.csv", "\nReadOnlyAccess,", "\narn:aws:iam::aws:policy/ReadOnlyAccess,")
    result = project.check()
    assert not result.errors
    viewer = result.state.role("Viewer")
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in [p.arn for p in viewer.policies]
