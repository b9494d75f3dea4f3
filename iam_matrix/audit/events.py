"""CloudTrail records -> the few small events the audit's access-log checks need. Pure: no boto3.

Two inputs, both in AWS's documented shapes:
* log files: one JSON object ``{"Records": [record, ...]}`` a file, ``.json`` or ``.json.gz``,
  as a trail delivers them to S3 (AWS CloudTrail User Guide, "CloudTrail record contents");
* ``LookupEvents`` answers, whose ``CloudTrailEvent`` is the same record as a JSON string.

Only what matters is kept: console sign-ins (``ConsoleLogin`` with ``additionalEventData.MFAUsed``
and ``responseElements.ConsoleLogin``) and root password recovery, anything the root user did,
and IAM write calls (``iam.amazonaws.com``, ``readOnly`` false: memberships, attachments,
policy versions, users, login profiles, keys, MFA devices, the password policy, ``ChangePassword``).

A file is decoded by msgspec (BSD-3-Clause, pinned in constraints.txt) into the few fields the
checks read, so the 95% of other calls cost little; a file with a record of another shape is
read again record by record with the standard json module, so each problem is located.

Input is hostile until read: a file is decompressed in chunks up to ``max_file_bytes`` (a gzip
bomb stops there), read one at a time (a file set is never held at once), every field is
type-checked and cut to a bounded length, and each thing that cannot be read becomes a
``LogProblem`` naming the file and record, never a traceback.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import msgspec

from .snapshot import parse_time

SIGN_IN_SOURCE = "signin.amazonaws.com"
IAM_SOURCE = "iam.amazonaws.com"
# signin.amazonaws.com events the checks read: sign-ins, and the root user's "forgot password".
SIGN_IN_EVENTS = frozenset({"ConsoleLogin", "PasswordRecoveryRequested", "PasswordRecoveryCompleted"})
# IAM request parameters that say what a call changed (drift attribution matches on them).
TARGET_KEYS = (
    "userName",
    "groupName",
    "policyArn",
    "policyName",
    "roleName",
    "serialNumber",
    "accessKeyId",
    "versionId",
)
MAX_TEXT = 512  # longest string kept from a record (user agents are the long ones)
MAX_FILE_BYTES = 64 * 1024 * 1024  # a trail's files are a few MB; past this a file is reported, not read
MAX_EVENTS = 200_000  # events kept; past this the log is reported as truncated
MAX_PROBLEMS = 50  # located problems kept; the rest are counted
_CHUNK = 1024 * 1024


# A log file as msgspec decodes it: only the fields the checks read become Python objects
# (the request and response of the 95% of other calls are skipped, or kept as raw JSON text).
class _Issuer(msgspec.Struct):
    arn: str | None = None


class _Session(msgspec.Struct):
    sessionIssuer: _Issuer | None = None


class _Identity(msgspec.Struct):
    type: str | None = None
    arn: str | None = None
    userName: str | None = None
    sessionContext: _Session | None = None


class _Record(msgspec.Struct):
    eventSource: str | None = None
    eventName: str | None = None
    eventTime: str | None = None
    eventID: str | None = None
    readOnly: bool | None = None
    userIdentity: _Identity | None = None
    sourceIPAddress: str | None = None
    userAgent: str | None = None
    awsRegion: str | None = None
    errorCode: str | None = None
    requestParameters: msgspec.Raw = msgspec.Raw()
    responseElements: msgspec.Raw = msgspec.Raw()
    additionalEventData: msgspec.Raw = msgspec.Raw()


class _LogFile(msgspec.Struct):
    Records: list[_Record]


_LOG_FILE = msgspec.json.Decoder(_LogFile)


def _raw(value: msgspec.Raw) -> Any:
    return json.loads(bytes(value)) if len(value) else None


def _as_dict(record: _Record) -> dict[str, Any]:
    """A decoded record the checks need, in the plain shape ``parse_record`` reads."""
    identity = record.userIdentity or _Identity()
    issuer = identity.sessionContext.sessionIssuer if identity.sessionContext else None
    return {
        "eventSource": record.eventSource,
        "eventName": record.eventName,
        "eventTime": record.eventTime,
        "eventID": record.eventID,
        "readOnly": record.readOnly,
        "sourceIPAddress": record.sourceIPAddress,
        "userAgent": record.userAgent,
        "awsRegion": record.awsRegion,
        "errorCode": record.errorCode,
        "userIdentity": {
            "type": identity.type,
            "arn": identity.arn,
            "userName": identity.userName,
            "sessionContext": {"sessionIssuer": {"arn": issuer.arn if issuer else None}},
        },
        "requestParameters": _raw(record.requestParameters),
        "responseElements": _raw(record.responseElements),
        "additionalEventData": _raw(record.additionalEventData),
    }


@dataclass(frozen=True, slots=True)
class Event:
    """One CloudTrail record the checks use, with only the fields they read."""

    event_id: str
    time: datetime
    source: str  # eventSource, e.g. iam.amazonaws.com
    name: str  # eventName, e.g. AddUserToGroup
    identity_type: str  # userIdentity.type: IAMUser, AssumedRole, Root, AWSService, ...
    principal_arn: str = ""  # userIdentity.arn ("" when the record has none, e.g. a failed sign-in)
    issuer_arn: str = ""  # userIdentity.sessionContext.sessionIssuer.arn: the role behind a session
    user_name: str = ""  # userIdentity.userName (IAM users, and the name typed at a failed sign-in)
    source_ip: str = ""
    user_agent: str = ""
    region: str = ""
    error_code: str = ""  # "" when the call succeeded
    read_only: bool = False
    mfa_used: bool | None = None  # additionalEventData.MFAUsed of a sign-in
    login_result: str = ""  # responseElements.ConsoleLogin: Success | Failure
    target: Mapping[str, str] = field(default_factory=dict)  # the TARGET_KEYS present in requestParameters
    where: str = ""  # the file and record, or the LookupEvents event, it came from

    @property
    def succeeded(self) -> bool:
        return not self.error_code and self.login_result != "Failure"

    @property
    def is_root(self) -> bool:
        return self.identity_type == "Root"

    @property
    def is_sign_in(self) -> bool:
        return self.source == SIGN_IN_SOURCE and self.name == "ConsoleLogin"

    @property
    def is_iam_write(self) -> bool:
        return self.source == IAM_SOURCE and not self.read_only

    @property
    def actor(self) -> str:
        """Who made the call, as a person would name them."""
        if self.is_root:
            return "root"
        return self.principal_arn or self.issuer_arn or self.user_name or self.identity_type or "unknown principal"

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "source": self.source,
            "time": self.time.isoformat(timespec="seconds"),
            "principal": self.actor,
            "identity_type": self.identity_type,
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "region": self.region,
            "event_id": self.event_id,
            "error_code": self.error_code or None,
            "target": dict(self.target),
            "where": self.where,
        }


@dataclass(frozen=True, slots=True)
class LogProblem:
    """Something in the log that could not be read, and where."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _text(value: Any) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _flag(value: Any) -> bool | None:
    """MFAUsed is "Yes"/"No" in sign-in records; accept booleans too."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "no", "false"):
        return value.strip().lower() in ("yes", "true")
    return None


def relevant(record: Mapping[str, Any]) -> bool:
    """Whether a record is one the checks read; cheap, so the 99% of other records cost little."""
    source = record.get("eventSource")
    if source == IAM_SOURCE:
        return record.get("readOnly") is not True and not _looks_read_only(record.get("eventName"))
    if source == SIGN_IN_SOURCE and record.get("eventName") in SIGN_IN_EVENTS:
        return True
    identity = record.get("userIdentity")
    return isinstance(identity, Mapping) and identity.get("type") == "Root"


def _looks_read_only(name: Any) -> bool:
    """For records without ``readOnly`` (older event versions): IAM's read calls by name."""
    return isinstance(name, str) and name.startswith(("Get", "List", "Generate", "Simulate"))


