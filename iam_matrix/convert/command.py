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

from ..cli import EXIT_OK, INVALID_HELP, add_input_options, exit_codes, settings_from_args
from ..problems import Location, MatrixInvalid, Problems
from ..project_files import check_inputs
from ..resolve import load_tables
from ..sheets import Table
from ..writers import OutputFolder, UnsafePath, csv_text, text_rows, workbook_bytes

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
        INVALID_HELP + "; also an --output of the wrong kind, or one that is or goes through a symlink",
    )


def _wrong_kind(output: Path, message: str, fix: str) -> MatrixInvalid:
    problems = Problems()
    problems.error(Location(str(output)), "output-kind", message, fix)
    return MatrixInvalid(problems.items)


def _unsafe(output: Path, error: UnsafePath) -> MatrixInvalid:
    problems = Problems()
    problems.error(Location(str(output)), "output-unsafe", str(error), "write to a real file or folder")
    return MatrixInvalid(problems.items)


def _rows(table: Table) -> list[list[object]]:
    return [list(row) for row in table.cells]


def _shape(table: Table) -> str:
    rows, columns = table.cells.shape
    return f"{table.sheet or table.file} {rows} rows x {columns} columns"


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    problems = Problems()
    # the same reading as the compiler's: nothing through a symlink or from outside the project
    readable = check_inputs(settings.project_dir, settings.values, settings.location, problems)
    users, policies = load_tables(settings, problems) if readable else (None, None)
    if problems.errors or users is None or policies is None:
        raise MatrixInvalid(problems.items)  # cli.main prints them and exits 2
    output: Path = args.output
    to_workbook = settings.workbook is None
    if to_workbook and output.suffix.lower() != ".xlsx":
        message = "the matrix is two CSV files, so it converts to a workbook, and this is not an .xlsx file name"
        raise _wrong_kind(output, message, "pass --output NAME.xlsx")
    if not to_workbook and ((output.exists() and not output.is_dir()) or output.suffix.lower() in (".xlsx", ".csv")):
        message = "the matrix is a workbook, so it converts to two CSV files in a folder, and this names a file"
        raise _wrong_kind(output, message, f"pass --output FOLDER (it receives {USERS_CSV} and {POLICIES_CSV})")
    try:
        if to_workbook:
            written = [OutputFolder(output.parent).write(output.name, workbook_bytes(_rows(users), _rows(policies)))]
        else:
            folder = OutputFolder(output)
            written = [
                folder.write(USERS_CSV, csv_text(text_rows(_rows(users)))),
                folder.write(POLICIES_CSV, csv_text(text_rows(_rows(policies)))),
            ]
    except UnsafePath as error:
        raise _unsafe(output, error) from None
    print(f"wrote {', '.join(map(str, written))} ({_shape(users)}; {_shape(policies)})", file=sys.stderr)
    return EXIT_OK


# what iam_matrix.cli.COMMANDS names this module for: (configure, run)
COMMANDS = {"convert": (configure, run)}
