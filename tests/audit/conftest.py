"""An emulated account built from the seed example's desired state.

Each test gets a fresh emulated account in this process (``emulator.MotoAccount``: moto's
mock, no HTTP; ``aws_server_env``: a freshly reset moto server on 127.0.0.1 instead, for the
tests that count HTTP requests), AWS_* variables with fake credentials and no retries (so
moto's missing Access Analyzer answers at once) and, through ``seed_account``, the example
matrix deployed the way the Pulumi program deploys it.
"""

from __future__ import annotations

import functools
import gzip
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from emulator import MotoAccount, MotoServer
from emulator.account import reset_server
from emulator.seed import ACCOUNT, OTHER_ACCOUNT, Account, build_account, new_session
from iam_matrix.compiler import compile_state
from iam_matrix.desired import DesiredState
from iam_matrix.settings import load_stack_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with MotoServer() as server:  # quiet: no access-log line per request, nor moto's Access Analyzer traceback
        yield server.url


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repo's example (Pulumi.yaml, matrix/, policies/, the dev stack) pinned to
    moto's account and region; plus stack ``other`` pinned to another account."""
    root = tmp_path_factory.mktemp("project")
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    for folder in ("matrix", "policies"):
        shutil.copytree(REPO / folder, root / folder)
    stack = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())
    stack["config"]["aws:allowedAccountIds"] = [ACCOUNT]
    stack["config"]["aws:region"] = "us-east-1"  # where the emulated account's trail and recorder are built
    (root / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
    stack["config"]["aws:allowedAccountIds"] = [OTHER_ACCOUNT]
    (root / "Pulumi.other.yaml").write_text(yaml.safe_dump(stack))
    return root


@pytest.fixture(scope="session")
def desired(project: Path) -> DesiredState:
    return compile_state(load_stack_settings(project, "dev"))


ROOT_ROW_TEMPLATE = (
    "<root_account>,arn:aws:iam::{account}:root,2020-01-01T00:00:00+00:00,not_supported,{now},"
    "not_supported,not_supported,{mfa},false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
)


def desired_names(state: DesiredState) -> frozenset[str]:
    names = {p.name for g in state.groups for p in g.policies if p.kind == "aws"}
    return frozenset(names | {"AdministratorAccess", "ReadOnlyAccess"})


@functools.cache
def _managed_policy_data(names: frozenset[str]) -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {name: data for name, data in json.loads(aws_managed_policies_data).items() if name in names}


def _aws_environment(
    desired: DesiredState, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint: str | None
) -> dict[str, Any]:
    """Fake credentials (and ``endpoint``) for this test; a root row in the credential report.

    Real credential reports always start with a ``<root_account>`` row; moto's has none, so
    its report is wrapped to add one (root MFA on unless a test turns it off)."""
    for key in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "MOTO_ACCOUNT_ID",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(key, raising=False)
    if endpoint is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    state = {"root_mfa": True}
    from moto.iam.models import AWSManagedPolicy, IAMBackend

    def aws_policies(
        self: IAMBackend,
    ) -> list[AWSManagedPolicy]:  # only the ones the tests use: loading all 1,300 costs seconds per reset
        return [
            AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in _managed_policy_data(desired_names(desired)).items()
        ]

    monkeypatch.setattr(IAMBackend, "_init_aws_policies", aws_policies)

    original = IAMBackend.get_credential_report

    def with_root(self: IAMBackend) -> str:
        header, _, rows = original(self).partition("\n")
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return (
            header
            + "\n"
            + ROOT_ROW_TEMPLATE.format(account=self.account_id, now=now, mfa="true" if state["root_mfa"] else "false")
            + rows
        )

    monkeypatch.setattr(IAMBackend, "get_credential_report", with_root)

    import iam_matrix.audit.gather as gather_module

    real_make_session = gather_module.make_session

    def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
        """The command's session, sharing parsed service models across tests (same environment, same chain)."""
        return real_make_session(profile, region) if profile or region else new_session()

    monkeypatch.setattr(gather_module, "make_session", make_session)
    return state


@pytest.fixture
def aws_env(desired: DesiredState, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A fresh emulated account in this process for this test (every moto backend reset)."""
    state = _aws_environment(desired, monkeypatch, tmp_path, endpoint=None)
    with MotoAccount(ACCOUNT, "us-east-1"):
        yield state


@pytest.fixture
def aws_server_env(
    moto_url: str, desired: DesiredState, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, Any]:
    """The account on a freshly reset moto server, reached over HTTP (AWS_ENDPOINT_URL)."""
    reset_server(moto_url)
    return _aws_environment(desired, monkeypatch, tmp_path, endpoint=moto_url)


@pytest.fixture
def seed_account(aws_env: dict[str, Any], desired: DesiredState) -> Account:
    session = new_session()
    build_account(session, desired)
    return Account(session, desired)


def write_trail_logs(folder: Path, records: list[dict[str, Any]]) -> Path:
    """A trail's S3 layout in a local folder: one gzipped log file holding ``records``."""
    day = datetime.now(UTC)
    where = folder / f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/{day:%Y/%m/%d}"
    where.mkdir(parents=True, exist_ok=True)
    (where / f"{ACCOUNT}_CloudTrail_us-east-1_{day:%Y%m%dT%H%MZ}_test.json.gz").write_bytes(
        gzip.compress(json.dumps({"Records": records}).encode())
    )
    return folder


def recent(record: dict[str, Any], minutes_ago: int = 10) -> dict[str, Any]:
    """A fixture record moved to a few minutes ago, so it falls in the audit's window."""
    return {**record, "eventTime": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")}


@pytest.fixture
def quiet_logs(tmp_path: Path) -> Path:
    """Trail logs of a quiet window: one console sign-in with MFA by a matrix user."""
    from tests.audit.test_events import records

    sign_in = next(
        r for r in records() if r["eventName"] == "ConsoleLogin" and r["additionalEventData"]["MFAUsed"] == "Yes"
    )
    return write_trail_logs(tmp_path / "trail-logs", [recent(sign_in)])
