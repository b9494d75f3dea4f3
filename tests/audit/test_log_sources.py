"""Where the access log comes from: LookupEvents (botocore's Stubber, requests counted and
paced), a moto S3 bucket of gzipped log files, and a local folder (symlinks refused)."""

from __future__ import annotations

import gzip
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber

from emulator import MotoAccount
from iam_matrix.audit.log_files import read_folder, wanted
from iam_matrix.audit.log_sources import lookup_events, lookup_queries, read_s3_logs
from tests.audit.test_events import END, FIXTURE, START, records

KEY_DIR = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/30/"
IAM_QUERY = {"AttributeKey": "EventSource", "AttributeValue": "iam.amazonaws.com"}
SIGNIN_QUERY = {"AttributeKey": "EventSource", "AttributeValue": "signin.amazonaws.com"}
ROOT_QUERY = {"AttributeKey": "Username", "AttributeValue": "root"}


def cloudtrail_client(region: str) -> Any:
    return botocore.session.get_session().create_client(
        "cloudtrail", region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def lookup_item(record: dict[str, Any], event_id: str) -> dict[str, Any]:
    record = {**record, "eventID": event_id}
    return {"EventId": event_id, "EventName": record["eventName"], "CloudTrailEvent": json.dumps(record)}


class Clock:
    """A monotonic clock that only moves when the code sleeps (so pacing is visible)."""

    def __init__(self) -> None:
        self.now, self.slept, self.calls = 0.0, 0.0, []

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds

    def __call__(self) -> float:
        return self.now


def stub_query(stubber: Stubber, attribute: dict[str, str], events: list[dict[str, Any]]) -> int:
    """Queue the pages LookupEvents answers for one query; return how many requests that is."""
    pages = [events[i : i + 50] for i in range(0, len(events), 50)] or [[]]
    for number, page in enumerate(pages):
        response: dict[str, Any] = {"Events": page}
        if number < len(pages) - 1:
            response["NextToken"] = f"token-{number + 1}"
        expected: dict[str, Any] = {
            "LookupAttributes": [attribute],
            "StartTime": START,
            "EndTime": END,
            "MaxResults": 50,
        }
        if number:
            expected["NextToken"] = f"token-{number}"
        stubber.add_response("lookup_events", response, expected)
    return len(pages)


def test_lookup_events_pages_by_50_and_costs_events_over_50() -> None:
    iam_write = next(r for r in records() if r["eventName"] == "AddUserToGroup")
    sign_in = next(r for r in records() if r["eventName"] == "ConsoleLogin")
    read = next(r for r in records() if r["eventName"] == "GetUser")
    iam_events = [lookup_item(iam_write if i % 3 else read, f"iam-{i}") for i in range(120)]  # reads come back too
    signins = [lookup_item(sign_in, f"signin-{i}") for i in range(7)]
    client = cloudtrail_client("us-east-1")
    clock = Clock()
    messages: list[str] = []
    with Stubber(client) as stubber:
        expected = stub_query(stubber, IAM_QUERY, iam_events)
        expected += stub_query(stubber, SIGNIN_QUERY, signins)
        expected += stub_query(stubber, ROOT_QUERY, [])
        log = lookup_events(
            lambda region: client,
            start=START,
            end=END,
            region="us-east-1",
            sleep=clock.sleep,
            clock=clock,
            progress=messages.append,
        )
        stubber.assert_no_pending_responses()
    assert expected == 5 == math.ceil(120 / 50) + 1 + 1  # events / 50, at least one request a query
    assert log.requests == 5 and log.unavailable is None
    assert len(log.events) == 80 + 7  # IAM reads dropped
    assert log.source == "LookupEvents (us-east-1)"
    assert clock.slept == pytest.approx(4 * 0.5)  # 2 requests a second: 5 requests take 2 s
    assert messages[-1] == "CloudTrail LookupEvents: 5 page(s), 87 event(s) kept"


def test_lookup_events_asks_the_audit_region_for_sign_ins_and_root() -> None:
    assert lookup_queries("eu-west-1") == [
        ("us-east-1", IAM_QUERY),
        ("us-east-1", SIGNIN_QUERY),
        ("us-east-1", ROOT_QUERY),
        ("eu-west-1", SIGNIN_QUERY),
        ("eu-west-1", ROOT_QUERY),
    ]
    clients = {region: cloudtrail_client(region) for region in ("us-east-1", "eu-west-1")}
    stubbers = {region: Stubber(client) for region, client in clients.items()}
    for attribute in (IAM_QUERY, SIGNIN_QUERY, ROOT_QUERY):
        stub_query(stubbers["us-east-1"], attribute, [])
    for attribute in (SIGNIN_QUERY, ROOT_QUERY):
        stub_query(stubbers["eu-west-1"], attribute, [])
    clock = Clock()
    for stubber in stubbers.values():
        stubber.activate()
    log = lookup_events(clients.__getitem__, start=START, end=END, region="eu-west-1", sleep=clock.sleep, clock=clock)
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
    assert log.requests == 5 and log.source == "LookupEvents (eu-west-1, us-east-1)"
    assert clock.slept == pytest.approx(
        3 * 0.5
    )  # the limit is per region: 3 in us-east-1, 2 in eu-west-1 -> 2 + 1 waits


def test_lookup_events_denied_is_unavailable_not_empty() -> None:
    client = cloudtrail_client("us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "lookup_events", "AccessDeniedException", "not authorized to perform cloudtrail:LookupEvents"
        )
        log = lookup_events(lambda region: client, start=START, end=END, region="us-east-1", sleep=lambda s: None)
    assert log.unavailable is not None and log.unavailable.startswith(
        "cloudtrail:LookupEvents denied (AccessDeniedException"
    )


def test_wanted_keys() -> None:
    assert wanted(KEY_DIR + "123456789012_CloudTrail_us-east-1_20261130T1005Z_abc.json.gz", START, END)
    assert not wanted("AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/30/x.json.gz", START, END)
    assert not wanted("AWSLogs/123456789012/CloudTrail/us-east-1/2026/09/01/x.json.gz", START, END)  # before the window
    assert not wanted(KEY_DIR + "notes.txt", START, END)
    assert wanted("export/all-events.json", START, END)  # no day in the path: read, the window filters the events


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process moto: fake keys, and no profile or endpoint from the shell."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture
def bucket(fake_credentials: None) -> Any:
    with MotoAccount():  # the emulated account, in this process
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="audit-logs")
        s3.put_object(Bucket="audit-logs", Key=KEY_DIR + FIXTURE.name + ".gz", Body=gzip.compress(FIXTURE.read_bytes()))
        s3.put_object(
            Bucket="audit-logs",
            Key=KEY_DIR + "123456789012_CloudTrail_us-east-1_20261130T1010Z_bad.json.gz",
            Body=b"not gzip",
        )
        s3.put_object(
            Bucket="audit-logs",
            Key="AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/30/d.json.gz",
            Body=b"digest",
        )
        s3.put_object(
            Bucket="audit-logs", Key="AWSLogs/123456789012/CloudTrail/us-east-1/2026/08/01/old.json.gz", Body=b"old"
        )
        yield s3


