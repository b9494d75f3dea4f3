"""Write matrix files: CSV and xlsx in the layout the readers (``sheets``) expect, and
every file only inside one output folder. ``iam-matrix convert`` and ``adopt`` write with it.

The workbook is made to be edited and printed: header row and key column frozen, a Y/N
dropdown over every role and MFA column down to the last row Excel has (and over every
column right of the table, so a role column added later gets one), a note on the key and
MFA headers, a ReadMe sheet, the header row repeated on every printed page, landscape, fit
to one page wide. A cell is never a formula (text starting with "=" stays text). The same
rows always give the same bytes: fixed document timestamps and zip entry dates, so
rebuilding an unchanged workbook never shows as a changed binary in git.

``OutputFolder`` refuses a relative path that leaves it and never follows a symlink (an
existing one anywhere on the way, or at the file itself, is an error), because names that
end up in these paths can come from an AWS account.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from .matrices import MFA_HEADER, POLICY_KEYS, USER_KEYS
from .problems import cell_name, column_letter
from .sheets import POLICIES_SHEET, USERS_SHEET, is_blank

Rows = Sequence[Sequence[object]]

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


def header_row(rows: Rows) -> int:
    """The first row with a value: the header row, as the matrix reader finds it."""
    for index, row in enumerate(rows):
        if any(not is_blank(value) for value in row):
            return index
    return 0


def workbook_bytes(users: Rows, policies: Rows) -> bytes:
    """The Users and Policies sheets and a ReadMe sheet; identical bytes for identical rows."""
    book = Workbook()
    book.remove(book.active)
    for title, rows, keys in ((USERS_SHEET, users, USER_KEYS), (POLICIES_SHEET, policies, POLICY_KEYS)):
        _add_sheet(book.create_sheet(title), [list(row) for row in rows], keys, KEY_NOTES[title])
    readme = book.create_sheet("ReadMe")
    for line in README_LINES:
        readme.append([line])
    readme.column_dimensions["A"].width = max(map(len, README_LINES)) + 2
    book.properties.creator = NOTE_AUTHOR
    book.properties.lastModifiedBy = NOTE_AUTHOR
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    return _archive(book)


def _archive(book: Workbook) -> bytes:
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


def _add_sheet(sheet: Worksheet, rows: list[list[object]], key_names: set[str], key_note: str) -> None:
    top = header_row(rows)
    width = max((len(row) for row in rows), default=0)
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if not is_blank(value):
                cell = sheet.cell(row=r, column=c, value=value)
                if cell.data_type == "f":  # text that starts with "=" stays text: never a formula
                    cell.data_type = "s"
    header = rows[top] if rows else []
    headers = [str(header[c]).strip() if c < len(header) and not is_blank(header[c]) else "" for c in range(width)]
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
    keys = [len(str(row[key_col])) for row in rows if key_col < len(row) and not is_blank(row[key_col])]
    sheet.column_dimensions[column_letter(key_col)].width = max(keys, default=8) + 2
    for c in mark_cols:
        sheet.column_dimensions[column_letter(c)].width = max(len(headers[c]) + 3, 6)
        for r in range(top + 2, len(rows) + 1):
            sheet.cell(row=r, column=c + 1).alignment = Alignment(horizontal="center")
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


def csv_text(rows: Sequence[Sequence[str]]) -> str:
    """UTF-8 CSV text (``\n`` line ends) of rows of text."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def text_rows(rows: Rows) -> list[list[str]]:
    """Rows of cell values as the text a CSV holds, trailing blank rows and columns dropped."""
    texts = [[cell_text(value) for value in row] for row in rows]
    while texts and not any(texts[-1]):
        texts.pop()
    width = max((max((i + 1 for i, text in enumerate(row) if text), default=0) for row in texts), default=0)
    return [row[:width] + [""] * (width - len(row)) for row in texts]


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


class UnsafePath(Exception):
    """A path that would leave the output folder or go through a symlink."""


class OutputFolder:
    """Files written below ``root`` only."""

    def __init__(self, root: Path) -> None:
        if root.is_symlink():
            raise UnsafePath(f"{root} is a symlink; give a real folder")
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()
        self.written: list[str] = []

    def path(self, relative: str) -> Path:
        """``root / relative``, after checking that no part leaves the folder or is a symlink."""
        parts = tuple(relative.split("/"))
        if (
            not relative
            or PurePosixPath(relative).is_absolute()
            or any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts)
        ):
            raise UnsafePath(f"{relative!r} is not a plain relative path inside {self.root}")
        here = self.root
        for part in parts[:-1]:
            here = here / part
            if here.is_symlink():
                raise UnsafePath(f"{here} is a symlink; iam-matrix does not write through symlinks")
            if not here.exists():
                here.mkdir()
            elif not here.is_dir():
                raise UnsafePath(f"{here} is not a folder")
        target = here / parts[-1]
        if target.is_symlink():
            raise UnsafePath(f"{target} is a symlink; iam-matrix does not write through symlinks")
        return target

    def write(self, relative: str, data: str | bytes) -> Path:
        target = self.path(relative)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(target, flags, 0o644)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
        self.written.append(relative)
        return target
