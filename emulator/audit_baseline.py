"""Appliers for the AuditBaseline's resource types (issue 6): S3 log bucket and its parts,
KMS key, CloudWatch Logs group and role, CloudTrail trail, AWS Config recorder, delivery
channel, recorder status and rules. ``emulator/__init__.py`` imports it (the appliers register themselves).

moto validates a good deal itself (Config rule identifiers and parameter names, recording
groups, trail names, that the trail's bucket exists). What AWS also checks but moto does
not, the appliers check before calling moto, and fail with AWS's own error code:

* CreateTrail: the bucket policy lets ``cloudtrail.amazonaws.com`` GetBucketAcl and
  PutObject under ``AWSLogs/<account>/`` for this trail (InsufficientS3BucketPolicyException);
  with a KMS key, the key policy lets CloudTrail GenerateDataKey*/DescribeKey for it
  (InsufficientEncryptionPolicyException); with CloudWatch Logs, the role trusts CloudTrail
  and may PutLogEvents into the group (InvalidCloudWatchLogsRoleArnException);
* PutDeliveryChannel: the bucket exists (NoSuchBucketException) and its policy lets
  ``config.amazonaws.com`` GetBucketAcl, ListBucket and PutObject under
  ``AWSLogs/<account>/Config/`` (InsufficientDeliveryPolicyException).

The policy evaluation here is deliberately small (Allow/Deny, service principals, action
and resource wildcards, StringEquals/StringLike/ArnLike/Bool conditions); it is a check of
our documents, not a model of IAM.

IAM Access Analyzer has no moto backend, so ``aws:accessanalyzer/analyzer:Analyzer`` has no
applier: a harness run with the analyzer on fails loudly instead of pretending.
"""

from __future__ import annotations

import fnmatch
import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from .account import MotoAccount
from .appliers import APPLIERS, Applied, Applier, ApplyError, applier

TLS = {"aws:SecureTransport": "true"}


def _register(type_token: str):
    """Register unless another appliers module already handles the type (IAM roles, say)."""

    def wrap(cls: type[Applier]) -> type[Applier]:
        return cls if type_token in APPLIERS else applier(type_token)(cls)

    return wrap


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _tag_list(tags: Mapping[str, str] | None, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in (tags or {}).items()]


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and service in _list(principal.get("Service", []))


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    known = {k.lower(): v for k, v in context.items()}
    for operator, block in conditions.items():
        for key, expected in block.items():
            actual = known.get(key.lower())
            if actual is None:
                return False
            values = [str(v) for v in _list(expected)]
            if operator == "Bool":
                ok = actual.lower() in (v.lower() for v in values)
            elif operator in ("StringEquals", "ArnEquals"):
                ok = actual in values
            elif operator in ("StringLike", "ArnLike"):
                ok = any(fnmatch.fnmatchcase(actual, v) for v in values)
            else:
                return False
            if not ok:
                return False
    return True


