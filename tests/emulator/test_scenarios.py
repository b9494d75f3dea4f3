"""Convergence scenarios under the provider-faithful emulator (quotas, attach-then-detach,
case-insensitive names, the provider's password policy and login profile semantics), each
with what the review diff says about applying it."""

from __future__ import annotations

import pytest

from components import preflight
from emulator import ApplyError, EmulatedStack, comparable, expected_account, read_account
from iam_matrix.bundle_moves import plan_moves
from iam_matrix.problems import MatrixInvalid
from iam_matrix.review.deploy import deploy_notes

ACCOUNT = "111111111111"
POLICY = "aws:iam/policy:Policy"


def assert_converged(project, account) -> None:
    assert comparable(read_account(account.iam)) == expected_account(project.state(), account.account_id)


def notes(before, after, quota: int = 10) -> list[tuple[str, bool]]:
    return [(n.kind, n.blocks) for n in deploy_notes(before, after, quota)]


def test_two_policies_added_at_once_to_a_full_bundle_shift_every_group_and_converge(project, account):
    stack = EmulatedStack(account)
    stack.up(project.root)
    before = project.state()
    # Names that sort first: each pushes one policy from every Developer group into the next.
    project.edit(
        "matrix/policies.csv",
        "AdministratorAccess,Y,,,,",
        "AdministratorAccess,Y,,,,\nAWSAccountActivityAccess,,Y,,,\nAWSAccountUsageReportAccess,,Y,,,",
    )
    after = project.state()
    assert len(after.role("Developer").policies) == 23 and after.role("Developer").groups == (
        "Developer",
        "Developer-2",
        "Developer-3",
    )
    assert notes(before, after) == [("bundle-moves", False)]
    stack.up(project.root)  # the provider alone would need 12 policies in Developer for a moment
    assert_converged(project, account)
    hooks = [o for o in stack.ops("hook") if o.detail == "iam-matrix-bundle-moves-Developer"]
    assert hooks, "the moves hook ran"


def test_a_policy_removed_from_a_bundle_never_leaves_a_kept_policy_out_of_every_group(project, account):
    stack = EmulatedStack(account)
    stack.up(project.root)
    before = project.state()
    project.edit("matrix/policies.csv", "AWSCloudFormationFullAccess,,Y,,,\n", "")
    after = project.state()
    old = {g.name: list(g.policy_arns) for g in before.groups if g.role == "Developer"}
    new = {g.name: list(g.policy_arns) for g in after.groups if g.role == "Developer"}
    plan = plan_moves(old, new, 10)
    attached = {group: set(arns) for group, arns in old.items()}
    kept = {arn for arns in new.values() for arn in arns}
    for step in plan.steps:  # replay the plan: at every step, quota held and nothing kept is lost
        (attached[step.group].add if step.action == "attach" else attached[step.group].discard)(step.policy)
        assert all(len(arns) <= 10 for arns in attached.values())
        assert kept <= set().union(*attached.values())
    stack.up(project.root)
    assert_converged(project, account)
    assert "Developer-3" not in read_account(account.iam)["groups"]


def test_custom_policy_files_moved_to_another_folder_keep_their_policies(project, account):
    stack = EmulatedStack(account)
    stack.up(project.root)
    (project.root / "policies").rename(project.root / "iam-policies")
    project.set_config(policiesDir="iam-policies")
    stack.up(project.root)
    assert_converged(project, account)
    assert stack.ops("replace", "create", "delete") == []  # the new source is only a tag change
    assert {o.urn.rsplit("::", 1)[1] for o in stack.ops("update") if o.type == POLICY} == {
        p.name for p in project.state().policies
    }


def test_a_custom_policy_whose_path_changes_is_refused_by_the_diff_and_by_iam(project, account):
    stack = EmulatedStack(account)
    stack.up(project.root)
    before = project.state()
    (project.root / "policies" / "guard").mkdir()
    (project.root / "policies" / "custom" / "APIGatewayReadOnlyAccess.json").rename(
        project.root / "policies" / "guard" / "APIGatewayReadOnlyAccess.json"
    )
    assert ("policy-path", True) in notes(before, project.state())
    with pytest.raises(ApplyError, match="DeleteConflict"):
        stack.up(project.root)


