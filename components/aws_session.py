"""The AWS session the program's resource hooks use: the account and credentials the aws
provider itself deploys with, read from the stack's ``aws:`` config.

Hooks run in the program's process with boto3, not in the provider, so they must build the
provider's credentials themselves, in the provider's order (terraform-provider-aws /
aws-sdk-go-base): static keys or a profile over the shared config and credentials files,
then web identity (``assumeRoleWithWebIdentity``), then every ``assumeRoles`` entry in turn
(external id, session name, duration, session policy, tags), with the ``iam`` and ``sts``
endpoint overrides. Before a hook changes anything it checks with ``sts:GetCallerIdentity``
that the account is in ``allowedAccountIds`` (and not in ``forbiddenAccountIds``), as the
provider does before every operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi


class WrongAccount(Exception):
    """The credentials reach an account the stack may not touch."""


@dataclass(frozen=True)
class AwsConfig:
    """The ``aws:`` keys that decide where and as whom the provider works."""

    region: str | None = None
    profile: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    token: str | None = None
    shared_config_files: tuple[str, ...] = ()
    shared_credentials_files: tuple[str, ...] = ()
    assume_roles: tuple[Mapping[str, Any], ...] = ()
    web_identity: Mapping[str, Any] | None = None
    endpoints: Mapping[str, str] | None = None
    allowed_account_ids: tuple[str, ...] = ()
    forbidden_account_ids: tuple[str, ...] = ()

    @classmethod
    def from_stack(cls) -> AwsConfig:
        aws = pulumi.Config("aws")

        def strings(key: str) -> tuple[str, ...]:
            value = aws.get_object(key) or ()
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        roles = aws.get_object("assumeRoles") or (
            [aws.get_object("assumeRole")] if aws.get_object("assumeRole") else []
        )
        endpoints: dict[str, str] = {}
        for entry in aws.get_object("endpoints") or []:
            if isinstance(entry, dict):
                endpoints.update({k: str(v) for k, v in entry.items() if v})
        web = aws.get_object("assumeRoleWithWebIdentity")
        return cls(
            region=aws.get("region") or None,
            profile=aws.get("profile") or None,
            access_key=aws.get("accessKey") or None,
            secret_key=aws.get("secretKey") or None,
            token=aws.get("token") or None,
            shared_config_files=strings("sharedConfigFiles"),
            shared_credentials_files=strings("sharedCredentialsFiles"),
            assume_roles=tuple(r for r in roles if isinstance(r, dict) and r.get("roleArn")),
            web_identity=web if isinstance(web, dict) and web.get("roleArn") else None,
            endpoints=endpoints or None,
            allowed_account_ids=strings("allowedAccountIds"),
            forbidden_account_ids=strings("forbiddenAccountIds"),
        )


def _assume_role_args(role: Mapping[str, Any], default_session: str) -> dict[str, Any]:
    args: dict[str, Any] = {"RoleArn": role["roleArn"], "RoleSessionName": role.get("sessionName") or default_session}
    if role.get("externalId"):
        args["ExternalId"] = role["externalId"]
    if role.get("duration"):
        text = str(role["duration"]).strip().lower()
        seconds = int(text[:-1]) * {"s": 1, "m": 60, "h": 3600}[text[-1]] if text[-1] in "smh" else int(text)
        args["DurationSeconds"] = seconds
    if role.get("policy"):
        args["Policy"] = role["policy"]
    if role.get("policyArns"):
        args["PolicyArns"] = [{"arn": arn} for arn in role["policyArns"]]
    if role.get("tags"):
        args["Tags"] = [{"Key": k, "Value": v} for k, v in dict(role["tags"]).items()]
    if role.get("transitiveTagKeys"):
        args["TransitiveTagKeys"] = list(role["transitiveTagKeys"])
    if role.get("sourceIdentity"):
        args["SourceIdentity"] = role["sourceIdentity"]
    return args


def _from_credentials(credentials: Mapping[str, Any], region: str | None) -> Any:
    import boto3

    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def session(config: AwsConfig, *, session_name: str = "iam-matrix-hook") -> Any:
    """A boto3 session with the provider's credentials for ``config``."""
    import os

    import boto3

    if config.shared_config_files:
        os.environ["AWS_CONFIG_FILE"] = os.pathsep.join(str(Path(p).expanduser()) for p in config.shared_config_files)
    if config.shared_credentials_files:
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(Path(config.shared_credentials_files[0]).expanduser())
    base = boto3.Session(
        profile_name=None if config.access_key else config.profile,
        region_name=config.region,
        aws_access_key_id=config.access_key,
        aws_secret_access_key=config.secret_key,
        aws_session_token=config.token,
    )
    sts_endpoint = (config.endpoints or {}).get("sts")
    if config.web_identity:
        web = config.web_identity
        token = (
            web.get("webIdentityToken") or Path(str(web.get("webIdentityTokenFile"))).expanduser().read_text().strip()
        )
        args = {
            "RoleArn": web["roleArn"],
            "RoleSessionName": web.get("sessionName") or session_name,
            "WebIdentityToken": token,
        }
        if web.get("duration"):
            args["DurationSeconds"] = _assume_role_args(
                {"roleArn": web["roleArn"], "duration": web["duration"]}, session_name
            )["DurationSeconds"]
        if web.get("policy"):
            args["Policy"] = web["policy"]
        credentials = base.client("sts", endpoint_url=sts_endpoint).assume_role_with_web_identity(**args)["Credentials"]
        base = _from_credentials(credentials, config.region)
    for role in config.assume_roles:
        credentials = base.client("sts", endpoint_url=sts_endpoint).assume_role(
            **_assume_role_args(role, session_name)
        )["Credentials"]
        base = _from_credentials(credentials, config.region)
    return base


def check_account(aws_session: Any, config: AwsConfig) -> str:
    """The account id the session reaches; ``WrongAccount`` unless the stack may touch it."""
    account = aws_session.client("sts", endpoint_url=(config.endpoints or {}).get("sts")).get_caller_identity()[
        "Account"
    ]
    if config.allowed_account_ids and account not in config.allowed_account_ids:
        raise WrongAccount(
            f"the credentials reach account {account}, which is not in aws:allowedAccountIds "
            f"({', '.join(config.allowed_account_ids)}); nothing was changed"
        )
    if account in config.forbidden_account_ids:
        raise WrongAccount(
            f"the credentials reach account {account}, which is in aws:forbiddenAccountIds; nothing was changed"
        )
    return account


def iam_client(config: AwsConfig | None = None, *, session_name: str = "iam-matrix-hook") -> tuple[Any, str]:
    """An IAM client for the stack's account, and that account's id, after the account check."""
    config = config or AwsConfig.from_stack()
    aws_session = session(config, session_name=session_name)
    account = check_account(aws_session, config)
    return aws_session.client("iam", endpoint_url=(config.endpoints or {}).get("iam")), account
