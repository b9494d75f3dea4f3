"""Evaluate one identity policy for one request, as IAM does, for the operators deploy/ uses.

No evaluator on PyPI does this offline: iam-ape (GPL) summarises a principal's effective
actions without a request context, aws-why calls AWS's policy simulator, moto's
``access_control`` knows only ``StringEquals`` and reads a failed condition as an explicit
deny; the project's access model (``iam_matrix/access/``) does not evaluate condition
values. So this is IAM's documented logic for one identity-based policy (explicit deny wins,
then an allow whose Action, Resource and every condition match) for the condition
operators the generated policies use. An operator it does not know is an error, never a
silent "allowed", so a generated policy that starts using another one fails the test here.

Matching (IAM's policy grammar): actions case-insensitively, resources case-sensitively,
``*`` and ``?`` as wildcards in both and in ``*Like`` / ``Arn*`` condition values; a
condition key missing from the request fails its condition; several values of one key are
OR-ed, several keys and operators AND-ed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike", "Bool")


@functools.cache  # a few hundred patterns, matched against thousands of requests
def _glob(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    return any(_glob(str(p), ignore_case=ignore_case).match(value) for p in _listed(patterns))


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    if operator not in OPERATORS:
        raise ValueError(f"the test evaluator does not know condition operator {operator!r}")
    if key not in context:
        return False
    actual = [str(v) for v in _listed(context[key])]
    wanted = [str(v) for v in _listed(expected)]
    if operator == "StringEquals":
        return any(a == w for a in actual for w in wanted)
    if operator == "Bool":
        return any(a.lower() == w.lower() for a in actual for w in wanted)
    # StringLike, and ArnEquals and ArnLike alike (both take wildcards, IAM's condition operator reference).
    return any(_matches(w, a, ignore_case=False) for a in actual for w in wanted)


def _statement_applies(statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any]) -> bool:
    if "NotAction" in statement or "NotResource" in statement or "Principal" in statement:
        raise ValueError(f"the test evaluator does not evaluate {sorted(statement)} ({statement.get('Sid')})")
    if not _matches(statement["Action"], action, ignore_case=True):
        return False
    if not _matches(statement["Resource"], resource, ignore_case=False):
        return False
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, block in (statement.get("Condition") or {}).items()
        for key, expected in block.items()
    )


def allowed(document: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any] | None = None) -> bool:
    """Whether ``document`` alone allows ``action`` on ``resource`` with the request's ``context``."""
    context = context or {}
    statements = _listed(document["Statement"])
    applies = [s for s in statements if _statement_applies(s, action, resource, context)]
    if any(s["Effect"] == "Deny" for s in applies):
        return False
    return any(s["Effect"] == "Allow" for s in applies)
