"""Password policy: the account's password policy against the desired one, field by field
(CIS 1.8, 1.9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...desired import DesiredState
from ...password_policy import FIELDS, compare, from_api
from ..findings import Check, Finding, could_not_check, register
from ..snapshot import Snapshot
from .base import Area

DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html"
FIX = "run pulumi up to restore the stack's password policy"

CHECKS = register(
    Check(
        "password-policy-missing",
        "password",
        "high",
        "The account has no password policy",
        "1.8",
        remediation=FIX,
        doc=DOC,
    ),
    Check(
        "password-policy-length",
        "password",
        "medium",
        "The minimum password length is below the desired one",
        "1.8",
        remediation=FIX,
        doc=DOC,
    ),
    Check(
        "password-policy-reuse",
        "password",
        "medium",
        "Password reuse prevention is below the desired one",
        "1.9",
        remediation=FIX,
        doc=DOC,
    ),
    Check(
        "password-policy-weaker",
        "password",
        "medium",
        "A password policy setting is weaker than the desired one",
        remediation=FIX,
        doc=DOC,
    ),
    Check(
        "password-policy-differs",
        "password",
        "info",
        "A password policy setting differs from the desired one without being weaker",
        remediation=FIX,
        doc=DOC,
    ),
)


def password_findings(desired: DesiredState, snapshot: Snapshot) -> list[Finding]:
    """The live password policy against the desired one, one finding per field."""
    if "password-policy" in snapshot.unavailable:
        return [
            could_not_check(
                "password-policy",
                snapshot.unavailable["password-policy"],
                [
                    "password-policy-missing",
                    "password-policy-length",
                    "password-policy-reuse",
                    "password-policy-weaker",
                ],
            )
        ]
    want = desired.password_policy
    live = snapshot.password_policy
    if live is None:
        return [
            Finding(
                "password-policy-missing",
                "password-policy",
                "the account has no password policy: IAM's default allows 8-character passwords that never expire",
                "run pulumi up (the stack sets the policy from passwordMinimumLength and friends)",
            )
        ]
    have = from_api(live)
    # IAM leaves MaxPasswordAge in the answer after expiry is turned off; ExpirePasswords says which.
    if not live.get("ExpirePasswords", bool(live.get("MaxPasswordAge"))):
        have["max_password_age"] = 0
    out: list[Finding] = []
    for setting in FIELDS:
        live_value, wanted = have[setting.attribute], getattr(want, setting.attribute)
        verdict = compare(setting, live_value, wanted)
        if verdict == "same":
            continue
        check = _WEAKER_CHECK.get(setting.attribute, "password-policy-weaker") if verdict == "weaker" else None
        message = _SAYS[setting.attribute](live_value, wanted, verdict == "weaker")
        out.append(Finding(check or "password-policy-differs", f"password-policy/{setting.api_name}", message, FIX))
    return out


# The check a weaker field is reported under, when it is not password-policy-weaker (CIS 1.8 and 1.9).
_WEAKER_CHECK = {
    "minimum_password_length": "password-policy-length",
    "password_reuse_prevention": "password-policy-reuse",
}


def _must_contain(label: str) -> Callable[[Any, Any, bool], str]:
    return lambda have, want, weaker: (
        f"passwords need not contain {label}"
        if weaker
        else f"passwords must contain {label}, the stack does not require it"
    )


def _age(have: int, wanted: int, weaker: bool) -> str:
    if not weaker:
        return f"passwords expire after {have} days, the stack sets {wanted or 'no expiry'}"
    return (
        f"passwords expire after {have} days, the stack wants {wanted}"
        if have
        else (f"passwords never expire, the stack wants {wanted} days")
    )


# What a field that differs says, given (live value, wanted value, weaker?): one entry per FIELDS attribute.
_SAYS: dict[str, Callable[[Any, Any, bool], str]] = {
    "minimum_password_length": lambda have, want, weaker: (
        f"minimum length is {have}, the stack {'wants' if weaker else 'sets'} {want}"
    ),
    "require_uppercase_characters": _must_contain("an upper-case letter"),
    "require_lowercase_characters": _must_contain("a lower-case letter"),
    "require_numbers": _must_contain("a number"),
    "require_symbols": _must_contain("a symbol"),
    "max_password_age": _age,
    "password_reuse_prevention": lambda have, want, weaker: (
        f"remembers {have} previous passwords, the stack {'wants' if weaker else 'sets'} {want}"
    ),
    "allow_users_to_change_password": lambda have, want, weaker: (
        "users may not change their own password (so they cannot rotate it)"
        if weaker
        else "users may change their own password, the stack does not allow it"
    ),
    "hard_expiry": lambda have, want, weaker: (
        f"hard expiry is {'on' if have else 'off'}, the stack sets it {'on' if want else 'off'}"
    ),
}


AREA = Area("password", CHECKS, lambda given: password_findings(given.desired, given.snapshot))
