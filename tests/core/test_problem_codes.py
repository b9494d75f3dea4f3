"""Problem codes: one catalogue, every code the core can emit is in it with its severity,
problems print their code, and a stack can suppress warnings (never errors) by code."""

from __future__ import annotations

import ast

import pytest

from iam_matrix.cli import main
from iam_matrix.problem_codes import CODES, markdown_table
from iam_matrix.problems import Location, Problems
from tests.core.project import codes
from tests.project import REPO

CORE = REPO / "iam_matrix"


def emitted_codes() -> dict[str, set[str]]:
    """Code -> severities, from every ``problems.error(where, "code", ...)`` / ``.warning`` and
    every advisory ``advice(where, "code", ...)`` in the core's source."""
    found: dict[str, set[str]] = {}
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else node.func.id
                if isinstance(node.func, ast.Name)
                else ""
            )
            severity = {"error": "error", "warning": "warning", "advice": "warning"}.get(name)
            code = node.args[1]
            if name in (
                "InputFileError",
                "WorkbookRefused",
            ):  # raised by the readers, recorded as errors with their code
                severity, code = (
                    "error",
                    node.args[2]
                    if len(node.args) > 2
                    else next((k.value for k in node.keywords if k.arg == "code"), None),
                )
            if severity and isinstance(code, ast.Constant) and isinstance(code.value, str):
                found.setdefault(code.value, set()).add(severity)
    return found


def test_every_emitted_code_is_catalogued_with_its_severity() -> None:
    emitted = emitted_codes()
    assert len(emitted) > 40
    assert {
        code: sorted(severities)
        for code, severities in emitted.items()
        if code in CODES and severities != {CODES[code].severity}
    } == {}
    assert sorted(set(emitted) - set(CODES)) == []


def test_every_catalogued_code_is_emitted_somewhere() -> None:
    assert sorted(set(CODES) - set(emitted_codes())) == []


def test_problems_refuse_an_uncatalogued_code_or_the_wrong_severity() -> None:
    problems = Problems()
    with pytest.raises(ValueError, match="not in iam_matrix/problem_codes.py"):
        problems.error(Location("x"), "no-such-code", "m", "f")
    with pytest.raises(ValueError, match="catalogued as warning"):
        problems.error(Location("x"), "user-no-role", "m", "f")


def test_a_problem_prints_its_code() -> None:
    problems = Problems()
    problems.warning(Location("users.csv", None, "A3"), "user-no-role", "user 'a' has no role", "mark a role")
    assert str(problems.items[0]) == "users.csv A3: warning [user-no-role]: user 'a' has no role. Fix: mark a role"


def test_suppress_warnings_leaves_out_the_named_codes(project) -> None:
    before = project.check()
    assert "policy-redundant" in codes(before, "warning")
    project.set_config(suppressWarnings=["policy-redundant"])
    after = project.check()
    assert "policy-redundant" not in codes(after)
    assert after.suppressed == codes(before).count("policy-redundant")
    assert codes(after) == [c for c in codes(before) if c != "policy-redundant"]
    assert after.state is not None and all(w.code != "policy-redundant" for w in after.state.warnings)


@pytest.mark.parametrize(
    ("code", "message"),
    [("mark-invalid", "is an error and cannot be suppressed"), ("policy-redundnat", "is not a problem code")],
)
def test_errors_and_unknown_codes_cannot_be_suppressed(project, code: str, message: str) -> None:
    project.set_config(suppressWarnings=[code])
    result = project.check()
    problem = next(p for p in result.errors if p.code == "config-suppress")
    assert message in problem.message and str(problem.location) == "Pulumi.dev.yaml iam-matrix:suppressWarnings"
    assert result.state is None


def test_validate_says_how_many_warnings_were_suppressed(project, capsys) -> None:
    project.set_config(suppressWarnings=["policy-redundant", "user-no-role"])
    assert main(["validate", "--project-dir", str(project.root)]) == 0
    err = capsys.readouterr().err
    assert "suppressed by iam-matrix:suppressWarnings" in err


def test_the_doc_is_what_the_catalogue_generates() -> None:
    assert markdown_table() in (REPO / "docs" / "problem-codes.md").read_text()


def test_problems_of_one_kind_are_listed_up_to_a_cap_then_counted() -> None:
    problems = Problems()
    for col in range(250):
        problems.error(Location("users.csv", None, f"A{col + 1}"), "mark-invalid", "bad", "use Y")
    problems.error(Location("users.csv", None, "B1"), "header-blank", "blank", "name it")  # another kind: listed
    problems.error(Location("other.csv", None, "A1"), "mark-invalid", "bad", "use Y")  # another file: listed
    problems.more(Location("users.csv"), "mark-invalid", 1000, "use Y")  # counted by a reader
    located = [p for p in problems.items if p.code == "mark-invalid" and p.location.cell]
    assert len(located) == 101 and located[-1].location.file == "other.csv"
    [summary] = [p for p in problems.items if p.location.cell is None]
    assert str(summary) == (
        "users.csv: error [mark-invalid]: 1,150 more mark-invalid problems in this file are not listed"
        " (at most 100 of each kind are). Fix: use Y"
    )
    assert len(problems.errors) == 103
