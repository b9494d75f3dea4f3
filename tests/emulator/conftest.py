"""Fixtures: a project copy per test and an emulated account per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import MotoAccount
from tests.project import Project

ACCOUNT = "111111111111"  # the dev stack's aws:allowedAccountIds


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.copy(tmp_path / "project")


@pytest.fixture(scope="module")
def _emulator() -> Iterator[MotoAccount]:
    with MotoAccount(ACCOUNT, "ap-northeast-2") as emulated:
        yield emulated


@pytest.fixture
def account(_emulator: MotoAccount) -> Iterator[MotoAccount]:
    """An empty account per test: every moto backend reset (AWS managed policies come back).
    One emulator per module: it takes seconds to start; not per session, so no moto mock
    stays active under other folders' tests."""
    _emulator.reset()
    yield _emulator
