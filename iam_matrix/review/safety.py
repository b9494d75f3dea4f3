"""Changes that are valid but dangerous: a change that removes a large share of a stack's
users is refused by ``diff`` unless the head revision confirms it (``confirmUserRemoval``).
A truncated export, a filter left on in Excel or a bad merge must not delete everyone on
the next ``pulumi up``; ``validate`` refuses a users file with no users at all."""

from __future__ import annotations

from ..problems import Location, Problem, Problems
from .diff import Revision


def mass_removal(base: Revision, head: Revision) -> list[Problem]:
    """An error when ``head`` removes more than its ``maxUserRemovalPercent`` of ``base``'s
    users and does not set ``confirmUserRemoval``."""
    problems = Problems()
    before = {u.name for u in base.state.users}
    removed = before - {u.name for u in head.state.users}
    if not before or head.confirm_user_removal:
        return []
    share = 100 * len(removed) / len(before)
    if share > head.max_user_removal_percent:
        where = Location(f"Pulumi.{head.state.stack}.yaml", None, "iam-matrix:maxUserRemovalPercent")
        problems.error(
            where,
            "config-user-removal",
            f"the change removes {len(removed)} of {len(before)} users ({share:.0f} "
            f"%), more than maxUserRemovalPercent ({head.max_user_removal_percent} %)",
            "check the users file is complete; if the removal is meant, "
            "set iam-matrix:confirmUserRemoval: true in this change",
        )
    return problems.items
