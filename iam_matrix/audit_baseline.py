"""What the AuditBaseline component deploys, as plain data: the ``audit*`` stack config
(``BaselineOptions``) and the AWS Config managed rules (``managed_rules``).

It lives in the core so that ``validate`` rejects a bad ``audit*`` value exactly as
``pulumi up`` does, ``plan`` shows it, and the component, the audit command and the docs
read one list of rules.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .password_policy import FIELDS, PasswordPolicy
from .problems import Problems
from .project import PROJECT

if TYPE_CHECKING:
    from .settings import Settings

CONFIG_MODES = ("recorder", "rules", "off")
IAM_RESOURCE_TYPES = ("AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::Policy")
CONFIG_SERVICE_LINKED_ROLE = "AWSServiceRoleForConfig"
# Permissions boundary (IAM path and name) of the trail's CloudWatch Logs delivery role. Made once
# with the deploy role (deploy/<stack>/cloudtrail-logs-delivery-boundary.json), outside every path the
# deploy role may write; the deploy role may create and change that role only with it attached.
DELIVERY_ROLE_BOUNDARY = f"{PROJECT}-boundary/CloudTrailLogsDelivery"
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# PutConfigRule limits InputParameters to 1,024 characters.
INPUT_PARAMETERS_MAX = 1024


@dataclass(frozen=True)
class BaselineOptions:
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
    def read(cls, settings: Settings, problems: Problems) -> BaselineOptions:
        """Read the ``audit*`` keys, adding a problem for each value AWS would refuse, so
        ``validate`` reports them before ``pulumi up`` registers anything."""
        value = settings.value
        mode = str(value("auditConfig")).strip().lower()
        if mode not in CONFIG_MODES:
            problems.error(
                settings.location("auditConfig"),
                "config-audit-mode",
                f"{value('auditConfig')!r} is not an AWS Config mode",
                f"use one of {', '.join(CONFIG_MODES)}",
            )
        retention = value("auditCloudWatchLogsRetentionDays")
        if retention not in LOG_RETENTION_DAYS:
            problems.error(
                settings.location("auditCloudWatchLogsRetentionDays"),
                "config-range",
                f"{retention} is not a retention CloudWatch Logs accepts",
                f"use one of {', '.join(map(str, LOG_RETENTION_DAYS))}",
            )
            retention = 365
        types = tuple(value("auditConfigResourceTypes") or ())
        for kind in types:
            if not kind.startswith("AWS::") or kind.count("::") != 2:
                problems.error(
                    settings.location("auditConfigResourceTypes"),
                    "config-resource-type",
                    f"{kind!r} is not a resource type",
                    "write types as AWS::Service::Type, e.g. AWS::IAM::User",
                )
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

    def summary(self, stack: str) -> str:
        """One line for ``plan``: which parts the stack deploys."""
        if not self.enabled:
            return "off (auditBaseline: false)"
        parts = []
        if self.trail:
            parts.append(
                f"CloudTrail trail {self.resolved_trail_name(stack)}"
                + (" with KMS" if self.kms else "")
                + (" and CloudWatch Logs" if self.cloudwatch_logs else "")
            )
        if self.config_rules:
            parts.append(("AWS Config recorder and " if self.config_recorder else "") + "IAM Config rules")
        if self.analyzer:
            parts.append("IAM Access Analyzer")
        return ", ".join(parts) or "on, with every part switched off"

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "config_resource_types": list(self.config_resource_types)}


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


def managed_rules(
    policy: PasswordPolicy,
    group_names: Sequence[str],
    options: BaselineOptions,
    warn: Callable[[str], None] | None = None,
) -> list[ManagedRule]:
    """The IAM managed rules matching the seed's audit, parameterised from the same stack config.

    Config takes every parameter value as a string. A parameter AWS would reject as out of
    range (password max age or reuse prevention 0 = "off") is left out, so the rule then
    checks with AWS's own default only where the account policy sets one.
    """
    password: dict[str, str] = {}
    for setting in FIELDS:
        value = getattr(policy, setting.attribute)
        if not setting.config_rule or (type(value) is int and value <= 0):
            continue
        password[setting.api_name] = _flag(value) if type(value) is bool else str(value)
    membership: dict[str, str] = {}
    joined = ",".join(sorted(group_names))
    if joined:
        candidate = {"groupNames": joined}
        if len(json.dumps(candidate, separators=(",", ":"))) <= INPUT_PARAMETERS_MAX:
            membership = candidate
        elif warn is not None:
            warn(
                f"IAM_USER_GROUP_MEMBERSHIP_CHECK: the {len(group_names)} "
                f"group names exceed Config's {INPUT_PARAMETERS_MAX}-character "
                "parameter limit; the rule checks membership in any group "
                "instead (the audit command still checks exact memberships)"
            )
    return [
        ManagedRule(
            "IAM_PASSWORD_POLICY", "The account password policy meets the stack's password settings.", True, password
        ),
        ManagedRule("MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", "Every IAM user with a console password has MFA.", True),
        ManagedRule("IAM_USER_MFA_ENABLED", "Every IAM user has MFA.", True),
        ManagedRule("ROOT_ACCOUNT_MFA_ENABLED", "The root user has MFA.", True),
        ManagedRule(
            "IAM_USER_GROUP_MEMBERSHIP_CHECK", "Every IAM user is in one of the matrix's groups.", False, membership
        ),
        ManagedRule("IAM_NO_INLINE_POLICY_CHECK", "No user, group or role has an inline policy.", False),
        ManagedRule("IAM_USER_NO_POLICIES_CHECK", "No policy is attached to a user directly (groups only).", False),
        ManagedRule(
            "ACCESS_KEYS_ROTATED",
            "Active access keys are rotated within auditAccessKeyMaxAgeDays.",
            True,
            {"maxAccessKeyAge": str(options.access_key_max_age_days)},
        ),
        ManagedRule(
            "IAM_USER_UNUSED_CREDENTIALS_CHECK",
            "Passwords and keys unused for auditUnusedCredentialDays are reported.",
            True,
            {"maxCredentialUsageAge": str(options.unused_credential_days)},
        ),
        ManagedRule(
            "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", 'No customer managed policy allows "*" on "*".', False
        ),
        ManagedRule("IAM_ROOT_ACCESS_KEY_CHECK", "The root user has no access key.", True),
    ]
