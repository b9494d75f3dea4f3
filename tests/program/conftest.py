"""Fixtures for the mock-runtime tests of the program: a project copy and plain mocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from tests.project import Project


class EchoMocks(pulumi.runtime.Mocks):
    """Mocks that deploy nothing: outputs are the inputs plus the computed ARNs."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        name = args.inputs.get("name", args.name)
        if args.typ == "aws:iam/policy:Policy":
            outputs["arn"] = f"arn:aws:iam::123456789012:policy{args.inputs.get('path', '/')}{name}"
        elif args.typ == "aws:iam/group:Group":
            outputs["arn"] = f"arn:aws:iam::123456789012:group{args.inputs.get('path', '/')}{name}"
        elif args.typ == "aws:iam/user:User":
            outputs["arn"] = f"arn:aws:iam::123456789012:user{args.inputs.get('path', '/')}{name}"
        elif args.typ == "aws:iam/userLoginProfile:UserLoginProfile":
            outputs.update(encryptedPassword=f"wcFMA-{args.inputs['user']}", keyFingerprint="fp", password=None)
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.copy(tmp_path / "project")


@pytest.fixture
def mocks() -> EchoMocks:
    return EchoMocks()
