"""deploy/: the deploy role's policies grant exactly what the program's resources need.

The program is run under mocks with the dev stack (and variants that switch on optional
resources); every custom resource type it registers must be in deploy/resource-actions.json.
deployer-policy.json must grant exactly the union of the actions of the types every stack
registers - nothing missing, nothing beyond; deployer-policy-audit-baseline.json exactly
those of the types only ``auditBaseline`` adds; preview-policy.json is the read-only part
of the first set.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.deploy.program_types import AUDIT_VARIANTS, VARIANTS, run_variants

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TABLE = {k: v for k, v in json.loads((DEPLOY / "resource-actions.json").read_text()).items() if not k.startswith("_")}
# IAM actions without resource-level permissions (the Service Authorization Reference lists no resource type).
ACCOUNT_LEVEL = {
    "iam:UpdateAccountPasswordPolicy",
    "iam:GetAccountPasswordPolicy",
    "iam:DeleteAccountPasswordPolicy",
    "iam:ListVirtualMFADevices",
}
AUDIT_ACCOUNT_LEVEL = {
    "kms:CreateKey",
    "kms:ListAliases",
    "cloudtrail:DescribeTrails",
    "logs:DescribeLogGroups",
    "config:DescribeConfigRules",
    "config:PutConfigurationRecorder",
    "config:DescribeConfigurationRecorders",
    "config:DeleteConfigurationRecorder",
    "config:PutDeliveryChannel",
    "config:DescribeDeliveryChannels",
    "config:DeleteDeliveryChannel",
    "config:StartConfigurationRecorder",
    "config:StopConfigurationRecorder",
    "config:DescribeConfigurationRecorderStatus",
}
RESOURCE_OF = {
    "user": "arn:aws:iam::*:user/*",
    "group": "arn:aws:iam::*:group/*",
    "policy": "arn:aws:iam::*:policy/*",
    "mfa": "arn:aws:iam::*:mfa/*",
}


def granted(document: dict) -> dict[str, set[str]]:
    """Action -> the resources it is allowed on."""
    found: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in statement["Action"]:
            found.setdefault(action, set()).update(resources)
    return found


def needed(types: set[str]) -> set[str]:
    return {action for kind in types for action in TABLE[kind]["actions"]}


@pytest.fixture(scope="module")
def registered() -> tuple[set[str], set[str]]:
    """(types every stack may register, types only auditBaseline adds)."""
    runs = run_variants(json.dumps(VARIANTS + AUDIT_VARIANTS))
    per_variant = [{t for t in run["types"] if not t.startswith(("iam-matrix:", "pulumi:"))} for run in runs]
    core_types = set().union(*per_variant[: len(VARIANTS)])
    return core_types, set().union(*per_variant[len(VARIANTS) :]) - core_types


@pytest.fixture(scope="module")
def program_types(registered: tuple[set[str], set[str]]) -> set[str]:
    return registered[0]


@pytest.fixture(scope="module")
def audit_types(registered: tuple[set[str], set[str]]) -> set[str]:
    if not registered[1]:
        pytest.skip("the program registers no AuditBaseline resources in this checkout")
    return registered[1]


def test_every_registered_type_is_in_the_table(program_types: set[str], registered: tuple[set[str], set[str]]) -> None:
    missing = sorted((program_types | registered[1]) - set(TABLE))
    assert not missing, (
        f"the program registers {missing}: add their IAM actions to "
        "deploy/resource-actions.json and grant them in deploy/deployer-policy.json"
    )
    assert "aws:iam/userLoginProfile:UserLoginProfile" in program_types  # the consoleAccess variant ran


def test_deployer_policy_grants_exactly_what_the_program_needs(program_types: set[str]) -> None:
    actions = set(granted(json.loads((DEPLOY / "deployer-policy.json").read_text())))
    assert sorted(needed(program_types) - actions) == [], "missing from deployer-policy.json"
    assert sorted(actions - needed(program_types)) == [], "granted beyond what the program's resources need"


def test_audit_baseline_policy_grants_exactly_what_its_resources_need(audit_types: set[str]) -> None:
    assert {
        "aws:cloudtrail/trail:Trail",
        "aws:cfg/rule:Rule",
        "aws:accessanalyzer/analyzer:Analyzer",
        "aws:kms/key:Key",
    } <= audit_types
    actions = set(granted(json.loads((DEPLOY / "deployer-policy-audit-baseline.json").read_text())))
    assert sorted(needed(audit_types) - actions) == [], "missing from deployer-policy-audit-baseline.json"
    assert sorted(actions - needed(audit_types)) == [], "granted beyond what the AuditBaseline resources need"


def test_audit_baseline_policy_is_scoped() -> None:
    document = json.loads((DEPLOY / "deployer-policy-audit-baseline.json").read_text())
    for action, resources in granted(document).items():
        assert "*" not in action.split(":")[1], action
        assert (resources == {"*"}) == (action in AUDIT_ACCOUNT_LEVEL), f"{action} on {resources}"
    for statement in document["Statement"]:
        if "iam:PassRole" in statement["Action"]:
            assert (
                statement["Action"] == ["iam:PassRole"]
                and "iam:PassedToService" in statement["Condition"]["StringEquals"]
            ), statement["Sid"]
        if "iam:CreateServiceLinkedRole" in statement["Action"]:
            assert "iam:AWSServiceName" in statement["Condition"]["StringEquals"], statement["Sid"]


def test_preview_policy_is_the_read_only_part(program_types: set[str]) -> None:
    reads = {a for a in needed(program_types) if a.split(":")[1].startswith(("Get", "List"))}
    assert set(granted(json.loads((DEPLOY / "preview-policy.json").read_text()))) == reads


@pytest.mark.parametrize("name", ["deployer-policy.json", "preview-policy.json"])
def test_policies_are_scoped(name: str) -> None:
    for action, resources in granted(json.loads((DEPLOY / name).read_text())).items():
        assert "*" not in action.split(":")[1], f"{action}: no wildcard actions"
        assert not action.startswith(
            (
                "iam:PassRole",
                "iam:CreateRole",
                "iam:AttachRolePolicy",
                "iam:PutRolePolicy",
                "iam:AttachUserPolicy",
                "iam:PutUserPolicy",
                "iam:PutGroupPolicy",
                "iam:CreateAccessKey",
            )
        ), action
        if action in ACCOUNT_LEVEL:
            assert resources == {"*"}, action
        else:
            assert resources and all(r in RESOURCE_OF.values() for r in resources), f"{action} on {resources}"


def test_table_actions_are_well_formed() -> None:
    for kind, entry in TABLE.items():
        assert entry["why"] and entry["actions"] == sorted(set(entry["actions"]), key=entry["actions"].index), kind
        assert all(
            re.fullmatch(r"(iam|s3|kms|cloudtrail|logs|config|access-analyzer):[A-Z][A-Za-z]+", a)
            for a in entry["actions"]
        ), kind


@pytest.mark.parametrize(
    ("name", "environment"), [("github-oidc-trust.json", "dev"), ("github-oidc-trust-preview.json", "preview-dev")]
)
def test_oidc_trust_is_restricted_to_the_repository_environment(name: str, environment: str) -> None:
    [statement] = json.loads((DEPLOY / name).read_text())["Statement"]
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


def test_the_empty_group_hook_is_covered() -> None:
    """components/cleanup.py's before_delete hook calls IAM itself (boto3) with the deploy
    role's credentials: detach managed and delete inline policies of a group."""
    cleanup = ROOT / "components" / "cleanup.py"
    if not cleanup.is_file():
        pytest.skip("components/cleanup.py is not in this checkout")
    text = cleanup.read_text()
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
    used = set(boto_to_iam.values())
    policy = granted(json.loads((DEPLOY / "deployer-policy.json").read_text()))
    assert all(policy.get(action) == {RESOURCE_OF["group"]} for action in used)
