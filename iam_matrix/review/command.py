"""``python -m iam_matrix diff``: the access diff between two git refs of one stack.

Exit 0 with a report (also when nothing changed); 2 when either ref has bad input, with
the ref named, so a PR check fails on a matrix that would not deploy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..cli import EXIT_INVALID, EXIT_OK, UsageError, add_input_options, check_output
from ..render import problems_text
from ..settings import project_dir_option
from .diff import diff_revisions
from .render import RENDERERS
from .revisions import RefError, revision_at


def configure(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument("--base", required=True, help="git ref of the state before the change (e.g. origin/main, a commit, a tag)")
    parser.add_argument("--head", default=None, help="git ref of the state after the change (default: the working tree)")
    parser.add_argument("--format", choices=sorted(RENDERERS), default="markdown", help="markdown (a PR comment, default), text or json")
    parser.add_argument("--output", type=Path, default=None, help="write the report to this file instead of standard output")


def _overrides(args: argparse.Namespace, project_dir: Path) -> dict[str, Any]:
    """Matrix paths given on the command line, as project-relative config values."""

    def relative(path: Path) -> str:
        try:
            return path.resolve().relative_to(project_dir.resolve()).as_posix()
        except ValueError:
            raise UsageError(f"{path} is outside the project folder; diff reads files from git, so give a path inside {project_dir}") from None

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
    project_dir = project_dir_option(args.project_dir)
    overrides = _overrides(args, project_dir)
    try:
        base = revision_at(project_dir, args.base, args.stack, overrides, missing_stack_ok=True)
        head = revision_at(project_dir, args.head, args.stack, overrides)
    except RefError as error:
        if error.problems:
            print(problems_text(error.problems), file=sys.stderr)
        print(f"bad input at {error.ref}: {error.message}", file=sys.stderr)
        return EXIT_INVALID
    report = RENDERERS[args.format](diff_revisions(base, head))
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    return EXIT_OK


COMMAND = ("diff", "show who gains or loses which access between two git refs (escalations first)", configure, run)
