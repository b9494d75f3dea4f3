"""One stack per AWS account, for any set of stacks: a copied stack for another account is
fine; two stacks pinned to one account are an error unless both share it safely."""

from __future__ import annotations

import pytest
import yaml

from iam_matrix.cli import main
from iam_matrix.problems import MatrixInvalid
from tests.project import Project


def add_stack(project: Project, name: str, **config: object) -> None:
    """``cp Pulumi.dev.yaml Pulumi.<name>.yaml``, then the given keys changed."""
    document = yaml.safe_load((project.root / "Pulumi.dev.yaml").read_text())
    document["config"].update(config)
    (project.root / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document))


def problems(project: Project, stack: str) -> list[tuple[str, str]]:
    with pytest.raises(MatrixInvalid) as raised:
        project.state(stack)
    return [(p.code, str(p.location)) for p in raised.value.problems]


def test_a_copied_stack_for_another_account_compiles_beside_dev(project, capsys):
    add_stack(project, "prod", **{"aws:allowedAccountIds": ["222222222222"], "aws:region": "eu-west-1"})
    assert project.state("prod").account_id == "222222222222"
    assert project.state("dev").account_id == "111111111111"
    for stack in ("dev", "prod"):
        assert main(["validate", "--stack", stack, "--project-dir", str(project.root)]) == 0
        assert main(["plan", "--stack", stack, "--project-dir", str(project.root)]) == 0
    assert "(account 222222222222)" in capsys.readouterr().out


def test_two_stacks_pinned_to_one_account_are_an_error_in_both(project):
    add_stack(project, "prod")  # copied and not re-pinned: the same account 111111111111
    assert problems(project, "dev") == [("stack-same-account", "Pulumi.dev.yaml aws:allowedAccountIds")]
    assert problems(project, "prod") == [("stack-same-account", "Pulumi.prod.yaml aws:allowedAccountIds")]


def test_stacks_may_share_an_account_with_disjoint_paths_when_both_say_so(project):
    project.set_config(shareAccount=True, groupPath="/team-a/", userPath="/team-a/")
    add_stack(
        project,
        "tools",
        **{"iam-matrix:shareAccount": False, "iam-matrix:groupPath": "/team-b/", "iam-matrix:userPath": "/team-b/"},
    )
    assert problems(project, "tools") == [
        ("stack-same-account", "Pulumi.tools.yaml aws:allowedAccountIds")
    ]  # only dev said so
    add_stack(
        project,
        "tools",
        **{"iam-matrix:shareAccount": True, "iam-matrix:groupPath": "/team-b/", "iam-matrix:userPath": "/team-b/"},
    )
    assert project.state("dev").groups and project.state("tools").groups


def test_shared_stacks_with_overlapping_paths_or_another_password_policy_are_an_error(project):
    project.set_config(shareAccount=True, groupPath="/team-a/", userPath="/team-a/")
    add_stack(
        project,
        "tools",
        **{
            "iam-matrix:shareAccount": True,
            "iam-matrix:groupPath": "/team-a/tools/",
            "iam-matrix:userPath": "/team-b/",
        },
    )
    [(code, _)] = problems(project, "tools")
    assert code == "stack-shared-overlap"
    add_stack(
        project,
        "tools",
        **{
            "iam-matrix:shareAccount": True,
            "iam-matrix:groupPath": "/team-b/",
            "iam-matrix:userPath": "/team-b/",
            "iam-matrix:passwordMinimumLength": 20,
        },
    )
    with pytest.raises(MatrixInvalid) as raised:
        project.state("tools")
    assert "password policy is account-wide" in raised.value.problems[0].message
