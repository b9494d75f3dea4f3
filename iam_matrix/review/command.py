"""``python -m iam_matrix diff``: the access diff between two git refs of one stack.

Exit 0 with a report (also when nothing changed); 2 when either ref has bad input, with
the ref named, so a PR check fails on a matrix that would not deploy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..cli import (
    EXIT_INVALID,
    EXIT_OK,
    INVALID_HELP,
    UsageError,
    add_format_option,
    add_input_options,
    check_output,
    exit_codes,
)
from ..cli_text import problems_text
from ..escape import log_line
from ..settings import locate_project
from .diff import diff_revisions
from .report import RENDERERS, summary
from .revisions import RefError, revision_at
from .safety import mass_removal


def configure(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument(
        "--base",
        required=True,
        metavar="REF",
        help="required: git ref of the state before the change (e.g. origin/main, HEAD, a commit, a tag)",
    )
    parser.add_argument(
        "--head",
        default=None,
        metavar="REF",
        help="git ref of the state after the change (default: the working tree, uncommitted edits included)",
    )
    add_format_option(parser, "markdown (a PR comment), text or json", tuple(sorted(RENDERERS)), "markdown")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the report to FILE and say so on stderr (default: the report goes to standard output)",
    )
    parser.epilog = exit_codes(
        "0  the report is printed or written (also when nothing changed)",
        f"{INVALID_HELP}, with the git ref it was found at; or the change "
        "cannot be applied as it is (see 'Applying it' in the report)",
    )


def _overrides(args: argparse.Namespace, project_dir: Path) -> dict[str, Any]:
    """Matrix paths given on the command line, as project-relative config values."""

    def relative(path: Path) -> str:
        try:
            return path.resolve().relative_to(project_dir.resolve()).as_posix()
        except ValueError:
            raise UsageError(
                f"{path} is outside the project folder; diff reads files from git, so give a path inside {project_dir}"
            ) from None

    if args.workbook and (args.users or args.policies):
        raise UsageError("use either --workbook or --users/--policies")
    if args.workbook:
        return {"workbook": relative(args.workbook)}
    if args.users or args.policies:
        if not (args.users and args.policies):
            raise UsageError("--users and --policies go together")
        return {"workbook": "", "usersFile": relative(args.users), "policiesFile": relative(args.policies)}
    return {}


def run(args: argparse.Namespace) -> int:
    check_output(args.output)
    project_dir = locate_project(args.project_dir)
    overrides = _overrides(args, project_dir)
    try:
        base = revision_at(project_dir, args.base, args.stack, overrides, missing_stack_ok=True)
        head = revision_at(project_dir, args.head, args.stack, overrides)
    except RefError as error:
        if error.problems:
            print(problems_text(error.problems), file=sys.stderr)
        print(log_line(f"bad input at {error.ref}: {error.message}"), file=sys.stderr)
        return EXIT_INVALID
    diff = diff_revisions(base, head)
    report = RENDERERS[args.format](diff)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report, encoding="utf-8")
        print(f"wrote {args.output}: {summary(diff)}", file=sys.stderr)
    else:
        sys.stdout.write(report)
    refused = mass_removal(base, head)  # the report is still written: reviewers see what would go
    if refused:
        print(problems_text(refused), file=sys.stderr)
        print(log_line(f"refused at {head.ref}: {refused[0].message}"), file=sys.stderr)
        return EXIT_INVALID
    if diff.blocked:
        print(
            log_line("the change cannot be applied as it is: " + "; ".join(n.message for n in diff.deploy if n.blocks)),
            file=sys.stderr,
        )
        return EXIT_INVALID
    return EXIT_OK


# what iam_matrix.cli.COMMANDS names this module for: (configure, run)
COMMANDS = {"diff": (configure, run)}
