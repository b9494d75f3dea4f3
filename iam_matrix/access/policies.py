"""One identity policy document -> what it allows and denies, as catalog bitsets.

Resources and conditions stay as qualifiers rather than being flattened away:

* an allow is **broad** for an action when its resources cover every resource that action
  can act on: ``*``, ``arn:*``, ``arn:aws:*:*:*:*``, a ``NotResource`` (everything but a
  few), or ``arn:aws:<service>:<*|>:<*|>:*`` for that service's own actions;
* an ARN names its service, so ``s3:*`` on ``arn:aws:ec2:...`` allows nothing: statement
  actions are narrowed to the services their ARNs can belong to;
* a statement with a ``Condition`` is **conditional**. A conditional allow still counts
  for risk (an attacker can often meet a condition: ``aws:SecureTransport`` is true for every
  CLI call); a conditional deny removes nothing and is kept as a *guardrail* when its
  condition is the MFA (``aws:MultiFactorAuthPresent`` false) or network (``aws:SourceIp``
  outside a list) test, and as a *limit* otherwise.

Actions the catalog does not know are kept (``unknown``), never silently dropped.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .catalog import ActionCatalog

MFA_KEY = "aws:multifactorauthpresent"
SOURCE_IP_KEY = "aws:sourceip"
VIA_SERVICE_KEY = "aws:viaawsservice"


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def unscoped(resource: str) -> bool:
    """True for a resource element that matches every resource of every service."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    if parts[0] != "arn" or len(parts) < 2:
        return False
    if len(parts) == 2:  # "arn:*"
        return parts[1] == "*"
    return parts[1] in ("aws", "*") and all(p == "*" for p in parts[2:]) and parts[-1] == "*"


def _service_wide(resource: str) -> str | None:
    """``arn:aws:s3:::*`` -> ``s3`` (every resource of one service), else None."""
    parts = resource.split(":", 5)
    if (
        len(parts) == 6
        and parts[0] == "arn"
        and parts[3] in ("", "*")
        and parts[4] in ("", "*")
        and parts[5] == "*"
        and not any(ch in parts[2] for ch in "*?")
    ):
        return parts[2].lower()
    return None


def arn_service(resource: str) -> str | None:
    """The service segment of an ARN pattern (may hold wildcards); None when not an ARN."""
    parts = resource.split(":", 5)
    return parts[2].lower() if len(parts) >= 3 and parts[0] == "arn" else None


def resource_matches(pattern: str, arn: str) -> bool:
    """IAM's ARN matching: ``*`` and ``?`` wildcards; policy variables (``${aws:username}``) match anything."""
    pattern = re.sub(r"\$\{[^}]*\}", "*", pattern)
    return re.fullmatch(fnmatch.translate(pattern), arn) is not None


@dataclass(frozen=True)
class Guardrail:
    kind: str  # "mfa" (denied without MFA) or "network" (denied from outside the allowed networks)
    denies: int  # the actions it denies under its condition
    sid: str
    except_via_aws_service: bool = False  # calls AWS services make on the user's behalf pass


@dataclass(frozen=True)
class StatementAccess:
    index: int  # 1-based position in the document
    sid: str
    effect: str
    actions: int  # every action the statement applies to (after service narrowing)
    broad: int  # those it applies to on every resource
    conditional: bool
    resources: tuple[str, ...]  # Resource patterns ("*" for NotResource)
    not_resource: bool
    condition_keys: tuple[str, ...]
    guardrail: str | None = None  # "mfa" or "network" for a Deny understood as that guardrail

    def applies_to(self, arn: str | None) -> bool:
        """Whether the statement's resources can cover ``arn`` (None: any resource)."""
        if arn is None or self.not_resource:
            return True
        return any(resource_matches(r, arn) for r in self.resources)


