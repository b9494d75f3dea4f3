"""Read the account in O(pages) requests, never per user.

The only module of iam_matrix that imports boto3. Credentials, profile, region and endpoint
come from boto3's standard chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...). Retries
use botocore's adaptive mode, which also rate-limits itself when IAM throttles.

Calls, for any number of users: sts:GetCallerIdentity; iam:GenerateCredentialReport and
iam:GetCredentialReport (re-polled while AWS builds the report); iam:GetAccountAuthorizationDetails
(1,000 entities a page); iam:GetAccountPasswordPolicy; iam:ListVirtualMFADevices (1,000 a page);
cloudtrail:DescribeTrails and cloudtrail:GetTrailStatus per trail; config:DescribeConfigurationRecorders
and config:DescribeConfigurationRecorderStatus; access-analyzer:ListAnalyzers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from ..access.live import api_document
from .snapshot import Snapshot, parse_credential_report

RETRY_CONFIG = Config(retries={"mode": "adaptive"}, user_agent_extra="iam-matrix-audit")
PAGE_SIZE = 1000  # the largest MaxItems IAM accepts
REPORT_TIMEOUT_S = 300
ACTION_PREFIX = {
    "iam": "iam",
    "sts": "sts",
    "cloudtrail": "cloudtrail",
    "config": "config",
    "accessanalyzer": "access-analyzer",
}
DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
}


class AwsAuditError(Exception):
    """AWS could not be reached, or refused a call the audit cannot do without (exit 3)."""

    def __init__(self, message: str, action: str | None = None):
        super().__init__(message)
        self.action = action


def _action(service: str, error: ClientError) -> str:
    return f"{ACTION_PREFIX.get(service, service)}:{error.operation_name}"


def _reason(service: str, error: Exception) -> str:
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = info.get("Code") or str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?"))
        text = (info.get("Message") or "").strip().splitlines()[0:1]
        verb = "denied" if code in DENIED else "failed"
        return (
            f"{_action(service, error)} {verb} "
            f"({code}{': ' + text[0][:160] if text and code not in ('500', '501', '502', '503') else ''})"
        )
    return f"{type(error).__name__}: {error}"


def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A boto3 session from the standard chain; AWS_REGION is honoured as the newer SDKs do."""
    session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    chosen = region or session.region_name or os.environ.get("AWS_REGION")
    if chosen and chosen != session.region_name:
        session = (
            boto3.Session(profile_name=profile, region_name=chosen) if profile else boto3.Session(region_name=chosen)
        )
    return session


def gather(
    session: boto3.Session | None = None,
    *,
    default_region: str = "us-east-1",
    sleep: Callable[[float], None] = time.sleep,
    roles: bool = True,
) -> Snapshot:
    """One Snapshot of the account. Raises AwsAuditError when IAM itself cannot be read;
    CloudTrail, Config, Access Analyzer and the password policy land in ``unavailable`` instead.
    The roles come in the same pages (``checks/roles.py`` judges their trust policies, ``adopt``
    lists them in its residue report); ``roles=False`` leaves them out."""
    session = session or make_session()
    reader = _Reader(session, session.region_name or os.environ.get("AWS_REGION") or default_region)
    identity = reader.core("sts", lambda: reader.client("sts").get_caller_identity())
    snapshot = Snapshot(
        account_id=identity["Account"],
        caller_arn=identity.get("Arn", ""),
        region=reader.region,
        taken_at=datetime.now(UTC),
    )
    content, generated = reader.core("iam", lambda: _credential_report(reader.client("iam"), sleep))
    snapshot.credential_report = parse_credential_report(content)
    snapshot.credential_report_generated = generated
    reader.core("iam", lambda: _read_details(reader.client("iam"), snapshot, roles))
    managed_documents(reader.client("iam"), snapshot)
    for part, service, read in _OPTIONAL_PARTS:
        reader.optional(snapshot, part, service, read)
    snapshot.requests = reader.requests
    return snapshot


class _Reader:
    """The clients of one gathering (one per service, in the audited region), the count of the
    HTTP requests they send, and the two ways a read can fail."""

    def __init__(self, session: boto3.Session, region: str) -> None:
        self.session, self.region = session, region
        self.clients: dict[str, Any] = {}
        self.requests = 0

    def _count(self, **_: Any) -> None:
        self.requests += 1

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = self.session.client(service, region_name=self.region, config=RETRY_CONFIG)
            self.clients[service].meta.events.register("before-send", self._count)
        return self.clients[service]

    def core(self, service: str, call: Callable[[], Any]) -> Any:
        """A read the audit cannot do without: any failure is an AwsAuditError that names the action."""
        try:
            return call()
        except NoCredentialsError as error:
            raise AwsAuditError(f"no AWS credentials found ({error}); set AWS_PROFILE or the AWS_* variables") from None
        except NoRegionError as error:
            raise AwsAuditError(str(error)) from None
        except ClientError as error:
            raise AwsAuditError(_reason(service, error), _action(service, error)) from None
        except BotoCoreError as error:
            raise AwsAuditError(f"AWS could not be reached: {error}") from None

    def optional(self, snapshot: Snapshot, part: str, service: str, read: Callable[[Any, Snapshot], None]) -> None:
        """A part the audit can do without: any failure becomes "could not check", never a crash."""
        try:
            read(self.client(service), snapshot)
        except (ClientError, BotoCoreError) as error:
            snapshot.unavailable[part] = _reason(service, error)
        except Exception as error:  # noqa: BLE001 - an unexpected answer must not hide the rest of the report
            snapshot.unavailable[part] = (
                f"unexpected answer from {ACTION_PREFIX.get(service, service)} ({type(error).__name__}: {error})"
            )


