"""Each component under Pulumi's mock runtime: registered types, inputs and parents."""

from __future__ import annotations

import json

import pytest

from components import (
    CustomPolicies,
    CustomPoliciesArgs,
    GroupBundle,
    GroupBundleArgs,
    PasswordPolicy,
    PasswordPolicyArgs,
    Users,
    UsersArgs,
)
from components.common import resource_tags, tag_value
from emulator import run_program
from iam_matrix.password_policy import PasswordPolicy as PasswordSettings

POLICY = "aws:iam/policy:Policy"


def children_of(run, component_type: str, name: str):
    parent = run.named(component_type, name).urn
    return [r for r in run.registrations.values() if r.parent == parent]


def test_foundation_policies_are_customer_managed_policies_under_their_path(project, mocks):
    state = project.state()
    run = run_program(
        lambda: CustomPolicies("policies", CustomPoliciesArgs(state.policies, "dev", {"Owner": "x"})), mocks
    )
    policies = run.of_type(POLICY)
    assert {r.name for r in policies} == {p.name for p in state.policies}
    mfa = run.named(POLICY, "MFAForcePolicy")
    assert mfa.inputs["path"] == "/foundation/" and mfa.inputs["name"] == "MFAForcePolicy"
    assert json.loads(mfa.inputs["policy"]) == json.loads(
        json.dumps(state.policies[[p.name for p in state.policies].index("MFAForcePolicy")].document)
    )
    assert mfa.inputs["tags"] == {
        "Owner": "x",
        "managed-by": "iam-matrix",
        "stack": "dev",
        "source": "policies/foundation/MFAForcePolicy.json",
    }
    assert {r.urn for r in children_of(run, "iam-matrix:index:CustomPolicies", "policies")} == {r.urn for r in policies}
    assert run.named("iam-matrix:index:CustomPolicies", "policies").urn in run.components_with_outputs


def test_group_bundle_has_exclusive_members_and_attachments_per_group(project, mocks):
    state = project.state()
    role = state.role("Developer")
    groups = [state.group(n) for n in role.groups]

    def program():
        policies = CustomPolicies("policies", CustomPoliciesArgs(state.policies, "dev"))
        GroupBundle("Developer", GroupBundleArgs(role, groups, policy_arns=policies.arns))

    run = run_program(program, mocks)
    children = children_of(run, "iam-matrix:index:GroupBundle", "Developer")
    assert sorted((r.type.split(":")[-1], r.name) for r in children) == sorted(
        (kind, f"{g}{suffix}")
        for g in role.groups
        for kind, suffix in (
            ("Group", ""),
            ("GroupMembership", "-members"),
            ("GroupPolicyAttachmentsExclusive", "-policies"),
            ("GroupPoliciesExclusive", "-inline-policies"),
        )
    )
    first = run.named("aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive", "Developer-policies")
    assert first.inputs["groupName"] == "Developer"
    # Custom policies come from the Policy resources (so they are created first) ...
    assert "arn:aws:iam::123456789012:policy/foundation/MFAForcePolicy" in first.inputs["policyArns"]
    assert run.named(POLICY, "MFAForcePolicy").urn in first.dependencies
    # ... AWS managed ones are the ARNs the core resolved, paths included.
    second = run.named(
        "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive", "Developer-2-policies"
    )
    assert "arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole" in second.inputs["policyArns"]
    assert all(
        len(
            run.named(
                "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive", f"{g}-policies"
            ).inputs["policyArns"]
        )
        <= 10
        for g in role.groups
    )
    members = run.named("aws:iam/groupMembership:GroupMembership", "Developer-3-members")
    assert sorted(members.inputs["users"]) == sorted(role.members) and members.inputs["group"] == "Developer-3"
    inline = run.named("aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive", "Developer-inline-policies")
    assert inline.inputs["policyNames"] == []
    assert run.named("aws:iam/group:Group", "Developer-2").inputs == {"name": "Developer-2", "path": "/"}


def test_password_policy_from_settings(mocks):
    run = run_program(
        lambda: PasswordPolicy(
            "password-policy",
            PasswordPolicyArgs(
                PasswordSettings(minimum_password_length=20, max_password_age=0, password_reuse_prevention=5)
            ),
        ),
        mocks,
    )
    (policy,) = run.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
    assert policy.inputs["minimumPasswordLength"] == 20 and policy.inputs["passwordReusePrevention"] == 5
    assert (
        policy.inputs["maxPasswordAge"] == 0
    )  # sent as 0, so the provider clears it (left out, it would keep the old age)
    assert policy.parent == run.named("iam-matrix:index:PasswordPolicy", "password-policy").urn


def test_users_have_path_tags_from_their_file_and_no_login_without_console_access(project, mocks):
    state = project.state()
    run = run_program(
        lambda: Users("users", UsersArgs(state.users, path="/people/", stack="dev", tags={"Owner": "x"})), mocks
    )
    users = run.of_type("aws:iam/user:User")
    assert {u.name for u in users} == {u.name for u in state.users}
    car = run.named("aws:iam/user:User", "car@demoasacode.io")
    assert car.inputs["path"] == "/people/" and car.inputs["forceDestroy"] is False
    assert car.inputs["tags"] == {"Owner": "x", "managed-by": "iam-matrix", "stack": "dev", "source": "users.csv"}
    assert not run.of_type("aws:iam/userLoginProfile:UserLoginProfile")


def test_console_access_makes_login_profiles_that_must_be_reset(project, mocks):
    state = project.state()
    holder = {}

    def program():
        holder["users"] = Users(
            "users", UsersArgs(state.users[:2], path="/", stack="dev", console_access=True, pgp_key="keybase:ops")
        )

    run = run_program(program, mocks)
    profiles = run.of_type("aws:iam/userLoginProfile:UserLoginProfile")
    assert [p.inputs["passwordResetRequired"] for p in profiles] == [True, True]
    assert {p.inputs["pgpKey"] for p in profiles} == {"keybase:ops"}
    assert all(p.parent == run.named("iam-matrix:index:Users", "users").urn for p in profiles)
    with pytest.raises(ValueError, match="PGP"):
        Users.__init__(object.__new__(Users), "u", UsersArgs([], path="/", stack="dev", console_access=True))


def test_tags_never_carry_characters_iam_refuses():
    assert tag_value("iam-matrix.xlsx [Users]") == "iam-matrix.xlsx:Users"
    assert resource_tags("dev", "a#b", {"managed-by": "someone-else"})["managed-by"] == "iam-matrix"
