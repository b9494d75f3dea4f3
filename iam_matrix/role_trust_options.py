"""What the audit's role-trust checks take from the stack config: a desired-state value (leaf module).

``auditTrustedAccounts`` names the other AWS accounts (the organisation's own: a security or
tooling account, the deploy account) whose principals may assume roles of this one; a role
trusting any other account, or anyone, is reported. Each entry is a quoted 12-digit id: a
wildcard or a number YAML read as octal would trust an account nobody meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .iam_rules import ACCOUNT_ID
from .problems import Problems

if TYPE_CHECKING:
    from .settings import Settings


@dataclass(frozen=True)
class RoleTrustOptions:
    trusted_accounts: tuple[str, ...] = ()  # auditTrustedAccounts: accounts whose principals may assume roles

    @classmethod
    def read(cls, settings: Settings, problems: Problems) -> RoleTrustOptions:
        """Read the key, adding a problem for each entry that is not a 12-digit account id."""
        accounts = tuple(settings.value("auditTrustedAccounts") or ())
        for account in accounts:
            if not ACCOUNT_ID.fullmatch(account):
                problems.error(
                    settings.location("auditTrustedAccounts"),
                    "config-account",
                    f"{account!r:.80} is not a 12-digit AWS account id",
                    'write the 12 digits in quotes, e.g. - "222222222222"; a role trusting any account is never fine',
                )
        return cls(tuple(a for a in accounts if ACCOUNT_ID.fullmatch(a)))

    def to_dict(self) -> dict[str, Any]:
        return {"trusted_accounts": list(self.trusted_accounts)}
