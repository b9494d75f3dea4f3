"""What IAM enforces and moto does not, added to moto's IAM backend.

moto is lenient: no quotas, case-sensitive names, policies deletable while attached, users
deletable with credentials left, any console password accepted. Its leniency is not AWS's
approval, so ``install()`` wraps moto's ``IAMBackend`` (in this process: the in-process mock
and the moto server of ``MotoServer`` alike) to refuse what IAM refuses, with IAM's error
codes. Every client sees the rules: the appliers, the program's own hooks, the audit.

The quotas are IAM's defaults (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html);
``QUOTAS`` may be changed for an account whose quota was raised.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable
from typing import Any

QUOTAS = {"policies_per_group": 10, "groups_per_user": 10}
_INSTALLED: list[bool] = []


def _error(code: str) -> type[Exception]:
    from moto.iam.exceptions import IAMException

    return type(f"{code}Error", (IAMException,), {"code": code})


def _same_name(existing: Any, name: str) -> str | None:
    """The existing key that equals ``name`` ignoring case (IAM names are case-insensitive)."""
    lowered = name.lower()
    return next((key for key in existing if key.lower() == lowered), None)


def password_violations(password: str, policy: Any) -> list[str]:
    """What ``password`` lacks under moto's account password policy object (None: IAM's default, 8)."""
    minimum = getattr(policy, "minimum_password_length", None) or 8
    problems = [f"shorter than {minimum}"] if len(password) < minimum else []
    if policy is not None:
        classes = (
            ("require_uppercase_characters", string.ascii_uppercase, "an uppercase letter"),
            ("require_lowercase_characters", string.ascii_lowercase, "a lowercase letter"),
            ("require_numbers", string.digits, "a number"),
            ("require_symbols", "!@#$%^&*()_+-=[]{}|'", "a symbol"),
        )
        problems += [
            f"no {label}"
            for attribute, chars, label in classes
            if getattr(policy, attribute, False) and not any(c in chars for c in password)
        ]
    return problems


def install() -> None:
    """Wrap moto's IAM backend once (idempotent)."""
    if _INSTALLED:
        return
    from moto.iam import models
    from moto.iam.exceptions import DeleteConflictException, EntityAlreadyExists, LimitExceededException

    backend = models.IAMBackend
    policy_violation = _error("PasswordPolicyViolation")

    def wrap(name: str, check: Callable[..., None]) -> None:
        original = getattr(backend, name)

        @functools.wraps(original)
        def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
            check(self, *args, **kwargs)
            return original(self, *args, **kwargs)

        setattr(backend, name, checked)

    def attach_group_policy(self: Any, policy_arn: str, group_name: str) -> None:
        group = self.get_group(group_name)
        limit = QUOTAS["policies_per_group"]
        if policy_arn not in group.managed_policies and len(group.managed_policies) >= limit:
            raise LimitExceededException(f"Cannot exceed quota for PoliciesPerGroup: {limit}")

    def add_user_to_group(self: Any, group_name: str, user_name: str) -> None:
        user, group = self.get_user(user_name), self.get_group(group_name)
        limit = QUOTAS["groups_per_user"]
        member_of = [g for g in self.groups.values() if user in g.users]
        if group not in member_of and len(member_of) >= limit:
            raise LimitExceededException(f"Cannot exceed quota for GroupsPerUser: {limit}")

    def create_user(self: Any, region_name: str, user_name: str, *args: Any, **kwargs: Any) -> None:
        clash = _same_name(self.users, user_name)
        if clash is not None:
            raise EntityAlreadyExists(f"User with name {user_name} already exists.")

    def create_group(self: Any, group_name: str, *args: Any, **kwargs: Any) -> None:
        if _same_name(self.groups, group_name) is not None:
            raise EntityAlreadyExists(f"Group with name {group_name} already exists.")

    def update_user(self: Any, user_name: str, new_path: str | None = None, new_user_name: str | None = None) -> None:
        clash = _same_name(self.users, new_user_name) if new_user_name else None
        if clash is not None and clash != user_name:
            raise EntityAlreadyExists(f"User with name {new_user_name} already exists.")

    def update_group(self: Any, group_name: str, new_group_name: str | None, new_path: str | None) -> None:
        clash = _same_name(self.groups, new_group_name) if new_group_name else None
        if clash is not None and clash != group_name:
            raise EntityAlreadyExists(f"Group with name {new_group_name} already exists.")

    def create_policy(
        self: Any, description: str, path: str, policy_document: str, policy_name: str, tags: Any
    ) -> None:
        lowered = policy_name.lower()
        customer = (p for p in self.managed_policies.values() if ":aws:policy/" not in p.arn)
        if any(p.name.lower() == lowered for p in customer):
            raise EntityAlreadyExists(f"A policy called {policy_name} already exists. Duplicate names are not allowed.")

    def delete_policy(self: Any, policy_arn: str) -> None:
        policy = self.get_policy(policy_arn)
        if policy.attachment_count:
            raise DeleteConflictException("Cannot delete a policy attached to entities.")

    def delete_user(self: Any, user_name: str) -> None:
        user = self.get_user(user_name)
        held = [
            what
            for what, present in (
                ("group memberships", any(user in g.users for g in self.groups.values())),
                ("access keys", user.access_keys),
                ("MFA devices", user.mfa_devices),
                ("a login profile", user.password),
                ("SSH public keys", user.ssh_public_keys),
                ("signing certificates", user.signing_certificates),
            )
            if present
        ]
        if held:
            raise DeleteConflictException(f"Cannot delete entity {user_name}, must remove {', '.join(held)} first.")

    def delete_group(self: Any, group_name: str) -> None:
        group = self.get_group(group_name)
        if group.users or group.managed_policies or group.policies:
            raise DeleteConflictException(
                "Cannot delete entity, must remove users from group, detach and delete policies first."
            )

    def login_password(self: Any, user_name: str, password: str | None, *args: Any, **kwargs: Any) -> None:
        problems = password_violations(password, self.account_password_policy) if password is not None else []
        if problems:
            raise policy_violation(f"Password does not conform to the account password policy: {', '.join(problems)}.")

    for name, check in (
        ("attach_group_policy", attach_group_policy),
        ("add_user_to_group", add_user_to_group),
        ("create_user", create_user),
        ("create_group", create_group),
        ("update_user", update_user),
        ("update_group", update_group),
        ("create_policy", create_policy),
        ("delete_policy", delete_policy),
        ("delete_user", delete_user),
        ("delete_group", delete_group),
        ("create_login_profile", login_password),
        ("update_login_profile", login_password),
    ):
        wrap(name, check)
    _INSTALLED.append(True)
