"""How a role's policies move from one placement over its groups to another, one IAM call
at a time, so that no group ever holds more than the quota and no policy the role keeps is
ever out of all of its groups.

Why: pulumi-aws's ``GroupPolicyAttachmentsExclusive`` syncs one group at a time, attaching
the group's new policies before it detaches the old ones
(terraform-provider-aws ``internal/service/iam/group_policy_attachments_exclusive.go``,
``syncAttachments``), and the engine updates the groups of a bundle in no fixed order. When a
bundle's placement shifts (a policy added to a full bundle pushes one policy from each group
into the next), a full group would need quota + 1 policies for a moment (IAM refuses:
``LimitExceeded``), and a policy moving from group A to group B is out of both groups if A is
updated first. ``plan_moves`` orders the calls so neither happens; the same plan tells the
review diff whether one ``pulumi up`` can apply a change, and the program's ``before_update``
hook (``components/bundle_moves.py``) carries it out against the live account.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    action: str  # "attach" or "detach"
    group: str
    policy: str  # the policy ARN


@dataclass(frozen=True)
class Moves:
    steps: tuple[Step, ...]
    moved: tuple[str, ...]  # policies the role keeps that change group
    stuck: tuple[str, ...] = ()  # policies that cannot reach their group without exceeding the quota

    @property
    def possible(self) -> bool:
        return not self.stuck


def provider_peak(before: Mapping[str, Collection[str]], after: Mapping[str, Collection[str]]) -> dict[str, int]:
    """Per group, the most policies it holds during the provider's own sync (attach, then detach)."""
    return {
        group: len(set(before.get(group, ())) | set(after.get(group, ()))) for group in sorted(set(before) | set(after))
    }


def plan_moves(live: Mapping[str, Collection[str]], wanted: Mapping[str, Collection[str]], quota: int) -> Moves:
    """The calls that turn ``live`` (group -> attached ARNs, every group of the bundle that
    exists, including groups the new placement drops) into ``wanted`` (group -> ARNs).

    Policies the role no longer has are detached first (that frees room); then, repeatedly, a
    wanted policy is attached where the group has room, and a copy that is no longer wanted is
    detached only once the policy is attached to its wanted group. What cannot be placed
    without exceeding ``quota`` is reported in ``stuck`` (nothing is ever over the quota).
    """
    current = {group: set(arns) for group, arns in live.items()}
    target = {group: set(arns) for group, arns in wanted.items()}
    for group in target:
        current.setdefault(group, set())
    kept = set().union(*target.values()) if target else set()
    steps: list[Step] = []
    for group in sorted(current):
        for arn in sorted(current[group] - target.get(group, set()) - kept):
            steps.append(Step("detach", group, arn))
            current[group].discard(arn)
    moved = sorted({arn for group, arns in current.items() for arn in arns - target.get(group, set())} & kept)
    progress = True
    while progress:
        progress = False
        for group in sorted(target):
            for arn in sorted(target[group] - current[group]):
                if len(current[group]) < quota:
                    steps.append(Step("attach", group, arn))
                    current[group].add(arn)
                    progress = True
        for group in sorted(current):
            for arn in sorted(current[group] - target.get(group, set())):
                if any(arn in current[other] for other in target if arn in target[other]):
                    steps.append(Step("detach", group, arn))
                    current[group].discard(arn)
                    progress = True
    stuck = sorted({arn for group in target for arn in target[group] - current[group]})
    return Moves(tuple(steps), tuple(moved), tuple(stuck))
