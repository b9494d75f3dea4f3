"""Appliers for the IAM resources of the iam-matrix program, following the provider's source
(terraform-provider-aws ``internal/service/iam/<file>.go``, bridged by pulumi-aws 7.x; the
file of each class is named in its docstring and in ``emulator/BEHAVIOUR.md``).

IAM's own refusals (quotas, case-insensitive names, DeleteConflict, the password policy)
are in ``emulator/iam_rules.py``, so they hold for every client, not only these appliers.
"""

from __future__ import annotations

import hashlib
import json
import string
import uuid
from typing import Any

from botocore.exceptions import ClientError

from .account import MotoAccount
from .appliers import Applied, Applier, applier, invoke


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("NoSuchEntity", "NoSuchEntityException")


def _tags(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]


@applier("aws:iam/group:Group")
class Group(Applier):
    """group.go: ``name`` and ``path`` update in place (UpdateGroup); delete is DeleteGroup
    alone, which IAM refuses while the group has members or policies."""

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        group = ctx.iam.create_group(GroupName=inputs["name"], Path=inputs.get("path") or "/")["Group"]
        return group["GroupName"], {**inputs, "arn": group["Arn"], "uniqueId": group["GroupId"], "path": group["Path"]}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        path = inputs.get("path") or "/"
        if inputs["name"] == old.id:
            # group.go sends NewGroupName even when only the path changes, which IAM accepts; moto
            # refuses a NewGroupName equal to the old one and sets a path only with a new name, so
            # the path goes through a temporary name here (members and policies move with it).
            temporary = f"iam-matrix-emulator-{uuid.uuid4().hex[:12]}"
            ctx.iam.update_group(GroupName=old.id, NewGroupName=temporary, NewPath=path)
            ctx.iam.update_group(GroupName=temporary, NewGroupName=old.id)
        else:
            ctx.iam.update_group(GroupName=old.id, NewGroupName=inputs["name"], NewPath=path)
        group = ctx.iam.get_group(GroupName=inputs["name"])["Group"]
        return {**inputs, "arn": group["Arn"], "uniqueId": group["GroupId"]}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.iam.delete_group(GroupName=old.id)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            group = ctx.iam.get_group(GroupName=old.id)["Group"]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return {"name": group["GroupName"], "path": group["Path"]}


@applier("aws:iam/groupMembership:GroupMembership")
class GroupMembership(Applier):
    """group_membership.go: create only *adds* the listed users (members already in the group
    stay until the next update); update removes (state - plan) and adds (plan - state), the
    state being what refresh read; delete removes the users of the state. ``name`` and
    ``group`` force a replacement."""

    replace_keys = ("name", "group")

    def delete_before_replace(self, inputs: dict[str, Any]) -> bool:
        return bool(inputs.get("name"))

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        for user in sorted(inputs.get("users") or []):
            ctx.iam.add_user_to_group(GroupName=inputs["group"], UserName=user)
        return inputs.get("name") or inputs["group"], dict(inputs)

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        have, want = set(old.inputs.get("users") or []), set(inputs.get("users") or [])
        for user in sorted(have - want):
            ctx.iam.remove_user_from_group(GroupName=inputs["group"], UserName=user)
        for user in sorted(want - have):
            ctx.iam.add_user_to_group(GroupName=inputs["group"], UserName=user)
        return dict(inputs)

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        users = (old.live or old.inputs).get("users") or []
        for user in sorted(users):
            try:
                ctx.iam.remove_user_from_group(GroupName=old.inputs["group"], UserName=user)
            except ClientError as error:
                if not _not_found(error):
                    raise

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            users = [u["UserName"] for u in _pages(ctx.iam, "get_group", "Users", GroupName=old.inputs["group"])]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return {**old.inputs, "users": users}


@applier("aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive")
class GroupPolicyAttachmentsExclusive(Applier):
    """group_policy_attachments_exclusive.go ``syncAttachments``: attach what is wanted and
    missing, *then* detach what is attached and not wanted; delete is a no-op
    (``framework.WithNoOpDelete``); ``group_name`` forces a replacement."""

    replace_keys = ("groupName",)

    def _sync(self, ctx: MotoAccount, group: str, want: list[str]) -> None:
        have = [
            p["PolicyArn"] for p in _pages(ctx.iam, "list_attached_group_policies", "AttachedPolicies", GroupName=group)
        ]
        for arn in [a for a in want if a not in have]:
            ctx.iam.attach_group_policy(GroupName=group, PolicyArn=arn)
        for arn in [a for a in have if a not in want]:
            ctx.iam.detach_group_policy(GroupName=group, PolicyArn=arn)

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self._sync(ctx, inputs["groupName"], list(inputs.get("policyArns") or []))
        return inputs["groupName"], dict(inputs)

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self._sync(ctx, inputs["groupName"], list(inputs.get("policyArns") or []))
        return dict(inputs)

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        """Destroying the resource detaches nothing."""

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            arns = [
                p["PolicyArn"]
                for p in _pages(
                    ctx.iam, "list_attached_group_policies", "AttachedPolicies", GroupName=old.inputs["groupName"]
                )
            ]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return {**old.inputs, "policyArns": arns}


