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
