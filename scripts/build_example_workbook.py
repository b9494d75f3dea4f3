"""Build matrix/iam-matrix.xlsx from the two CSV matrices, made pleasant to edit:
frozen header row and key column, a Y/N dropdown on every mark cell, readable widths.

The CSV files stay the reviewed source of the example; run this after editing them.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iam_matrix.writers import workbook_bytes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def build(users_csv: Path, policies_csv: Path, output: Path) -> None:
    sheets = []
    for path in (users_csv, policies_csv):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            sheets.append(list(csv.reader(handle)))
    output.write_bytes(workbook_bytes(*sheets))


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
