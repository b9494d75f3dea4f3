"""Config strings are checked for what they are, and no problem message can carry a control
character, a newline or a workflow command into a terminal or a CI log."""

from __future__ import annotations

import pytest

from iam_matrix.cli import main
from iam_matrix.problems import MatrixInvalid
from iam_matrix.settings import load_stack_settings
from tests.core.project import codes, find
from tests.project import Project


def problems_of(project: Project) -> list:
    try:
        return project.check().problems
    except MatrixInvalid as invalid:
        return invalid.problems


def test_admin_roles_must_be_roles_of_the_matrix(project: Project) -> None:
    project.set_config(adminRoles=["Admin", "Admins"])
    problem = find(project.check(), "config-admin-role")
    assert (
        problem.location.cell == "iam-matrix:adminRoles"
        and "'Admins'" in problem.message
        and "did you mean 'Admin'?" in problem.fix
    )
    assert codes(project.check(), "error") == ["config-admin-role"]


@pytest.mark.parametrize("cidr", ["fe80::1%eth0", "fe80::1%x", "10.0.0.0/33", "office"])
def test_allowed_cidrs_are_networks_without_a_zone(project: Project, cidr: str) -> None:
    project.set_config(allowedCidrs=["192.0.2.0/24", cidr])
    [problem] = [p for p in problems_of(project) if p.code == "config-cidr"]
    assert repr(cidr) in problem.message


def test_an_unquoted_account_id_is_an_error(project: Project) -> None:
    text = project.read("Pulumi.dev.yaml").replace('- "111111111111"', "- 011111111111")
    project.write("Pulumi.dev.yaml", text)
    [problem] = [p for p in problems_of(project) if p.code == "config-account"]
    assert problem.location.cell == "aws:allowedAccountIds"
    assert "1227133513 is a number" in problem.message and "octal" in problem.message
    assert problem.fix.startswith('quote it: - "001227133513"')


@pytest.mark.parametrize("value", ['"11111111111"', '"1111111111112"', '"abcdefabcdef"'])
def test_account_ids_are_twelve_digits(project: Project, value: str) -> None:
    project.write("Pulumi.dev.yaml", project.read("Pulumi.dev.yaml").replace('"111111111111"', value))
    assert "config-account" in [p.code for p in problems_of(project)]


def test_a_quoted_account_id_with_a_leading_zero_is_kept(project: Project) -> None:
    project.write("Pulumi.dev.yaml", project.read("Pulumi.dev.yaml").replace('"111111111111"', '"011111111111"'))
    assert load_stack_settings(project.root, "dev").account_id == "011111111111"


@pytest.mark.parametrize("folder", ["a b", "a|b", "a`b", "<x>", "a;b"])
def test_policy_folder_names_are_safe_path_segments(project: Project, folder: str) -> None:
    project.write(f"policies/{folder}/Extra.json", project.read("policies/custom/APIGatewayReadOnlyAccess.json"))
    problem = find(project.check(), "policy-file-name")
    assert problem.location.file == f"policies/{folder}/Extra.json"


def test_whitespace_only_pgp_key_is_an_error(project: Project) -> None:
    project.set_config(pgpKey="   ")
    assert "config-pgp" in [p.code for p in problems_of(project)]


def test_a_pulumi_secret_is_accepted_where_a_secret_is_allowed(project: Project) -> None:
    project.set_config(consoleAccess=True, pgpKey={"secure": "v1:abcd:efgh"})
    assert not project.check().errors
    project.set_config(pgpKey=None, userPath={"secure": "v1:abcd:efgh"})
    assert "config-secret" in [p.code for p in problems_of(project)]


def test_problem_lines_never_carry_control_characters_or_workflow_commands(project: Project, capsys) -> None:
    hostile = "x\n::error file=README.md::approved\x1b[2J"
    project.edit("matrix/users.csv", "lamp@demoasacode.io,", f'"{hostile}",')
    project.write("policies/::error::x/Bad.json", "{")
    assert main(["validate", "--project-dir", str(project.root)]) == 2
    out = capsys.readouterr().out
    assert "\x1b" not in out
    for line in out.splitlines():
        assert not line.lstrip().startswith("::"), line
    assert "'x\\n::error file=README.md::approved\\x1b[2J'" in out
