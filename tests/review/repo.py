"""A throwaway git repository holding a copy of the project, for access diff tests."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import yaml
from openpyxl import Workbook

REPO = Path(__file__).resolve().parents[2]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class GitProject:
    def __init__(self, root: Path):
        self.root = root
        for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
            shutil.copy(REPO / name, root / name)
        for folder in ("matrix", "policies"):
            shutil.copytree(REPO / folder, root / folder)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        return subprocess.run(["git", *args], cwd=self.root, env=env, check=True, capture_output=True, text=True).stdout

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))

    def set_config(self, **values: object) -> None:
        stack = self.root / "Pulumi.dev.yaml"
        document = yaml.safe_load(stack.read_text())
        for key, value in values.items():  # None removes the key
            if value is None:
                document["config"].pop(f"iam-matrix:{key}", None)
            else:
                document["config"][f"iam-matrix:{key}"] = value
        stack.write_text(yaml.safe_dump(document))

    def rows(self, relative: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO((self.root / relative).read_text())))

    def write_workbook(self, relative: str, users: list[list[str]], policies: list[list[str]]) -> None:
        """An xlsx with the two sheets the core reads (written by openpyxl, as Excel users would)."""
        book = Workbook()
        book.remove(book.active)
        for title, rows in (("Users", users), ("Policies", policies)):
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
        book.save(self.root / relative)

    def crafted_commit(self, parent: str, folder: str, entries: list[tuple[str, str, str, str]]) -> str:
        """A commit whose ``folder`` tree is replaced by ``entries`` (mode, type, object, name),
        built with ``git mktree`` - trees no ``git add`` would make (``..`` entries, submodules)."""
        tree = self.tree(entries)
        root = [line for line in self.git("ls-tree", parent).splitlines() if not line.endswith(f"\t{folder}")]
        root.append(f"040000 tree {tree}\t{folder}")
        top = self.git_input("".join(line + "\n" for line in root), "mktree")
        return self.git("commit-tree", top, "-p", parent, "-m", f"crafted {folder}").strip()

    def blob(self, content: bytes) -> str:
        return self.git_input(content, "hash-object", "-w", "--stdin")

    def tree(self, entries: list[tuple[str, str, str, str]]) -> str:
        return self.git_input("".join(f"{mode} {kind} {sha}\t{name}\n" for mode, kind, sha, name in entries), "mktree")

    def git_input(self, data: str | bytes, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        raw = data.encode() if isinstance(data, str) else data
        return (
            subprocess.run(["git", *args], cwd=self.root, env=env, check=True, capture_output=True, input=raw)
            .stdout.decode()
            .strip()
        )