def test_console_access_with_a_32_character_minimum(project, account):
    project.set_config(consoleAccess=True, pgpKey="keybase:platform_team", passwordMinimumLength=32)
    stack = EmulatedStack(account)
    run = stack.up(project.root)
    profiles = run.of_type("aws:iam/userLoginProfile:UserLoginProfile")
    assert profiles and {p.inputs["passwordLength"] for p in profiles} == {32}
    policy = run.of_type("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")[0]
    assert all(policy.urn in p.dependencies for p in profiles)  # created after the password policy
    assert_converged(project, account)
    account.iam.update_login_profile(
        UserName="scott@demoasacode.io", Password="S" * 20 + "-chosen-by-scott-1a", PasswordResetRequired=False
    )
    stack.up(project.root)  # refresh sees the chosen password: nothing is replaced
    assert stack.ops("replace", "create", "delete") == []


def test_password_max_age_back_to_zero_clears_it_in_the_account(project, account):
    stack = EmulatedStack(account)
    stack.up(project.root)
    assert account.iam.get_account_password_policy()["PasswordPolicy"]["MaxPasswordAge"] == 90
    project.set_config(passwordMaxAgeDays=0, passwordReusePrevention=0)
    stack.up(project.root)
    live = account.iam.get_account_password_policy()["PasswordPolicy"]
    assert not live.get("MaxPasswordAge") and not live.get("PasswordReusePrevention")
    assert_converged(project, account)


def test_a_case_only_user_rename_is_refused_with_the_two_step_fix(project, account):
    """diff sees it between two revisions; one revision sees it against the live account: the
    program's pre-flight stops before it registers anything, so nothing is half-applied."""
    stack = EmulatedStack(account)
    stack.up(project.root)
    before = project.state()
    project.edit("matrix/users.csv", "scott@demoasacode.io", "Scott@demoasacode.io")
    (note,) = [n for n in deploy_notes(before, project.state(), 10) if n.kind == "case-rename"]
    assert note.blocks and "Two steps" in note.message and "Scott@demoasacode.io" in note.message

    run = stack.up(project.root, raise_errors=False)
    assert run.error is not None and run.registrations == {}
    assert stack.ops("create", "update", "delete", "replace") == []
    (error,) = [e for e in run.errors() if "[user-case-conflict]" in e]
    assert "users.csv" in error and "scott@demoasacode.io" in error and "two steps" in error
    # Without the pre-flight the provider would create first and IAM refuse it half-way.
    with (
        preflight.reading_with(lambda *_a, **_k: preflight.LiveAccount()),
        pytest.raises(ApplyError, match="EntityAlreadyExists"),
    ):
        stack.up(project.root)


def test_a_case_only_role_rename_is_refused_before_anything_is_registered(project, account):
    stack = EmulatedStack(account)
    stack.up(project.root)
    project.edit("matrix/users.csv", "Viewer", "viewer")
    project.edit("matrix/policies.csv", "Viewer", "viewer")
    run = stack.up(project.root, raise_errors=False)
    assert run.error is not None and run.registrations == {}
    (error,) = [e for e in run.errors() if "[group-case-conflict]" in e]
    assert "group viewer (role viewer)" in error and "group Viewer" in error


def test_a_user_in_ten_groups_whose_bundle_grows_is_refused_before_deploying(project):
    project.edit(
        "matrix/users.csv", "car@demoasacode.io,,Y,Y,Y,,Y", "car@demoasacode.io,Y,Y,Y,Y,Y,Y"
    )  # every role: 1 + 3 + 2 + 1 + 3 groups
    state = project.state()
    assert len(state.groups_of(state.user("car@demoasacode.io"))) == 10
    grown = (
        "AmazonSQSReadOnlyAccess",
        "AmazonSNSReadOnlyAccess",
        "AmazonKinesisReadOnlyAccess",
        "AWSCloudFormationReadOnlyAccess",
        "IAMReadOnlyAccess",
        "AWSAccountActivityAccess",
        "AWSAccountUsageReportAccess",
        "AWSCodeCommitReadOnly",
    )
    project.edit(
        "matrix/policies.csv",
        "ReadOnlyAccess,,,,,Y",
        "ReadOnlyAccess,,,,,Y\n" + "\n".join(f"{name},,,,,Y" for name in grown),
    )  # Viewer needs a second group
    with pytest.raises(MatrixInvalid) as invalid:
        project.state()
    assert any(p.code == "quota-groups-per-user" and "car@demoasacode.io" in str(p) for p in invalid.value.problems)