def parse_record(record: Any, where: str) -> Event | LogProblem | None:
    """One record as an Event, None when the checks do not need it, a LogProblem when it is unreadable."""
    if not isinstance(record, Mapping):
        return LogProblem(where, f"a record is a JSON {type(record).__name__}, not an object")
    if not relevant(record):
        return None
    name, source = record.get("eventName"), record.get("eventSource")
    when = parse_time(record.get("eventTime"))
    if not isinstance(name, str) or not name or not isinstance(source, str) or when is None:
        return LogProblem(where, "the record lacks a valid eventName, eventSource or eventTime (ISO 8601)")
    identity = _mapping(record.get("userIdentity"))
    issuer = _mapping(_mapping(identity.get("sessionContext")).get("sessionIssuer"))
    extra = _mapping(record.get("additionalEventData"))
    response = _mapping(record.get("responseElements"))
    params = _mapping(record.get("requestParameters"))
    target = {key: _text(params[key]) for key in TARGET_KEYS if isinstance(params.get(key), str)}
    read_only = record.get("readOnly")
    return Event(
        event_id=_text(record.get("eventID")),
        time=when,
        source=_text(source),
        name=_text(name),
        identity_type=_text(identity.get("type")),
        principal_arn=_text(identity.get("arn")),
        issuer_arn=_text(issuer.get("arn")),
        user_name=_text(identity.get("userName")),
        source_ip=_text(record.get("sourceIPAddress")),
        user_agent=_text(record.get("userAgent")),
        region=_text(record.get("awsRegion")),
        error_code=_text(record.get("errorCode")),
        read_only=read_only is True or (read_only is None and _looks_read_only(name)),
        mfa_used=_flag(extra.get("MFAUsed")),
        login_result=_text(response.get("ConsoleLogin")),
        target=target,
        where=where,
    )


