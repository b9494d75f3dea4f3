"""The drafting core on snapshots built by hand: roles, bundles, marks, stack values, residue."""

from __future__ import annotations

from typing import Any

from iam_matrix.adopt.draft import draft_from_snapshot, safe_policy_location
from iam_matrix.audit.snapshot import Snapshot
from iam_matrix.catalog import load_catalog

ACCOUNT = "210987654321"
AWS = "arn:aws:iam::aws:policy/"
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def group(name: str, *arns: str, path: str = "/", inline: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "GroupName": name,
        "Path": path,
        "AttachedManagedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in arns],
        "GroupPolicyList": [{"PolicyName": n, "PolicyDocument": DOC} for n in inline],
    }


def user(name: str, *groups: str, path: str = "/", **extra: Any) -> dict[str, Any]:
    return {"UserName": name, "Path": path, "GroupList": list(groups), **extra}


def policy(name: str, path: str = "/", attachments: int = 1, description: str = "") -> dict[str, Any]:
    return {
        "PolicyName": name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:policy{path}{name}",
        "Path": path,
        "AttachmentCount": attachments,
        "Description": description,
        "PolicyVersionList": [{"Document": DOC, "IsDefaultVersion": True, "VersionId": "v1"}],
    }


def snapshot(**parts: Any) -> Snapshot:
    return Snapshot(account_id=ACCOUNT, **parts)


def kinds(draft) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for entry in draft.residue:
        out.setdefault(entry.kind, []).append(entry.subject)
    return out


# eleven AWS managed policies in name order: a bundle of two at the default quota of 10
ELEVEN = [
    AWS + n
    for n in sorted(
        [
            "AmazonS3ReadOnlyAccess",
            "AmazonEC2ReadOnlyAccess",
            "AmazonRDSReadOnlyAccess",
            "AmazonSQSReadOnlyAccess",
            "AmazonSNSReadOnlyAccess",
            "AmazonDynamoDBReadOnlyAccess",
            "AWSLambda_ReadOnlyAccess",
            "CloudWatchReadOnlyAccess",
            "AmazonVPCReadOnlyAccess",
            "AmazonRoute53ReadOnlyAccess",
            "IAMReadOnlyAccess",
        ],
        key=str.lower,
    )
]


def test_a_bundle_pair_split_the_compilers_way_is_one_role_keeping_both_names() -> None:
    snap = snapshot(
        groups=[group("Developer", *ELEVEN[:10]), group("Developer-2", ELEVEN[10])],
        users=[user("ann", "Developer", "Developer-2"), user("bob", "Developer", "Developer-2")],
    )
    draft = draft_from_snapshot(snap, "prod", load_catalog())
    assert [(r.name, r.groups) for r in draft.roles] == [("Developer", ("Developer", "Developer-2"))]
    assert len(draft.roles[0].policies) == 11 and "bundle-name-collision" not in kinds(draft)
    assert draft.users_rows() == [["User", "Developer", "MFA"], ["ann", "Y", ""], ["bob", "Y", ""]]


def test_a_pair_with_other_members_or_another_split_stays_two_roles_and_is_reported() -> None:
    members = [user("ann", "Developer", "Developer-2"), user("bob", "Developer")]
    draft = draft_from_snapshot(
        snapshot(groups=[group("Developer", *ELEVEN[:10]), group("Developer-2", ELEVEN[10])], users=members),
        "prod",
        load_catalog(),
    )
    assert [r.name for r in draft.roles] == ["Developer", "Developer-2"]
    assert kinds(draft)["bundle-name-collision"] == ["group/Developer-2"]
    # same members, but the policies are not where the compiler would put them
    swapped = [group("Developer", *ELEVEN[1:11]), group("Developer-2", ELEVEN[0])]
    draft = draft_from_snapshot(
        snapshot(groups=swapped, users=[user("ann", "Developer", "Developer-2")]), "prod", load_catalog()
    )
    assert [r.name for r in draft.roles] == ["Developer", "Developer-2"]


