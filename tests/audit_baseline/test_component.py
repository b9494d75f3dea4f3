"""AuditBaseline under the mock runtime: which resources each stack config registers,
with which inputs, parents and dependencies. No AWS and no Pulumi engine is involved."""

from __future__ import annotations

import dataclasses
import json

import pytest

from components.audit_baseline import TYPE_TOKEN, AuditBaseline, AuditBaselineArgs
from emulator import ComponentRun, OfflineProvider, run_component
from iam_matrix.audit_baseline import BaselineOptions
from iam_matrix.compiler import compile_state
from iam_matrix.desired import DesiredState
from iam_matrix.settings import load_stack_settings

ACCOUNT = "123456789012"
REGION = "ap-northeast-2"

BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
TRAIL = "aws:cloudtrail/trail:Trail"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
RECORDER = "aws:cfg/recorder:Recorder"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
STATUS = "aws:cfg/recorderStatus:RecorderStatus"
RULE = "aws:cfg/rule:Rule"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"

BUCKET_PARTS = {BUCKET, POLICY, PUBLIC, SSE, OWNERSHIP}
CONFIG_RECORDER = {SLR, RECORDER, CHANNEL, STATUS}
RULE_IDS = {
    "IAM_PASSWORD_POLICY",
    "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS",
    "IAM_USER_MFA_ENABLED",
    "ROOT_ACCOUNT_MFA_ENABLED",
    "IAM_USER_GROUP_MEMBERSHIP_CHECK",
    "IAM_NO_INLINE_POLICY_CHECK",
    "IAM_USER_NO_POLICIES_CHECK",
    "ACCESS_KEYS_ROTATED",
    "IAM_USER_UNUSED_CREDENTIALS_CHECK",
    "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
    "IAM_ROOT_ACCESS_KEY_CHECK",
}


@pytest.fixture(scope="module")
def desired() -> DesiredState:
    return compile_state(load_stack_settings(stack="dev"))


def options(**overrides: object) -> BaselineOptions:
    settings = load_stack_settings(stack="dev", overrides={"auditBaseline": True, **overrides})
    return compile_state(settings).audit_baseline


def deploy(desired: DesiredState, opts: BaselineOptions) -> ComponentRun:
    return run_component(
        lambda: AuditBaseline("audit", AuditBaselineArgs.of(desired, opts)), OfflineProvider(ACCOUNT, REGION)
    )


def statements(document: str) -> dict[str, dict]:
    return {s.get("Sid", str(i)): s for i, s in enumerate(json.loads(document)["Statement"])}


def rules(result: ComponentRun) -> dict[str, dict]:
    return {r.inputs["source"]["sourceIdentifier"]: r.inputs for r in result.of_type(RULE)}


def test_all_on_registers_every_part_under_the_component(desired):
    result = deploy(desired, options(auditKmsKey=True, auditCloudWatchLogs=True))
    component = result.one(TYPE_TOKEN)
    assert result.types == {
        TYPE_TOKEN,
        *BUCKET_PARTS,
        TRAIL,
        KEY,
        ALIAS,
        LOG_GROUP,
        ROLE,
        ROLE_POLICY,
        *CONFIG_RECORDER,
        RULE,
        ANALYZER,
    }
    assert all(r.parent == component.urn for r in result.registrations.values() if r.custom)
    assert component.urn in result.components_with_outputs
    assert set(rules(result)) == RULE_IDS
    assert set(result.outputs) == {
        "bucketName",
        "trailArn",
        "trailName",
        "kmsKeyArn",
        "logGroupName",
        "recorderName",
        "deliveryChannelName",
        "configRuleNames",
        "analyzerArn",
    }
    assert result.outputs["trailArn"] == f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/iam-matrix-dev"
    assert len(result.outputs["configRuleNames"]) == 11


def test_defaults_are_sse_s3_without_cloudwatch(desired):
    result = deploy(desired, options())
    assert result.types == {TYPE_TOKEN, *BUCKET_PARTS, TRAIL, *CONFIG_RECORDER, RULE, ANALYZER}
    rule = result.one(SSE).inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    trail = result.one(TRAIL).inputs
    assert "kmsKeyId" not in trail and "cloudWatchLogsGroupArn" not in trail
    assert "s3KmsKeyArn" not in result.one(CHANNEL).inputs


