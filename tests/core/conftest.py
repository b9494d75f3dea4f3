"""Fixtures of the core tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.core.project import REPO, Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    for folder in ("matrix", "policies"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return Project(tmp_path)
