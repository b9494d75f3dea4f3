"""An inline group policy, adopted for real: in an emulated account, through ``pulumi import
--file adopt/import.json`` and ``pulumi up``. The program's GroupPoliciesExclusive allows no
inline policies, so the first up deletes it; adopt's report and ``plan`` say so before, as a
[REVIEW] entry. Kept the way the report advises (its document saved under policies/ and marked
for the role), the group keeps the access as a customer managed policy."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from emulator import EmulatedStack, MotoAccount, read_account
from iam_matrix.adopt.command import AdoptResult, adopt
from iam_matrix.audit.gather import gather
from iam_matrix.cli import main
from tests.adopt.conftest import ACCOUNT, emulated_account

AWS = "arn:aws:iam::aws:policy/"
SSM = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ssm:StartSession"], "Resource": "*"}]}


@pytest.fixture
def account() -> Iterator[MotoAccount]:
    """A fresh account per test (the conftest's is shared by a module): each test runs one up."""
    with emulated_account() as emulated:
        iam = emulated.iam
        for group, policy in (("Ops", "ReadOnlyAccess"), ("Auditors", "SecurityAudit")):
            iam.create_group(GroupName=group)
            iam.attach_group_policy(GroupName=group, PolicyArn=AWS + policy)
        iam.put_group_policy(GroupName="Ops", PolicyName="legacy-ssm", PolicyDocument=json.dumps(SSM))
        for user, groups in (("ann", ["Ops"]), ("bob", ["Auditors", "Ops"])):
            iam.create_user(UserName=user)
            for group in groups:
                iam.add_user_to_group(GroupName=group, UserName=user)
        yield emulated


@pytest.fixture
def adopted(account: MotoAccount, tmp_path: Path) -> AdoptResult:
    result = adopt(gather(boto3.Session(region_name="us-east-1"), roles=True), tmp_path / "adopted", stack="prod")
    assert result.state is not None and result.compiled.errors == []
    return result


def imported(account: MotoAccount, adopted: AdoptResult) -> EmulatedStack:
    stack = EmulatedStack(account, stack="prod")
    stack.import_file(json.loads((adopted.output / "adopt" / "import.json").read_text()))
    return stack


def changes(stack: EmulatedStack) -> Counter[tuple[str, str, str]]:
    return Counter(
        (o.op, o.type, o.urn.rsplit("::", 1)[-1]) for o in stack.ops("create", "update", "replace", "delete")
    )


def test_the_first_up_deletes_it_exactly_as_adopt_announced(
    account: MotoAccount, adopted: AdoptResult, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads((adopted.output / "adopt" / "residue.json").read_text())
    [inline] = [e for e in report["entries"] if e["kind"] == "inline-group-policy"]
    assert inline["subject"] == "group/Ops" and inline["review_first"] and inline["details"]["document"] == SSM
    predicted = Counter(
        (e["details"]["op"], e["details"]["type"], name)
        for e in report["entries"]
        if e["kind"] == "first-up" and "op" in e["details"]
        for name in e["details"]["names"]
    )
    assert ("update", "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive", "Ops-inline-policies") in predicted
    assert main(["plan", "--project-dir", str(adopted.output), "--stack", "prod"]) == 0
    assert "inline policies legacy-ssm deleted: Ops-inline-policies" in capsys.readouterr().out

    before = read_account(account.iam)
    stack = imported(account, adopted)
    stack.up(adopted.output)
    assert changes(stack) == predicted  # what the report said the first up does, and nothing else
    after = read_account(account.iam)
    assert after["groups"]["Ops"]["inline_policies"] == [] and before["groups"]["Ops"]["inline_policies"] == [
        "legacy-ssm"
    ]
    for state in (before, after):  # everything else as it was: members, attachments, the other group
        state["groups"]["Ops"]["inline_policies"] = []
    assert after["groups"] == before["groups"] and after["policies"] == before["policies"] == {}
    stack.up(adopted.output)
    assert changes(stack) == Counter()


def test_kept_as_the_report_advises_the_group_keeps_the_access_as_a_managed_policy(
    account: MotoAccount, adopted: AdoptResult
) -> None:
    [inline] = [
        e
        for e in json.loads((adopted.output / "adopt" / "residue.json").read_text())["entries"]
        if e["kind"] == "inline-group-policy"
    ]
    saved = adopted.output / "policies" / "custom" / "legacy-ssm.json"
    saved.parent.mkdir(parents=True)
    saved.write_text(json.dumps(inline["details"]["document"], indent=2))
    matrix = adopted.output / "matrix" / "policies.csv"
    header = matrix.read_text().splitlines()[0].split(",")
    matrix.write_text(matrix.read_text() + ",".join(["legacy-ssm", *("Y" if r == "Ops" else "" for r in header[1:])]))
    assert main(["validate", "--project-dir", str(adopted.output), "--stack", "prod"]) == 0

    stack = imported(account, adopted)
    stack.up(adopted.output)
    done = changes(stack)
    assert done[("create", "aws:iam/policy:Policy", "legacy-ssm")] == 1
    assert done[("update", "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive", "Ops-inline-policies")] == 1
    assert not [c for c in done if c[0] in ("replace", "delete")]
    after = read_account(account.iam)
    arn = f"arn:aws:iam::{ACCOUNT}:policy/custom/legacy-ssm"
    assert after["groups"]["Ops"]["inline_policies"] == []
    assert after["groups"]["Ops"]["policy_arns"] == sorted([AWS + "ReadOnlyAccess", arn])
    assert after["policies"][arn]["document"] == SSM  # the same document, now reviewed in the repository
    stack.up(adopted.output)
    assert changes(stack) == Counter()
