"""Custom policy documents kept in the repository: ``policies/<path>/<Name>.json`` is the
customer managed policy ``<Name>`` under IAM path ``/<path>/``.

Documents are templates: a string ``"{{allowedCidrs}}"`` is replaced by that stack config
value (a list stays a list), while IAM's own policy variables such as ``${aws:username}``
are left exactly as written.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .iam_rules import MAX_POLICY_DOCUMENT_CHARS, check_path, check_policy_name
from .input_files import (
    MAX_POLICY_FILE_BYTES,
    InputFileError,
    JsonProblem,
    clip,
    decode_utf8,
    load_json,
    read_regular_file,
)
from .problems import Location, Problems

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}")
# arn:partition:service:region:account:resource - six parts, the last not empty - or a
# prefix that ends in a wildcard standing for the rest ("arn:*"). "arn:" alone matches nothing.
RESOURCE_ARN = re.compile(r"arn:(?:(?:aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|\*):[^:]*:[^:]*:[^:]*:.+|[^:]*\*)")
STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
MAX_TREE_ENTRIES = 10_000  # files and folders looked at below policiesDir (`policiesDir: /` must not walk the disk)
MAX_TREE_DEPTH = 8  # folder levels below policiesDir (an IAM path rarely has more than two)


@dataclass(frozen=True)
class PolicyFile:
    name: str
    path: str  # IAM path, e.g. "/foundation/"
    file: Path
    display: str  # for messages: "policies/foundation/MFAForcePolicy.json"


def discover(policies_dir: Path, problems: Problems) -> dict[str, PolicyFile] | None:
    """Every ``*.json`` below ``policies_dir``, by policy name (names are unique per account).

    The walk is bounded (``MAX_TREE_ENTRIES``, ``MAX_TREE_DEPTH``) and does not follow
    symlinked folders; a ``*.json`` that is not a regular file is reported, never opened.
    None when the folder is too big or too deep to be walked (the problem is recorded).
    """
    found: dict[str, PolicyFile] = {}
    if not policies_dir.is_dir():
        return found
    where_dir = Location(policies_dir.name or str(policies_dir))
    candidates: list[Path] = []
    seen = 0
    for folder, subfolders, names in os.walk(policies_dir, onerror=lambda error: None):
        here = Path(folder)
        depth = len(here.relative_to(policies_dir).parts)
        seen += len(subfolders) + len(names)
        if seen > MAX_TREE_ENTRIES:
            problems.error(
                where_dir,
                "policy-tree-size",
                f"{policies_dir} holds more than {MAX_TREE_ENTRIES:,} files and folders",
                "point iam-matrix:policiesDir at the folder of policy documents only",
            )
            return None
        if depth >= MAX_TREE_DEPTH and subfolders:
            problems.error(
                where_dir,
                "policy-tree-depth",
                f"{policies_dir} has folders more than {MAX_TREE_DEPTH} levels deep "
                f"({clip((here / subfolders[0]).relative_to(policies_dir).as_posix())})",
                "keep policy documents at most a few folders deep (the folders are the IAM path)",
            )
            return None
        subfolders.sort()
        candidates.extend(here / name for name in names if name.endswith(".json"))
        candidates.extend(here / name for name in subfolders if name.endswith(".json"))
    for file in sorted(candidates):
        relative = file.relative_to(policies_dir)
        display = f"{policies_dir.name}/{relative.as_posix()}"
        folders = relative.parent.as_posix()
        iam_path = "/" if folders == "." else f"/{folders}/"
        name = file.stem
        where = Location(display)
        if file.is_dir() and not file.is_symlink():
            problems.error(
                where,
                "policy-file-type",
                "this is a folder named like a policy document",
                "rename the folder (policy documents are .json files)",
            )
            continue
        for message, fix in check_policy_name(name) + check_path(iam_path):
            problems.error(where, "policy-file-name", message, fix)
        clash = next((p for p in found.values() if p.name.lower() == name.lower()), None)
        if clash:
            problems.error(
                where,
                "policy-file-duplicate",
                f"a policy named {clip(name)} is already defined by {clash.display} "
                "(IAM policy names are unique per account, whatever the path)",
                "rename one of the files",
            )
            continue
        found[name] = PolicyFile(name, iam_path, file, display)
    return found


def fill_document(
    policy: PolicyFile, parameters: Mapping[str, Any], problems: Problems, config_file: str
) -> dict | None:
    """Load, fill in and check one document; None (with problems recorded) when it is unusable.

    The grammar is checked before anything else reads the document, so the guardrail
    helpers below only ever see the shape IAM accepts.
    """
    where = Location(policy.display)
    try:
        document = load_json(decode_utf8(read_regular_file(policy.file, MAX_POLICY_FILE_BYTES)))
    except InputFileError as error:
        problems.error(where, "policy-file", error.message, error.fix)
        return None
    except JsonProblem as problem:
        problems.error(
            Location(policy.display, None, problem.path or None), "policy-json", problem.message, problem.fix
        )
        return None
    except ValueError as error:  # json.JSONDecodeError
        problems.error(
            where,
            "policy-json",
            f"not valid JSON ({clip(str(error))})",
            "fix the JSON syntax (a linter or `python -m json.tool FILE` shows where)",
        )
        return None
    missing: set[str] = set()

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, str):
            whole = PLACEHOLDER.fullmatch(value.strip())
            if whole:
                key = whole.group(1)
                if key not in parameters:
                    missing.add(key)
                    return value
                return parameters[key]
            return PLACEHOLDER.sub(lambda m: _text(m.group(1), parameters, missing), value)
        return value

    document = fill(document)  # depth is bounded by load_json
    for key in sorted(missing):
        problems.error(
            where,
            "policy-parameter",
            f"uses {{{{{key}}}}} but {config_file} has no iam-matrix:{key}",
            f"set iam-matrix:{key} in the stack config or remove the placeholder",
        )
    if missing:
        return None
    if not _check_grammar(document, where, problems):
        return None
    cidrs = source_ip_allow_list(document)
    if cidrs is not None and not any(cidrs):
        problems.error(
            Location(config_file, None, "iam-matrix:allowedCidrs"),
            "lockout-no-cidr",
            f"{policy.name} denies every request from outside the allowed networks and no "
            "network is allowed: everyone in a group it is attached to would be locked out",
            'set iam-matrix:allowedCidrs to your office and VPN CIDRs (e.g. ["192.0.2.0/24"])',
        )
        return None
    if not _check_condition_values(document, where, problems):
        return None
    size = len(minified(document))
    if size > MAX_POLICY_DOCUMENT_CHARS:
        problems.error(
            where,
            "policy-size",
            f"the document is {size} characters without whitespace; IAM "
            f"allows {MAX_POLICY_DOCUMENT_CHARS} for a managed policy",
            "split it into two policies or use wildcards to shorten action lists",
        )
        return None
    return document


def minified(document: dict) -> str:
    """The document as IAM measures it: no whitespace outside strings."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _text(key: str, parameters: Mapping[str, Any], missing: set[str]) -> str:
    if key not in parameters:
        missing.add(key)
        return "{{" + key + "}}"
    value = parameters[key]
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _check_grammar(document: Any, where: Location, problems: Problems) -> bool:
    """The parts of IAM's identity-policy grammar a typo most often breaks, and the shape
    everything else here relies on (statements are objects, Condition is an object of
    objects of scalar or list values)."""
    before = len(problems.errors)

    def bad(message: str, fix: str) -> None:
        problems.error(where, "policy-grammar", message, fix)

    if not isinstance(document, dict):
        bad("the document is not a JSON object", 'write {"Version": "2012-10-17", "Statement": [...]}')
        return False
    version = document.get("Version")
    if version == "2008-10-17":
        bad(
            "Version is '2008-10-17': IAM does not substitute policy variables "
            "such as ${aws:username} in that version, so they would match literally",
            'use "Version": "2012-10-17"',
        )
    elif version != "2012-10-17":
        bad(f"Version is {clip(version)}", 'use "Version": "2012-10-17" (policy variables need it)')
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        bad(
            "there is no Statement"
            if statements in (None, [])
            else f"Statement is {type(statements).__name__}, not a list of objects",
            "add a Statement list",
        )
        return False
    sids: set[str] = set()
    for index, statement in enumerate(statements, 1):
        if not isinstance(statement, dict):
            bad(f"statement {index} is not an object", "each statement is a JSON object")
            continue
        sid = statement.get("Sid")
        label = f"statement {index}" + (f" ({clip(sid, 60)})" if sid else "")
        unknown = set(statement) - STATEMENT_KEYS
        if "Principal" in statement or "NotPrincipal" in statement:
            bad(
                f"{label} has a Principal; identity policies attached to groups cannot",
                "remove Principal (it belongs in resource or trust policies)",
            )
        elif unknown:
            bad(
                f"{label} has unknown element(s) {clip(', '.join(sorted(unknown)))}",
                f"use only {', '.join(sorted(STATEMENT_KEYS))}",
            )
        if statement.get("Effect") not in ("Allow", "Deny"):
            bad(f"{label} has Effect {clip(statement.get('Effect'))}", 'use "Allow" or "Deny" (capitalised)')
        if ("Action" in statement) == ("NotAction" in statement):
            bad(f"{label} needs exactly one of Action or NotAction", "add Action (or NotAction)")
        if ("Resource" in statement) == ("NotResource" in statement):
            bad(f"{label} needs exactly one of Resource or NotResource", 'add "Resource": "*" or specific ARNs')
        for key in ("Action", "NotAction"):
            actions = statement.get(key, [])
            for action in [actions] if isinstance(actions, str) else actions if isinstance(actions, list) else [None]:
                if not isinstance(action, str) or not (
                    action == "*" or re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9*?]+", action)
                ):
                    bad(
                        f"{label} has an invalid {key} {clip(action)}",
                        'write actions as "service:ActionName" (wildcards allowed)',
                    )
        for key in ("Resource", "NotResource"):
            resources = statement.get(key, [])
            for resource in (
                [resources] if isinstance(resources, str) else resources if isinstance(resources, list) else [None]
            ):
                if not isinstance(resource, str) or not (resource == "*" or RESOURCE_ARN.fullmatch(resource)):
                    bad(
                        f"{label} has an invalid {key} {clip(resource)}",
                        'use "*" or a whole ARN: arn:partition:service:region:account:resource '
                        "(parts may be * or empty)",
                    )
        condition = statement.get("Condition", {})
        if not isinstance(condition, dict) or not all(isinstance(v, dict) for v in condition.values()):
            bad(f"{label} has a malformed Condition", 'write {"Operator": {"key": value}}')
        else:
            for operator, pairs in condition.items():
                for key, value in pairs.items():
                    items = value if isinstance(value, list) else [value]
                    if not all(isinstance(item, str | bool | int | float) for item in items if item is not None):
                        bad(
                            f"{label}: condition {clip(operator, 60)} {clip(key, 60)} holds an object or nested list",
                            "give a value or a list of values",
                        )
        if sid is not None:
            if not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z0-9]*", sid):
                bad(
                    f"{label}: Sid {clip(sid)} may only hold letters and digits",
                    "remove spaces and punctuation from the Sid",
                )
            elif sid in sids:
                bad(f"{label}: Sid {clip(sid)} is used twice", "give every statement its own Sid")
            else:
                sids.add(sid)
    return len(problems.errors) == before


