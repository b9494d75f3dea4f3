"""The HTML report's checks table and its findings give the same severity for the same check."""

from __future__ import annotations

import dataclasses
import re

from iam_matrix.audit.checks import CHECKS
from iam_matrix.audit.command import audit
from iam_matrix.audit.report import RENDERERS
from tests.audit.test_checks import clean_snapshot, desired


def test_a_raised_severity_shows_in_the_checks_table_too() -> None:
    snapshot = clean_snapshot()
    admin = {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    groups = [{**g, "AttachedManagedPolicies": [*g["AttachedManagedPolicies"], admin]} for g in snapshot.groups]
    result = audit(desired(), dataclasses.replace(snapshot, groups=groups))
    [finding] = [f for f in result.findings if f.check == "group-policy-unexpected"]
    assert (finding.severity, CHECKS["group-policy-unexpected"].severity) == (
        "critical",
        "high",
    )  # raised: AdministratorAccess
    page = RENDERERS["html"](result)
    checks_table = page[page.index("<h2>Checks</h2>") :]
    [row] = re.findall(r"<tr><td><code>group-policy-unexpected</code></td><td>([^<]*)</td>", checks_table)
    assert row == "high; in this report: critical"
    [untouched] = re.findall(r"<tr><td><code>group-policy-missing</code></td><td>([^<]*)</td>", checks_table)
    assert untouched == CHECKS["group-policy-missing"].severity