def test_trail_is_multi_region_validated_with_global_events(desired):
    result = deploy(desired, options())
    trail = result.one(TRAIL)
    assert trail.inputs["name"] == "iam-matrix-dev"
    assert trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["includeGlobalServiceEvents"] is True
    assert trail.inputs["enableLogging"] is True
    assert trail.inputs["s3BucketName"] == result.outputs["bucketName"]
    # The trail waits for the bucket policy, or CloudTrail's PutObject check fails.
    assert result.urn_of(POLICY) in trail.dependencies


def test_bucket_is_private_encrypted_and_tls_only(desired):
    result = deploy(desired, options())
    bucket = result.outputs["bucketName"]
    arn = f"arn:aws:s3:::{bucket}"
    block = result.one(PUBLIC).inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert result.one(OWNERSHIP).inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    policy = statements(result.one(POLICY).inputs["policy"])
    deny = policy["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Resource"] == [arn, f"{arn}/*"] and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    trail_arn = result.outputs["trailArn"]
    acl = policy["AWSCloudTrailAclCheck"]
    assert (acl["Principal"], acl["Action"], acl["Resource"]) == (
        {"Service": "cloudtrail.amazonaws.com"},
        "s3:GetBucketAcl",
        arn,
    )
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn}}
    write = policy["AWSCloudTrailWrite"]
    assert (write["Action"], write["Resource"]) == ("s3:PutObject", f"{arn}/AWSLogs/{ACCOUNT}/*")
    assert write["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}
    }
    delivery = policy["AWSConfigBucketDelivery"]
    assert delivery["Resource"] == f"{arn}/AWSLogs/{ACCOUNT}/Config/*"
    assert delivery["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "AWS:SourceAccount": ACCOUNT}
    }
    assert {"AWSConfigBucketPermissionsCheck", "AWSConfigBucketExistenceCheck"} <= set(policy)
    assert {result.urn_of(PUBLIC), result.urn_of(OWNERSHIP)} <= set(result.one(POLICY).dependencies)


def test_kms_key_encrypts_bucket_trail_and_config(desired):
    result = deploy(desired, options(auditKmsKey=True))
    key_arn = result.outputs["kmsKeyArn"]
    rule = result.one(SSE).inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
    assert rule["bucketKeyEnabled"] is True
    assert result.one(TRAIL).inputs["kmsKeyId"] == key_arn
    assert result.one(CHANNEL).inputs["s3KmsKeyArn"] == key_arn
    key = result.one(KEY).inputs
    assert key["enableKeyRotation"] is True
    policy = statements(key["policy"])
    assert policy["EnableAccountAdministration"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    encrypt = policy["AllowCloudTrailEncrypt"]
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": result.outputs["trailArn"]}
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"
    }
    assert policy["AllowConfigDelivery"]["Principal"] == {"Service": "config.amazonaws.com"}
    assert result.one(ALIAS).inputs["name"] == "alias/iam-matrix-dev-audit"


