"""checks/roles.py: roles whose trust policy lets another account, or anyone, assume them.

The pure check on hand-written trust policies (every principal form IAM accepts), the config
key ``auditTrustedAccounts``, and the whole audit command on a moto account with backdoor roles.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.seed import ACCOUNT, Account
from iam_matrix.audit.checks.roles import role_trust_findings
from iam_matrix.cli import main
from iam_matrix.compiler import check
from iam_matrix.settings import load_stack_settings

FOREIGN = "999988887777"
PARTNER = "222233334444"
ADMIN = {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}


def role(name: str, *statements: dict[str, Any], attached: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "RoleName": name,
        "Path": "/",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        "AttachedManagedPolicies": attached or [],
    }


def allow(principal: Any, action: Any = "sts:AssumeRole", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


def found(*roles: dict[str, Any], trusted: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    return [(f.check, f.resource, f.severity or "") for f in role_trust_findings(roles, ACCOUNT, trusted)]


@pytest.mark.parametrize(
    "statement",
    [
        allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        allow({"AWS": ACCOUNT}),
        allow({"AWS": [f"arn:aws:iam::{ACCOUNT}:role/ops", f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/alice"]}),
        allow({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}),
        allow({"AWS": "AROAEXAMPLEDELETEDROLE"}),  # the trusted role was deleted: nobody can use it
        allow({"AWS": "*"}, action="s3:GetObject"),  # not an assume action
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
        allow(
            {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
            "sts:AssumeRoleWithWebIdentity",
            Condition={"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:org/app:environment:prod"}},
        ),
        allow(
            {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"},
            "sts:AssumeRoleWithSAML",
            Condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
        ),
    ],
)
def test_the_account_itself_services_and_narrowed_providers_are_fine(statement: dict[str, Any]) -> None:
    assert found(role("fine", statement)) == []


@pytest.mark.parametrize(
    ("statement", "severity"),
    [
        (allow("*"), "high"),
        (allow({"AWS": "*"}), "high"),
        (allow({"AWS": "*"}, action="sts:*"), "high"),
        (allow({"AWS": "*"}, action="*"), "high"),
        (
            {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"},
            "high",
        ),
        ({"Effect": "Allow", "Principal": "*", "NotAction": "s3:*"}, "high"),
        (allow({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity"), "high"),
        (
            allow(
                {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
                "sts:AssumeRoleWithWebIdentity",
                Condition={"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
            ),
            "high",
        ),
        (
            allow(
                {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
                "sts:AssumeRoleWithWebIdentity",
                Condition={"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}},
            ),
            "high",
        ),
        (allow({"AWS": "*"}, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}), "medium"),
    ],
)
def test_anyone_is_reported_high_and_medium_when_a_condition_narrows_it(
    statement: dict[str, Any], severity: str
) -> None:
    assert found(role("door", statement)) == [("role-trusts-anyone", "role/door", severity)]


def test_another_account_is_reported_unless_trusted() -> None:
    roles = (
        role(
            "vendor",
            allow({"AWS": f"arn:aws:iam::{FOREIGN}:root"}, Condition={"StringEquals": {"sts:ExternalId": "x"}}),
        ),
        role("partner", allow({"AWS": [PARTNER, f"arn:aws:iam::{PARTNER}:role/deploy"]})),
    )
    assert found(*roles) == [
        ("role-trusts-foreign-account", "role/vendor", "medium"),
        ("role-trusts-foreign-account", "role/partner", "medium"),
    ]
    assert found(*roles, trusted=(PARTNER,)) == [("role-trusts-foreign-account", "role/vendor", "medium")]
    [finding] = role_trust_findings(roles[:1], ACCOUNT, ())
    assert FOREIGN in finding.message and finding.details["accounts"] == [FOREIGN]
    assert "auditTrustedAccounts" in finding.remediation


def test_administrator_access_makes_it_worse() -> None:
    assert found(role("admin", allow("*"), attached=[ADMIN])) == [("role-trusts-anyone", "role/admin", "critical")]
    assert found(role("admin", allow({"AWS": FOREIGN}), attached=[ADMIN])) == [
        ("role-trusts-foreign-account", "role/admin", "high")
    ]


def test_one_role_can_have_both_findings_and_the_message_names_the_principals() -> None:
    door = role("door", allow({"AWS": [FOREIGN, "*"]}), attached=[ADMIN])
    findings = role_trust_findings([door], ACCOUNT, ())
    assert [f.check for f in findings] == ["role-trusts-anyone", "role-trusts-foreign-account"]
    assert "* (any AWS principal)" in findings[0].message and "AdministratorAccess" in findings[0].message


def test_url_encoded_and_broken_documents() -> None:
    """IAM sends trust policies URL-encoded (boto3 decodes them; a snapshot from JSON may not)."""
    encoded = urllib.parse.quote(json.dumps({"Statement": allow({"AWS": "*"})}))
    assert found({"RoleName": "enc", "AssumeRolePolicyDocument": encoded}) == [
        ("role-trusts-anyone", "role/enc", "high")
    ]
    assert found({"RoleName": "bad", "AssumeRolePolicyDocument": "%7Bnot json"}) == []


def test_the_remediation_quotes_the_role_name_for_the_shell() -> None:
    [finding] = role_trust_findings([role("x;rm -rf ~", allow("*"))], ACCOUNT, ())
    assert "--role-name 'x;rm -rf ~'" in finding.remediation


def _stack(project: Path, **config: Any) -> None:
    path = project / "Pulumi.dev.yaml"
    stack = yaml.safe_load(path.read_text())
    stack["config"].update({f"iam-matrix:{k}": v for k, v in config.items()})
    path.write_text(yaml.safe_dump(stack))


def test_trusted_accounts_must_be_quoted_account_ids(project: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "p"
    shutil.copytree(project, copy)
    _stack(copy, auditTrustedAccounts=[PARTNER, "22223333444*", "123"])
    result = check(load_stack_settings(copy, "dev"))
    bad = [str(p) for p in result.problems if p.code == "config-account"]
    assert len(bad) == 2 and all("iam-matrix:auditTrustedAccounts" in p for p in bad), bad
    _stack(copy, auditTrustedAccounts=[PARTNER])
    state = check(load_stack_settings(copy, "dev")).state
    assert state is not None and state.role_trust.trusted_accounts == (PARTNER,)


def test_the_audit_reports_backdoor_roles_in_a_moto_account(
    seed_account: Account, project: Path, tmp_path: Path, quiet_logs: Path
) -> None:
    """The whole command: roles are read with the users and groups, judged, and reported."""
    iam = seed_account.iam

    def make(name: str, principal: Any, **extra: Any) -> None:
        document = {"Version": "2012-10-17", "Statement": [allow(principal, **extra)]}
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))

    make("own-ops", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    make("ec2-app", {"Service": "ec2.amazonaws.com"})
    make("break-in", {"AWS": "*"})
    iam.attach_role_policy(RoleName="break-in", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    make("vendor", {"AWS": f"arn:aws:iam::{FOREIGN}:root"})
    make("partner", {"AWS": f"arn:aws:iam::{PARTNER}:role/deploy"})
    copy = tmp_path / "p"
    import shutil

    shutil.copytree(project, copy)
    _stack(copy, auditTrustedAccounts=[PARTNER])
    out = tmp_path / "report.json"
    logs = ["--cloudtrail-logs", str(quiet_logs)]
    main(["audit", "--project-dir", str(copy), "--format", "json", "--fail-on", "none", "--output", str(out), *logs])
    findings = [f for f in json.loads(out.read_text())["findings"] if f["area"] == "roles"]
    assert [(f["check"], f["resource"], f["severity"]) for f in findings] == [
        ("role-trusts-anyone", "role/break-in", "critical"),
        ("role-trusts-foreign-account", "role/vendor", "medium"),
    ]
