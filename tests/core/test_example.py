"""The shipped example (the seed's matrices, one policy replaced) and the seed as written."""

from __future__ import annotations

import shutil

from iam_matrix.iam_rules import MAX_GROUPS_PER_USER
from tests.core.project import FIXTURES, codes, find


def test_shipped_csv_example_compiles_with_only_warnings(project):
    result = project.check()
    assert result.errors == []
    # Developer, DBA and SysAdm really can escalate (AWSBatchServiceRole, ...): the model says so
    assert sorted(codes(result)) == [
        "policy-redundant",
        "policy-redundant",
        "policy-service-role",
        "policy-unused",
        "role-privilege-escalation",
        "role-privilege-escalation",
        "role-privilege-escalation",
        "user-no-role",
    ]
    # the source defines DenyEC2StopAndTerminationMFAPolicy but gives it to no role
    assert str(find(result, "policy-unused").location) == "policies/foundation/DenyEC2StopAndTerminationMFAPolicy.json"
    assert [p.location.cell for p in result.problems if p.code == "role-privilege-escalation"] == ["C1", "D1", "E1"]


def test_seed_roles_over_the_quota_become_bundles_within_it(project):
    state = project.check().state
    by_role = {r.name: r for r in state.roles}
    assert len(by_role["Developer"].policies) == 21 and len(by_role["SysAdm"].policies) == 22
    assert by_role["Developer"].groups == ("Developer", "Developer-2", "Developer-3")
    assert by_role["SysAdm"].groups == ("SysAdm", "SysAdm-2", "SysAdm-3")
    assert all(len(g.policies) <= 10 for g in state.groups)
    for role in state.roles:
        for name in role.groups:
            assert state.group(name).role == role.name
            assert all(name in state.groups_of(state.user(member)) for member in role.members)


def test_guardrails_sit_in_the_first_group_of_each_bundle(project):
    state = project.check().state
    for role in state.roles:
        first, *rest = (state.group(n) for n in role.groups)
        guardrails = {p.name for p in role.policies if p.guardrail}
        assert guardrails <= {p.name for p in first.policies}
        assert not any(p.guardrail for g in rest for p in g.policies)


def test_service_role_policy_resolves_with_its_path(project):
    state = project.check().state
    arns = {p.name: p.arn for r in state.roles for p in r.policies}
    assert arns["AWSBatchServiceRole"] == "arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole"
    assert arns["ReadOnlyAccess"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"


def test_foundation_policies_render_with_the_configured_cidrs(project):
    state = project.check().state
    policies = {p.name: p for p in state.policies}
    assert {n for n, p in policies.items() if p.path == "/foundation/"} == {
        "DenyIPAddressPolicy",
        "MFAForcePolicy",
        "DenyEC2StopAndTerminationMFAPolicy",
        "DenyDataPipelinePolicy",
        "DenyRDSLargeCreationPolicy",
    }
    deny_ip = policies["DenyIPAddressPolicy"].document["Statement"][0]
    assert deny_ip["Condition"]["NotIpAddress"]["aws:SourceIp"] == ["192.0.2.0/24", "203.0.113.0/24"]
    assert deny_ip["Condition"]["Bool"] == {"aws:ViaAWSService": "false"}
    rds = policies["DenyRDSLargeCreationPolicy"].document["Statement"][0]
    assert rds["Condition"]["StringNotLike"]["rds:DatabaseClass"] == ["db.t3.*", "db.t4g.*", "db.m6g.large"]
    assert state.policy_arn(policies["MFAForcePolicy"]) == "arn:aws:iam::111111111111:policy/foundation/MFAForcePolicy"


def test_mfa_force_policy_is_the_corrected_one(project):
    document = {p.name: p for p in project.check().state.policies}["MFAForcePolicy"].document
    statements = {s["Sid"]: s for s in document["Statement"]}
    block = statements["BlockMostAccessUnlessSignedInWithMFA"]
    # A new user told to reset their password at first sign-in can still do so.
    assert {"iam:ChangePassword", "iam:GetAccountPasswordPolicy"} <= set(block["NotAction"])
    # DeleteVirtualMFADevice acts on the MFA device, not on the user.
    assert (
        statements["AllowUserToDeleteTheirOwnMFAOnlyWhenUsingMFA"]["Resource"] == "arn:aws:iam::*:mfa/${aws:username}"
    )
    # IAM policy variables are kept verbatim.
    assert statements["AllowUserToManageTheirOwnMFA"]["Resource"] == "arn:aws:iam::*:user/${aws:username}"


def test_workbook_compiles_to_the_same_state_as_the_csv_files(project):
    csv_state = project.check().state
    xlsx_state = project.check(workbook=project.convert_to_workbook()).state
    assert xlsx_state.groups == csv_state.groups
    assert [(u.name, u.mfa_required, xlsx_state.groups_of(u)) for u in xlsx_state.users] == [
        (u.name, u.mfa_required, csv_state.groups_of(u)) for u in csv_state.users
    ]


def test_groups_per_user_stay_within_the_quota(project):
    state = project.check().state
    assert max(len(state.groups_of(u)) for u in state.users) <= MAX_GROUPS_PER_USER


def test_the_seed_as_written_fails_at_the_policy_aws_does_not_have(project):
    shutil.copy(FIXTURES / "seed_users.csv", project.root / "matrix/users.csv")
    shutil.copy(FIXTURES / "seed_policies.csv", project.root / "matrix/policies.csv")
    result = project.check()
    assert [str(p.location) for p in result.errors] == ["policies.csv A16"]
    assert "AmazonAPIGatewayReadOnlyAccess" in find(result, "policy-unknown").message


def test_the_seed_without_bundling_room_cannot_fit_its_guardrails(project):
    result = project.check(maxPoliciesPerGroup=3)
    problem = find(result, "quota-guardrails")
    assert str(problem.location) in {"policies.csv C1", "policies.csv D1", "policies.csv E1"}


def test_a_raised_quota_keeps_each_role_in_one_group(project):
    state = project.check(maxPoliciesPerGroup=20).state
    assert [g.name for g in state.groups if g.role == "Developer"] == ["Developer", "Developer-2"]
    assert [g.name for g in state.groups if g.role == "Viewer"] == ["Viewer"]
