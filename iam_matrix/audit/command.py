"""``python -m iam_matrix audit``: read the account, compare it with the stack's matrix, report.

Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 bad input or configuration
(including credentials for another account than the stack is pinned to), 3 AWS could not be
reached or refused a call the audit needs (the denied action is named).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..cli import EXIT_AWS, EXIT_FINDINGS, EXIT_INVALID, EXIT_OK, INVALID_HELP, add_input_options, check_output, exit_codes, settings_from_args
from ..compiler import check
from ..desired import DesiredState
from ..problems import MatrixInvalid
from ..render import problems_text, summary_line
from ..settings import Settings, read_stack_config
from .checks import AuditOptions, membership_grid, run_checks
from .findings import SEVERITIES, severity_rank
from .report import RENDERERS, AuditResult
from .snapshot import Snapshot


def configure(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument("--format", choices=list(RENDERERS), default="text", help="report format (default: text)")
    parser.add_argument("--output", type=Path, metavar="FILE",
                        help="write the report to FILE and say so on stderr (default: the report goes to standard output)")
    parser.add_argument("--fail-on", choices=[*SEVERITIES, "none"], default="low",
                        help="exit 1 when a finding has this severity or worse (default: low; info never fails; none: never exit 1)")
    parser.add_argument("--profile", help="AWS profile (default: the standard credential chain: AWS_PROFILE, environment keys, SSO, instance role)")
    parser.add_argument("--region", help="region for CloudTrail, Config and Access Analyzer (default, in this order: the stack's aws:region, "
                        "then the profile's or AWS_REGION / AWS_DEFAULT_REGION, then us-east-1)")
    parser.epilog = exit_codes(
        "0  no finding at or above --fail-on",
        "1  findings at or above --fail-on",
        INVALID_HELP + "; also a credential for another account than the stack's aws:allowedAccountIds",
        "3  AWS could not be reached, or refused a call the audit needs (the action is named)",
    )


def audit(desired: DesiredState, snapshot: Snapshot, options: AuditOptions | None = None) -> AuditResult:
    """Checks and grid for one snapshot; what the command renders (also handy in tests)."""
    if desired.account_id is None:
        desired = desired.with_account(snapshot.account_id)
    return AuditResult(desired, snapshot, run_checks(desired, snapshot, options), membership_grid(desired, snapshot))


def stack_region(settings: Settings) -> str | None:
    """``aws:region`` of the stack file, the region ``pulumi up`` deploys the account settings to."""
    try:
        config = read_stack_config(settings.project_dir, settings.stack)
    except MatrixInvalid:
        return None
    value: Any = config.get("aws:region")
    return value if isinstance(value, str) and value else None


def fails(result: AuditResult, fail_on: str) -> bool:
    if fail_on == "none":
        return False
    return any(severity_rank(f.severity or "info") <= severity_rank(fail_on) for f in result.findings)


def handle(args: argparse.Namespace) -> int:
    check_output(args.output)
    settings = settings_from_args(args)
    compiled = check(settings)
    if compiled.state is None:
        print(problems_text(compiled.errors), file=sys.stderr)
        print("invalid: " + summary_line(compiled.problems), file=sys.stderr)
        return EXIT_INVALID
    desired = compiled.state

    from botocore.exceptions import BotoCoreError

    from .gather import AwsAuditError, gather, make_session

    try:
        session = make_session(args.profile, args.region or stack_region(settings))
        snapshot = gather(session, default_region="us-east-1")
    except BotoCoreError as error:  # e.g. ProfileNotFound: the local AWS configuration is wrong
        print(f"audit: AWS configuration: {error}", file=sys.stderr)
        return EXIT_INVALID
    except AwsAuditError as error:
        action = f" (denied or failed action: {error.action})" if error.action else ""
        print(f"audit: could not read the account: {error}{action}", file=sys.stderr)
        return EXIT_AWS
    if desired.account_id and desired.account_id != snapshot.account_id:
        print(f"audit: stack {settings.stack} is pinned to account {desired.account_id} (aws:allowedAccountIds in {settings.config_file}) "
              f"but the credentials are for account {snapshot.account_id} ({snapshot.caller_arn}); use that account's profile or the right --stack", file=sys.stderr)
        return EXIT_INVALID
    result = audit(desired, snapshot, AuditOptions.of(desired))
    text = RENDERERS[args.format](result)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        print(f"wrote {args.output}: {len(result.findings)} finding(s)", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_FINDINGS if fails(result, args.fail_on) else EXIT_OK


COMMAND = ("audit", "compare the live AWS account with the matrix; report drift, MFA, password policy, credentials and logging", configure, handle)
