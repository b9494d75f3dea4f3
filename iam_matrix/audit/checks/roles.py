"""Roles: IAM roles whose trust policy lets someone outside the account assume them.

The matrix manages no roles, but any deployer (or an attacker with IAM rights for a minute) can
leave one behind: a role trusting another account, or everyone, is a door back into the
account that no group membership shows. Every role of the account is read (the same
``GetAccountAuthorizationDetails`` pages) and each Allow statement of its trust policy that
lets a principal call ``sts:AssumeRole*`` is judged by its principal:

* the account itself, an account of ``auditTrustedAccounts`` and AWS services are fine;
* another account (its root, a user or role of it) is ``role-trusts-foreign-account``;
* ``*`` (``"Principal": "*"``, ``{"AWS": "*"}``, ``NotPrincipal``), a web identity or SAML
  provider without any condition, and GitHub's OIDC provider without a condition on ``sub``
  (any repository's workflow) are ``role-trusts-anyone``: high when no condition narrows it,
  medium when one does (the condition keys are named, so a reviewer can judge them).

A role with ``AdministratorAccess`` attached makes either finding one step worse. Deny
statements are not subtracted: a trust policy that allows a stranger and then denies them is
still reported, because the allow is what a later edit widens.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ...access.live import api_document
from ...catalog import ADMIN_POLICY_ARN
from ...escape import shell_word
from ...iam_rules import ACCOUNT_ID
from ..findings import Check, Finding, Severity, register
from .base import Area, AuditInput

DOC = "docs/audit.md#roles-that-trust-outside-the-account"
ASSUME_ACTIONS = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity")
# The account of an IAM or STS ARN (a root, user, role, assumed-role session or identity provider).
ARN_ACCOUNT = re.compile(r"arn:aws[a-z-]*:(?:iam|sts)::(\d{12}|\*):.+")
GITHUB_OIDC = "token.actions.githubusercontent.com"

CHECKS = register(
    Check(
        "role-trusts-anyone",
        "roles",
        "high",
        "An IAM role can be assumed by anyone: a * principal, or an identity provider's users without a condition",
        remediation="remove the statement from the role's trust policy, or narrow it to named principals; "
        "delete the role if nobody knows it",
        doc=DOC,
    ),
    Check(
        "role-trusts-foreign-account",
        "roles",
        "medium",
        "An IAM role can be assumed from an AWS account that is neither this one nor in auditTrustedAccounts",
        remediation="remove that account from the role's trust policy, or list it in iam-matrix:auditTrustedAccounts "
        "if it is your organization's",
        doc=DOC,
    ),
)

WORSE: dict[str, Severity] = {"medium": "high", "high": "critical"}


def _document(value: Any) -> Any:
    """A trust policy as boto3 returns it (decoded) or as IAM sends it (URL-encoded JSON)."""
    try:
        return api_document(value)
    except ValueError:
        return None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows_assume(statement: Mapping[str, Any]) -> bool:
    """The statement allows one of the ``sts:AssumeRole*`` calls (wildcards and NotAction read as IAM does)."""
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        excluded = [str(a).lower() for a in _listed(statement["NotAction"])]
        return not all(any(fnmatch.fnmatchcase(call, p) for p in excluded) for call in ASSUME_ACTIONS)
    patterns = [str(a).lower() for a in _listed(statement.get("Action", []))]
    return any(fnmatch.fnmatchcase(call, p) for call in ASSUME_ACTIONS for p in patterns)


def _account(principal: str) -> str | None:
    """The account a principal value names: 12 digits, ``*`` for any, None for a unique id
    (AROA...: what IAM shows once the trusted role is deleted; nobody can assume through it)."""
    if principal == "*":
        return "*"
    if ACCOUNT_ID.fullmatch(principal):
        return principal
    found = ARN_ACCOUNT.fullmatch(principal)
    return found.group(1) if found else None


def _condition_keys(statement: Mapping[str, Any]) -> list[str]:
    conditions = statement.get("Condition")
    if not isinstance(conditions, Mapping):
        return []
    return sorted({str(k) for block in conditions.values() if isinstance(block, Mapping) for k in block})


def _github_sub_open(statement: Mapping[str, Any]) -> bool:
    """GitHub's provider trusted with no condition pinning ``sub`` to a repository: any workflow
    of any repository on GitHub gets a token for it."""
    conditions = statement.get("Condition")
    pinned: list[str] = []
    if isinstance(conditions, Mapping):
        for block in conditions.values():
            if isinstance(block, Mapping):
                for key, values in block.items():
                    if str(key).lower() == f"{GITHUB_OIDC}:sub":
                        pinned += [str(v) for v in _listed(values)]
    return not pinned or any(v == "*" or v.startswith(("repo:*", "*")) for v in pinned)


def trust_of(
    role: Mapping[str, Any], account_id: str, trusted: Iterable[str]
) -> tuple[list[str], list[str], list[str]]:
    """(principals anyone can use without a condition, ... with one, principals of foreign accounts)
    of one role's trust policy, each as text for the finding."""
    allowed = {account_id, *trusted}
    open_, conditioned, foreign = [], [], []
    document = _document(role.get("AssumeRolePolicyDocument"))
    statements = document.get("Statement", []) if isinstance(document, Mapping) else []
    for statement in _listed(statements):
        if not isinstance(statement, Mapping) or not _allows_assume(statement):
            continue
        keys = _condition_keys(statement)
        anyone: list[str] = []
        if "NotPrincipal" in statement:
            anyone.append(f"everyone but {json.dumps(statement['NotPrincipal'], sort_keys=True)} (NotPrincipal)")
        principal = statement.get("Principal")
        if principal == "*":
            anyone.append("* (any AWS principal)")
        elif isinstance(principal, Mapping):
            for kind, values in principal.items():
                for value in (str(v) for v in _listed(values)):
                    if kind == "Service":
                        continue
                    account = _account(value)
                    if kind == "Federated":
                        provider = value.rsplit("/", 1)[-1] if account else value
                        if account not in (None, *allowed) and account != "*":
                            foreign.append(f"{value} (identity provider of account {account})")
                        elif provider == GITHUB_OIDC and _github_sub_open(statement):  # aud alone narrows nothing
                            open_.append(f"{value} (any GitHub repository: no condition pins {GITHUB_OIDC}:sub)")
                        elif not keys:
                            anyone.append(f"{value} (any of its users: no condition)")
                    elif account == "*":
                        anyone.append(f"{value} (any AWS principal)")
                    elif account is not None and account not in allowed:
                        foreign.append(value)
        if anyone and keys:
            conditioned += [f"{p}, if the conditions on {', '.join(keys)} allow it" for p in anyone]
        else:
            open_ += anyone
    return open_, conditioned, foreign