def test_marks_mfa_policies_and_stack_values_describe_the_account() -> None:
    custom = policy("ReadReports", "/reports/")
    snap = snapshot(
        groups=[
            group("Admin", AWS + "AdministratorAccess"),
            group("Auditors", AWS + "SecurityAudit", custom["Arn"], path="/teams/"),
        ],
        users=[
            user("ann", "Admin", "Auditors"),
            user("carl", "Auditors", path="/people/"),
            user("dora", path="/people/"),
        ],
        policies=[custom],
        credential_report=[{"user": "ann", "mfa_active": "true"}, {"user": "carl", "mfa_active": "false"}],
        password_policy={
            "MinimumPasswordLength": 16,
            "RequireSymbols": True,
            "MaxPasswordAge": 60,
            "ExpirePasswords": True,
            "PasswordReusePrevention": 5,
        },
    )
    draft = draft_from_snapshot(snap, "prod", load_catalog())
    assert draft.users_rows() == [
        ["User", "Admin", "Auditors", "MFA"],
        ["ann", "Y", "Y", "Y"],
        ["carl", "", "Y", ""],
        ["dora", "", "", ""],
    ]
    assert draft.policies_rows() == [
        ["Policies", "Admin", "Auditors"],
        ["AdministratorAccess", "Y", ""],
        ["ReadReports", "", "Y"],
        ["SecurityAudit", "", "Y"],
    ]
    assert [(p.relative_file, p.document) for p in draft.policies] == [("policies/reports/ReadReports.json", DOC)]
    config = draft.stack_config(workbook=False)
    assert config["aws:allowedAccountIds"] == [ACCOUNT]
    assert (config["iam-matrix:userPath"], config["iam-matrix:groupPath"]) == ("/people/", "/")
    assert config["iam-matrix:passwordMinimumLength"] == 16 and config["iam-matrix:passwordMaxAgeDays"] == 60
    assert config["iam-matrix:passwordRequireUppercase"] is False and config["iam-matrix:passwordReusePrevention"] == 5
    found = kinds(draft)
    assert found["user-no-group"] == ["user/dora"]
    assert sorted(found["path-moves"]) == ["group/Auditors", "user/ann"]


def test_what_the_matrix_cannot_hold_is_residue_with_what_happens_and_what_to_do() -> None:
    snap = snapshot(
        groups=[
            group("Ops", AWS + "ReadOnlyAccess", inline=("handmade",)),
            group("AWSReservedSSO_Admin_1234", AWS + "AdministratorAccess"),
        ],
        users=[
            user(
                "ann",
                "Ops",
                UserPolicyList=[{"PolicyName": "mine", "PolicyDocument": DOC}],
                AttachedManagedPolicies=[{"PolicyArn": AWS + "AmazonS3FullAccess", "PolicyName": "AmazonS3FullAccess"}],
            )
        ],
        roles=[
            {"RoleName": "AWSServiceRoleForSupport", "Path": "/aws-service-role/support.amazonaws.com/"},
            {"RoleName": "deployer", "Path": "/"},
        ],
        credential_report=[
            {
                "user": "ann",
                "access_key_1_active": "true",
                "access_key_1_last_rotated": "2024-01-02T00:00:00+00:00",
                "password_enabled": "true",
                "password_last_changed": "2025-05-06T00:00:00+00:00",
            }
        ],
    )
    draft = draft_from_snapshot(snap, "prod", load_catalog())
    assert [r.name for r in draft.roles] == ["Ops"]
    by_kind = {e.kind: e for e in draft.residue}
    assert by_kind["inline-group-policy"].blocking and "DELETED" in by_kind["inline-group-policy"].first_up
    assert by_kind["inline-group-policy"].details["document"] == DOC
    assert not by_kind["inline-user-policy"].blocking and "stays" in by_kind["inline-user-policy"].first_up
    assert by_kind["user-attached-policy"].details["arn"] == AWS + "AmazonS3FullAccess"
    assert "2024-01-02" in by_kind["access-key"].what and "2025-05-06" in by_kind["login-profile"].what
    assert by_kind["password-policy-missing"].first_up.startswith("CREATED")
    assert sorted(e.subject for e in draft.residue if e.kind == "reserved") == [
        "group/AWSReservedSSO_Admin_1234",
        "role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport",
    ]
    assert by_kind["role"].subject == "role/deployer"


def test_a_policy_name_or_path_that_would_leave_policies_is_never_a_file_name() -> None:
    for name, path in (("x", "/../../etc/"), ("x", "/a/./b/"), ("..", "/"), ("a/b", "/"), ("x", "/a\\b/")):
        assert safe_policy_location(name, path), (name, path)
    assert safe_policy_location("ReadReports", "/reports/team-a/") is None
    evil = policy("Escape", "/../../../tmp/")
    draft = draft_from_snapshot(
        snapshot(groups=[group("Ops", evil["Arn"])], users=[user("ann", "Ops")], policies=[evil]),
        "prod",
        load_catalog(),
    )
    assert draft.policies == []
    assert draft.roles[0].policies == (evil["Arn"],)  # kept on the group, by ARN
    assert [e.kind for e in draft.residue if e.subject.endswith("Escape")] == ["policy-not-written"]


def test_a_group_named_like_the_mfa_column_is_not_a_role() -> None:
    draft = draft_from_snapshot(
        snapshot(groups=[group("MFA", AWS + "ReadOnlyAccess")], users=[user("ann", "MFA")]), "prod", load_catalog()
    )
    assert draft.roles == [] and kinds(draft)["group-not-adoptable"] == ["group/MFA"]
