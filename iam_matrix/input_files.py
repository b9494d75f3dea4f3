"""Read an input file without trusting it: only regular files are opened (a FIFO named
``users.csv`` would block forever, a directory named ``X.json`` cannot be read), never more
bytes than the limit for that kind of file, and text must be UTF-8.

Also the strict JSON and YAML loaders every reader uses, so that a document's *shape* is
known (and bounded) before any other code walks it, and ``clip`` for values echoed in
messages. The limits are documented in docs/input-limits.md.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from .problems import Location

# Bytes read from one file of each kind; docs/input-limits.md explains each number.
MAX_STACK_FILE_BYTES = 1 << 20  # Pulumi.<stack>.yaml and Pulumi.yaml: 1 MiB
MAX_EXCEPTIONS_FILE_BYTES = 1 << 20  # the audit's exceptions file: 1 MiB
MAX_POLICY_FILE_BYTES = 1 << 20  # one policy document (IAM allows 6,144 characters)
MAX_CSV_BYTES = 256 << 20  # a matrix CSV: 1,048,576 rows of a wide matrix fit
MAX_WORKBOOK_BYTES = 256 << 20  # an xlsx file (compressed)
# the most any reader above takes: a file at a git ref larger than this is refused before it is copied out
MAX_INPUT_FILE_BYTES = max(
    MAX_STACK_FILE_BYTES, MAX_EXCEPTIONS_FILE_BYTES, MAX_POLICY_FILE_BYTES, MAX_CSV_BYTES, MAX_WORKBOOK_BYTES
)
MAX_JSON_DEPTH = 32  # an IAM policy is 6 levels deep at most
MAX_YAML_DEPTH = 32  # a stack file is 3 levels deep
MAX_NUMBER_DIGITS = 30  # integers and floats in JSON and YAML
MAX_ECHO = 200  # characters of a file's value repeated in a message


class InputFileError(Exception):
    """The file cannot be read as input; the message says why, for a person."""

    def __init__(self, message: str, fix: str, code: str = "file-unreadable"):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code


def clip(value: object, limit: int = MAX_ECHO) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a 1 MB cell cannot flood a log."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}…({len(text):,} characters)"


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes`` bytes.

    Opened non-blocking and checked with ``fstat`` on the open descriptor, so neither a FIFO
    nor a device can stall the run and nothing can be swapped in between check and read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputFileError(
            f"file not found ({path})", "check the path in the stack config or on the command line", "file-missing"
        ) from None
    except IsADirectoryError:
        raise InputFileError("this is a folder, not a file", "point the setting at a file", "file-type") from None
    except OSError as error:
        raise InputFileError(
            f"cannot be opened ({error.strerror})", "check the file's permissions", "file-unreadable"
        ) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputFileError("this is a folder, not a file", "point the setting at a file", "file-type")
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(
                "this is not a regular file (a pipe, socket or device)",
                "point the setting at a regular file",
                "file-type",
            )
        if info.st_size > max_bytes:
            raise InputFileError(
                f"the file is {info.st_size:,} bytes; at most {max_bytes:,} are read",
                "shorten it (see docs/input-limits.md)",
                "file-too-large",
            )
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:  # it grew while being read
            raise InputFileError(
                f"the file is more than {max_bytes:,} bytes", "shorten it (see docs/input-limits.md)", "file-too-large"
            )
        return data
    except OSError as error:
        raise InputFileError(f"cannot be read ({error.strerror})", "check the file", "file-unreadable") from None
    finally:
        os.close(fd)


def decode_utf8(data: bytes) -> str:
    """Text of ``data`` (a UTF-8 BOM is dropped); InputFileError naming the byte otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(
            f"the file is not UTF-8 text (byte {error.start + 1:,} is 0x{data[error.start]:02x})",
            "save it as UTF-8",
            "file-encoding",
        ) from None


# --- JSON ----------------------------------------------------------------------------


class JsonProblem(Exception):
    """A JSON document that parses but must not be used; ``path`` is a JSON path."""

    def __init__(self, path: str, message: str, fix: str):
        super().__init__(message)
        self.path = path
        self.message = message
        self.fix = fix


