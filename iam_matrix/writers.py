"""Write matrix files: CSV and xlsx in the layout the readers (``sheets``) expect, and
every file only inside one output folder.

``scripts/build_example_workbook.py`` builds the shipped example workbook with
``workbook_bytes``; ``adopt`` writes its draft with ``OutputFolder``. The folder refuses a
relative path that leaves it and never follows a symlink (an existing one anywhere on the
way, or at the file itself, is an error), because names that end up in these paths can come
from an AWS account.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
README_LINES = (
    "iam-matrix access matrix",
    "Users: one row per IAM user; Y in each role column the user belongs to; Y in MFA if MFA is required.",
    "Policies: one row per policy (AWS managed name, full ARN, or a custom policy in policies/); Y in each role that gets it.",
    "Role columns are matched by name between the two sheets; columns headed with # are comments.",
    "Check your change with: python -m iam_matrix validate --workbook matrix/iam-matrix.xlsx",
)


class UnsafePath(Exception):
    """A path that would leave the output folder or go through a symlink."""


def csv_text(rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def add_sheet(workbook: Workbook, title: str, rows: Sequence[Sequence[str]]) -> None:
    """One matrix sheet: bold header, frozen header row and key column, a Y/N dropdown on the marks.
    Every value is stored as text, so a name starting with '=' is never a formula."""
    sheet = workbook.create_sheet(title)
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            cell = sheet.cell(row=r, column=c, value=value)
            cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = max(len(r[0]) for r in rows) + 2
    marks = DataValidation(type="list", formula1='"Y,N"', allow_blank=True, showErrorMessage=True, errorTitle="Mark", error="Use Y for a mark, N or blank for none.")
    sheet.add_data_validation(marks)
    last_col = sheet.cell(row=1, column=len(rows[0])).column_letter
    marks.add(f"B2:{last_col}{max(len(rows), 2) + 200}")  # room for new rows
    for col in range(2, len(rows[0]) + 1):
        letter = sheet.cell(row=1, column=col).column_letter
        sheet.column_dimensions[letter].width = max(len(rows[0][col - 1]) + 3, 6)
        for cell in sheet[letter][1:]:
            cell.alignment = Alignment(horizontal="center")


def workbook_bytes(users: Sequence[Sequence[str]], policies: Sequence[Sequence[str]]) -> bytes:
    """A workbook with the Users and Policies sheets and a ReadMe sheet."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    add_sheet(workbook, "Users", users)
    add_sheet(workbook, "Policies", policies)
    readme = workbook.create_sheet("ReadMe")
    for line in README_LINES:
        readme.append([line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


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
        if not relative or PurePosixPath(relative).is_absolute() or any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
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
