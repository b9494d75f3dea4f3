"""What ``validate`` checks: the compile (``compiler.check``: stack config, matrices, policy
documents) and the audit's exceptions file (``audit.exceptions.exceptions_problems``, through
the reader the audit uses), so a pull request that breaks the file fails validate, not only the
next audit. Both readers are pure: validate imports neither boto3 nor Pulumi."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from .audit.exceptions import exceptions_problems
from .compiler import CompileResult, check
from .settings import Settings


def validate_stack(settings: Settings, today: date | None = None) -> CompileResult:
    """The compile's result with the exceptions file's problems added; ``today`` (UTC, as the
    audit counts it) bounds an entry's expiry."""
    result = check(settings)
    found = exceptions_problems(settings, today or datetime.now(UTC).date())
    return replace(result, items=[*result.items, *found]) if found else result
