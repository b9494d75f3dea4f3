"""The audit reads the account in O(pages) requests: never one request per user."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest

import iam_matrix.audit.gather as gather_module
from emulator.account import reset_server
from emulator.seed import build_account, new_session
from iam_matrix.audit.gather import gather
from iam_matrix.desired import DesiredState

PER_USER_OPERATIONS = {
    "ListGroupsForUser",
    "ListAttachedUserPolicies",
    "ListUserPolicies",
    "ListMFADevices",
    "ListAccessKeys",
    "GetLoginProfile",
    "GetUser",
    "GetUserPolicy",
    "ListSigningCertificates",
}


def _operations(extra_users: int, desired: DesiredState) -> Counter[str]:
    """Build an account with the seed's users plus ``extra_users``, audit it, count HTTP requests per operation."""
    reset_server(os.environ["AWS_ENDPOINT_URL"])
    session = new_session()
    build_account(session, desired, extra_users=extra_users)
    sent: Counter[str] = Counter()

    operation: dict[str, str] = {}

    def remember(model: Any, **_: Any) -> None:
        operation["name"] = model.name

    session.events.register("before-call", remember)
    session.events.register(
        "before-send", lambda **_: sent.update([operation.get("name", "?")])
    )  # once per HTTP request, retries included
    snapshot = gather(session)
    assert len(snapshot.users) == len(desired.users) + extra_users
    assert snapshot.requests == sum(sent.values())
    return sent


def test_requests_do_not_grow_with_users(
    aws_server_env: dict[str, Any], desired: DesiredState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gather_module, "PAGE_SIZE", 25)  # small pages so paging shows up with few users
    small = _operations(10, desired)  # 21 users: one page of MFA devices
    large = _operations(60, desired)  # 71 users: three pages
    assert not PER_USER_OPERATIONS & set(large), "the audit must not call per-user IAM APIs"
    growth = large - small
    assert growth == Counter({"ListVirtualMFADevices": 2}), f"only pagination may add requests, got {growth}"
    # the live documents of the AWS managed policies the groups carry: two requests a policy, never per user
    managed = len({p.arn for g in desired.groups for p in g.policies if p.kind == "aws"})
    assert large["GetPolicy"] == large["GetPolicyVersion"] == managed
    assert sum(large.values()) - 2 * managed <= 15
    assert large["GetTrailStatus"] == 1  # per trail, not per user
