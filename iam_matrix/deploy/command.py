"""``python -m iam_matrix deploy-policies``: write (or check) the deploy roles' policies of a stack.

The stack is compiled once (exit 2 on bad input, as ``plan`` does) and ``policies`` builds the
documents from its desired state, for the stack's folder ``deploy/<stack>/`` (one AWS account,
one deploy role). ``--check`` compares them with the files already in the folder instead, so CI
fails when the matrix or the program changed and the folder was not regenerated: a PR that
widens a deploy role shows the widening in its own diff. ``--check --ref`` reads the stack and
the folder at a git ref, as ``validate --ref`` does: the pull-request workflow runs it with the
base branch's code, so the PR's code never judges its own deploy policies.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..cli import (
    EXIT_FINDINGS,
    EXIT_INVALID,
    EXIT_OK,
    INVALID_HELP,
    CommandFailed,
    UsageError,
    add_input_options,
    compile_from_args,
    exit_codes,
)
from ..cli_text import problems_text, summary_line
from ..compiler import CompileResult
from ..escape import printable
from ..problems import MatrixInvalid
from ..settings import find_project_dir, locate_project
from ..writers import OutputFolder, UnsafePath
from .policies import AUDIT_BASELINE, DEPLOYER, deploy_policies, policy_text

STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # as .github/scripts/stacks.py allows
# IAM's limit for all inline policies of one role together, counted without whitespace.
ROLE_INLINE_LIMIT = 10_240


def configure(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of the policy files (default: deploy/<stack>/ in the project folder, one per AWS account)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a file in DIR differs from what the stack needs (default: write the files)",
    )
    parser.add_argument(
        "--ref",
        default=None,
        help="with --check: check the stack and its deploy/<stack>/ as committed at this git ref, read through git "
        "(what CI runs with the base branch's code over a pull request; default: the working tree)",
    )
    parser.epilog = exit_codes(
        "0  the files were written (or, with --check, are up to date)",
        "1  --check: a file is missing or differs; run without --check and review the change",
        INVALID_HELP + "; also an output folder that is a symlink, or policies over IAM's size limit",
    )


def stack_folder(stack: str) -> str:
    """Where a stack's policies are committed, relative to the project: ``deploy/<stack>``
    (each AWS account's deploy role is reviewed in the repository). UsageError for a stack
    name that is not a plain Pulumi stack name, so the folder stays inside deploy/."""
    if not STACK_NAME.fullmatch(stack):
        raise UsageError(f"--stack {printable(stack)!r}: a stack name may hold only letters, digits, '-', '_' and '.'")
    return f"deploy/{stack}"


def run(args: argparse.Namespace) -> int:
    if args.ref:
        return _check_at_ref(args)
    output: Path = args.output_dir or (args.project_dir or find_project_dir()) / stack_folder(args.stack)
    return _write_or_check(compile_from_args(args), output, str(output), args)


def _check_at_ref(args: argparse.Namespace) -> int:
    """``--check --ref``: the stack and its committed folder at the ref, never the working tree."""
    from ..review.revisions import RefError, at_ref
    from ..validation import validate_stack

    if not args.check or args.output_dir or args.workbook or args.users or args.policies:
        raise UsageError("--ref checks what is committed: use it with --check and without --output-dir or matrix files")
    folder = stack_folder(args.stack)
    project = locate_project(args.project_dir)
    try:
        return at_ref(
            project,
            args.ref,
            args.stack,
            lambda settings: _write_or_check(validate_stack(settings), settings.project_dir / folder, folder, args),
            also=[folder],
        )
    except RefError as error:
        raise MatrixInvalid(error.problems) if error.problems else CommandFailed(str(error), EXIT_INVALID) from None


def _write_or_check(result: CompileResult, output: Path, shown: str, args: argparse.Namespace) -> int:
    if result.state is None:
        print(problems_text(result.errors), file=sys.stderr)
        print("invalid: " + summary_line(result.problems), file=sys.stderr)
        return EXIT_INVALID
    documents = {name: policy_text(doc) for name, doc in deploy_policies(result.state).items()}
    attached = [DEPLOYER] + ([AUDIT_BASELINE] if result.state.audit_baseline.enabled else [])
    size = sum(len(re.sub(r"\s", "", documents[name])) for name in attached)
    if size > ROLE_INLINE_LIMIT:
        print(
            f"the deploy role's inline policies are {size} characters, over IAM's {ROLE_INLINE_LIMIT} per role: "
            "attach them as customer managed policies instead (6,144 each), or split the matrix's AWS managed "
            "policies over fewer names",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if args.check:
        stale = []
        for name, text in documents.items():
            found = _read(output / name)
            if found != text:
                stale.append(name)
                what = "is missing" if found is None else "is not what the stack needs"
                print(f"{printable(f'{shown}/{name}')} {what} (stack {args.stack})", file=sys.stderr)
        if stale:
            print(f"run: python -m iam_matrix deploy-policies --stack {args.stack}", file=sys.stderr)
        return EXIT_FINDINGS if stale else EXIT_OK
    try:
        folder = OutputFolder(output)
        for name, text in documents.items():
            folder.write(name, text)
    except (UnsafePath, OSError) as error:
        print(f"cannot write the policies: {printable(str(error))}", file=sys.stderr)
        return EXIT_INVALID
    print(f"wrote {', '.join(documents)} in {printable(shown)} for stack {args.stack}")
    return EXIT_OK


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


# what iam_matrix.cli.COMMANDS names this module for: (configure, run)
COMMANDS = {"deploy-policies": (configure, run)}
