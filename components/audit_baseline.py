"""AuditBaseline: the seed's "automation" of the audit, deployed by AWS itself.

CloudTrail records every change, AWS Config evaluates the IAM managed rules continuously,
IAM Access Analyzer reports unintended external access. Each part is switched per stack
(``auditBaseline``, ``auditCloudTrail``, ``auditConfig``, ``auditAccessAnalyzer``, ...),
because many accounts already get a trail and a recorder from their organization; the
costs and the reasons to leave a part off are in docs/audit-baseline.md.

The options and the Config rules are plain data (``AuditOptions``, ``managed_rules``) so
the audit command, the tests and the docs can read the same list the component deploys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from iam_matrix.compiler import compile_state
from iam_matrix.desired import DesiredState
from iam_matrix.problems import MatrixInvalid, Problems
from iam_matrix.settings import PROJECT, Settings

TYPE_TOKEN = "iam-matrix:index:AuditBaseline"
CONFIG_MODES = ("recorder", "rules", "off")
IAM_RESOURCE_TYPES = ("AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::Policy")
CONFIG_SERVICE_LINKED_ROLE = "AWSServiceRoleForConfig"
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
# PutConfigRule limits InputParameters to 1,024 characters.
INPUT_PARAMETERS_MAX = 1024
PERIODIC_FREQUENCY = "TwentyFour_Hours"


@dataclass(frozen=True)
class AuditOptions:
    """What the stack asks the AuditBaseline to deploy (from the ``audit*`` config keys)."""

    enabled: bool = False
    cloudtrail: bool = True
    trail_name: str = ""
    kms_key: bool = False
    cloudwatch_logs: bool = False
    cloudwatch_logs_retention_days: int = 365
    config_mode: str = "recorder"  # "recorder" | "rules" | "off"
    config_service_linked_role: bool = True
    config_resource_types: tuple[str, ...] = IAM_RESOURCE_TYPES
    access_analyzer: bool = True
    access_key_max_age_days: int = 90
    unused_credential_days: int = 45

    @property
    def config_recorder(self) -> bool:
        return self.enabled and self.config_mode == "recorder"

    @property
    def config_rules(self) -> bool:
        return self.enabled and self.config_mode in ("recorder", "rules")

    @property
    def trail(self) -> bool:
        return self.enabled and self.cloudtrail

    @property
    def analyzer(self) -> bool:
        return self.enabled and self.access_analyzer

    @property
    def bucket(self) -> bool:
        """The log bucket exists for the trail and for the Config delivery channel."""
        return self.trail or self.config_recorder

    @property
    def kms(self) -> bool:
        """A key only where something is encrypted with it."""
        return self.kms_key and self.bucket

    def resolved_trail_name(self, stack: str) -> str:
        return self.trail_name or f"{PROJECT}-{stack}"

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditOptions:
        """Read the ``audit*`` keys; an invalid value stops the program like ``validate`` does."""
        value = settings.value
        problems = Problems()
        mode = str(value("auditConfig")).strip().lower()
        if mode not in CONFIG_MODES:
            problems.error(settings.location("auditConfig"), "config-audit-mode", f"{value('auditConfig')!r} is not an AWS Config mode", f"use one of {', '.join(CONFIG_MODES)}")
        retention = value("auditCloudWatchLogsRetentionDays")
        if retention not in LOG_RETENTION_DAYS:
            problems.error(settings.location("auditCloudWatchLogsRetentionDays"), "config-range", f"{retention} is not a retention CloudWatch Logs accepts", f"use one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
        types = tuple(value("auditConfigResourceTypes") or ())
        for kind in types:
            if not kind.startswith("AWS::") or kind.count("::") != 2:
                problems.error(settings.location("auditConfigResourceTypes"), "config-resource-type", f"{kind!r} is not a resource type", "write types as AWS::Service::Type, e.g. AWS::IAM::User")
        if problems.errors:
            raise MatrixInvalid(problems.items)
        return cls(
            enabled=bool(value("auditBaseline")),
            cloudtrail=bool(value("auditCloudTrail")),
            trail_name=str(value("auditTrailName") or ""),
            kms_key=bool(value("auditKmsKey")),
            cloudwatch_logs=bool(value("auditCloudWatchLogs")),
            cloudwatch_logs_retention_days=int(retention),
            config_mode=mode,
            config_service_linked_role=bool(value("auditConfigServiceLinkedRole")),
            config_resource_types=types,
            access_analyzer=bool(value("auditAccessAnalyzer")),
            access_key_max_age_days=int(value("auditAccessKeyMaxAgeDays")),
            unused_credential_days=int(value("auditUnusedCredentialDays")),
        )


@dataclass(frozen=True)
class ManagedRule:
    """One AWS Config managed rule as PutConfigRule receives it."""

    identifier: str
    description: str
    periodic: bool
    parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Stable, prefixed rule name (at most 64 characters, the older API limit)."""
        return f"{PROJECT}-{self.identifier.lower().replace('_', '-')}"[:64]

    @property
    def input_parameters(self) -> str | None:
        return json.dumps(dict(self.parameters), sort_keys=True, separators=(",", ":")) if self.parameters else None


