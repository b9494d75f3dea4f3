"""Broken and hostile stack files, project files, policy documents and CSVs: one located
problem each and exit 2, never a traceback or a hang (iam_matrix/input_files.py and the
readers that use it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from iam_matrix import policy_documents
from iam_matrix.cli import main
from iam_matrix.compiler import check
from iam_matrix.input_files import MAX_ECHO, JsonProblem, clip, load_json
from iam_matrix.settings import load_stack_settings, read_stack_config
from tests.core.project import codes, find
from tests.project import REPO


def validate(project, capsys, *args):
    code = main(["validate", "--project-dir", str(project.root), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


# --- stack and project files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("- a\n- b\n", "the top level is a list"),
        ("just a string\n", "the top level is a string"),
        ("config:\n  - iam-matrix:workbook\n", "config is a list"),
        ("config: text\n", "config is a string"),
        ("config:\n  1: x\n", "the key 1 is a number"),
        ("config:\n  iam-matrix:maxPoliciesPerGroup: " + "9" * 5000 + "\n", "more than 30 digits"),
        ("config:\n  a: &x [1, 2]\n  b: *x\n", "anchors and aliases"),
        ("config: [" * 200 + "\n", "nested"),
        ("config:\n  a: [b\n", "not valid YAML"),
    ],
)
def test_a_stack_file_of_the_wrong_shape_is_one_located_error(project, capsys, text, expect):
    project.write("Pulumi.dev.yaml", text)
    code, out = validate(project, capsys)
    assert code == 2 and "Traceback" not in out
    lines = [line for line in out.splitlines() if ": error [" in line]
    assert len(lines) == 1 and lines[0].startswith("Pulumi.dev.yaml") and expect in lines[0], out


def test_a_stack_file_that_is_not_utf8(project, capsys):
    (project.root / "Pulumi.dev.yaml").write_bytes(b"config:\n  iam-matrix:workbook: caf\xe9.xlsx\n")
    code, out = validate(project, capsys)
    assert code == 2 and "Pulumi.dev.yaml: error [stack-file]: the file is not UTF-8 text (byte 35 is 0xe9)" in out


def test_a_quoted_5000_digit_integer_is_a_type_error_at_its_key(project, capsys):
    project.set_config(maxPoliciesPerGroup="9" * 5000)
    code, out = validate(project, capsys)
    errors = [line for line in out.splitlines() if ": error [" in line]
    assert (
        code == 2
        and len(errors) == 1
        and errors[0].startswith("Pulumi.dev.yaml iam-matrix:maxPoliciesPerGroup: error [config-type]: '999")
    )
    assert len(out.splitlines()[0]) < 600


def test_a_yaml_alias_bomb_is_refused_in_bounded_memory(project, capsys):
    bomb = "config:\n  a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"  {chr(98 + i)}: &{chr(98 + i)} "
        f"[*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
        f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
        for i in range(9)
    )
    project.write("Pulumi.dev.yaml", bomb)
    code, out = validate(project, capsys)
    assert code == 2 and "anchors and aliases" in out


def _line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of ``text`` that starts with ``fragment``."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(fragment)]
    return lines[occurrence - 1]


def test_a_stack_key_given_twice_is_refused_at_its_second_line(project, capsys):
    """PyYAML (and Pulumi's yaml.v2 of old) keep the last of two equal keys: a second
    adminRoles further down would silently widen who counts as admin."""
    text = project.read("Pulumi.dev.yaml") + "  iam-matrix:adminRoles:\n    - Viewer\n"
    project.write("Pulumi.dev.yaml", text)
    code, out = validate(project, capsys)
    errors = [line for line in out.splitlines() if ": error [" in line]
    line = _line_of(text, "  iam-matrix:adminRoles:", 2)
    assert code == 2 and errors == [
        f"Pulumi.dev.yaml line {line}: error [stack-yaml]: the key 'iam-matrix:adminRoles' is given twice in one "
        "mapping (a parser keeps only the last). Fix: keep one of them"
    ], out


@pytest.mark.parametrize(
    ("name", "added", "key", "line"),
    [
        ("Pulumi.dev.yaml", "config:\n  iam-matrix:adminRoles:\n    value: [Admin]\n    value: [Viewer]\n", "value", 4),
        ("Pulumi.dev.yaml", "config:\n  aws:region: eu-west-1\nconfig:\n  aws:region: us-east-1\n", "config", 3),
        ("Pulumi.yaml", "name: other-project\n", "name", None),  # appended: the file's last line
    ],
)
def test_a_key_given_twice_at_any_depth_of_either_file_is_refused(project, capsys, name, added, key, line):
    text = added if line else project.read(name) + added
    project.write(name, text)
    code, out = validate(project, capsys)
    errors = [line for line in out.splitlines() if ": error [" in line]
    assert code == 2 and len(errors) == 1, out
    assert errors[0].startswith(f"{name} line {line or len(text.splitlines())}: error [stack-yaml]: the key '{key}'")


def test_a_key_without_the_project_namespace_is_read_as_pulumi_reads_it(project, capsys):
    """The engine names ``adminRoles`` ``iam-matrix:adminRoles`` (pulumi/pulumi
    sdk/go/common/workspace/loaders.go); validate must not skip what ``pulumi up`` uses."""
    project.set_config(adminRoles=None, maxPoliciesPerGroup=None)
    project.write("Pulumi.dev.yaml", project.read("Pulumi.dev.yaml") + "  adminRoles: [Viewer]\n")
    settings = load_stack_settings(project.root, "dev")
    assert settings.value("adminRoles") == ["Viewer"]
    # the one reader, also of the config the mock runtime hands the program (components/mock_runtime.py)
    assert read_stack_config(project.root, "dev")["iam-matrix:adminRoles"] == ["Viewer"]
    code, out = validate(project, capsys)
    assert code == 2 and "error [role-admin-equivalent]: role Admin" in out


def test_a_project_not_named_iam_matrix_is_refused(project, capsys):
    """Pulumi gives ``adminRoles`` to the project's name: renamed, the engine reads ``other:adminRoles``
    where the program reads iam-matrix's and validate would check one value while the other deploys."""
    project.write("Pulumi.yaml", project.read("Pulumi.yaml").replace("name: iam-matrix\n", "name: other\n", 1))
    code, out = validate(project, capsys)
    errors = [line for line in out.splitlines() if ": error [" in line]
    assert code == 2 and errors == [
        "Pulumi.yaml name: error [project-name]: the project is named 'other'; it must be iam-matrix: Pulumi would "
        "read a config key without a namespace as that name's, while the program reads iam-matrix's. "
        "Fix: set name: iam-matrix in Pulumi.yaml"
    ], out


def test_a_stack_importing_esc_environments_is_refused(project, capsys):
    """``environment:`` merges an ESC environment's pulumiConfig into the stack's config: an
    ``iam-matrix:workbook`` or ``adminRoles`` from there would deploy unseen by validate and the diff."""
    project.write("Pulumi.dev.yaml", "environment:\n  - myorg/iam-overrides\n" + project.read("Pulumi.dev.yaml"))
    code, out = validate(project, capsys)
    errors = [line for line in out.splitlines() if ": error [" in line]
    assert code == 2 and errors == [
        "Pulumi.dev.yaml environment: error [stack-environment]: the stack imports Pulumi ESC environments, whose "
        "pulumiConfig would set config that validate, the access diff and the policy pack cannot read. "
        "Fix: remove environment: and write the stack's config in this file, where it is reviewed"
    ], out


def test_a_key_given_with_and_without_the_namespace_is_refused(project, capsys):
    """Both spellings are one key to Pulumi, which keeps whichever its Go map walk meets last."""
    text = project.read("Pulumi.dev.yaml") + "  # the second spelling\n  adminRoles:\n    - Viewer\n"
    project.write("Pulumi.dev.yaml", text)
    code, out = validate(project, capsys)
    errors = [line for line in out.splitlines() if ": error [" in line]
    assert code == 2 and errors == [
        f"Pulumi.dev.yaml line {_line_of(text, '  adminRoles:')}: error [config-key-twice]: 'iam-matrix:adminRoles' "
        "and 'adminRoles' are one key to Pulumi (a key without a namespace is iam-matrix's), and it would use one "
        "of the two values at random. Fix: keep one of them, spelled 'iam-matrix:adminRoles'"
    ], out


def test_many_keys_given_with_and_without_the_namespace_compose_the_file_once(project, capsys, monkeypatch):
    """Each repeat is located by its line; the file is composed for that once, not once per repeat
    (a 1 MiB stack file of such pairs took hours)."""
    import iam_matrix.settings as settings_module

    composed = []
    real = settings_module.yaml_key_lines
    monkeypatch.setattr(settings_module, "yaml_key_lines", lambda *args: composed.append(1) or real(*args))
    pairs = "".join(f"  iam-matrix:key{i}: 1\n  key{i}: 1\n" for i in range(5))
    project.write("Pulumi.dev.yaml", project.read("Pulumi.dev.yaml") + pairs)
    code, out = validate(project, capsys)
    assert code == 2 and out.count("error [config-key-twice]") == 5 and len(composed) == 1, out


@pytest.mark.parametrize(
    "text", ["- not a mapping\n", "name: iam-matrix\nconfig: [1]\n", "name: iam-matrix\nconfig:\n  {1: 2}: x\n", "\xff"]
)
def test_a_broken_pulumi_yaml_is_a_located_error(project, capsys, text):
    project.write("Pulumi.yaml", text)
    code, out = validate(project, capsys)
    assert code == 2 and "Traceback" not in out
    lines = [line for line in out.splitlines() if ": error [" in line]
    assert len(lines) == 1 and lines[0].startswith("Pulumi.yaml"), out


def test_project_dir_without_pulumi_yaml_is_an_error_not_the_parent_project(project, capsys):
    inner = project.root / "matrix"  # a folder of a real project: searching upwards would find it
    code = main(["validate", "--project-dir", str(inner)])
    out = capsys.readouterr()
    assert code == 2 and f"no Pulumi.yaml in {inner}" in out.err


def test_config_errors_do_not_hide_matrix_errors(project):
    project.set_config(allowedCidrs=["10.0.0.0/33"], maxPoliciesPerGroup=0)
    project.edit("matrix/users.csv", "lamp@demoasacode.io,,Y", "lamp@demoasacode.io,,Q")
    found = codes(check(load_stack_settings(project.root, "dev", strict=False)), "error")
    assert {"config-cidr", "config-range", "mark-invalid"} <= set(found)


# --- policy documents ---------------------------------------------------------------


def policy(project, text: str, name: str = "custom/Broken.json") -> None:
    project.write(f"policies/{name}", text)


@pytest.mark.parametrize(
    ("document", "expect"),
    [
        ("[]", "not a JSON object"),
        ('{"Version": "2012-10-17", "Statement": "Allow everything"}', "Statement is str"),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", '
            '"NotAction": "*", "Resource": "*", "Condition": ["x"]}]}',
            "malformed Condition",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": '
            '"*", "Resource": "*", "Condition": {"NotIpAddress": "10.0.0.0/8"}}]}',
            "malformed Condition",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", '
            '"Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": {"x": 1}}}}]}',
            "holds an object",
        ),
        (
            '{"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": '
            '"s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}]}',
            "does not substitute policy variables",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", '
            '"Action": "*", "Resource": "*", "Effect": "Allow"}]}',
            "given twice",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", '
            '"Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": NaN}}}]}',
            "NaN is not JSON",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", '
            '"Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": Infinity}}}]}',
            "Infinity is not JSON",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
            '"*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": ' + "9" * 5000 + "}}}]}",
            "more than 30 digits",
        ),
        ("[" * 100_000 + "]" * 100_000, "nested 100,000 levels deep"),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "'
            + "x" * 100_000
            + '", "Resource": "*"}]}',
            "characters)",
        ),
    ],
)
def test_a_policy_document_of_the_wrong_shape_is_reported_at_the_file(project, capsys, document, expect):
    policy(project, document)
    code, out = validate(project, capsys)
    assert code == 2 and "Traceback" not in out
    lines = [line for line in out.splitlines() if ": error [" in line]
    assert lines and all(line.startswith("policies/custom/Broken.json") for line in lines), lines
    assert any(expect in line for line in lines) and all(len(line) < 600 for line in lines), lines


