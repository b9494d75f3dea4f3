"""Matrix names the account already holds in another spelling.

IAM user and group names are case-insensitive: ``Alice`` cannot be created while ``alice``
exists (``EntityAlreadyExists``), and a case-only rename is a new resource that the engine
creates before it deletes the old one, so the ``up`` fails half-way. Between two revisions
``iam-matrix diff`` shows it (``review/deploy.py``); one revision shows it only against the
live account, which the program reads before it registers anything
(``components/preflight.py``) and hands here as plain names.
"""

from __future__ import annotations

from collections.abc import Iterable

from .desired import DesiredState
from .problems import Location, Problem, Problems


def case_conflicts(wanted: Iterable[str], existing: Iterable[str]) -> list[tuple[str, str]]:
    """(wanted name, the existing name it equals but for case), for each wanted name that does
    not exist as spelled but does in another spelling."""
    held = set(existing)
    by_case = {name.lower(): name for name in sorted(held)}
    return [
        (name, by_case[name.lower()])
        for name in sorted(set(wanted), key=str.lower)
        if name not in held and name.lower() in by_case
    ]


def _location(source: str) -> Location:
    file, _, sheet = source.partition(":")
    return Location(file, sheet or None)


def _fix(kind: str, wanted: str, existing: str) -> str:
    return (
        f"if {existing} is this stack's {kind} renamed by case, do it in two steps: remove it from the matrix "
        f"(merge, pulumi up), then add {wanted} (merge, pulumi up); if it is not this stack's, spell it {existing} "
        f"in the matrix, or delete or rename {existing} in the account first"
    )


def live_name_problems(state: DesiredState, *, users: Iterable[str], groups: Iterable[str]) -> list[Problem]:
    """A problem per matrix user or group that the account holds in another spelling."""
    problems = Problems()
    sources = {user.name: user.source for user in state.users}
    if state.manage_users:
        for wanted, existing in case_conflicts(sources, users):
            problems.error(
                _location(sources[wanted]),
                "user-case-conflict",
                f"user {wanted}: the account has user {existing}, which differs only in case; IAM names are "
                f"case-insensitive, so {wanted} cannot be created while {existing} exists (EntityAlreadyExists)",
                _fix("user", wanted, existing),
            )
    roles = {group.name: group.role for group in state.groups}
    where = _location(state.users[0].source) if state.users else Location("matrix")
    for wanted, existing in case_conflicts(roles, groups):
        problems.error(
            where,
            "group-case-conflict",
            f"group {wanted} (role {roles[wanted]}): the account has group {existing}, which differs only in "
            f"case; IAM names are case-insensitive, so {wanted} cannot be created while {existing} exists "
            "(EntityAlreadyExists)",
            _fix("group", wanted, existing),
        )
    return problems.items
