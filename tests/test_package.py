"""The project is an installable package: ``iam-matrix`` on PATH of .venv, from any folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import iam_matrix

REPO = Path(__file__).resolve().parents[1]


def test_pyproject_declares_the_command_and_takes_requirements_txt_as_its_dependencies() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["name"] == "iam-matrix"
    assert project["project"]["scripts"] == {"iam-matrix": "iam_matrix.cli:main"}
    assert set(project["project"]["dynamic"]) == {"version", "dependencies"}
    dynamic = project["tool"]["setuptools"]["dynamic"]
    assert dynamic["dependencies"] == {"file": ["requirements.txt"]}, "one list of requirements"
    assert dynamic["version"] == {"attr": "iam_matrix.__version__"}


def _installed_here() -> bool:
    """Whether .venv's editable install points at this checkout (a venv shared between
    checkouts may point at another one; CI's fresh clone always points here)."""
    direct = json.loads(metadata.distribution("iam-matrix").read_text("direct_url.json") or "{}")
    return (
        direct.get("dir_info", {}).get("editable", False)
        and Path(direct["url"].removeprefix("file://")).resolve() == REPO
    )


def test_installed_command_works_from_another_folder(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "iam-matrix"
    assert command.is_file(), (
        "no .venv/bin/iam-matrix: scripts/test and scripts/run install the project (pip install -e .)"
    )
    assert metadata.version("iam-matrix") == iam_matrix.__version__
    env = dict(os.environ)
    if not _installed_here():
        env["PYTHONPATH"] = str(REPO)  # test this checkout's code through the installed entry point
    done = subprocess.run(
        [str(command), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, f"iam-matrix {iam_matrix.__version__}\n")
    done = subprocess.run(
        [str(command), "validate", "--project-dir", str(REPO)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "valid: 0 error(s)" in done.stderr
    done = subprocess.run(
        [str(command), "validate"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "no Pulumi.yaml in this folder or above it" in done.stderr
