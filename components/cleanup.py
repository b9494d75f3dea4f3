"""Empty a group before its exclusive attachment resources are deleted.

pulumi-aws documents that destroying ``GroupPolicyAttachmentsExclusive`` (or
``GroupPoliciesExclusive``) detaches nothing, and IAM refuses to delete a group that still
has policies (``DeleteConflict``). So when a bundle shrinks (``Developer-3`` is no longer
needed) or a role column is removed, the ``up`` would fail at deleting the group. A named
``before_delete`` resource hook on both exclusive resources detaches the group's managed
policies and deletes its inline policies first; the engine then deletes the group.

The hook runs in the program's process with boto3, configured from the stack's ``aws:``
config (region, profile, static keys, IAM endpoint, first assumed role) on top of the
standard credential chain, i.e. the account the provider deploys to.
"""

from __future__ import annotations

from typing import Any

import pulumi

EMPTY_GROUP_HOOK = "iam-matrix-empty-group-before-delete"


def empty_group(iam: Any, group_name: str) -> list[str]:
    """Detach every managed policy of ``group_name`` and delete its inline policies;
    return what was removed. A group that is already gone is fine."""
    removed: list[str] = []
    try:
        for page in iam.get_paginator("list_attached_group_policies").paginate(GroupName=group_name):
            for policy in page["AttachedPolicies"]:
                iam.detach_group_policy(GroupName=group_name, PolicyArn=policy["PolicyArn"])
                removed.append(policy["PolicyArn"])
        for page in iam.get_paginator("list_group_policies").paginate(GroupName=group_name):
            for name in page["PolicyNames"]:
                iam.delete_group_policy(GroupName=group_name, PolicyName=name)
                removed.append(f"inline:{name}")
    except iam.exceptions.NoSuchEntityException:
        return removed
    return removed


def iam_client_from_stack_config() -> Any:
    """A boto3 IAM client for the account the stack's aws provider targets."""
    import boto3

    aws = pulumi.Config("aws")
    session = boto3.Session(
        profile_name=aws.get("profile") or None,
        region_name=aws.get("region") or None,
        aws_access_key_id=aws.get("accessKey") or None,
        aws_secret_access_key=aws.get("secretKey") or None,
        aws_session_token=aws.get("token") or None,
    )
    endpoint = None
    for entry in aws.get_object("endpoints") or []:
        if isinstance(entry, dict) and entry.get("iam"):
            endpoint = entry["iam"]
    roles = aws.get_object("assumeRoles") or ([aws.get_object("assumeRole")] if aws.get_object("assumeRole") else [])
    if roles and isinstance(roles[0], dict) and roles[0].get("roleArn"):
        credentials = session.client("sts").assume_role(RoleArn=roles[0]["roleArn"], RoleSessionName=roles[0].get("sessionName") or "iam-matrix-hook")["Credentials"]
        session = boto3.Session(
            region_name=session.region_name,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
    return session.client("iam", endpoint_url=endpoint)


def _before_delete(args: pulumi.ResourceHookArgs) -> None:
    group = (args.old_inputs or {}).get("groupName") or (args.old_outputs or {}).get("groupName")
    if group:
        removed = empty_group(iam_client_from_stack_config(), str(group))
        pulumi.log.info(f"emptied group {group} before deleting {args.name}: {', '.join(removed) or 'nothing attached'}")


def empty_group_hook() -> pulumi.ResourceHook:
    """The named hook; the program registers it on every run so the engine finds it when
    it deletes a resource that is no longer in the program."""
    return pulumi.ResourceHook(EMPTY_GROUP_HOOK, _before_delete)