def _number(text: str, kind: type) -> Any:
    mantissa = re.split("[eE]", text, maxsplit=1)[0]
    if sum(ch.isdigit() for ch in mantissa) > MAX_NUMBER_DIGITS:
        raise JsonProblem(
            "",
            f"the number {clip(text, 40)} has more than {MAX_NUMBER_DIGITS} digits",
            "IAM policies need no such number; quote it if it is a value",
        )
    value = kind(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise JsonProblem("", f"the number {clip(text, 40)} is out of range", "use a smaller number")
    return value


def _no_constant(name: str) -> Any:
    raise JsonProblem("", f"{name} is not JSON (a number must be finite)", "remove it or quote it as a string")


class _Duplicates(dict):
    """A JSON object that also remembers which of its keys were given twice."""

    duplicates: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    found = _Duplicates()
    repeated = []
    for key, value in pairs:
        if key in found:
            repeated.append(key)
        found[key] = value
    found.duplicates = repeated
    return found


def load_json(text: str) -> Any:
    """Strict JSON: no NaN/Infinity, no numbers beyond ``MAX_NUMBER_DIGITS`` digits, no key
    given twice in one object (JSON parsers keep the last silently, so ``"Effect": "Deny"``
    followed by ``"Effect": "Allow"`` would allow), at most ``MAX_JSON_DEPTH`` levels deep.

    Raises ``ValueError`` (json's own, or RecursionError's message) for bad syntax and
    ``JsonProblem`` with a JSON path for the rest. Plain dicts and lists are returned.
    """
    depth = _bracket_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise JsonProblem(
            "",
            f"the document is nested {depth:,} levels deep; at most {MAX_JSON_DEPTH} are read",
            "an IAM policy needs at most 6 levels; flatten it",
        )
    document = json.loads(
        text,
        object_pairs_hook=_pairs,
        parse_constant=_no_constant,
        parse_int=lambda s: _number(s, int),
        parse_float=lambda s: _number(s, float),
    )
    return _plain(document, "$")


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _bracket_depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` outside strings, found without recursion."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def _plain(value: Any, path: str) -> Any:
    if isinstance(value, _Duplicates):
        if value.duplicates:
            key = value.duplicates[0]
            raise JsonProblem(
                f"{path}.{key}",
                f"the key {clip(key)} is given twice in one object (a parser keeps only the last)",
                "keep one of them",
            )
        return {key: _plain(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


# --- YAML ----------------------------------------------------------------------------


class YamlProblem(Exception):
    """A YAML document that must not be used; ``line`` is 1-based (or None)."""

    def __init__(self, line: int | None, message: str, fix: str):
        super().__init__(message)
        self.line = line
        self.message = message
        self.fix = fix

    def at(self, display: str) -> Location:
        """Where a problem report points: the file, and the line when YAML gave one."""
        return Location(display, None, f"line {self.line}" if self.line else None)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LONG_NUMBER = re.compile(
    rf"[-+]?([0-9_]{{{MAX_NUMBER_DIGITS + 1},}}(\.[0-9_]*)?([eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]{{{MAX_NUMBER_DIGITS + 1},"
    rf"}}|0o?[0-7_]{{{MAX_NUMBER_DIGITS + 1},}}|0b[01_]{{{MAX_NUMBER_DIGITS + 1},}})"
)


class _UniqueKeyLoader(_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader, refusing a mapping key given twice (PyYAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if not isinstance(key, (str, int, float, bool)):
                continue  # a mapping or list as a key: PyYAML refuses it as unhashable, located
            if key in seen:
                raise YamlProblem(
                    key_node.start_mark.line + 1,
                    f"the key {clip(key)} is given twice in one mapping (a parser keeps only the last)",
                    "keep one of them",
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, *, unique_keys: bool = False) -> Any:
    """One YAML document with PyYAML's safe loader, after a pass over its events that
    refuses what a stack file never needs and an attacker uses: anchors and aliases (the
    "billion laughs" expansion), several documents, and numbers too long to be config.
    With ``unique_keys`` a key given twice in one mapping is refused too (the audit's
    exceptions file: a second ``expires:`` must not silently win).

    Raises ``YamlProblem``. Mapping keys are not checked here (see ``check_string_keys``).
    """
    try:
        events = yaml.parse(text, Loader=_LOADER)
        documents = depth = 0
        for event in events:
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise YamlProblem(
                    line,
                    "YAML anchors and aliases (&name, *name) are not accepted in stack files",
                    "write each value out in full",
                )
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlProblem(line, "the file holds more than one YAML document (---)", "keep one document")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise YamlProblem(
                        line,
                        f"the document is nested more than {MAX_YAML_DEPTH} levels deep",
                        "a stack file needs three levels; flatten it",
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if isinstance(event, yaml.ScalarEvent) and not event.style and _LONG_NUMBER.fullmatch(event.value):
                raise YamlProblem(
                    line,
                    f"the number {clip(event.value, 40)} has more than {MAX_NUMBER_DIGITS} digits",
                    "use a number in range, or quote it if it is text",
                )
        return yaml.load(text, Loader=_UniqueKeyLoader if unique_keys else _LOADER)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise YamlProblem(
            line, f"not valid YAML ({clip(error.problem or str(error), MAX_ECHO)})", "fix the YAML syntax"
        ) from None
    except yaml.YAMLError as error:
        raise YamlProblem(None, f"not valid YAML ({clip(str(error), MAX_ECHO)})", "fix the YAML syntax") from None
    except (ValueError, RecursionError) as error:  # e.g. a value PyYAML's constructors refuse
        raise YamlProblem(None, f"not a usable YAML document ({clip(str(error), MAX_ECHO)})", "fix the value") from None


def load_yaml_file(path: Path, max_bytes: int) -> tuple[str, Any]:
    """A config file as its text and its one YAML document: a regular UTF-8 file of at most
    ``max_bytes``, read as ``load_yaml`` reads, with no key given twice in one mapping (the
    stack files and the audit's exceptions file; a second ``adminRoles:`` or ``expires:`` must
    not silently win). Raises InputFileError or YamlProblem; each reader names its own code."""
    text = decode_utf8(read_regular_file(path, max_bytes))
    return text, load_yaml(text, unique_keys=True)


def yaml_key_lines(text: str, key: str) -> dict[str, int]:
    """The 1-based line of each key of the mapping under the top-level ``key`` (``config``)
    of a document ``load_yaml`` has accepted, for messages that must point at a line; {} when
    there is no such mapping. Composed without constructing values: no alias can expand here."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key_node, value_node in root.value:
        if key_node.value == key and isinstance(value_node, yaml.MappingNode):
            return {
                item.value: item.start_mark.line + 1
                for item, _ in value_node.value
                if isinstance(item, yaml.ScalarNode)
            }
    return {}
