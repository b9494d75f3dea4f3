"""adopt on an account built by hand with boto3 (not by the program): the draft validates
with only the warnings the residue report announces, the audit finds no drift, and the
report lists what the matrix cannot hold."""

from __future__ import annotations

import json

import pytest

from iam_matrix.adopt.command import AdoptResult, adopt
from iam_matrix.audit.gather import gather
from iam_matrix.cli import main
from tests.adopt.conftest import ACCOUNT

AWS = "arn:aws:iam::aws:policy/"
DRIFT = {
    "user-missing",
    "user-unexpected",
    "group-missing",
    "group-unexpected",
    "membership-missing",
    "membership-unexpected",
    "group-policy-missing",
    "group-policy-unexpected",
    "policy-missing",
    "policy-document-drift",
    "policy-unexpected",
}
# eleven AWS managed policies, in the compiler's order: Developer holds the first ten, Developer-2 the last
DEVELOPER = sorted(
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


def document(*actions: str, effect: str = "Allow") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": list(actions), "Resource": "*"}]}
    )


def build(iam) -> None:
    """Customer managed policies under three paths, AWS managed ones, a bundle pair, users
    with and without MFA, a user in no group, inline and user-attached policies, a
    service-linked role, an access key and a console password."""
    arn = {}
    for name, path, doc in (
        ("ReadReports", "/reports/", document("s3:GetObject")),
        ("OpsTools", "/teams/ops/", document("ssm:StartSession")),
        ("DenyLeaveOrg", "/foundation/", document("organizations:LeaveOrganization", effect="Deny")),
    ):
        arn[name] = iam.create_policy(PolicyName=name, Path=path, PolicyDocument=doc, Description=f"hand-made {name}")[
            "Policy"
        ]["Arn"]
    groups = {
        "Admin": [AWS + "AdministratorAccess", arn["DenyLeaveOrg"]],
        "Developer": [AWS + n for n in DEVELOPER[:10]],
        "Developer-2": [AWS + DEVELOPER[10]],
        "Auditors": [AWS + "SecurityAudit", arn["ReadReports"]],
        "Ops": [AWS + "ReadOnlyAccess", arn["OpsTools"], arn["DenyLeaveOrg"]],
    }
    for group, arns in groups.items():
        iam.create_group(GroupName=group)
        for policy in arns:
            iam.attach_group_policy(GroupName=group, PolicyArn=policy)
    members = {
        "ann": ["Admin"],
        "bob": ["Developer", "Developer-2"],
        "carl": ["Developer", "Developer-2", "Ops"],
        "dora": ["Auditors"],
        "erin": [],
        "frank": ["Ops"],
    }
    for user, in_groups in members.items():
        iam.create_user(UserName=user)
        for group in in_groups:
            iam.add_user_to_group(GroupName=group, UserName=user)
    for user in ("ann", "bob"):
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=user, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )
    iam.put_user_policy(UserName="frank", PolicyName="frank-extra", PolicyDocument=document("s3:ListBucket"))
    iam.attach_user_policy(UserName="frank", PolicyArn=AWS + "AmazonS3ReadOnlyAccess")
    iam.create_access_key(UserName="frank")
    iam.create_login_profile(UserName="dora", Password="Correct-horse-battery-9")
    iam.create_service_linked_role(AWSServiceName="support.amazonaws.com")
    iam.update_account_password_policy(
        MinimumPasswordLength=16,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=60,
        PasswordReusePrevention=12,
    )


@pytest.fixture(scope="module")
def adopted(moto_session, tmp_path_factory: pytest.TempPathFactory) -> AdoptResult:
    build(moto_session.client("iam"))
    return adopt(gather(moto_session, roles=True), tmp_path_factory.mktemp("hand-built"), stack="prod")


def test_the_draft_describes_the_account(adopted: AdoptResult) -> None:
    state = adopted.state
    assert state is not None and adopted.compiled.errors == []
    assert [(r.name, r.groups) for r in state.roles] == [
        ("Admin", ("Admin",)),
        ("Auditors", ("Auditors",)),
        ("Developer", ("Developer", "Developer-2")),
        ("Ops", ("Ops",)),
    ]
    assert state.role("Developer").members == ("bob", "carl")
    assert {u.name: u.mfa_required for u in state.users} == {
        "ann": True,
        "bob": True,
        "carl": False,
        "dora": False,
        "erin": False,
        "frank": False,
    }
    assert {p.name: p.path for p in state.policies} == {
        "DenyLeaveOrg": "/foundation/",
        "OpsTools": "/teams/ops/",
        "ReadReports": "/reports/",
    }
    assert (adopted.output / "policies" / "teams" / "ops" / "OpsTools.json").is_file()
    pp = state.password_policy
    assert (pp.minimum_password_length, pp.max_password_age, pp.password_reuse_prevention) == (16, 60, 12)
    assert state.account_id == ACCOUNT


