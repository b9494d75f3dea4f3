"""Build matrix/iam-matrix.xlsx from the two CSV matrices, made pleasant to edit:
frozen header row and key column, a Y/N dropdown on every mark cell, readable widths.

The CSV files stay the reviewed source of the example; run this after editing them.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

ROOT = Path(__file__).resolve().parents[1]
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def add_sheet(workbook: Workbook, title: str, rows: list[list[str]]) -> None:
    sheet = workbook.create_sheet(title)
    for row in rows:
        sheet.append(row)
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


def build(users_csv: Path, policies_csv: Path, output: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, path in (("Users", users_csv), ("Policies", policies_csv)):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            add_sheet(workbook, title, list(csv.reader(handle)))
    readme = workbook.create_sheet("ReadMe")
    for line in (
        "iam-matrix access matrix",
        "Users: one row per IAM user; Y in each role column the user belongs to; Y in MFA if MFA is required.",
        "Policies: one row per policy (AWS managed name, full ARN, or a custom policy in policies/); Y in each role that gets it.",
        "Role columns are matched by name between the two sheets; columns headed with # are comments.",
        "Check your change with: python -m iam_matrix validate --workbook matrix/iam-matrix.xlsx",
    ):
        readme.append([line])
    workbook.save(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=Path, default=ROOT / "matrix" / "users.csv")
    parser.add_argument("--policies", type=Path, default=ROOT / "matrix" / "policies.csv")
    parser.add_argument("--output", type=Path, default=ROOT / "matrix" / "iam-matrix.xlsx")
    args = parser.parse_args()
    build(args.users, args.policies, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
