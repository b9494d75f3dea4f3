"""Empty a group before its exclusive attachment resources are deleted.

pulumi-aws documents that destroying ``GroupPolicyAttachmentsExclusive`` (or
``GroupPoliciesExclusive``) detaches nothing, and IAM refuses to delete a group that still
has policies (``DeleteConflict``). So when a bundle shrinks (``Developer-3`` is no longer
needed) or a role column is removed, the ``up`` would fail at deleting the group. A named
``before_delete`` resource hook on both exclusive resources detaches the group's managed
policies and deletes its inline policies first; the engine then deletes the group.

The hook runs in the program's process with boto3 and the provider's own credentials and
account check (``components/aws_session.py``).
"""

from __future__ import annotations

from typing import Any

import pulumi

from .aws_session import iam_client

EMPTY_GROUP_HOOK = "iam-matrix-empty-group-before-delete"


def _gone(error: Exception) -> bool:
    """IAM's "not found" (the group, the attachment or the inline policy is already gone)."""
    return getattr(error, "response", {}).get("Error", {}).get("Code") in ("NoSuchEntity", "NoSuchEntityException")


def empty_group(iam: Any, group_name: str) -> list[str]:
    """Detach every managed policy of ``group_name`` and delete its inline policies; return
    what was removed. Each call handles its own "not found" and goes on (a group already
    gone, or a policy someone detached meanwhile, is fine)."""
    removed: list[str] = []
    calls: list[tuple[str, Any]] = []
    try:
        for page in iam.get_paginator("list_attached_group_policies").paginate(GroupName=group_name):
            calls += [
                (
                    p["PolicyArn"],
                    lambda arn=p["PolicyArn"]: iam.detach_group_policy(GroupName=group_name, PolicyArn=arn),
                )
                for p in page["AttachedPolicies"]
            ]
        for page in iam.get_paginator("list_group_policies").paginate(GroupName=group_name):
            calls += [
                (f"inline:{n}", lambda n=n: iam.delete_group_policy(GroupName=group_name, PolicyName=n))
                for n in page["PolicyNames"]
            ]
    except Exception as error:  # noqa: BLE001 - botocore's ClientError; only "not found" is fine
        if _gone(error):
            return removed
        raise
    for what, call in calls:
        try:
            call()
        except Exception as error:  # noqa: BLE001 - as above
            if not _gone(error):
                raise
            continue
        removed.append(what)
    return removed


def _before_delete(args: pulumi.ResourceHookArgs) -> None:
    group = (args.old_inputs or {}).get("groupName") or (args.old_outputs or {}).get("groupName")
    if group:
        iam, _account = iam_client(session_name="iam-matrix-empty-group")
        removed = empty_group(iam, str(group))
        pulumi.log.info(
            f"emptied group {group} before deleting {args.name}: {', '.join(removed) or 'nothing attached'}"
        )


def empty_group_hook() -> pulumi.ResourceHook:
    """The named hook; the program registers it on every run so the engine finds it when
    it deletes a resource that is no longer in the program."""
    return pulumi.ResourceHook(EMPTY_GROUP_HOOK, _before_delete)
