"""Reading the access log: parse time and peak memory for 1,000,000 CloudTrail events in
gzipped log files, and LookupEvents requests against the events the checks read.

Not a test: run it by hand (``python3 benchmarks/cloudtrail_benchmark.py``; writing the files
takes about a minute, they are deleted afterwards). Targets (issue 16):

* 1,000,000 events from local ``.json.gz`` log files parsed in <= 20 s and <= 500 MB: files of
  1,000 records (a busy trail's five-minute file), 96% of them calls of other services (EC2,
  S3, STS reads: read and dropped), 2% IAM calls (half of them reads), 1% console sign-ins, 1%
  KMS/root noise; parsed in a child process so its peak RSS is the reader's alone;
* LookupEvents requests ~ (IAM events + sign-in events) / 50, whatever the number of users:
  counted with botocore's Stubber answering 50 events a page.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iam_matrix.audit.log_files import read_folder  # noqa: E402

ACCOUNT = "123456789012"
START = datetime(2026, 11, 1, tzinfo=UTC)
AGENT = "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.200.0 m/E"


def identity(i: int) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE{i % 97:04d}:session-{i % 13}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-{i % 97}/session-{i % 13}",
        "accountId": ACCOUNT,
        "accessKeyId": f"ASIAEXAMPLE{i % 1000:06d}",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROAEXAMPLE{i % 97:04d}",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/app-{i % 97}",
                "accountId": ACCOUNT,
                "userName": f"app-{i % 97}",
            },
            "attributes": {"creationDate": "2026-11-01T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def record(i: int, when: datetime, rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    base = {
        "eventVersion": "1.10",
        "userIdentity": identity(i),
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "awsRegion": "eu-west-1",
        "sourceIPAddress": f"10.0.{i % 250}.{i % 200}",
        "userAgent": AGENT,
        "requestID": f"{i:08x}-0000-4000-8000-{i:012x}",
        "eventID": f"{i:08x}-1111-4000-8000-{i:012x}",
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    if roll < 0.96:
        base.update(
            eventSource="ec2.amazonaws.com",
            eventName="DescribeInstances",
            readOnly=True,
            requestParameters={"instancesSet": {"items": [{"instanceId": f"i-{i:017x}"}]}, "filterSet": {}},
            responseElements=None,
        )
    elif roll < 0.98:
        write = roll < 0.97
        base.update(
            eventSource="iam.amazonaws.com",
            eventName="AddUserToGroup" if write else "GetUser",
            readOnly=not write,
            requestParameters={
                "userName": f"user{i % 5000}@example.com",
                **({"groupName": "Developer"} if write else {}),
            },
            responseElements=None,
        )
    elif roll < 0.99:
        user = f"user{i % 5000}@example.com"
        base.update(
            eventSource="signin.amazonaws.com",
            eventName="ConsoleLogin",
            readOnly=False,
            eventType="AwsConsoleSignIn",
            userIdentity={
                "type": "IAMUser",
                "principalId": f"AIDAEXAMPLE{i % 5000:05d}",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
                "accountId": ACCOUNT,
                "userName": user,
            },
            requestParameters=None,
            responseElements={"ConsoleLogin": "Success" if roll < 0.9895 else "Failure"},
            additionalEventData={
                "LoginTo": "https://console.aws.amazon.com/",
                "MobileVersion": "No",
                "MFAUsed": "Yes" if i % 10 else "No",
            },
        )
    else:
        base.update(
            eventSource="kms.amazonaws.com",
            eventName="Decrypt",
            readOnly=True,
            requestParameters={"encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
            responseElements=None,
        )
    return base


def write_files(folder: Path, events: int, per_file: int) -> tuple[int, int]:
    """Log files in a trail's layout; returns (files, bytes on disk)."""
    rng = random.Random(16)
    step = timedelta(days=29) / events
    written = size = 0
    for first in range(0, events, per_file):
        when = START + step * first
        where = folder / f"AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/{when:%Y/%m/%d}"
        where.mkdir(parents=True, exist_ok=True)
        records = [record(i, START + step * i, rng) for i in range(first, min(first + per_file, events))]
        path = where / f"{ACCOUNT}_CloudTrail_eu-west-1_{when:%Y%m%dT%H%M%S}Z_{first:08d}.json.gz"
        path.write_bytes(
            gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode(), compresslevel=6)
        )
        written += 1
        size += path.stat().st_size
    return written, size