@dataclass(frozen=True)
class PolicyAccess:
    """What one policy document allows and denies."""

    name: str
    statements: tuple[StatementAccess, ...]
    allow: int  # allowed on some resource, under some condition
    broad: int  # allowed on every resource (conditions aside)
    unconditional: int  # allowed on some resource without any condition
    deny: int  # denied on every resource without condition: removed from everything
    limits: int  # denied under a condition or on some resources only (not an MFA/network guardrail)
    guardrails: tuple[Guardrail, ...]
    unknown: tuple[str, ...]  # actions the catalog does not know, as written


def _condition_keys(condition: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Condition key (lower case) -> (operator, value)."""
    found: dict[str, tuple[str, Any]] = {}
    for operator, pairs in condition.items():
        if isinstance(pairs, Mapping):
            for key, value in pairs.items():
                found[str(key).lower()] = (str(operator), value)
    return found


def _guardrail_kind(keys: Mapping[str, tuple[str, Any]]) -> str | None:
    mfa = keys.get(MFA_KEY)
    if mfa and mfa[0] in ("Bool", "BoolIfExists") and [str(v).lower() for v in as_list(mfa[1])] == ["false"]:
        return "mfa"
    ip = keys.get(SOURCE_IP_KEY)
    if ip and ip[0] in ("NotIpAddress", "NotIpAddressIfExists"):
        return "network"
    return None


def _narrow(catalog: ActionCatalog, bits: int, resources: list[str]) -> tuple[int, int]:
    """(actions the resources can belong to, actions covered on every resource)."""
    if any(unscoped(r) for r in resources):
        return bits, bits
    reachable = broad = 0
    for resource in resources:
        service = arn_service(resource)
        if service is None:
            continue
        if any(ch in service for ch in "*?"):
            reachable |= bits
            continue
        known = catalog.services.get(service)
        if known is not None:
            reachable |= bits & known.mask
        wide = _service_wide(resource)
        if wide and wide in catalog.services:
            broad |= bits & catalog.services[wide].mask
    return reachable, broad


def compile_policy(name: str, document: Mapping[str, Any], catalog: ActionCatalog) -> PolicyAccess:
    statements: list[StatementAccess] = []
    allow = broad = unconditional = deny = limits = 0
    guardrails: list[Guardrail] = []
    unknown: list[str] = []
    raw = document.get("Statement", []) if isinstance(document, Mapping) else []
    for index, statement in enumerate(as_list(raw), 1):
        if not isinstance(statement, Mapping) or statement.get("Effect") not in ("Allow", "Deny"):
            continue
        bits = 0
        for action in as_list(statement.get("Action", statement.get("NotAction", []))):
            found = catalog.expand(action) if isinstance(action, str) else 0
            if not found and isinstance(action, str) and action not in unknown:
                unknown.append(action)
            bits |= found
        if "NotAction" in statement:
            bits = catalog.all & ~bits
        not_resource = "NotResource" in statement
        resources = [r for r in as_list(statement.get("Resource", "*")) if isinstance(r, str)]
        reachable, wide = (bits, bits) if not_resource else _narrow(catalog, bits, resources)
        condition = statement.get("Condition") or {}
        keys = _condition_keys(condition) if isinstance(condition, Mapping) else {}
        conditional = bool(keys)
        sid = str(statement.get("Sid") or f"statement {index}")
        kind = _guardrail_kind(keys) if statement["Effect"] == "Deny" and not not_resource else None
        statements.append(
            StatementAccess(
                index,
                sid,
                statement["Effect"],
                reachable,
                wide,
                conditional,
                ("*",) if not_resource else tuple(resources),
                not_resource,
                tuple(sorted(keys)),
                kind,
            )
        )
        if statement["Effect"] == "Allow":
            allow |= reachable
            broad |= wide
            if not conditional:
                unconditional |= reachable
            continue
        if kind:
            guardrails.append(Guardrail(kind, wide, sid, VIA_SERVICE_KEY in keys))
        elif conditional or not_resource:
            limits |= reachable
        else:
            deny |= wide
            limits |= reachable & ~wide
    return PolicyAccess(
        name, tuple(statements), allow, broad, unconditional, deny, limits, tuple(guardrails), tuple(unknown)
    )
