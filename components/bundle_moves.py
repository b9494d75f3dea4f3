"""Move a bundle's policies between its groups before the provider syncs them.

The provider's ``GroupPolicyAttachmentsExclusive`` attaches a group's new policies before it
detaches the old ones, and the engine updates a bundle's groups in no fixed order: when the
placement shifts (one policy added to a full bundle moves one policy from each group to the
next), a full group would need one policy over the quota (``LimitExceeded``), and a policy
moving from ``Dev`` to ``Dev-2`` is in neither group if ``Dev`` goes first. A ``before_update``
hook on every attachment resource of the bundle therefore carries out, against the live
account, the order of calls ``iam_matrix.bundle_moves.plan_moves`` works out (attach in the new
group, then detach from the old, never over the quota); the provider's own sync then finds
nothing left to do. The review diff runs the same plan to say whether one ``pulumi up`` can
apply a change.

Hooks do not run in ``pulumi preview`` and need Pulumi CLI 3.182 or later (``Pulumi.yaml``
``requiredPulumiVersion``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from iam_matrix.bundle_moves import Step, plan_moves
from iam_matrix.bundles import bundle_group_name
from iam_matrix.desired import ACCOUNT_PLACEHOLDER

from .aws_session import iam_client


class MovesImpossible(Exception):
    """No order of calls keeps every group within the quota."""


def live_placement(iam: Any, role: str, wanted: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The policies attached now to each existing group of the role's bundle: the groups of
    the new placement, and ``<Role>-<n>`` groups beyond it that a shrinking bundle still has."""
    live: dict[str, list[str]] = {}
    index = 1
    while True:
        name = bundle_group_name(role, index)
        try:
            live[name] = [
                p["PolicyArn"]
                for page in iam.get_paginator("list_attached_group_policies").paginate(GroupName=name)
                for p in page["AttachedPolicies"]
            ]
        except iam.exceptions.NoSuchEntityException:
            if name not in wanted:
                return live
        index += 1


def apply_step(iam: Any, step: Step) -> None:
    if step.action == "attach":
        iam.attach_group_policy(GroupName=step.group, PolicyArn=step.policy)
        return
    try:
        iam.detach_group_policy(GroupName=step.group, PolicyArn=step.policy)
    except iam.exceptions.NoSuchEntityException:
        pass  # detached meanwhile: the goal is reached


def move_policies(iam: Any, role: str, wanted: Mapping[str, Sequence[str]], quota: int) -> list[Step]:
    """Bring the live bundle to ``wanted`` (group -> ARNs) one safe call at a time."""
    moves = plan_moves(live_placement(iam, role, wanted), wanted, quota)
    if not moves.possible:
        raise MovesImpossible(
            f"the groups of role {role} cannot take {', '.join(moves.stuck)} "
            f"without going over {quota} policies per group; "
            "nothing over the quota was attached. Apply the change "
            "in smaller steps (python -m iam_matrix diff says which)"
        )
    for step in moves.steps:
        apply_step(iam, step)
    return list(moves.steps)


def bundle_moves_hook(role: str, placement: Mapping[str, Sequence[str]], quota: int) -> pulumi.ResourceHook:
    """The named ``before_update`` hook of the role's attachment resources. ``placement`` is
    the new placement as the core planned it (custom policy ARNs with the account placeholder,
    filled in with the account the credentials reach)."""

    def before_update(args: pulumi.ResourceHookArgs) -> None:
        iam, account = iam_client(session_name="iam-matrix-bundle-moves")
        wanted = {
            group: [arn.replace(ACCOUNT_PLACEHOLDER, account) for arn in arns] for group, arns in placement.items()
        }
        steps = move_policies(iam, role, wanted, quota)
        if steps:
            pulumi.log.info(
                f"bundle {role}: "
                + "; ".join(
                    f"{s.action} {s.policy} {'to' if s.action == 'attach' else 'from'} {s.group}" for s in steps
                )
            )

    return pulumi.ResourceHook(f"iam-matrix-bundle-moves-{role}", before_update)
