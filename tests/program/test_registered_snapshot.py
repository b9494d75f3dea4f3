"""The resources the program registers for the shipped example (the dev stack): URN, type,
parent and inputs, against a stored snapshot (tests/program/registered.dev.json).

A refactoring must not change what is deployed: a changed URN makes ``pulumi up`` replace
the resource (a deleted and re-created policy, user or group) unless an ``aliases`` entry
names the old one. So a registration matches the snapshot under its URN, or under the URN an
alias of it or of one of its parents gives it (children inherit their parent's aliases).
When a change is meant (a new resource, new inputs), rewrite the snapshot on purpose:

    .venv/bin/python -m pytest tests/program/test_registered_snapshot.py --update-snapshots

and review the diff of tests/program/registered.dev.json with the change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator import run_main

SNAPSHOT = Path(__file__).with_name("registered.dev.json")


def registered(project, mocks) -> list[dict[str, Any]]:
    run = run_main(project.root, mocks)
    rows = [
        {"urn": r.urn, "type": r.type, "parent": r.parent, "aliases": r.aliases, "inputs": r.inputs}
        for r in run.registrations.values()
    ]
    return json.loads(json.dumps(sorted(rows, key=lambda row: row["urn"]), sort_keys=True, default=str))


def type_renames(rows: list[dict[str, Any]]) -> dict[str, str]:
    """New type -> old type, from the alias specs that name only a type."""
    renames = {}
    for row in rows:
        for alias in row["aliases"]:
            spec = alias.get("spec", {})
            if spec.get("type") and not spec.get("name"):
                renames[row["type"]] = spec["type"]
    return renames


def as_before(value: str, renames: dict[str, str]) -> str:
    """A URN (or a type) as it was before the renamed types: the type chain is the fourth
    ``::`` part of a URN, its types joined by ``$``."""
    parts = value.split("::")
    index = 2 if len(parts) > 3 else 0
    parts[index] = "$".join(renames.get(t, t) for t in parts[index].split("$"))
    return "::".join(parts)


def known_before(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    renames = type_renames(rows)
    return sorted(
        (
            {
                "urn": as_before(r["urn"], renames),
                "type": renames.get(r["type"], r["type"]),
                "parent": as_before(r["parent"], renames),
                "inputs": r["inputs"],
            }
            for r in rows
        ),
        key=lambda row: row["urn"],
    )


def test_the_example_registers_what_the_snapshot_says(project, mocks, request: pytest.FixtureRequest) -> None:
    now = known_before(registered(project, mocks))
    if request.config.getoption("--update-snapshots"):
        SNAPSHOT.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    stored = json.loads(SNAPSHOT.read_text())
    assert [row["urn"] for row in now] == [row["urn"] for row in stored], (
        "URNs changed without an alias: pulumi up would replace resources"
    )
    assert now == stored


def test_the_renamed_policies_component_keeps_its_old_urns_by_alias(project, mocks) -> None:
    """FoundationPolicies became CustomPolicies; the alias to the old type is what keeps the
    deployed policies from being replaced."""
    rows = registered(project, mocks)
    assert type_renames(rows) == {"iam-matrix:index:CustomPolicies": "iam-matrix:index:FoundationPolicies"}
    component = next(row for row in rows if row["type"] == "iam-matrix:index:CustomPolicies")
    assert {row["parent"] for row in rows if row["type"] == "aws:iam/policy:Policy"} == {component["urn"]}
    stored = {row["urn"] for row in json.loads(SNAPSHOT.read_text())}
    assert component["urn"] not in stored and component["urn"].replace("CustomPolicies", "FoundationPolicies") in stored


def test_a_urn_as_it_was_before_a_type_rename() -> None:
    urn = "urn:pulumi:dev::iam-matrix::iam-matrix:index:New$aws:iam/policy:Policy::P"
    assert (
        as_before(urn, {"iam-matrix:index:New": "iam-matrix:index:Old"})
        == "urn:pulumi:dev::iam-matrix::iam-matrix:index:Old$aws:iam/policy:Policy::P"
    )
    assert as_before("iam-matrix:index:New", {"iam-matrix:index:New": "iam-matrix:index:Old"}) == "iam-matrix:index:Old"
