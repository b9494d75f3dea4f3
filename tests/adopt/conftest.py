"""An in-process moto account per module, and adopt run on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

ACCOUNT = "111111111111"  # the example stack's aws:allowedAccountIds

_ENV = {
    "MOTO_ACCOUNT_ID": ACCOUNT,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION")


@pytest.fixture(scope="module")
def moto_session() -> Iterator[boto3.Session]:
    """A fresh emulated account (AWS managed policies loaded, as attaching needs them)."""
    before: dict[str, Any] = {key: os.environ.get(key) for key in (*_ENV, *_CLEARED)}
    os.environ.update(_ENV)
    for key in _CLEARED:
        os.environ.pop(key, None)
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}, "core": {"reset_boto3_session": True}}):
        yield boto3.Session(region_name="us-east-1")
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
