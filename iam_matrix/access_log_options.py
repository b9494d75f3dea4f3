"""What the audit's access-log checks take from the stack config: a desired-state value (leaf module).

``deployPrincipals`` names the principals whose IAM calls are the pipeline's; every other IAM
change is out-of-band. A pattern that would match anyone (``*``, ``role/*``) is refused: a
branch that widened it would hide every change made by hand, so the pattern must name a role
or user (wildcards are allowed after its first character) and the review diff shows a change.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .problems import Problems

if TYPE_CHECKING:
    from .settings import Settings

# An IAM role or user, or an STS assumed-role session, in one partition; the account may be "*",
# the name may have wildcards but must start with a character of its own.
DEPLOY_PRINCIPAL = re.compile(
    r"arn:aws(-cn|-us-gov)?:(iam::(\d{12}|\*):(role|user)/[\w+=,.@-][\w+=,.@/*?-]*"
    r"|sts::(\d{12}|\*):assumed-role/[\w+=,.@-][\w+=,.@/*?-]*)"
)


@dataclass(frozen=True)
class AccessLogOptions:
    deploy_principals: tuple[str, ...] = ()  # deployPrincipals: ARN patterns of the pipeline's principals
    failed_sign_in_threshold: int = 5  # auditFailedSignInThreshold: failed sign-ins in an hour

    @classmethod
    def read(cls, settings: Settings, problems: Problems) -> AccessLogOptions:
        """Read the keys, adding a problem for each pattern that is not a role or user ARN."""
        principals = tuple(settings.value("deployPrincipals") or ())
        for pattern in principals:
            if not DEPLOY_PRINCIPAL.fullmatch(pattern):
                problems.error(
                    settings.location("deployPrincipals"),
                    "config-deploy-principal",
                    f"{pattern!r} is not an IAM or STS ARN pattern of a role or user",
                    "write arn:aws:iam::<account or *>:role/<name> (or user/<name>, or "
                    "arn:aws:sts::<account>:assumed-role/<name>/*); a pattern matching everyone would hide "
                    "every out-of-band change",
                )
        return cls(principals, int(settings.value("auditFailedSignInThreshold")))

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "deploy_principals": list(self.deploy_principals)}