def _flag(value: bool) -> str:
    return "true" if value else "false"


def managed_rules(desired: DesiredState, options: AuditOptions, warn: Any = None) -> list[ManagedRule]:
    """The IAM managed rules matching the seed's audit, parameterised from the same stack config.

    Config takes every parameter value as a string. A parameter AWS would reject as out of
    range (password max age or reuse prevention 0 = "off") is left out, so the rule then
    checks with AWS's own default only where the account policy sets one.
    """
    policy = desired.password_policy
    password: dict[str, str] = {
        "RequireUppercaseCharacters": _flag(policy.require_uppercase_characters),
        "RequireLowercaseCharacters": _flag(policy.require_lowercase_characters),
        "RequireSymbols": _flag(policy.require_symbols),
        "RequireNumbers": _flag(policy.require_numbers),
        "MinimumPasswordLength": str(policy.minimum_password_length),
    }
    if policy.password_reuse_prevention > 0:
        password["PasswordReusePrevention"] = str(policy.password_reuse_prevention)
    if policy.max_password_age > 0:
        password["MaxPasswordAge"] = str(policy.max_password_age)
    membership: dict[str, str] = {}
    group_names = ",".join(sorted(g.name for g in desired.groups))
    if group_names:
        candidate = {"groupNames": group_names}
        if len(json.dumps(candidate, separators=(",", ":"))) <= INPUT_PARAMETERS_MAX:
            membership = candidate
        elif warn is not None:
            warn(
                f"IAM_USER_GROUP_MEMBERSHIP_CHECK: the {len(desired.groups)} group names exceed Config's {INPUT_PARAMETERS_MAX}-character "
                "parameter limit; the rule checks membership in any group instead (the audit command still checks exact memberships)"
            )
    return [
        ManagedRule("IAM_PASSWORD_POLICY", "The account password policy meets the stack's password settings.", True, password),
        ManagedRule("MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", "Every IAM user with a console password has MFA.", True),
        ManagedRule("IAM_USER_MFA_ENABLED", "Every IAM user has MFA.", True),
        ManagedRule("ROOT_ACCOUNT_MFA_ENABLED", "The root user has MFA.", True),
        ManagedRule("IAM_USER_GROUP_MEMBERSHIP_CHECK", "Every IAM user is in one of the matrix's groups.", False, membership),
        ManagedRule("IAM_NO_INLINE_POLICY_CHECK", "No user, group or role has an inline policy.", False),
        ManagedRule("IAM_USER_NO_POLICIES_CHECK", "No policy is attached to a user directly (groups only).", False),
        ManagedRule("ACCESS_KEYS_ROTATED", "Active access keys are rotated within auditAccessKeyMaxAgeDays.", True, {"maxAccessKeyAge": str(options.access_key_max_age_days)}),
        ManagedRule("IAM_USER_UNUSED_CREDENTIALS_CHECK", "Passwords and keys unused for auditUnusedCredentialDays are reported.", True, {"maxCredentialUsageAge": str(options.unused_credential_days)}),
        ManagedRule("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", "No customer managed policy allows \"*\" on \"*\".", False),
        ManagedRule("IAM_ROOT_ACCESS_KEY_CHECK", "The root user has no access key.", True),
    ]


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
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}},
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
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account}:trail/*"},
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

    def __init__(
        self,
        name: str,
        desired: DesiredState,
        options: AuditOptions,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self.options = options
        self.rules = managed_rules(desired, options, warn=lambda message: pulumi.log.warn(message, resource=self))
        tags = dict(tags) if tags is not None else default_tags(desired)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        account = identity.account_id
        trail_name = options.resolved_trail_name(desired.stack)
        trail_arn: pulumi.Output[str] | None = (
            pulumi.Output.concat("arn:", partition, ":cloudtrail:", region, ":", account, ":trail/", trail_name) if options.trail else None
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
        bucket_ready: list[pulumi.Resource] = []

        if options.kms:
            self.kms_key = aws.kms.Key(
                f"{name}-key",
                description=f"{PROJECT} {desired.stack}: CloudTrail logs and AWS Config deliveries",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=pulumi.Output.all(account, partition, trail_arn).apply(lambda a: kms_key_policy_document(a[0], a[1], a[2], options.config_recorder)),
                tags=tags,
                opts=child,
            )
            aws.kms.Alias(f"{name}-key-alias", name=f"alias/{PROJECT}-{desired.stack}-audit", target_key_id=self.kms_key.key_id, opts=child)

        if options.bucket:
            self.bucket = aws.s3.Bucket(f"{name}-logs", force_destroy=False, tags=tags, opts=child)
            ownership = aws.s3.BucketOwnershipControls(
                f"{name}-logs-ownership", bucket=self.bucket.id, rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child
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
                aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(sse_algorithm="aws:kms", kms_master_key_id=self.kms_key.arn)
                if self.kms_key
                else aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(sse_algorithm="AES256")
            )
            encryption = aws.s3.BucketServerSideEncryptionConfiguration(
                f"{name}-logs-encryption",
                bucket=self.bucket.id,
                rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(apply_server_side_encryption_by_default=default, bucket_key_enabled=bool(self.kms_key))],
                opts=child,
            )
            bucket_policy = aws.s3.BucketPolicy(
                f"{name}-logs-policy",
                bucket=self.bucket.id,
                policy=pulumi.Output.all(self.bucket.arn, account, partition, trail_arn).apply(
                    lambda a: bucket_policy_document(a[0], a[1], a[2], a[3], options.config_recorder)
                ),
                # S3 rejects concurrent bucket-configuration writes; the policy goes last.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block, ownership]),
            )
            bucket_ready = [bucket_policy, encryption, public_block]

        if options.trail:
            assert self.bucket is not None
            logs_group_arn: pulumi.Output[str] | None = None
            logs_role_arn: pulumi.Output[str] | None = None
            if options.cloudwatch_logs:
                self.log_group = aws.cloudwatch.LogGroup(
                    f"{name}-trail-logs", name=f"/{PROJECT}/{desired.stack}/cloudtrail", retention_in_days=options.cloudwatch_logs_retention_days, tags=tags, opts=child
                )
                role = aws.iam.Role(
                    f"{name}-trail-logs-role",
                    description="CloudTrail delivers the trail to its CloudWatch Logs group",
                    assume_role_policy=_policy([{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
                    tags=tags,
                    opts=child,
                )
                role_policy = aws.iam.RolePolicy(
                    f"{name}-trail-logs-delivery",
                    role=role.id,
                    policy=self.log_group.arn.apply(
                        lambda arn: _policy([{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{arn}:log-stream:*"}])
                    ),
                    opts=child,
                )
                bucket_ready.append(role_policy)
                # CloudTrail wants the log group ARN with its log-stream wildcard.
                logs_group_arn = self.log_group.arn.apply(lambda arn: arn if arn.endswith(":*") else f"{arn}:*")
                logs_role_arn = role.arn
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
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=bucket_ready + ([self.kms_key] if self.kms_key else [])),
            )

        rule_deps: list[pulumi.Resource] = []
        if options.config_recorder:
            assert self.bucket is not None
            role_arn: pulumi.Input[str]
            recorder_deps: list[pulumi.Resource] = []
            if options.config_service_linked_role:
                self.service_linked_role = aws.iam.ServiceLinkedRole(
                    f"{name}-config-role", aws_service_name="config.amazonaws.com", description="AWS Config records IAM resources for the iam-matrix rules", tags=tags, opts=child
                )
                role_arn = self.service_linked_role.arn
                recorder_deps.append(self.service_linked_role)
            else:
                role_arn = pulumi.Output.concat("arn:", partition, ":iam::", account, ":role/aws-service-role/config.amazonaws.com/", CONFIG_SERVICE_LINKED_ROLE)
            types = list(options.config_resource_types)
            group = (
                aws.cfg.RecorderRecordingGroupArgs(all_supported=False, include_global_resource_types=False, resource_types=types)
                if types
                else aws.cfg.RecorderRecordingGroupArgs(all_supported=True, include_global_resource_types=True)
            )
            self.recorder = aws.cfg.Recorder(
                f"{name}-recorder", name=PROJECT, role_arn=role_arn, recording_group=group, opts=pulumi.ResourceOptions(parent=self, depends_on=recorder_deps)
            )
            self.delivery_channel = aws.cfg.DeliveryChannel(
                f"{name}-delivery",
                name=PROJECT,
                s3_bucket_name=self.bucket.id,
                s3_kms_key_arn=self.kms_key.arn if self.kms_key else None,
                snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(delivery_frequency="TwentyFour_Hours"),
                # Config checks the bucket policy when the channel is created.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.recorder, *bucket_ready]),
            )
            self.recorder_status = aws.cfg.RecorderStatus(
                f"{name}-recorder-status", name=self.recorder.name, is_enabled=True, opts=pulumi.ResourceOptions(parent=self, depends_on=[self.delivery_channel])
            )
            # PutConfigRule needs a recorder in the region.
            rule_deps = [self.recorder]

        if options.config_rules:
            for rule in self.rules:
                self.config_rules[rule.identifier] = aws.cfg.Rule(
                    f"{name}-{rule.name.removeprefix(PROJECT + '-')}",
                    name=rule.name,
                    description=rule.description,
                    source=aws.cfg.RuleSourceArgs(owner="AWS", source_identifier=rule.identifier),
                    input_parameters=rule.input_parameters,
                    maximum_execution_frequency=PERIODIC_FREQUENCY if rule.periodic else None,
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=rule_deps),
                )

        if options.analyzer:
            self.analyzer = aws.accessanalyzer.Analyzer(f"{name}-analyzer", analyzer_name=f"{PROJECT}-{desired.stack}", type="ACCOUNT", tags=tags, opts=child)

        self.bucket_name = self.bucket.id if self.bucket else None
        self.trail_arn = self.trail.arn if self.trail else None
        self.trail_name = self.trail.name if self.trail else None
        self.kms_key_arn = self.kms_key.arn if self.kms_key else None
        self.log_group_name = self.log_group.name if self.log_group else None
        self.recorder_name = self.recorder.name if self.recorder else None
        self.delivery_channel_name = self.delivery_channel.name if self.delivery_channel else None
        self.config_rule_names = [r.name for r in self.config_rules.values()] if self.config_rules else None
        self.analyzer_arn = self.analyzer.arn if self.analyzer else None
        self.register_outputs(self.outputs())

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


def deploy_from_stack(project_dir: Path) -> AuditBaseline | None:
    """The program's AuditBaseline step: nothing unless the stack sets ``auditBaseline``.

    Called before ``components.program.main`` so that an invalid ``audit*`` value stops the
    program before any resource is registered. Config or matrix errors are left to ``main``,
    which reports them all; this step then registers nothing.
    """
    from .common import resource_tags
    from .program import load_settings

    try:
        settings = load_settings(project_dir)
    except MatrixInvalid:
        return None  # main() reports every config problem
    try:
        options = AuditOptions.from_settings(settings)
    except MatrixInvalid as invalid:
        for problem in invalid.problems:
            pulumi.log.error(str(problem))
        raise pulumi.RunError(f"{len(invalid.problems)} error(s) in the audit* stack config; nothing was deployed") from None
    if not options.enabled:
        return None
    try:
        state = compile_state(settings)
    except MatrixInvalid:
        return None  # main() reports the matrix problems and stops the program
    component = AuditBaseline("audit", state, options, tags=resource_tags(state.stack, settings.config_file, state.tags))
    pulumi.export("auditBaseline", component.outputs())
    return component