def test_guardrail_helpers_never_see_an_unchecked_document(project, capsys):
    """DenyIPAddressPolicy with NotIpAddress as a string used to crash the lockout check."""
    document = json.loads(project.read("policies/foundation/DenyIPAddressPolicy.json"))
    for statement in document["Statement"]:
        if "Condition" in statement and "NotIpAddress" in statement["Condition"]:
            statement["Condition"]["NotIpAddress"] = "10.0.0.0/8"
    project.write("policies/foundation/DenyIPAddressPolicy.json", json.dumps(document))
    code, out = validate(project, capsys)
    assert code == 2 and "policies/foundation/DenyIPAddressPolicy.json: error [policy-grammar]: statement" in out


def test_a_broken_custom_policy_is_reported_once_at_the_file_not_at_every_row(project):
    project.write("policies/foundation/MFAForcePolicy.json", "{ not json")
    result = project.check()
    assert [p.code for p in result.errors] == ["policy-json"]
    assert str(result.errors[0].location) == "policies/foundation/MFAForcePolicy.json"


def test_empty_allowed_cidrs_is_reported_once_at_the_config_key(project):
    project.set_config(allowedCidrs=[])
    result = project.check()
    assert [(p.code, str(p.location)) for p in result.errors] == [
        ("lockout-no-cidr", "Pulumi.dev.yaml iam-matrix:allowedCidrs")
    ]


