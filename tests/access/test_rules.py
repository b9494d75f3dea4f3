"""validate's access-model rules: admin-equivalent outside adminRoles, escalation paths,
and the lint of custom documents at file and JSON path."""

from __future__ import annotations

import json

from iam_matrix.access.rules import lint_document


def add_to_viewer(project, name: str, document: dict | None = None) -> None:
    if document is not None:
        project.write(f"policies/custom/{name}.json", json.dumps(document, indent=2))
    project.edit("matrix/policies.csv", "ReadOnlyAccess,,,,,Y\n", f"ReadOnlyAccess,,,,,Y\n{name},,,,,Y\n")


def found(result, code):
    return [p for p in result.problems if p.code == code]


def test_admin_equivalent_role_outside_admin_roles_is_an_error_at_its_column(project):
    project.edit("matrix/policies.csv", "AdministratorAccess,Y,,,,\n", "AdministratorAccess,Y,,,,Y\n")
    result = project.check()
    [error] = result.errors
    assert (error.code, str(error.location)) == ("role-admin-equivalent", "policies.csv F1")
    assert error.message.startswith(
        "role Viewer (4 members) is admin-equivalent (all actions on all resources, through AdministratorAccess)"
    )
    project.set_config(adminRoles=["Admin", "Viewer"])
    assert project.check().errors == []


def test_escalation_path_is_a_warning_naming_path_and_policies(project):
    add_to_viewer(project, "IAMFullAccess")
    warning = next(p for p in found(project.check(), "role-privilege-escalation") if p.location.cell == "F1")
    assert warning.severity == "warning"
    assert "role Viewer (4 members) has 19 privilege-escalation path(s)" in warning.message
    assert "AddUserToGroup: iam:AddUserToGroup via IAMFullAccess" in warning.message


def test_escalation_warning_can_be_suppressed(project):
    project.set_config(suppressWarnings=["role-privilege-escalation"])
    result = project.check()
    assert not found(result, "role-privilege-escalation") and result.suppressed == 3


def test_custom_documents_are_linted_at_their_json_path(project):
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetObjct", "s4:GetObject"],
                "Resource": "arn:aws:s3:::reports/*",
            },
            {
                "Sid": "Wrong",
                "Effect": "Allow",
                "Action": ["ec2:DescribeInstances", "s3:ListAllMyBuckets", "s3:GetObject"],
                "Resource": ["arn:aws:s3:::reports/*"],
            },
            {"Sid": "Rest", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        ],
    }
    add_to_viewer(project, "ReportsAccess", document)
    result = project.check()
    at = {
        (p.code, p.location.cell): p for p in result.problems if p.location.file == "policies/custom/ReportsAccess.json"
    }
    assert sorted(at) == [
        ("policy-action-resource-mismatch", "$.Statement[1].Action[0]"),
        ("policy-action-resource-mismatch", "$.Statement[1].Action[1]"),
        ("policy-action-unknown", "$.Statement[0].Action[1]"),
        ("policy-action-unknown", "$.Statement[0].Action[2]"),
        ("policy-allow-not", "$.Statement[2].NotAction"),
    ]
    assert at[("policy-action-unknown", "$.Statement[0].Action[1]")].fix == "did you mean s3:GetObject?"
    assert "service prefix 's4'" in at[("policy-action-unknown", "$.Statement[0].Action[2]")].message
    assert "they are ARNs of s3, not ec2" in at[("policy-action-resource-mismatch", "$.Statement[1].Action[0]")].message
    assert (
        'only works with "Resource": "*"' in at[("policy-action-resource-mismatch", "$.Statement[1].Action[1]")].message
    )
    assert (
        str(at[("policy-allow-not", "$.Statement[2].NotAction")].location)
        == "policies/custom/ReportsAccess.json $.Statement[2].NotAction"
    )


def test_the_shipped_documents_lint_clean():
    from tests.project import REPO

    for path in sorted((REPO / "policies").rglob("*.json")):
        assert list(lint_document(path.name, json.loads(path.read_text()))) == [], path
