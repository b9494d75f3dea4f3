"""The root ``__main__.py`` itself under the mock runtime, with the dev stack's config."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pulumi
import pytest

from components.cleanup import EMPTY_GROUP_HOOK
from components.program import deploy
from emulator import run_main, run_program, stack_config
from iam_matrix.deploy_options import DeployOptions

COMPONENTS = {
    "iam-matrix:index:CustomPolicies",
    "iam-matrix:index:GroupBundle",
    "iam-matrix:index:Users",
    "iam-matrix:index:PasswordPolicy",
}


def test_dev_stack_registers_exactly_the_desired_state(project, mocks):
    state = project.state()
    run = run_main(project.root, mocks)
    counts = Counter(r.type for r in run.registrations.values())
    groups, users, policies = len(state.groups), len(state.users), len(state.policies)
    assert counts == {
        "iam-matrix:index:CustomPolicies": 1,
        "iam-matrix:index:Users": 1,
        "iam-matrix:index:PasswordPolicy": 1,
        "iam-matrix:index:GroupBundle": len(state.roles),
        "aws:iam/policy:Policy": policies,
        "aws:iam/user:User": users,
        "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": 1,
        "aws:iam/group:Group": groups,
        "aws:iam/groupMembership:GroupMembership": groups,
        "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": groups,
        "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive": groups,
    }
    # Every AWS resource is a child of one of our components, every component of the stack.
    component_urns = {r.urn for r in run.registrations.values() if r.type in COMPONENTS}
    assert all(r.parent in component_urns for r in run.registrations.values() if r.custom)
    assert all(
        r.parent.endswith("pulumi:pulumi:Stack::iam-matrix-dev")
        for r in run.registrations.values()
        if r.type in COMPONENTS
    )
    assert component_urns <= run.components_with_outputs
    # Membership waits for the users, attachments for the custom policies.
    membership = run.named("aws:iam/groupMembership:GroupMembership", "Viewer-members")
    assert run.named("aws:iam/user:User", "banana@demoasacode.io").urn in membership.dependencies
    # The exclusive resources empty their group before the engine deletes it.
    attachments = run.named("aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive", "Admin-policies")
    assert attachments.before_delete == [EMPTY_GROUP_HOOK]
    exports = run.exports
    assert exports["roles"]["SysAdm"]["groupNames"] == ["SysAdm", "SysAdm-2", "SysAdm-3"]
    assert exports["roles"]["SysAdm"]["groupArns"][0] == "arn:aws:iam::123456789012:group/SysAdm"
    assert exports["userNames"] == sorted(u.name for u in state.users)
    assert set(exports["foundationPolicyArns"]) == {p.name for p in state.policies if p.path == "/foundation/"}
    assert "encryptedPasswords" not in exports
    warnings = [message for level, message in run.logs if level == "warning"]
    assert any("tiger@demoasacode.io" in w for w in warnings)


def test_logical_names_and_inputs_do_not_depend_on_row_or_column_order(project, mocks):
    before = {urn: r.inputs for urn, r in run_main(project.root, mocks).registrations.items()}
    for name in ("matrix/users.csv", "matrix/policies.csv"):
        header, *rows = project.read(name).splitlines()
        cells = [line.split(",") for line in [header, *rows]]
        flipped = [[row[0], *reversed(row[1:])] for row in cells]
        project.write(name, "\n".join(",".join(r) for r in [flipped[0], *reversed(flipped[1:])]) + "\n")
    after = {urn: r.inputs for urn, r in run_main(project.root, mocks).registrations.items()}
    assert after == before


def test_invalid_matrix_stops_before_any_resource_with_every_problem(project, mocks):
    project.edit("matrix/policies.csv", "ReadOnlyAccess,,,,,Y", "ReadOnlyAcess,,,,,Y")
    project.edit("matrix/users.csv", "banana@demoasacode.io", "banana demoasacode.io")
    run = run_main(project.root, mocks, raise_errors=False)
    assert isinstance(run.error, pulumi.RunError) and "nothing was deployed" in str(run.error)
    assert run.registrations == {}
    errors = run.errors()
    assert any("ReadOnlyAcess" in e and "did you mean 'ReadOnlyAccess'" in e for e in errors)
    assert any("banana demoasacode.io" in e for e in errors)


def test_config_of_the_wrong_type_is_reported_like_validate(project, mocks):
    config = stack_config(project.root, overrides={"maxPoliciesPerGroup": "ten", "manageUser": "true"})
    run = run_main(project.root, mocks, config=config, raise_errors=False)
    assert isinstance(run.error, pulumi.RunError) and run.registrations == {}
    assert any(
        "Pulumi.dev.yaml iam-matrix:maxPoliciesPerGroup" in e and "'ten' is not a integer" in e for e in run.errors()
    )


def test_console_access_without_pgp_key_is_refused_before_deploying(project, mocks):
    run = run_main(
        project.root, mocks, config=stack_config(project.root, overrides={"consoleAccess": True}), raise_errors=False
    )
    assert run.registrations == {} and any("pgpKey" in e for e in run.errors())


def test_membership_only_mode_registers_no_users(project, mocks):
    run = run_main(project.root, mocks, config=stack_config(project.root, overrides={"manageUsers": False}))
    assert not run.of_type("aws:iam/user:User") and not run.of_type("iam-matrix:index:Users")
    members = run.named("aws:iam/groupMembership:GroupMembership", "Admin-members")
    assert members.inputs["users"] == ["admin@demoasacode.io"] and members.dependencies == [
        run.named("aws:iam/group:Group", "Admin").urn
    ]


def test_console_access_exports_encrypted_passwords_only(project, mocks):
    run = run_main(
        project.root,
        mocks,
        config=stack_config(project.root, overrides={"consoleAccess": True, "pgpKey": "keybase:ops"}),
    )
    assert set(run.exports["encryptedPasswords"]) == set(run.exports["userNames"])
    assert all(value.startswith("wcFMA-") for value in run.exports["encryptedPasswords"].values())
    assert not [name for name in run.exports if name.lower() in ("password", "passwords")]


@pytest.mark.parametrize("stack", ["dev"])
def test_the_shipped_dev_stack_file_is_complete(stack, project):
    config = stack_config(project.root, stack)
    assert config["aws:allowedAccountIds"] == '["111111111111"]' and "aws:region" in config


def test_the_components_take_every_deploy_option_from_the_compiled_state(project, mocks):
    overrides = {"consoleAccess": True, "pgpKey": "keybase:ops", "forceDestroyUsers": True}
    state = project.check(**overrides).state
    assert state.deploy == DeployOptions(
        console_access=True, pgp_key="keybase:ops", force_destroy_users=True, max_policies_per_group=10
    )
    assert "keybase:ops" not in repr(state.deploy)  # a secret config key stays out of reprs
    # deploy() gets nothing but the state: no settings, no pulumi.Config.
    run = run_program(lambda: deploy(state), mocks)
    users = run.of_type("aws:iam/user:User")
    assert users and all(u.inputs["forceDestroy"] is True for u in users)
    profiles = run.of_type("aws:iam/userLoginProfile:UserLoginProfile")
    assert len(profiles) == len(state.users) and {p.inputs["pgpKey"] for p in profiles} == {"keybase:ops"}
    # The state without those options deploys the schema defaults.
    plain = run_program(lambda: deploy(dataclasses.replace(state, deploy=DeployOptions())), mocks)
    assert all(u.inputs["forceDestroy"] is False for u in plain.of_type("aws:iam/user:User"))
    assert not plain.of_type("aws:iam/userLoginProfile:UserLoginProfile")
