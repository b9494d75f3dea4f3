"""Valid input that would do damage: a users file with no users, policy ARNs of another
account or partition, a Resource that is no ARN."""

from __future__ import annotations

import json

import pytest

from tests.core.project import find
from tests.project import Project


def test_a_header_only_users_file_is_refused_unless_confirmed(project: Project) -> None:
    project.write("matrix/users.csv", project.read("matrix/users.csv").splitlines()[0] + "\n")
    problem = find(project.check(), "config-user-removal")
    assert (
        problem.location.file == "users.csv" and "no users" in problem.message and "confirmUserRemoval" in problem.fix
    )
    project.set_config(confirmUserRemoval=True)
    result = project.check()
    assert not result.errors and result.state.users == ()


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::222222222222:policy/Team",
        "arn:aws-cn:iam::111111111111:policy/Team",
        "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess",
    ],
)
def test_policy_arns_of_another_account_or_partition_are_errors(project: Project, arn: str) -> None:
    project.edit("matrix/policies.csv", "ReadOnlyAccess,,,,,Y", f"{arn},,,,,Y")
    problem = find(project.check(), "policy-foreign-arn")
    assert repr(arn) in problem.message and problem.location.cell == "A6"


@pytest.mark.parametrize("resource", ["arn:", "arn:aws", "arn:aws:s3"])
def test_a_resource_that_is_no_arn_is_an_error(project: Project, resource: str) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}],
    }
    project.write("policies/custom/Broken.json", json.dumps(document))
    problem = find(project.check(), "policy-grammar")
    assert problem.location.file == "policies/custom/Broken.json" and repr(resource) in problem.message


@pytest.mark.parametrize("resource", ["*", "arn:*", "arn:aws:s3:::bucket/*", "arn:aws:iam::*:user/${aws:username}"])
def test_whole_arns_and_wildcards_are_resources(project: Project, resource: str) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}],
    }
    project.write("policies/custom/Fine.json", json.dumps(document))
    assert "policy-grammar" not in [p.code for p in project.check().problems]
