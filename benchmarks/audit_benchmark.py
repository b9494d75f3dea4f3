"""Requests and wall time of the audit's gathering against a per-user scanner, on moto.

Not a test: run it by hand (``python3 benchmarks/audit_benchmark.py``; a few minutes, most of
it the per-user baseline at 5,000 users). It starts a moto server on 127.0.0.1, builds accounts
of 1,000 and 5,000 users (10 role groups, MFA for everyone, an access key for one in ten, a
console password for one in five) on moto's in-process IAM backend, then reads each account:

* ``audit``: ``iam_matrix.audit.gather.gather`` plus the checks, as ``python -m iam_matrix audit`` does;
* ``per-user``: what generic scanners do: ListUsers, then per user ListGroupsForUser,
  ListAttachedUserPolicies, ListUserPolicies, ListMFADevices, ListAccessKeys, GetLoginProfile
  and GetUser (7 requests a user).

Requests are counted with a botocore ``before-send`` hook (one per HTTP request, retries
included). moto answers in about 10 ms a request on localhost; against AWS each request costs
more (and IAM throttles), so the gap in wall time only widens there.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iam_matrix.audit.checks import AuditOptions, run_checks  # noqa: E402
from iam_matrix.audit.gather import gather  # noqa: E402
from iam_matrix.desired import DesiredState, Group, User  # noqa: E402
from iam_matrix.password_policy import PasswordPolicy  # noqa: E402

ACCOUNT = "123456789012"
GROUPS = [f"Role{i:02d}" for i in range(10)]


def start_moto() -> Any:
    from emulator import MotoServer

    server = MotoServer().start()
    os.environ.update(
        AWS_ENDPOINT_URL=server.url,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
    )
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    return server


def build(users: int) -> DesiredState:
    """A fresh account of ``users`` users on moto's backend, and the matching desired state."""
    from moto.backends import get_backend

    for service in ("iam", "cloudtrail", "config", "s3"):
        get_backend(service).reset()
    iam = get_backend("iam")[ACCOUNT]["aws"]
    for group in GROUPS:
        iam.create_group(group, "/")
    wanted: list[User] = []
    for i in range(users):
        name = f"user{i:05d}@example.com"
        groups = (GROUPS[i % 10], GROUPS[(i * 7 + 3) % 10])
        iam.create_user("us-east-1", name, "/")
        for group in sorted(set(groups)):
            iam.add_user_to_group(group, name)
        device = iam.create_virtual_mfa_device(name, "/")
        iam.enable_mfa_device(name, device.serial_number, "123456", "654321")
        if i % 10 == 0:
            iam.create_access_key(name)
        if i % 5 == 0:
            iam.create_login_profile(name, "Correct-Horse-9!")
        wanted.append(User(name, True, tuple(sorted(set(groups))), "bench"))
    return DesiredState(
        "bench",
        ACCOUNT,
        "/",
        True,
        tuple(Group(g, g, 1, "/", ()) for g in GROUPS),
        tuple(wanted),
        (),
        PasswordPolicy(),
    )


SECONDS: Counter[str] = Counter()  # time spent per operation (request to parsed answer), for the slowest-calls line


def counted_session() -> tuple[boto3.Session, Counter[str]]:
    session = boto3.Session()
    sent: Counter[str] = Counter()
    current: dict[str, Any] = {}

    def before(model: Any, **_: Any) -> None:
        current.update(op=model.name, start=time.perf_counter())

    def after(model: Any, **_: Any) -> None:
        SECONDS[model.name] += time.perf_counter() - current.get("start", time.perf_counter())

    session.events.register("before-call", before)
    session.events.register("after-call", after)
    session.events.register("after-call-error", after)
    session.events.register("before-send", lambda **_: sent.update([current.get("op", "?")]))
    return session, sent


def run_audit(desired: DesiredState) -> tuple[int, float, Counter[str], int]:
    session, sent = counted_session()
    start = time.perf_counter()
    snapshot = gather(session)
    findings = run_checks(desired, snapshot, AuditOptions())
    return sum(sent.values()), time.perf_counter() - start, sent, len(findings)


def run_per_user() -> tuple[int, float, Counter[str]]:
    session, sent = counted_session()
    iam = session.client("iam")
    start = time.perf_counter()
    names = [u["UserName"] for page in iam.get_paginator("list_users").paginate() for u in page["Users"]]
    for name in names:
        iam.list_groups_for_user(UserName=name)
        iam.list_attached_user_policies(UserName=name)
        iam.list_user_policies(UserName=name)
        iam.list_mfa_devices(UserName=name)
        iam.list_access_keys(UserName=name)
        try:
            iam.get_login_profile(UserName=name)
        except iam.exceptions.NoSuchEntityException:
            pass
        iam.get_user(UserName=name)
    return sum(sent.values()), time.perf_counter() - start, sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1000, 5000], help="account sizes in users (default: 1000 5000)"
    )
    args = parser.parse_args(argv)
    server = start_moto()
    rows = []
    try:
        run_audit(build(10))  # warm-up: moto imports each service's backend on its first request
        run_per_user()
        for size in args.sizes:
            built = time.perf_counter()
            desired = build(size)
            print(f"built a {size}-user account in {time.perf_counter() - built:.1f} s", file=sys.stderr, flush=True)
            SECONDS.clear()
            audit_requests, audit_time, audit_ops, findings = run_audit(desired)
            slowest = ", ".join(f"{op} {t:.2f} s" for op, t in SECONDS.most_common(3))
            print(
                f"  audit, slowest operations (mostly moto building the answer): {slowest}", file=sys.stderr, flush=True
            )
            print(
                f"  audit:    {audit_requests} requests, {audit_time:.2f} s, {findings} findings; "
                + ", ".join(f"{op} {n}" for op, n in sorted(audit_ops.items())),
                file=sys.stderr,
                flush=True,
            )
            base_requests, base_time, base_ops = run_per_user()
            print(
                f"  per-user: {base_requests} requests, {base_time:.1f} s; "
                + ", ".join(f"{op} {n}" for op, n in sorted(base_ops.items())),
                file=sys.stderr,
                flush=True,
            )
            rows.append((size, audit_requests, audit_time, base_requests, base_time))
    finally:
        server.stop()
    print("\nusers  audit requests  audit time  per-user requests  per-user time  requests ratio")
    for size, ar, at, br, bt in rows:
        print(f"{size:>5}  {ar:>14}  {at:>8.2f} s  {br:>17}  {bt:>11.1f} s  {br / ar:>13.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
