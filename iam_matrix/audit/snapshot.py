"""What the audit read from the account: plain data in the shapes boto3 returns.

No boto3 here, so checks can run on a snapshot built by hand (tests, the AuditBaseline
tests) or loaded from JSON; ``gather`` is the only producer that talks to AWS.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ROOT_ROW = "<root_account>"


@dataclass
class Snapshot:
    """One read of an account. ``unavailable`` names the parts that could not be read, and why."""

    account_id: str
    taken_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    region: str = "us-east-1"
    caller_arn: str = ""
    credential_report: list[dict[str, str]] = field(default_factory=list)
    credential_report_generated: datetime | None = None
    users: list[dict[str, Any]] = field(default_factory=list)  # GetAccountAuthorizationDetails UserDetailList
    groups: list[dict[str, Any]] = field(default_factory=list)  # ... GroupDetailList
    policies: list[dict[str, Any]] = field(default_factory=list)  # ... Policies (customer managed only)
    roles: list[dict[str, Any]] = field(default_factory=list)  # ... RoleDetailList (only when gathered with roles=True)
    # AWS managed policies attached to the users and groups: ARN -> default version's document (GetPolicyVersion),
    # and ARN -> why it could not be read (the access checks then fall back to the shipped snapshot)
    managed_documents: dict[str, Any] = field(default_factory=dict)
    managed_unreadable: dict[str, str] = field(default_factory=dict)
    password_policy: dict[str, Any] | None = None  # None: the account has none
    virtual_mfa_devices: list[dict[str, Any]] = field(default_factory=list)
    trails: list[dict[str, Any]] = field(default_factory=list)  # DescribeTrails trailList (with shadow trails)
    trail_status: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # TrailARN -> GetTrailStatus (or {"error": reason})
    config_recorders: list[dict[str, Any]] = field(default_factory=list)
    config_recorder_status: list[dict[str, Any]] = field(default_factory=list)
    analyzers: list[dict[str, Any]] = field(default_factory=list)
    unavailable: dict[str, str] = field(
        default_factory=dict
    )  # part -> reason ("cloudtrail", "config", "access-analyzer", ...)
    requests: int = 0  # HTTP requests the gathering made (retries included)

    def user(self, name: str) -> dict[str, Any] | None:
        return next((u for u in self.users if u["UserName"] == name), None)

    def report_row(self, name: str) -> dict[str, str] | None:
        return next((r for r in self.credential_report if r.get("user") == name), None)


def parse_credential_report(content: bytes | str) -> list[dict[str, str]]:
    """The credential report CSV as one dict per row (``user`` is ``<root_account>`` for root)."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return [dict(row) for row in csv.DictReader(io.StringIO(text))]


def parse_time(value: Any) -> datetime | None:
    """A report or API timestamp as an aware datetime; None for N/A, no_information, not_supported, ''."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value or not value[0].isdigit():
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
