"""Read the matrix files into ``Table``s: a grid of raw cell values that remembers which
file, sheet and cell every value came from.

CSV is read with pandas' C parser. xlsx is read with python-calamine, the engine behind
``pandas.read_excel(engine="calamine")``, called directly: pandas would parse each sheet
twice (values, then merged ranges) and convert every cell in Python, tripling the time
for a 5,000 x 300 sheet. Before calamine sees a workbook, ``workbook_guard`` bounds what
it will cost and finds what calamine cannot tell us (error values, formulas never
calculated, values linked from another workbook).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

from .input_files import MAX_CSV_BYTES, MAX_WORKBOOK_BYTES, InputFileError, clip, decode_utf8, read_regular_file
from .problems import Location, Problems, cell_name
from .workbook_guard import (
    EXCEL_COLS,
    EXCEL_ROWS,
    MAX_REPORTED_CELLS,
    OLE_MAGIC,
    SheetFacts,
    WorkbookRefused,
    inspect_workbook,
)

USERS_SHEET = "Users"
POLICIES_SHEET = "Policies"


@dataclass
class Table:
    """Raw cell values of one sheet; ``cells[r, c]`` is sheet row r, column c (0-based)."""

    file: str
    sheet: str | None
    cells: np.ndarray

    def location(self, row: int | None = None, col: int | None = None) -> Location:
        if row is None or col is None:
            return Location(self.file, self.sheet, None)
        return Location(self.file, self.sheet, cell_name(row, col))


def read_csv(path: Path, problems: Problems, display: str | None = None) -> Table | None:
    display = display or path.name
    where = Location(display)
    try:
        data = read_regular_file(path, MAX_CSV_BYTES)
    except InputFileError as error:
        problems.error(where, error.code, error.message, error.fix)
        return None
    if data[:4] == b"PK\x03\x04" or data[:8] == OLE_MAGIC:  # a workbook given where a CSV belongs
        problems.error(
            where,
            "file-encoding",
            "this is an Excel workbook, not a CSV file",
            "set iam-matrix:workbook (or pass --workbook) for a workbook "
            "with Users and Policies sheets, or save each sheet as CSV UTF-8",
        )
        return None
    try:
        text = decode_utf8(data)  # Excel writes a BOM in "CSV UTF-8"
    except InputFileError:
        problems.error(
            where, "file-encoding", "the file is not UTF-8 text", 'save it from your spreadsheet as "CSV UTF-8"'
        )
        return None
    separator = _other_separator(text)
    if separator is not None:
        problems.error(
            Location(display, None, "row 1"),
            "file-csv-separator",
            f"this looks like a {separator}-separated file, not comma-separated",
            "save it as CSV UTF-8 (comma delimited); Excel uses ; where the decimal separator is a comma",
        )
        return None
    if text[: text.find("\n") if "\n" in text else len(text)].count(",") >= WIDE_CSV_FIELDS:
        return _read_wide_csv(text, display, problems)
    try:
        frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        problems.error(where, "file-empty", "the file is empty", "add a header row and one row per entry")
        return None
    except pd.errors.ParserError as error:
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
        if ragged:
            expected, line, saw = ragged.groups()
            problems.error(
                Location(display, None, f"row {line}"),
                "file-csv",
                f"row {line} has {saw} fields but the rows above have {expected}",
                "every row must have as many comma-separated fields as the header; quote values that contain commas",
            )
        else:
            line = re.search(r"line (\d+)", str(error))
            problems.error(
                Location(display, None, f"row {line.group(1)}" if line else None),
                "file-csv",
                f"the CSV cannot be parsed ({clip(str(error))})",
                "every row must have the same number of comma-separated "
                "fields as the header; quote values that contain commas",
            )
        return None
    if frame.shape[0] > EXCEL_ROWS or frame.shape[1] > EXCEL_COLS:
        problems.error(
            where,
            "file-too-large",
            f"{frame.shape[0]:,} rows x {frame.shape[1]:,} columns; at "
            f"most {EXCEL_ROWS:,} x {EXCEL_COLS:,} (Excel's grid) are read",
            "split the matrix",
        )
        return None
    table = Table(display, None, frame.to_numpy(dtype=object))
    if "#" in text:  # every error literal starts with #
        _check_error_values(table, problems)
    return table


WIDE_CSV_FIELDS = 512  # from this many header fields, the csv module (row by row) beats pandas (column by column)


def _read_wide_csv(text: str, display: str, problems: Problems) -> Table | None:
    """A CSV with very many columns, read with the csv module: pandas builds one column
    object per field, seconds for a 16,000-column header. Same rules as the pandas path."""
    rows: list[list[str]] = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
            if rows and len(row) > len(rows[0]):
                problems.error(
                    Location(display, None, f"row {number}"),
                    "file-csv",
                    f"row {number} has {len(row)} fields but the rows above have {len(rows[0])}",
                    "every row must have as many comma-separated fields "
                    "as the header; quote values that contain commas",
                )
                return None
            rows.append(row)
            if len(rows) * len(rows[0]) > WIDE_CSV_CELLS:
                problems.error(
                    Location(display), "file-too-large", f"more than {WIDE_CSV_CELLS:,} cells", "split the matrix"
                )
                return None
    except csv.Error as error:
        problems.error(
            Location(display),
            "file-csv",
            f"the CSV cannot be parsed ({clip(str(error))})",
            "quote values that contain commas or line breaks",
        )
        return None
    if len(rows[0]) > EXCEL_COLS:
        problems.error(
            Location(display),
            "file-too-large",
            f"{len(rows[0]):,} columns; at most {EXCEL_COLS:,} (Excel's grid) are read",
            "split the matrix",
        )
        return None
    table = Table(display, None, _grid(rows))
    if "#" in text:
        _check_error_values(table, problems)
    return table


WIDE_CSV_CELLS = 20_000_000
_SEPARATORS = (";", "\t", "|")


def _other_separator(text: str) -> str | None:
    """``;``, tab or ``|`` when the header line holds one of them and no comma."""
    first = next((line for line in text[:65536].splitlines() if line.strip()), "")
    if "," in first:
        return None
    counts = {sep: first.count(sep) for sep in _SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return {"\t": "tab"}.get(best, best) if counts[best] else None


def read_workbook(path: Path, problems: Problems, display: str | None = None) -> dict[str, Table]:
    """The Users and Policies sheets (names matched after trimming and case folding); other
    sheets are left alone - never parsed - so a workbook can carry notes, lists for
    dropdowns or a change log. ``workbook_guard`` inspects the archive first."""
    display = display or path.name
    where = Location(display)
    try:
        data = read_regular_file(path, MAX_WORKBOOK_BYTES)
        inspection = inspect_workbook(data, (USERS_SHEET, POLICIES_SHEET))
    except InputFileError as error:
        problems.error(where, error.code, error.message, error.fix)
        return {}
    except WorkbookRefused as refused:
        problems.error(Location(display, refused.sheet), refused.code, refused.message, refused.fix)
        return {}
    for refused in inspection.problems:
        problems.error(Location(display, refused.sheet), refused.code, refused.message, refused.fix)
    for wanted in inspection.missing:
        sheets = clip(", ".join(inspection.sheet_names), 200)
        problems.error(
            where,
            "sheet-missing",
            f"no sheet named {wanted!r} (sheets: {sheets})",
            f"name the {wanted.lower()} matrix sheet {wanted!r}",
        )
    if not inspection.sheets:
        return {}
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as error:  # calamine raises its own types for every kind of bad file
        problems.error(
            where,
            "file-xlsx",
            f"not a readable Excel workbook ({clip(str(error))})",
            "save it as .xlsx from Excel or LibreOffice",
        )
        return {}
    tables: dict[str, Table] = {}
    for wanted, facts in inspection.sheets.items():
        actual = facts.name
        try:
            sheet = book.get_sheet_by_name(actual)  # parses the sheet: once
            table = Table(display, actual, _grid(sheet.to_python(skip_empty_area=False)))
            merged = sheet.merged_cell_ranges or []
        except Exception as error:
            problems.error(
                Location(display, actual),
                "file-xlsx",
                f"the sheet cannot be read ({clip(str(error))})",
                "save the workbook again from Excel or LibreOffice",
            )
            continue
        for (r1, c1), (r2, c2) in merged:
            ref = f"{cell_name(r1, c1)}:{cell_name(r2, c2)}"
            problems.error(
                Location(display, actual, ref),
                "merged-cells",
                f"merged cells {ref}: only the first cell holds a value, so the others would silently read as blank",
                "unmerge them and fill every cell",
            )
        _report_notes(table, facts, problems)
        if facts.has_hash:  # every error literal starts with #
            _check_error_values(table, problems)
        tables[wanted] = table
    return tables


def _report_notes(table: Table, facts: SheetFacts, problems: Problems) -> None:
    """The cells ``workbook_guard`` found that calamine reads as blank or as a stale value."""
    for note in facts.notes:
        where, detail = table.location(note.row, note.col), clip(note.detail, 160)
        if note.kind == "error":
            problems.error(
                where,
                "cell-error",
                f"the cell holds the Excel error {detail}; it would read as blank",
                "fix the formula or type the value",
            )
        elif note.kind == "external":
            problems.error(
                where,
                "cell-external-link",
                "the value comes from another workbook through an external "
                f"link ({detail}); it can change without this file changing",
                "type the value instead of linking it",
            )
        else:
            problems.error(
                where,
                "formula-uncalculated",
                "formula with no saved result (the file was written by a program that does not calculate)",
                "open the workbook in Excel or LibreOffice and save it, or type the value",
            )
    codes = {"error": "cell-error", "external": "cell-external-link", "uncalculated": "formula-uncalculated"}
    fixes = {
        "error": "fix the formulas or type the values",
        "external": "type the values instead of linking them",
        "uncalculated": "open the workbook in Excel or LibreOffice and save it",
    }
    for kind, count in facts.counts.items():
        listed = sum(1 for note in facts.notes if note.kind == kind)
        if count > listed:
            problems.more(table.location(), codes[kind], count - listed, fixes[kind])


EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#PYTHON!",
        "#EXTERNAL!",
    }
)


def _check_error_values(table: Table, problems: Problems) -> None:
    """An Excel error value typed or exported as text (``#N/A`` in a CSV) is an error at its
    cell wherever it is: as a mark it would read as no mark, as a header as a comment."""
    cells = table.cells
    if cells.size == 0:
        return
    codes, uniques = pd.factorize(cells.ravel(), use_na_sentinel=True)
    bad = [i for i, value in enumerate(uniques) if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS]
    if not bad:
        return
    positions = np.flatnonzero(np.isin(codes, bad))
    for flat in positions[:MAX_REPORTED_CELLS].tolist():
        row, col = divmod(flat, cells.shape[1])
        problems.error(
            table.location(row, col),
            "cell-error",
            f"the cell holds the Excel error {clip(str(cells[row, col]).strip(), 40)}",
            "fix the formula in the spreadsheet, or type the value, and export again",
        )
    if len(positions) > MAX_REPORTED_CELLS:
        problems.more(
            table.location(), "cell-error", len(positions) - MAX_REPORTED_CELLS, "fix the formulas and export again"
        )


def _grid(rows: list[list[object]]) -> np.ndarray:
    """Rows of cell values as a rectangular object array (short rows padded with blanks)."""
    lengths = set(map(len, rows))
    width = max(lengths, default=0)
    if len(lengths) <= 1:  # calamine's rows always are: one pass, no per-row slices
        return np.fromiter(chain.from_iterable(rows), dtype=object, count=len(rows) * width).reshape(len(rows), width)
    grid = np.full((len(rows), width), "", dtype=object)
    for i, row in enumerate(rows):
        grid[i, : len(row)] = row
    return grid


def is_blank(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )
