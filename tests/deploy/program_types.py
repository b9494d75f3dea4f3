"""The resource types the Pulumi program registers, found by running it under mocks.

Runs the repository's ``__main__.py`` (as ``pulumi up`` would, from the project folder,
with the dev stack's config plus overrides) under the emulator's mock runtime with
``OfflineProvider`` and records every resource type. No AWS, no Pulumi CLI.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emulator import OfflineProvider, ProgramRun, run_main, stack_config

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "111111111111"
# Variants of the dev stack that make the program register every kind of resource it can.
VARIANTS = [
    {},
    {"consoleAccess": True, "pgpKey": "keybase:iam-matrix-test"},
    {"manageUsers": False},
    {"forceDestroyUsers": True},
]
AUDIT_VARIANTS = [{"auditBaseline": True, "auditKmsKey": True, "auditCloudWatchLogs": True}]


def registered_types(overrides: Mapping[str, Any] | None = None) -> set[str]:
    """Resource types ``__main__.py`` registers for the dev stack with ``overrides``."""
    return run_program(overrides).types


def run_program(overrides: Mapping[str, Any] | None = None) -> ProgramRun:
    """Run ``__main__.py`` for the dev stack with ``overrides``; the run holds what it registered."""
    return run_main(REPO, OfflineProvider(ACCOUNT), config=stack_config(REPO, overrides=overrides or {}))


def resources(run: ProgramRun) -> list[dict[str, Any]]:
    """Type, URN, logical name, input properties (as the engine names them) and the URNs each
    property came from, in registration order."""
    ordered = sorted(run.registrations.values(), key=lambda r: r.order)
    return [
        {"type": r.type, "urn": r.urn, "name": r.name, "props": r.inputs, "deps": r.property_dependencies}
        for r in ordered
    ]


@functools.cache
def run_variants(variants_json: str) -> list[dict[str, Any]]:
    """Per variant, the types registered and the resources (type, name, input properties as the
    engine names them), as JSON values; once per pytest process for the same variants. In this
    process: ``run_main`` gives every run a fresh root stack and drains it, as for every other
    program test."""
    runs = [run_program(variant) for variant in json.loads(variants_json)]
    return json.loads(
        json.dumps([{"types": sorted(run.types), "resources": resources(run)} for run in runs], default=str)
    )


def main() -> None:
    """``python -m tests.deploy.program_types '[{}, {"consoleAccess": true}]'``: ``run_variants``
    as one JSON line."""
    import sys
    import warnings

    warnings.simplefilter("ignore")
    print(json.dumps(run_variants(sys.argv[1])))


if __name__ == "__main__":
    main()
