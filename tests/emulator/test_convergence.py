"""The program applied to an emulated account: it equals the desired state exactly, and a
second run after matrix changes (and a change made by hand) converges, removals included."""

from __future__ import annotations

import pytest

from emulator import ApplyError, EmulatedStack, comparable, expected_account, read_account

ACCOUNT = "111111111111"


def small_matrix(project) -> None:
    """Three users, two roles: for scenarios that do not need the seed's size."""
    project.write(
        "matrix/users.csv",
        "User,Admin,Viewer,MFA\nadmin@demoasacode.io,Y,,Y\nscott@demoasacode.io,,Y,Y\nmelon@demoasacode.io,,Y,Y\n",
    )
    project.write(
        "matrix/policies.csv", "Policies,Admin,Viewer\nAdministratorAccess,Y,\nReadOnlyAccess,,Y\nMFAForcePolicy,Y,Y\n"
    )


def assert_converged(project, account) -> None:
    assert comparable(read_account(account.iam)) == expected_account(project.state(), account.account_id)


def test_seed_matrices_deploy_to_exactly_the_desired_state_and_a_rerun_changes_nothing(project, account):
    """Reordering rows and columns registers identical inputs (tests/program/test_main.py),
    so the rerun also stands for a reordered sheet."""
    stack = EmulatedStack(account)
    run = stack.up(project.root)
    assert_converged(project, account)
    live = read_account(account.iam)
    assert set(live["groups"]) == {
        "Admin",
        "DBA",
        "DBA-2",
        "Developer",
        "Developer-2",
        "Developer-3",
        "SysAdm",
        "SysAdm-2",
        "SysAdm-3",
        "Viewer",
    }
    assert (
        live["groups"]["Developer-2"]["policy_arns"].count("arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole")
        == 1
    )
    foundation = {p["name"] for p in live["policies"].values() if p["path"] == "/foundation/"}
    assert foundation == {
        "DenyIPAddressPolicy",
        "MFAForcePolicy",
        "DenyEC2StopAndTerminationMFAPolicy",
        "DenyDataPipelinePolicy",
        "DenyRDSLargeCreationPolicy",
    }
    cidrs = live["policies"][f"arn:aws:iam::{ACCOUNT}:policy/foundation/DenyIPAddressPolicy"]["document"]
    assert "192.0.2.0/24" in str(cidrs)
    assert (
        live["password_policy"]["MinimumPasswordLength"] == 14
        and live["password_policy"]["PasswordReusePrevention"] == 24
    )
    tags = live["users"]["car@demoasacode.io"]["tags"]
    assert tags == {
        "managed-by": "iam-matrix",
        "stack": "dev",
        "source": "users.csv",
        "Owner": "platform-team",
        "CostCenter": "security",
    }
    assert (
        run.exports["foundationPolicyArns"]["MFAForcePolicy"]
        == f"arn:aws:iam::{ACCOUNT}:policy/foundation/MFAForcePolicy"
    )
    assert run.exports["roles"]["Developer"]["groupNames"] == ["Developer", "Developer-2", "Developer-3"]
    assert "encryptedPasswords" not in run.exports
    stack.up(project.root)
    assert stack.ops("create", "update", "delete", "replace") == []
    assert len(stack.ops("same")) == len(stack.state)


