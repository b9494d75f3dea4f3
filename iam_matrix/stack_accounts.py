"""One stack per AWS account: two stacks of a project pinned to the same account would fight
over the account-wide password policy and the same groups, so that is an error, unless both
stacks say they share the account (``iam-matrix:shareAccount``) and keep out of each other's
way: disjoint group and user paths, and the same password policy.

A leaf module: it sees each stack as a ``StackScope`` (what it claims in the account), so
``settings`` can call it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from .password_policy import PasswordPolicy
from .problems import Location, Problems
from .project import PROJECT


class StackScope(NamedTuple):
    stack: str
    config_file: str
    account_id: str | None
    share_account: bool
    group_path: str
    user_path: str
    password_policy: PasswordPolicy


def overlaps(one: str, other: str) -> bool:
    """IAM paths overlap when one lies within the other (``/`` holds every path)."""
    return one.startswith(other) or other.startswith(one)


def check_account_sharing(own: StackScope, others: Iterable[StackScope], problems: Problems) -> None:
    """Problems of ``own`` with every other stack of the project pinned to the same account."""
    if own.account_id is None:
        return
    where = Location(own.config_file, None, "aws:allowedAccountIds")
    for other in others:
        if other.stack == own.stack or other.account_id != own.account_id:
            continue
        if not (own.share_account and other.share_account):
            problems.error(
                where,
                "stack-same-account",
                f"stack {other.stack} ({other.config_file}) is pinned to "
                f"the same account {own.account_id}: two stacks in one "
                "account fight over the account-wide password policy and the same groups",
                "pin each stack to its own account; only stacks that "
                "manage disjoint parts of one account may share it, "
                f"and then every one of them sets {PROJECT}:shareAccount: true, its own groupPath and userPath",
            )
            continue
        clashes = [
            key
            for key, mine, theirs in (
                ("groupPath", own.group_path, other.group_path),
                ("userPath", own.user_path, other.user_path),
            )
            if overlaps(mine, theirs)
        ]
        if clashes:
            pairs = ", ".join(
                f"{key} {getattr(own, _ATTR[key])!r} and {getattr(other, _ATTR[key])!r}" for key in clashes
            )
            problems.error(
                where,
                "stack-shared-overlap",
                f"stack {other.stack} shares account {own.account_id} "
                f"but its {' and '.join(clashes)} overlap this stack's ({pairs})",
                f"give each stack sharing the account its own {PROJECT}:groupPath "
                f"and {PROJECT}:userPath, neither inside the other "
                "(e.g. /team-a/ and /team-b/); IAM group, user and "
                "policy names are account-wide, so keep them distinct too",
            )
        if own.password_policy != other.password_policy:
            problems.error(
                where,
                "stack-shared-overlap",
                f"stack {other.stack} shares account {own.account_id} "
                "with another password policy; the password policy is "
                "account-wide, so each up would overwrite the other's",
                f"set the same {PROJECT}:password* values in every stack that shares the account",
            )


_ATTR = {"groupPath": "group_path", "userPath": "user_path"}
