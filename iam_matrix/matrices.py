"""Turn a raw ``Table`` into a matrix: the key column (user or policy), the role columns
found in the header row, and for each row the roles it marks.

Marks are classified once per distinct cell value (pandas.factorize), so a 5,000 x 300
sheet costs one pass over the grid, not 1.5 million Python calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .problems import Location, Problems
from .sheets import Table, is_blank

MARKS = {"y", "yes", "o", "x", "✓", "✔", "true", "1", "1.0"}
NO_MARKS = {"", "n", "no", "-", "false", "0", "0.0"}
MARK_HELP = "use Y for a mark and leave the cell blank (or N) for none"

USER_KEYS = {"user", "users", "username", "user name", "iam user"}
POLICY_KEYS = {"policy", "policies", "policy name", "policyname"}
MFA_HEADER = "mfa"


def classify_mark(value: object) -> bool | None:
    """True for a mark, False for none, None when the cell is neither."""
    if is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in MARKS:
        return True
    if text in NO_MARKS:
        return False
    return None


@dataclass
class MatrixRow:
    key: str
    row: int
    roles: tuple[str, ...]
    mfa: bool = False


@dataclass
class Matrix:
    table: Table
    kind: str  # "user" or "policy"
    header_row: int
    key_col: int
    role_cols: dict[str, int]
    mfa_col: int | None
    rows: list[MatrixRow] = field(default_factory=list)

    def key_location(self, row: MatrixRow) -> Location:
        return self.table.location(row.row, self.key_col)

    def mark_location(self, row: MatrixRow, role: str) -> Location:
        return self.table.location(row.row, self.role_cols[role])

    def mfa_location(self, row: MatrixRow) -> Location:
        return self.table.location(row.row, self.mfa_col if self.mfa_col is not None else self.key_col)

    def role_location(self, role: str) -> Location:
        return self.table.location(self.header_row, self.role_cols[role])


def parse_matrix(table: Table, kind: str, problems: Problems) -> Matrix | None:
    cells = table.cells
    kinds = _mark_kinds(cells)
    filled = kinds != BLANK
    nonblank_rows = np.flatnonzero(filled.any(axis=1))
    what = "user" if kind == "user" else "policy"
    key_names = USER_KEYS if kind == "user" else POLICY_KEYS
    key_title = "User" if kind == "user" else "Policies"
    if nonblank_rows.size == 0:
        problems.error(
            table.location(),
            "matrix-empty",
            f"the {what} matrix is empty",
            f"add a header row ({key_title}, one column per "
            f"role{', MFA' if kind == 'user' else ''}) and one row per {what}",
        )
        return None
    header_row = int(nonblank_rows[0])
    key_col = mfa_col = None
    role_cols: dict[str, int] = {}
    seen: dict[str, int] = {}
    for col in range(cells.shape[1]):
        value = cells[header_row, col]
        if is_blank(value):
            if filled[header_row + 1 :, col].any():
                first = header_row + 1 + int(np.flatnonzero(filled[header_row + 1 :, col])[0])
                problems.error(
                    table.location(header_row, col),
                    "header-blank",
                    f"this column has values (first at {table.location(first, col).cell}) but no header",
                    "write the role name in the header cell, or delete the column",
                )
            continue
        name = str(value).strip()
        lower = name.lower()
        if lower.startswith("#"):
            continue  # a comment column, by convention
        if lower in seen:
            problems.error(
                table.location(header_row, col),
                "header-duplicate",
                f"column {name!r} appears twice (also {table.location(header_row, seen[lower]).cell})",
                "keep one column per role",
            )
            continue
        seen[lower] = col
        if key_col is None and lower in key_names:
            key_col = col
        elif kind == "user" and lower == MFA_HEADER:
            mfa_col = col
        else:
            role_cols[name] = col
    if key_col is None:
        problems.error(
            table.location(header_row, 0),
            "key-missing",
            f"no {key_title!r} column in the header row",
            f"head the column of {what} names {key_title!r}",
        )
        return None
    if kind == "user" and mfa_col is None:
        problems.error(
            table.location(header_row, max(role_cols.values(), default=key_col) + 1),
            "mfa-missing",
            "no MFA column in the user matrix",
            "add a column headed MFA with Y for every user who must use MFA",
        )
    matrix = Matrix(table, kind, header_row, key_col, role_cols, mfa_col)
    _read_rows(matrix, nonblank_rows[1:], kinds, problems)
    return matrix


BLANK, NO_MARK, MARK, INVALID = 0, 1, 2, 3


def _mark_kinds(cells: np.ndarray) -> np.ndarray:
    """Classify every cell as BLANK, NO_MARK, MARK or INVALID with one factorize of the
    grid: each distinct value is classified once."""
    if cells.size == 0:
        return np.zeros(cells.shape, dtype=np.int8)
    codes, uniques = pd.factorize(cells.ravel(), use_na_sentinel=True)
    table = np.fromiter((_kind(u) for u in uniques), dtype=np.int8, count=len(uniques))
    # code -1 (NaN, an empty cell) indexes the BLANK appended at the end
    return np.append(table, BLANK)[codes].reshape(cells.shape)


def _kind(value: object) -> int:
    if is_blank(value):
        return BLANK
    mark = classify_mark(value)
    return INVALID if mark is None else MARK if mark else NO_MARK


def _read_rows(matrix: Matrix, rows: np.ndarray, kinds: np.ndarray, problems: Problems) -> None:
    table = matrix.table
    roles = list(matrix.role_cols)
    cols = [matrix.role_cols[r] for r in roles]
    if matrix.mfa_col is not None:
        cols.append(matrix.mfa_col)
    marks = kinds[np.ix_(rows, cols)] if len(rows) and cols else np.zeros((len(rows), len(cols)), dtype=np.int8)
    for r, c in zip(*np.nonzero(marks == INVALID)):
        value = table.cells[rows[r], cols[c]]
        problems.error(
            table.location(int(rows[r]), cols[c]), "mark-invalid", f"{str(value).strip()!r} is not a mark", MARK_HELP
        )
    n_roles = len(roles)
    marked_rows, marked_cols = np.nonzero(marks[:, :n_roles] == MARK)
    per_row: dict[int, list[str]] = {}
    for r, c in zip(marked_rows.tolist(), marked_cols.tolist()):
        per_row.setdefault(r, []).append(roles[c])
    mfa = marks[:, n_roles] == MARK if matrix.mfa_col is not None else np.zeros(len(rows), dtype=bool)
    keys = table.cells[rows, matrix.key_col] if len(rows) else np.empty(0, dtype=object)
    for i, sheet_row in enumerate(rows.tolist()):
        key = keys[i]
        if is_blank(key):
            if i in per_row or mfa[i]:
                what = "user name" if matrix.kind == "user" else "policy name"
                problems.error(
                    table.location(sheet_row, matrix.key_col),
                    "key-blank",
                    f"this row has marks but no {what}",
                    f"write the {what} in this cell, or delete the row",
                )
            continue
        name = key if isinstance(key, str) else _plain(key)
        matrix.rows.append(MatrixRow(name.strip(), sheet_row, tuple(per_row.get(i, ())), bool(mfa[i])))


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
