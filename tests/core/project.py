"""Helpers for core tests: a throwaway copy of the project (Pulumi.yaml, the dev stack, matrix/, policies/) per test,
so tests can edit matrices and config freely."""

from __future__ import annotations

from pathlib import Path

import yaml

from iam_matrix.compiler import CompileResult, check
from iam_matrix.settings import load_stack_settings

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")


class Project:
    def __init__(self, root: Path):
        self.root = root

    def write(self, relative: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding=encoding)
        return path

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text()

    def set_config(self, **values: object) -> None:
        stack = self.root / "Pulumi.dev.yaml"
        document = yaml.safe_load(stack.read_text())
        for key, value in values.items():
            full = key if ":" in key else f"iam-matrix:{key}"
            if value is None:
                document["config"].pop(full, None)
            else:
                document["config"][full] = value
        stack.write_text(yaml.safe_dump(document))

    def check(self, **overrides: object) -> CompileResult:
        return check(load_stack_settings(self.root, "dev", overrides))

    def edit_csv(self, relative: str, old: str, new: str) -> None:
        text = self.read(relative)
        assert old in text, f"{old!r} not in {relative}"
        self.write(relative, text.replace(old, new, 1))


def codes(result: CompileResult, severity: str | None = None) -> list[str]:
    return [p.code for p in result.problems if severity is None or p.severity == severity]


def find(result: CompileResult, code: str):
    matches = [p for p in result.problems if p.code == code]
    assert matches, f"no {code} among {[str(p) for p in result.problems]}"
    return matches[0]
