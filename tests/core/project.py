"""Helpers for core tests: the fixtures folder and short ways to read a compile's problems."""

from __future__ import annotations

from pathlib import Path

from iam_matrix.compiler import CompileResult

FIXTURES = Path(__file__).with_name("fixtures")


def codes(result: CompileResult, severity: str | None = None) -> list[str]:
    return [p.code for p in result.problems if severity is None or p.severity == severity]


def find(result: CompileResult, code: str):
    matches = [p for p in result.problems if p.code == code]
    assert matches, f"no {code} among {[str(p) for p in result.problems]}"
    return matches[0]
