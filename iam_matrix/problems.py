"""Problems found in the inputs, each pinned to a file, sheet and cell.

Validation never stops at the first problem: every check appends to a ``Problems``
collection, and the caller reports them all at once. Every code is catalogued in
``problem_codes`` (severity and description), and a problem prints its code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .escape import log_line
from .problem_codes import Severity, catalogued


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_name(row: int, col: int) -> str:
    """0-based row/column -> spreadsheet cell name (0, 2 -> C1)."""
    return f"{column_letter(col)}{row + 1}"


@dataclass(frozen=True)
class Location:
    """Where a problem is: ``users.csv C5`` or ``iam-matrix.xlsx [Users] D7``."""

    file: str
    sheet: str | None = None
    cell: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.sheet:
            text += f" [{self.sheet}]"
        if self.cell:
            text += f" {self.cell}"
        return text


@dataclass(frozen=True)
class Problem:
    location: Location
    code: str
    message: str
    fix: str
    severity: Severity = "error"

    def __str__(self) -> str:
        """One log-safe line: a cell or file name cannot inject a newline, a terminal escape
        or a CI workflow command (``::error``) into the output of validate or the program."""
        return log_line(f"{self.location}: {self.severity} [{self.code}]: {self.message}. Fix: {self.fix}")

    def to_dict(self) -> dict:
        return {
            "location": str(self.location),
            "file": self.location.file,
            "sheet": self.location.sheet,
            "cell": self.location.cell,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
        }


class Severities:
    """``errors`` and ``warnings`` views over a list of problems held in ``items``."""

    items: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]


MAX_LISTED_PER_KIND = 100  # located problems of one code in one file (and sheet); the rest are counted


@dataclass
class Problems(Severities):
    """Every problem found. Of one code in one file and sheet, the first
    ``MAX_LISTED_PER_KIND`` are listed and the rest counted in one line at the file or sheet,
    so a crafted 16,000-column header costs a hundred messages, not sixteen thousand."""

    items: list[Problem] = field(default_factory=list)
    listed: dict[tuple, int] = field(default_factory=dict, repr=False)  # (severity, code, file, sheet) -> count
    hidden: dict[tuple, int] = field(default_factory=dict, repr=False)  # the same key -> problems not listed
    summaries: dict[tuple, int] = field(default_factory=dict, repr=False)  # the same key -> its line in items

    def error(self, location: Location, code: str, message: str, fix: str) -> None:
        catalogued(code, "error")
        self._add(Problem(location, code, message, fix, "error"))

    def warning(self, location: Location, code: str, message: str, fix: str) -> None:
        catalogued(code, "warning")
        self._add(Problem(location, code, message, fix, "warning"))

    def more(self, location: Location, code: str, count: int, fix: str, severity: Severity = "error") -> None:
        """``count`` further problems like the ones listed, found but not located one by one
        (a reader that stopped collecting cells)."""
        catalogued(code, severity)
        key = (severity, code, location.file, location.sheet)
        self.listed[key] = max(self.listed.get(key, 0), MAX_LISTED_PER_KIND)
        self._count(key, count, fix)

    def _add(self, problem: Problem) -> None:
        key = (problem.severity, problem.code, problem.location.file, problem.location.sheet)
        listed = self.listed.get(key, 0) + 1
        self.listed[key] = listed
        if listed <= MAX_LISTED_PER_KIND:
            self.items.append(problem)
        else:
            self._count(key, 1, problem.fix)

    def _count(self, key: tuple, count: int, fix: str) -> None:
        severity, code, file, sheet = key
        total = self.hidden[key] = self.hidden.get(key, 0) + count
        index = self.summaries.get(key)
        summary = Problem(
            Location(file, sheet),
            code,
            f"{total:,} more {code} problems in this {'sheet' if sheet else 'file'} are not listed "
            f"(at most {MAX_LISTED_PER_KIND} of each kind are)",
            fix,
            severity,
        )
        if index is None:
            self.summaries[key] = len(self.items)
            self.items.append(summary)
        else:
            self.items[index] = summary


class MatrixInvalid(Exception):
    """Raised with every problem found; nothing may be deployed from invalid input."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the access matrix:\n" + "\n".join(map(str, errors)))
