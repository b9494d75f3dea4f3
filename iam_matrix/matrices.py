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
    over_quota_row: int | None = None  # sheet row of key ``max_keys`` + 1; then ``rows`` are left unread

    def key_location(self, row: MatrixRow) -> Location:
        return self.table.location(row.row, self.key_col)

    def mark_location(self, row: MatrixRow, role: str) -> Location:
        return self.table.location(row.row, self.role_cols[role])

    def mfa_location(self, row: MatrixRow) -> Location:
        return self.table.location(row.row, self.mfa_col if self.mfa_col is not None else self.key_col)

    def role_location(self, role: str) -> Location:
        return self.table.location(self.header_row, self.role_cols[role])


def parse_matrix(table: Table, kind: str, problems: Problems, max_keys: int | None = None) -> Matrix | None:
    """The matrix of ``table``, or None when it has no header to read. When the sheet names
    more than ``max_keys`` different keys (IAM's users quota), nothing else is read: the
    matrix comes back with ``over_quota_row`` set and no rows, so a 1,048,576-row sheet costs
    a walk down its key column to the first key over the quota, not a check of every row."""
    cells = table.cells
    if max_keys is not None and cells.shape[0] > max_keys + 1:
        over = _first_key_over(cells, USER_KEYS if kind == "user" else POLICY_KEYS, max_keys)
        if over is not None:
            header_row, key_col, row = over
            return Matrix(table, kind, header_row, key_col, {}, None, over_quota_row=row)
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


HEADER_SEARCH_ROWS = 1_000  # the quota walk looks for the header this far down; past it, the ordinary path


def _first_key_over(cells: np.ndarray, key_names: set[str], max_keys: int) -> tuple[int, int, int] | None:
    """(header row, key column, row of the first key beyond ``max_keys`` different ones,
    trimmed and case-insensitive as the rows are kept), or None when there is no such key."""
    header_row = next(
        (r for r in range(min(HEADER_SEARCH_ROWS, cells.shape[0])) if not all(map(is_blank, cells[r].tolist()))), None
    )
    if header_row is None:
        return None
    names = [str(value).strip().lower() if not is_blank(value) else "" for value in cells[header_row].tolist()]
    key_col = next((col for col, name in enumerate(names) if name in key_names), None)
    if key_col is None:
        return None
    seen: set[str] = set()
    step = 4 * max_keys
    for start in range(header_row + 1, cells.shape[0], step):
        for offset, key in enumerate(cells[start : start + step, key_col].tolist()):
            if not is_blank(key):
                seen.add((key if isinstance(key, str) else _plain(key)).strip().lower())
                if len(seen) > max_keys:
                    return header_row, key_col, start + offset
    return None


BLANK, NO_MARK, MARK, INVALID = 0, 1, 2, 3


def _mark_kinds(cells: np.ndarray) -> np.ndarray:
    """Classify every cell as BLANK, NO_MARK, MARK or INVALID with one factorize of the
    grid: each distinct value is classified once, the text values by pandas' string methods
    (a column of a million distinct user names must not cost a million Python calls)."""
    if cells.size == 0:
        return np.zeros(cells.shape, dtype=np.int8)
    codes, uniques = pd.factorize(cells.ravel(), use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    table = np.full(len(uniques), INVALID, dtype=np.int8)
    is_text = np.fromiter((isinstance(u, str) for u in uniques), dtype=bool, count=len(uniques))
    text = pd.Series(uniques[is_text], dtype=object).str.strip().str.lower()
    table[is_text] = np.select(
        [(text == "").to_numpy(), text.isin(MARKS).to_numpy(), text.isin(NO_MARKS).to_numpy()],
        [BLANK, MARK, NO_MARK],
        INVALID,
    )
    for index in np.flatnonzero(~is_text).tolist():  # numbers, booleans, dates: few distinct values
        table[index] = _kind(uniques[index])
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
