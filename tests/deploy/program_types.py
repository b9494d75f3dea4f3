"""The resource types the Pulumi program registers, found by running it under mocks.

Runs the repository's ``__main__.py`` (as ``pulumi up`` would, from the project folder,
with the dev stack's config plus overrides) under ``pulumi.runtime.set_mocks`` and
records every custom resource type. No AWS, no Pulumi CLI.
"""

from __future__ import annotations

import functools
import json
import os
import runpy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

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


class RecordingMocks(pulumi.runtime.Mocks):
    """Outputs = inputs plus the computed values the program reads (arn, id, name)."""

    def __init__(self) -> None:
        self.types: set[str] = set()
        self.resources: list[dict[str, Any]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.types.add(args.typ)
        self.resources.append({"type": args.typ, "name": args.name, "props": dict(args.inputs)})
        outputs = dict(args.inputs)
        outputs.setdefault("name", args.name)
        kind = {"aws:iam/policy:Policy": "policy", "aws:iam/group:Group": "group", "aws:iam/user:User": "user"}.get(args.typ)
        if kind:
            outputs.setdefault("arn", f"arn:aws:iam::{ACCOUNT}:{kind}{outputs.get('path') or '/'}{outputs['name']}")
        outputs.setdefault("arn", f"arn:aws:mock::{ACCOUNT}:{args.typ.split(':')[-1].lower()}/{args.name}")
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "userId": "AIDA", "id": ACCOUNT,
                "partition": "aws", "dnsSuffix": "amazonaws.com", "region": "ap-northeast-2", "name": "ap-northeast-2"}


def stack_config(overrides: Mapping[str, Any]) -> dict[str, str]:
    document = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text()) or {}
    config = dict(document.get("config") or {})
    config.update({(k if ":" in k else f"iam-matrix:{k}"): v for k, v in overrides.items()})
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def registered_types(overrides: Mapping[str, Any] | None = None) -> set[str]:
    """Custom resource types ``__main__.py`` registers for the dev stack with ``overrides``."""
    return run_program(overrides).types


def run_program(overrides: Mapping[str, Any] | None = None) -> RecordingMocks:
    """Run ``__main__.py`` for the dev stack with ``overrides``; the mocks hold what it registered."""
    mocks = RecordingMocks()
    pulumi_settings.SETTINGS.root_resource = None
    pulumi.runtime.set_all_config(stack_config(overrides or {}))
    pulumi.runtime.set_mocks(mocks, project="iam-matrix", stack="dev", preview=False)

    def program() -> None:
        before = Path.cwd()
        os.chdir(REPO)
        try:
            runpy.run_path(str(REPO / "__main__.py"), run_name="__main__")
        finally:
            os.chdir(before)

    _sync_await(run_pulumi_func(program))
    _sync_await(wait_for_rpcs())
    return mocks


def main() -> None:
    """``python -m tests.deploy.program_types '[{}, {"consoleAccess": true}]'``: per variant,
    the types registered and the resources (type, name, input properties as the engine
    names them), as one JSON line."""
    import sys
    import warnings

    warnings.simplefilter("ignore")
    runs = [run_program(variant) for variant in json.loads(sys.argv[1])]
    print(json.dumps([{"types": sorted(run.types), "resources": run.resources} for run in runs], default=str))


@functools.cache
def run_variants(variants_json: str) -> list[dict[str, Any]]:
    """``main`` in its own process (the Pulumi runtime's global state must not leak into
    other tests), once per pytest process for the same variants."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "tests.deploy.program_types", variants_json], cwd=REPO, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