def test_matrix_changes_and_drift_converge_including_removals(project, account):
    stack = EmulatedStack(account)
    stack.up(project.root)
    iam = account.iam
    # Out of band: someone adds a member and a policy in the console.
    iam.add_user_to_group(GroupName="Admin", UserName="tiger@demoasacode.io")
    iam.attach_group_policy(GroupName="Viewer", PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    iam.put_group_policy(
        GroupName="DBA",
        PolicyName="handmade",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
    )
    # Matrix: remove a mark (car leaves Viewer), remove a Developer policy (the bundle
    # shrinks from 3 groups to 2), add a user, add a policy to Viewer.
    project.edit("matrix/users.csv", "car@demoasacode.io,,Y,Y,Y,,Y", "car@demoasacode.io,,Y,Y,,,Y")
    project.edit("matrix/policies.csv", "AWSCloudFormationFullAccess,,Y,,,\n", "")
    project.edit(
        "matrix/users.csv",
        "bicycle@demoasacode.io,,,Y,Y,,Y",
        "bicycle@demoasacode.io,,,Y,Y,,Y\nnewbie@demoasacode.io,,,,Y,,Y",
    )
    project.edit(
        "matrix/policies.csv", "AmazonAthenaFullAccess,,Y,,,", "AmazonAthenaFullAccess,,Y,,,\nAWSSupportAccess,Y,,,,Y"
    )
    project.edit("matrix/users.csv", "scott@demoasacode.io,,,Y,,,Y\n", "")  # a user leaves
    state = project.state()
    assert state.role("Developer").groups == ("Developer", "Developer-2")
    stack.up(project.root)
    assert_converged(project, account)
    live = read_account(iam)
    assert "Developer-3" not in live["groups"]
    assert "tiger@demoasacode.io" not in live["groups"]["Admin"]["members"]
    assert "car@demoasacode.io" not in live["groups"]["Viewer"]["members"]
    assert "newbie@demoasacode.io" in live["groups"]["Viewer"]["members"] and "newbie@demoasacode.io" in live["users"]
    assert live["groups"]["DBA"]["inline_policies"] == []
    assert "arn:aws:iam::aws:policy/AmazonS3FullAccess" not in live["groups"]["Viewer"]["policy_arns"]
    assert "arn:aws:iam::aws:policy/AWSSupportAccess" in live["groups"]["Viewer"]["policy_arns"]
    assert "scott@demoasacode.io" not in live["users"]
    deleted = {o.urn.rsplit("::", 1)[1] for o in stack.ops("delete")}
    assert {
        "scott@demoasacode.io",
        "Developer-3",
        "Developer-3-members",
        "Developer-3-policies",
        "Developer-3-inline-policies",
    } <= deleted


def test_removed_user_with_an_access_key_stops_the_up(project, account):
    small_matrix(project)
    stack = EmulatedStack(account)
    stack.up(project.root)
    account.iam.create_access_key(UserName="scott@demoasacode.io")
    project.edit("matrix/users.csv", "scott@demoasacode.io,,Y,Y\n", "")
    with pytest.raises(ApplyError, match="DeleteConflict.*scott@demoasacode.io.*access keys"):
        stack.up(project.root)
    assert "scott@demoasacode.io" in read_account(account.iam)["users"]


def test_force_destroy_users_deletes_a_removed_user_with_credentials(project, account):
    small_matrix(project)
    project.set_config(forceDestroyUsers=True)
    stack = EmulatedStack(account)
    stack.up(project.root)
    account.iam.create_access_key(UserName="scott@demoasacode.io")
    project.edit("matrix/users.csv", "scott@demoasacode.io,,Y,Y\n", "")
    stack.up(project.root)
    assert "scott@demoasacode.io" not in read_account(account.iam)["users"]
    assert_converged(project, account)


def test_managed_policies_are_loaded_so_a_wrong_arn_fails_like_aws(project, account):
    """moto knows AWS's managed policies here: the ARN without the service-role/ path is
    refused, and a policy ARN the account does not have stops the up."""
    small_matrix(project)
    account.iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole")
    account.iam.create_group(GroupName="probe")
    with pytest.raises(account.iam.exceptions.NoSuchEntityException):
        account.iam.attach_group_policy(GroupName="probe", PolicyArn="arn:aws:iam::aws:policy/AWSBatchServiceRole")
    project.edit(
        "matrix/policies.csv",
        "ReadOnlyAccess,,Y",
        f"ReadOnlyAccess,,Y\narn:aws:iam::{ACCOUNT}:policy/NotInThisAccount,,Y",
    )
    with pytest.raises(Exception, match="NotInThisAccount"):
        EmulatedStack(account).up(project.root)


def test_membership_only_mode_manages_groups_for_existing_users(project, account):
    small_matrix(project)
    project.set_config(manageUsers=False)
    for user in project.state().users:
        account.iam.create_user(UserName=user.name)
    stack = EmulatedStack(account)
    run = stack.up(project.root)
    assert not run.of_type("aws:iam/user:User")
    live, expected = comparable(read_account(account.iam)), expected_account(project.state(), account.account_id)
    assert expected["users"] == {} and set(live.pop("users")) == {u.name for u in project.state().users}
    expected.pop("users")
    assert live == expected


def test_console_access_exports_only_encrypted_passwords(project, account):
    small_matrix(project)
    project.set_config(consoleAccess=True, pgpKey="keybase:platform_team")
    stack = EmulatedStack(account)
    run = stack.up(project.root)
    passwords = run.exports["encryptedPasswords"]
    assert set(passwords) == {u.name for u in project.state().users}
    assert all(value.startswith("emulator-pgp:") for value in passwords.values())
    profile = run.named("aws:iam/userLoginProfile:UserLoginProfile", "admin@demoasacode.io-login")
    assert profile.inputs["passwordResetRequired"] is True and profile.inputs["pgpKey"] == "keybase:platform_team"
    assert (
        account.iam.get_login_profile(UserName="admin@demoasacode.io")["LoginProfile"]["PasswordResetRequired"] is True
    )
    assert not any("password" in name.lower() and "encrypted" not in name.lower() for name in run.exports)


def test_a_stack_deployed_before_the_component_rename_is_renamed_in_place(project, account, monkeypatch):
    """FoundationPolicies -> CustomPolicies: the alias on the component (and its children's
    inherited alias, emulator/aliases.py) keeps every deployed policy: no create, no delete."""
    import copy

    import pulumi

    from components.policies import OLD_TYPE

    new_type = OLD_TYPE.replace("FoundationPolicies", "CustomPolicies")
    original = pulumi.ComponentResource.__init__

    def as_before_the_rename(self, type_, name, props=None, opts=None, *args, **kwargs):
        if type_ == new_type:  # the program as it was: the old type and no alias
            type_, opts = OLD_TYPE, copy.copy(opts)
            opts.aliases = None
        original(self, type_, name, props, opts, *args, **kwargs)

    small_matrix(project)
    stack = EmulatedStack(account)
    monkeypatch.setattr(pulumi.ComponentResource, "__init__", as_before_the_rename)
    stack.up(project.root)
    monkeypatch.undo()
    policies = [urn for urn, applied in stack.state.items() if applied.type == "aws:iam/policy:Policy"]
    assert policies and all(f"{OLD_TYPE}$aws:iam/policy:Policy::" in urn for urn in policies)

    stack.up(project.root)
    assert stack.ops("create", "replace", "delete") == []
    renamed = {o.urn.rsplit("::", 1)[-1] for o in stack.ops("rename")}
    assert renamed == {"policies"} | {urn.rsplit("::", 1)[-1] for urn in policies}
    assert not [urn for urn in stack.state if OLD_TYPE in urn]
    assert_converged(project, account)


def test_console_access_adopts_a_console_password_made_outside_the_stack(project, account):
    """user_login_profile.go creates with CreateLoginProfile, which IAM refuses for a user who
    has a profile; the pre-flight finds it and the profile is imported (its password kept)."""
    from components import preflight

    small_matrix(project)
    stack = EmulatedStack(account)
    stack.up(project.root)
    scott = "scott@demoasacode.io"
    account.iam.create_login_profile(UserName=scott, Password="Chosen-by-Scott-2026!", PasswordResetRequired=False)
    project.set_config(consoleAccess=True, pgpKey="keybase:platform_team")

    with preflight.reading_with(lambda *_a, **_k: preflight.LiveAccount()), pytest.raises(ApplyError) as failed:
        stack.up(project.root)  # what the provider alone does: create, refused
    assert "EntityAlreadyExists" in str(failed.value) and scott in str(failed.value)

    run = stack.up(project.root)
    assert [o.urn.rsplit("::", 1)[-1] for o in stack.ops("import")] == [f"{scott}-login"]
    assert not [o for o in stack.ops("create", "replace") if scott in o.urn]
    profiles = {a.id for a in stack.state.values() if a.type == "aws:iam/userLoginProfile:UserLoginProfile"}
    assert profiles == {u.name for u in project.state().users}  # the others were created (by the failed up)
    assert run.exports["encryptedPasswords"][scott] == ""  # the importer cannot know the password
    assert run.exports["encryptedPasswords"]["admin@demoasacode.io"].startswith("emulator-pgp:")
    profile = account.iam.get_login_profile(UserName=scott)["LoginProfile"]
    assert profile["PasswordResetRequired"] is False  # not replaced: the chosen password stays
    assert_converged(project, account)

    stack.up(project.root)  # the import option stays in the program; the profile is in the state now
    assert stack.ops("create", "update", "delete", "replace", "import") == []
