"""Read the matrix files into ``Table``s: a grid of raw cell values that remembers which
file, sheet and cell every value came from.

CSV is read with pandas' C parser. xlsx is read with python-calamine, the engine behind
``pandas.read_excel(engine="calamine")``, called directly: pandas would parse each sheet
twice (values, then merged ranges) and convert every cell in Python, tripling the time
for a 5,000 x 300 sheet. What calamine cannot tell us - formula cells that were never
calculated - is looked up with openpyxl, only when the workbook has formulas at all.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

from .problems import Location, Problems, cell_name

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
    if not path.is_file():
        problems.error(where, "file-missing", f"file not found ({path})", "check the path in the stack config or on the command line")
        return None
    try:
        frame = pd.read_csv(
            path,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",  # Excel writes a BOM in "CSV UTF-8"
        )
    except UnicodeDecodeError:
        if path.read_bytes()[:4] == b"PK\x03\x04":  # a zip: an .xlsx given where a CSV belongs
            problems.error(where, "file-encoding", "this is an Excel workbook, not a CSV file", "set iam-matrix:workbook (or pass --workbook) for a workbook with Users and Policies sheets, or save each sheet as CSV UTF-8")
        else:
            problems.error(where, "file-encoding", "the file is not UTF-8 text", 'save it from your spreadsheet as "CSV UTF-8"')
        return None
    except pd.errors.EmptyDataError:
        problems.error(where, "file-empty", "the file is empty", "add a header row and one row per entry")
        return None
    except pd.errors.ParserError as error:
        line = re.search(r"line (\d+)", str(error))
        cell = f"row {line.group(1)}" if line else None
        problems.error(Location(display, None, cell), "file-csv", f"the CSV cannot be parsed ({error})", "every row must have the same number of comma-separated fields as the header; quote values that contain commas")
        return None
    return Table(display, None, frame.to_numpy(dtype=object))


def read_workbook(path: Path, problems: Problems, display: str | None = None) -> dict[str, Table]:
    """The Users and Policies sheets (names matched case-insensitively); other sheets are
    left alone so a workbook can carry notes, lists for dropdowns or a change log."""
    display = display or path.name
    where = Location(display)
    if not path.is_file():
        problems.error(where, "file-missing", f"file not found ({path})", "check the path in the stack config or on the command line")
        return {}
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own types for every kind of bad file
        problems.error(where, "file-xlsx", f"not a readable Excel workbook ({error})", "save it as .xlsx from Excel or LibreOffice")
        return {}
    tables: dict[str, Table] = {}
    by_lower = {name.strip().lower(): name for name in book.sheet_names}
    formulas = _uncalculated_formulas(path, [by_lower.get(n.lower()) for n in (USERS_SHEET, POLICIES_SHEET)])
    for wanted in (USERS_SHEET, POLICIES_SHEET):
        actual = by_lower.get(wanted.lower())
        if actual is None:
            problems.error(where, "sheet-missing", f"no sheet named {wanted!r} (sheets: {', '.join(book.sheet_names)})", f"name the {wanted.lower()} matrix sheet {wanted!r}")
            continue
        sheet = book.get_sheet_by_name(actual)  # parses the sheet: once
        table = Table(display, actual, _grid(sheet.to_python(skip_empty_area=False)))
        for (r1, c1), (r2, c2) in sheet.merged_cell_ranges or []:
            ref = f"{cell_name(r1, c1)}:{cell_name(r2, c2)}"
            problems.error(Location(display, actual, ref), "merged-cells", f"merged cells {ref}: only the first cell holds a value, so the others would silently read as blank", "unmerge them and fill every cell")
        for row, col in formulas.get(actual, ()):
            if not _present(table, row, col):
                problems.error(table.location(row, col), "formula-uncalculated", "formula with no saved result (the file was written by a program that does not calculate)", "open the workbook in Excel or LibreOffice and save it, or type the value")
        tables[wanted] = table
    return tables


def _grid(rows: list[list[object]]) -> np.ndarray:
    """Rows of cell values as a rectangular object array (short rows padded with blanks)."""
    width = max((len(r) for r in rows), default=0)
    grid = np.full((len(rows), width), "", dtype=object)
    for i, row in enumerate(rows):
        grid[i, : len(row)] = row
    return grid


def _present(table: Table, row: int, col: int) -> bool:
    if row >= table.cells.shape[0] or col >= table.cells.shape[1]:
        return False
    return not is_blank(table.cells[row, col])


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip())


_FORMULA = re.compile(rb"<f[ >/]")


def _uncalculated_formulas(path: Path, sheets: list[str | None]) -> dict[str, list[tuple[int, int]]]:
    """Formula cells of the given sheets, found with openpyxl - but only opened when some
    worksheet part of the archive contains a formula, which large exported sheets rarely do."""
    try:
        with zipfile.ZipFile(path) as archive:
            has_formula = any(_FORMULA.search(archive.read(name)) for name in archive.namelist() if name.startswith("xl/worksheets/") and name.endswith(".xml"))
    except (zipfile.BadZipFile, OSError):
        return {}
    if not has_formula:
        return {}
    import openpyxl

    found: dict[str, list[tuple[int, int]]] = {}
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        for name in filter(None, sheets):
            cells = found.setdefault(name, [])
            for row in workbook[name].iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        cells.append((cell.row - 1, cell.column - 1))
    finally:
        workbook.close()
    return found
