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


@dataclass
class Problems(Severities):
    items: list[Problem] = field(default_factory=list)

    def error(self, location: Location, code: str, message: str, fix: str) -> None:
        catalogued(code, "error")
        self.items.append(Problem(location, code, message, fix, "error"))

    def warning(self, location: Location, code: str, message: str, fix: str) -> None:
        catalogued(code, "warning")
        self.items.append(Problem(location, code, message, fix, "warning"))


class MatrixInvalid(Exception):
    """Raised with every problem found; nothing may be deployed from invalid input."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the access matrix:\n" + "\n".join(map(str, errors)))
