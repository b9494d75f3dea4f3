"""The hooks' AWS session: the provider's credentials (assumeRoles chain, web identity) and
its account check before anything changes (components/aws_session.py), against moto."""

from __future__ import annotations

import pytest

from components.aws_session import AwsConfig, WrongAccount, iam_client, session
from components.cleanup import empty_group
from emulator import MotoAccount

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'


@pytest.fixture
def account():
    with MotoAccount("111111111111", "us-east-1") as emulated:
        yield emulated


def test_every_assume_role_in_the_chain_is_assumed_with_its_external_id_and_session_name(account):
    first = account.iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    second = account.iam.create_role(RoleName="iam-admin", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    config = AwsConfig(
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
        assume_roles=(
            {"roleArn": first, "externalId": "ext-1", "sessionName": "ci"},
            {"roleArn": second, "sessionName": "hook", "duration": "15m"},
        ),
    )
    identity = session(config).client("sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::111111111111:assumed-role/iam-admin/hook"  # the last role of the chain


def test_web_identity_then_the_account_check_refuses_an_account_not_allowed(account, tmp_path):
    token = tmp_path / "token"
    token.write_text("eyJ.token.sig\n")
    config = AwsConfig(
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
        web_identity={"roleArn": "arn:aws:iam::111111111111:role/gha", "webIdentityTokenFile": str(token)},
        allowed_account_ids=("999999999999",),
    )
    assert (
        session(config)
        .client("sts")
        .get_caller_identity()["Arn"]
        .startswith("arn:aws:sts::111111111111:assumed-role/gha/")
    )
    with pytest.raises(WrongAccount, match="111111111111.*not in aws:allowedAccountIds"):
        iam_client(config)
    client, reached = iam_client(
        AwsConfig(region="us-east-1", access_key="testing", secret_key="testing", allowed_account_ids=("111111111111",))
    )
    assert reached == "111111111111" and client.meta.service_model.service_name == "iam"


def test_emptying_a_group_goes_on_when_a_policy_is_already_gone(account):
    iam = account.iam
    iam.create_group(GroupName="g")
    iam.attach_group_policy(GroupName="g", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_group_policy(
        GroupName="g",
        PolicyName="inline",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}',
    )

    class Racing:
        """Someone detaches the managed policy between the listing and our call."""

        def __init__(self, real):
            self.real, self.exceptions = real, real.exceptions

        def get_paginator(self, name):
            return self.real.get_paginator(name)

        def detach_group_policy(self, **kwargs):
            self.real.detach_group_policy(**kwargs)
            return self.real.detach_group_policy(**kwargs)  # the second call: NoSuchEntity

        def delete_group_policy(self, **kwargs):
            return self.real.delete_group_policy(**kwargs)

    assert empty_group(Racing(iam), "g") == ["inline:inline"]
    assert empty_group(iam, "missing-group") == []
