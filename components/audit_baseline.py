"""AuditBaseline: the seed's "automation" of the audit, deployed by AWS itself.

CloudTrail records every change, AWS Config evaluates the IAM managed rules continuously,
IAM Access Analyzer reports unintended external access. Each part is switched per stack
(``auditBaseline``, ``auditCloudTrail``, ``auditConfig``, ``auditAccessAnalyzer``, ...),
because many accounts already get a trail and a recorder from their organization; the
costs and the reasons to leave a part off are in docs/audit-baseline.md.

The options and the Config rules are plain data in the core (``iam_matrix.audit_baseline``), so
``validate`` checks them, and the audit command, the tests and the docs read the same list
of rules the component deploys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from iam_matrix.audit_baseline import (
    CONFIG_SERVICE_LINKED_ROLE,
    DELIVERY_ROLE_BOUNDARY,
    BaselineOptions,
    managed_rules,
)
from iam_matrix.desired import DesiredState
from iam_matrix.password_policy import PasswordPolicy
from iam_matrix.project import PROJECT

from .layout import AUDIT_BASELINE

TYPE_TOKEN = AUDIT_BASELINE[0]
PERIODIC_FREQUENCY = "TwentyFour_Hours"


@dataclass(frozen=True)
class AuditBaselineArgs:
    """What the baseline needs from the state: its options, the stack (names), the password policy
    and the group names (both for the Config rules, ``managed_rules``), the tags of every part."""

    options: BaselineOptions
    stack: str
    password_policy: PasswordPolicy
    group_names: Sequence[str]
    tags: Mapping[str, str]

    @classmethod
    def of(
        cls, state: DesiredState, options: BaselineOptions | None = None, tags: Mapping[str, str] | None = None
    ) -> AuditBaselineArgs:
        """``options`` default to the state's ``audit_baseline``, ``tags`` to ``default_tags``."""
        return cls(
            options if options is not None else state.audit_baseline,
            state.stack,
            state.password_policy,
            tuple(g.name for g in state.groups),
            dict(tags) if tags is not None else default_tags(state),
        )


def default_tags(desired: DesiredState) -> dict[str, str]:
    return {**dict(desired.tags), "managed-by": PROJECT, "stack": desired.stack, "component": "audit-baseline"}


def _policy(statements: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def bucket_policy_document(bucket_arn: str, account: str, partition: str, trail_arn: str | None, config: bool) -> str:
    """TLS only; CloudTrail and Config may check the ACL and write under AWSLogs/<account>/ only."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    if trail_arn:
        statements += [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/AWSLogs/{account}/*",
                "Condition": {
                    "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}
                },
            },
        ]
    if config:
        source = {"AWS:SourceAccount": account}
        statements += [
            {
                "Sid": "AWSConfigBucketPermissionsCheck",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": "AWSConfigBucketExistenceCheck",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": "AWSConfigBucketDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/AWSLogs/{account}/Config/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}},
            },
        ]
    return _policy(statements)


def kms_key_policy_document(account: str, partition: str, trail_arn: str | None, config: bool) -> str:
    """The account administers the key; CloudTrail encrypts its own trail's logs; Config its deliveries."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "EnableAccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if trail_arn:
        statements += [
            {
                "Sid": "AllowCloudTrailEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account}:trail/*"
                    },
                },
            },
            {
                "Sid": "AllowCloudTrailDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
        ]
    if config:
        statements.append(
            {
                "Sid": "AllowConfigDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"AWS:SourceAccount": account}},
            }
        )
    return _policy(statements)


