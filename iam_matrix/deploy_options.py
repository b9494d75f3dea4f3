"""What the Pulumi program needs from the stack config to shape resources, beyond the matrix.

A desired-state value (``DesiredState.deploy``), so ``components/`` read the compiled state and
never the stack config: console login profiles and the PGP key their passwords are encrypted
with, whether removing a user may destroy credentials made outside the stack, and the policy
quota per group that the bundle-moves hook keeps to (docs/pulumi-program.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .settings import Settings

IAM_POLICIES_PER_GROUP = 10  # IAM's default quota, the schema default of maxPoliciesPerGroup


@dataclass(frozen=True)
class DeployOptions:
    """``consoleAccess``, ``pgpKey``, ``forceDestroyUsers`` and ``maxPoliciesPerGroup``.

    ``settings`` refuses console access without a PGP key (``config-pgp``); the Users component
    refuses it again, for a state built by hand."""

    console_access: bool = False
    pgp_key: str = field(default="", repr=False)  # a secret config key: kept out of reprs and logs
    force_destroy_users: bool = False
    max_policies_per_group: int = IAM_POLICIES_PER_GROUP

    @classmethod
    def read(cls, settings: Settings) -> DeployOptions:
        """From checked settings (the compiler assembles a state only when they have no error)."""
        value = settings.value
        return cls(
            console_access=value("consoleAccess"),
            pgp_key=value("pgpKey") or "",
            force_destroy_users=value("forceDestroyUsers"),
            max_policies_per_group=value("maxPoliciesPerGroup"),
        )
