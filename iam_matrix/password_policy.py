"""The account password policy the stack wants: a desired-state value (leaf module).

``FIELDS`` is the one list of its settings: the dataclass field, the ``iam-matrix:`` config
key it is read from and the name IAM's API (GetAccountPasswordPolicy, the Config rule
parameters) gives it. Readers, the component, the audit and the read-back take it from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple


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


class PasswordField(NamedTuple):
    attribute: str  # PasswordPolicy field, also the pulumi_aws AccountPasswordPolicy argument
    config_key: str  # iam-matrix:<config_key>
    api_name: str  # GetAccountPasswordPolicy / UpdateAccountPasswordPolicy


FIELDS: tuple[PasswordField, ...] = (
    PasswordField("minimum_password_length", "passwordMinimumLength", "MinimumPasswordLength"),
    PasswordField("require_uppercase_characters", "passwordRequireUppercase", "RequireUppercaseCharacters"),
    PasswordField("require_lowercase_characters", "passwordRequireLowercase", "RequireLowercaseCharacters"),
    PasswordField("require_numbers", "passwordRequireNumbers", "RequireNumbers"),
    PasswordField("require_symbols", "passwordRequireSymbols", "RequireSymbols"),
    PasswordField("max_password_age", "passwordMaxAgeDays", "MaxPasswordAge"),
    PasswordField("password_reuse_prevention", "passwordReusePrevention", "PasswordReusePrevention"),
    PasswordField("allow_users_to_change_password", "passwordAllowUsersToChange", "AllowUsersToChangePassword"),
    PasswordField("hard_expiry", "passwordHardExpiry", "HardExpiry"),
)