@dataclass
class AccessLog:
    """The events of one window from one source, with what could not be read.

    ``unavailable`` says why the source could not be read at all (then no check of the access
    log passes); ``problems`` are the files and records skipped inside a source that was read."""

    source: str  # "LookupEvents (us-east-1)", "s3://bucket/AWSLogs/...", or a folder
    start: datetime
    end: datetime
    events: list[Event] = field(default_factory=list)
    problems: list[LogProblem] = field(default_factory=list)
    unavailable: str | None = None
    records: int = 0  # records read, the ones not kept included
    files: int = 0  # log files read (0 for LookupEvents)
    requests: int = 0  # AWS requests the reading made
    more_problems: int = 0  # problems past MAX_PROBLEMS, counted only
    truncated: bool = False  # more than max_events relevant events: those read after the limit were dropped
    max_events: int = MAX_EVENTS
    max_file_bytes: int = MAX_FILE_BYTES
    _seen: set[str] = field(default_factory=set, repr=False)

    @property
    def days(self) -> int:
        return max(1, round((self.end - self.start).total_seconds() / 86400))

    def problem(self, where: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(LogProblem(where, message))
        else:
            self.more_problems += 1

    def add_record(self, record: Any, where: str) -> None:
        """Parse one record and keep it when it matters, falls in the window and is new (by eventID)."""
        self.records += 1
        parsed = parse_record(record, where)
        if parsed is None:
            return
        if isinstance(parsed, LogProblem):
            self.problem(parsed.where, parsed.message)
            return
        if not self.start <= parsed.time <= self.end:
            return
        if parsed.event_id:
            if parsed.event_id in self._seen:  # organisation and account trails, or two lookups, can both hold it
                return
            self._seen.add(parsed.event_id)
        if len(self.events) >= self.max_events:
            self.truncated = True
            return
        self.events.append(parsed)

    def add_lookup_event(self, item: Any) -> None:
        """One ``LookupEvents`` entry: its ``CloudTrailEvent`` string is the full record."""
        event_id = _text(_mapping(item).get("EventId")) or "?"
        where = f"LookupEvents event {event_id}"
        raw = _mapping(item).get("CloudTrailEvent")
        if not isinstance(raw, str) or len(raw) > self.max_file_bytes:
            self.records += 1
            self.problem(where, "CloudTrailEvent is missing or not a JSON string")
            return
        try:
            record = json.loads(raw)
        except ValueError as error:
            self.records += 1
            self.problem(where, f"CloudTrailEvent is not valid JSON ({error})")
            return
        self.add_record(record, where)

    def read_file(self, stream: IO[bytes], name: str) -> None:
        """One log file (gzip when the name ends in .gz), decompressed at most to max_file_bytes."""
        self.files += 1
        data = self._bounded_bytes(stream, name)
        if data is None:
            return
        try:
            records = _LOG_FILE.decode(data).Records
        except msgspec.ValidationError:  # a record of an unexpected shape: the careful path locates it
            self._read_loose(data, name)
            return
        except msgspec.DecodeError as error:
            self.problem(name, f"not valid JSON ({error})")
            return
        for index, record in enumerate(records):
            identity = record.userIdentity
            if record.eventSource in (IAM_SOURCE, SIGN_IN_SOURCE) or (identity is not None and identity.type == "Root"):
                self.add_record(_as_dict(record), f"{name} Records[{index}]")
            else:
                self.records += 1  # read, and none the checks need

    def _read_loose(self, data: bytes, name: str) -> None:
        """Valid JSON whose records are not all in CloudTrail's shape: record by record, each problem located."""
        document = json.loads(data)
        records = document.get("Records") if isinstance(document, dict) else None
        if not isinstance(records, list):
            self.problem(name, 'not a CloudTrail log file: expected an object {"Records": [...]}')
            return
        for index, record in enumerate(records):
            self.add_record(record, f"{name} Records[{index}]")

    def _bounded_bytes(self, stream: IO[bytes], name: str) -> bytes | None:
        limit = self.max_file_bytes
        reader: IO[bytes] = gzip.GzipFile(fileobj=stream, mode="rb") if name.endswith(".gz") else stream
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = reader.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    self.problem(
                        name,
                        f"larger than {limit // (1024 * 1024)} MiB once decompressed; not read (a trail's files "
                        "are a few MB: "
                        "check where it comes from)",
                    )
                    return None
                chunks.append(chunk)
        except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
            self.problem(name, f"not a readable gzip file ({error})")
            return None
        return b"".join(chunks)

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "start": self.start.isoformat(timespec="seconds"),
            "end": self.end.isoformat(timespec="seconds"),
            "days": self.days,
            "events": len(self.events),
            "records": self.records,
            "files": self.files,
            "requests": self.requests,
            "problems": [str(p) for p in self.problems],
            "more_problems": self.more_problems,
            "truncated": self.truncated,
            "unavailable": self.unavailable,
        }


def log_from_records(records: Iterable[Any], *, source: str, start: datetime, end: datetime) -> AccessLog:
    """An AccessLog from records in memory (tests, fixtures, other tools' exports)."""
    log = AccessLog(source=source, start=start, end=end)
    for index, record in enumerate(records):
        log.add_record(record, f"{source} Records[{index}]")
    return log
