"""PasswordPolicy: the account password policy (one per account, so one per stack)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from iam_matrix.desired import DesiredState
from iam_matrix.password_policy import FIELDS
from iam_matrix.password_policy import PasswordPolicy as PasswordSettings

from .layout import PASSWORD_POLICY


@dataclass(frozen=True)
class PasswordPolicyArgs:
    """The account password policy of the state (``iam_matrix.password_policy``)."""

    policy: PasswordSettings

    @classmethod
    def of(cls, state: DesiredState) -> PasswordPolicyArgs:
        return cls(state.password_policy)


class PasswordPolicy(pulumi.ComponentResource):
    """``aws.iam.AccountPasswordPolicy`` from the ``password*`` config keys.

    The account has exactly one password policy; two stacks on one account would fight
    over it, which is why the stack is pinned to its account (``aws:allowedAccountIds``).
    ``retain_on_delete``: ``pulumi destroy`` (or removing the component) leaves the policy in
    the account. An existing policy needs no import: the provider's create is the same
    UpdateAccountPasswordPolicy call as its update, so the first ``up`` adopts it.
    """

    def __init__(self, name: str, args: PasswordPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(PASSWORD_POLICY[0], name, None, opts)
        policy = args.policy
        self.policy = aws.iam.AccountPasswordPolicy(
            name,
            # Every field is sent, 0 included: a field left out keeps its stored value in the provider
            # (Optional + Computed), while 0 is not passed on to IAM (d.GetOk), which clears it
            # (account_password_policy.go). So going back to 0 really removes the expiry.
            **{field.attribute: getattr(policy, field.attribute) for field in FIELDS},
            # Destroying the stack must not leave the account without a password policy.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        self.register_outputs({"expirePasswords": self.policy.expire_passwords})
