"""The bypasses of name-based review (issue 13), each as a real two-commit repository: the
diff reports each as an escalation naming the affected users, because it reads what the
documents allow rather than what the policies are called."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iam_matrix.compiler import check
from iam_matrix.review.diff import AccessDiff, diff_revisions
from iam_matrix.review.revisions import revision_at
from iam_matrix.settings import load_stack_settings
from tests.review.repo import GitProject

VIEWERS = {"banana@demoasacode.io", "bicycle@demoasacode.io", "car@demoasacode.io", "melon@demoasacode.io"}
ROLES = {"Admin", "Developer", "DBA", "SysAdm", "Viewer"}


@pytest.fixture
def repo(tmp_path: Path) -> GitProject:
    return GitProject(tmp_path)


def change(repo: GitProject, edit) -> AccessDiff:
    base = repo.commit("the example matrix")
    edit(repo)
    head = repo.commit("looks harmless")
    return diff_revisions(revision_at(repo.root, base, "dev"), revision_at(repo.root, head, "dev"))


def to_viewer(policy: str, document: dict | None = None):
    def edit(repo: GitProject) -> None:
        if document is not None:
            (repo.root / "policies" / "custom" / f"{policy}.json").write_text(json.dumps(document, indent=2))
        repo.edit("matrix/policies.csv", "ReadOnlyAccess,,,,,Y\n", f"ReadOnlyAccess,,,,,Y\n{policy},,,,,Y\n")

    return edit


def subjects(diff: AccessDiff, kind: str) -> set[str]:
    return {e.subject for e in diff.escalations if e.kind == kind}


def message(diff: AccessDiff, kind: str, subject: str) -> str:
    return next(e.message for e in diff.escalations if e.kind == kind and e.subject == subject)


def test_power_user_access_to_viewer_is_near_admin(repo):
    diff = change(repo, to_viewer("PowerUserAccess"))
    assert subjects(diff, "near-admin") == VIEWERS
    assert "through PowerUserAccess (role Viewer)" in message(diff, "near-admin", "banana@demoasacode.io")
    assert "not: account, iam, organizations" in message(diff, "near-admin", "banana@demoasacode.io")


def test_iam_full_access_to_viewer_is_permissions_management_and_privilege_escalation(repo):
    diff = change(repo, to_viewer("IAMFullAccess"))
    assert subjects(diff, "permissions-management") == VIEWERS
    assert subjects(diff, "privilege-escalation") == VIEWERS
    assert "AddUserToGroup (iam:AddUserToGroup via IAMFullAccess (role Viewer))" in message(
        diff, "privilege-escalation", "melon@demoasacode.io"
    )


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": "*", "Resource": "arn:*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Effect": "Allow", "NotAction": "cloudshell:GetFileDownloadUrls", "Resource": "*"},
    ],
    ids=["star-on-arn-star", "always-true-condition", "notaction-of-one-action"],
)
def test_custom_admin_in_all_but_name_is_admin(repo, statement, tmp_path_factory):
    document = {"Version": "2012-10-17", "Statement": [statement]}
    # validate refuses it: Viewer is not in adminRoles
    plain = GitProject(tmp_path_factory.mktemp("plain"))
    to_viewer("ToolingAccess", document)(plain)
    result = check(load_stack_settings(plain.root, "dev"))
    assert [(p.code, str(p.location)) for p in result.errors] == [("role-admin-equivalent", "policies.csv F1")]
    assert "role Viewer (4 members) is admin-equivalent" in result.errors[0].message

    # to deploy it, adminRoles must be widened too - and the diff names every user who becomes admin
    def edit(repo: GitProject) -> None:
        to_viewer("ToolingAccess", document)(repo)
        repo.set_config(adminRoles=["Admin", "Viewer"])

    diff = change(repo, edit)
    assert subjects(diff, "admin") == VIEWERS
    assert subjects(diff, "admin-roles") == {"Viewer"}
    assert "becomes admin-equivalent" in message(diff, "admin", "banana@demoasacode.io")
    assert "ToolingAccess (role Viewer)" in message(diff, "admin", "banana@demoasacode.io")


def test_mfa_force_policy_edited_to_deny_nothing_is_mfa_enforcement_dropped(repo):
    def edit(repo: GitProject) -> None:
        path = repo.root / "policies" / "foundation" / "MFAForcePolicy.json"
        document = json.loads(path.read_text())
        document["Statement"][-1]["NotAction"] = "*"
        path.write_text(json.dumps(document, indent=2))

    diff = change(repo, edit)
    assert subjects(diff, "mfa-enforcement-dropped") == ROLES
    text = message(diff, "mfa-enforcement-dropped", "Viewer")
    assert "MFAForcePolicy no longer denies" in text and "melon@demoasacode.io" in text


def test_deny_ip_policy_edited_to_deny_one_dummy_action_is_ip_restriction_dropped(repo):
    repo_file = "policies/foundation/DenyIPAddressPolicy.json"
    diff = change(repo, lambda r: r.edit(repo_file, '"Action": "*"', '"Action": "datapipeline:ListPipelines"'))
    assert subjects(diff, "ip-restriction-dropped") == ROLES
    assert "the network guardrail denies 20454 action(s) fewer" in message(diff, "ip-restriction-dropped", "Admin")


def test_batch_service_role_on_people_is_a_privilege_escalation_path(repo):
    diff = change(
        repo, lambda r: r.edit("matrix/policies.csv", "AWSBatchServiceRole,,Y,,Y,\n", "AWSBatchServiceRole,,Y,,Y,Y\n")
    )
    # car could already pass a role to a new instance (Developer gets AWSBatchServiceRole): not new for them
    assert subjects(diff, "privilege-escalation") == VIEWERS - {"car@demoasacode.io"}
    text = message(diff, "privilege-escalation", "banana@demoasacode.io")
    assert (
        "CreateEC2WithExistingIP (ec2:RunInstances via AWSBatchServiceRole "
        "(role Viewer); iam:PassRole via AWSBatchServiceRole (role Viewer))" in text
    )


def to_role(policy: str, document: dict, role: str):
    """A custom policy marked for one role (columns: Admin, Developer, DBA, SysAdm, Viewer)."""
    marks = ",".join("Y" if r == role else "" for r in ("Admin", "Developer", "DBA", "SysAdm", "Viewer"))

    def edit(repo: GitProject) -> None:
        (repo.root / "policies" / "custom" / f"{policy}.json").write_text(json.dumps(document, indent=2))
        repo.edit("matrix/policies.csv", "ReadOnlyAccess,,,,,Y\n", f"ReadOnlyAccess,,,,,Y\n{policy},{marks}\n")

    return edit


def test_admin_only_through_the_union_of_two_roles_names_the_users_who_hold_both(repo, tmp_path_factory):
    """NotAction iam:* for Developer and iam:* for DBA: neither role is admin-equivalent, the
    users holding both are. validate refuses it once per role combination; with DBA made an
    admin role (the only way to deploy it) the diff names every user who becomes admin."""
    everything_but_iam = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
    }
    iam_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}

    def edit(repo: GitProject) -> None:
        to_role("EverythingButIam", everything_but_iam, "Developer")(repo)
        to_role("IamAll", iam_all, "DBA")(repo)

    plain = GitProject(tmp_path_factory.mktemp("plain"))
    edit(plain)
    result = check(load_stack_settings(plain.root, "dev"))
    assert [(p.code, str(p.location)) for p in result.errors] == [
        ("user-roles-admin-equivalent", "users.csv A6"),  # devapple and lamp: DBA + Developer
        ("user-roles-admin-equivalent", "users.csv A11"),  # car: DBA + Developer + Viewer
    ]

    def deployable(repo: GitProject) -> None:
        edit(repo)
        repo.set_config(adminRoles=["Admin", "DBA"])

    diff = change(repo, deployable)
    assert subjects(diff, "admin") == {"lamp@demoasacode.io", "devapple@demoasacode.io", "car@demoasacode.io"}
    assert subjects(diff, "admin-outside-admin-roles") == set()  # no one role is admin-equivalent
    text = message(diff, "admin", "lamp@demoasacode.io")
    assert "EverythingButIam (role Developer)" in text and "IamAll (role DBA)" in text


def test_escalation_only_through_the_union_of_two_roles_is_an_escalation_of_that_user(repo):
    """ec2:RunInstances for Viewer: bicycle also holds DBA, whose AmazonDynamoDBFullAccess passes roles."""
    run_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}],
    }
    diff = change(repo, to_role("RunOnly", run_only, "Viewer"))
    assert subjects(diff, "privilege-escalation") == {"bicycle@demoasacode.io"}  # car had it through Developer
    assert (
        "CreateEC2WithExistingIP (ec2:RunInstances via RunOnly (role Viewer); "
        "iam:PassRole via AmazonDynamoDBFullAccess (role DBA))"
        in message(diff, "privilege-escalation", "bicycle@demoasacode.io")
    )
    [warning] = [p for p in check(load_stack_settings(repo.root, "dev")).problems if p.code.startswith("user-roles")]
    assert (warning.code, str(warning.location)) == ("user-roles-privilege-escalation", "users.csv A12")
