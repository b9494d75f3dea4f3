"""A throwaway copy of the project (Pulumi.yaml, Pulumi.dev.yaml, matrix/, policies/) for
tests that edit matrices and config; never the shared checkout."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from iam_matrix.compiler import CompileResult, check, compile_state
from iam_matrix.desired import DesiredState
from iam_matrix.settings import load_stack_settings

REPO = Path(__file__).resolve().parents[1]


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def copy(cls, target: Path) -> Project:
        target.mkdir(parents=True, exist_ok=True)
        for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
            shutil.copy(REPO / name, target / name)
        for folder in ("matrix", "policies"):
            shutil.copytree(REPO / folder, target / folder)
        return cls(target)

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text()

    def write(self, relative: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding=encoding)
        return path

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace the first ``old`` in a file; fails loudly when the example changed."""
        text = self.read(relative)
        assert old in text, f"{old!r} not in {relative}"
        self.write(relative, text.replace(old, new, 1))

    def set_config(self, stack: str = "dev", **values: Any) -> None:
        """Set (or with ``None`` remove) ``iam-matrix:`` keys, or fully named ones, in a stack file."""
        path = self.root / f"Pulumi.{stack}.yaml"
        document = yaml.safe_load(path.read_text())
        for key, value in values.items():
            full = key if ":" in key else f"iam-matrix:{key}"
            if value is None:
                document["config"].pop(full, None)
            else:
                document["config"][full] = value
        path.write_text(yaml.safe_dump(document))

    def convert_to_workbook(self, relative: str = "matrix/iam-matrix.xlsx") -> str:
        """The example's CSV files as a workbook in this copy, made by ``iam-matrix convert``
        (the project ships the example once, in the form the dev stack reads)."""
        from iam_matrix.cli import main

        assert main(["convert", "--project-dir", str(self.root), "--output", str(self.root / relative)]) == 0
        return relative

    def check(self, **overrides: object) -> CompileResult:
        return check(load_stack_settings(self.root, "dev", overrides))

    def state(self, stack: str = "dev") -> DesiredState:
        return compile_state(load_stack_settings(self.root, stack))