class AuditBaseline(pulumi.ComponentResource):
    """CloudTrail + AWS Config IAM rules + IAM Access Analyzer, each part optional.

    Outputs (``None`` for a part that is off): ``bucket_name``, ``trail_arn``, ``trail_name``,
    ``kms_key_arn``, ``log_group_name``, ``recorder_name``, ``delivery_channel_name``,
    ``config_rule_names``, ``analyzer_arn``.
    """

    def __init__(self, name: str, args: AuditBaselineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        options = self.options = args.options
        self.rules = managed_rules(
            args.password_policy,
            list(args.group_names),
            options,
            warn=lambda message: pulumi.log.warn(message, resource=self),
        )
        self._name, self._stack, self._tags = name, args.stack, dict(args.tags)
        self._child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        trail_name = options.resolved_trail_name(args.stack)
        trail_arn: pulumi.Output[str] | None = (
            pulumi.Output.concat(
                "arn:", self._partition, ":cloudtrail:", region, ":", self._account, ":trail/", trail_name
            )
            if options.trail
            else None
        )

        self.bucket: aws.s3.Bucket | None = None
        self.kms_key: aws.kms.Key | None = None
        self.trail: aws.cloudtrail.Trail | None = None
        self.log_group: aws.cloudwatch.LogGroup | None = None
        self.recorder: aws.cfg.Recorder | None = None
        self.delivery_channel: aws.cfg.DeliveryChannel | None = None
        self.recorder_status: aws.cfg.RecorderStatus | None = None
        self.service_linked_role: aws.iam.ServiceLinkedRole | None = None
        self.config_rules: dict[str, aws.cfg.Rule] = {}
        self.analyzer: aws.accessanalyzer.Analyzer | None = None

        # The steps, in the order the parts depend on each other: the key encrypts the bucket,
        # the bucket receives the trail and Config's deliveries, Config's rules need its recorder.
        if options.kms:
            self._add_kms_key(trail_arn)
        bucket_ready = self._add_log_bucket(trail_arn) if options.bucket else []
        if options.trail:
            self._add_trail(trail_name, bucket_ready)
        rule_deps = self._add_config_recorder(bucket_ready) if options.config_recorder else []
        if options.config_rules:
            self._add_config_rules(rule_deps)
        if options.analyzer:
            self.analyzer = aws.accessanalyzer.Analyzer(
                f"{name}-analyzer",
                analyzer_name=f"{PROJECT}-{args.stack}",
                type="ACCOUNT",
                tags=self._tags,
                opts=self._child,
            )
        self._expose_outputs()
        self.register_outputs(self.outputs())

    def _add_kms_key(self, trail_arn: pulumi.Output[str] | None) -> None:
        """The customer managed key for the trail's files and Config's deliveries, with its alias."""
        name, options = self._name, self.options
        self.kms_key = aws.kms.Key(
            f"{name}-key",
            description=f"{PROJECT} {self._stack}: CloudTrail logs and AWS Config deliveries",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(self._account, self._partition, trail_arn).apply(
                lambda a: kms_key_policy_document(a[0], a[1], a[2], options.config_recorder)
            ),
            tags=self._tags,
            opts=self._child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{PROJECT}-{self._stack}-audit",
            target_key_id=self.kms_key.key_id,
            opts=self._child,
        )

    def _add_log_bucket(self, trail_arn: pulumi.Output[str] | None) -> list[pulumi.Resource]:
        """The log bucket, owner-enforced, private, encrypted, with the delivery policy; returns what
        a delivery into it must wait for."""
        name, options, child = self._name, self.options, self._child
        self.bucket = aws.s3.Bucket(f"{name}-logs", force_destroy=False, tags=self._tags, opts=child)
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-logs-ownership",
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-logs-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        default = (
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=self.kms_key.arn
            )
            if self.kms_key
            else aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256"
            )
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-logs-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=default, bucket_key_enabled=bool(self.kms_key)
                )
            ],
            opts=child,
        )
        bucket_policy = aws.s3.BucketPolicy(
            f"{name}-logs-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, self._account, self._partition, trail_arn).apply(
                lambda a: bucket_policy_document(a[0], a[1], a[2], a[3], options.config_recorder)
            ),
            # S3 rejects concurrent bucket-configuration writes; the policy goes last.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block, ownership]),
        )
        return [bucket_policy, encryption, public_block]

    def _add_trail(self, trail_name: str, bucket_ready: list[pulumi.Resource]) -> None:
        """The multi-region trail (and its CloudWatch Logs group and delivery role when asked for);
        the delivery role's policy joins ``bucket_ready``, as Config's delivery waits for it too."""
        assert self.bucket is not None
        name, options = self._name, self.options
        logs_group_arn: pulumi.Output[str] | None = None
        logs_role_arn: pulumi.Output[str] | None = None
        if options.cloudwatch_logs:
            logs_group_arn, logs_role_arn, role_policy = self._add_trail_log_group()
            bucket_ready.append(role_policy)
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name,
            s3_bucket_name=self.bucket.id,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=self.kms_key.arn if self.kms_key else None,
            cloud_watch_logs_group_arn=logs_group_arn,
            cloud_watch_logs_role_arn=logs_role_arn,
            tags=self._tags,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=bucket_ready + ([self.kms_key] if self.kms_key else [])
            ),
        )

    def _add_trail_log_group(self) -> tuple[pulumi.Output[str], pulumi.Output[str], aws.iam.RolePolicy]:
        """The trail's CloudWatch Logs group and the role CloudTrail delivers with: (group ARN as
        CloudTrail wants it, role ARN, the role's policy)."""
        name, child = self._name, self._child
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-trail-logs",
            name=f"/{PROJECT}/{self._stack}/cloudtrail",
            retention_in_days=self.options.cloudwatch_logs_retention_days,
            tags=self._tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-trail-logs-role",
            description="CloudTrail delivers the trail to its CloudWatch Logs group",
            # The deploy role may create and change this role only with this boundary
            # (deploy/<stack>/deployer-policy-audit-baseline.json): it can never do more than write logs.
            permissions_boundary=pulumi.Output.concat(
                "arn:", self._partition, ":iam::", self._account, f":policy/{DELIVERY_ROLE_BOUNDARY}"
            ),
            assume_role_policy=_policy(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            ),
            tags=self._tags,
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-trail-logs-delivery",
            role=role.id,
            policy=self.log_group.arn.apply(
                lambda arn: _policy(
                    [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": f"{arn}:log-stream:*",
                        }
                    ]
                )
            ),
            opts=child,
        )
        # CloudTrail wants the log group ARN with its log-stream wildcard.
        group_arn = self.log_group.arn.apply(lambda arn: arn if arn.endswith(":*") else f"{arn}:*")
        return group_arn, role.arn, role_policy

    def _add_config_recorder(self, bucket_ready: list[pulumi.Resource]) -> list[pulumi.Resource]:
        """AWS Config's recorder (with its service-linked role), delivery channel and status;
        returns what the Config rules must wait for."""
        assert self.bucket is not None
        name, options = self._name, self.options
        role_arn: pulumi.Input[str]
        recorder_deps: list[pulumi.Resource] = []
        if options.config_service_linked_role:
            self.service_linked_role = aws.iam.ServiceLinkedRole(
                f"{name}-config-role",
                aws_service_name="config.amazonaws.com",
                description="AWS Config records IAM resources for the iam-matrix rules",
                tags=self._tags,
                opts=self._child,
            )
            role_arn = self.service_linked_role.arn
            recorder_deps.append(self.service_linked_role)
        else:
            role_arn = pulumi.Output.concat(
                "arn:",
                self._partition,
                ":iam::",
                self._account,
                ":role/aws-service-role/config.amazonaws.com/",
                CONFIG_SERVICE_LINKED_ROLE,
            )
        types = list(options.config_resource_types)
        group = (
            aws.cfg.RecorderRecordingGroupArgs(
                all_supported=False, include_global_resource_types=False, resource_types=types
            )
            if types
            else aws.cfg.RecorderRecordingGroupArgs(all_supported=True, include_global_resource_types=True)
        )
        self.recorder = aws.cfg.Recorder(
            f"{name}-recorder",
            name=PROJECT,
            role_arn=role_arn,
            recording_group=group,
            opts=pulumi.ResourceOptions(parent=self, depends_on=recorder_deps),
        )
        self.delivery_channel = aws.cfg.DeliveryChannel(
            f"{name}-delivery",
            name=PROJECT,
            s3_bucket_name=self.bucket.id,
            s3_kms_key_arn=self.kms_key.arn if self.kms_key else None,
            snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
                delivery_frequency="TwentyFour_Hours"
            ),
            # Config checks the bucket policy when the channel is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.recorder, *bucket_ready]),
        )
        self.recorder_status = aws.cfg.RecorderStatus(
            f"{name}-recorder-status",
            name=self.recorder.name,
            is_enabled=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.delivery_channel]),
        )
        # PutConfigRule needs a recorder in the region.
        return [self.recorder]

    def _add_config_rules(self, rule_deps: list[pulumi.Resource]) -> None:
        """One AWS managed Config rule per ``managed_rules`` entry."""
        for rule in self.rules:
            self.config_rules[rule.identifier] = aws.cfg.Rule(
                f"{self._name}-{rule.name.removeprefix(PROJECT + '-')}",
                name=rule.name,
                description=rule.description,
                source=aws.cfg.RuleSourceArgs(owner="AWS", source_identifier=rule.identifier),
                input_parameters=rule.input_parameters,
                maximum_execution_frequency=PERIODIC_FREQUENCY if rule.periodic else None,
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=rule_deps),
            )

    def _expose_outputs(self) -> None:
        self.bucket_name = self.bucket.id if self.bucket else None
        self.trail_arn = self.trail.arn if self.trail else None
        self.trail_name = self.trail.name if self.trail else None
        self.kms_key_arn = self.kms_key.arn if self.kms_key else None
        self.log_group_name = self.log_group.name if self.log_group else None
        self.recorder_name = self.recorder.name if self.recorder else None
        self.delivery_channel_name = self.delivery_channel.name if self.delivery_channel else None
        self.config_rule_names = [r.name for r in self.config_rules.values()] if self.config_rules else None
        self.analyzer_arn = self.analyzer.arn if self.analyzer else None

    def outputs(self) -> dict[str, Any]:
        """The parts that exist, for ``register_outputs`` and the stack's exports."""
        values = {
            "bucketName": self.bucket_name,
            "trailArn": self.trail_arn,
            "trailName": self.trail_name,
            "kmsKeyArn": self.kms_key_arn,
            "logGroupName": self.log_group_name,
            "recorderName": self.recorder_name,
            "deliveryChannelName": self.delivery_channel_name,
            "configRuleNames": self.config_rule_names,
            "analyzerArn": self.analyzer_arn,
        }
        return {key: value for key, value in values.items() if value is not None}
