"""One test per row of emulator/BEHAVIOUR.md: the emulated provider and account behave as
terraform-provider-aws (bridged by pulumi-aws) and IAM do, where moto alone would not."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from emulator import ApplyError, EmulatedStack

READ_ONLY = [
    f"arn:aws:iam::aws:policy/{name}"
    for name in (
        "ReadOnlyAccess",
        "AmazonS3ReadOnlyAccess",
        "AmazonEC2ReadOnlyAccess",
        "CloudWatchReadOnlyAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "AmazonRDSReadOnlyAccess",
        "AWSLambda_ReadOnlyAccess",
        "AmazonSQSReadOnlyAccess",
        "AmazonSNSReadOnlyAccess",
        "IAMReadOnlyAccess",
        "AmazonRoute53ReadOnlyAccess",
    )
]
DOCUMENT = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}
)


def group_with(arns: list[str]):
    def program() -> None:
        group = aws.iam.Group("g", name="g")
        aws.iam.GroupPolicyAttachmentsExclusive("g-policies", group_name=group.name, policy_arns=arns)

    return program


def code(error: pytest.ExceptionInfo) -> str:
    return str(error.value)


# 1 ---------------------------------------------------------------------------------------
def test_exclusive_attachments_attach_before_they_detach_so_a_swap_in_a_full_group_overflows(account):
    """group_policy_attachments_exclusive.go syncAttachments: attach, then detach. The old
    harness detached first, which let this swap through; IAM would refuse it."""
    stack = EmulatedStack(account)
    stack.up(program=group_with(READ_ONLY[:10]))
    with pytest.raises(ApplyError, match="LimitExceeded"):
        stack.up(program=group_with(READ_ONLY[1:11]))
    attached = [p["PolicyArn"] for p in account.iam.list_attached_group_policies(GroupName="g")["AttachedPolicies"]]
    assert sorted(attached) == sorted(READ_ONLY[:10])  # nothing detached before the failing attach


def test_exclusive_attachments_remove_what_is_not_listed_and_detach_nothing_on_delete(account):
    stack = EmulatedStack(account)
    stack.up(program=group_with(READ_ONLY[:2]))
    account.iam.attach_group_policy(GroupName="g", PolicyArn=READ_ONLY[5])
    stack.up(program=group_with(READ_ONLY[:2]))  # refresh sees the extra one, the update removes it
    assert sorted(
        p["PolicyArn"] for p in account.iam.list_attached_group_policies(GroupName="g")["AttachedPolicies"]
    ) == sorted(READ_ONLY[:2])

    def only_the_group() -> None:
        aws.iam.Group("g", name="g")

    stack.up(program=only_the_group)  # the attachment resource goes; the group keeps its policies
    assert len(account.iam.list_attached_group_policies(GroupName="g")["AttachedPolicies"]) == 2


# 2 ---------------------------------------------------------------------------------------
def test_iam_quotas_hold_for_every_client(account):
    iam = account.iam
    iam.create_group(GroupName="full")
    for arn in READ_ONLY[:10]:
        iam.attach_group_policy(GroupName="full", PolicyArn=arn)
    with pytest.raises(iam.exceptions.LimitExceededException, match="PoliciesPerGroup: 10"):
        iam.attach_group_policy(GroupName="full", PolicyArn=READ_ONLY[10])
    iam.attach_group_policy(GroupName="full", PolicyArn=READ_ONLY[0])  # attaching again is not a new attachment
    iam.create_user(UserName="busy")
    for index in range(10):
        iam.create_group(GroupName=f"team{index}")
        iam.add_user_to_group(GroupName=f"team{index}", UserName="busy")
    iam.create_group(GroupName="team10")
    with pytest.raises(iam.exceptions.LimitExceededException, match="GroupsPerUser: 10"):
        iam.add_user_to_group(GroupName="team10", UserName="busy")


def test_names_are_case_insensitive_so_a_case_only_rename_fails_at_create(account):
    iam = account.iam
    iam.create_user(UserName="alice")
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException):
        iam.create_user(UserName="Alice")
    iam.create_group(GroupName="Ops")
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException):
        iam.create_group(GroupName="OPS")
    iam.create_policy(PolicyName="Guard", Path="/a/", PolicyDocument=DOCUMENT)
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException):
        iam.create_policy(PolicyName="guard", Path="/b/", PolicyDocument=DOCUMENT)

    stack = EmulatedStack(account)
    stack.up(program=lambda: aws.iam.User("bob", name="bob"))
    with pytest.raises(ApplyError, match="EntityAlreadyExists"):  # a new logical name: create first, then delete
        stack.up(program=lambda: aws.iam.User("Bob", name="Bob"))


def test_an_attached_policy_cannot_be_deleted(account):
    iam = account.iam
    arn = iam.create_policy(PolicyName="Attached", PolicyDocument=DOCUMENT)["Policy"]["Arn"]
    iam.create_group(GroupName="holder")
    iam.attach_group_policy(GroupName="holder", PolicyArn=arn)
    with pytest.raises(iam.exceptions.DeleteConflictException):
        iam.delete_policy(PolicyArn=arn)


def test_a_console_password_must_satisfy_the_account_password_policy(account):
    iam = account.iam
    iam.update_account_password_policy(MinimumPasswordLength=32, RequireSymbols=True)
    iam.create_user(UserName="carol")
    with pytest.raises(iam.exceptions.ClientError, match="PasswordPolicyViolation"):
        iam.create_login_profile(UserName="carol", Password="Short-but-ok-elsewhere-1")
    stack = EmulatedStack(account)

    def profile(length: int):
        return lambda: aws.iam.UserLoginProfile("carol-login", user="carol", password_length=length)

    with pytest.raises(ApplyError, match="PasswordPolicyViolation"):
        stack.up(program=profile(20))  # the provider's default length is 20
    stack.up(program=profile(40))
    assert iam.get_login_profile(UserName="carol")["LoginProfile"]["UserName"] == "carol"


# 3 ---------------------------------------------------------------------------------------
def test_group_membership_create_only_adds_and_the_next_update_removes_the_rest(account):
    """group_membership.go: create adds the listed users; update diffs the refreshed state."""
    iam = account.iam
    for user in ("stays-for-now", "listed"):
        iam.create_user(UserName=user)
    iam.create_group(GroupName="crew")
    iam.add_user_to_group(GroupName="crew", UserName="stays-for-now")

    def members(users: list[str]):
        return lambda: aws.iam.GroupMembership("crew-members", name="crew-members", group="crew", users=users)

    stack = EmulatedStack(account)
    stack.up(program=members(["listed"]))
    assert sorted(u["UserName"] for u in iam.get_group(GroupName="crew")["Users"]) == ["listed", "stays-for-now"]
    stack.up(program=members(["listed"]))
    assert [u["UserName"] for u in iam.get_group(GroupName="crew")["Users"]] == ["listed"]


# 4 ---------------------------------------------------------------------------------------
def test_password_policy_keeps_an_omitted_field_and_clears_a_zero(account):
    """account_password_policy.go: Optional+Computed fields keep the stored value when left
    out; 0 is not sent (d.GetOk), so IAM resets it."""

    def policy(**fields):
        return lambda: aws.iam.AccountPasswordPolicy("pp", minimum_password_length=14, **fields)

    stack = EmulatedStack(account)
    stack.up(program=policy(max_password_age=90, password_reuse_prevention=24))
    stack.up(program=policy())
    live = account.iam.get_account_password_policy()["PasswordPolicy"]
    assert live["MaxPasswordAge"] == 90 and live["PasswordReusePrevention"] == 24
    stack.up(program=policy(max_password_age=0, password_reuse_prevention=0))
    live = account.iam.get_account_password_policy()["PasswordPolicy"]
    assert (
        not live.get("MaxPasswordAge") and not live.get("PasswordReusePrevention") and live["ExpirePasswords"] is False
    )


# 5 ---------------------------------------------------------------------------------------
def test_login_profile_refresh_reads_the_reset_flag_and_every_input_forces_a_replacement(account):
    account.iam.create_user(UserName="dave")

    def profile(ignore: list[str], pgp: str = "keybase:a"):
        return lambda: aws.iam.UserLoginProfile(
            "dave-login",
            user="dave",
            pgp_key=pgp,
            password_reset_required=True,
            opts=pulumi.ResourceOptions(ignore_changes=ignore),
        )

    stack = EmulatedStack(account)
    stack.up(program=profile([]))
    account.iam.update_login_profile(
        UserName="dave", Password="Chosen-by-dave-2026!", PasswordResetRequired=False
    )  # dave chose a password
    planned = stack.preview(program=profile([]))
    assert [o.detail for o in planned if o.op == "replace"] == [
        "create-before-delete"
    ]  # his password would be reset...
    with pytest.raises(ApplyError, match="EntityAlreadyExists"):  # ...and IAM refuses a second profile for him
        stack.up(program=profile([]))
    stack.up(program=profile(["passwordResetRequired", "pgpKey"], pgp="keybase:b"))
    assert stack.ops("replace") == [] and len(stack.ops("same")) == 1
    assert account.iam.get_login_profile(UserName="dave")["LoginProfile"]["PasswordResetRequired"] is False


# 6 ---------------------------------------------------------------------------------------
def test_user_delete_fails_on_any_dependent_unless_force_destroy_removes_it(account):
    iam = account.iam
    stack = EmulatedStack(account)
    stack.up(program=lambda: [aws.iam.User(name, name=name) for name in ("with-ssh", "with-policy")])
    iam.upload_ssh_public_key(UserName="with-ssh", SSHPublicKeyBody="ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 emulator")
    iam.attach_user_policy(UserName="with-policy", PolicyArn=READ_ONLY[0])
    with pytest.raises(ApplyError, match="DeleteConflict.*SSH public keys"):
        stack.up(program=lambda: aws.iam.User("with-policy", name="with-policy"))
    stack.up(
        program=lambda: [aws.iam.User(name, name=name, force_destroy=True) for name in ("with-ssh", "with-policy")]
    )
    stack.up(program=lambda: aws.iam.User("with-policy", name="with-policy", force_destroy=True))
    assert {u["UserName"] for u in iam.list_users()["Users"]} == {"with-policy"}
    with pytest.raises(ApplyError, match="DeleteConflict.*policies"):  # force_destroy does not detach policies
        stack.up(program=lambda: None)
    assert {u["UserName"] for u in iam.list_users()["Users"]} == {"with-policy"}


# 7 ---------------------------------------------------------------------------------------
def test_policy_description_forces_a_delete_first_replacement_that_an_attachment_blocks(account):
    def program(description: str, attached: bool):
        def run() -> None:
            policy = aws.iam.Policy("p", name="p", path="/custom/", description=description, policy=DOCUMENT)
            group = aws.iam.Group("g", name="g")
            if attached:
                aws.iam.GroupPolicyAttachmentsExclusive("g-policies", group_name=group.name, policy_arns=[policy.arn])

        return run

    stack = EmulatedStack(account)
    stack.up(program=program("one", attached=False))
    first = account.iam.get_policy(PolicyArn=f"arn:aws:iam::{account.account_id}:policy/custom/p")["Policy"]["PolicyId"]
    stack.up(program=program("two", attached=False))
    second = account.iam.get_policy(PolicyArn=f"arn:aws:iam::{account.account_id}:policy/custom/p")["Policy"][
        "PolicyId"
    ]
    assert first != second and stack.ops("replace")
    stack.up(program=program("two", attached=True))
    with pytest.raises(ApplyError, match="DeleteConflict"):
        stack.up(program=program("three", attached=True))


# 8 ---------------------------------------------------------------------------------------
def test_the_whole_stack_is_refreshed_before_the_update_starts(account):
    stack = EmulatedStack(account)
    stack.up(program=group_with(READ_ONLY[:1]))
    stack.up(program=group_with(READ_ONLY[:2]))
    kinds = [o.op for o in stack.provider.journal]
    assert kinds[:2] == ["refresh", "refresh"] and "refresh" not in kinds[2:] and "update" in kinds


# 9 ---------------------------------------------------------------------------------------
def test_the_programs_own_hooks_run_in_up_with_old_and_new_inputs_but_not_in_preview(account):
    calls: list[tuple[list[str], list[str]]] = []

    def program(arns: list[str]):
        def run() -> None:
            hook = pulumi.ResourceHook(
                "record", lambda args: calls.append((args.old_inputs["policyArns"], args.new_inputs["policyArns"]))
            )
            group = aws.iam.Group("g", name="g")
            options = pulumi.ResourceOptions(hooks=pulumi.ResourceHookBinding(before_update=[hook]))
            aws.iam.GroupPolicyAttachmentsExclusive("g-policies", group_name=group.name, policy_arns=arns, opts=options)

        return run

    stack = EmulatedStack(account)
    stack.up(program=program(READ_ONLY[:1]))
    planned = stack.preview(program=program(READ_ONLY[:2]))
    assert calls == [] and [o.op for o in planned if o.op != "same"] == ["update"]
    assert len(account.iam.list_attached_group_policies(GroupName="g")["AttachedPolicies"]) == 1
    stack.up(program=program(READ_ONLY[:2]))
    assert calls == [(READ_ONLY[:1], READ_ONLY[:2])]


def test_retain_on_delete_leaves_the_resource(account):
    stack = EmulatedStack(account)
    stack.up(
        program=lambda: aws.iam.AccountPasswordPolicy(
            "pp", minimum_password_length=20, opts=pulumi.ResourceOptions(retain_on_delete=True)
        )
    )
    stack.up(program=lambda: None)
    assert account.iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 20
    assert [o.detail for o in stack.ops("delete")] == ["retained"]


def test_the_project_asks_for_a_cli_that_runs_resource_hooks_and_refreshes_before_every_up():
    from pathlib import Path

    import yaml
    from packaging.specifiers import SpecifierSet

    project = yaml.safe_load((Path(__file__).resolve().parents[2] / "Pulumi.yaml").read_text())
    wanted = SpecifierSet(project["requiredPulumiVersion"])
    assert "3.182.0" in wanted and "3.181.9" not in wanted
    assert project["options"]["refresh"] == "always"  # exclusivity relies on it


# engine: aliases ---------------------------------------------------------------------------
class Box(pulumi.ComponentResource):
    """A component with one named child whose logical name starts with the component's."""

    def __init__(self, type_: str, name: str, aliases: list[pulumi.Alias] | None = None) -> None:
        super().__init__(type_, name, None, pulumi.ResourceOptions(aliases=aliases or []))
        aws.iam.Group(f"{name}-group", name="boxed", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def test_aliases_take_over_the_old_resource_and_children_inherit_their_parents_alias(account):
    """step_generator.go: the old state is looked up under the URN, then under each alias; a
    child inherits its parent's matched alias (with the parent's old name as its name prefix)."""
    stack = EmulatedStack(account)
    stack.up(program=lambda: Box("test:index:Old", "old"))
    stack.up(program=lambda: Box("test:index:New", "new", [pulumi.Alias(type_="test:index:Old", name="old")]))
    assert stack.ops("create", "replace", "delete") == []
    renamed = {o.urn.rsplit("::", 1)[-1]: o.detail.rsplit("::", 1)[-1] for o in stack.ops("rename")}
    assert renamed == {"new": "old", "new-group": "old-group"}
    assert [o.op for o in stack.operations if o.urn.endswith("::new-group")] == ["rename", "same"]
    # Without an alias the engine sees a new resource: it creates before it deletes the old
    # one, and IAM refuses the second group of the same name.
    with pytest.raises(ApplyError, match="EntityAlreadyExists"):
        stack.up(program=lambda: Box("test:index:Newer", "newer"))


# engine: the import option -----------------------------------------------------------------
def imported_group(path: str = "/"):
    def program() -> None:
        aws.iam.Group("g", name="g", path=path, opts=pulumi.ResourceOptions(import_="g"))

    return program


def test_the_import_option_adopts_by_id_only_when_the_inputs_match_and_is_a_no_op_once_in_the_state(account):
    """developer-docs/architecture/import.md: not in the state -> read and adopted (a difference
    warns in preview, fails the up); in the state under the same id -> an ordinary resource."""
    account.iam.create_group(GroupName="g", Path="/")
    mismatch = EmulatedStack(account)
    (warned,) = mismatch.preview(program=imported_group("/other/"))
    assert warned.op == "import" and "do not match" in warned.detail
    with pytest.raises(ApplyError, match="inputs to import do not match the existing resource"):
        mismatch.up(program=imported_group("/other/"))
    assert account.iam.get_group(GroupName="g")["Group"]["Path"] == "/"  # nothing changed

    stack = EmulatedStack(account)
    stack.up(program=imported_group())
    assert [o.op for o in stack.operations] == ["import"] and stack.state
    stack.up(program=imported_group())
    assert [o.op for o in stack.operations] == ["same"]
    with pytest.raises(ApplyError, match="does not exist"):
        EmulatedStack(account).up(
            program=lambda: aws.iam.Group("h", name="h", opts=pulumi.ResourceOptions(import_="h"))
        )


def test_every_row_of_the_behaviour_table_names_a_test_that_exists():
    import re
    from pathlib import Path

    here = Path(__file__).parent
    table = (here.parents[1] / "emulator" / "BEHAVIOUR.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| Resource")]
    defined = set(re.findall(r"^def (test_\w+)\(", "".join(p.read_text() for p in here.glob("*.py")), re.M))
    for row in rows:
        if set(row) <= {"|", "-", " "}:
            continue
        named = re.findall(r"`(?:[\w/]+\.py::)?(test_\w+)`", row.rsplit("|", 2)[-2])
        assert named and set(named) <= defined, row[:80]


def test_a_group_path_changes_in_place(account):
    """group.go: name and path are updated with UpdateGroup, never by a replacement."""
    stack = EmulatedStack(account)
    stack.up(program=lambda: aws.iam.Group("g", name="g", path="/"))
    stack.up(program=lambda: aws.iam.Group("g", name="g", path="/teams/"))
    assert [o.op for o in stack.operations] == ["update"]
    assert account.iam.get_group(GroupName="g")["Group"]["Path"] == "/teams/"
