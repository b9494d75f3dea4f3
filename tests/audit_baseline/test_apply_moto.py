"""AuditBaseline applied to an emulated account: the emulator (emulator/) turns every
registered resource into boto3 calls against moto, with the AuditBaseline appliers
(emulator/audit_baseline.py); then the account is read back with boto3, and
the audit command's gatherer and logging checks (iam_matrix.audit) judge it.

moto validates Config rule identifiers and parameter names, so a wrong one fails here as it
would in AWS. moto has no IAM Access Analyzer: the analyzer is off in these runs (it is
covered at the resource level by test_component.py), and the audit reports it as "could
not check". Nothing here runs the Pulumi engine or touches AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

import components.audit_baseline as audit_baseline
from components.audit_baseline import AuditBaseline, AuditBaselineArgs
from emulator import ApplyError, EmulatedStack, MotoAccount, ProgramRun
from iam_matrix.audit.checks.logging import logging_findings
from iam_matrix.audit.gather import gather
from iam_matrix.audit_baseline import BaselineOptions, ManagedRule
from iam_matrix.compiler import compile_state
from iam_matrix.desired import DesiredState
from iam_matrix.settings import load_stack_settings

REGION = "ap-northeast-2"


@pytest.fixture(scope="module")
def desired() -> DesiredState:
    return compile_state(load_stack_settings(stack="dev"))


@pytest.fixture(scope="module")
def moto_account() -> Iterator[MotoAccount]:
    """One in-process moto for the module: its boto3 clients and service models load once."""
    with MotoAccount(region=REGION) as started:
        yield started


@pytest.fixture
def account(moto_account: MotoAccount) -> MotoAccount:
    """A fresh, empty account per test (every moto backend reset)."""
    moto_account.reset()
    return moto_account


def options(**overrides: object) -> BaselineOptions:
    values = {"auditBaseline": True, "auditAccessAnalyzer": False, **overrides}
    return compile_state(load_stack_settings(stack="dev", overrides=values)).audit_baseline


def up(stack: EmulatedStack, desired: DesiredState, opts: BaselineOptions) -> ProgramRun:
    """One ``pulumi up`` of the component, applied to the moto account."""
    return stack.up(program=lambda: AuditBaseline("audit", AuditBaselineArgs.of(desired, opts)))


def audit_logging(account: MotoAccount) -> dict[str, list]:
    """The audit's CloudTrail / Config / Access Analyzer findings for the account, by part."""
    session = boto3.Session(region_name=account.region, aws_access_key_id="testing", aws_secret_access_key="testing")
    snapshot = gather(session, sleep=lambda _: None)
    found: dict[str, list] = {}
    for finding in logging_findings(snapshot):
        found.setdefault(
            finding.check if finding.check != "could-not-check" else f"could-not-check:{finding.resource}", []
        ).append(finding)
    return found


def test_all_parts_deploy_and_the_audit_finds_cloudtrail_and_config(account, desired):
    stack = EmulatedStack(account)
    up(stack, desired, options(auditKmsKey=True, auditCloudWatchLogs=True))
    s3, trail_api, config = account.client("s3"), account.client("cloudtrail"), account.client("config")

    bucket = s3.list_buckets()["Buckets"][0]["Name"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"
    ]
    key_arn = account.client("kms").describe_key(KeyId="alias/iam-matrix-dev-audit")["KeyMetadata"]["Arn"]
    assert sse == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    sids = {s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    assert {"DenyInsecureTransport", "AWSCloudTrailAclCheck", "AWSCloudTrailWrite", "AWSConfigBucketDelivery"} <= sids

    trail = trail_api.describe_trails(trailNameList=["iam-matrix-dev"])["trailList"][0]
    assert (trail["IsMultiRegionTrail"], trail["LogFileValidationEnabled"], trail["IncludeGlobalServiceEvents"]) == (
        True,
        True,
        True,
    )
    assert trail["S3BucketName"] == bucket and trail["KmsKeyId"] == key_arn
    assert trail["CloudWatchLogsLogGroupArn"].endswith(":log-group:/iam-matrix/dev/cloudtrail:*")
    assert trail_api.get_trail_status(Name=trail["TrailARN"])["IsLogging"] is True

    recorder = config.describe_configuration_recorders()["ConfigurationRecorders"][0]
    assert recorder["name"] == "iam-matrix" and recorder["recordingGroup"]["resourceTypes"] == [
        "AWS::IAM::User",
        "AWS::IAM::Group",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
    ]
    assert "aws-service-role/config.amazonaws.com/" in recorder["roleARN"]
    channel = config.describe_delivery_channels()["DeliveryChannels"][0]
    assert channel["s3BucketName"] == bucket and channel["s3KmsKeyArn"] == key_arn
    assert config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0]["recording"] is True
    rules = {r["Source"]["SourceIdentifier"]: r for r in config.describe_config_rules()["ConfigRules"]}
    assert len(rules) == 11
    assert json.loads(rules["ACCESS_KEYS_ROTATED"]["InputParameters"]) == {"maxAccessKeyAge": "90"}
    assert json.loads(rules["IAM_USER_UNUSED_CREDENTIALS_CHECK"]["InputParameters"]) == {"maxCredentialUsageAge": "45"}
    assert json.loads(rules["IAM_PASSWORD_POLICY"]["InputParameters"])["MinimumPasswordLength"] == "14"
    assert json.loads(rules["IAM_USER_GROUP_MEMBERSHIP_CHECK"]["InputParameters"])["groupNames"].split(",") == sorted(
        g.name for g in desired.groups
    )

    found = audit_logging(account)
    assert not [
        check
        for check in found
        if check.startswith(("cloudtrail", "config")) or "cloudtrail" in check or "config" in check
    ]
    # moto answers ListAnalyzers with "Not yet implemented": the audit says so instead of passing.
    assert set(found) == {"could-not-check:access-analyzer"}


