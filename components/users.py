"""Users: one IAM user per matrix row, optionally with a console login profile."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from iam_matrix.desired import DesiredState, User

from .common import TYPE_PREFIX, resource_tags

DEFAULT_PASSWORD_LENGTH = 20  # the provider's default
MAX_PASSWORD_LENGTH = 128  # the provider accepts 5 to 128


def login_password_length(minimum_password_length: int) -> int:
    """The provider's default length, or the account's minimum when that is longer (IAM refuses
    a shorter password: PasswordPolicyViolation)."""
    return min(max(DEFAULT_PASSWORD_LENGTH, minimum_password_length), MAX_PASSWORD_LENGTH)


@dataclass(frozen=True)
class UsersArgs:
    """The users and how they are deployed (``DesiredState.deploy``).

    ``password_length``: of the generated initial passwords (``login_password_length`` of the
    account's minimum); ``after``: what login profiles wait for (the account password policy,
    which IAM checks the password against); ``existing_login_profiles``: users who already have a
    console password (``components/preflight.py``): their profiles are imported, not created (IAM
    allows one per user), so their password stays as it is."""

    users: Sequence[User]
    path: str
    stack: str
    tags: Mapping[str, str] = field(default_factory=dict)
    console_access: bool = False
    pgp_key: str = field(default="", repr=False)
    force_destroy: bool = False
    password_length: int = DEFAULT_PASSWORD_LENGTH
    after: Sequence[pulumi.Resource] = ()
    existing_login_profiles: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        state: DesiredState,
        after: Sequence[pulumi.Resource] = (),
        existing_login_profiles: frozenset[str] = frozenset(),
    ) -> UsersArgs:
        return cls(
            state.users,
            path=state.user_path,
            stack=state.stack,
            tags=dict(state.tags),
            console_access=state.deploy.console_access,
            pgp_key=state.deploy.pgp_key,
            force_destroy=state.deploy.force_destroy_users,
            password_length=login_password_length(state.password_policy.minimum_password_length),
            after=after,
            existing_login_profiles=existing_login_profiles,
        )


class Users(pulumi.ComponentResource):
    """``aws.iam.User`` per row (path and tags from config), never with policies of its own.

    With ``console_access`` each new user gets an ``aws.iam.UserLoginProfile`` whose
    generated password must be reset at first sign-in and is only ever available
    PGP-encrypted (``encrypted_passwords``); the plaintext ``password`` output is marked
    secret as well, although the provider leaves it empty when a PGP key is given.

    ``force_destroy`` is off by default: removing a row whose user still has access keys,
    an MFA device or a login profile made outside this stack makes the ``up`` fail on
    that user instead of silently destroying credentials (docs/pulumi-program.md).
    """

    users: dict[str, aws.iam.User]
    encrypted_passwords: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: UsersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}Users", name, None, opts)
        if args.console_access and not args.pgp_key:
            raise ValueError("console access needs a PGP key: initial passwords are only exported encrypted")
        child = pulumi.ResourceOptions(parent=self)
        self.users = {}
        self.encrypted_passwords = {}
        for user in args.users:
            resource = aws.iam.User(
                user.name,
                name=user.name,
                path=args.path,
                force_destroy=args.force_destroy,
                tags=resource_tags(args.stack, user.source, args.tags),
                opts=child,
            )
            self.users[user.name] = resource
            if args.console_access:
                profile = aws.iam.UserLoginProfile(
                    f"{user.name}-login",
                    user=resource.name,
                    password_reset_required=True,
                    pgp_key=args.pgp_key,
                    password_length=args.password_length,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        depends_on=list(args.after),
                        additional_secret_outputs=["password"],
                        # Every input is ForceNew in the provider (user_login_profile.go) and refresh
                        # reads passwordResetRequired back (false once the user chose a password):
                        # without ignore_changes the next up would replace the profile, i.e. reset
                        # the user's password, and IAM refuses the create-first replacement anyway.
                        ignore_changes=["pgpKey", "passwordResetRequired", "passwordLength"],
                        # The provider's importer takes the user name and cannot read the PGP key,
                        # the length or the flag back: ignore_changes (above) is what the pulumi-aws
                        # docs ask for, so the import matches and replaces nothing.
                        import_=user.name if user.name in args.existing_login_profiles else None,
                    ),
                )
                self.encrypted_passwords[user.name] = profile.encrypted_password
        self.names = {name: resource.name for name, resource in self.users.items()}
        self.register_outputs({"userNames": list(self.names.values())})