def test_duplicate_key_error_names_the_json_path(project):
    policy(
        project,
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", '
        '"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
    )
    problem = find(project.check(), "policy-json")
    assert str(problem.location) == "policies/custom/Broken.json $.Statement[0].Effect"


def test_a_folder_named_like_a_policy_is_reported_not_opened(project):
    (project.root / "policies/custom/Folder.json").mkdir()
    assert str(find(project.check(), "policy-file-type").location) == "policies/custom/Folder.json"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_like_a_policy_or_a_matrix_never_blocks(project, tmp_path):
    os.mkfifo(project.root / "policies/custom/Pipe.json")
    os.mkfifo(tmp_path / "users.csv")
    result = project.check(usersFile=str(tmp_path / "users.csv"))
    assert {"policy-file", "file-type"} <= set(codes(result))
    assert "not a regular file" in find(result, "policy-file").message


def test_policies_dir_at_the_filesystem_root_is_refused(project):
    assert codes(project.check(policiesDir="/")) == ["path-outside"]


def test_the_walk_of_a_big_policy_folder_is_bounded(project, monkeypatch):
    """`policiesDir: .` in a project that also holds node_modules must not walk it all."""
    monkeypatch.setattr(policy_documents, "MAX_TREE_ENTRIES", 20)
    for i in range(25):
        project.write(f"policies/many/P{i}.json", "{}")
    result = project.check()
    assert "policy-tree-size" in codes(result) and "policy-unknown" not in codes(result)


