"""``python -m iam_matrix adopt``: read an existing account, write the matrix that describes it.

``adopt`` (the function) does the work on a snapshot, so tests and the benchmark run it
without AWS; ``handle`` only gathers the snapshot with the audit's reader (a handful of
requests whatever the size of the account) and prints the summary. See docs/adopt.md.

Exit codes: 0 written (review adopt/residue.txt), 2 bad arguments or an unsafe output folder,
3 AWS could not be reached or refused a call.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..audit.snapshot import Snapshot
from ..catalog import load_catalog
from ..cli import EXIT_INVALID, EXIT_OK, exit_codes
from ..compiler import CompileResult, check
from ..desired import DesiredState
from ..problems import MatrixInvalid
from ..settings import find_project_dir, load_stack_settings, locate_project, stack_region
from ..writers import OutputFolder, UnsafePath
from .draft import Draft, draft_from_snapshot
from .files import IMPORT_FILE, RESIDUE_JSON, RESIDUE_TEXT, write_draft, write_json
from .first_up import ACCOUNT_FILE, account_json, first_up
from .import_plan import ImportPlan
from .residue import Residue, residue_json, residue_text, shown


@dataclass
class AdoptResult:
    output: Path
    draft: Draft
    compiled: CompileResult
    plan: ImportPlan | None
    residue: list[Residue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def state(self) -> DesiredState | None:
        return self.compiled.state


def _compile_residue(compiled: CompileResult) -> list[Residue]:
    return [
        Residue(
            "validate",
            str(p.location),
            f"validate {p.severity}: {p.message} ({p.code})",
            "the up refuses to run" if p.severity == "error" else "nothing; validate and the up print it as a warning",
            p.fix,
            blocking=p.severity == "error",
        )
        for p in compiled.problems
    ]


def adopt(
    snapshot: Snapshot, output: Path, *, stack: str = "dev", workbook: bool = False, project_dir: Path | None = None
) -> AdoptResult:
    """Draft, write, check by compiling what was written, plan the import, write the reports."""
    project_dir = find_project_dir(project_dir)
    folder = OutputFolder(output)
    draft = draft_from_snapshot(snapshot, stack, load_catalog())
    write_draft(draft, folder, workbook=workbook, project_yaml=project_dir / "Pulumi.yaml")
    folder.write(ACCOUNT_FILE, account_json(snapshot))  # what plan compares the matrix with (first_up)
    settings = load_stack_settings(folder.root, stack)
    compiled = check(settings)
    residue = list(draft.residue) + _compile_residue(compiled)
    plan = None
    if compiled.state is not None:
        plan, changes = first_up(compiled.state, snapshot)
        write_json(folder, IMPORT_FILE, plan.document)
        residue += changes
    summary = {
        "account_id": snapshot.account_id,
        "stack": stack,
        "roles": len(draft.roles),
        "users": len(draft.users),
        "custom_policies": len(draft.policies),
        "valid": compiled.state is not None,
        "import_file": IMPORT_FILE if plan else None,
        "left_out_of_import": plan.left_out if plan else [],
        "review_first": sum(e.blocking for e in residue),
    }
    header = [
        f"iam-matrix adopt: account {snapshot.account_id}, stack {stack}",
        f"{len(draft.users)} users, {len(draft.roles)} roles from {len(snapshot.groups)} groups, "
        f"{len(draft.policies)} custom policy documents",
        "",
    ]
    folder.write(RESIDUE_TEXT, residue_text(residue, header))
    folder.write(RESIDUE_JSON, residue_json(residue, summary))
    return AdoptResult(folder.root, draft, compiled, plan, residue, list(folder.written))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack", default="dev", metavar="NAME", help="stack name for the drafted Pulumi.<stack>.yaml (default: dev)"
    )
    parser.add_argument("--profile", help="AWS profile (default: the standard chain, e.g. AWS_PROFILE)")
    parser.add_argument(
        "--region",
        help="the stack's aws:region (default: aws:region of Pulumi.<stack>.yaml in the current project, "
        "AWS_REGION, the profile, then us-east-1)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder to write the draft project into (created; must be empty or a previous adopt's)",
    )
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="matrix format (default: csv)")
    parser.epilog = exit_codes(
        "0  the draft is written: review adopt/residue.txt, then pulumi import --file adopt/import.json",
        "2  bad arguments, or an output folder that is not empty, is a symlink or would be left",
        "3  AWS could not be reached or refused a call (the action is named)",
    )


def _usable(output: Path) -> str | None:
    if output.is_symlink():
        return f"{output} is a symlink; give a real folder"
    if output.exists() and not output.is_dir():
        return f"{output} is not a folder"
    if output.is_dir() and any(output.iterdir()) and not (output / RESIDUE_JSON).is_file():
        return f"{output} is not empty; adopt writes into an empty folder (or over its own earlier output)"
    return None


def _stack_region(stack: str) -> str | None:
    """``aws:region`` of the stack file when adopt runs in a project that has one, as the audit reads it."""
    try:
        return stack_region(locate_project(None), stack)
    except MatrixInvalid:  # not inside a project: AWS's own chain decides
        return None


def handle(args: argparse.Namespace) -> int:
    problem = _usable(args.output)
    if problem:
        print(f"adopt: {shown(problem)}", file=sys.stderr)
        return EXIT_INVALID
    from ..audit.command import read_live_account

    region = args.region or _stack_region(args.stack)
    _, snapshot = read_live_account("adopt", args.profile, region, roles=True)
    try:
        result = adopt(snapshot, args.output, stack=args.stack, workbook=args.format == "xlsx", project_dir=None)
    except (UnsafePath, MatrixInvalid) as error:
        print(f"adopt: {shown(error)}", file=sys.stderr)
        return EXIT_INVALID
    review = sum(e.blocking for e in result.residue)
    print(
        f"wrote {len(result.files)} files to {args.output} ({snapshot.requests} AWS requests): "
        f"{len(result.draft.users)} users, "
        f"{len(result.draft.roles)} roles, {len(result.draft.policies)} custom policies",
        file=sys.stderr,
    )
    print(
        f"review {args.output / RESIDUE_TEXT} first: {review} entries change or remove something on the first up",
        file=sys.stderr,
    )
    if result.plan is not None:
        print(
            f"then: pulumi import --file {args.output / IMPORT_FILE} --generate-code=false --protect=false",
            file=sys.stderr,
        )
    else:
        print("the draft does not validate yet (see the residue report); no import file was written", file=sys.stderr)
    return EXIT_OK


# what iam_matrix.cli.COMMANDS names this module for: (configure, run)
COMMANDS = {"adopt": (configure, handle)}