def _read_details(iam: Any, snapshot: Snapshot, roles: bool) -> None:
    """Users, groups, customer managed policies (and roles) in GetAccountAuthorizationDetails pages."""
    paginator = iam.get_paginator("get_account_authorization_details")
    parts = ["User", "Group", "LocalManagedPolicy"] + (["Role"] if roles else [])
    for page in paginator.paginate(Filter=parts, PaginationConfig={"PageSize": PAGE_SIZE}):
        snapshot.users += page.get("UserDetailList", [])
        snapshot.roles += page.get("RoleDetailList", [])
        snapshot.groups += page.get("GroupDetailList", [])
        snapshot.policies += page.get("Policies", [])


def _read_password_policy(iam: Any, snapshot: Snapshot) -> None:
    try:
        snapshot.password_policy = iam.get_account_password_policy()["PasswordPolicy"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
        snapshot.password_policy = None


def _read_virtual_mfa(iam: Any, snapshot: Snapshot) -> None:
    """Every virtual MFA device, without its seed and QR code (secrets the audit never needs)."""
    paginator = iam.get_paginator("list_virtual_mfa_devices")
    for page in paginator.paginate(AssignmentStatus="Any", PaginationConfig={"PageSize": PAGE_SIZE}):
        snapshot.virtual_mfa_devices += [
            {k: v for k, v in d.items() if k not in ("Base32StringSeed", "QRCodePNG")}
            for d in page.get("VirtualMFADevices", [])
        ]


def _read_cloudtrail(cloudtrail: Any, snapshot: Snapshot) -> None:
    trails = cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", [])
    snapshot.trails = trails
    for trail in {t["TrailARN"]: t for t in trails}.values():  # per trail, never per user
        try:
            status = cloudtrail.get_trail_status(Name=trail["TrailARN"])
            status.pop("ResponseMetadata", None)
            snapshot.trail_status[trail["TrailARN"]] = status
        except (ClientError, BotoCoreError) as error:
            snapshot.trail_status[trail["TrailARN"]] = {"error": _reason("cloudtrail", error)}


def _read_config(config: Any, snapshot: Snapshot) -> None:
    recorders = config.describe_configuration_recorders().get("ConfigurationRecorders", [])
    status = (
        config.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", []) if recorders else []
    )
    snapshot.config_recorders, snapshot.config_recorder_status = recorders, status


def _read_analyzers(accessanalyzer: Any, snapshot: Snapshot) -> None:
    found: list[dict[str, Any]] = []
    for page in accessanalyzer.get_paginator("list_analyzers").paginate():
        found += page.get("analyzers", [])
    snapshot.analyzers = found


# The parts the audit can do without, in reading order: (Snapshot.unavailable key, service, reader).
_OPTIONAL_PARTS: tuple[tuple[str, str, Callable[[Any, Snapshot], None]], ...] = (
    ("password-policy", "iam", _read_password_policy),
    ("virtual-mfa-devices", "iam", _read_virtual_mfa),
    ("cloudtrail", "cloudtrail", _read_cloudtrail),
    ("config", "config", _read_config),
    ("access-analyzer", "accessanalyzer", _read_analyzers),
)


def managed_documents(iam: Any, snapshot: Snapshot) -> None:
    """The live documents of the AWS managed policies attached to the snapshot's users and
    groups: GetPolicy + GetPolicyVersion (default version) for those ARNs only, two requests a
    policy whatever the number of users (not the ~1,400 AWS managed policies of the account).
    A policy that cannot be read is noted; the access checks then use the shipped snapshot."""
    arns = sorted(
        {
            attached["PolicyArn"]
            for owner in [*snapshot.users, *snapshot.groups]
            for attached in owner.get("AttachedManagedPolicies", [])
            if ":iam::aws:policy/" in attached.get("PolicyArn", "")
        }
    )
    for arn in arns:
        try:
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            snapshot.managed_documents[arn] = api_document(document)
        except (ClientError, BotoCoreError, KeyError, ValueError) as error:
            snapshot.managed_unreadable[arn] = (
                _reason("iam", error)
                if isinstance(error, ClientError | BotoCoreError)
                else f"unexpected answer ({error!r})"
            )


def _credential_report(iam: Any, sleep: Callable[[float], None]) -> tuple[bytes, datetime | None]:
    """Ask for a fresh report (AWS reuses one up to 4 hours old) and fetch it once it is ready."""
    deadline = time.monotonic() + REPORT_TIMEOUT_S
    delay = 1.0
    while True:
        iam.generate_credential_report()
        try:
            report = iam.get_credential_report()
            return report["Content"], report.get("GeneratedTime")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in ("ReportInProgress", "ReportNotPresent", "ReportExpired") or time.monotonic() > deadline:
                raise
        sleep(delay)
        delay = min(delay * 2, 10.0)
