"""Fixtures of the access model tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.copy(tmp_path)
