"""CloudTrail records -> events: the documented shapes, and hostile files bounded and located."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from iam_matrix.audit.events import AccessLog, Event, LogProblem, parse_record

FIXTURES = Path(__file__).parent / "fixtures" / "cloudtrail"
FIXTURE = FIXTURES / "123456789012_CloudTrail_us-east-1_20261130T1005Z_fixture.json"
START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def records() -> list[dict]:
    return json.loads(FIXTURE.read_text())["Records"]


def fixture_log() -> AccessLog:
    log = AccessLog("fixture", START, END)
    with FIXTURE.open("rb") as stream:
        log.read_file(stream, FIXTURE.name)
    return log


def test_the_fixture_keeps_sign_ins_root_and_iam_writes_only() -> None:
    log = fixture_log()
    names = [e.name for e in log.events]
    assert log.records == 21 and log.files == 1 and not log.problems
    assert (
        "DescribeInstances" not in names and "GetUser" not in names
    )  # reads of other services and IAM reads are dropped
    assert "ListBuckets" in names  # ...but anything the root user does is kept
    assert names.count("ConsoleLogin") == 8
    assert {"AddUserToGroup", "AttachGroupPolicy", "PutUserPolicy", "CreateAccessKey", "ChangePassword"} <= set(names)


def test_console_login_fields() -> None:
    tiger = next(e for e in fixture_log().events if e.user_name == "tiger@demoasacode.io")
    assert (tiger.is_sign_in, tiger.login_result, tiger.mfa_used, tiger.identity_type) == (
        True,
        "Success",
        False,
        "IAMUser",
    )
    assert tiger.source_ip == "203.0.113.45" and tiger.time == datetime(2026, 11, 30, 8, 15, 42, tzinfo=UTC)
    failed = [e for e in fixture_log().events if e.login_result == "Failure"]
    assert len(failed) == 5 and not any(e.succeeded for e in failed)


def test_assumed_role_names_the_role_behind_the_session() -> None:
    record = next(
        r for r in records() if r["eventName"] == "AddUserToGroup" and r["userIdentity"]["type"] == "AssumedRole"
    )
    event = parse_record(record, "x")
    assert isinstance(event, Event)
    assert event.principal_arn == "arn:aws:sts::123456789012:assumed-role/iam-matrix-deploy/GitHubActions"
    assert event.issuer_arn == "arn:aws:iam::123456789012:role/iam-matrix-deploy"
    assert event.target == {"groupName": "Viewer", "userName": "banana@demoasacode.io"}


def test_gzip_and_lookup_events_give_the_same_events() -> None:
    plain = fixture_log()
    zipped = AccessLog("gz", START, END)
    zipped.read_file(io.BytesIO(gzip.compress(FIXTURE.read_bytes())), "x.json.gz")
    lookup = AccessLog("lookup", START, END)
    for record in records():
        lookup.add_lookup_event({"EventId": record["eventID"], "CloudTrailEvent": json.dumps(record)})
    key = [(e.event_id, e.name, e.actor) for e in plain.events]
    assert (
        [(e.event_id, e.name, e.actor) for e in zipped.events]
        == key
        == [(e.event_id, e.name, e.actor) for e in lookup.events]
    )


def test_duplicates_and_events_outside_the_window_are_dropped() -> None:
    log = AccessLog("fixture", datetime(2026, 11, 30, 9, tzinfo=UTC), END)
    for record in records() + records():  # the same file twice: an organisation trail and an account trail
        log.add_record(record, "x")
    assert log.records == 42
    assert {e.name for e in log.events} == {
        "AddUserToGroup",
        "AttachGroupPolicy",
        "PutUserPolicy",
        "CreateAccessKey",
        "ChangePassword",
    }
    assert len(log.events) == 6  # each once, and only those at or after 09:00


def test_malformed_records_are_located_problems() -> None:
    log = AccessLog("x", START, END)
    good = next(r for r in records() if r["eventName"] == "AttachGroupPolicy")
    bad_time = {**good, "eventTime": "yesterday"}
    log.read_file(
        io.BytesIO(json.dumps({"Records": [good, 42, bad_time, {"eventSource": "ec2.amazonaws.com"}]}).encode()),
        "a.json",
    )
    assert len(log.events) == 1
    assert [str(p) for p in log.problems] == [
        "a.json Records[1]: a record is a JSON int, not an object",
        "a.json Records[2]: the record lacks a valid eventName, eventSource or eventTime (ISO 8601)",
    ]


def test_hostile_files_never_raise() -> None:
    log = AccessLog("x", START, END)
    log.read_file(io.BytesIO(b'{"Records": [ {"eventName": '), "truncated.json")
    log.read_file(io.BytesIO(b"\xff\xfe not utf-8"), "binary.json")
    log.read_file(io.BytesIO(b"[1, 2]"), "array.json")
    log.read_file(io.BytesIO(b"not gzip at all"), "fake.json.gz")
    log.read_file(io.BytesIO(gzip.compress(b'{"Records": []}')[:-6]), "cut.json.gz")
    assert log.files == 5 and not log.events
    messages = [str(p) for p in log.problems]
    assert messages[0] == "truncated.json: not valid JSON (Input data was truncated)"
    assert "binary.json" in messages[1]
    assert messages[2] == 'array.json: not a CloudTrail log file: expected an object {"Records": [...]}'
    assert messages[3].startswith("fake.json.gz: not a readable gzip file") and messages[4].startswith(
        "cut.json.gz: not a readable gzip file"
    )


def test_a_gzip_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b'{"Records": [' + b" " * (8 * 1024 * 1024) + b"]}")  # 8 MiB of blanks in 8 KiB
    assert len(bomb) < 64 * 1024
    log = AccessLog("x", START, END, max_file_bytes=2 * 1024 * 1024)
    log.read_file(io.BytesIO(bomb), "bomb.json.gz")
    assert [p.where for p in log.problems] == [
        "bomb.json.gz"
    ] and "larger than 2 MiB once decompressed" in log.problems[0].message


def test_long_fields_are_cut_and_wrong_types_ignored() -> None:
    record = {
        **next(r for r in records() if r["eventName"] == "ChangePassword"),
        "userAgent": "A" * 100_000,
        "sourceIPAddress": {"nested": True},
        "requestParameters": {"userName": ["x"]},
    }
    event = parse_record(record, "x")
    assert isinstance(event, Event)
    assert len(event.user_agent) == 512 and event.source_ip == "" and event.target == {}


def test_problems_are_capped_and_counted() -> None:
    log = AccessLog("x", START, END)
    for _ in range(80):
        log.add_lookup_event({"EventId": "e", "CloudTrailEvent": "{not json"})
    assert len(log.problems) == 50 and log.more_problems == 30
    assert isinstance(log.problems[0], LogProblem) and log.problems[0].where == "LookupEvents event e"


def test_kept_events_are_capped() -> None:
    log = AccessLog("x", START, END, max_events=3)
    for record in records():
        log.add_record(record, "x")
    assert len(log.events) == 3 and log.truncated


def test_json_escapes_do_not_slip_past_the_prefilter() -> None:
    """Only records naming an IAM or sign-in source or Root are parsed in full; an escaped name still is."""
    record = next(
        r for r in records() if r["eventName"] == "AttachGroupPolicy" and r["userIdentity"]["type"] == "IAMUser"
    )
    text = json.dumps({"Records": [record]}).replace("iam.amazonaws.com", "iam\\u002eamazonaws.com")
    assert "iam.amazonaws.com" not in text
    log = AccessLog("x", START, END)
    log.read_file(io.BytesIO(text.encode()), "escaped.json")
    assert [(e.name, e.source) for e in log.events] == [("AttachGroupPolicy", "iam.amazonaws.com")]
