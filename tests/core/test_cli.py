"""The command-line contract: exit codes, one line per problem, the plan's JSON shape."""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import subprocess
import sys

import pytest

import iam_matrix
from iam_matrix.cli import COMMANDS, COMMANDS_HERE, build_parser, command_parts, main
from tests.project import REPO


def run(project, *args):
    return main([*args, "--project-dir", str(project.root)])


def test_validate_exits_0_and_prints_warnings(project, capsys):
    assert run(project, "validate") == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[0].startswith(
        "policies.csv C1: warning [role-privilege-escalation]: role "
        "Developer (4 members) has 14 privilege-escalation path(s)"
    )
    assert "valid: 0 error(s), 8 warning(s)" in out.err


def test_validate_exits_2_with_one_line_per_problem_starting_with_the_file(project, capsys):
    project.edit("matrix/users.csv", "lamp@demoasacode.io,,Y", "lamp@demoasacode.io,,Q")
    project.edit("matrix/policies.csv", "AmazonS3ReadOnlyAccess,", "AmazonS3ReadOnlyAcess,")
    assert run(project, "validate") == 2
    lines = capsys.readouterr().out.splitlines()
    errors = [line for line in lines if ": error [" in line]
    assert errors == [
        "policies.csv A29: error [policy-unknown]: 'AmazonS3ReadOnlyAcess' is not an AWS managed "
        "policy, nor a custom policy in policies/. Fix: did you mean 'AmazonS3ReadOnlyAccess'?",
        "users.csv C4: error [mark-invalid]: 'Q' is not a mark. Fix: "
        "use Y for a mark and leave the cell blank (or N) for none",
    ]


def test_validate_reports_audit_baseline_values_pulumi_up_would_refuse(project, capsys):
    """``validate`` and ``pulumi up`` read the audit* keys through the same compile."""
    project.set_config(auditBaseline=True, auditConfig="sometimes", auditCloudWatchLogsRetentionDays=100)
    assert run(project, "validate") == 2
    errors = [line for line in capsys.readouterr().out.splitlines() if ": error [" in line]
    assert sorted(line.split(": error [")[0] for line in errors) == [
        "Pulumi.dev.yaml iam-matrix:auditCloudWatchLogsRetentionDays",
        "Pulumi.dev.yaml iam-matrix:auditConfig",
    ]


def test_plan_json_shows_the_audit_baseline(project, capsys):
    project.set_config(auditBaseline=True, auditConfig="rules")
    assert run(project, "plan", "--format", "json") == 0
    baseline = json.loads(capsys.readouterr().out)["audit_baseline"]
    assert baseline["enabled"] is True and baseline["config_mode"] == "rules"
    assert run(project, "plan") == 0
    assert (
        "Audit baseline\n  CloudTrail trail iam-matrix-dev, IAM Config rules, IAM Access Analyzer\n"
        in capsys.readouterr().out
    )


def test_validate_with_explicit_files(project, capsys, tmp_path):
    users = tmp_path / "u.csv"
    users.write_text("User,Viewer,MFA\nx@y.io,Y,Y\n")
    policies = tmp_path / "p.csv"
    policies.write_text("Policies,Viewer\nReadOnlyAccess,Y\nMFAForcePolicy,Y\nDenyIPAddressPolicy,Y\n")
    project.set_config(adminRoles=[])  # the stack's adminRoles must be roles of the matrix given
    assert run(project, "validate", "--users", str(users), "--policies", str(policies)) == 0


def test_validate_json(project, capsys):
    project.edit("matrix/users.csv", "lamp@demoasacode.io,,Y", "lamp@demoasacode.io,,Q")
    assert run(project, "validate", "--format", "json") == 2
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert {"location": "users.csv C4", "code": "mark-invalid", "severity": "error"}.items() <= report["problems"][
        0
    ].items()


def test_plan_json_contract(project, capsys):
    assert run(project, "plan", "--format", "json") == 0
    plan = json.loads(capsys.readouterr().out)
    assert set(plan) >= {"groups", "users", "policies", "password_policy"}
    developer = next(g for g in plan["groups"] if g["name"] == "Developer")
    assert set(developer) >= {"name", "role", "path", "policy_arns", "members"}
    assert next(u for u in plan["users"] if u["name"] == "car@demoasacode.io") == {
        "name": "car@demoasacode.io",
        "mfa_required": True,
        "roles": ["DBA", "Developer", "Viewer"],
        "groups": ["DBA", "DBA-2", "Developer", "Developer-2", "Developer-3", "Viewer"],
    }
    assert {p["name"]: p["path"] for p in plan["policies"]}["MFAForcePolicy"] == "/foundation/"
    assert plan["password_policy"]["minimum_password_length"] == 14
    assert plan["password_policy"]["password_reuse_prevention"] == 24


def test_plan_text_is_a_readable_table(project, capsys):
    assert run(project, "plan") == 0
    out = capsys.readouterr().out
    assert "Developer-3" in out and "11 users, 5 roles in 10 groups, 6 custom policies" in out


def test_plan_refuses_invalid_input_without_a_traceback(project, capsys):
    (project.root / "matrix/users.csv").write_bytes(b"\x00\xff garbage")
    assert run(project, "plan") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "users.csv" in err


def test_unknown_stack(project, capsys):
    assert run(project, "validate", "--stack", "prod") == 2
    assert "Pulumi.prod.yaml" in capsys.readouterr().err


