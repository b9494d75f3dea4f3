"""An emulated account (emulator.MotoAccount, moto in this process) per module, and a boto3
session on it for adopt's reader."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from emulator import MotoAccount

ACCOUNT = "111111111111"  # the example stack's aws:allowedAccountIds

_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION")


@contextmanager
def emulated_account() -> Iterator[MotoAccount]:
    """A fresh emulated account (AWS managed policies loaded, as attaching needs them), with
    test credentials in the environment for its lifetime."""
    before: dict[str, Any] = {key: os.environ.get(key) for key in (*_ENV, *_CLEARED)}
    os.environ.update(_ENV)
    for key in _CLEARED:
        os.environ.pop(key, None)
    try:
        with MotoAccount(ACCOUNT, "us-east-1") as emulated:
            yield emulated
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def account() -> Iterator[MotoAccount]:
    with emulated_account() as emulated:
        yield emulated


@pytest.fixture(scope="module")
def moto_session(account: MotoAccount) -> boto3.Session:
    return boto3.Session(region_name="us-east-1")
