"""Split a role's policies into a bundle of IAM groups that each fit the per-group quota.

Every member of the role is put in every group of its bundle, so *which* group holds a
policy changes nothing about what members may do. That lets the split be simple and
predictable: guardrails (``/foundation/`` policies) first, in the role's first group;
then the other policies in case-insensitive name order, filling each group to the quota.
Row and column order in the sheet do not matter.
"""

from __future__ import annotations

from .desired import PolicyRef


def bundle_group_name(role: str, index: int) -> str:
    return role if index == 1 else f"{role}-{index}"


def split_policies(policies: list[PolicyRef], quota: int) -> list[tuple[PolicyRef, ...]]:
    """Chunks of at most ``quota`` policies; the first chunk starts with every guardrail.

    The caller checks that the guardrails alone fit in one group.
    """

    def order(p: PolicyRef) -> tuple[str, str]:
        return (p.name.lower(), p.arn)

    guardrails = sorted((p for p in policies if p.guardrail), key=order)
    others = sorted((p for p in policies if not p.guardrail), key=order)
    ordered = guardrails + others
    if not ordered:
        return [()]
    return [tuple(ordered[start : start + quota]) for start in range(0, len(ordered), quota)]
