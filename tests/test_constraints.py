"""constraints.txt pins every requirement, so CI and deploys install what the tests passed with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]


def _requirements(path: Path) -> list[Requirement]:
    """Every requirement of a file, following ``-r`` includes."""
    found: list[Requirement] = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += _requirements(path.parent / line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


@pytest.mark.parametrize(
    ("requirements", "constraints"),
    [("requirements-dev.txt", "constraints.txt"), ("policy-pack/requirements.txt", "policy-pack/constraints.txt")],
)
def test_every_requirement_is_pinned_and_allowed_by_its_range(requirements: str, constraints: str) -> None:
    pins = _pins(REPO / constraints)
    for requirement in _requirements(REPO / requirements):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{constraints} does not pin {requirement.name}"
        assert requirement.specifier.contains(pins[name]), (
            f"{constraints} pins {requirement.name} {pins[name]}, outside {requirement.specifier}"
        )
