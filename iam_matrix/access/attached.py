"""The access model of roles given as the policies attached to their groups, each with its
document when it is known: what the policy pack sees of a stack (policy ARNs per group, the
stack's customer policy documents, AWS managed ones from the shipped snapshot).

Standard library only (with ``model`` and ``desired``): the pack runs in its own virtualenv,
without pandas, yaml or boto3, and imports this module from the project folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..desired import PolicyRef, Role, User
from .catalog import load_action_catalog, load_managed_documents, load_risks
from .model import AccessModel

# arn:aws:iam::aws:policy/AdministratorAccess, arn:aws-cn:...:policy/service-role/AWSBatchServiceRole
AWS_MANAGED_ARN = re.compile(r"arn:aws(?:-[a-z-]+)?:iam::aws:policy/(?:[^*?]*/)?([^/*?]+)")


@dataclass(frozen=True)
class Attached:
    """One policy attached to a group: its ARN (or what is known of it), the name shown in
    messages, and its document (None when it is not known: that policy is not judged)."""

    arn: str
    name: str
    document: Mapping[str, Any] | None


def managed_document(arn: str) -> Mapping[str, Any] | None:
    """The shipped snapshot's document of an AWS managed policy ARN (None for any other ARN)."""
    match = AWS_MANAGED_ARN.fullmatch(arn)
    return load_managed_documents().get(match.group(1)) if match else None


def roles_model(
    roles: Mapping[str, Sequence[Attached]], members: Mapping[str, Sequence[str]] | None = None
) -> AccessModel:
    """The model of ``roles`` (role -> the policies of all its groups) and of ``members``
    (user -> their roles). One ARN is one policy (its document is whichever attachment knew
    it); two ARNs with one name (a stack's ``MFAForcePolicy`` and another account's) are told
    apart, so a policy whose document is not known never borrows another's."""
    by_name: dict[str, dict[str, Mapping[str, Any] | None]] = {}
    for policies in roles.values():
        for policy in policies:
            arns = by_name.setdefault(policy.name, {})
            if arns.get(policy.arn) is None:
                arns[policy.arn] = policy.document

    def key(policy: Attached) -> str:
        return policy.name if len(by_name[policy.name]) == 1 else f"{policy.name} ({policy.arn})"

    documents = {
        key(Attached(arn, name, None)): document
        for name, arns in by_name.items()
        for arn, document in arns.items()
        if document is not None
    }
    held: dict[str, list[str]] = {}  # role -> its members, in the order of ``members``
    for user, of in (members or {}).items():
        for role in dict.fromkeys(of):
            held.setdefault(role, []).append(user)
    model_roles = []
    for role, policies in roles.items():
        refs = tuple(
            PolicyRef(key(p), p.arn, "aws" if AWS_MANAGED_ARN.fullmatch(p.arn) else "custom") for p in policies
        )
        model_roles.append(Role(role, (role,), refs, tuple(held.get(role, ()))))
    users = tuple(User(user, False, tuple(of), "stack") for user, of in (members or {}).items())
    return AccessModel(tuple(model_roles), users, load_action_catalog(), load_risks(), documents)
