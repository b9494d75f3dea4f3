"""Read an IAM account back in the shape of the desired state, to compare them exactly.

Used by the apply harness's tests and by ``scripts/sandbox.py`` after a real ``pulumi up``
against the emulator. Only boto3 calls through paginators; no Pulumi.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from iam_matrix.desired import DesiredState
from iam_matrix.password_policy import FIELDS


def read_account(iam: Any) -> dict[str, Any]:
    """Groups (path, members, managed and inline policies), users (path, tags), customer
    managed policies (path, default document) and the password policy, via paginators."""

    def pages(operation: str, key: str, **kwargs: Any) -> list[Any]:
        return [item for page in iam.get_paginator(operation).paginate(**kwargs) for item in page[key]]

    groups = {}
    for group in pages("list_groups", "Groups"):
        name = group["GroupName"]
        groups[name] = {
            "path": group["Path"],
            "members": sorted(u["UserName"] for u in pages("get_group", "Users", GroupName=name)),
            "policy_arns": sorted(
                p["PolicyArn"] for p in pages("list_attached_group_policies", "AttachedPolicies", GroupName=name)
            ),
            "inline_policies": sorted(pages("list_group_policies", "PolicyNames", GroupName=name)),
        }
    users = {}
    for user in pages("list_users", "Users"):
        tags = {t["Key"]: t["Value"] for t in pages("list_user_tags", "Tags", UserName=user["UserName"])}
        users[user["UserName"]] = {"path": user["Path"], "tags": tags}
    policies = {}
    for policy in pages("list_policies", "Policies", Scope="Local"):
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        document = version["Document"]
        document = json.loads(unquote(document)) if isinstance(document, str) else document
        policies[policy["Arn"]] = {"name": policy["PolicyName"], "path": policy["Path"], "document": document}
    try:
        password = iam.get_account_password_policy()["PasswordPolicy"]
    except iam.exceptions.NoSuchEntityException:
        password = None
    return {"groups": groups, "users": users, "policies": policies, "password_policy": password}


def expected_account(state: DesiredState, account_id: str) -> dict[str, Any]:
    """What ``read_account`` must return after the state is deployed to ``account_id``
    (users only when the stack manages them; ``users`` then holds their paths)."""
    state = state.with_account(account_id)
    groups = {
        g.name: {
            "path": g.path,
            "members": sorted(state.members(g.role)),
            "policy_arns": sorted(g.policy_arns),
            "inline_policies": [],
        }
        for g in state.groups
    }
    users = {u.name: {"path": state.user_path} for u in state.users} if state.manage_users else {}
    policies = {
        state.policy_arn(p): {"name": p.name, "path": p.path, "document": json.loads(json.dumps(p.document))}
        for p in state.policies
    }
    password = state.password_policy.to_api()
    return {"groups": groups, "users": users, "policies": policies, "password_policy": password}


def comparable(live: dict[str, Any]) -> dict[str, Any]:
    """``live`` without what ``expected_account`` does not describe (user tags, fields
    IAM adds to the password policy such as ExpirePasswords)."""
    out = dict(live)
    out["users"] = {name: {"path": u["path"]} for name, u in live["users"].items()}
    if live["password_policy"] is not None:
        # IAM leaves MaxPasswordAge and PasswordReusePrevention out when they are not set: 0 in the state.
        unset = {"MaxPasswordAge": 0, "PasswordReusePrevention": 0}
        out["password_policy"] = {
            field.api_name: live["password_policy"].get(field.api_name, unset.get(field.api_name)) for field in FIELDS
        }
    return out


def differences(live: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Human-readable differences between ``comparable(live)`` and ``expected``."""
    out: list[str] = []
    for section in ("groups", "users", "policies"):
        have, want = live[section], expected[section]
        for name in sorted(set(want) - set(have)):
            out.append(f"{section}: {name} is missing")
        for name in sorted(set(have) - set(want)):
            out.append(f"{section}: {name} should not exist")
        for name in sorted(set(have) & set(want)):
            for key in sorted(set(have[name]) | set(want[name])):
                if have[name].get(key) != want[name].get(key):
                    out.append(f"{section}: {name} {key} is {have[name].get(key)!r}, expected {want[name].get(key)!r}")
    if live["password_policy"] != expected["password_policy"]:
        out.append(f"password policy is {live['password_policy']!r}, expected {expected['password_policy']!r}")
    return out
