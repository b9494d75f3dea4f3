"""``iam-matrix convert``: the stack's matrix in the other form.

A stack that reads two CSV files gets a workbook (``--output FILE.xlsx``); a stack (or
``--workbook``) that reads a workbook gets its Users and Policies sheets as ``users.csv``
and ``policies.csv`` in a folder (``--output DIR``). The tables are read by the same code
the compiler uses, so the converted matrix compiles to the same desired state.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import EXIT_INVALID, EXIT_OK, INVALID_HELP, add_input_options, exit_codes, settings_from_args
from ..compiler import load_tables
from ..problems import Location, MatrixInvalid, Problem, Problems
from ..render import problems_text, summary_line
from ..sheets import Table
from .write import write_csv, write_workbook

USERS_CSV, POLICIES_CSV = "users.csv", "policies.csv"


def configure(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument(
        "--output",
        type=Path,
        required=True,
        metavar="PATH",
        help="required: FILE.xlsx when the matrix is two CSV files; a folder (made if missing) for "
        f"{USERS_CSV} and {POLICIES_CSV} when it is a workbook. Existing files there are replaced",
    )
    parser.epilog = exit_codes(
        "0  written (the files are named on stderr); run iam-matrix validate on the result as on any edit",
        INVALID_HELP + "; also an --output of the wrong kind or a symlink",
    )


def _refuse_symlink(path: Path) -> None:
    if path.is_symlink():
        raise MatrixInvalid(
            [
                Problem(
                    Location(str(path)),
                    "output-symlink",
                    "the output is a symbolic link",
                    "write to a real file or folder",
                )
            ]
        )


def _shape(table: Table) -> str:
    rows, columns = table.cells.shape
    return f"{table.sheet or table.file} {rows} rows x {columns} columns"


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    problems = Problems()
    users, policies = load_tables(settings, problems)
    if problems.errors or users is None or policies is None:
        print(problems_text(problems.errors), file=sys.stderr)
        print("invalid: " + summary_line(problems.items), file=sys.stderr)
        return EXIT_INVALID
    output: Path = args.output
    _refuse_symlink(output)
    if settings.workbook is None:
        if output.suffix.lower() != ".xlsx":
            raise MatrixInvalid(
                [
                    Problem(
                        Location(str(output)),
                        "output-kind",
                        "the matrix is two CSV files, so it converts to a workbook, and this is not an .xlsx file name",
                        "pass --output NAME.xlsx",
                    )
                ]
            )
        output.parent.mkdir(parents=True, exist_ok=True)
        write_workbook(users, policies, output)
        written = [output]
    else:
        if (output.exists() and not output.is_dir()) or output.suffix.lower() in (".xlsx", ".csv"):
            raise MatrixInvalid(
                [
                    Problem(
                        Location(str(output)),
                        "output-kind",
                        "the matrix is a workbook, so it converts to two CSV files in a folder, and this names a file",
                        f"pass --output FOLDER (it receives {USERS_CSV} and {POLICIES_CSV})",
                    )
                ]
            )
        output.mkdir(parents=True, exist_ok=True)
        written = [output / USERS_CSV, output / POLICIES_CSV]
        for path in written:
            _refuse_symlink(path)
        write_csv(users, written[0])
        write_csv(policies, written[1])
    print(f"wrote {', '.join(map(str, written))} ({_shape(users)}; {_shape(policies)})", file=sys.stderr)
    return EXIT_OK


COMMAND = (
    "convert",
    "write the stack's matrix in the other form: two CSV files -> one workbook, or a workbook -> two CSV files",
    configure,
    run,
)
