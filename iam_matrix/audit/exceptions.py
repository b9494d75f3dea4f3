"""The audit's exceptions file: findings a reviewed entry accepts, for one resource and for a
limited time.

A finding is accepted by an entry naming its check id, its resource (exact, or a glob with
``*`` and ``?``), why, and until when. Accepted findings are not dropped: every report lists
them as *suppressed* with the reason and the expiry, they only stop counting towards
``--fail-on``. Since anyone with push rights could try to hide a finding this way, the file
is strict (docs/audit.md#exceptions): it lives in the project (reviewed like the matrix, read
through ``project_files`` and ``input_files``: no symlink, at most 1 MiB, one YAML document,
no key given twice), every check id must be known, a glob must still name something
(``user/ci-*``, never ``*`` or ``user/*``), and an expiry is required and at most
``MAX_DAYS`` ahead. An expired entry suppresses nothing and is itself a finding
(``exception-expired``); an entry that matched nothing is reported as stale
(``exception-unused``), so the file cannot quietly collect blanket permissions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..escape import printable
from ..input_files import (
    MAX_EXCEPTIONS_FILE_BYTES,
    InputFileError,
    YamlProblem,
    clip,
    load_yaml_file,
)
from ..problems import Location, MatrixInvalid, Problem, Problems
from ..project import PROJECT
from ..project_files import check_project_file
from ..settings import Settings
from .checks import CHECKS
from .findings import Finding

CONFIG_KEY = "auditExceptionsFile"
DEFAULT_FILE = "audit-exceptions.yaml"
MAX_DAYS = 365  # an exception is reviewed again at least once a year
MAX_RESOURCE = 512
MAX_REASON = 1000
# The exceptions' own findings: suppressing them would let an entry hide that it expired.
UNSUPPRESSIBLE = frozenset({"exception-expired", "exception-unused"})
FIELDS = ("check", "resource", "reason", "expires", "stacks")
REQUIRED = ("check", "resource", "reason", "expires")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class AuditException:
    """One entry of the file; ``where`` is ``<file> $.exceptions[<i>]``, as reports cite it."""

    check: str
    resource: str  # exact, or a glob: * any run of characters, ? one character
    reason: str
    expires: date  # the last day the entry suppresses
    where: str
    stacks: tuple[str, ...] = ()  # empty: every stack of the project

    def applies_to(self, stack: str) -> bool:
        return not self.stacks or stack in self.stacks

    def expired(self, today: date) -> bool:
        return today > self.expires

    def matches(self, finding: Finding) -> bool:
        return finding.check == self.check and _glob(self.resource).fullmatch(finding.resource) is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "resource": self.resource,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "entry": self.where,
            "stacks": list(self.stacks),
        }


@dataclass(frozen=True)
class Exceptions:
    file: str  # as the stack config names it, for messages and reports
    entries: tuple[AuditException, ...] = ()


@dataclass(frozen=True)
class Suppressed:
    """A finding an entry accepted: still reported, no longer counted."""

    finding: Finding
    exception: AuditException

    def to_dict(self) -> dict[str, Any]:
        return {**self.finding.to_dict(), "suppressed": self.exception.to_dict()}


@dataclass(frozen=True)
class Applied:
    findings: list[Finding]  # what still counts, with the exceptions' own findings
    suppressed: list[Suppressed]


def _glob(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` only: every other character (``[`` included) is itself."""
    return re.compile("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern), re.DOTALL)


# --- reading the file -----------------------------------------------------------------


def load_exceptions(settings: Settings, today: date) -> Exceptions:
    """The stack's exceptions file (``iam-matrix:auditExceptionsFile``), every entry checked.

    No file at the default path means no exceptions; a path the stack sets must exist, and
    an empty value turns exceptions off. Raises MatrixInvalid with every problem at once."""
    value = str(settings.values.get(CONFIG_KEY) or "")
    if not value:
        return Exceptions("")
    problems = Problems()
    where = settings.location(CONFIG_KEY)
    path = check_project_file(settings.project_dir, value, CONFIG_KEY, where, problems)
    if path is None:
        raise MatrixInvalid(problems.items)
    if value == DEFAULT_FILE and not path.exists():
        return Exceptions(value)
    document = _read(path, value, problems)
    stacks = {p.name[len("Pulumi.") : -len(".yaml")] for p in settings.project_dir.glob("Pulumi.*.yaml")}
    exceptions = parse_exceptions(document, value, today, stacks, problems) if not problems.errors else None
    if problems.errors or exceptions is None:
        raise MatrixInvalid(problems.items)
    return exceptions


def exceptions_problems(settings: Settings, today: date) -> list[Problem]:
    """The problems ``load_exceptions`` would stop the audit with (none for a good file or no
    file): what ``validate`` reports, so a pull request cannot break the file unnoticed."""
    try:
        load_exceptions(settings, today)
    except MatrixInvalid as invalid:
        return list(invalid.problems)
    return []


def _read(path: Path, display: str, problems: Problems) -> Any:
    try:
        return load_yaml_file(path, MAX_EXCEPTIONS_FILE_BYTES)[1]
    except InputFileError as error:
        fix = (
            f"create it, or set {PROJECT}:{CONFIG_KEY} to the exceptions file (docs/audit.md#exceptions)"
            if error.code == "file-missing"
            else error.fix
        )
        problems.error(Location(display), "exceptions-file", error.message, fix)
    except YamlProblem as error:
        problems.error(error.at(display), "exceptions-file", error.message, error.fix)
    return None


def parse_exceptions(document: Any, display: str, today: date, stacks: Iterable[str], problems: Problems) -> Exceptions:
    """The entries of a loaded document; every problem goes to ``problems`` (JSON paths)."""
    if document is None:
        return Exceptions(display)
    if not isinstance(document, Mapping) or set(document) - {"exceptions"}:
        problems.error(
            Location(display, None, "$"),
            "exceptions-shape",
            "the file must be a mapping with one key, exceptions: a list of entries",
            "write `exceptions:` followed by `- check: ...` entries (docs/audit.md#exceptions)",
        )
        return Exceptions(display)
    items = document.get("exceptions") or []
    if not isinstance(items, list):
        problems.error(
            Location(display, None, "$.exceptions"),
            "exceptions-shape",
            f"exceptions is {type(items).__name__}, not a list",
            "write each entry as a `- check: ...` list item",
        )
        return Exceptions(display)
    known_stacks = set(stacks)
    entries: list[AuditException] = []
    seen: dict[tuple[str, str, tuple[str, ...]], str] = {}
    for index, item in enumerate(items):
        entry = _entry(item, display, f"$.exceptions[{index}]", today, known_stacks, problems)
        if entry is None:
            continue
        key = (entry.check, entry.resource, entry.stacks)
        if key in seen:
            problems.error(
                Location(display, None, f"$.exceptions[{index}]"),
                "exception-duplicate",
                f"{entry.check} on {clip(entry.resource)} is already excepted by {seen[key]}",
                "keep one entry per check and resource",
            )
            continue
        seen[key] = f"$.exceptions[{index}]"
        entries.append(entry)
    return Exceptions(display, tuple(entries))


def _entry(
    item: Any, display: str, path: str, today: date, stacks: set[str], problems: Problems
) -> AuditException | None:
    def at(field: str | None = None) -> Location:
        return Location(display, None, f"{path}.{field}" if field else path)

    before = len(problems.errors)
    if not isinstance(item, Mapping):
        problems.error(
            at(),
            "exceptions-shape",
            f"the entry is {type(item).__name__}, not a mapping",
            "write check, resource, reason and expires",
        )
        return None
    for key in item:
        if key not in FIELDS:
            close = difflib.get_close_matches(str(key), FIELDS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"the fields are {', '.join(FIELDS)}"
            problems.error(at(str(key)), "exceptions-shape", f"unknown field {clip(key)}", hint)
    for key in REQUIRED:
        if key not in item:
            problems.error(at(key), "exceptions-shape", f"the entry has no {key}", _FIX[key])
    check = _check_id(item.get("check"), at("check"), problems) if "check" in item else ""
    resource = _resource(item.get("resource"), at("resource"), problems) if "resource" in item else ""
    reason = _reason(item.get("reason"), at("reason"), problems) if "reason" in item else ""
    expires = _expiry(item.get("expires"), at("expires"), today, problems) if "expires" in item else None
    names = _stacks(item.get("stacks"), at("stacks"), stacks, problems) if "stacks" in item else ()
    if len(problems.errors) > before or expires is None:
        return None
    return AuditException(check, resource, reason, expires, f"{display} {path}", names)


_FIX = {
    "check": "name the check id of the finding (docs/audit.md#checks)",
    "resource": "name the finding's resource as the report shows it, e.g. user/ci-bot",
    "reason": "say why the finding is accepted and who accepted it (a ticket)",
    "expires": f"give the last day it applies as YYYY-MM-DD, at most {MAX_DAYS} days ahead",
}


def _text(value: Any, where: Location, field: str, limit: int, problems: Problems) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.error(where, "exceptions-shape", f"{field} is {clip(value)}, not a non-empty text", _FIX[field])
        return None
    if len(value) > limit:
        problems.error(
            where, "exceptions-shape", f"{field} has {len(value):,} characters; at most {limit:,}", "shorten it"
        )
        return None
    if _CONTROL.search(value):
        problems.error(
            where,
            "exceptions-shape",
            f"{field} {printable(clip(value))} holds control or invisible characters",
            "write it as plain text on one line",
        )
        return None
    return value


def _check_id(value: Any, where: Location, problems: Problems) -> str:
    text = _text(value, where, "check", 100, problems)
    if text is None:
        return ""
    if text not in CHECKS:
        close = difflib.get_close_matches(text, list(CHECKS), n=1)
        hint = f"did you mean {close[0]}?" if close else "use a check id of docs/audit.md#checks"
        problems.error(where, "exception-check", f"{clip(text)} is not a check id of the audit", hint)
        return ""
    if text in UNSUPPRESSIBLE:
        problems.error(
            where,
            "exception-check",
            f"{text} reports on the exceptions file itself and cannot be excepted",
            "renew or delete the entry it names",
        )
        return ""
    return text


def _resource(value: Any, where: Location, problems: Problems) -> str:
    text = _text(value, where, "resource", MAX_RESOURCE, problems)
    if text is None:
        return ""
    if text != text.strip():
        problems.error(where, "exception-resource", f"{clip(text)} starts or ends with a space", "remove the spaces")
        return ""
    last = text.rsplit("/", 1)[-1]
    if not last.strip("*?"):
        problems.error(
            where,
            "exception-resource",
            f"{clip(text)} matches every resource{' of its kind' if '/' in text else ''}",
            "name the resource (user/ci-bot) or a named family (user/ci-*): an exception is never for a whole check",
        )
        return ""
    return text


def _reason(value: Any, where: Location, problems: Problems) -> str:
    text = _text(value, where, "reason", MAX_REASON, problems)
    return text.strip() if text else ""


def _expiry(value: Any, where: Location, today: date, problems: Problems) -> date | None:
    expires: date | None = None
    if isinstance(value, date) and not isinstance(value, datetime):
        expires = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            expires = date.fromisoformat(value.strip())
        except ValueError:
            expires = None
    if expires is None:
        problems.error(where, "exception-expiry", f"{clip(value)} is not a date written YYYY-MM-DD", _FIX["expires"])
        return None
    horizon = today + timedelta(days=MAX_DAYS)
    if expires > horizon:
        problems.error(
            where,
            "exception-expiry",
            f"{expires.isoformat()} is more than {MAX_DAYS} days ahead (at most {horizon.isoformat()})",
            "review the exception again within a year: set an earlier date",
        )
        return None
    return expires


def _stacks(value: Any, where: Location, known: set[str], problems: Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        problems.error(
            where,
            "exceptions-shape",
            f"stacks is {clip(value)}, not a list of stack names",
            "list the stacks it applies to, e.g. [prod], or leave stacks out for every stack",
        )
        return ()
    for name in value:
        if name not in known:
            problems.error(
                where,
                "exception-stack",
                f"there is no stack {clip(name)} (no Pulumi.{printable(name)[:100]}.yaml in the project)",
                f"use one of {', '.join(sorted(known)) or 'the project stacks'}",
            )
    return tuple(value)


# --- applying it -----------------------------------------------------------------------


def apply_exceptions(findings: list[Finding], exceptions: Exceptions | None, stack: str, today: date) -> Applied:
    """Split ``findings`` into what still counts and what an unexpired entry accepts, and add a
    finding for each expired entry and each entry that matched nothing."""
    if exceptions is None or not exceptions.entries:
        return Applied(list(findings), [])
    entries = [e for e in exceptions.entries if e.applies_to(stack)]
    live = [e for e in entries if not e.expired(today)]
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    used: set[AuditException] = set()
    for finding in findings:
        entry = next((e for e in live if e.matches(finding)), None)
        if entry is None:
            kept.append(finding)
        else:
            suppressed.append(Suppressed(finding, entry))
            used.add(entry)
    not_checked = {c for f in findings if f.check == "could-not-check" for c in f.details.get("checks", [])}
    for entry in entries:
        if entry.expired(today):
            kept.append(_expired(entry, [f for f in findings if entry.matches(f)]))
        elif entry not in used and entry.check not in not_checked:
            kept.append(_unused(entry, stack))
    return Applied(kept, suppressed)


def _expired(entry: AuditException, matching: list[Finding]) -> Finding:
    counted = f"; its {len(matching)} finding(s) count again" if matching else "; it matches no finding any more"
    return Finding(
        "exception-expired",
        entry.where,
        f"the exception for {entry.check} on {entry.resource} expired on {entry.expires.isoformat()}{counted} "
        f"(reason given: {entry.reason})",
        "fix the finding and delete the entry, or review it again and set a new expiry",
        details={"exception": entry.to_dict()},
    )


def _unused(entry: AuditException, stack: str) -> Finding:
    return Finding(
        "exception-unused",
        entry.where,
        f"the exception for {entry.check} on {entry.resource} (until {entry.expires.isoformat()}) "
        f"matched no finding of stack {stack}",
        "delete the entry if the finding is fixed, so it cannot hide a new one later",
        details={"exception": entry.to_dict()},
    )
