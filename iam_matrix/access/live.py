"""The access model of a live account, from what GetAccountAuthorizationDetails returns
(user and group details with their attached and inline policies, and the documents of the
customer managed policies), so the audit judges the account with the same model as the
diff and validate.

Every group becomes a "role" of the model; what is attached to a user directly (or inline)
becomes the user's own pseudo-role ``user:<name>``. AWS managed policies are judged by the
account's live documents (``live_managed``: the audit reads the default version of each attached
one), else by the project's shipped snapshot, with a note: AWS managed documents are AWS's, the
same in every account, but the snapshot can lag a new version (the finding says which was used).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from ..desired import PolicyRef, Role, User
from .catalog import load_action_catalog, load_managed_documents, load_risks
from .model import AccessModel


def api_document(value: Any) -> Any:
    """A policy document as boto3 returns it (decoded) or as IAM sends it (URL-encoded JSON);
    ValueError when it is not JSON."""
    return json.loads(urllib.parse.unquote(value)) if isinstance(value, str) else value


def default_document(policy: Mapping[str, Any]) -> Any:
    """The document of a GetAccountAuthorizationDetails policy's default version (None without one)."""
    for version in policy.get("PolicyVersionList", []):
        if version.get("IsDefaultVersion"):
            return api_document(version.get("Document"))
    return None


def live_model(
    users: Iterable[Mapping[str, Any]],
    groups: Iterable[Mapping[str, Any]],
    policies: Iterable[Mapping[str, Any]],
    live_managed: Mapping[str, Any] | None = None,
) -> tuple[AccessModel, set[str]]:
    """(the model, names of AWS managed policies judged by the shipped snapshot). ``live_managed``
    maps AWS managed policy ARNs to the live document of their default version."""
    by_arn = {p["Arn"]: p for p in policies if "Arn" in p}
    shipped = load_managed_documents()
    documents: dict[str, Any] = {}
    from_snapshot: set[str] = set()

    def managed(attached: Iterable[Mapping[str, Any]]) -> list[PolicyRef]:
        refs = []
        for item in attached:
            arn, name = item.get("PolicyArn", ""), item.get("PolicyName", "")
            live = by_arn.get(arn)
            document = default_document(live) if live is not None else None
            if document is None and live_managed and arn in live_managed:
                document = api_document(live_managed[arn])
            if document is None and ":iam::aws:policy/" in arn and name in shipped:
                document = shipped[name]
                from_snapshot.add(name)
            if document is not None:
                documents.setdefault(name, document)
            refs.append(PolicyRef(name, arn, "aws" if ":iam::aws:policy/" in arn else "custom"))
        return refs

    def inline(owner: str, items: Iterable[Mapping[str, Any]]) -> list[PolicyRef]:
        refs = []
        for item in items:
            name = f"{owner} inline {item.get('PolicyName', '?')}"
            documents[name] = api_document(item.get("PolicyDocument"))
            refs.append(PolicyRef(name, "", "inline"))
        return refs

    grants: dict[str, tuple[tuple[str, ...], tuple[PolicyRef, ...]]] = {}  # role -> (groups, policies)
    for group in groups:
        name = group["GroupName"]
        refs = managed(group.get("AttachedManagedPolicies", [])) + inline(
            f"group {name}", group.get("GroupPolicyList", [])
        )
        grants[name] = ((name,), tuple(refs))
    group_names = set(grants)
    people: list[User] = []
    for user in users:
        name = user["UserName"]
        own = managed(user.get("AttachedManagedPolicies", [])) + inline(f"user {name}", user.get("UserPolicyList", []))
        member_of = tuple(g for g in user.get("GroupList", []) if g in group_names)
        if own:
            grants[f"user:{name}"] = ((), tuple(own))
            member_of += (f"user:{name}",)
        people.append(User(name, False, member_of, "account"))
    members: dict[str, list[str]] = {}
    for person in people:
        for role in person.roles:
            members.setdefault(role, []).append(person.name)
    roles = tuple(Role(name, names, refs, tuple(members.get(name, ()))) for name, (names, refs) in grants.items())
    return AccessModel(roles, tuple(people), load_action_catalog(), load_risks(), documents), from_snapshot
