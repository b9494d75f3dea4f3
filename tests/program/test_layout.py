"""components.layout lists exactly what the program registers under Pulumi's mock runtime:
same URNs, types, names, parents, inputs and ignore_changes (adopt's import file comes from it)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.layout import planned_resources
from components.registered import registered_resources
from iam_matrix.compiler import compile_state
from iam_matrix.settings import load_stack_settings

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "111111111111"
STACK_URN = "::pulumi:pulumi:Stack"


def _plain(value: Any) -> Any:
    """The engine's view: numbers arrive as floats, the layout keeps ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _engine_urn(urn: str) -> str:
    """The mock monitor puts the root stack's type in its children's URNs; the engine does not."""
    return "" if STACK_URN + "::" in urn else urn.replace(STACK_URN + "$", "::")


def as_registered(project_dir: Path, stack: str) -> tuple[dict, dict]:
    settings = load_stack_settings(project_dir, stack)
    state = compile_state(settings).with_account(ACCOUNT)
    planned = {
        r.urn: (r.type, r.name, r.custom, r.parent, _plain(r.inputs), tuple(r.ignore_changes))
        for r in planned_resources(state).resources
    }
    registered = {
        _engine_urn(r.urn): (r.type, r.name, r.custom, _engine_urn(r.parent), _plain(r.inputs), tuple(r.ignore_changes))
        for r in registered_resources(project_dir, stack, ACCOUNT)
    }
    return planned, registered


def test_the_layout_of_the_example_is_what_the_program_registers() -> None:
    planned, registered = as_registered(REPO, "dev")
    assert len(planned) == len(registered) > 60
    assert planned == registered


@pytest.fixture
def console_project(tmp_path: Path) -> Path:
    """The example with console access (login profiles) and forceDestroyUsers on."""
    for name in ("Pulumi.yaml", "matrix", "policies"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    config = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())
    config["config"].update(
        {"iam-matrix:consoleAccess": True, "iam-matrix:pgpKey": "keybase:someone", "iam-matrix:forceDestroyUsers": True}
    )
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def test_the_layout_follows_the_options_that_shape_resources(console_project: Path) -> None:
    planned, registered = as_registered(console_project, "dev")
    assert planned == registered
    assert any(t == "aws:iam/userLoginProfile:UserLoginProfile" for t, *_ in planned.values())


def test_the_audit_baseline_is_named_as_not_listed() -> None:
    settings = load_stack_settings(REPO, "dev")
    state = compile_state(settings).with_account(ACCOUNT)
    assert planned_resources(state).not_listed == []
    with_baseline = dataclasses.replace(state, audit_baseline=dataclasses.replace(state.audit_baseline, enabled=True))
    layout = planned_resources(with_baseline)
    assert layout.not_listed and "AuditBaseline" in layout.not_listed[0]
    assert [r.name for r in layout.resources if r.type.endswith("AuditBaseline") and not r.custom] == ["audit"]
