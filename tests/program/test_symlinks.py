"""The Pulumi program reads the working tree through the same core check as validate:
a symlink among its inputs stops it before any resource is registered."""

from __future__ import annotations

import os

import pulumi

from emulator import run_main


def test_a_symlinked_policy_document_stops_the_program(project, mocks):
    project.write(
        "notes/admin.json",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
    )
    os.symlink(project.root / "notes/admin.json", project.root / "policies/custom/ReadOnlyAccess.json")
    run = run_main(project.root, mocks, raise_errors=False)
    assert isinstance(run.error, pulumi.RunError) and run.registrations == {}
    assert any("'policies/custom/ReadOnlyAccess.json' is a symlink" in e for e in run.errors())
