"""Read the access log from AWS: CloudTrail ``LookupEvents``, or a trail's log files in S3.

The second boto3 reader of the audit (``gather`` reads IAM and the account's settings).

``LookupEvents`` (event history, 90 days, no set-up) answers 50 events a page and 2 requests
a second per account and region, and takes one lookup attribute a request. So it is asked
only for what the checks read, and the cost grows with those events, not with the account's:

* ``EventSource = iam.amazonaws.com`` in us-east-1, where IAM, a global service, records;
* ``EventSource = signin.amazonaws.com`` and ``Username = root`` in us-east-1 and in the
  audit's region (sign-ins are recorded in the region of the sign-in endpoint).

That is ceil(events / 50) requests a query, at least one. Log files in S3 cost one
``ListObjectsV2`` per 1,000 keys and one ``GetObject`` per file of the window (the day in a
trail's key skips the others unread).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .events import AccessLog
from .gather import _reason
from .log_files import wanted

LOOKUP_PAGE = 50  # the most LookupEvents returns a page
LOOKUP_INTERVAL_S = 0.5  # LookupEvents allows 2 requests a second per account and region
GLOBAL_REGION = "us-east-1"
Progress = Callable[[str], None]


def lookup_queries(region: str) -> list[tuple[str, dict[str, str]]]:
    """(region, lookup attribute) pairs: IAM once where it records, sign-ins and root per region."""
    queries = [(GLOBAL_REGION, {"AttributeKey": "EventSource", "AttributeValue": "iam.amazonaws.com"})]
    for where in dict.fromkeys([GLOBAL_REGION, region]):
        queries.append((where, {"AttributeKey": "EventSource", "AttributeValue": "signin.amazonaws.com"}))
        queries.append((where, {"AttributeKey": "Username", "AttributeValue": "root"}))
    return queries


class _Pace:
    """At most one request every ``interval`` seconds, across all queries of one region."""

    def __init__(self, interval: float, sleep: Callable[[float], None], clock: Callable[[], float]):
        self.interval, self.sleep, self.clock = interval, sleep, clock
        self.last: dict[str, float] = {}

    def wait(self, region: str) -> None:
        now = self.clock()
        previous = self.last.get(region)
        if previous is not None and now - previous < self.interval:
            self.sleep(self.interval - (now - previous))
            now = self.clock()
        self.last[region] = now


def lookup_events(
    client_for: Callable[[str], Any],
    *,
    start: datetime,
    end: datetime,
    region: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Progress | None = None,
) -> AccessLog:
    """The window's sign-in, root and IAM events from ``LookupEvents``; a refused or failed
    call makes the log ``unavailable`` (never a partial log that looks complete)."""
    regions = sorted({r for r, _ in lookup_queries(region)})
    log = AccessLog(source=f"LookupEvents ({', '.join(regions)})", start=start, end=end)
    pace = _Pace(LOOKUP_INTERVAL_S, sleep, clock)
    clients: dict[str, Any] = {}
    pages = 0
    try:
        for where, attribute in lookup_queries(region):
            if where not in clients:
                clients[where] = client_for(where)
                clients[where].meta.events.register_first(
                    "before-parameter-build.cloudtrail.LookupEvents", lambda where=where, **_: _count(log, pace, where)
                )
            paginator = clients[where].get_paginator("lookup_events")
            for page in paginator.paginate(
                LookupAttributes=[attribute], StartTime=start, EndTime=end, PaginationConfig={"PageSize": LOOKUP_PAGE}
            ):
                for item in page.get("Events", []):
                    log.add_lookup_event(item)
                pages += 1
                if progress is not None:
                    progress(f"CloudTrail LookupEvents: {pages} page(s), {len(log.events)} event(s) kept")
    except (ClientError, BotoCoreError) as error:
        log.unavailable = _reason("cloudtrail", error)
    except Exception as error:  # noqa: BLE001 - as gather's optional parts: an odd answer is "could not check", never a crash
        log.unavailable = f"unexpected answer from cloudtrail:LookupEvents ({type(error).__name__}: {error})"
    return log


def _count(log: AccessLog, pace: _Pace, region: str) -> None:
    """Once per API call (botocore's adaptive retries pace themselves): keep the pace and count it."""
    pace.wait(region)
    log.requests += 1


def parse_s3_uri(uri: str) -> tuple[str, str] | None:
    """``s3://bucket/prefix`` -> (bucket, prefix); None when it is not one."""
    if not uri.startswith("s3://"):
        return None
    bucket, _, prefix = uri[5:].partition("/")
    return (bucket, prefix) if bucket else None


def read_s3_logs(s3: Any, uri: str, *, start: datetime, end: datetime, progress: Progress | None = None) -> AccessLog:
    """Every log file under an S3 prefix for the window, listed by page and read one at a time."""
    log = AccessLog(source=uri, start=start, end=end)
    parsed = parse_s3_uri(uri)
    if parsed is None:
        log.unavailable = f"{uri!r} is not an s3://bucket/prefix URI"
        return log
    bucket, prefix = parsed
    for operation in ("ListObjectsV2", "GetObject"):
        s3.meta.events.register_first(
            f"before-parameter-build.s3.{operation}", lambda **_: setattr(log, "requests", log.requests + 1)
        )
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item.get("Key", "")
                name = f"s3://{bucket}/{key}"
                if not wanted(key, start, end):
                    continue
                if int(item.get("Size", 0)) > log.max_file_bytes:
                    log.files += 1
                    log.problem(name, f"{item.get('Size')} bytes compressed, more than a trail writes; not read")
                    continue
                try:
                    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
                except ClientError as error:
                    log.files += 1
                    log.problem(name, _reason("s3", error))
                    continue
                try:
                    log.read_file(body, name)
                finally:
                    body.close()
                if progress is not None:
                    progress(f"CloudTrail logs: {log.files} file(s), {len(log.events)} event(s) kept")
    except (ClientError, BotoCoreError) as error:
        log.unavailable = _reason("s3", error)
    except Exception as error:  # noqa: BLE001 - an odd answer is "could not check", never a crash
        log.unavailable = f"unexpected answer from s3 ({type(error).__name__}: {error})"
    return log
