"""Regenerate docs/example-audit-report.html (and .txt, .md) with the real command against moto.

    python3 docs/example-audit-report.py

Builds the example matrix's account on a local moto server (``emulator.seed``, as the audit tests do), injects some
drift by hand, then runs ``python -m iam_matrix audit`` in each format. moto has no IAM Access
Analyzer, so the report shows it as "could not check"; moto's credential report lacks the
``<root_account>`` row real reports have, so one is added with root MFA on.

The screenshot docs/example-audit-report.png (README) is made by hand from the HTML (Debian chromium, imagemagick):
the top of the page down to "Findings", i.e. the summary, the users x groups grid and the sign-ins section.

    page=file://$PWD/docs/example-audit-report.html
    flags="--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-background-networking"
    chromium $flags --user-data-dir=$(mktemp -d) --window-size=1280,6442 --screenshot=/tmp/full.png "$page"
    convert /tmp/full.png -crop 1280x2575+0+0 +repage -strip -colors 64 PNG8:docs/example-audit-report.png

Adjust 2575 to just above the "Findings" heading when the report changes; keep the PNG under ~400 KB.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator import MotoServer  # noqa: E402
from emulator.seed import ACCOUNT, Account, build_account, new_session  # noqa: E402
from iam_matrix.cli import main as cli  # noqa: E402
from iam_matrix.compiler import compile_state  # noqa: E402
from iam_matrix.settings import load_stack_settings  # noqa: E402


def main() -> int:
    from moto.iam.models import IAMBackend

    original = IAMBackend.get_credential_report

    def with_root(self: IAMBackend) -> str:
        header, _, rows = original(self).partition("\n")
        return (
            f"{header}\n<root_account>,arn:aws:iam::{self.account_id}:root,2020-01-01T00:00:00+00:00,not_supported,{datetime.now(UTC):%Y-%m-%dT%H:%M:%S+00:00},"
            f"not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n{rows}"
        )

    IAMBackend.get_credential_report = with_root  # type: ignore[method-assign]
    server = MotoServer().start()
    os.environ.update(
        AWS_ENDPOINT_URL=server.url,
        AWS_ACCESS_KEY_ID="example",
        AWS_SECRET_ACCESS_KEY="example",
        AWS_DEFAULT_REGION="ap-northeast-2",
        AWS_MAX_ATTEMPTS="1",
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp)
            shutil.copy(ROOT / "Pulumi.yaml", project)
            for folder in ("matrix", "policies"):
                shutil.copytree(ROOT / folder, project / folder)
            stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
            stack["config"]["aws:allowedAccountIds"] = [ACCOUNT]
            (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
            desired = compile_state(load_stack_settings(project, "dev"))
            session = new_session()
            build_account(session, desired, via="api")
            inject(Account(session, desired))
            logs = trail_logs(project / "trail-logs")
            for fmt, suffix in (("html", "html"), ("text", "txt"), ("markdown", "md"), ("json", "json")):
                out = ROOT / "docs" / f"example-audit-report.{suffix}"
                code = cli(
                    [
                        "audit",
                        "--project-dir",
                        str(project),
                        "--format",
                        fmt,
                        "--output",
                        str(out),
                        "--cloudtrail-logs",
                        str(logs),
                    ]
                )
                text = out.read_text().replace(str(logs), "trail-logs").replace(tmp, "<project>")
                out.write_text(text)
                print(f"{out.relative_to(ROOT)}: exit {code}")
    finally:
        server.stop()
    return 0


def inject(account: Account) -> None:
    """Drift a reviewer would expect an audit to catch."""
    iam = account.iam
    iam.add_user_to_group(GroupName="Admin", UserName="banana@demoasacode.io")
    iam.attach_group_policy(GroupName="Viewer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="scott@demoasacode.io", PolicyName="quick-fix", PolicyDocument=json.dumps(document))
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/melon@demoasacode.io"
    iam.deactivate_mfa_device(UserName="melon@demoasacode.io", SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    iam.update_account_password_policy(
        MinimumPasswordLength=8,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=24,
    )
    iam.create_access_key(UserName="car@demoasacode.io")
    account.age_access_key("car@demoasacode.io", days=134, used_days_ago=2)
    iam.create_user(UserName="contractor@demoasacode.io")
    iam.create_login_profile(UserName="contractor@demoasacode.io", Password="Summer-2026-Example!")
    iam.add_user_to_group(GroupName="Developer", UserName="contractor@demoasacode.io")
    iam.remove_user_from_group(GroupName="DBA-2", UserName="scott@demoasacode.io")
    account.client("cloudtrail").stop_logging(Name="audit")
    # Doors back in that no group shows: a role another account may assume, and one anyone may.
    for role, principal, policy in (
        ("vendor-support", {"AWS": "arn:aws:iam::999988887777:root"}, "ReadOnlyAccess"),
        ("ops-recovery", {"AWS": "*"}, "AdministratorAccess"),
    ):
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.attach_role_policy(RoleName=role, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")


def trail_logs(folder: Path) -> Path:
    """The trail's log file for the same hours, in AWS's record format: most of the drift above
    was made by hand by one person (the rest has no event: "no event in the window"), one user
    signs in without MFA, another's password is tried six times, the root user signs in."""
    fixture = json.loads(
        (
            ROOT / "tests/audit/fixtures/cloudtrail/123456789012_CloudTrail_us-east-1_20261130T1005Z_fixture.json"
        ).read_text()
    )
    template: dict[str, dict[str, Any]] = {}
    for record in fixture[
        "Records"
    ]:  # the first of each call and identity type (the later IAMUser AddUserToGroup is denied)
        template.setdefault(record["eventName"] + "/" + record["userIdentity"]["type"], record)
    person = template["AddUserToGroup/IAMUser"]
    now = datetime.now(UTC)
    records: list[dict[str, Any]] = []

    def add(base: dict[str, Any], minutes_ago: int, **fields: Any) -> None:
        when = (now - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        records.append({**base, **fields, "eventTime": when, "eventID": f"example-{len(records):04d}"})

    for minutes, name, params in (
        (190, "AddUserToGroup", {"groupName": "Admin", "userName": "banana@demoasacode.io"}),
        (188, "AttachGroupPolicy", {"groupName": "Viewer", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        (185, "PutUserPolicy", {"userName": "scott@demoasacode.io", "policyName": "quick-fix"}),
        (
            180,
            "DeactivateMFADevice",
            {"userName": "melon@demoasacode.io", "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/melon@demoasacode.io"},
        ),
        (179, "DeleteVirtualMFADevice", {"serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/melon@demoasacode.io"}),
        (170, "UpdateAccountPasswordPolicy", {"minimumPasswordLength": 8}),
        (160, "CreateUser", {"userName": "contractor@demoasacode.io"}),
        (159, "CreateLoginProfile", {"userName": "contractor@demoasacode.io", "passwordResetRequired": False}),
        (158, "AddUserToGroup", {"groupName": "Developer", "userName": "contractor@demoasacode.io"}),
    ):
        add(person, minutes, eventName=name, requestParameters=params)
    add(
        template["AddUserToGroup/AssumedRole"],
        600,
        requestParameters={"groupName": "DBA", "userName": "lamp@demoasacode.io"},
    )  # the pipeline
    no_mfa = next(
        r
        for r in fixture["Records"]
        if r["eventName"] == "ConsoleLogin" and r["userIdentity"].get("userName") == "tiger@demoasacode.io"
    )
    add(no_mfa, 240)
    failure = next(r for r in fixture["Records"] if r.get("responseElements") == {"ConsoleLogin": "Failure"})
    for minute in range(6):
        add(failure, 90 - 7 * minute)
    add(template["ConsoleLogin/Root"], 30)
    where = folder / f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/{now:%Y/%m/%d}"
    where.mkdir(parents=True)
    (where / f"{ACCOUNT}_CloudTrail_us-east-1_{now:%Y%m%dT%H%MZ}_example.json.gz").write_bytes(
        gzip.compress(json.dumps({"Records": records}).encode())
    )
    return folder


if __name__ == "__main__":
    raise SystemExit(main())
