"""``iam-matrix <command>`` (or ``python -m iam_matrix``): validate, plan and the commands
other modules add (audit, diff, convert).

Exit codes: 0 fine, 1 findings (audit), 2 bad input or configuration, 3 AWS unreachable,
141 the reader of standard output went away (``plan | head -1``), quietly.
Bad input is always reported as problems, never as a traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .cli_text import plan_text, problems_text, summary_line
from .compiler import CompileResult, check
from .escape import log_line
from .problems import Location, MatrixInvalid, Problems
from .settings import Settings, load_stack_settings, locate_project

EXIT_OK, EXIT_FINDINGS, EXIT_INVALID, EXIT_AWS = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by a closed pipe
INVALID_HELP = "2  bad input or configuration: every problem is printed, one line each (file, sheet, cell, fix)"


def exit_codes(*lines: str) -> str:
    """The ``--help`` epilog that lists a command's exit codes, one per line."""
    return "exit codes:\n" + "\n".join(f"  {line}" for line in lines)


def add_project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=None,
        metavar="PATH",
        help="the project folder, holding Pulumi.yaml (default: the current "
        "folder or the nearest one above it that holds Pulumi.yaml)",
    )


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """The options every command uses to say which stack and which matrix files."""
    parser.add_argument(
        "--stack", default="dev", help="stack whose Pulumi.<stack>.yaml gives the settings (default: dev)"
    )
    add_project_option(parser)
    parser.add_argument(
        "--users",
        type=Path,
        metavar="CSV",
        help="user matrix CSV, with --policies (default: the stack's iam-matrix:usersFile)",
    )
    parser.add_argument(
        "--policies",
        type=Path,
        metavar="CSV",
        help="policy matrix CSV, with --users (default: the stack's iam-matrix:policiesFile)",
    )
    parser.add_argument(
        "--workbook",
        type=Path,
        metavar="XLSX",
        help="xlsx workbook with Users and Policies sheets, instead of "
        "the two CSV files (default: the stack's iam-matrix:workbook)",
    )


def add_format_option(
    parser: argparse.ArgumentParser, help_text: str, choices: tuple[str, ...] = ("text", "json"), default: str = "text"
) -> None:
    """``--format``: what each choice prints; the help ends with the default, as every option's does."""
    parser.add_argument("--format", choices=list(choices), default=default, help=f"{help_text} (default: {default})")


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if args.workbook:
        overrides["workbook"] = str(args.workbook.absolute())  # not resolved: a symlink is refused, not followed
    if args.users or args.policies:
        if not (args.users and args.policies):
            raise UsageError("--users and --policies go together")
        overrides.update(workbook="", usersFile=str(args.users.absolute()), policiesFile=str(args.policies.absolute()))
    if args.workbook and args.users:
        raise UsageError("use either --workbook or --users/--policies")
    return load_stack_settings(locate_project(args.project_dir), args.stack, overrides, strict=False)


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