def test_cloudwatch_logs_delivery(desired):
    result = deploy(desired, options(auditCloudWatchLogs=True, auditCloudWatchLogsRetentionDays=90))
    group = result.one(LOG_GROUP).inputs
    assert group["name"] == "/iam-matrix/dev/cloudtrail" and group["retentionInDays"] == 90
    trail = result.one(TRAIL).inputs
    assert trail["cloudWatchLogsGroupArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/iam-matrix/dev/cloudtrail:*"
    assert trail["cloudWatchLogsRoleArn"].startswith(f"arn:aws:iam::{ACCOUNT}:role/")
    trust = json.loads(result.one(ROLE).inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    grant = json.loads(result.one(ROLE_POLICY).inputs["policy"])["Statement"][0]
    assert sorted(grant["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert grant["Resource"].endswith("/iam-matrix/dev/cloudtrail:log-stream:*")
    # The trail is created only once the role may write, or CloudTrail rejects the role.
    assert result.urn_of(ROLE_POLICY) in result.one(TRAIL).dependencies


def test_config_recorder_mode(desired):
    result = deploy(desired, options())
    slr = result.one(SLR)
    assert slr.inputs["awsServiceName"] == "config.amazonaws.com"
    recorder = result.one(RECORDER)
    assert (
        recorder.inputs["roleArn"]
        == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    )
    assert recorder.inputs["recordingGroup"] == {
        "allSupported": False,
        "includeGlobalResourceTypes": False,
        "resourceTypes": ["AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::Policy"],
    }
    assert slr.urn in recorder.dependencies
    channel = result.one(CHANNEL)
    assert channel.inputs["s3BucketName"] == result.outputs["bucketName"]
    assert {recorder.urn, result.urn_of(POLICY)} <= set(channel.dependencies)
    status = result.one(STATUS)
    assert status.inputs == {"name": "iam-matrix", "isEnabled": True}
    assert channel.urn in status.dependencies
    assert all(recorder.urn in r.dependencies for r in result.of_type(RULE))


def test_existing_service_linked_role_is_used_by_arn(desired):
    result = deploy(desired, options(auditConfigServiceLinkedRole=False))
    assert SLR not in result.types
    recorder = result.one(RECORDER)
    assert (
        recorder.inputs["roleArn"]
        == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    )
    assert recorder.dependencies == []


def test_empty_resource_types_records_everything(desired):
    result = deploy(desired, options(auditConfigResourceTypes=[]))
    assert result.one(RECORDER).inputs["recordingGroup"] == {"allSupported": True, "includeGlobalResourceTypes": True}


def test_rules_only_mode_depends_on_nothing_of_ours(desired):
    result = deploy(desired, options(auditConfig="rules", auditCloudTrail=False, auditAccessAnalyzer=False))
    assert result.types == {TYPE_TOKEN, RULE}
    assert set(rules(result)) == RULE_IDS
    assert all(r.dependencies == [] for r in result.of_type(RULE))
    assert set(result.outputs) == {"configRuleNames"}


def test_rules_only_with_trail_keeps_config_out_of_the_bucket_policy(desired):
    result = deploy(desired, options(auditConfig="rules"))
    assert not (CONFIG_RECORDER & result.types)
    assert not any(sid.startswith("AWSConfig") for sid in statements(result.one(POLICY).inputs["policy"]))


def test_cloudtrail_off_keeps_the_bucket_for_config_only(desired):
    result = deploy(desired, options(auditCloudTrail=False, auditKmsKey=True))
    assert TRAIL not in result.types and LOG_GROUP not in result.types
    policy = statements(result.one(POLICY).inputs["policy"])
    assert not any(sid.startswith("AWSCloudTrail") for sid in policy)
    assert "AWSConfigBucketDelivery" in policy
    assert not any(sid.startswith("AllowCloudTrail") for sid in statements(result.one(KEY).inputs["policy"]))


def test_config_off(desired):
    result = deploy(desired, options(auditConfig="off"))
    assert not ({RULE} | CONFIG_RECORDER) & result.types
    assert TRAIL in result.types and ANALYZER in result.types
    assert not any(sid.startswith("AWSConfig") for sid in statements(result.one(POLICY).inputs["policy"]))


def test_access_analyzer_part(desired):
    result = deploy(desired, options(auditCloudTrail=False, auditConfig="off"))
    assert result.types == {TYPE_TOKEN, ANALYZER}
    assert result.one(ANALYZER).inputs["analyzerName"] == "iam-matrix-dev"
    assert result.one(ANALYZER).inputs["type"] == "ACCOUNT"
    off = deploy(desired, options(auditAccessAnalyzer=False))
    assert ANALYZER not in off.types


def test_baseline_off_registers_nothing_but_the_component(desired):
    opts = dataclasses.replace(options(), enabled=False)
    result = deploy(desired, opts)
    assert result.types == {TYPE_TOKEN}
    assert result.outputs == {}


def test_every_taggable_resource_is_tagged(desired):
    result = deploy(desired, options(auditKmsKey=True, auditCloudWatchLogs=True))
    taggable = {BUCKET, TRAIL, KEY, LOG_GROUP, ROLE, SLR, RULE, ANALYZER}
    for registered in result.registrations.values():
        if registered.type in taggable:
            tags = registered.inputs["tags"]
            assert tags["managed-by"] == "iam-matrix" and tags["stack"] == "dev", registered.name
            assert tags["Owner"] == "platform-team"  # from the dev stack's tags


def test_custom_trail_name(desired):
    result = deploy(desired, options(auditTrailName="org-audit"))
    assert result.one(TRAIL).inputs["name"] == "org-audit"
    assert result.outputs["trailArn"].endswith(":trail/org-audit")
    acl = statements(result.one(POLICY).inputs["policy"])["AWSCloudTrailAclCheck"]
    assert acl["Condition"]["StringEquals"]["aws:SourceArn"].endswith(":trail/org-audit")
