"""How access changes between two models of the same principal: what the review diff reports.

Every judgement comes from the model (actions, resources, conditions, denies), never from a
policy's name: a custom ``*`` on ``arn:*`` is administrator access, an edited guardrail that
denies less is a weakened guardrail whatever it is still called.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .catalog import ActionCatalog
from .model import Access, GuardrailState

MAX_NAMED = 5  # actions or paths named in one message before "and N more"


@dataclass(frozen=True)
class Gain:
    kind: str  # "admin", "near-admin", "privilege-escalation", "permissions-management", "credentials-exposure"
    message: str  # without the subject, e.g. "becomes admin-equivalent (...) through ..."


@dataclass(frozen=True)
class Delta:
    gained: dict[str, int]  # access level -> number of actions gained
    lost: dict[str, int]
    services: tuple[str, ...]  # service prefixes with an action gained or lost

    @property
    def empty(self) -> bool:
        return not (self.gained or self.lost)


def delta(before: Access | None, after: Access | None, catalog: ActionCatalog) -> Delta:
    old = before.allowed if before is not None else 0
    new = after.allowed if after is not None else 0
    gained, lost = new & ~old, old & ~new
    if not (gained or lost):
        return Delta({}, {}, ())
    return Delta(catalog.level_counts(gained), catalog.level_counts(lost), tuple(catalog.services_in(gained | lost)))


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")


def _via(pairs: Iterable[tuple[str, str]]) -> str:
    """``P (role R), Q (role S)``."""
    return ", ".join(f"{policy} (role {role})" for role, policy in dict.fromkeys(pairs))


def _supplying(after: Access, bits: int) -> str:
    """The fewest policies (and roles) whose broad allows cover ``bits``, largest share first."""
    chosen: list[tuple[str, str]] = []
    remaining = bits
    while remaining and len(chosen) < MAX_NAMED:
        best = max(after.grants, key=lambda g: (g.access.broad & remaining).bit_count(), default=None)
        if best is None or not best.access.broad & remaining:
            break
        chosen.append((best.role, best.policy))
        remaining &= ~best.access.broad
    return _via(chosen)


def gains(before: Access | None, after: Access) -> list[Gain]:
    """The risk classes ``after`` has that ``before`` did not (``before`` None: a new principal)."""
    catalog = after.model.catalog
    found: list[Gain] = []
    had_admin = before is not None and before.admin_equivalent
    had_near = before is not None and (before.admin_equivalent or before.near_admin)
    old_broad = before.broad if before is not None else 0
    share = f"{after.broad.bit_count()} of {len(catalog)} actions on all resources"
    condition = "" if after.unconditional & after.broad == after.broad else ", some only under a condition"
    if after.admin_equivalent and not had_admin:
        found.append(
            Gain(
                "admin",
                f"becomes admin-equivalent ({share}{condition}) through "
                f"{_supplying(after, after.broad & ~old_broad or after.broad)}",
            )
        )
        return found  # everything below is implied
    if after.near_admin and not had_near:
        missing = catalog.services_in(catalog.all & ~after.broad)
        found.append(
            Gain(
                "near-admin",
                f"gets near-admin access ({share}{condition}; not: {_named(missing)}) "
                f"through {_supplying(after, after.broad & ~old_broad or after.broad)}",
            )
        )
    old_paths = {p.method for p in before.escalation_paths} if before is not None else set()
    new_paths = [p for p in after.escalation_paths if p.method not in old_paths]
    if new_paths:
        described = []
        for path in new_paths[:MAX_NAMED]:
            described.append(f"{path.method} ({'; '.join(f'{a} via {_via(path.sources[a])}' for a in path.actions)})")
        more = f"; and {len(new_paths) - MAX_NAMED} more" if len(new_paths) > MAX_NAMED else ""
        found.append(
            Gain(
                "privilege-escalation",
                f"gains {len(new_paths)} privilege-escalation path(s): {'; '.join(described)}{more}",
            )
        )
    for kind, bits, what in (
        ("permissions-management", catalog.level_masks["Permissions management"], "permissions-management"),
        ("credentials-exposure", after.model.risks.credentials_exposure, "credentials-exposing"),
    ):
        new = after.broad & bits & ~old_broad
        if new:
            found.append(
                Gain(
                    kind,
                    f"gains {new.bit_count()} {what} action(s) on all resources "
                    f"({_named(catalog.names_of(new))}) through {_supplying(after, new)}",
                )
            )
    return found


GUARDRAIL_LABELS = {"mfa": "MFA", "network": "network"}


def weakened(before: GuardrailState, after: GuardrailState, catalog: ActionCatalog) -> str | None:
    """How a guardrail denies less than before, or None when it denies at least as much."""
    if not before.present:
        return None
    lost = before.denied & ~after.denied
    if not lost:
        return None
    label = GUARDRAIL_LABELS[before.kind]
    if not after.present:
        return f"the {label} guardrail is gone (it was {', '.join(before.policies)})"
    return (
        f"the {label} guardrail denies {lost.bit_count()} action(s) fewer: "
        f"{', '.join(after.policies)} no longer denies {_named(catalog.names_of(lost))}"
    )