class CommandFailed(Exception):
    """A command stops with exit ``code``; ``main`` prints the message on standard error."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def compile_from_args(args: argparse.Namespace) -> CompileResult:
    if getattr(args, "ref", None):
        return _check_at_ref(args)
    return check(settings_from_args(args))


def _check_at_ref(args: argparse.Namespace) -> CompileResult:
    """``validate --ref``: the stack as committed at a git ref, through the same reader as
    ``diff`` (symlinks and crafted trees refused), so CI can run trusted code over a PR."""
    from .review.revisions import RefError, check_at

    if args.workbook or args.users or args.policies:
        raise UsageError("--ref reads the files the stack config names at that ref; drop --workbook/--users/--policies")
    try:
        return check_at(locate_project(args.project_dir), args.ref, args.stack)
    except RefError as error:
        if not error.problems:
            problems = Problems()
            problems.error(
                Location(f"Pulumi.{args.stack}.yaml"),
                "git-ref",
                f"at {error.ref}: {error.message}",
                "check the ref and the stack name",
            )
            raise MatrixInvalid(problems.items) from None
        raise MatrixInvalid(error.problems) from None


def cmd_validate(args: argparse.Namespace) -> int:
    from .validation import validate_stack  # the compile and the audit's exceptions file

    result = _check_at_ref(args) if getattr(args, "ref", None) else validate_stack(settings_from_args(args))
    if args.format == "json":
        print(
            json.dumps(
                {
                    "valid": not result.errors,
                    "problems": [p.to_dict() for p in result.problems],
                    "suppressed": result.suppressed,
                },
                indent=2,
                allow_nan=False,
            )
        )
    else:
        if result.problems:
            print(problems_text(result.problems))
        print(("valid: " if not result.errors else "invalid: ") + summary_line(result.problems), file=sys.stderr)
        if result.suppressed:
            print(f"{result.suppressed} warning(s) suppressed by iam-matrix:suppressWarnings", file=sys.stderr)
    return EXIT_INVALID if result.errors else EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    result = compile_from_args(args)
    if result.state is None:
        raise MatrixInvalid(result.problems)
    if result.warnings:
        print(problems_text(result.warnings), file=sys.stderr)
    if args.format == "json":
        print(json.dumps(result.state.to_dict(), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(plan_text(result.state))
        if not getattr(args, "ref", None):  # after adopt: what the first up changes (docs/adopt.md)
            from .adopt.first_up import plan_section

            section = plan_section(settings_from_args(args), result.state)
            print(section or "", end="\n" if section else "")
    return EXIT_OK


Configure = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]

# Every command: its one-line help and the module whose ``COMMANDS`` maps it to
# (configure, run). The parser lists them all but imports only the one being run, so
# ``who-can`` does not pay for boto3 (audit, adopt) or git helpers (diff).
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("iam_matrix.cli", "check the matrices and stack config; exit 2 when invalid"),
    "plan": ("iam_matrix.cli", "print the desired state compiled from the matrices"),
    "who-can": (
        "iam_matrix.access.command",
        "list every user who may perform an IAM action, with the roles and policies that allow it",
    ),
    "access": (
        "iam_matrix.access.command",
        "show what one user or role may do: services and access levels, risk classes, guardrails",
    ),
    "audit": (
        "iam_matrix.audit.command",
        "compare the live AWS account with the matrix; report drift, "
        "MFA, password policy, credentials, logging and the access log",
    ),
    "diff": (
        "iam_matrix.review.command",
        "show who gains or loses which access between two git refs (escalations first)",
    ),
    "convert": (
        "iam_matrix.convert.command",
        "write the stack's matrix in the other form: two CSV files -> one workbook, or a workbook -> two CSV files",
    ),
    "adopt": (
        "iam_matrix.adopt.command",
        "read an existing account and write the matrix, stack file, import file and residue report that describe it",
    ),
    "deploy-policies": (
        "iam_matrix.deploy.command",
        "write the deploy and preview roles' IAM policies for a stack, scoped to its paths, names and policies",
    ),
}


def _validate_options(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument(
        "--ref",
        default=None,
        help="validate the stack as committed at this git ref, read through git (default: the working tree)",
    )
    add_format_option(
        parser, "text: one line per problem on stdout, the summary on stderr; json: {valid, problems} on stdout"
    )
    parser.epilog = exit_codes("0  valid (warnings, if any, are printed)", INVALID_HELP)


def _plan_options(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    add_format_option(
        parser,
        "text: readable tables; json: the desired state, as the Pulumi program deploys it; warnings go to stderr",
    )
    parser.epilog = exit_codes(
        "0  the desired state is printed (warnings, if any, on stderr)",
        INVALID_HELP + "; nothing is printed on stdout",
    )


COMMANDS_HERE: dict[str, tuple[Configure, Run]] = {
    "validate": (_validate_options, cmd_validate),
    "plan": (_plan_options, cmd_plan),
}


def command_parts(name: str) -> tuple[Configure, Run]:
    """Import the module of command ``name`` and return its (configure, run).

    A command whose optional dependency is missing (audit without boto3) stops with a
    message saying what to install, rather than vanishing from the list."""
    module_name = COMMANDS[name][0]
    if module_name == __name__:
        return COMMANDS_HERE[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if not error.name or module_name.startswith(error.name):
            raise
        raise CommandFailed(
            f"iam-matrix {name} needs the Python package {error.name!r}, which is not installed here. "
            "Fix: pip install -r requirements.txt",
            EXIT_INVALID,
        ) from None
    return module.COMMANDS[name]


def _requested(argv: list[str]) -> str | None:
    """The command named on the command line: the first word that is not an option (the
    top-level parser has only --help and --version, which take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(configure: str | None = "*") -> argparse.ArgumentParser:
    """The whole command line: one sub-command per entry of ``COMMANDS``, each with its own
    --help. Only ``configure`` (a command name, or ``*`` for all) gets its options, so only
    that command's module is imported."""
    parser = argparse.ArgumentParser(
        prog="iam-matrix",
        description="Compile, check, audit and review an AWS IAM access matrix.",
        epilog="Run `iam-matrix COMMAND --help` for a command's options, defaults "
        "and exit codes. `python -m iam_matrix` is the same command.",
    )
    parser.add_argument(
        "--version", action="version", version=f"iam-matrix {__version__}", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        command = sub.add_parser(
            name, help=help_text, description=help_text, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        if configure in ("*", name):
            command_parts(name)[0](command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; the cyclic garbage collector runs rarely meanwhile: a compile builds
    hundreds of thousands of objects that all live to the end, and at Python's default
    threshold the collector walks them again and again (a fifth of who-can's CPU on the
    5,000-user benchmark). The threshold is restored when the command ends."""
    before = gc.get_threshold()
    gc.set_threshold(RARE_COLLECTION, *before[1:])
    try:
        return _run(sys.argv[1:] if argv is None else argv)
    finally:
        gc.set_threshold(*before)


RARE_COLLECTION = 100_000  # allocations between collections of the youngest generation (Python's default: 700)


def _run(words: list[str]) -> int:
    requested = _requested(words)
    try:
        parser = build_parser(requested if requested in COMMANDS else None)
    except CommandFailed as failed:
        print(log_line(failed), file=sys.stderr)  # may quote a file's value: one escaped line
        return failed.code
    args = parser.parse_args(words)
    try:
        code = command_parts(args.command)[1](args)
        sys.stdout.flush()  # inside the try: a closed pipe must not surface at interpreter exit
        return code
    except BrokenPipeError:  # `plan | head -1`: the reader has gone; end quietly, as cat does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except MatrixInvalid as invalid:  # the one place invalid input is reported: every problem, warnings too
        print(problems_text(invalid.problems), file=sys.stderr)
        print("invalid: " + summary_line(invalid.problems), file=sys.stderr)
        return EXIT_INVALID
    except CommandFailed as failed:
        print(log_line(failed), file=sys.stderr)  # may quote a file's value: one escaped line
        return failed.code
    except UsageError as error:
        parser.error(str(error))
        return EXIT_INVALID