@applier("aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive")
class GroupPoliciesExclusive(Applier):
    """group_policies_exclusive.go: deletes the inline policies not in ``policy_names`` (it
    cannot create any); delete is a no-op; ``group_name`` forces a replacement."""

    replace_keys = ("groupName",)

    def _sync(self, ctx: MotoAccount, group: str, names: list[str]) -> None:
        for name in _pages(ctx.iam, "list_group_policies", "PolicyNames", GroupName=group):
            if name not in names:
                ctx.iam.delete_group_policy(GroupName=group, PolicyName=name)

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self._sync(ctx, inputs["groupName"], list(inputs.get("policyNames") or []))
        return inputs["groupName"], dict(inputs)

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self._sync(ctx, inputs["groupName"], list(inputs.get("policyNames") or []))
        return dict(inputs)

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        """Like the attachments: destroying it deletes no inline policy."""

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            names = _pages(ctx.iam, "list_group_policies", "PolicyNames", GroupName=old.inputs["groupName"])
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return {**old.inputs, "policyNames": names}


@applier("aws:iam/policy:Policy")
class Policy(Applier):
    """policy.go: ``name``, ``path`` and ``description`` are ForceNew, and with an explicit
    ``name`` the bridge replaces delete-first; delete removes the old versions and calls
    DeletePolicy without detaching anything (IAM: DeleteConflict while attached); a document
    change prunes to four versions and adds a default one."""

    replace_keys = ("name", "path", "description")

    def delete_before_replace(self, inputs: dict[str, Any]) -> bool:
        return bool(inputs.get("name"))

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        policy = ctx.iam.create_policy(
            PolicyName=inputs["name"],
            Path=inputs.get("path") or "/",
            PolicyDocument=inputs["policy"],
            Description=inputs.get("description") or "",
            Tags=_tags(inputs.get("tags")),
        )["Policy"]
        return policy["Arn"], {
            **inputs,
            "arn": policy["Arn"],
            "policyId": policy["PolicyId"],
            "tagsAll": inputs.get("tags") or {},
        }

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        arn = old.id
        if json.loads(old.inputs["policy"]) != json.loads(inputs["policy"]):
            versions = ctx.iam.list_policy_versions(PolicyArn=arn)["Versions"]
            if len(versions) >= 5:  # policyPruneVersions: the oldest non-default version goes
                oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
                ctx.iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
            version = ctx.iam.create_policy_version(PolicyArn=arn, PolicyDocument=inputs["policy"], SetAsDefault=False)[
                "PolicyVersion"
            ]
            ctx.iam.set_default_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        live = {t["Key"]: t["Value"] for t in ctx.iam.list_policy_tags(PolicyArn=arn)["Tags"]}
        wanted = inputs.get("tags") or {}
        if set(live) - set(wanted):
            ctx.iam.untag_policy(PolicyArn=arn, TagKeys=sorted(set(live) - set(wanted)))
        if wanted and wanted != live:
            ctx.iam.tag_policy(PolicyArn=arn, Tags=_tags(wanted))
        return {**old.outputs, **inputs, "tagsAll": wanted}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        try:
            versions = ctx.iam.list_policy_versions(PolicyArn=old.id)["Versions"]
        except ctx.iam.exceptions.NoSuchEntityException:
            return
        for version in versions:
            if not version["IsDefaultVersion"]:
                ctx.iam.delete_policy_version(PolicyArn=old.id, VersionId=version["VersionId"])
        ctx.iam.delete_policy(PolicyArn=old.id)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            policy = ctx.iam.get_policy(PolicyArn=old.id)["Policy"]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        document = ctx.iam.get_policy_version(PolicyArn=old.id, VersionId=policy["DefaultVersionId"])["PolicyVersion"][
            "Document"
        ]
        document = json.loads(document) if isinstance(document, str) else document
        tags = {t["Key"]: t["Value"] for t in ctx.iam.list_policy_tags(PolicyArn=old.id)["Tags"]}
        same_document = document == json.loads(old.inputs["policy"])
        return {
            **old.inputs,
            "name": policy["PolicyName"],
            "path": policy["Path"],
            "tags": tags,
            "description": policy.get("Description", old.inputs.get("description")),
            "policy": old.inputs["policy"] if same_document else json.dumps(document),
        }