def allows(
    document: str | Mapping[str, Any] | None, service: str, action: str, resource: str, context: Mapping[str, str]
) -> bool:
    """Whether ``document`` allows ``service`` to do ``action`` on ``resource`` (explicit Deny wins)."""
    if not document:
        return False
    policy = json.loads(document) if isinstance(document, str) else document
    allowed = False
    for statement in _list(policy.get("Statement", [])):
        if not _principal_matches(statement.get("Principal"), service):
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _list(statement.get("Action", []))):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _list(statement.get("Resource", []))):
            continue
        if not _conditions_hold(statement.get("Condition", {}), context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


def _bucket_policy(ctx: MotoAccount, bucket: str) -> str | None:
    try:
        return ctx.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError:
        return None


def _missing(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return "NotFound" in code or "NoSuch" in code or code in ("404", "ResourceNotFoundException")


def _doc(document: Any) -> dict[str, Any]:
    if isinstance(document, str):
        return json.loads(unquote(document))
    return dict(document)


def _trusts(document: Mapping[str, Any], service: str) -> bool:
    return any(
        s.get("Effect") == "Allow"
        and _principal_matches(s.get("Principal"), service)
        and "sts:AssumeRole" in _list(s.get("Action", []))
        for s in _list(document.get("Statement", []))
    )


# --- S3 ---------------------------------------------------------------------------------


@applier("aws:s3/bucket:Bucket")
class Bucket(Applier):
    replace_keys = ("bucket", "bucketPrefix")

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # The provider auto-names a bucket without ``bucket``; here with a random suffix.
        name = inputs.get("bucket") or f"{inputs.get('bucketPrefix') or 'audit-logs-'}{uuid.uuid4().hex[:8]}"
        extra = {} if ctx.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": ctx.region}}
        ctx.client("s3").create_bucket(Bucket=name, **extra)
        self._tag(ctx, name, inputs.get("tags"))
        return name, {**inputs, "bucket": name, "arn": f"arn:aws:s3:::{name}", "region": ctx.region}

    def _tag(self, ctx: MotoAccount, name: str, tags: Mapping[str, str] | None) -> None:
        if tags:
            ctx.client("s3").put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tag_list(tags)})

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self._tag(ctx, old.id, inputs.get("tags"))
        return {**old.outputs, **inputs, "bucket": old.id}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        s3 = ctx.client("s3")
        if not old.inputs.get("forceDestroy"):
            if s3.list_objects_v2(Bucket=old.id).get("KeyCount"):
                raise ApplyError(f"BucketNotEmpty: {old.id} holds log files; set forceDestroy or empty it first")
        else:
            for item in s3.list_objects_v2(Bucket=old.id).get("Contents", []):
                s3.delete_object(Bucket=old.id, Key=item["Key"])
        s3.delete_bucket(Bucket=old.id)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            ctx.client("s3").head_bucket(Bucket=old.id)
        except ClientError:
            return None
        return old.inputs


class _BucketSetting(Applier):
    """A per-bucket setting that a put replaces wholesale (id = bucket name)."""

    replace_keys = ("bucket",)

    def put(self, ctx: MotoAccount, inputs: dict[str, Any]) -> None:
        raise NotImplementedError

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self.put(ctx, inputs)
        return inputs["bucket"], dict(inputs)

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self.put(ctx, inputs)
        return dict(inputs)


