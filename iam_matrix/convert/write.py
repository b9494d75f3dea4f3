"""Write the raw matrix tables as a workbook or as CSV files, for ``iam-matrix convert``.

The tables come from the core's own readers (``sheets``), so a conversion carries exactly
what the compiler would read, comment columns and unknown marks included (``validate``
judges them, not the converter).

The workbook is made to be edited and printed: header row and key column frozen, a Y/N
dropdown over every role and MFA column down to the last row Excel has (and over every
column right of the table, so a role column added later gets one), a note on the key and
MFA headers, the header row repeated on every printed page, landscape, fit to one page
wide. The same tables always give the same bytes: fixed document timestamps and zip entry
dates, so rebuilding an unchanged workbook never shows as a changed binary in git.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime, time
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..matrices import MFA_HEADER, POLICY_KEYS, USER_KEYS
from ..problems import cell_name, column_letter
from ..sheets import POLICIES_SHEET, USERS_SHEET, Table, is_blank

# Document timestamps and zip entry dates of every workbook written (the zip format's epoch).
FIXED_TIME = datetime(1980, 1, 1)
EXCEL_LAST_ROW = 1_048_576
EXCEL_LAST_COLUMN = "XFD"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
NOTE_AUTHOR = "iam-matrix"
KEY_NOTES = {
    USERS_SHEET: "One row per IAM user: the user name. Y in each role column the user belongs to. "
    "Role columns are matched by name with the Policies sheet; a header starting with # is a comment column.",
    POLICIES_SHEET: "One row per policy: an AWS managed policy name, a full policy ARN, or a custom policy "
    "policies/<path>/<Name>.json. Y in each role column that gets it.",
}
MFA_NOTE = "Y: the user must use MFA. Leave blank (or N) otherwise."
README_LINES = (
    "iam-matrix access matrix (written by iam-matrix convert)",
    "Users: one row per IAM user; Y in each role column the user belongs to; Y in MFA if MFA is required.",
    "Policies: one row per policy (AWS managed name, full ARN, or a custom policy in policies/); "
    "Y in each role that gets it.",
    "Role columns are matched by name between the two sheets; columns headed with # are comments.",
    "A stack reads either this workbook (iam-matrix:workbook) or two CSV files "
    "(iam-matrix:usersFile and policiesFile), never both.",
    "If your stack reads the CSV files, write them back from this workbook: "
    "iam-matrix convert --workbook THIS.xlsx --output matrix/",
    "Check a change with: iam-matrix validate (and see it with: iam-matrix plan, iam-matrix diff --base HEAD)",
)


def header_row(table: Table) -> int:
    """The first row with a value: the header row, as the matrix reader finds it."""
    for index, row in enumerate(table.cells):
        if any(not is_blank(value) for value in row):
            return index
    return 0


def write_workbook(users: Table, policies: Table, path: Path) -> None:
    """``path``: the Users and Policies sheets and a ReadMe sheet, identical bytes for identical tables."""
    book = Workbook()
    book.remove(book.active)
    for title, table, keys in ((USERS_SHEET, users, USER_KEYS), (POLICIES_SHEET, policies, POLICY_KEYS)):
        _add_sheet(book.create_sheet(title), table, keys, KEY_NOTES[title])
    readme = book.create_sheet("ReadMe")
    for line in README_LINES:
        readme.append([line])
    readme.column_dimensions["A"].width = max(map(len, README_LINES)) + 2
    book.properties.creator = NOTE_AUTHOR
    book.properties.lastModifiedBy = NOTE_AUTHOR
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    path.write_bytes(workbook_bytes(book))


def workbook_bytes(book: Workbook) -> bytes:
    """The .xlsx archive of ``book`` with fixed entry dates. (openpyxl's ``save`` stamps the
    current time into docProps/core.xml and every zip entry; its ExcelWriter does not.)"""
    buffer = io.BytesIO()
    ExcelWriter(book, _FixedDateZip(buffer, "w", ZIP_DEFLATED)).save()
    return buffer.getvalue()


class _FixedDateZip(ZipFile):
    """A zip whose entries all carry FIXED_TIME, whether written from bytes or from a file
    (openpyxl writes worksheets through a temporary file, which would bring its mtime)."""

    def write(self, filename, arcname=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.writestr(arcname or Path(filename).name, Path(filename).read_bytes())

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(zinfo_or_arcname, ZipInfo):
            entry = ZipInfo(zinfo_or_arcname, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            zinfo_or_arcname = entry
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)


def _add_sheet(sheet: Worksheet, table: Table, key_names: set[str], key_note: str) -> None:
    cells = table.cells
    top = header_row(table)
    for r in range(cells.shape[0]):
        for c in range(cells.shape[1]):
            value = cells[r, c]
            if not is_blank(value):
                cell = sheet.cell(row=r + 1, column=c + 1, value=value)
                if cell.data_type == "f":  # text that starts with "=" stays text: no formula from a CSV cell
                    cell.data_type = "s"
    width = cells.shape[1]
    headers = [str(cells[top, c]).strip() if width and not is_blank(cells[top, c]) else "" for c in range(width)]
    key_col = next((c for c, name in enumerate(headers) if name.lower() in key_names), 0)
    mark_cols = [c for c, name in enumerate(headers) if c != key_col and name and not name.startswith("#")]
    for c, name in enumerate(headers):
        cell = sheet.cell(row=top + 1, column=c + 1)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        if c == key_col and name:
            cell.comment = _note(key_note)
        elif name.lower() == MFA_HEADER:
            cell.comment = _note(MFA_NOTE)
    _mark_dropdowns(sheet, mark_cols, width, top)
    sheet.freeze_panes = cell_name(top + 1, key_col + 1)
    keys = [len(str(value)) for value in cells[:, key_col] if not is_blank(value)] if width else []
    sheet.column_dimensions[column_letter(key_col)].width = max(keys, default=8) + 2
    for c in mark_cols:
        letter = column_letter(c)
        sheet.column_dimensions[letter].width = max(len(headers[c]) + 3, 6)
        for r in range(top + 1, cells.shape[0]):
            sheet.cell(row=r + 1, column=c + 1).alignment = Alignment(horizontal="center")
    sheet.print_title_rows = f"{top + 1}:{top + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _mark_dropdowns(sheet: Worksheet, mark_cols: list[int], width: int, top: int) -> None:
    """Y/N over whole columns: each role and MFA column, and every column right of the table."""
    first = top + 2
    ranges = [f"{column_letter(c)}{first}:{column_letter(c)}{EXCEL_LAST_ROW}" for c in mark_cols]
    ranges.append(f"{column_letter(width)}{first}:{EXCEL_LAST_COLUMN}{EXCEL_LAST_ROW}")
    marks = DataValidation(
        type="list",
        formula1='"Y,N"',
        allow_blank=True,
        sqref=" ".join(ranges),
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Mark",
        error="Use Y for a mark and leave the cell blank (or N) for none. iam-matrix validate reports any other value.",
    )
    sheet.add_data_validation(marks)


def _note(text: str) -> Comment:
    note = Comment(text, NOTE_AUTHOR)
    note.width, note.height = 320, 110
    return note


def write_csv(table: Table, path: Path) -> None:
    """``path`` as UTF-8 CSV (no BOM, ``\\n`` line ends); trailing blank rows and columns dropped."""
    rows = [[cell_text(value) for value in row] for row in table.cells]
    while rows and not any(rows[-1]):
        rows.pop()
    width = max((max((i + 1 for i, text in enumerate(row) if text), default=0) for row in rows), default=0)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(row[:width] for row in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def cell_text(value: object) -> str:
    """A workbook cell as the text a CSV holds (Excel's own spelling of booleans)."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if math.isfinite(value) and value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
