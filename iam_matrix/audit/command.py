"""``python -m iam_matrix audit``: read the account, compare it with the stack's matrix, report.

Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 bad input or configuration
(including credentials for another account than the stack is pinned to), 3 AWS could not be
reached or refused a call the audit needs (the denied action is named).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..cli import (
    EXIT_AWS,
    EXIT_FINDINGS,
    EXIT_INVALID,
    EXIT_OK,
    INVALID_HELP,
    CommandFailed,
    add_input_options,
    check_output,
    exit_codes,
    settings_from_args,
)
from ..compiler import check
from ..desired import DesiredState
from ..problems import MatrixInvalid
from ..settings import stack_region
from .checks import AuditOptions, run_checks, sort_findings
from .events import AccessLog
from .exceptions import Exceptions, apply_exceptions, load_exceptions
from .findings import SEVERITIES, severity_rank
from .report import RENDERERS, AuditResult, membership_grid
from .snapshot import Snapshot


def configure(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument("--format", choices=list(RENDERERS), default="text", help="report format (default: text)")
    parser.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write the report to FILE and say so on stderr (default: the report goes to standard output)",
    )
    parser.add_argument(
        "--fail-on",
        choices=[*SEVERITIES, "none"],
        default="low",
        help="exit 1 when a finding has this severity or worse (default: low; info never fails; none: never exit 1)",
    )
    parser.add_argument(
        "--profile",
        help="AWS profile (default: the standard credential chain: AWS_PROFILE, environment keys, SSO, instance role)",
    )
    parser.add_argument(
        "--region",
        help="region for CloudTrail, Config and Access Analyzer (default, in this order: the stack's aws:region, "
        "then the profile's or AWS_REGION / AWS_DEFAULT_REGION, then us-east-1)",
    )
    parser.add_argument(
        "--since",
        type=since_days,
        default=30,
        metavar="DAYS",
        help="days of CloudTrail events the access-log checks read (default: 30; at most 90, what LookupEvents keeps)",
    )
    parser.add_argument(
        "--cloudtrail-logs",
        metavar="S3URI_OR_FOLDER",
        help="read the trail's log files (s3://bucket/AWSLogs/... or a local folder of .json/.json.gz files), "
        "for large accounts and organisation trails (default: CloudTrail LookupEvents, no set-up)",
    )
    parser.add_argument(
        "--ignore-exceptions",
        action="store_true",
        help="count every finding, as if the exceptions file (iam-matrix:auditExceptionsFile) were empty "
        "(default: findings it accepts are reported as suppressed and not counted)",
    )
    parser.epilog = exit_codes(
        "0  no finding at or above --fail-on",
        "1  findings at or above --fail-on",
        INVALID_HELP + "; also a credential for another account than the stack's aws:allowedAccountIds",
        "3  AWS could not be reached, or refused a call the audit needs (the action is named)",
    )


def since_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days") from None
    if not 1 <= days <= 90:
        raise argparse.ArgumentTypeError(f"{days} is out of range: use 1 to 90 (LookupEvents keeps 90 days)")
    return days


def audit(
    desired: DesiredState,
    snapshot: Snapshot,
    options: AuditOptions | None = None,
    access_log: AccessLog | None = None,
    exceptions: Exceptions | None = None,
) -> AuditResult:
    """Checks and grid for one snapshot and the window's access log, with the exceptions file's
    entries applied on the snapshot's day; what the command renders (also handy in tests)."""
    if desired.account_id is None:
        desired = desired.with_account(snapshot.account_id)
    findings = run_checks(desired, snapshot, options, access_log)
    applied = apply_exceptions(findings, exceptions, desired.stack, snapshot.taken_at.date())
    return AuditResult(
        desired,
        snapshot,
        sort_findings(applied.findings),
        membership_grid(desired, snapshot),
        access_log,
        applied.suppressed,
        exceptions.file if exceptions else "",
    )


