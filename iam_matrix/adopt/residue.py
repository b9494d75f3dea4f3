"""The residue report: what the draft matrix cannot express, what the first ``pulumi up``
does to it, and what to do first. Text for people, JSON for tools.

Every value that came from the account is printed through ``shown`` (control characters
escaped), so a crafted name cannot rewrite the terminal or forge report lines.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

RESERVED_PATHS = ("/aws-reserved/", "/aws-service-role/")
RESERVED_PREFIXES = ("AWSReservedSSO_", "AWSServiceRoleFor")


@dataclass(frozen=True)
class Residue:
    kind: str  # e.g. "inline-group-policy"
    subject: str  # e.g. "group/Developer"
    what: str
    first_up: str  # what the first ``pulumi up`` does to it
    to_do: str
    details: Mapping[str, Any] = field(default_factory=dict)
    blocking: bool = False  # the first up removes or changes something: review before it runs

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "what": self.what,
            "first_up": self.first_up,
            "to_do": self.to_do,
            "review_first": self.blocking,
            "details": dict(self.details),
        }


def reserved_reason(name: str, path: str) -> str | None:
    """Why an entity belongs to AWS (IAM Identity Center, service-linked roles), or None."""
    if path.startswith(RESERVED_PATHS):
        return f"AWS-reserved (path {path})"
    if name.startswith(RESERVED_PREFIXES):
        return f"AWS-reserved (name starts with {next(p for p in RESERVED_PREFIXES if name.startswith(p))})"
    return None


def shown(text: object) -> str:
    """``text`` with control characters (newlines, ESC, ...) escaped, for a terminal or a log."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


ORDER = (
    "inline-group-policy",
    "path-moves",
    "group-not-adoptable",
    "user-name",
    "policy-unknown",
    "document-placeholder",
    "first-up",
    "inline-user-policy",
    "user-attached-policy",
    "user-no-group",
    "bundle-name-collision",
    "policy-unattached",
    "policy-not-on-group",
    "policy-not-written",
    "access-key",
    "login-profile",
    "password-policy-missing",
    "admin-roles",
    "tags",
    "policy-description",
    "role",
    "reserved",
)


def _rank(entry: Residue) -> tuple[int, int, str]:
    kind = ORDER.index(entry.kind) if entry.kind in ORDER else len(ORDER)
    return (not entry.blocking, kind, entry.subject.lower())


def residue_text(entries: Sequence[Residue], header: Sequence[str] = ()) -> str:
    """Review-first entries on top, then by kind; one paragraph each."""
    lines = [shown(h) for h in header]
    counts = Counter(e.kind for e in entries)
    review = sum(e.blocking for e in entries)
    lines.append(
        f"{len(entries)} entries, {review} to review before the first pulumi up: "
        + ", ".join(
            f"{kind} {n}"
            for kind, n in sorted(counts.items(), key=lambda kv: ORDER.index(kv[0]) if kv[0] in ORDER else 99)
        )
    )
    for entry in sorted(entries, key=_rank):
        lines.append("")
        lines.append(f"[{'REVIEW' if entry.blocking else 'info'}] {entry.kind}: {shown(entry.subject)}")
        lines.append(f"  what:     {shown(entry.what)}")
        lines.append(f"  first up: {shown(entry.first_up)}")
        lines.append(f"  to do:    {shown(entry.to_do)}")
    return "\n".join(lines) + "\n"


def residue_json(entries: Sequence[Residue], summary: Mapping[str, Any]) -> str:
    ordered = sorted(entries, key=_rank)
    return (
        json.dumps({**summary, "entries": [e.to_dict() for e in ordered]}, indent=2, ensure_ascii=True, default=str)
        + "\n"
    )
