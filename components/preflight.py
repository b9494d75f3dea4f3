"""What the program reads from the account before it registers anything (read-only).

Two things only the live account shows, and that would otherwise fail an ``up`` half-way:

* **Names in another spelling.** IAM user and group names are case-insensitive: ``Alice``
  cannot be created while ``alice`` exists (``EntityAlreadyExists``), and a case-only rename
  is a new resource that the engine creates before it deletes the old one. The program stops
  before the first registration (``iam_matrix.live_names``), with the two-step fix.
* **Console passwords made outside the stack.** terraform-provider-aws
  ``internal/service/iam/user_login_profile.go`` creates a profile with
  ``CreateLoginProfile``, which IAM refuses for a user who already has one. With
  ``consoleAccess`` the program registers those users' profiles with the ``import`` resource
  option (id: the user name, as the provider's importer takes it), so the engine adopts them
  and nobody's password is reset; a profile the stack made itself is in its state under that
  id, and the engine treats it as any other resource (pulumi/pulumi
  developer-docs/architecture/import.md).

Calls (iam_matrix/data/resource_actions.json ``iam-matrix:preflight``): ``sts:GetCallerIdentity`` (the
account check the hooks make, ``aws_session``), ``iam:ListUsers``, ``iam:ListGroups``, and
``iam:GetLoginProfile`` for each matrix user that exists (only with ``consoleAccess``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pulumi

from iam_matrix.escape import log_line

from .aws_session import iam_client

LOOKUP_THREADS = 8  # GetLoginProfile has no list form: one call per user, a few at a time


@dataclass(frozen=True)
class LiveAccount:
    """The names the account holds, and which of the matrix users have a console password."""

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    login_profiles: frozenset[str] = frozenset()


def _names(iam: Any, operation: str, key: str, name: str) -> frozenset[str]:
    return frozenset(item[name] for page in iam.get_paginator(operation).paginate() for item in page[key])


def _has_login_profile(iam: Any, user: str) -> bool:
    try:
        iam.get_login_profile(UserName=user)
    except Exception as error:  # noqa: BLE001 - botocore's ClientError; only "not found" means no profile
        if getattr(error, "response", {}).get("Error", {}).get("Code") in ("NoSuchEntity", "NoSuchEntityException"):
            return False
        raise
    return True


def read_account(user_names: Iterable[str], *, console_access: bool) -> LiveAccount:
    """The live names, and (with ``console_access``) the users of ``user_names`` that already
    have a login profile, with the provider's credentials after the account check."""
    iam, _account = iam_client(session_name="iam-matrix-preflight")
    users = _names(iam, "list_users", "Users", "UserName")
    groups = _names(iam, "list_groups", "Groups", "GroupName")
    profiles: frozenset[str] = frozenset()
    if console_access:
        existing = sorted(set(user_names) & users)
        with ThreadPoolExecutor(max_workers=LOOKUP_THREADS) as pool:
            found = pool.map(lambda user: (user, _has_login_profile(iam, user)), existing)
            profiles = frozenset(user for user, has in found if has)
    return LiveAccount(users, groups, profiles)


Reader = Callable[..., LiveAccount]
_reader: Reader = read_account


@contextmanager
def reading_with(reader: Reader) -> Iterator[None]:
    """Answer the pre-flight with ``reader`` meanwhile: the emulator's runs with no account at
    all (``OfflineProvider``) read an empty account instead of reaching AWS."""
    global _reader
    before, _reader = _reader, reader
    try:
        yield
    finally:
        _reader = before


def live_account(user_names: Iterable[str], *, console_access: bool) -> LiveAccount | None:
    """The live account, or None (with a warning that says what goes unchecked) when it cannot
    be read; the provider would then fail on the same credentials, with its own error."""
    try:
        return _reader(user_names, console_access=console_access)
    except Exception as error:  # noqa: BLE001 - any AWS or credential error: warn, let the provider report it
        pulumi.log.warn(
            log_line(
                f"pre-flight: could not read the account ({type(error).__name__}: {error}); case-only renames of users "
                "and groups and console passwords made outside the stack were not checked"
                + (
                    ": a user who already has one fails with EntityAlreadyExists; import it with "
                    "pulumi import aws:iam/userLoginProfile:UserLoginProfile <user>-login <user> --parent <Users URN>"
                    if console_access
                    else ""
                )
            )
        )
        return None