def test_defaults_then_a_second_up_changes_nothing_and_a_stopped_trail_is_restarted(account, desired):
    stack = EmulatedStack(account)
    opts = options()
    up(stack, desired, opts)
    s3 = account.client("s3")
    bucket = s3.list_buckets()["Buckets"][0]["Name"]
    sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"
    ]
    assert sse == {"SSEAlgorithm": "AES256"}  # SSE-S3 unless auditKmsKey
    trail = account.client("cloudtrail").describe_trails()["trailList"][0]
    assert "KmsKeyId" not in trail and "CloudWatchLogsLogGroupArn" not in trail

    up(stack, desired, opts)
    assert {o.op for o in stack.operations} == {"same"}

    trail_api = account.client("cloudtrail")
    trail_api.stop_logging(Name="iam-matrix-dev")  # someone switches the trail off by hand
    account.client("config").stop_configuration_recorder(ConfigurationRecorderName="iam-matrix")
    found = audit_logging(account)
    assert "cloudtrail-not-logging" in found and "config-recorder-not-recording" in found

    up(stack, desired, opts)  # refresh sees the drift, up puts it back
    assert sorted(o.type.rsplit(":", 1)[-1] for o in stack.ops("update")) == ["RecorderStatus", "Trail"]
    assert trail_api.get_trail_status(Name="iam-matrix-dev")["IsLogging"] is True
    assert set(audit_logging(account)) == {"could-not-check:access-analyzer"}


def test_rules_only_next_to_a_recorder_managed_elsewhere(account, desired):
    config = account.client("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "org-recorder",
            "roleARN": f"arn:aws:iam::{account.account_id}:role/org-config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    stack = EmulatedStack(account)
    up(stack, desired, options(auditConfig="rules", auditCloudTrail=False))
    assert {o.type for o in stack.operations} == {"aws:cfg/rule:Rule"}
    assert [r["name"] for r in config.describe_configuration_recorders()["ConfigurationRecorders"]] == ["org-recorder"]
    assert len(config.describe_config_rules()["ConfigRules"]) == 11
    assert account.client("s3").list_buckets()["Buckets"] == []
    found = audit_logging(account)
    assert "config-recorder-missing" not in found and "cloudtrail-missing" in found


def test_switching_parts_off_removes_them(account, desired):
    stack = EmulatedStack(account)
    up(stack, desired, options())
    up(stack, desired, options(auditConfig="off"))
    config = account.client("config")
    assert config.describe_configuration_recorders()["ConfigurationRecorders"] == []
    assert config.describe_config_rules()["ConfigRules"] == []
    assert "config-recorder-missing" in audit_logging(account)
    assert account.client("cloudtrail").describe_trails()["trailList"]  # the trail stays


@pytest.mark.parametrize(
    ("identifier", "parameters", "message"),
    [
        ("IAM_USER_MFA_ENABLE", {}, "sourceIdentifier IAM_USER_MFA_ENABLE is invalid"),
        ("ACCESS_KEYS_ROTATED", {"maxKeyAge": "90"}, "Unknown parameters"),
        ("ACCESS_KEYS_ROTATED", {}, "required parameter [maxAccessKeyAge]"),
    ],
)
def test_a_wrong_rule_id_or_parameter_fails_the_up(account, desired, monkeypatch, identifier, parameters, message):
    bad = ManagedRule(identifier, "a typo", True, parameters)
    monkeypatch.setattr(audit_baseline, "managed_rules", lambda *a, **k: [bad])
    with pytest.raises(Exception, match=message.replace("[", r"\[").replace("]", r"\]")):
        up(EmulatedStack(account), desired, options(auditConfig="rules", auditCloudTrail=False))


def test_a_bucket_policy_without_cloudtrail_grants_fails_like_aws(account, desired, monkeypatch):
    original = audit_baseline.bucket_policy_document

    def without_trail(bucket_arn, acct, partition, trail_arn, config):
        return original(bucket_arn, acct, partition, None, config)

    monkeypatch.setattr(audit_baseline, "bucket_policy_document", without_trail)
    with pytest.raises(ApplyError, match="InsufficientS3BucketPolicyException"):
        up(EmulatedStack(account), desired, options(auditConfig="off"))


def test_a_bucket_policy_without_config_grants_fails_like_aws(account, desired, monkeypatch):
    original = audit_baseline.bucket_policy_document
    monkeypatch.setattr(audit_baseline, "bucket_policy_document", lambda b, a, p, t, c: original(b, a, p, t, False))
    with pytest.raises(ApplyError, match="InsufficientDeliveryPolicyException"):
        up(EmulatedStack(account), desired, options(auditCloudTrail=False))


def test_a_key_policy_without_cloudtrail_grants_fails_like_aws(account, desired, monkeypatch):
    original = audit_baseline.kms_key_policy_document
    monkeypatch.setattr(audit_baseline, "kms_key_policy_document", lambda a, p, t, c: original(a, p, None, c))
    with pytest.raises(ApplyError, match="InsufficientEncryptionPolicyException"):
        up(EmulatedStack(account), desired, options(auditKmsKey=True, auditConfig="off"))


def test_the_analyzer_has_no_applier_because_moto_has_no_access_analyzer(account, desired):
    with pytest.raises(ApplyError, match="no applier registered for aws:accessanalyzer/analyzer:Analyzer"):
        up(EmulatedStack(account), desired, options(auditAccessAnalyzer=True, auditCloudTrail=False, auditConfig="off"))
