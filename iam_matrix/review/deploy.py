"""Can one ``pulumi up`` apply the change? What the provider and IAM do with it, beyond access.

* **Bundle moves**: when a role's placement over its groups shifts, policies move between
  the groups. ``iam_matrix.bundle_moves.plan_moves`` (which the program's ``before_update``
  hook carries out) says whether that can happen without a group going over the quota and
  without a kept policy leaving all of the role's groups; if not, the change must be split.
* **A custom policy's path changes** (its file moved to another folder): ``path`` is ForceNew
  and the bridge replaces a named policy delete-first, which IAM refuses while the policy is
  attached (``DeleteConflict``).
* **Case-only renames** of users or groups: IAM names are case-insensitive, so the new
  spelling cannot be created while the old one exists (``EntityAlreadyExists``).

A note that ``blocks`` makes ``diff`` exit 2: the change cannot be applied as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..bundle_moves import plan_moves
from ..desired import DesiredState
from ..live_names import case_conflicts


@dataclass(frozen=True)
class DeployNote:
    kind: str  # "bundle-moves", "bundle-overflow", "policy-path", "case-rename"
    subject: str
    message: str
    blocks: bool = False


def _placements(state: DesiredState) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for group in state.groups:
        out.setdefault(group.role, {})[group.name] = list(group.policy_arns)
    return out


def _bundle_notes(base: DesiredState, head: DesiredState, quota: int) -> list[DeployNote]:
    notes = []
    before, after = _placements(base), _placements(head)
    for role in sorted(set(before) & set(after), key=str.lower):
        moves = plan_moves(before[role], after[role], quota)
        short = {arn: arn.rsplit("/", 1)[-1] for arn in moves.moved + moves.stuck}
        if not moves.possible:
            notes.append(
                DeployNote(
                    "bundle-overflow",
                    role,
                    f"role {role}: its groups cannot take {', '.join(short[a] for a in moves.stuck)} "
                    f"without going over {quota} policies per group "
                    "at some moment; one pulumi up cannot apply this. Split "
                    "the change: add or remove fewer policies per pull request",
                    blocks=True,
                )
            )
        elif moves.moved:
            notes.append(
                DeployNote(
                    "bundle-moves",
                    role,
                    f"role {role}: {len(moves.moved)} "
                    f"polic{'y moves' if len(moves.moved) == 1 else 'ies move'} between its groups "
                    f"({', '.join(short[a] for a in moves.moved)}); one pulumi up "
                    "applies it: the bundle's hook attaches each in its new group "
                    f"before detaching it from the old one, never over {quota} per group",
                )
            )
    return notes


def _path_notes(base: DesiredState, head: DesiredState) -> list[DeployNote]:
    old = {p.name: p for p in base.policies}
    notes = []
    for policy in sorted(head.policies, key=lambda p: p.name.lower()):
        was = old.get(policy.name)
        if was is not None and was.path != policy.path:
            notes.append(
                DeployNote(
                    "policy-path",
                    policy.name,
                    f"custom policy {policy.name} moves from path {was.path} to {policy.path} "
                    f"({was.source} -> {policy.source}): the provider replaces it "
                    "delete-first and IAM refuses to delete an attached policy "
                    "(DeleteConflict). Keep the file in its folder, or do it in two steps: "
                    "remove the policy from every role (merge, pulumi up), "
                    "then add it back from the new folder (merge, pulumi up)",
                    blocks=True,
                )
            )
    return notes


def _case_notes(kind: str, before: Iterable[str], after: Iterable[str]) -> list[DeployNote]:
    old, new = set(before), set(after)
    notes = []
    for name, was in case_conflicts(new - old, old - new):
        notes.append(
            DeployNote(
                "case-rename",
                name,
                f"{kind} {was} becomes {name}, which differs only in case: IAM "
                f"names are case-insensitive, so {name} cannot be created while "
                f"{was} exists (EntityAlreadyExists). Two steps: remove "
                f"{was} (merge, pulumi up), then add {name} (merge, pulumi up)",
                blocks=True,
            )
        )
    return notes


def deploy_notes(base: DesiredState, head: DesiredState, quota: int) -> list[DeployNote]:
    """Everything about applying ``head`` over ``base`` that a reviewer must know, blocking first."""
    notes = (
        _case_notes("user", (u.name for u in base.users), (u.name for u in head.users))
        + _case_notes("group", (g.name for g in base.groups), (g.name for g in head.groups))
        + _path_notes(base, head)
        + _bundle_notes(base, head, quota)
    )
    return sorted(notes, key=lambda n: not n.blocks)