def terminal_progress(message: str) -> None:
    """Progress of a long read on one terminal line; nothing when standard error is a file or a CI log."""
    if sys.stderr.isatty():
        sys.stderr.write("\r" + message[:150] + "\033[K")
        sys.stderr.flush()


def read_live_account(command: str, profile: str | None, region: str | None, **options: Any) -> tuple[Any, Snapshot]:
    """A boto3 session and one ``gather`` of the account, for ``audit`` and ``adopt``; a local AWS
    configuration problem stops the command with exit 2, an unreachable or refusing AWS with exit 3."""
    from botocore.exceptions import BotoCoreError

    from .gather import AwsAuditError, gather, make_session

    try:
        session = make_session(profile, region)
        return session, gather(session, **options)
    except BotoCoreError as error:  # e.g. ProfileNotFound: the local AWS configuration is wrong
        raise CommandFailed(f"{command}: AWS configuration: {error}", EXIT_INVALID) from error
    except AwsAuditError as error:
        action = f" (denied or failed action: {error.action})" if error.action else ""
        raise CommandFailed(f"{command}: could not read the account: {error}{action}", EXIT_AWS) from error


def fails(result: AuditResult, fail_on: str) -> bool:
    if fail_on == "none":
        return False
    return any(severity_rank(f.severity or "info") <= severity_rank(fail_on) for f in result.findings)


def handle(args: argparse.Namespace) -> int:
    check_output(args.output)
    settings = settings_from_args(args)
    compiled = check(settings)
    if compiled.state is None:
        raise MatrixInvalid(compiled.problems)  # cli.main prints them and exits 2
    desired = compiled.state
    # before any AWS request: a bad exceptions file is bad input (MatrixInvalid: cli.main prints it, exit 2)
    exceptions = None if args.ignore_exceptions else load_exceptions(settings, datetime.now(UTC).date())

    region = args.region or stack_region(settings.project_dir, settings.stack)
    session, snapshot = read_live_account("audit", args.profile, region, default_region="us-east-1")
    if desired.account_id and desired.account_id != snapshot.account_id:
        print(
            f"audit: stack {settings.stack} is pinned to account "
            f"{desired.account_id} (aws:allowedAccountIds in {settings.config_file}) "
            f"but the credentials are for account {snapshot.account_id} "
            f"({snapshot.caller_arn}); use that account's profile or the right --stack",
            file=sys.stderr,
        )
        return EXIT_INVALID
    access_log = read_access_log(
        session, args.cloudtrail_logs, since=args.since, end=snapshot.taken_at, region=snapshot.region
    )
    result = audit(desired, snapshot, AuditOptions.of(desired), access_log, exceptions)
    text = RENDERERS[args.format](result)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        suppressed = f", {len(result.suppressed)} suppressed" if result.suppressed else ""
        print(f"wrote {args.output}: {len(result.findings)} finding(s){suppressed}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_FINDINGS if fails(result, args.fail_on) else EXIT_OK


def read_access_log(session: Any, logs: str | None, *, since: int, end: datetime, region: str) -> AccessLog:
    """The window's events from the trail's files when ``--cloudtrail-logs`` is given, else from LookupEvents."""
    from .gather import RETRY_CONFIG
    from .log_files import read_folder
    from .log_sources import lookup_events, read_s3_logs

    start = end - timedelta(days=since)
    if logs and logs.startswith("s3://"):
        log = read_s3_logs(
            session.client("s3", config=RETRY_CONFIG), logs, start=start, end=end, progress=terminal_progress
        )
    elif logs:
        log = read_folder(Path(logs), start, end)
    else:
        log = lookup_events(
            lambda where: session.client("cloudtrail", region_name=where, config=RETRY_CONFIG),
            start=start,
            end=end,
            region=region,
            progress=terminal_progress,
        )
    if sys.stderr.isatty() and (log.requests > 10 or log.files > 10):
        sys.stderr.write("\n")
    return log


# what iam_matrix.cli.COMMANDS names this module for: (configure, run)
COMMANDS = {"audit": (configure, handle)}
