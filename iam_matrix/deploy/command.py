"""``python -m iam_matrix deploy-policies``: write (or check) the deploy roles' policies of a stack.

The stack is compiled once (exit 2 on bad input, as ``plan`` does) and ``policies`` builds the
documents from its desired state. ``--check`` compares them with the files already in the
folder instead, so CI fails when the matrix or the program changed and deploy/ was not
regenerated: a PR that widens the deploy role shows the widening in its own diff.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..cli import EXIT_FINDINGS, EXIT_INVALID, EXIT_OK, INVALID_HELP, add_input_options, compile_from_args, exit_codes
from ..cli_text import problems_text, summary_line
from ..escape import printable
from ..settings import find_project_dir
from ..writers import OutputFolder, UnsafePath
from .policies import AUDIT_BASELINE, DEPLOYER, deploy_policies, policy_text

# IAM's limit for all inline policies of one role together, counted without whitespace.
ROLE_INLINE_LIMIT = 10_240


def configure(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of the policy files (default: deploy/ in the project folder)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a file in DIR differs from what the stack needs (default: write the files)",
    )
    parser.epilog = exit_codes(
        "0  the files were written (or, with --check, are up to date)",
        "1  --check: a file is missing or differs; run without --check and review the change",
        INVALID_HELP + "; also an output folder that is a symlink, or policies over IAM's size limit",
    )


def run(args: argparse.Namespace) -> int:
    result = compile_from_args(args)
    if result.state is None:
        print(problems_text(result.errors), file=sys.stderr)
        print("invalid: " + summary_line(result.problems), file=sys.stderr)
        return EXIT_INVALID
    output: Path = args.output_dir or (args.project_dir or find_project_dir()) / "deploy"
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
        stale = [name for name, text in documents.items() if _read(output / name) != text]
        for name in stale:
            print(f"{printable(str(output / name))} is not what stack {args.stack} needs", file=sys.stderr)
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
    print(f"wrote {', '.join(documents)} in {printable(str(output))} for stack {args.stack}")
    return EXIT_OK


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


# what iam_matrix.cli.COMMANDS names this module for: (configure, run)
COMMANDS = {"deploy-policies": (configure, run)}
