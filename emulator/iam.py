"""Appliers for the IAM resources of the iam-matrix program, with the provider's semantics
where they matter for convergence and safety:

* exclusive membership/attachment resources make the live list exactly the input list;
  deleting ``GroupPolicyAttachmentsExclusive``/``GroupPoliciesExclusive`` detaches
  nothing (documented provider behaviour);
* deleting a group, user or policy fails like IAM's ``DeleteConflict`` when it still has
  members, attachments or credentials (moto does not enforce all of these itself).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from components.cleanup import EMPTY_GROUP_HOOK, empty_group

from .account import MotoAccount
from .provider import Applied, Applier, ApplyError, applier, hook, invoke


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]


@applier("aws:iam/group:Group")
class Group(Applier):
    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        group = ctx.iam.create_group(GroupName=inputs["name"], Path=inputs.get("path") or "/")["Group"]
        return group["GroupName"], {**inputs, "arn": group["Arn"], "uniqueId": group["GroupId"], "path": group["Path"]}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        ctx.iam.update_group(GroupName=old.id, NewGroupName=inputs["name"], NewPath=inputs.get("path") or "/")
        group = ctx.iam.get_group(GroupName=inputs["name"])["Group"]
        return {**inputs, "arn": group["Arn"], "uniqueId": group["GroupId"]}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        name = old.id
        problems = []
        if _pages(ctx.iam, "get_group", "Users", GroupName=name):
            problems.append("it still has members")
        if _pages(ctx.iam, "list_attached_group_policies", "AttachedPolicies", GroupName=name):
            problems.append("it still has attached policies")
        if _pages(ctx.iam, "list_group_policies", "PolicyNames", GroupName=name):
            problems.append("it still has inline policies")
        if problems:
            raise ApplyError(f"DeleteConflict: cannot delete group {name}: {', '.join(problems)}")
        ctx.iam.delete_group(GroupName=name)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            group = ctx.iam.get_group(GroupName=old.id)["Group"]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return {"name": group["GroupName"], "path": group["Path"]}


@applier("aws:iam/groupMembership:GroupMembership")
class GroupMembership(Applier):
    replace_keys = ("group",)

    def _converge(self, ctx: MotoAccount, group: str, users: list[str]) -> None:
        current = {u["UserName"] for u in _pages(ctx.iam, "get_group", "Users", GroupName=group)}
        for user in sorted(current - set(users)):
            ctx.iam.remove_user_from_group(GroupName=group, UserName=user)
        for user in sorted(set(users) - current):
            ctx.iam.add_user_to_group(GroupName=group, UserName=user)

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self._converge(ctx, inputs["group"], list(inputs.get("users") or []))
        return inputs.get("name") or inputs["group"], dict(inputs)

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self._converge(ctx, inputs["group"], list(inputs.get("users") or []))
        return dict(inputs)

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        # The provider removes the users it manages (after refresh: all current members).
        try:
            self._converge(ctx, old.inputs["group"], [])
        except ctx.iam.exceptions.NoSuchEntityException:
            pass

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            users = [u["UserName"] for u in _pages(ctx.iam, "get_group", "Users", GroupName=old.inputs["group"])]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return {**old.inputs, "users": users}


@applier("aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive")
class GroupPolicyAttachmentsExclusive(Applier):
    replace_keys = ("groupName",)

    def _converge(self, ctx: MotoAccount, group: str, arns: list[str]) -> None:
        current = {p["PolicyArn"] for p in _pages(ctx.iam, "list_attached_group_policies", "AttachedPolicies", GroupName=group)}
        for arn in sorted(current - set(arns)):
            ctx.iam.detach_group_policy(GroupName=group, PolicyArn=arn)
        for arn in sorted(set(arns) - current):
            ctx.iam.attach_group_policy(GroupName=group, PolicyArn=arn)

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self._converge(ctx, inputs["groupName"], list(inputs.get("policyArns") or []))
        return inputs["groupName"], dict(inputs)

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self._converge(ctx, inputs["groupName"], list(inputs.get("policyArns") or []))
        return dict(inputs)

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        """The provider documents that destroying this resource detaches nothing."""

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            arns = [p["PolicyArn"] for p in _pages(ctx.iam, "list_attached_group_policies", "AttachedPolicies", GroupName=old.inputs["groupName"])]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return {**old.inputs, "policyArns": arns}


@applier("aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive")
class GroupPoliciesExclusive(Applier):
    replace_keys = ("groupName",)

    def _converge(self, ctx: MotoAccount, group: str, names: list[str]) -> None:
        for name in _pages(ctx.iam, "list_group_policies", "PolicyNames", GroupName=group):
            if name not in names:
                ctx.iam.delete_group_policy(GroupName=group, PolicyName=name)

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self._converge(ctx, inputs["groupName"], list(inputs.get("policyNames") or []))
        return inputs["groupName"], dict(inputs)

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self._converge(ctx, inputs["groupName"], list(inputs.get("policyNames") or []))
        return dict(inputs)

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        """Like the attachments: destroying it deletes no inline policy."""

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            names = _pages(ctx.iam, "list_group_policies", "PolicyNames", GroupName=old.inputs["groupName"])
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return {**old.inputs, "policyNames": names}


def _tags(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]


@applier("aws:iam/policy:Policy")
class Policy(Applier):
    replace_keys = ("name", "path", "description")

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        policy = ctx.iam.create_policy(
            PolicyName=inputs["name"], Path=inputs.get("path") or "/", PolicyDocument=inputs["policy"],
            Description=inputs.get("description") or "", Tags=_tags(inputs.get("tags")),
        )["Policy"]
        return policy["Arn"], {**inputs, "arn": policy["Arn"], "policyId": policy["PolicyId"], "tagsAll": inputs.get("tags") or {}}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        arn = old.id
        if json.loads(old.inputs["policy"]) != json.loads(inputs["policy"]):
            versions = ctx.iam.list_policy_versions(PolicyArn=arn)["Versions"]
            if len(versions) >= 5:  # IAM keeps 5 versions; the provider drops the oldest
                oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
                ctx.iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
            ctx.iam.create_policy_version(PolicyArn=arn, PolicyDocument=inputs["policy"], SetAsDefault=True)
        live = {t["Key"]: t["Value"] for t in ctx.iam.list_policy_tags(PolicyArn=arn)["Tags"]}
        wanted = inputs.get("tags") or {}
        if set(live) - set(wanted):
            ctx.iam.untag_policy(PolicyArn=arn, TagKeys=sorted(set(live) - set(wanted)))
        if wanted and wanted != live:
            ctx.iam.tag_policy(PolicyArn=arn, Tags=_tags(wanted))
        return {**old.outputs, **inputs, "tagsAll": wanted}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        attached = ctx.iam.list_entities_for_policy(PolicyArn=old.id)
        if attached["PolicyGroups"] or attached["PolicyUsers"] or attached["PolicyRoles"]:
            raise ApplyError(f"DeleteConflict: cannot delete policy {old.id}: it is still attached")
        for version in ctx.iam.list_policy_versions(PolicyArn=old.id)["Versions"]:
            if not version["IsDefaultVersion"]:
                ctx.iam.delete_policy_version(PolicyArn=old.id, VersionId=version["VersionId"])
        ctx.iam.delete_policy(PolicyArn=old.id)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            policy = ctx.iam.get_policy(PolicyArn=old.id)["Policy"]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        document = ctx.iam.get_policy_version(PolicyArn=old.id, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
        document = json.loads(document) if isinstance(document, str) else document
        tags = {t["Key"]: t["Value"] for t in ctx.iam.list_policy_tags(PolicyArn=old.id)["Tags"]}
        same_document = document == json.loads(old.inputs["policy"])
        return {
            **old.inputs, "name": policy["PolicyName"], "path": policy["Path"], "tags": tags,
            "policy": old.inputs["policy"] if same_document else json.dumps(document),
        }


@applier("aws:iam/user:User")
class User(Applier):
    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {"UserName": inputs["name"], "Path": inputs.get("path") or "/"}
        if inputs.get("tags"):
            kwargs["Tags"] = _tags(inputs["tags"])
        user = ctx.iam.create_user(**kwargs)["User"]
        return user["UserName"], {**inputs, "arn": user["Arn"], "uniqueId": user["UserId"], "tagsAll": inputs.get("tags") or {}}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        name = old.id
        if inputs["name"] != name or (inputs.get("path") or "/") != old.inputs.get("path"):
            ctx.iam.update_user(UserName=name, NewUserName=inputs["name"], NewPath=inputs.get("path") or "/")
            name = inputs["name"]
        live = {t["Key"]: t["Value"] for t in ctx.iam.list_user_tags(UserName=name)["Tags"]}
        wanted = inputs.get("tags") or {}
        if set(live) - set(wanted):
            ctx.iam.untag_user(UserName=name, TagKeys=sorted(set(live) - set(wanted)))
        if wanted and wanted != live:
            ctx.iam.tag_user(UserName=name, Tags=_tags(wanted))
        user = ctx.iam.get_user(UserName=name)["User"]
        return {**inputs, "arn": user["Arn"], "uniqueId": user["UserId"], "tagsAll": wanted}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        """The provider always removes the user from its groups; credentials only with
        ``forceDestroy``, otherwise IAM refuses the delete (DeleteConflict)."""
        name = old.id
        for group in _pages(ctx.iam, "list_groups_for_user", "Groups", UserName=name):
            ctx.iam.remove_user_from_group(GroupName=group["GroupName"], UserName=name)
        keys = _pages(ctx.iam, "list_access_keys", "AccessKeyMetadata", UserName=name)
        mfa = _pages(ctx.iam, "list_mfa_devices", "MFADevices", UserName=name)
        try:
            ctx.iam.get_login_profile(UserName=name)
            login = True
        except ctx.iam.exceptions.NoSuchEntityException:
            login = False
        if old.inputs.get("forceDestroy"):
            for key in keys:
                ctx.iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
            for device in mfa:
                ctx.iam.deactivate_mfa_device(UserName=name, SerialNumber=device["SerialNumber"])
                if ":mfa/" in device["SerialNumber"]:
                    ctx.iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
            if login:
                ctx.iam.delete_login_profile(UserName=name)
        else:
            held = [what for what, present in (("access keys", keys), ("MFA devices", mfa), ("a login profile", login)) if present]
            if held:
                raise ApplyError(f"DeleteConflict: cannot delete user {name}: it still has {', '.join(held)} (forceDestroy is off)")
        ctx.iam.delete_user(UserName=name)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            user = ctx.iam.get_user(UserName=old.id)["User"]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        tags = {t["Key"]: t["Value"] for t in ctx.iam.list_user_tags(UserName=old.id)["Tags"]}
        return {**old.inputs, "name": user["UserName"], "path": user["Path"], "tags": tags}


@applier("aws:iam/userLoginProfile:UserLoginProfile")
class UserLoginProfile(Applier):
    replace_keys = ("user",)

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        password = hashlib.sha256(f"{inputs['user']}:{ctx.account_id}".encode()).hexdigest()[:20] + "aA1!"
        reset = bool(inputs.get("passwordResetRequired"))
        ctx.iam.create_login_profile(UserName=inputs["user"], Password=password, PasswordResetRequired=reset)
        # moto 5 ignores PasswordResetRequired on create; set it the way IAM would have.
        ctx.iam.update_login_profile(UserName=inputs["user"], Password=password, PasswordResetRequired=reset)
        outputs = {**inputs, "password": None}
        if inputs.get("pgpKey"):
            # Stands in for the PGP ciphertext: never the password itself.
            outputs["encryptedPassword"] = "harness-pgp:" + hashlib.sha256(password.encode()).hexdigest()
            outputs["keyFingerprint"] = hashlib.sha1(inputs["pgpKey"].encode()).hexdigest()
        else:
            outputs["password"] = password
        return inputs["user"], outputs

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        return {**old.outputs, **inputs}  # pgpKey, passwordResetRequired only apply at creation

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        try:
            ctx.iam.delete_login_profile(UserName=old.id)
        except ctx.iam.exceptions.NoSuchEntityException:
            pass

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            ctx.iam.get_login_profile(UserName=old.id)
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return old.inputs


_PASSWORD_FIELDS = {
    "minimumPasswordLength": "MinimumPasswordLength",
    "requireSymbols": "RequireSymbols",
    "requireNumbers": "RequireNumbers",
    "requireUppercaseCharacters": "RequireUppercaseCharacters",
    "requireLowercaseCharacters": "RequireLowercaseCharacters",
    "allowUsersToChangePassword": "AllowUsersToChangePassword",
    "maxPasswordAge": "MaxPasswordAge",
    "passwordReusePrevention": "PasswordReusePrevention",
    "hardExpiry": "HardExpiry",
}


@applier("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
class AccountPasswordPolicy(Applier):
    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # The engine carries numbers as floats; the API wants integers.
        kwargs = {api: int(inputs[key]) if isinstance(inputs[key], float) else inputs[key] for key, api in _PASSWORD_FIELDS.items() if inputs.get(key) is not None}
        ctx.iam.update_account_password_policy(**kwargs)
        expire = bool(inputs.get("maxPasswordAge"))
        return "iam-account-password-policy", {**inputs, "expirePasswords": expire}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        return self.create(ctx, inputs)[1]

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.iam.delete_account_password_policy()

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            live = ctx.iam.get_account_password_policy()["PasswordPolicy"]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return {key: live.get(api) for key, api in _PASSWORD_FIELDS.items()}


@invoke("aws:index/getCallerIdentity:getCallerIdentity")
def caller_identity(ctx: MotoAccount, args: dict[str, Any]) -> dict[str, Any]:
    identity = ctx.client("sts").get_caller_identity()
    return {"accountId": identity["Account"], "arn": identity["Arn"], "userId": identity["UserId"], "id": identity["Account"]}


@invoke("aws:index/getPartition:getPartition")
def partition(ctx: MotoAccount, args: dict[str, Any]) -> dict[str, Any]:
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}


@invoke("aws:index/getRegion:getRegion")
def region(ctx: MotoAccount, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": ctx.region, "region": ctx.region, "id": ctx.region, "endpoint": f"ec2.{ctx.region}.amazonaws.com", "description": ctx.region}


@hook(EMPTY_GROUP_HOOK)
def empty_group_before_delete(ctx: MotoAccount, old: Applied) -> None:
    """The program's hook, with the harness's client instead of one built from config."""
    empty_group(ctx.iam, old.inputs["groupName"])
