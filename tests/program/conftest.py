"""Fixtures for the mock-runtime tests of the program: a project copy and plain mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import OfflineProvider
from tests.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.copy(tmp_path / "project")


@pytest.fixture
def mocks() -> OfflineProvider:
    """Mocks that deploy nothing: outputs are the inputs plus the values the provider computes."""
    return OfflineProvider()
