"""Wall time and AWS requests of ``iam-matrix adopt`` on an emulated account of 1,000 and 5,000 users.

Not a test: run it by hand (``.venv/bin/python benchmarks/adopt_benchmark.py``; a few minutes, most
of it building the accounts). For each size it builds a fresh account with boto3 calls on moto in
this process (``emulator.MotoAccount``, which wraps ``moto.mock_aws``): 300 groups (one AWS managed
and, for one group in three, one customer managed policy under one of three paths), users in one or
two groups each (group 0, ``Admin``, has AdministratorAccess, so adminRoles is drafted from it), a
virtual MFA device for one user in three. Then it runs what the command runs:
``audit.gather.gather(session, roles=True)`` and ``adopt.command.adopt`` (draft, write, compile,
import plan from the program under Pulumi's mock runtime, residue report) into a temporary folder.

Requests are counted with a botocore ``before-send`` hook on the reading session (one per HTTP
request, retries included), as benchmarks/audit_benchmark.py does. Building is timed apart and not counted.
In-process moto answers without a network; against AWS each request costs more, which is why the
request count, not the wall time, is the figure that carries over.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator import MotoAccount  # noqa: E402
from iam_matrix.adopt.command import adopt  # noqa: E402
from iam_matrix.audit.gather import gather  # noqa: E402

ACCOUNT = "111111111111"
REGION = "us-east-1"
GROUPS = 300
AWS_MANAGED = ("ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "IAMUserChangePassword", "AWSSupportAccess")
PATHS = ("/teams/", "/teams/data/", "/foundation/")


def build(users: int) -> None:
    """The account, with boto3 calls only (not the program)."""
    iam = boto3.client("iam", region_name=REGION)
    custom = []
    for i in range(0, GROUPS, 3):
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i}/*"}],
        }
        arn = iam.create_policy(
            PolicyName=f"Bucket{i:03d}Read", Path=PATHS[i % len(PATHS)], PolicyDocument=json.dumps(document)
        )["Policy"]["Arn"]
        custom.append(arn)
    for i in range(GROUPS):
        # Group 0 gives administrator access: the draft's adminRoles must list it (the access model finds it).
        name = "Admin" if i == 0 else f"Team{i:03d}"
        iam.create_group(GroupName=name)
        managed = "AdministratorAccess" if i == 0 else AWS_MANAGED[i % 4]
        iam.attach_group_policy(GroupName=name, PolicyArn=f"arn:aws:iam::aws:policy/{managed}")
        if i % 3 == 0:
            iam.attach_group_policy(GroupName=name, PolicyArn=custom[i // 3])
    for i in range(users):
        name = f"user{i:05d}@example.com"
        iam.create_user(UserName=name)
        for group in sorted({i % GROUPS, (i * 7 + 3) % GROUPS}):
            iam.add_user_to_group(GroupName="Admin" if group == 0 else f"Team{group:03d}", UserName=name)
        if i % 3 == 0:
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"mfa{i:05d}")["VirtualMFADevice"]
            iam.enable_mfa_device(
                UserName=name,
                SerialNumber=serial["SerialNumber"],
                AuthenticationCode1="123456",
                AuthenticationCode2="654321",
            )


def counted_session() -> tuple[boto3.Session, Counter[str]]:
    session = boto3.Session(region_name=REGION)
    sent: Counter[str] = Counter()
    current: dict[str, str] = {}

    def before(model: Any, **_: Any) -> None:
        current["op"] = model.name

    session.events.register("before-call", before)
    session.events.register("before-send", lambda **_: sent.update([current.get("op", "?")]))
    return session, sent


def run(users: int) -> tuple[int, float, float, Counter[str], int, int]:
    with MotoAccount(ACCOUNT, REGION):
        start = time.perf_counter()
        build(users)
        print(
            f"built a {users}-user, {GROUPS}-group account in {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        session, sent = counted_session()
        start = time.perf_counter()
        snapshot = gather(session, roles=True)
        read = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as out:
            result = adopt(snapshot, Path(out) / "adopted", stack="prod")
            total = time.perf_counter() - start
            imported = len(result.plan.document["resources"]) if result.plan else 0
        return sum(sent.values()), read, total, sent, len(result.draft.roles), imported


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000], help="users (default: 1000 5000)")
    args = parser.parse_args(argv)
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(key, None)
    rows = []
    for users in args.sizes:
        requests, read, total, ops, roles, imported = run(users)
        print(f"  {users} users: " + ", ".join(f"{op} {n}" for op, n in sorted(ops.items())), file=sys.stderr)
        rows.append((users, requests, read, total, roles, imported))
    print("\nusers  groups  AWS requests  read (gather)  adopt total  roles  import entries")
    for users, requests, read, total, roles, imported in rows:
        print(f"{users:>5}  {GROUPS:>6}  {requests:>12}  {read:>11.2f} s  {total:>9.2f} s  {roles:>5}  {imported:>14}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
