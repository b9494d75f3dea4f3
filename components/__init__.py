"""Pulumi ComponentResources that deploy a compiled ``iam_matrix.DesiredState``.

Type tokens are ``iam-matrix:index:<Name>``. The components interpret nothing in the
matrix: every decision (bundles, ARNs, members, paths) was made by the core; they only
turn the DesiredState into resources, with logical names taken from IAM names so that
reordering rows or columns in the sheet changes nothing in a preview.
"""

from .common import TYPE_PREFIX, resource_tags
from .group_bundle import GroupBundle, GroupBundleArgs
from .password_policy import PasswordPolicy, PasswordPolicyArgs
from .policies import CustomPolicies, CustomPoliciesArgs
from .users import Users, UsersArgs

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
