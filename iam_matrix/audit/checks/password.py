"""Password policy: the account's password policy against the desired one, field by field
(CIS 1.8, 1.9)."""

from __future__ import annotations

from ...desired import DesiredState
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
    out: list[Finding] = []
    fix = "run pulumi up to restore the stack's password policy"

    def field(check: str, name: str, message: str) -> None:
        out.append(Finding(check, f"password-policy/{name}", message, fix))

    length = int(live.get("MinimumPasswordLength", 8))
    if length < want.minimum_password_length:
        field(
            "password-policy-length",
            "MinimumPasswordLength",
            f"minimum length is {length}, the stack wants {want.minimum_password_length}",
        )
    elif length > want.minimum_password_length:
        field(
            "password-policy-differs",
            "MinimumPasswordLength",
            f"minimum length is {length}, the stack sets {want.minimum_password_length}",
        )
    reuse = int(live.get("PasswordReusePrevention", 0))
    if reuse < want.password_reuse_prevention:
        field(
            "password-policy-reuse",
            "PasswordReusePrevention",
            f"remembers {reuse} previous passwords, the stack wants {want.password_reuse_prevention}",
        )
    elif reuse > want.password_reuse_prevention:
        field(
            "password-policy-differs",
            "PasswordReusePrevention",
            f"remembers {reuse} previous passwords, the stack sets {want.password_reuse_prevention}",
        )
    for key, wanted, label in (
        ("RequireUppercaseCharacters", want.require_uppercase_characters, "an upper-case letter"),
        ("RequireLowercaseCharacters", want.require_lowercase_characters, "a lower-case letter"),
        ("RequireNumbers", want.require_numbers, "a number"),
        ("RequireSymbols", want.require_symbols, "a symbol"),
    ):
        have = bool(live.get(key, False))
        if wanted and not have:
            field("password-policy-weaker", key, f"passwords need not contain {label}")
        elif have and not wanted:
            field("password-policy-differs", key, f"passwords must contain {label}, the stack does not require it")
    age = int(live.get("MaxPasswordAge", 0)) if live.get("ExpirePasswords", bool(live.get("MaxPasswordAge"))) else 0
    wanted_age = want.max_password_age
    if wanted_age and (age == 0 or age > wanted_age):
        field(
            "password-policy-weaker",
            "MaxPasswordAge",
            f"passwords expire after {age} days, the stack wants {wanted_age}"
            if age
            else f"passwords never expire, the stack wants {wanted_age} days",
        )
    elif age != wanted_age:
        field(
            "password-policy-differs",
            "MaxPasswordAge",
            f"passwords expire after {age} days, the stack sets {wanted_age or 'no expiry'}",
        )
    change = bool(live.get("AllowUsersToChangePassword", False))
    if want.allow_users_to_change_password and not change:
        field(
            "password-policy-weaker",
            "AllowUsersToChangePassword",
            "users may not change their own password (so they cannot rotate it)",
        )
    elif change != want.allow_users_to_change_password:
        field(
            "password-policy-differs",
            "AllowUsersToChangePassword",
            "users may change their own password, the stack does not allow it",
        )
    hard = bool(live.get("HardExpiry", False))
    if hard != want.hard_expiry:
        field(
            "password-policy-differs",
            "HardExpiry",
            f"hard expiry is {'on' if hard else 'off'}, the stack sets it {'on' if want.hard_expiry else 'off'}",
        )
    return out


AREA = Area("password", CHECKS, lambda given: password_findings(given.desired, given.snapshot))