def test_a_policy_folder_nested_too_deep_is_refused(project):
    project.write("policies/" + "/".join(f"d{i}" for i in range(10)) + "/Deep.json", "{}")
    assert "policy-tree-depth" in codes(project.check())


def test_load_json_keeps_plain_types_and_reports_every_class():
    assert load_json('{"a": [1, 2.5, "x", true, null]}') == {"a": [1, 2.5, "x", True, None]}
    with pytest.raises(JsonProblem):
        load_json('{"a": -Infinity}')


def test_clip_caps_what_a_message_repeats():
    assert len(clip("x" * 10_000)) < MAX_ECHO + 30 and clip("short") == "'short'"


# --- CSV --------------------------------------------------------------------------------


def test_a_semicolon_separated_csv_says_so(project):
    project.write("matrix/users.csv", "User;Viewer;MFA\nann@example.com;Y;Y\n")
    problem = find(project.check(), "file-csv-separator")
    assert (
        str(problem.location) == "users.csv row 1"
        and "';'-separated" in problem.message.replace("a ;", "a ';'")
        or "; -separated" in problem.message
        or ";-separated" in problem.message
    )


def test_a_tab_separated_csv_says_so(project):
    project.write("matrix/users.csv", "User\tViewer\tMFA\nann@example.com\tY\tY\n")
    assert "tab-separated" in find(project.check(), "file-csv-separator").message