def test_validate_reports_only_what_the_residue_report_announced(
    adopted: AdoptResult, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--project-dir", str(adopted.output), "--stack", "prod", "--format", "json"]) == 0
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert {p["code"] for p in problems} == {"user-no-role"}
    report = json.loads((adopted.output / "adopt" / "residue.json").read_text())
    announced = {(e["kind"], e["subject"]) for e in report["entries"]}
    assert ("user-no-group", "user/erin") in announced and ("validate", "users.csv A6") in announced


def test_the_audit_reports_no_drift(adopted: AdoptResult, capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    # in-process moto has no CloudTrail LookupEvents: the access log comes from an (empty) folder of log files
    main(
        [
            "audit",
            "--project-dir",
            str(adopted.output),
            "--stack",
            "prod",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--cloudtrail-logs",
            str(tmp_path),
        ]
    )
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert not [f for f in findings if f["check"] in DRIFT]
    assert {"inline-policy", "user-policy-attached"} <= {
        f["check"] for f in findings
    }  # announced by the residue report too


def test_the_residue_report_lists_what_the_matrix_cannot_hold(adopted: AdoptResult) -> None:
    report = json.loads((adopted.output / "adopt" / "residue.json").read_text())
    kinds = {(e["kind"], e["subject"]) for e in report["entries"]}
    assert {
        ("inline-user-policy", "user/frank"),
        ("user-attached-policy", "user/frank"),
        ("user-no-group", "user/erin"),
        ("access-key", "user/frank"),
        ("login-profile", "user/dora"),
    } <= kinds
    assert any(
        kind == "reserved" and subject.startswith("role/aws-service-role/support.amazonaws.com/")
        for kind, subject in kinds
    )
    assert report["review_first"] == 0, [e for e in report["entries"] if e["review_first"]]
    text = (adopted.output / "adopt" / "residue.txt").read_text()
    assert "frank-extra" in text and "0 to review before the first pulumi up" in text


def test_pulumi_import_then_up_adopts_everything_without_creating_replacing_or_deleting(
    adopted: AdoptResult, account
) -> None:
    """Through the emulator: ``pulumi import --file adopt/import.json``, then ``pulumi up`` twice.
    The first up only adds the stack's tags and creates the (not importable) memberships,
    which removes nobody; the second changes nothing."""
    from emulator import EmulatedStack, read_account

    before = read_account(account.iam)
    stack = EmulatedStack(account, stack="prod")
    imported = stack.import_file(json.loads((adopted.output / "adopt" / "import.json").read_text()))
    assert len(imported) == sum(
        1 for s in json.loads((adopted.output / "adopt" / "import.json").read_text())["resources"] if "id" in s
    )
    stack.up(adopted.output)
    changed = {(o.op, o.type.rsplit(":", 1)[-1]) for o in stack.ops("create", "update", "replace", "delete")}
    assert changed == {("create", "GroupMembership"), ("update", "User"), ("update", "Policy")}
    updated = {o.urn.rsplit("::", 1)[-1] for o in stack.ops("update")}
    assert updated == {"ann", "bob", "carl", "dora", "erin", "frank", "DenyLeaveOrg", "OpsTools", "ReadReports"}
    after = read_account(account.iam)
    assert (
        after["groups"] == before["groups"] and after["policies"] == before["policies"]
    )  # members, attachments, documents
    assert {n: u["path"] for n, u in after["users"].items()} == {n: u["path"] for n, u in before["users"].items()}
    assert after["users"]["ann"]["tags"]["managed-by"] == "iam-matrix"
    assert (
        account.iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/reports/ReadReports")["Policy"]["Description"]
        == "hand-made ReadReports"
    )
    assert account.iam.list_user_policies(UserName="frank")["PolicyNames"] == ["frank-extra"]  # residue stays as it was
    stack.up(adopted.output)
    assert stack.ops("create", "update", "replace", "delete") == []


def test_an_import_of_something_that_is_not_there_fails_like_pulumi_import(adopted: AdoptResult, account) -> None:
    from emulator import ApplyError, EmulatedStack

    document = {
        "nameTable": {},
        "resources": [
            {"type": "iam-matrix:index:Users", "name": "users", "component": True},
            {"type": "aws:iam/user:User", "name": "ghost", "id": "ghost", "parent": "users"},
        ],
    }
    with pytest.raises(ApplyError, match="does not exist"):
        EmulatedStack(account, stack="prod").import_file(document)


def test_the_import_file_comes_from_the_layout_the_program_registers(adopted: AdoptResult) -> None:
    """For the adopted project too, components.layout (which the import file is made from) equals
    what the program registers under Pulumi's mock runtime, inputs included."""
    import jsonschema

    from tests.adopt.import_schema import SCHEMA
    from tests.program.test_layout import as_registered

    planned, registered = as_registered(adopted.output, "prod")
    assert planned == registered
    jsonschema.validate(json.loads((adopted.output / "adopt" / "import.json").read_text()), SCHEMA)
    imported = {
        spec["logicalName"] for spec in json.loads((adopted.output / "adopt" / "import.json").read_text())["resources"]
    }
    assert imported == {name for _, name, *_ in planned.values()} - {
        name for t, name, *_ in planned.values() if t.endswith("GroupMembership")
    }
