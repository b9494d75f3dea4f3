"""No value can hide, restyle or mention anything in what reviewers read: the PR comment and
``audit --format markdown`` are rendered with cmark-gfm (GitHub's own renderer, PyPI
``cmarkgfm``) and the resulting HTML is checked element by element."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from iam_matrix.escape import html_text, log_line, md_cell_code, md_code, md_fence, md_text, printable, shell_word
from iam_matrix.review.diff import diff_revisions
from iam_matrix.review.report import markdown, text
from iam_matrix.review.revisions import revision_at
from tests.review.repo import GitProject

HOSTILE = [
    "`</summary></details>\n\n# Approved by security",
    "<img src=x onerror=alert(1)> <!-- hide",
    "a | b | c",
    "a\\|b",
    "**all good** _really_ [click](https://evil.example) ![x](y)",
    "@octocat please merge, cc @security-team",
    "``` \n~~~",
    "&lt;script&gt; &amp;",
    "\x1b[2J\x1b[31mred\r\n::error::injected",
    "right-to-left \u202eevil\u202c and zero\u200bwidth",
    "$x^2$ ~~struck~~ <details>",
    "",
    " ` ",
]
ALLOWED_TAGS = {
    "h3",
    "h4",
    "p",
    "ul",
    "li",
    "strong",
    "code",
    "details",
    "summary",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "hr",
}


def render(document: str) -> str:
    # UNSAFE keeps raw HTML in the output, so an injected tag would be seen, not dropped.
    return cmarkgfm.github_flavored_markdown_to_html(document, options=Options.CMARK_OPT_UNSAFE)


class Page(HTMLParser):
    """Tags, headings, and the text outside code of one rendered document."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.headings: list[str] = []
        self.prose: list[str] = []
        self.text: list[str] = []
        self.comments: list[str] = []
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._open.append(tag)
        if tag in ("h3", "h4"):
            self.headings.append("")

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append(data)
        if any(t in ("h3", "h4") for t in self._open):
            self.headings[-1] += data
        if not any(t in ("code", "pre") for t in self._open):
            self.prose.append(data)

    def handle_comment(self, data):
        self.comments.append(data)

    def mentions(self) -> list[str]:
        return re.findall(r"(?<![\w`])@[A-Za-z0-9][\w-]*", "".join(self.prose))


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_each_escape_shows_the_value_literally_and_nothing_else(value: str) -> None:
    shown = printable(value)
    assert "\n" not in shown and "\x1b" not in shown and "\u202e" not in shown
    for document, tags in (
        (f"- before {md_text(value)} after", ["ul", "li"]),
        (f"- before {md_code(value)} after", ["ul", "li", "code"]),
        (
            f"| a | b |\n|---|---|\n| {md_cell_code(value)} | {md_text(value)} |",
            ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "code", "td"],
        ),
        (
            f"<details><summary><code>{html_text(value)}</code> changed</summary>\n\n</details>",
            ["details", "summary", "code"],
        ),
    ):
        page = Page(render(document))
        assert [t for t in page.tags if t != "a"] == tags, document  # a URL may link to itself, nothing more
        assert shown in "".join(page.text).replace("\u2060", ""), document
        assert page.mentions() == [] and page.comments == []


def test_a_fence_cannot_be_closed_from_inside() -> None:
    body = "+ ```\n+ </details>\n```\n# heading"
    page = Page(render(md_fence(body, "diff") + "\n\nafter"))
    assert page.tags == ["pre", "code", "p"] and "".join(page.text).startswith(body)


def test_log_lines_and_shell_words() -> None:
    assert log_line("::error file=x::owned") == "  :\u200b:error file=x::owned"
    assert log_line("users.csv A2: error: 'x\\n::warning::y'") == "users.csv A2: error: 'x\\n::warning::y'"
    assert log_line("a\n::error::b") == "a\\n::error::b"
    assert shell_word("trail; rm -rf ~") == "'trail; rm -rf ~'"


@pytest.fixture
def repo(tmp_path: Path) -> GitProject:
    return GitProject(tmp_path)


def hostile_change(repo: GitProject) -> tuple[str, str]:
    base = repo.commit("example")
    value = "192.0.2.9/32`</summary></details>\n\n# Approved @octocat <img src=x onerror=alert(1)> | **ok**"
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Office",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": [value, "```"]}},
            }
        ],
    }
    (repo.root / "policies/custom/OfficeOnly.json").write_text(json.dumps(document))
    repo.git("checkout", "-q", "-b", "x`</details>@octocat|<b>")
    return base, repo.commit("a hostile change")


def test_a_hostile_pull_request_cannot_restyle_the_comment(repo: GitProject) -> None:
    base, _ = hostile_change(repo)
    head = "x`</details>@octocat|<b>"
    diff = diff_revisions(revision_at(repo.root, base, "dev"), revision_at(repo.root, head, "dev"))
    assert [e.kind for e in diff.escalations] == ["cidr-added", "cidr-added"]
    page = Page(render(markdown(diff)))
    assert set(page.tags) <= ALLOWED_TAGS and "img" not in page.tags and "b" not in page.tags
    assert page.headings == ["Access changes: stack dev", ":warning: Escalations (2)", "Policy documents"]
    assert page.tags.count("details") == 1 and page.tags.count("pre") == 1
    assert page.mentions() == []
    assert "Approved @o" not in "".join(page.prose) and "Approved @\u2060octocat" in "".join(
        page.prose
    )  # no mention, no heading
    assert "x`</details>@octocat|<b>" in "".join(page.text)
    terminal = text(diff)
    assert "\x1b" not in terminal and all(not line.lstrip().startswith("::") for line in terminal.splitlines())


def test_comments_of_several_stacks_concatenate_into_well_formed_markdown(repo: GitProject) -> None:
    base, head = hostile_change(repo)
    (repo.root / "Pulumi.prod.yaml").write_text((repo.root / "Pulumi.dev.yaml").read_text())
    repo.commit("prod")
    head = repo.git("rev-parse", "HEAD").strip()
    diffs = [
        diff_revisions(revision_at(repo.root, base, stack, missing_stack_ok=True), revision_at(repo.root, head, stack))
        for stack in ("dev", "prod")
    ]
    page = Page(render("".join(markdown(d) for d in diffs)))  # as the workflow does: cat diff-*.md
    assert [h for h in page.headings if h.startswith("Access changes")] == [
        "Access changes: stack dev",
        "Access changes: stack prod",
    ]
    assert page.tags.count("details") == page.tags.count("summary") == sum(len(d.documents) for d in diffs) == 1 + 7
    assert set(page.tags) <= ALLOWED_TAGS