def role_trust_findings(roles: Iterable[Mapping[str, Any]], account_id: str, trusted: Iterable[str]) -> list[Finding]:
    """One finding per role and kind: who outside the account (or anyone) may assume it."""
    trusted = tuple(trusted)
    out: list[Finding] = []
    for role in roles:
        name = str(role.get("RoleName", "?"))
        open_, conditioned, foreign = trust_of(role, account_id, trusted)
        if not (open_ or conditioned or foreign):
            continue
        attached = [str(p.get("PolicyName", "")) for p in role.get("AttachedManagedPolicies", []) or []]
        admin = any(p.get("PolicyArn") == ADMIN_POLICY_ARN for p in role.get("AttachedManagedPolicies", []) or [])
        holding = f"; it has {', '.join(attached)}" if attached else ""
        fix = f"aws iam update-assume-role-policy --role-name {shell_word(name)} --policy-document file://trust.json"
        details = {"role": name, "path": role.get("Path", "/"), "attached": attached}
        if open_ or conditioned:
            severity: Severity = "high" if open_ else "medium"
            out.append(
                Finding(
                    "role-trusts-anyone",
                    f"role/{name}",
                    f"role {name} can be assumed by {'; '.join(open_ + conditioned)}{holding}",
                    f"remove these principals from the trust policy ({fix}) or delete the role if nobody needs it",
                    severity=WORSE[severity] if admin else severity,
                    details={**details, "principals": open_ + conditioned, "conditioned": bool(conditioned)},
                )
            )
        if foreign:
            accounts = sorted({a for p in foreign if (a := _account(p.split(" ")[0]))})
            out.append(
                Finding(
                    "role-trusts-foreign-account",
                    f"role/{name}",
                    f"role {name} can be assumed from account(s) {', '.join(accounts)} "
                    f"({'; '.join(foreign)}), not this account nor auditTrustedAccounts{holding}",
                    f"if the access is not yours to give, remove these principals ({fix}) or delete the role; "
                    f"if the accounts are your organization's, list them in iam-matrix:auditTrustedAccounts",
                    severity="high" if admin else "medium",
                    details={**details, "principals": foreign, "accounts": accounts},
                )
            )
    return out


def _run(given: AuditInput) -> list[Finding]:
    trusted = given.desired.role_trust.trusted_accounts
    return role_trust_findings(given.snapshot.roles, given.snapshot.account_id, trusted)


AREA = Area("roles", CHECKS, _run)