def _check_condition_values(document: dict, where: Location, problems: Problems) -> bool:
    """No condition key without values (an empty parameter list would make it match nothing
    or everything); run on a document whose grammar holds."""
    before = len(problems.errors)
    for index, statement in enumerate(statements(document), 1):
        for operator, pairs in statement.get("Condition", {}).items():
            for key, value in pairs.items():
                if value == [] or value is None:
                    problems.error(
                        where,
                        "policy-grammar",
                        f"statement {index}: condition {clip(operator, 60)} "
                        f"{clip(key, 60)} has no values (a parameter may be empty)",
                        "give it at least one value",
                    )
    return len(problems.errors) == before


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def denies_without_mfa(document: Mapping[str, Any]) -> bool:
    """True for an MFA-forcing policy: a Deny with NotAction while aws:MultiFactorAuthPresent is false."""
    for statement in statements(document):
        if statement.get("Effect") != "Deny" or "NotAction" not in statement:
            continue
        for operator in ("Bool", "BoolIfExists"):
            value = statement.get("Condition", {}).get(operator, {}).get("aws:MultiFactorAuthPresent")
            if str(value).lower() == "false":
                return True
    return False


def has_deny(document: Mapping[str, Any]) -> bool:
    return any(s.get("Effect") == "Deny" for s in statements(document))


def source_ip_allow_list(document: Mapping[str, Any]) -> list | None:
    """The CIDRs of a Deny-unless-from-these-networks statement, or None if there is none."""
    for statement in statements(document):
        if statement.get("Effect") == "Deny":
            value = statement.get("Condition", {}).get("NotIpAddress", {}).get("aws:SourceIp")
            if value is not None:
                return value if isinstance(value, list) else [value]
    return None
