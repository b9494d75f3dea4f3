"""``emulator.seed`` (the audit tests' fast builder) writes the account the program deploys."""

from __future__ import annotations

import boto3

from emulator import DEFAULT_ACCOUNT, EmulatedStack, MotoAccount, comparable, read_account
from emulator.account import FAKE_CREDENTIALS
from emulator.seed import build_account


def test_the_seed_writes_what_the_program_deploys(project):
    project.set_config(**{"aws:allowedAccountIds": [DEFAULT_ACCOUNT]})
    with MotoAccount(DEFAULT_ACCOUNT, "us-east-1") as account:
        EmulatedStack(account).up(project.root)
        deployed = comparable(read_account(account.iam))
        account.reset()
        assert read_account(account.iam)["groups"] == {}
        build_account(boto3.Session(region_name="us-east-1", **FAKE_CREDENTIALS), project.state(), via="api")
        seeded = comparable(read_account(account.iam))
    assert seeded == deployed
