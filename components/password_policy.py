"""PasswordPolicy: the account password policy (one per account, so one per stack)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from iam_matrix.password_policy import PasswordPolicy as PasswordSettings

from .common import TYPE_PREFIX


class PasswordPolicy(pulumi.ComponentResource):
    """``aws.iam.AccountPasswordPolicy`` from the ``password*`` config keys.

    The account has exactly one password policy; two stacks on one account would fight
    over it, which is why the stack is pinned to its account (``aws:allowedAccountIds``).
    """

    def __init__(self, name: str, policy: PasswordSettings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}PasswordPolicy", name, None, opts)
        self.policy = aws.iam.AccountPasswordPolicy(
            name,
            minimum_password_length=policy.minimum_password_length,
            require_uppercase_characters=policy.require_uppercase_characters,
            require_lowercase_characters=policy.require_lowercase_characters,
            require_numbers=policy.require_numbers,
            require_symbols=policy.require_symbols,
            # IAM has no "0 = never": leaving the age out is how the policy says it.
            max_password_age=policy.max_password_age or None,
            password_reuse_prevention=policy.password_reuse_prevention or None,
            allow_users_to_change_password=policy.allow_users_to_change_password,
            hard_expiry=policy.hard_expiry,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"expirePasswords": self.policy.expire_passwords})
