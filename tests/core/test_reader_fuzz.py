"""Property tests, one per reader: whatever the bytes, the only outcomes are a compiled
state or located problems - never an exception, and within a memory bound.

Examples are few (the suite must stay fast); the hostile classes each have their own test
in test_input_files.py and test_workbook_guard.py, and the big inputs are in
benchmarks/hostile_inputs_benchmark.py.
"""

from __future__ import annotations

import json
import resource
import tracemalloc
from pathlib import Path
from xml.sax.saxutils import escape

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crafted.xlsx_parts import MAIN, POLICIES, rows_xml, sheet_xml, write_xlsx
from iam_matrix.compiler import check
from iam_matrix.input_files import JsonProblem, YamlProblem, load_json, load_yaml
from iam_matrix.problems import MatrixInvalid, column_letter
from iam_matrix.settings import load_stack_settings
from tests.project import Project

FUZZ = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
PYTHON_PEAK = 300 << 20  # bytes Python (and numpy) may allocate for a small input (docs/input-limits.md)
PROCESS_PEAK_KB = 3 << 20  # the test process's peak resident set, in KB


def outcome(root: Path, **overrides: object) -> None:
    """Compile once; assert the outcome is a state or located problems, within memory."""
    tracemalloc.start()
    try:
        try:
            result = check(load_stack_settings(root, "dev", overrides, strict=False))
        except MatrixInvalid as invalid:  # a stack file that cannot be read at all
            problems = invalid.problems
            assert problems and all(p.location.file for p in problems)
            return
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.state is None) == bool(result.errors)
    assert all(p.location.file and p.message and p.fix for p in result.problems)
    assert all(len(str(p)) < 2000 for p in result.problems)
    assert peak < PYTHON_PEAK
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < PROCESS_PEAK_KB


def fresh(tmp_path_factory) -> Project:
    return Project.copy(tmp_path_factory.mktemp("fuzz"))


@FUZZ
@given(data=st.binary(max_size=2000))
def test_csv_bytes(tmp_path_factory, data):
    project = fresh(tmp_path_factory)
    (project.root / "matrix/users.csv").write_bytes(data)
    outcome(project.root)


@FUZZ
@given(
    rows=st.lists(
        st.lists(
            st.sampled_from(["Y", "N", "", "x", "#N/A", "User", "MFA", "Viewer", "a,b", '"', "\n", "é", "=1+1"]),
            max_size=6,
        ),
        max_size=8,
    )
)
def test_csv_cells(tmp_path_factory, rows):
    project = fresh(tmp_path_factory)
    (project.root / "matrix/users.csv").write_text(
        "User,Admin,Developer,DBA,Viewer,SysAdm,MFA\n" + "\n".join(",".join(row) for row in rows), encoding="utf-8"
    )
    outcome(project.root)


CELL = st.one_of(
    st.tuples(st.just("s"), st.text(max_size=20)),
    st.tuples(st.just("n"), st.integers(-(10**6), 10**6).map(str)),
    st.tuples(st.just("b"), st.sampled_from(["0", "1"])),
    st.tuples(st.just("e"), st.sampled_from(["#N/A", "#REF!", "#DIV/0!", "#VALUE!"])),
    st.tuples(st.just("f"), st.sampled_from(["SUM(A1)", "[1]Sheet1!A1", "", "Rate", "chain*2", "INDIRECT(A1)"])),
    st.tuples(st.just("ss"), st.integers(0, 4).map(str)),  # a shared string, or an index past the table
    st.tuples(st.just("d"), st.just("45000")),  # a number (dates are numbers with a style)
)


def cell(ref: str, kind: str, value: str) -> str:
    if kind == "s":
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    if kind == "b":
        return f'<c r="{ref}" t="b"><v>{value}</v></c>'
    if kind == "e":
        return f'<c r="{ref}" t="e"><v>{value}</v></c>'
    if kind == "f":
        return f'<c r="{ref}"><f>{escape(value)}</f></c>'
    if kind == "ss":
        return f'<c r="{ref}" t="s"><v>{value}</v></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