def test_a_ragged_row_names_its_row_and_the_column_count(project):
    project.write("matrix/users.csv", "User,Viewer,MFA\nann@example.com,Y,Y\nbob@example.com,Y,Y,extra\n")
    problem = find(project.check(), "file-csv")
    assert (
        str(problem.location) == "users.csv row 3" and problem.message == "row 3 has 4 fields but the rows above have 3"
    )


def test_excel_error_values_in_a_csv_are_errors_at_their_cells(project):
    project.edit("matrix/users.csv", "lamp@demoasacode.io,,Y", "lamp@demoasacode.io,#N/A,Y")
    assert str(find(project.check(), "cell-error").location) == "users.csv B4"


# --- output ---------------------------------------------------------------------------


def test_output_to_a_folder_fails_before_the_work(project, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "iam_matrix",
            "diff",
            "--base",
            "HEAD",
            "--project-dir",
            str(project.root),
            "--output",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "is a folder" in done.stderr and "Traceback" not in done.stderr


def test_output_to_an_unwritable_file_fails_before_the_work(project, tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("keep me")
    target.chmod(0o444)
    if os.access(target, os.W_OK):
        pytest.skip("running as a user who can write read-only files")
    with pytest.raises(SystemExit) as stopped:
        main(["audit", "--project-dir", str(project.root), "--output", str(target)])
    assert stopped.value.code == 2 and target.read_text() == "keep me"


def test_output_under_a_file_fails_before_the_work(project, tmp_path):
    """Holds as root too (root may write read-only files, never create one inside a file)."""
    blocker = tmp_path / "report.txt"
    blocker.write_text("keep me")
    with pytest.raises(SystemExit) as stopped:
        main(["audit", "--project-dir", str(project.root), "--output", str(blocker / "audit.html")])
    assert stopped.value.code == 2 and blocker.read_text() == "keep me"


def test_plan_into_a_closed_pipe_ends_quietly(project):
    done = subprocess.run(
        f"{sys.executable} -m iam_matrix plan --project-dir {project.root} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert (
        done.stdout.startswith("Stack dev") and "BrokenPipeError" not in done.stderr and "Traceback" not in done.stderr
    )
    assert all(": warning [" in line for line in done.stderr.splitlines())  # only the plan's warnings


def test_plan_json_is_strict_json(project, capsys):
    assert main(["plan", "--format", "json", "--project-dir", str(project.root)]) == 0
    json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"{name} in plan JSON"))


def test_a_very_wide_csv_is_read_row_by_row_with_the_same_rules(project):
    header = "User," + ",".join(f"R{i}" for i in range(600)) + ",MFA\n"
    project.write(
        "matrix/users.csv", header + "ann@example.com" + ",Y" * 601 + "\n" + "bob@example.com" + ",Y" * 603 + "\n"
    )
    problem = find(project.check(), "file-csv")
    assert (
        str(problem.location) == "users.csv row 3"
        and problem.message == "row 3 has 604 fields but the rows above have 602"
    )
    project.write("matrix/users.csv", header + "ann@example.com" + ",Y" * 601 + "\n")
    result = project.check()
    assert "file-csv" not in codes(result) and "role-unmatched" in codes(
        result
    )  # read: the 600 roles are not in policies.csv
