"""__main__.py with the real pulumi_policy SDK, in the pack's own virtualenv.

pulumi-policy must stay out of the program's environment, so this test runs only where
the pack's venv exists (``python3 -m venv policy-pack/venv && policy-pack/venv/bin/pip
install -r policy-pack/requirements.txt``, as the PR workflow does); it skips otherwise.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACK_PYTHON = ROOT / "policy-pack" / "venv" / "bin" / "python"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def pack_python() -> Path:
    if not PACK_PYTHON.exists():
        pytest.skip(
            "policy-pack/venv not set up (python3 -m venv policy-pack/venv && "
            "policy-pack/venv/bin/pip install -r policy-pack/requirements.txt)"
        )
    if subprocess.run([str(PACK_PYTHON), "-c", "import pulumi_policy"], capture_output=True).returncode != 0:
        pytest.skip("pulumi_policy is not installed in policy-pack/venv")
    return PACK_PYTHON


def foundation(name: str) -> str:
    return (ROOT / "policies" / "foundation" / f"{name}.json").read_text()


def run_pack(python: Path, tmp_path: Path, resources: list, config: dict) -> list:
    """The violations as (policy, message, urn), from the pack run by its own interpreter."""
    (tmp_path / "resources.json").write_text(json.dumps(resources))
    done = subprocess.run(
        [
            str(python),
            str(Path(__file__).with_name("harness.py")),
            str(ROOT / "policy-pack"),
            str(tmp_path / "resources.json"),
            json.dumps(config),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["pack"] == "iam-matrix-guardrails"
    return report["violations"]


def sdk_resources() -> list:
    return [
        {
            "type": "aws:iam/policy:Policy",
            "urn": "u:mfa",
            "name": "MFAForcePolicy",
            "props": {"name": "MFAForcePolicy", "path": "/foundation/", "policy": foundation("MFAForcePolicy")},
        },
        {
            "type": "aws:iam/policy:Policy",
            "urn": "u:ip",
            "name": "DenyIPAddressPolicy",
            "props": {
                "name": "DenyIPAddressPolicy",
                "path": "/foundation/",
                "policy": foundation("DenyIPAddressPolicy"),
            },
        },
        {"type": "aws:iam/group:Group", "urn": "u:g", "name": "Viewer", "props": {"name": "Viewer", "path": "/"}},
        # During a preview the foundation ARNs are unknown: the SDK's proxies hold sentinels.
        {
            "type": "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
            "urn": "u:a",
            "name": "Viewer",
            "props": {
                "groupName": "Viewer",
                "policyArns": [UNKNOWN_STRING, UNKNOWN_STRING, "arn:aws:iam::aws:policy/AdministratorAccess"],
            },
            "deps": {"policyArns": ["u:mfa", "u:ip"]},
        },
        {"type": "aws:iam/userPolicy:UserPolicy", "urn": "u:up", "name": "x", "props": {"user": "a", "policy": "{}"}},
        {
            "type": "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
            "urn": "u:pp",
            "name": "pp",
            "props": {
                "minimumPasswordLength": 8,
                "passwordReusePrevention": 24,
                "maxPasswordAge": 90,
                "requireUppercaseCharacters": True,
                "requireLowercaseCharacters": True,
                "requireNumbers": True,
                "requireSymbols": True,
            },
        },
    ]


def test_policies_report_through_the_sdk(tmp_path: Path) -> None:
    python = pack_python()
    config = {"admin-access-only-in-admin-roles": {"adminRoles": ["Admin"]}}
    violations = run_pack(python, tmp_path, sdk_resources(), config)
    assert [(name, urn) for name, _message, urn in violations] == [
        ("admin-access-only-in-admin-roles", "u:a"),
        ("no-inline-or-user-policies", None),
        ("password-policy-cis", None),
    ]


def test_a_neutered_guardrail_fails_the_pack_in_its_own_venv(tmp_path: Path) -> None:
    """The pack's interpreter imports the access model from the project folder and judges
    MFAForcePolicy by its document: NotAction "*" denies nothing."""
    python = pack_python()
    resources = sdk_resources()
    document = json.loads(resources[0]["props"]["policy"])
    for statement in document["Statement"]:
        if statement["Effect"] == "Deny":
            statement["NotAction"] = "*"
    resources[0]["props"]["policy"] = json.dumps(document)
    violations = run_pack(python, tmp_path, resources, {})
    guardrails = [(message, urn) for name, message, urn in violations if name == "guardrails-in-every-role"]
    assert [urn for _, urn in guardrails] == ["u:a"]
    assert guardrails[0][0].startswith("role Viewer: its MFA guardrail (MFAForcePolicy) leaves")


def test_the_access_model_imports_in_the_pack_venv_without_the_compiler() -> None:
    python = pack_python()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import iam_matrix.access.attached as a;"
        " a.managed_document('arn:aws:iam::aws:policy/ReadOnlyAccess')['Statement'];"
        " print(sorted(m for m in ('pandas', 'openpyxl', 'boto3', 'iam_matrix.compiler') if m in sys.modules))"
    )
    done = subprocess.run([str(python), "-c", code, str(ROOT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_admin_and_escalation_only_through_a_union_fail_through_the_sdk(tmp_path: Path) -> None:
    """Two groups of two roles, harmless alone, and users in both: the pack's own interpreter
    reads the memberships and judges the union with the model validate uses."""
    python = pack_python()

    def customer(name: str, statement: dict) -> dict:
        document = {"Version": "2012-10-17", "Statement": [statement]}
        props = {"name": name, "path": "/custom/", "policy": json.dumps(document)}
        return {"type": "aws:iam/policy:Policy", "urn": f"u:{name}", "name": name, "props": props}

    def role(name: str, policy: str) -> list:
        attachment = {
            "type": "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
            "urn": f"u:a:{name}",
            "name": name,
            "props": {"groupName": name, "policyArns": [UNKNOWN_STRING]},  # a preview: the ARN is not known yet
            "deps": {"policyArns": [f"u:{policy}"]},
        }
        return [
            {"type": "aws:iam/group:Group", "urn": f"u:g:{name}", "name": name, "props": {"name": name}},
            attachment,
        ]

    def members(name: str, *users: str) -> dict:
        return {
            "type": "aws:iam/groupMembership:GroupMembership",
            "urn": f"u:m:{name}",
            "name": name,
            "props": {"group": name, "users": list(users)},
        }

    resources = [
        customer("EverythingButIam", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        customer("IamAll", {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}),
        customer("PassOnly", {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
        customer("RunOnly", {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}),
        *role("Developer", "EverythingButIam"),
        *role("Ops", "IamAll"),
        *role("Builder", "PassOnly"),
        *role("Runner", "RunOnly"),
        members("Developer", "alice"),
        members("Ops", "alice"),
        members("Builder", "bob"),
        members("Runner", "bob"),
    ]
    config = {"admin-access-only-in-admin-roles": {"adminRoles": ["Admin"]}}
    violations = run_pack(python, tmp_path, resources, config)
    unions = [(name, message.split(" (")[0], urn) for name, message, urn in violations if "union" in message]
    assert unions == [
        ("admin-access-only-in-admin-roles", "user alice", "u:m:Developer"),
        ("no-escalation-through-role-unions", "user bob", "u:m:Runner"),
    ]
    assert "CreateEC2WithExistingIP" in next(m for n, m, _ in violations if n == "no-escalation-through-role-unions")
    # with Ops in adminRoles alice is meant to administer the account
    config = {name: {"adminRoles": ["Ops"]} for name, _, _ in unions}
    assert [n for n, m, _ in run_pack(python, tmp_path, resources, config) if "union" in m] == [
        "no-escalation-through-role-unions"
    ]