@applier("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
class BucketOwnershipControls(_BucketSetting):
    def put(self, ctx: MotoAccount, inputs: dict[str, Any]) -> None:
        rule = {"ObjectOwnership": inputs["rule"]["objectOwnership"]}
        ctx.client("s3").put_bucket_ownership_controls(Bucket=inputs["bucket"], OwnershipControls={"Rules": [rule]})

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("s3").delete_bucket_ownership_controls(Bucket=old.id)


@applier("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
class BucketPublicAccessBlock(_BucketSetting):
    FIELDS = {
        "blockPublicAcls": "BlockPublicAcls",
        "blockPublicPolicy": "BlockPublicPolicy",
        "ignorePublicAcls": "IgnorePublicAcls",
        "restrictPublicBuckets": "RestrictPublicBuckets",
    }

    def put(self, ctx: MotoAccount, inputs: dict[str, Any]) -> None:
        block = {api: bool(inputs.get(key)) for key, api in self.FIELDS.items()}
        ctx.client("s3").put_public_access_block(Bucket=inputs["bucket"], PublicAccessBlockConfiguration=block)

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("s3").delete_public_access_block(Bucket=old.id)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            live = ctx.client("s3").get_public_access_block(Bucket=old.id)["PublicAccessBlockConfiguration"]
        except ClientError as error:
            if _missing(error):
                return None
            raise
        return {**old.inputs, **{key: live.get(api) for key, api in self.FIELDS.items()}}


@applier("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
class BucketEncryption(_BucketSetting):
    def put(self, ctx: MotoAccount, inputs: dict[str, Any]) -> None:
        rules = []
        for rule in inputs["rules"]:
            default = rule["applyServerSideEncryptionByDefault"]
            by_default = {"SSEAlgorithm": default["sseAlgorithm"]}
            if default.get("kmsMasterKeyId"):
                by_default["KMSMasterKeyID"] = default["kmsMasterKeyId"]
            rules.append(
                {
                    "ApplyServerSideEncryptionByDefault": by_default,
                    "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled")),
                }
            )
        ctx.client("s3").put_bucket_encryption(
            Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
        )

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("s3").delete_bucket_encryption(Bucket=old.id)


@applier("aws:s3/bucketPolicy:BucketPolicy")
class BucketPolicy(_BucketSetting):
    def put(self, ctx: MotoAccount, inputs: dict[str, Any]) -> None:
        ctx.client("s3").put_bucket_policy(Bucket=inputs["bucket"], Policy=inputs["policy"])

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("s3").delete_bucket_policy(Bucket=old.id)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        live = _bucket_policy(ctx, old.id)
        if live is None:
            return None
        same = json.loads(live) == json.loads(old.inputs["policy"])
        return old.inputs if same else {**old.inputs, "policy": live}


# --- KMS and CloudWatch Logs -----------------------------------------------------------


@applier("aws:kms/key:Key")
class KmsKey(Applier):
    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kms = ctx.client("kms")
        key = kms.create_key(
            Description=inputs.get("description", ""),
            Policy=inputs["policy"],
            Tags=_tag_list(inputs.get("tags"), "TagKey", "TagValue"),
        )["KeyMetadata"]
        if inputs.get("enableKeyRotation"):
            kms.enable_key_rotation(KeyId=key["KeyId"])
        return key["KeyId"], {**inputs, "keyId": key["KeyId"], "arn": key["Arn"]}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        ctx.client("kms").put_key_policy(KeyId=old.id, PolicyName="default", Policy=inputs["policy"])
        return {**old.outputs, **inputs}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("kms").schedule_key_deletion(
            KeyId=old.id, PendingWindowInDays=int(old.inputs.get("deletionWindowInDays") or 30)
        )


@applier("aws:kms/alias:Alias")
class KmsAlias(Applier):
    replace_keys = ("name",)

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ctx.client("kms").create_alias(AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"])
        return inputs["name"], dict(inputs)

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        ctx.client("kms").update_alias(AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"])
        return dict(inputs)

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("kms").delete_alias(AliasName=old.id)


@applier("aws:cloudwatch/logGroup:LogGroup")
class LogGroup(Applier):
    replace_keys = ("name",)

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        logs = ctx.client("logs")
        logs.create_log_group(logGroupName=inputs["name"], tags=dict(inputs.get("tags") or {}))
        if inputs.get("retentionInDays"):
            logs.put_retention_policy(logGroupName=inputs["name"], retentionInDays=int(inputs["retentionInDays"]))
        # Like the provider: the ARN without the ":*" that DescribeLogGroups appends.
        arn = f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{inputs['name']}"
        return inputs["name"], {**inputs, "arn": arn}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        ctx.client("logs").put_retention_policy(logGroupName=old.id, retentionInDays=int(inputs["retentionInDays"]))
        return {**old.outputs, **inputs}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("logs").delete_log_group(logGroupName=old.id)


# --- IAM roles (registered only if no other appliers module handles them) ---------------


@_register("aws:iam/role:Role")
class Role(Applier):
    replace_keys = ("name", "path")

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = inputs.get("name") or f"audit-role-{uuid.uuid4().hex[:8]}"
        role = ctx.iam.create_role(
            RoleName=name,
            Path=inputs.get("path") or "/",
            AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
            Description=inputs.get("description", ""),
            Tags=_tag_list(inputs.get("tags")),
            **({"PermissionsBoundary": inputs["permissionsBoundary"]} if inputs.get("permissionsBoundary") else {}),
        )["Role"]
        return name, {**inputs, "name": name, "arn": role["Arn"], "uniqueId": role["RoleId"]}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        ctx.iam.update_assume_role_policy(RoleName=old.id, PolicyDocument=inputs["assumeRolePolicy"])
        return {**old.outputs, **inputs, "name": old.id}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.iam.delete_role(RoleName=old.id)


@_register("aws:iam/rolePolicy:RolePolicy")
class RolePolicy(Applier):
    replace_keys = ("role", "name")

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = inputs.get("name") or f"audit-policy-{uuid.uuid4().hex[:8]}"
        ctx.iam.put_role_policy(RoleName=inputs["role"], PolicyName=name, PolicyDocument=inputs["policy"])
        return f"{inputs['role']}:{name}", {**inputs, "name": name}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        role, name = old.id.split(":", 1)
        ctx.iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=inputs["policy"])
        return {**inputs, "name": name}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        role, name = old.id.split(":", 1)
        ctx.iam.delete_role_policy(RoleName=role, PolicyName=name)


@_register("aws:iam/serviceLinkedRole:ServiceLinkedRole")
class ServiceLinkedRole(Applier):
    replace_keys = ("awsServiceName", "customSuffix")

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        role = ctx.iam.create_service_linked_role(
            AWSServiceName=inputs["awsServiceName"], Description=inputs.get("description", "")
        )["Role"]
        return role["Arn"], {**inputs, "name": role["RoleName"], "arn": role["Arn"], "path": role["Path"]}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        return {**old.outputs, **inputs}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.iam.delete_service_linked_role(RoleName=old.outputs["name"])


# --- CloudTrail --------------------------------------------------------------------------


@applier("aws:cloudtrail/trail:Trail")
class Trail(Applier):
    replace_keys = ("name",)

    def _check(self, ctx: MotoAccount, inputs: dict[str, Any], trail_arn: str) -> None:
        """What CreateTrail/UpdateTrail verify in AWS before accepting the trail."""
        bucket = inputs["s3BucketName"]
        bucket_arn = f"arn:aws:s3:::{bucket}"
        policy = _bucket_policy(ctx, bucket)
        prefix = f"{inputs['s3KeyPrefix']}/" if inputs.get("s3KeyPrefix") else ""
        write = {**TLS, "aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}
        if not (
            allows(
                policy, "cloudtrail.amazonaws.com", "s3:GetBucketAcl", bucket_arn, {**TLS, "aws:SourceArn": trail_arn}
            )
            and allows(
                policy,
                "cloudtrail.amazonaws.com",
                "s3:PutObject",
                f"{bucket_arn}/{prefix}AWSLogs/{ctx.account_id}/CloudTrail/x.json.gz",
                write,
            )
        ):
            raise ApplyError(
                f"InsufficientS3BucketPolicyException: incorrect S3 bucket policy is detected for bucket: {bucket}"
            )
        if inputs.get("kmsKeyId"):
            key = ctx.client("kms").describe_key(KeyId=inputs["kmsKeyId"])["KeyMetadata"]
            document = ctx.client("kms").get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
            context = {"aws:SourceArn": trail_arn, "kms:EncryptionContext:aws:cloudtrail:arn": trail_arn}
            if not (
                allows(document, "cloudtrail.amazonaws.com", "kms:GenerateDataKey", "*", context)
                and allows(document, "cloudtrail.amazonaws.com", "kms:DescribeKey", "*", context)
            ):
                raise ApplyError(
                    "InsufficientEncryptionPolicyException: insufficient permissions "
                    f"to access S3 bucket {bucket} or KMS key {inputs['kmsKeyId']}"
                )
        if inputs.get("cloudWatchLogsGroupArn"):
            group_arn = inputs["cloudWatchLogsGroupArn"]
            if not group_arn.endswith(":*"):
                raise ApplyError(f"InvalidCloudWatchLogsLogGroupArnException: {group_arn} must end with :*")
            role_name = inputs["cloudWatchLogsRoleArn"].rsplit("/", 1)[-1]
            try:
                trust = ctx.iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
                grants = [
                    ctx.iam.get_role_policy(RoleName=role_name, PolicyName=n)["PolicyDocument"]
                    for n in ctx.iam.list_role_policies(RoleName=role_name)["PolicyNames"]
                ]
            except ClientError as error:
                raise ApplyError(f"InvalidCloudWatchLogsRoleArnException: {error}") from None
            stream = f"{group_arn[:-2]}:log-stream:{ctx.account_id}_CloudTrail_{ctx.region}"
            may_write = any(
                allows(
                    {"Statement": [{**s, "Principal": "*"} for s in _list(_doc(g).get("Statement", []))]},
                    "",
                    "logs:PutLogEvents",
                    stream,
                    {},
                )
                for g in grants
            )
            if not _trusts(_doc(trust), "cloudtrail.amazonaws.com"):
                raise ApplyError(
                    "InvalidCloudWatchLogsRoleArnException: the role does not trust cloudtrail.amazonaws.com"
                )
            if not may_write:
                raise ApplyError(
                    "InvalidCloudWatchLogsRoleArnException: the role may not PutLogEvents into the log group"
                )

    def _arn(self, ctx: MotoAccount, name: str) -> str:
        return f"arn:aws:cloudtrail:{ctx.region}:{ctx.account_id}:trail/{name}"

    def _args(self, inputs: dict[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {
            "Name": inputs["name"],
            "S3BucketName": inputs["s3BucketName"],
            "IncludeGlobalServiceEvents": bool(inputs.get("includeGlobalServiceEvents", True)),
            "IsMultiRegionTrail": bool(inputs.get("isMultiRegionTrail")),
            "EnableLogFileValidation": bool(inputs.get("enableLogFileValidation")),
        }
        for key, api in (
            ("kmsKeyId", "KmsKeyId"),
            ("cloudWatchLogsGroupArn", "CloudWatchLogsLogGroupArn"),
            ("cloudWatchLogsRoleArn", "CloudWatchLogsRoleArn"),
            ("s3KeyPrefix", "S3KeyPrefix"),
        ):
            if inputs.get(key):
                args[api] = inputs[key]
        return args

    def _logging(self, ctx: MotoAccount, name: str, enabled: bool) -> None:
        (ctx.client("cloudtrail").start_logging if enabled else ctx.client("cloudtrail").stop_logging)(Name=name)

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn = self._arn(ctx, inputs["name"])
        self._check(ctx, inputs, arn)
        trail = ctx.client("cloudtrail").create_trail(**self._args(inputs), TagsList=_tag_list(inputs.get("tags")))
        self._logging(ctx, inputs["name"], inputs.get("enableLogging", True) is not False)
        return trail["TrailARN"], {**inputs, "arn": trail["TrailARN"], "homeRegion": ctx.region}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self._check(ctx, inputs, old.id)
        ctx.client("cloudtrail").update_trail(**self._args(inputs))
        self._logging(ctx, inputs["name"], inputs.get("enableLogging", True) is not False)
        return {**old.outputs, **inputs}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("cloudtrail").delete_trail(Name=old.id)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        trails = ctx.client("cloudtrail").describe_trails(trailNameList=[old.id]).get("trailList", [])
        if not trails:
            return None
        live = trails[0]
        status = ctx.client("cloudtrail").get_trail_status(Name=old.id)
        return {
            **old.inputs,
            "s3BucketName": live.get("S3BucketName"),
            "isMultiRegionTrail": live.get("IsMultiRegionTrail"),
            "includeGlobalServiceEvents": live.get("IncludeGlobalServiceEvents"),
            "enableLogFileValidation": live.get("LogFileValidationEnabled"),
            "enableLogging": status.get("IsLogging"),
        }


# --- AWS Config ---------------------------------------------------------------------------


class _ConfigPut(Applier):
    """Config's Put* calls create and update alike; the name defaults to "default"."""

    replace_keys = ("name",)

    def _put(self, ctx: MotoAccount, inputs: dict[str, Any]) -> None:
        raise NotImplementedError

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self._put(ctx, inputs)
        name = inputs.get("name") or "default"
        return name, {**inputs, "name": name}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self._put(ctx, inputs)
        return {**old.outputs, **inputs}


@applier("aws:cfg/recorder:Recorder")
class Recorder(_ConfigPut):
    def _put(self, ctx: MotoAccount, inputs: dict[str, Any]) -> None:
        group = inputs.get("recordingGroup") or {"allSupported": True, "includeGlobalResourceTypes": False}
        recording = {
            "allSupported": bool(group.get("allSupported")),
            "includeGlobalResourceTypes": bool(group.get("includeGlobalResourceTypes")),
        }
        if group.get("resourceTypes"):
            recording["resourceTypes"] = list(group["resourceTypes"])
        ctx.client("config").put_configuration_recorder(
            ConfigurationRecorder={
                "name": inputs.get("name") or "default",
                "roleARN": inputs["roleArn"],
                "recordingGroup": recording,
            }
        )

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("config").delete_configuration_recorder(ConfigurationRecorderName=old.id)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        recorders = ctx.client("config").describe_configuration_recorders().get("ConfigurationRecorders", [])
        return old.inputs if any(r["name"] == old.id for r in recorders) else None


@applier("aws:cfg/deliveryChannel:DeliveryChannel")
class DeliveryChannel(_ConfigPut):
    def _put(self, ctx: MotoAccount, inputs: dict[str, Any]) -> None:
        bucket = inputs["s3BucketName"]
        try:
            ctx.client("s3").head_bucket(Bucket=bucket)
        except ClientError:
            raise ApplyError(
                f"NoSuchBucketException: cannot find a S3 bucket with an appropriate bucket policy ({bucket})"
            ) from None
        bucket_arn = f"arn:aws:s3:::{bucket}"
        prefix = f"{inputs['s3KeyPrefix']}/" if inputs.get("s3KeyPrefix") else ""
        policy = _bucket_policy(ctx, bucket)
        source = {**TLS, "AWS:SourceAccount": ctx.account_id}
        if not (
            allows(policy, "config.amazonaws.com", "s3:GetBucketAcl", bucket_arn, source)
            and allows(policy, "config.amazonaws.com", "s3:ListBucket", bucket_arn, source)
            and allows(
                policy,
                "config.amazonaws.com",
                "s3:PutObject",
                f"{bucket_arn}/{prefix}AWSLogs/{ctx.account_id}/Config/x.json.gz",
                {**source, "s3:x-amz-acl": "bucket-owner-full-control"},
            )
        ):
            raise ApplyError(
                "InsufficientDeliveryPolicyException: your Amazon S3 "
                f"bucket policy does not allow Config to write to {bucket}"
            )
        channel: dict[str, Any] = {"name": inputs.get("name") or "default", "s3BucketName": bucket}
        if inputs.get("s3KmsKeyArn"):
            channel["s3KmsKeyArn"] = inputs["s3KmsKeyArn"]
        if inputs.get("s3KeyPrefix"):
            channel["s3KeyPrefix"] = inputs["s3KeyPrefix"]
        frequency = (inputs.get("snapshotDeliveryProperties") or {}).get("deliveryFrequency")
        if frequency:
            channel["configSnapshotDeliveryProperties"] = {"deliveryFrequency": frequency}
        ctx.client("config").put_delivery_channel(DeliveryChannel=channel)

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("config").delete_delivery_channel(DeliveryChannelName=old.id)


@applier("aws:cfg/recorderStatus:RecorderStatus")
class RecorderStatus(Applier):
    replace_keys = ("name",)

    def _set(self, ctx: MotoAccount, name: str, enabled: bool) -> None:
        config = ctx.client("config")
        (config.start_configuration_recorder if enabled else config.stop_configuration_recorder)(
            ConfigurationRecorderName=name
        )

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self._set(ctx, inputs["name"], bool(inputs["isEnabled"]))
        return inputs["name"], dict(inputs)

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self._set(ctx, old.id, bool(inputs["isEnabled"]))
        return dict(inputs)

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        try:
            self._set(ctx, old.id, False)
        except ClientError as error:
            if not _missing(error):
                raise

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        statuses = ctx.client("config").describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
        status = next((s for s in statuses if s["name"] == old.id), None)
        return None if status is None else {**old.inputs, "isEnabled": bool(status.get("recording"))}


@applier("aws:cfg/rule:Rule")
class Rule(Applier):
    replace_keys = ("name",)

    def _put(self, ctx: MotoAccount, inputs: dict[str, Any]) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "ConfigRuleName": inputs["name"],
            "Source": {"Owner": inputs["source"]["owner"], "SourceIdentifier": inputs["source"]["sourceIdentifier"]},
        }
        for key, api in (
            ("description", "Description"),
            ("inputParameters", "InputParameters"),
            ("maximumExecutionFrequency", "MaximumExecutionFrequency"),
        ):
            if inputs.get(key):
                rule[api] = inputs[key]
        config = ctx.client("config")
        config.put_config_rule(ConfigRule=rule, Tags=_tag_list(inputs.get("tags")))
        return config.describe_config_rules(ConfigRuleNames=[inputs["name"]])["ConfigRules"][0]

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        live = self._put(ctx, inputs)
        return inputs["name"], {**inputs, "arn": live["ConfigRuleArn"], "ruleId": live["ConfigRuleId"]}

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        live = self._put(ctx, inputs)
        return {**inputs, "arn": live["ConfigRuleArn"], "ruleId": live["ConfigRuleId"]}

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        ctx.client("config").delete_config_rule(ConfigRuleName=old.id)

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        try:
            live = ctx.client("config").describe_config_rules(ConfigRuleNames=[old.id])["ConfigRules"][0]
        except ClientError as error:
            if _missing(error):
                return None
            raise
        return {**old.inputs, "inputParameters": live.get("InputParameters") or old.inputs.get("inputParameters")}
