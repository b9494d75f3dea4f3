"""The files the core reads stay inside the project folder and are never symlinks.

``pulumi up`` reads the working tree, which follows symlinks; the access diff rebuilds a
revision from git objects, where a symlink is only a path. A symlink among the matrix
files or under ``policies/`` would let the two see different documents, so a review could
say "No access change" while the deploy attaches something else. Every reader - validate,
plan, the Pulumi program and the diff - goes through ``check_inputs`` before it opens a
file, and ``revisions`` reports a symlink in a git tree with ``symlink_problem``: one rule,
one message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .problems import Location, Problems

FOLDER_KEYS = ("policiesDir",)
SYMLINK_FIX = (
    "replace the symlink by the file itself (git add the real "
    "file): the review reads git, the deploy reads the working tree"
)


def symlink_problem(problems: Problems, display: str, where: Location | None = None) -> None:
    """The one error for a symlink among the inputs (working tree or git tree)."""
    problems.error(
        where or Location(display),
        "path-symlink",
        f"{display!r} is a symlink; the matrix files, policies/ and the stack file must be regular files",
        SYMLINK_FIX,
    )


def input_keys(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The config keys that name files the compile reads: the workbook or the two CSVs,
    and the policy folder."""
    return ("workbook", *FOLDER_KEYS) if values.get("workbook") else ("usersFile", "policiesFile", *FOLDER_KEYS)


def check_inputs(
    project_dir: Path, values: Mapping[str, Any], where: Callable[[str], Location], problems: Problems
) -> bool:
    """Every input path of the stack is inside ``project_dir`` and no part of it, nor any
    entry below the policy folder, is a symlink. False (with problems) when one is not."""
    before = len(problems.errors)
    for key in input_keys(values):
        value = values.get(key)
        if not value:
            continue
        path = _check_path(project_dir, str(value), key, where(key), problems)
        if path is not None and key in FOLDER_KEYS and path.is_dir():
            for link in _symlinks_below(path):
                symlink_problem(problems, f"{value.rstrip('/')}/{link.relative_to(path).as_posix()}")
    return len(problems.errors) == before


def check_project_file(project_dir: Path, value: str, key: str, where: Location, problems: Problems) -> Path | None:
    """One more file a command reads by config key (the audit's exceptions file): inside the
    project and no symlink anywhere on its path. Its path, or None with the problem recorded."""
    return _check_path(project_dir, value, key, where, problems)


def check_regular_file(path: Path, display: str, problems: Problems) -> bool:
    """A single file the core opens by itself (the stack file): not a symlink."""
    if path.is_symlink():
        symlink_problem(problems, display)
        return False
    return True


def _check_path(project_dir: Path, value: str, key: str, where: Location, problems: Problems) -> Path | None:
    root = project_dir.absolute()
    given = Path(value)
    candidate = given if given.is_absolute() else root / given
    lexical = Path(os.path.normpath(candidate))
    inside = lexical == root or root in lexical.parents
    resolved_inside = _is_within(candidate.resolve(), root.resolve())
    if not inside or not resolved_inside:
        problems.error(
            where,
            "path-outside",
            f"iam-matrix:{key} is {value!r}, outside the project folder {str(root)!r}",
            "keep the matrix files and policies/ inside the project (the "
            "repository the review reads); use a path relative to Pulumi.yaml",
        )
        return None
    # Every component as written (before '..' is folded away), then as normalised.
    for chain in (_prefixes(root, candidate), _prefixes(root, lexical)):
        for part in chain:
            if part.is_symlink():
                symlink_problem(
                    problems, part.relative_to(root).as_posix() if _is_within(part, root) else str(part), where
                )
                return None
    return lexical


def _prefixes(root: Path, path: Path) -> Iterator[Path]:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return
    for index in range(1, len(parts) + 1):
        yield root.joinpath(*parts[:index])


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _symlinks_below(folder: Path) -> Iterator[Path]:
    """Symlinks (to files or folders) anywhere below ``folder``, never followed."""
    for current, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs + files):
            entry = Path(current) / name
            if entry.is_symlink():
                yield entry