def parse(folder: Path) -> None:
    """Child process: read the folder as the audit does, print one JSON line of figures."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    log = read_folder(folder, START, START + timedelta(days=30))
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    peak_mb = after.ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "peak_mb": peak_mb,
                "records": log.records,
                "kept": len(log.events),
                "files": log.files,
                "problems": len(log.problems),
            }
        )
    )


def lookup_requests(iam_events: int, sign_ins: int, users: int) -> int:
    """LookupEvents requests the audit makes for an account with these events (us-east-1 only)."""
    import botocore.session
    from botocore.stub import Stubber

    from iam_matrix.audit.log_sources import lookup_events, lookup_queries

    client = botocore.session.get_session().create_client(
        "cloudtrail", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    template = record(1, START, random.Random(1))
    counts = {"iam.amazonaws.com": iam_events, "signin.amazonaws.com": sign_ins, "root": 0}
    with Stubber(client) as stubber:
        for _, attribute in lookup_queries("us-east-1"):
            total = counts[attribute["AttributeValue"]]
            pages = max(1, math.ceil(total / 50))
            for page in range(pages):
                items = [
                    {"EventId": f"{attribute['AttributeValue']}-{page}-{n}", "CloudTrailEvent": json.dumps(template)}
                    for n in range(min(50, total - page * 50))
                ]
                stubber.add_response(
                    "lookup_events", {"Events": items, **({"NextToken": f"t{page}"} if page < pages - 1 else {})}
                )
        log = lookup_events(
            lambda region: client,
            start=START,
            end=START + timedelta(days=30),
            region="us-east-1",
            sleep=lambda seconds: None,
        )
        stubber.assert_no_pending_responses()
    del users  # the requests depend on events only: no per-user query exists
    return log.requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events to write and parse (default: 1,000,000)")
    parser.add_argument("--per-file", type=int, default=1000, help="records a log file (default: 1,000)")
    parser.add_argument("--parse", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse:
        parse(args.parse)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="cloudtrail-benchmark-"))
    try:
        began = time.perf_counter()
        files, size = write_files(folder, args.events, args.per_file)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average before parsing: {load} on {os.cpu_count()} cores")
        print(
            f"wrote {args.events:,} events in {files:,} gzipped files "
            f"({size / 2**20:.0f} MB) in {time.perf_counter() - began:.1f} s"
        )
        child = subprocess.run(
            [sys.executable, __file__, "--parse", str(folder)], capture_output=True, text=True, check=True
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"parsed {figures['records']:,} records from "
            f"{figures['files']:,} files in {figures['seconds']:.1f} s wall, "
            f"{figures['cpu']:.1f} s CPU (target <= 20 s; wall = CPU on an idle core), peak "
            f"RSS {figures['peak_mb']:.0f} MB (target <= 500 MB); kept {figures['kept']:,} "
            f"sign-in, root and IAM write events; {figures['problems']} problems"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("\nLookupEvents requests (50 events a page, one query each for IAM, sign-in and root events in us-east-1)")
    print(
        f"{'users':>6}  {'IAM events':>10}  {'sign-ins':>8}  "
        f"{'requests':>8}  {'(IAM + sign-ins) / 50':>21}  at 2 requests/s"
    )
    for users, iam, sign_ins in ((100, 400, 150), (5000, 400, 150), (5000, 20_000, 3_000)):
        requests = lookup_requests(iam, sign_ins, users)
        print(
            f"{users:>6}  {iam:>10,}  {sign_ins:>8,}  {requests:>8,} "
            f" {(iam + sign_ins) / 50:>21.1f}  {requests / 2:.1f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
