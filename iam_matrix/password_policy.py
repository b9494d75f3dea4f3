"""The account password policy the stack wants: a desired-state value (leaf module).

``FIELDS`` is the one list of its settings: the dataclass field, the ``iam-matrix:`` config
key it is read from and the name IAM's API (GetAccountPasswordPolicy, the Config rule
parameters) gives it. Readers, the component, the audit and the read-back take it from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple


@dataclass(frozen=True)
class PasswordPolicy:
    minimum_password_length: int = 14
    require_uppercase_characters: bool = True
    require_lowercase_characters: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    max_password_age: int = 90
    password_reuse_prevention: int = 24
    allow_users_to_change_password: bool = True
    hard_expiry: bool = False

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> PasswordPolicy:
        """The policy from merged ``iam-matrix:`` config values (keys without the prefix)."""
        return cls(**{f.attribute: values[f.config_key] for f in FIELDS})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_api(self) -> dict[str, Any]:
        """The policy keyed by IAM's API names, as GetAccountPasswordPolicy returns them."""
        return {f.api_name: getattr(self, f.attribute) for f in FIELDS}


# "higher": a larger number is safer; "on": True is safer; "shorter": a smaller number of days is
# safer, 0 meaning never (the least safe); "": neither value is safer (they only differ).
Safer = Literal["higher", "on", "shorter", ""]
Verdict = Literal["same", "weaker", "differs"]


class PasswordField(NamedTuple):
    attribute: str  # PasswordPolicy field, also the pulumi_aws AccountPasswordPolicy argument
    config_key: str  # iam-matrix:<config_key>
    api_name: str  # GetAccountPasswordPolicy / UpdateAccountPasswordPolicy, Config's IAM_PASSWORD_POLICY parameter
    safer: Safer  # which way a change makes passwords safer: what "weaker" means for the audit and the diff
    absent: Any  # what a GetAccountPasswordPolicy answer that leaves the field out means
    config_rule: bool = True  # a parameter of AWS Config's IAM_PASSWORD_POLICY managed rule


FIELDS: tuple[PasswordField, ...] = (
    PasswordField("minimum_password_length", "passwordMinimumLength", "MinimumPasswordLength", "higher", 8),
    PasswordField(
        "require_uppercase_characters", "passwordRequireUppercase", "RequireUppercaseCharacters", "on", False
    ),
    PasswordField(
        "require_lowercase_characters", "passwordRequireLowercase", "RequireLowercaseCharacters", "on", False
    ),
    PasswordField("require_numbers", "passwordRequireNumbers", "RequireNumbers", "on", False),
    PasswordField("require_symbols", "passwordRequireSymbols", "RequireSymbols", "on", False),
    PasswordField("max_password_age", "passwordMaxAgeDays", "MaxPasswordAge", "shorter", 0),
    PasswordField("password_reuse_prevention", "passwordReusePrevention", "PasswordReusePrevention", "higher", 0),
    PasswordField(
        "allow_users_to_change_password",
        "passwordAllowUsersToChange",
        "AllowUsersToChangePassword",
        "on",
        False,
        config_rule=False,
    ),
    PasswordField("hard_expiry", "passwordHardExpiry", "HardExpiry", "", False, config_rule=False),
)


def compare(field: PasswordField, have: Any, want: Any) -> Verdict:
    """``have`` against ``want`` for one field: the same, weaker (less safe), or only different."""
    if have == want:
        return "same"
    if field.safer == "higher":
        return "weaker" if have < want else "differs"
    if field.safer == "on":
        return "weaker" if want and not have else "differs"
    if field.safer == "shorter":
        never = 10**6  # 0 = never expires
        return "weaker" if (have or never) > (want or never) else "differs"
    return "differs"


def weakened(old: PasswordPolicy, new: PasswordPolicy) -> list[PasswordField]:
    """The fields in which ``new`` is weaker than ``old``, in ``FIELDS`` order."""
    return [f for f in FIELDS if compare(f, getattr(new, f.attribute), getattr(old, f.attribute)) == "weaker"]


def from_api(live: Mapping[str, Any]) -> dict[str, Any]:
    """A GetAccountPasswordPolicy answer by attribute, fields it leaves out read as IAM means them."""
    return {f.attribute: type(f.absent)(live.get(f.api_name, f.absent)) for f in FIELDS}
