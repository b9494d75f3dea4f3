"""Which users and groups of the account the drift checks compare (documented in docs/audit.md).

* users: every user whose path is under the stack's ``userPath`` (``/`` by default, so all
  users), plus any user the matrix names wherever it lives. A user in scope but not in the
  matrix is ``user-unexpected``: finding users nobody needs is the point of the seed's audit.
* groups: every group under the paths of the planned groups (``groupPath``), plus any group
  the matrix plans. Groups elsewhere belong to someone else and are not compared.
* custom policies: every policy in policies/, and customer managed policies under the same
  IAM paths (``/foundation/``, ...) as unexpected.
* hygiene checks (inline policies, directly attached policies, MFA, credentials) cover every
  user and group of the account: they are account rules, not matrix rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...desired import DesiredState
from ..snapshot import Snapshot


def _under(path: str, prefixes: Iterable[str]) -> bool:
    return any(path.startswith(prefix) for prefix in prefixes)


def group_paths(desired: DesiredState) -> set[str]:
    return {g.path for g in desired.groups} or {"/"}


def scoped_users(desired: DesiredState, snapshot: Snapshot) -> list[dict[str, Any]]:
    names = {u.name for u in desired.users}
    return [u for u in snapshot.users if u["UserName"] in names or _under(u.get("Path", "/"), [desired.user_path])]


def scoped_groups(desired: DesiredState, snapshot: Snapshot) -> list[dict[str, Any]]:
    names = {g.name for g in desired.groups}
    paths = group_paths(desired)
    return [g for g in snapshot.groups if g["GroupName"] in names or _under(g.get("Path", "/"), paths)]