def test_s3_prefix_of_gzipped_log_files(bucket: Any) -> None:
    log = read_s3_logs(bucket, "s3://audit-logs/AWSLogs/123456789012/CloudTrail/", start=START, end=END)
    assert log.unavailable is None
    assert (
        log.files == 2 and log.requests == 3
    )  # one listing, two GetObject: the old day and the digest are never fetched
    assert len(log.events) == 19
    assert [p.where for p in log.problems] == [
        f"s3://audit-logs/{KEY_DIR}123456789012_CloudTrail_us-east-1_20261130T1010Z_bad.json.gz"
    ]


def test_s3_missing_bucket_is_unavailable(bucket: Any) -> None:
    log = read_s3_logs(bucket, "s3://no-such-bucket/AWSLogs/", start=START, end=END)
    assert log.unavailable is not None and "s3:ListObjectsV2" in log.unavailable
    assert (
        read_s3_logs(bucket, "audit-logs/AWSLogs", start=START, end=END).unavailable
        == "'audit-logs/AWSLogs' is not an s3://bucket/prefix URI"
    )


def test_local_folder_reads_inside_and_refuses_symlinks(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / KEY_DIR).mkdir(parents=True)
    (logs / KEY_DIR / (FIXTURE.name + ".gz")).write_bytes(gzip.compress(FIXTURE.read_bytes()))
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "other.json").write_text(json.dumps({"Records": records()}))
    (logs / KEY_DIR / "linked.json").symlink_to(outside / "other.json")
    (logs / "AWSLogs" / "linked-folder").symlink_to(outside, target_is_directory=True)
    log = read_folder(logs, START, END)
    assert log.unavailable is None and log.files == 1 and len(log.events) == 19
    assert sorted(p.where for p in log.problems) == [KEY_DIR + "linked.json", "AWSLogs/linked-folder"]
    assert all("symbolic link; refused" in p.message for p in log.problems)


def test_local_folder_that_is_a_link_or_missing(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    assert "symbolic link" in (read_folder(tmp_path / "link", START, END).unavailable or "")
    assert "is not a folder" in (read_folder(tmp_path / "nothing", START, END).unavailable or "")


def test_the_window_bounds_a_folder(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps({"Records": records()}))
    log = read_folder(tmp_path, datetime(2026, 11, 30, 10, tzinfo=UTC), END)
    assert [e.name for e in log.events] == [
        "ChangePassword",
        "AddUserToGroup",
    ]  # the second one denied, kept as an attempt


def test_lookup_events_on_in_process_moto_is_unavailable_not_a_crash(fake_credentials: None) -> None:
    """moto's in-process mock raises NotImplementedError for LookupEvents: could not check, never a traceback."""
    with MotoAccount():  # the emulated account, in this process
        log = lookup_events(
            lambda region: boto3.client("cloudtrail", region_name=region),
            start=START,
            end=END,
            region="us-east-1",
            sleep=lambda s: None,
        )
    assert log.unavailable is not None and "NotImplementedError" in log.unavailable