@applier("aws:iam/user:User")
class User(Applier):
    """user.go: ``name``/``path`` update in place (UpdateUser). Delete always removes the
    user from its groups; with ``force_destroy`` it also deletes access keys, SSH keys,
    virtual MFA devices, MFA devices, the login profile and signing certificates; then
    DeleteUser, which IAM refuses while any dependent is left (inline or attached policies
    included: force_destroy does not remove those)."""

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {"UserName": inputs["name"], "Path": inputs.get("path") or "/"}
        if inputs.get("tags"):
            kwargs["Tags"] = _tags(inputs["tags"])
        user = ctx.iam.create_user(**kwargs)["User"]
        return user["UserName"], {
            **inputs,
            "arn": user["Arn"],
            "uniqueId": user["UserId"],
            "tagsAll": inputs.get("tags") or {},
        }

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
        name, iam = old.id, ctx.iam
        try:
            for group in _pages(iam, "list_groups_for_user", "Groups", UserName=name):
                iam.remove_user_from_group(GroupName=group["GroupName"], UserName=name)
        except iam.exceptions.NoSuchEntityException:
            return
        if old.inputs.get("forceDestroy"):
            for key in _pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name):
                iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
            for key in _pages(iam, "list_ssh_public_keys", "SSHPublicKeys", UserName=name):
                iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=key["SSHPublicKeyId"])
            for device in _pages(iam, "list_mfa_devices", "MFADevices", UserName=name):
                iam.deactivate_mfa_device(UserName=name, SerialNumber=device["SerialNumber"])
                if ":mfa/" in device["SerialNumber"]:
                    iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
            try:
                iam.delete_login_profile(UserName=name)
            except iam.exceptions.NoSuchEntityException:
                pass
            for certificate in _pages(iam, "list_signing_certificates", "Certificates", UserName=name):
                iam.delete_signing_certificate(UserName=name, CertificateId=certificate["CertificateId"])
        try:
            iam.delete_user(UserName=name)
        except iam.exceptions.NoSuchEntityException:
            pass

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            user = ctx.iam.get_user(UserName=old.id)["User"]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        tags = {t["Key"]: t["Value"] for t in ctx.iam.list_user_tags(UserName=old.id)["Tags"]}
        return {**old.inputs, "name": user["UserName"], "path": user["Path"], "tags": tags}


SYMBOLS = "!@#$%^&*()_+-=[]{}|'"  # user_login_profile.go charSymbols


def generated_password(seed: str, length: int) -> str:
    """A password as ``GeneratePassword`` makes it (``length`` characters from lower, upper,
    digits and the provider's symbols, every class present), deterministic per ``seed`` so
    tests can repeat a run."""
    charset = string.ascii_lowercase + string.ascii_uppercase + string.digits + SYMBOLS
    digest = b""
    counter = 0
    while len(digest) < length:
        digest += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    chosen = [charset[b % len(charset)] for b in digest[:length]]
    for position, chars in enumerate((string.ascii_lowercase, string.ascii_uppercase, string.digits, SYMBOLS)):
        chosen[position] = chars[digest[position] % len(chars)]
    return "".join(chosen)


@applier("aws:iam/userLoginProfile:UserLoginProfile")
class UserLoginProfile(Applier):
    """user_login_profile.go: every input is ForceNew (``user``, ``pgp_key``,
    ``password_reset_required``, ``password_length``: 5-128, default 20); the generated
    password must satisfy the account password policy (IAM: PasswordPolicyViolation); refresh
    copies the live ``password_reset_required`` (false once the user chose a password);
    delete tolerates a profile that is gone."""

    replace_keys = ("user", "pgpKey", "passwordResetRequired", "passwordLength")

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        length = int(inputs.get("passwordLength") or 20)
        if not 5 <= length <= 128:
            raise ValueError(f"password_length must be between 5 and 128, got {length}")
        password = generated_password(f"{inputs['user']}:{ctx.account_id}", length)
        reset = bool(inputs.get("passwordResetRequired"))
        ctx.iam.create_login_profile(UserName=inputs["user"], Password=password, PasswordResetRequired=reset)
        # moto 5 ignores PasswordResetRequired on create; set it the way IAM would have.
        ctx.iam.update_login_profile(UserName=inputs["user"], Password=password, PasswordResetRequired=reset)
        outputs = {**inputs, "password": None, "passwordLength": length, "passwordResetRequired": reset}
        if inputs.get("pgpKey"):
            # Stands in for the PGP ciphertext: never the password itself.
            outputs["encryptedPassword"] = "emulator-pgp:" + hashlib.sha256(password.encode()).hexdigest()
            outputs["keyFingerprint"] = hashlib.sha1(inputs["pgpKey"].encode()).hexdigest()
        else:
            outputs["password"] = password
        return inputs["user"], outputs

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        return {**old.outputs, **inputs}  # no Update in the provider: every input is ForceNew

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        try:
            ctx.iam.delete_login_profile(UserName=old.id)
        except ctx.iam.exceptions.NoSuchEntityException:
            pass

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            profile = ctx.iam.get_login_profile(UserName=old.id)["LoginProfile"]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        return {
            **old.inputs,
            "user": profile["UserName"],
            "passwordResetRequired": bool(profile.get("PasswordResetRequired")),
        }


