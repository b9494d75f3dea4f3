"""Access: what the live policies grant, judged by the same access model as the diff and
validate (``iam_matrix/access/``) over the documents GetAccountAuthorizationDetails returns,
against the model of the matrix: who is admin-equivalent, who can escalate, whose MFA or
network guardrail denies less than the matrix's documents."""

from __future__ import annotations

from ...access.live import live_model
from ...access.model import build_model
from ...desired import DesiredState
from ..findings import Check, Finding, register
from ..snapshot import Snapshot
from .base import Area
from .scope import scoped_users

DOC = "docs/access-model.md"

CHECKS = register(
    Check(
        "access-admin-unexpected",
        "access",
        "critical",
        "A user is admin-equivalent in the account (however the "
        "policies write it) but not through the matrix's adminRoles",
        remediation="remove the access the matrix does not give, or give the user an adminRoles role in the matrix",
        doc=DOC,
    ),
    Check(
        "access-privilege-escalation",
        "access",
        "high",
        "A user's live policies together allow a known privilege-escalation path the matrix does not give them",
        remediation="detach the policies that supply the path's actions",
        doc=DOC,
    ),
    Check(
        "access-guardrail-weakened",
        "access",
        "high",
        "A user's MFA or network guardrail denies less in the account than the matrix's documents do",
        remediation="run pulumi up to restore the guardrail policy and its document",
        doc=DOC,
    ),
)


def access_findings(desired: DesiredState, snapshot: Snapshot) -> list[Finding]:
    """The access model over the live documents, against the model of the matrix: who is
    admin-equivalent, who can escalate, whose guardrails deny less than the matrix's."""
    want = build_model(desired)
    live, from_snapshot = live_model(
        scoped_users(desired, snapshot), snapshot.groups, snapshot.policies, snapshot.managed_documents
    )
    note = _snapshot_note(from_snapshot, snapshot)
    out: list[Finding] = []
    wanted_users = set(want.user_names)
    for name in live.user_names:
        access = live.user(name)
        planned = want.user(name) if name in wanted_users else None
        resource = f"user/{name}"
        if access.admin_equivalent and not (planned and planned.admin_equivalent):
            via = ", ".join(
                f"{g.policy} ({g.role})" for g in access.grants if g.access.broad.bit_count() * 2 > len(live.catalog)
            )
            out.append(
                Finding(
                    "access-admin-unexpected",
                    resource,
                    f"{name} is admin-equivalent in the account (through "
                    f"{via}) but the matrix does not make them an administrator",
                    "remove the access that is not in the matrix (audit drift findings "
                    "name it), or give the user an adminRoles role in the matrix",
                    details={"via": via, **note},
                )
            )
        planned_paths = {p.method for p in planned.escalation_paths} if planned else set()
        extra = [p for p in access.escalation_paths if p.method not in planned_paths]
        if extra and not access.admin_equivalent:
            described = "; ".join(
                f"{p.method} ("
                + ", ".join(f"{a} via {'/'.join(dict.fromkeys(pol for _, pol in p.sources[a]))}" for a in p.actions)
                + ")"
                for p in extra[:3]
            )
            more = f"; and {len(extra) - 3} more" if len(extra) > 3 else ""
            out.append(
                Finding(
                    "access-privilege-escalation",
                    resource,
                    f"{name} can escalate privileges in the account beyond what the matrix gives: {described}{more}",
                    "detach the policies that supply these actions (audit drift findings name those not in the matrix)",
                    details={"paths": [p.method for p in extra], **note},
                )
            )
        if planned is None:
            continue
        for kind, label in (("mfa", "MFA"), ("network", "network")):
            should, has = planned.guardrails[kind], access.guardrails[kind]
            if should.present and (has.denied & should.denied) != should.denied:
                missing = should.denied & ~has.denied
                out.append(
                    Finding(
                        "access-guardrail-weakened",
                        resource,
                        f"{name}'s {label} guardrail denies {missing.bit_count()} "
                        "action(s) fewer in the account than the matrix's "
                        f"documents ({', '.join(has.policies) or 'no guardrail policy'} "
                        f"live, {', '.join(should.policies)} planned)",
                        "run pulumi up to restore the guardrail policy and its document",
                        details={"kind": kind, "undenied": missing.bit_count(), **note},
                    )
                )
    return out


def _snapshot_note(names: set[str], snapshot: Snapshot) -> dict[str, object]:
    """Which AWS managed policies were judged by the shipped snapshot instead of the account's
    live documents, and why (not read by this audit, or the read failed)."""
    if not names:
        return {}
    unreadable = {arn.rsplit("/", 1)[-1]: reason for arn, reason in snapshot.managed_unreadable.items()}
    return {
        "aws_managed_documents_from_shipped_snapshot": sorted(names),
        "why": {name: unreadable.get(name, "not read from the account") for name in sorted(names)},
    }


AREA = Area("access", CHECKS, lambda given: access_findings(given.desired, given.snapshot))