def test_python_m_entry_point_and_a_pure_core():
    """``python -m iam_matrix`` works, and compiling imports neither Pulumi nor boto3."""
    code = (
        "import sys, iam_matrix\n"
        "from iam_matrix import compile_state, load_stack_settings\n"
        f"compile_state(load_stack_settings(__import__('pathlib').Path({str(REPO)!r}), 'dev'))\n"
        "bad = [m for m in ('pulumi', 'pulumi_aws', 'boto3', 'botocore') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    done = subprocess.run([sys.executable, "-m", "iam_matrix", "validate"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_command_imports_only_its_own_module():
    """``who-can`` (and ``--help``) run without importing the audit's boto3, the diff's git
    reader or the other commands' modules: the parser names every command, but only the one
    being run is imported."""
    code = (
        "import sys, contextlib, io\n"
        "from iam_matrix.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['who-can', 's3:GetObject', '--project-dir', {str(REPO)!r}]) == 0\n"
        "others = ('boto3', 'botocore', 'openpyxl', 'iam_matrix.audit', 'iam_matrix.review', "
        "'iam_matrix.adopt', 'iam_matrix.convert', 'iam_matrix.deploy')\n"
        "loaded = sorted(m for m in sys.modules if m in others or m.startswith(tuple(o + '.' for o in others)))\n"
        "assert not loaded, loaded\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'deploy-policies' in out.getvalue() and 'who-can' in out.getvalue()\n"
        "assert 'iam_matrix.audit.command' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_the_command_table_and_the_modules_agree():
    """Each command's help lives in ``cli.COMMANDS``, its options and handler in its module."""
    modules = {module for module, _ in COMMANDS.values()}
    named = {name for module in modules - {"iam_matrix.cli"} for name in importlib.import_module(module).COMMANDS}
    assert named | set(COMMANDS_HERE) == set(COMMANDS)
    for name in COMMANDS:
        configure, handler = command_parts(name)
        assert callable(configure) and callable(handler), name


def test_a_command_whose_dependency_is_missing_says_what_to_install(monkeypatch, capsys):
    real = importlib.import_module

    def without_boto3(name, *args):
        if name == "iam_matrix.audit.command":
            raise ModuleNotFoundError("No module named 'boto3'", name="boto3")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_boto3)
    assert main(["audit", "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert "iam-matrix audit needs the Python package 'boto3'" in err and "pip install -r requirements.txt" in err


def test_the_collector_runs_rarely_during_a_command_and_as_before_after_it(project, capsys, monkeypatch):
    import iam_matrix.cli as cli

    during: list[tuple[int, int, int]] = []
    compile_from_args = cli.compile_from_args
    monkeypatch.setattr(
        cli, "compile_from_args", lambda args: during.append(gc.get_threshold()) or compile_from_args(args)
    )
    before = gc.get_threshold()
    assert run(project, "plan") == 0
    assert during == [(cli.RARE_COLLECTION, *before[1:])]
    assert gc.get_threshold() == before


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"iam-matrix {iam_matrix.__version__}\n"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_command_help_explains_each_option_its_default_and_the_exit_codes():
    commands = _subcommands()
    assert {"validate", "plan", "audit", "diff", "convert"} <= set(commands)
    for name, parser in commands.items():
        help_text = parser.format_help()
        assert "exit codes:" in help_text and "\n  0 " in help_text, f"{name}: no exit codes in --help"
        assert "\n  2 " in help_text, f"{name}: --help does not say what exit 2 means"
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            words = (action.help or "").lower()
            assert words, f"{name} {action.option_strings or action.dest}: no help"
            if action.option_strings and not action.required:
                assert "default" in words, f"{name} {action.option_strings[0]}: help does not say its default"


def test_validate_from_another_folder_with_project_dir(project, tmp_path_factory, monkeypatch, capsys):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    assert main(["validate", "--project-dir", str(project.root)]) == 0
    assert main(["validate"]) == 2
    assert (
        "no Pulumi.yaml in this folder or above it. Fix: run the "
        "command inside the project folder or pass --project-dir" in capsys.readouterr().err
    )


def test_the_current_folder_or_one_above_it_is_the_project(project, monkeypatch, capsys):
    monkeypatch.chdir(project.root / "matrix")
    assert main(["validate"]) == 0
    assert "valid: 0 error(s), 8 warning(s)" in capsys.readouterr().err


def test_a_project_dir_without_pulumi_yaml_is_bad_input(project, capsys):
    """An explicit --project-dir is that folder, never a parent of it nor the package's checkout."""
    assert main(["validate", "--project-dir", str(project.root / "matrix")]) == 2
    err = capsys.readouterr().err
    assert f"no Pulumi.yaml in {project.root / 'matrix'}" in err and "Traceback" not in err


def test_plan_on_invalid_input_prints_every_problem_it_counts(project, capsys):
    project.edit("matrix/users.csv", "lamp@demoasacode.io,,Y", "lamp@demoasacode.io,,Q")
    assert run(project, "plan") == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    problem_lines = [line for line in lines if ": error [" in line or ": warning [" in line]
    errors, warnings = (sum(f": {kind} [" in line for line in problem_lines) for kind in ("error", "warning"))
    assert (errors, warnings) == (1, 8) and lines[-1] == "invalid: 1 error(s), 8 warning(s)"
    assert captured.out == ""


def test_plan_text_says_the_password_policy_in_words(project, capsys):
    project.set_config(passwordRequireSymbols=False, passwordMaxAgeDays=0, passwordHardExpiry=True)
    assert run(project, "plan") == 0
    out = capsys.readouterr().out
    line = out.split("Password policy\n", 1)[1].splitlines()[0]
    assert line == (
        "  minimum length 14; requires upper-case letters, lower-case "
        "letters and numbers; does not require symbols; never expires; "
        "the last 24 passwords cannot be reused; users may change their own "
        "password; an expired password needs an administrator (hard expiry)"
    )
    assert "True" not in out and "False" not in out