# account_password_policy.go: engine name -> (API name, the schema's default when not set).
_PASSWORD_FIELDS = {
    "minimumPasswordLength": ("MinimumPasswordLength", 6),
    "requireSymbols": ("RequireSymbols", None),
    "requireNumbers": ("RequireNumbers", None),
    "requireUppercaseCharacters": ("RequireUppercaseCharacters", None),
    "requireLowercaseCharacters": ("RequireLowercaseCharacters", None),
    "allowUsersToChangePassword": ("AllowUsersToChangePassword", True),
    "maxPasswordAge": ("MaxPasswordAge", None),
    "passwordReusePrevention": ("PasswordReusePrevention", None),
    "hardExpiry": ("HardExpiry", None),
}


_NUMBER_FIELDS = {"minimumPasswordLength", "maxPasswordAge", "passwordReusePrevention"}


@applier("aws:iam/accountPasswordPolicy:AccountPasswordPolicy")
class AccountPasswordPolicy(Applier):
    """account_password_policy.go: create and update are one function. A field the program
    leaves out keeps its stored (refreshed) value (Optional + Computed), so the provider sends
    it again; a field that is 0 or false is *not sent* (``d.GetOk``), and IAM then resets it
    to its default (no expiry, no reuse prevention). Delete tolerates a missing policy."""

    def _planned(self, old: Applied | None, inputs: dict[str, Any]) -> dict[str, Any]:
        stored = (old.live or old.inputs) if old is not None else {}
        planned = {}
        for key, (_api, default) in _PASSWORD_FIELDS.items():
            value = inputs.get(key)
            planned[key] = value if value is not None else stored.get(key, default)
        return planned

    def _put(self, ctx: MotoAccount, planned: dict[str, Any]) -> dict[str, Any]:
        call = {
            api: (int(planned[key]) if isinstance(planned[key], float) else planned[key])
            for key, (api, _d) in _PASSWORD_FIELDS.items()
            if planned.get(key)
        }
        ctx.iam.update_account_password_policy(**call)
        return {**planned, "expirePasswords": bool(planned.get("maxPasswordAge"))}

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "iam-account-password-policy", self._put(ctx, self._planned(None, inputs))

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        return self._put(ctx, self._planned(old, inputs))

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        try:
            ctx.iam.delete_account_password_policy()
        except ctx.iam.exceptions.NoSuchEntityException:
            pass

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            live = ctx.iam.get_account_password_policy()["PasswordPolicy"]
        except ctx.iam.exceptions.NoSuchEntityException:
            return None
        # Read sets every field; one IAM leaves out reads as 0 (numbers) or false.
        return {
            key: live.get(api, 0 if key in _NUMBER_FIELDS else False)
            for key, (api, _default) in _PASSWORD_FIELDS.items()
        }


@invoke("aws:index/getCallerIdentity:getCallerIdentity")
def caller_identity(ctx: MotoAccount, args: dict[str, Any]) -> dict[str, Any]:
    identity = ctx.client("sts").get_caller_identity()
    return {
        "accountId": identity["Account"],
        "arn": identity["Arn"],
        "userId": identity["UserId"],
        "id": identity["Account"],
    }


@invoke("aws:index/getPartition:getPartition")
def partition(ctx: MotoAccount, args: dict[str, Any]) -> dict[str, Any]:
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}


@invoke("aws:index/getRegion:getRegion")
def region(ctx: MotoAccount, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": ctx.region,
        "region": ctx.region,
        "id": ctx.region,
        "endpoint": f"ec2.{ctx.region}.amazonaws.com",
        "description": ctx.region,
    }
