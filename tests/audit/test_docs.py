"""docs/audit.md lists every check, and the committed example HTML report is self-contained."""

from __future__ import annotations

import re
from pathlib import Path

from iam_matrix.audit.checks import CHECKS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_check_is_documented_with_its_cis_id() -> None:
    text = (DOCS / "audit.md").read_text()
    rows = {
        m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z0-9][a-z0-9-]*)` \|.*$", text, re.M)
    }  # not `--options`
    assert set(rows) == set(CHECKS)
    for check in CHECKS.values():
        cells = [c.strip() for c in rows[check.id].strip("|").split("|")]
        assert cells[2].startswith(check.severity) or check.id == "could-not-check", check.id
        assert cells[3] == (check.cis or ""), check.id


def test_example_html_report_is_self_contained() -> None:
    page = (DOCS / "example-audit-report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|link|img)\b|url\(|https?://", page)
    assert 'class="cell unexpected"' in page and 'class="cell missing"' in page and 'class="cell expected"' in page
