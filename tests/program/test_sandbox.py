"""Everything in the README's main command that runs without the Pulumi CLI: the preflight
message, the emulator's start and stop, the sandbox stack config, and the verification."""

from __future__ import annotations

import importlib.util
import json
import socket
import stat
import sys
from pathlib import Path

import pytest
import yaml

from emulator import EmulatedStack, MotoAccount, MotoServer
from tests.project import REPO

spec = importlib.util.spec_from_file_location("iam_matrix_sandbox", REPO / "scripts" / "sandbox.py")
sandbox = importlib.util.module_from_spec(spec)
sys.modules["iam_matrix_sandbox"] = sandbox
spec.loader.exec_module(sandbox)


def test_real_only_without_the_cli_says_how_to_install_it_and_exits_non_zero(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    assert sandbox.find_pulumi() is None
    assert sandbox.main(["--real-only"]) == sandbox.EXIT_NO_CLI
    err = capsys.readouterr().err
    assert "Pulumi CLI is not installed" in err and "https://www.pulumi.com/docs/install/" in err
    assert "Traceback" not in err


def test_the_cli_is_found_on_path(tmp_path):
    fake = tmp_path / "pulumi"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    assert sandbox.find_pulumi(path=str(tmp_path)) == str(fake)


def test_scripts_run_is_an_executable_bash_script():
    script = REPO / "scripts" / "run"
    assert script.stat().st_mode & stat.S_IXUSR
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash") and "python3 -m venv .venv" in text and "scripts/sandbox.py" in text


def test_sandbox_stack_points_the_provider_at_the_emulator_only(project, tmp_path):
    stack_file = sandbox.write_stack_files(project.root, "http://127.0.0.1:4567", sandbox_dir=tmp_path / ".sandbox")
    assert stack_file == tmp_path / ".sandbox" / "project" / "Pulumi.sandbox.yaml"
    assert (stack_file.parent / "Pulumi.yaml").read_text() == (project.root / "Pulumi.yaml").read_text()
    config = yaml.safe_load(stack_file.read_text())["config"]
    assert (
        config["aws:endpoints"][0]["iam"] == "http://127.0.0.1:4567"
        and config["aws:endpoints"][0]["sts"] == "http://127.0.0.1:4567"
    )
    assert config["aws:skipCredentialsValidation"] is True and config["aws:skipRequestingAccountId"] is True
    assert (
        config["aws:accessKey"] == "testing" and "aws:allowedAccountIds" not in config and "aws:profile" not in config
    )
    assert config["iam-matrix:usersFile"] == "matrix/users.csv"
    assert (stack_file.parent / "matrix" / "users.csv").read_text() == project.read("matrix/users.csv")
    assert (stack_file.parent / "policies" / "foundation" / "MFAForcePolicy.json").is_file()
    assert config["iam-matrix:allowedCidrs"] == ["192.0.2.0/24", "203.0.113.0/24"]
    env = sandbox.pulumi_env("http://127.0.0.1:4567", sandbox_dir=tmp_path / ".sandbox")
    assert env["PULUMI_BACKEND_URL"] == f"file://{tmp_path / '.sandbox' / 'state'}"
    assert (
        env["PULUMI_CONFIG_PASSPHRASE"]
        and env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4567"
        and "AWS_PROFILE" not in env
    )


def test_emulator_serves_on_localhost_verification_names_every_difference_then_it_stops(project, tmp_path):
    emulator = MotoServer().start()
    try:
        assert emulator.url.startswith("http://127.0.0.1:")
        project.write(
            "matrix/users.csv", "User,Admin,Viewer,MFA\nadmin@demoasacode.io,Y,,Y\nmelon@demoasacode.io,,Y,Y\n"
        )
        project.write(
            "matrix/policies.csv",
            "Policies,Admin,Viewer\nAdministratorAccess,Y,\nReadOnlyAccess,,Y\nMFAForcePolicy,Y,Y\n",
        )
        stack_file = sandbox.write_stack_files(project.root, emulator.url, sandbox_dir=tmp_path / ".sandbox")
        account = MotoAccount(endpoint_url=emulator.url).start()
        emulator.reset()  # the server shares moto's in-process backends with other tests
        config = {
            k: v if isinstance(v, str) else json.dumps(v)
            for k, v in yaml.safe_load(stack_file.read_text())["config"].items()
        }
        EmulatedStack(account, stack="sandbox").up(project.root, config=config)
        assert sandbox.verify(emulator.url, project.root, stack_file.parent) == []
        account.iam.add_user_to_group(GroupName="Admin", UserName="melon@demoasacode.io")
        account.iam.detach_group_policy(GroupName="Viewer", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        problems = sandbox.verify(emulator.url, project.root, stack_file.parent)
        assert any("Admin members" in p and "melon@demoasacode.io" in p for p in problems)
        assert any("Viewer policy_arns" in p for p in problems)
        emulator.reset()
    finally:
        emulator.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", emulator.port), timeout=1).close()


def test_the_salt_pulumi_writes_beside_pulumi_yaml_moves_into_the_sandbox_stack_file(project, tmp_path):
    stack_file = sandbox.write_stack_files(project.root, "http://127.0.0.1:4567", sandbox_dir=tmp_path / ".sandbox")
    stray = tmp_path / "Pulumi.sandbox.yaml"
    stray.write_text("encryptionsalt: v1:abc:def\n")
    sandbox.adopt_stack_file(stray, stack_file)
    document = yaml.safe_load(stack_file.read_text())
    assert (
        not stray.exists()
        and document["encryptionsalt"] == "v1:abc:def"
        and document["config"]["aws:region"] == sandbox.REGION
    )


def test_without_the_cli_the_emulated_path_deploys_reads_back_and_audits(project, tmp_path, capsys):
    project.write("matrix/users.csv", "User,Admin,Viewer,MFA\nadmin@demoasacode.io,Y,,Y\nmelon@demoasacode.io,,Y,Y\n")
    project.write(
        "matrix/policies.csv", "Policies,Admin,Viewer\nAdministratorAccess,Y,\nReadOnlyAccess,,Y\nMFAForcePolicy,Y,Y\n"
    )
    assert sandbox.emulated(project.root, tmp_path / ".sandbox") == sandbox.EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("Path: EMULATED") and "does NOT prove" in out and "matches the matrix exactly" in out
    report = tmp_path / ".sandbox" / "audit-report.html"
    assert report.read_text().startswith("<!DOCTYPE html>") and f"Audit report: {report}" in out
