"""Pulumi ComponentResources that deploy a compiled ``iam_matrix.DesiredState``.

Type tokens are ``iam-matrix:index:<Name>``. The components interpret nothing in the
matrix: every decision (bundles, ARNs, members, paths) was made by the core; they only
turn the DesiredState into resources, with logical names taken from IAM names so that
reordering rows or columns in the sheet changes nothing in a preview.

The components are loaded when first named (PEP 562), so ``components.layout`` (pure: what
the program registers, which ``adopt`` reads) imports without loading the Pulumi SDK.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "TYPE_PREFIX": ".common",
    "resource_tags": ".common",
    "CustomPolicies": ".policies",
    "CustomPoliciesArgs": ".policies",
    "GroupBundle": ".group_bundle",
    "GroupBundleArgs": ".group_bundle",
    "PasswordPolicy": ".password_policy",
    "PasswordPolicyArgs": ".password_policy",
    "Users": ".users",
    "UsersArgs": ".users",
}

__all__ = [
    "TYPE_PREFIX",
    "CustomPolicies",
    "CustomPoliciesArgs",
    "GroupBundle",
    "GroupBundleArgs",
    "PasswordPolicy",
    "PasswordPolicyArgs",
    "Users",
    "UsersArgs",
    "resource_tags",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
