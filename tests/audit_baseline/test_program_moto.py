"""The whole program (``__main__.py``) with the AuditBaseline switched on, applied to an
emulated account by the emulator, then judged by the audit command's own checks.

Shows the wiring: ``iam-matrix:auditBaseline`` turns the component on next to the IAM
components without changing what they deploy, its outputs are exported, a bad ``audit*``
value stops the program before anything is registered, and the audit then finds CloudTrail
and Config present (Access Analyzer: "could not check", since moto has none).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pulumi
import pytest

from emulator import EmulatedStack, MotoAccount, comparable, expected_account, read_account
from iam_matrix.audit.command import audit
from iam_matrix.audit.gather import gather
from tests.project import Project

ACCOUNT = "111111111111"  # the dev stack's aws:allowedAccountIds
COMPONENT = "iam-matrix:index:AuditBaseline"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.copy(tmp_path / "project")


@pytest.fixture
def account() -> Iterator[MotoAccount]:
    with MotoAccount(ACCOUNT, "ap-northeast-2") as emulated:
        yield emulated


def test_program_deploys_the_baseline_next_to_the_iam_matrix_and_the_audit_finds_it(project, account):
    project.set_config(auditBaseline=True, auditAccessAnalyzer=False, auditKmsKey=True)
    run = EmulatedStack(account).up(project.root)

    assert len(run.of_type(COMPONENT)) == 1
    exported = run.exports["auditBaseline"]
    assert exported["trailName"] == "iam-matrix-dev" and len(exported["configRuleNames"]) == 11
    assert exported["trailArn"] == f"arn:aws:cloudtrail:ap-northeast-2:{ACCOUNT}:trail/iam-matrix-dev"
    # The IAM side is exactly what it is without the baseline.
    assert comparable(read_account(account.iam)) == expected_account(project.state(), account.account_id)
    tags = run.of_type("aws:cloudtrail/trail:Trail")[0].inputs["tags"]
    assert tags == {
        "Owner": "platform-team",
        "CostCenter": "security",
        "managed-by": "iam-matrix",
        "stack": "dev",
        "source": "Pulumi.dev.yaml",
    }

    session = boto3.Session(region_name=account.region, aws_access_key_id="testing", aws_secret_access_key="testing")
    result = audit(project.state(), gather(session, sleep=lambda _: None))
    parts = ("cloudtrail", "config", "access-analyzer")
    logging = sorted(
        (f.check, f.resource)
        for f in result.findings
        if f.area == "logging" or (f.check == "could-not-check" and f.resource in parts)
    )
    assert logging == [("could-not-check", "access-analyzer")]


def test_baseline_off_registers_nothing_of_it(project, account):
    run = EmulatedStack(account).up(project.root)
    assert run.of_type(COMPONENT) == [] and "auditBaseline" not in run.exports
    assert account.client("cloudtrail").describe_trails()["trailList"] == []


def test_a_bad_audit_value_stops_the_program_before_any_resource(project, account):
    project.set_config(auditBaseline=True, auditConfig="sometimes")
    run = EmulatedStack(account).up(project.root, raise_errors=False)
    assert isinstance(run.error, pulumi.RunError)
    assert run.registrations == {}
    assert any("auditConfig" in message and "sometimes" in message for message in run.errors())