@FUZZ
@given(
    cells=st.dictionaries(st.tuples(st.integers(1, 30), st.integers(0, 12)), CELL, max_size=40),
    far=st.one_of(st.none(), st.tuples(st.integers(1, 1_048_576), st.integers(0, 16_383))),
    state=st.sampled_from(["visible", "hidden", "veryHidden"]),
    twin=st.booleans(),
    names=st.dictionaries(
        st.sampled_from(["Rate", "Chain", "Local"]),
        st.sampled_from(["[1]Sheet1!$A$1", "Users!$A$1", "Rate", "CHAIN", 'INDIRECT("x")']),
        max_size=3,
    ),
    linked=st.booleans(),
)
def test_workbooks_from_random_cells(tmp_path_factory, cells, far, state, twin, names, linked):
    """Cells of every kind, a far one, hidden and twin sheets, defined names (external, chained,
    circular), external link parts, shared strings and indexes past their table."""
    project = fresh(tmp_path_factory)
    placed = dict(cells)
    placed[(1, 0)] = ("s", "User")
    if far is not None:
        placed[far] = ("s", "x")
    rows: dict[int, list[str]] = {}
    for (row, col), (kind, value) in sorted(placed.items()):
        rows.setdefault(row, []).append(cell(f"{column_letter(col)}{row}", kind, value))
    body = "".join(f'<row r="{row}">{"".join(parts)}</row>' for row, parts in sorted(rows.items()))
    more = [("users ", "veryHidden", sheet_xml(body))] if twin else []
    defined = "".join(f'<definedName name="{name}">{escape(text)}</definedName>' for name, text in names.items())
    strings = f'<sst xmlns="{MAIN}"><si><t>Y</t></si><si><t>ann@example.com</t></si><si><t>#N/A</t></si></sst>'
    extra = {"xl/sharedStrings.xml": strings}
    if linked:
        extra["xl/externalLinks/externalLink1.xml"] = f'<externalLink xmlns="{MAIN}"/>'
    write_xlsx(
        project.root / "matrix/m.xlsx",
        [("Users", state, sheet_xml(body)), ("Policies", "visible", sheet_xml(rows_xml(POLICIES))), *more],
        extra=extra,
        workbook_extra=f"<definedNames>{defined}</definedNames>" if defined else "",
    )
    outcome(project.root, workbook="matrix/m.xlsx", usersFile="", policiesFile="")


JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
    st.sampled_from(["Allow", "Deny", "*", "s3:GetObject", "arn:aws:s3:::b", "{{allowedCidrs}}", "2012-10-17"]),
)
JSON_KEY = st.sampled_from(
    [
        "Version",
        "Statement",
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "Condition",
        "Bool",
        "NotIpAddress",
        "aws:SourceIp",
        "x",
    ]
)
JSON_TREE = st.recursive(
    JSON_LEAF, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_KEY, inner, max_size=5), max_leaves=25
)


@FUZZ
@given(tree=JSON_TREE)
def test_policy_json_trees(tmp_path_factory, tree):
    project = fresh(tmp_path_factory)
    (project.root / "policies/custom/Fuzz.json").write_text(json.dumps(tree))
    outcome(project.root)


@FUZZ
@given(tree=st.dictionaries(JSON_KEY, JSON_TREE, max_size=4))
def test_guardrail_documents_of_any_shape(tmp_path_factory, tree):
    """The guardrail helpers read the foundation documents: any shape must stay a problem."""
    project = fresh(tmp_path_factory)
    (project.root / "policies/foundation/DenyIPAddressPolicy.json").write_text(
        json.dumps({"Version": "2012-10-17", "Statement": [tree]})
    )
    outcome(project.root)


YAML_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**40), 10**40),
    st.text(max_size=12),
    st.sampled_from(["192.0.2.0/24", "Admin", "[]", "true"]),
)
YAML_KEY = st.one_of(
    st.sampled_from(
        [
            "config",
            "iam-matrix:allowedCidrs",
            "iam-matrix:maxPoliciesPerGroup",
            "iam-matrix:usersFile",
            "aws:allowedAccountIds",
            "value",
        ]
    ),
    st.integers(0, 3),
)
YAML_TREE = st.recursive(
    YAML_LEAF, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(YAML_KEY, inner, max_size=4), max_leaves=20
)


@FUZZ
@given(tree=YAML_TREE)
def test_stack_yaml_trees(tmp_path_factory, tree):
    project = fresh(tmp_path_factory)
    (project.root / "Pulumi.dev.yaml").write_text(yaml.safe_dump(tree, allow_unicode=True))
    outcome(project.root)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list("[]{}:,-&*!|>'\"#%@ \n\tabc019")), max_size=200))
def test_stack_yaml_text(tmp_path_factory, text):
    project = fresh(tmp_path_factory)
    (project.root / "Pulumi.dev.yaml").write_text(text)
    outcome(project.root)


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('[]{}:,"0123456789.eE-+NaIfity tru\\')), max_size=80))
def test_the_strict_loaders_raise_only_their_own_errors(text):
    for load, errors in ((load_json, (JsonProblem, ValueError)), (load_yaml, (YamlProblem,))):
        try:
            load(text)
        except errors:
            pass
