"""``python -m iam_matrix <command>``: validate, plan (and the commands other modules add).

Exit codes: 0 fine, 1 findings (audit), 2 bad input or configuration, 3 AWS unreachable,
141 the reader of standard output went away (``plan | head -1``), quietly.
Bad input is always reported as problems, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .compiler import CompileResult, check
from .problems import MatrixInvalid
from .render import plan_text, problems_text, summary_line
from .settings import Settings, load_stack_settings, project_dir_option

EXIT_OK, EXIT_FINDINGS, EXIT_INVALID, EXIT_AWS = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by a closed pipe


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """The options every command uses to say which stack and which matrix files."""
    parser.add_argument("--stack", default="dev", help="stack whose Pulumi.<stack>.yaml gives the settings (default: dev)")
    parser.add_argument("--project-dir", type=Path, default=None, help="folder with Pulumi.yaml (default: found from the current folder)")
    parser.add_argument("--users", type=Path, help="user matrix CSV (overrides the stack config)")
    parser.add_argument("--policies", type=Path, help="policy matrix CSV (overrides the stack config)")
    parser.add_argument("--workbook", type=Path, help="xlsx workbook with Users and Policies sheets (overrides the stack config)")


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if args.workbook:
        overrides["workbook"] = str(args.workbook.resolve())
    if args.users or args.policies:
        if not (args.users and args.policies):
            raise UsageError("--users and --policies go together")
        overrides.update(workbook="", usersFile=str(args.users.resolve()), policiesFile=str(args.policies.resolve()))
    if args.workbook and args.users:
        raise UsageError("use either --workbook or --users/--policies")
    return load_stack_settings(project_dir_option(args.project_dir), args.stack, overrides, strict=False)


def check_output(path: Path | None) -> None:
    """Fail before any work when ``--output`` cannot be written: a folder, or a file (or
    folder to create it in) without write permission. Nothing is created or truncated."""
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"--output {path} is a folder; name a file")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise UsageError(f"--output {path} is not writable")
        return
    folder = next((p for p in path.parents if p.exists()), Path("."))
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--output {path}: cannot create a file in {folder}")


class UsageError(Exception):
    pass


def compile_from_args(args: argparse.Namespace) -> CompileResult:
    return check(settings_from_args(args))


def cmd_validate(args: argparse.Namespace) -> int:
    result = compile_from_args(args)
    if args.format == "json":
        print(json.dumps({"valid": not result.errors, "problems": [p.to_dict() for p in result.problems]}, indent=2, allow_nan=False))
    else:
        if result.problems:
            print(problems_text(result.problems))
        print(("valid: " if not result.errors else "invalid: ") + summary_line(result.problems), file=sys.stderr)
    return EXIT_INVALID if result.errors else EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    result = compile_from_args(args)
    if result.state is None:
        print(problems_text(result.errors), file=sys.stderr)
        print("invalid: " + summary_line(result.problems), file=sys.stderr)
        return EXIT_INVALID
    if result.warnings:
        print(problems_text(result.warnings), file=sys.stderr)
    if args.format == "json":
        print(json.dumps(result.state.to_dict(), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(plan_text(result.state))
    return EXIT_OK


Command = tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _core_commands() -> list[Command]:
    def text_or_json(parser: argparse.ArgumentParser) -> None:
        add_input_options(parser)
        parser.add_argument("--format", choices=["text", "json"], default="text")

    return [
        ("validate", "check the matrices and stack config; exit 2 when invalid", text_or_json, cmd_validate),
        ("plan", "print the desired state compiled from the matrices", text_or_json, cmd_plan),
    ]


def _extra_commands() -> list[Command]:
    """Commands that live beside the core (audit needs boto3, diff needs git)."""
    commands: list[Command] = []
    for module_name in ("iam_matrix.audit.command", "iam_matrix.review.command"):
        try:
            module = __import__(module_name, fromlist=["COMMAND"])
        except ModuleNotFoundError as error:
            if error.name and module_name.startswith(error.name):
                continue
            raise
        commands.append(module.COMMAND)
    return commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iam_matrix", description="Compile, check, audit and review an AWS IAM access matrix.")
    sub = parser.add_subparsers(dest="command", required=True)
    handlers = {}
    for name, help_text, configure, handler in _core_commands() + _extra_commands():
        configure(sub.add_parser(name, help=help_text, description=help_text))
        handlers[name] = handler
    args = parser.parse_args(argv)
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()  # inside the try: a closed pipe must not surface at interpreter exit
        return code
    except BrokenPipeError:  # `plan | head -1`: the reader has gone; end quietly, as cat does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except MatrixInvalid as invalid:
        print(problems_text(invalid.problems), file=sys.stderr)
        print("invalid: " + summary_line(invalid.problems), file=sys.stderr)
        return EXIT_INVALID
    except UsageError as error:
        parser.error(str(error))
        return EXIT_INVALID
