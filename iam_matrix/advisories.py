"""Advisory rules: warnings about a matrix that is valid but probably not what was meant.

Each rule is a small function of the resolved matrices that yields warnings with one code
of ``problem_codes`` (a warning never stops a deployment, and a stack may suppress a code
with ``iam-matrix:suppressWarnings``). A new rule is one function here plus one line in
``RULES``.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Callable, Collection, Iterator

from .catalog import ADMIN_POLICY_ARN, Catalog
from .policy_documents import denies_without_mfa, source_ip_allow_list
from .problem_codes import CODES
from .problems import Location, Problem, Problems
from .resolve import Resolved
from .settings import Settings


def advice(location: Location, code: str, message: str, fix: str) -> Problem:
    return Problem(location, code, message, fix, "warning")


Rule = Callable[[Resolved, Catalog], Iterator[Problem]]


def user_without_role(resolved: Resolved, catalog: Catalog) -> Iterator[Problem]:
    for row in resolved.user_rows:
        if not row.roles:
            yield advice(
                resolved.users.key_location(row),
                "user-no-role",
                f"user {row.key!r} has no role: they can sign in but may do nothing",
                "mark a role, or delete the row if the user is no longer needed",
            )


def service_role_policy_for_people(resolved: Resolved, catalog: Catalog) -> Iterator[Problem]:
    for row in resolved.policies.rows:
        ref = resolved.ref(row)
        if ref is None or not row.roles or ref.kind != "aws" or "/service-role/" not in ref.arn:
            continue
        roles = ", ".join(r for r in row.roles if r in resolved.role_policies)
        yield advice(
            resolved.policies.key_location(row),
            "policy-service-role",
            f"{ref.name} is a service-role policy meant for an AWS service, attached here to people ({roles}); "
            "such policies often grant iam:PassRole or broad service access",
            "attach it to the service's IAM role instead, or accept it knowingly",
        )


def redundant_beside_admin(resolved: Resolved, catalog: Catalog) -> Iterator[Problem]:
    for role, attached in resolved.role_policies.items():
        if not any(p.arn == ADMIN_POLICY_ARN for p in attached):
            continue
        for row in resolved.policies.rows:
            ref = resolved.ref(row)
            if (
                ref is not None
                and role in row.roles
                and ref.arn != ADMIN_POLICY_ARN
                and ref.grants
                and ref.kind != "arn"
            ):
                yield advice(
                    resolved.policies.mark_location(row, role),
                    "policy-redundant",
                    f"{ref.name} adds nothing to {role}: the role already has AdministratorAccess",
                    "remove the mark (it also uses up one of the group's policy slots)",
                )


def mfa_lockout(resolved: Resolved, catalog: Catalog) -> Iterator[Problem]:
    forcing = {name for name, policy in resolved.custom.items() if denies_without_mfa(policy.document)}
    forced_roles = {
        role
        for role, refs in resolved.role_policies.items()
        if any(r.kind == "custom" and r.name in forcing for r in refs)
    }
    for row in resolved.user_rows:
        hit = [r for r in row.roles if r in forced_roles]
        if hit and not row.mfa:
            yield advice(
                resolved.users.mfa_location(row),
                "mfa-lockout",
                f"{row.key} is not marked for MFA but {', '.join(hit)} gets an MFA-forcing "
                "policy: they can do nothing but enrol an MFA device until they do",
                "put Y in the MFA column (and make sure they enrol), or accept it knowingly",
            )


def role_without_policy(resolved: Resolved, catalog: Catalog) -> Iterator[Problem]:
    for role in sorted(resolved.roles, key=str.lower):
        if not resolved.role_policies[role]:
            yield advice(
                resolved.policies.role_location(role),
                "role-no-policy",
                f"role {role} gets no policy: its members may do nothing through it",
                "mark the policies this role needs, or remove the role column from both matrices",
            )


def _attached_custom(resolved: Resolved) -> set[str]:
    return {ref.name for refs in resolved.role_policies.values() for ref in refs if ref.kind == "custom"}


def unused_custom_policy(resolved: Resolved, catalog: Catalog) -> Iterator[Problem]:
    used = _attached_custom(resolved)
    for name, policy in sorted(resolved.custom.items(), key=lambda item: item[0].lower()):
        if name not in used:
            yield advice(
                Location(policy.source),
                "policy-unused",
                f"custom policy {name} is created in the account but no role gets it",
                "mark it for a role in the policy matrix, or delete the file if it is no longer needed",
            )


def open_network_allow_list(resolved: Resolved, catalog: Catalog) -> Iterator[Problem]:
    """A source-IP guardrail whose allow-list holds 0.0.0.0/0 or ::/0 denies nothing from
    that address family: the guardrail is there in name only."""
    used = _attached_custom(resolved)
    for name, policy in sorted(resolved.custom.items(), key=lambda item: item[0].lower()):
        everything = sorted(
            {str(cidr).strip() for cidr in source_ip_allow_list(policy.document) or () if _is_everything(cidr)}
        )
        if name in used and everything:
            families = "IPv4 and IPv6" if len(everything) == 2 else "IPv6" if ":" in everything[0] else "IPv4"
            yield advice(
                Location(resolved.config_file or policy.source, None, "iam-matrix:allowedCidrs"),
                "cidr-allows-all",
                f"{' and '.join(everything)} allows every {families} address, so {name} denies no {families} request: "
                f"{'' if len(everything) == 2 else 'for those requests '}the guardrail is a no-op",
                "list only your office and VPN networks; if no network "
                "restriction is wanted, take the policy off the roles instead",
            )


def _is_everything(cidr: object) -> bool:
    try:
        return ipaddress.ip_network(str(cidr).strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


RULES: tuple[Rule, ...] = (
    user_without_role,
    unused_custom_policy,
    open_network_allow_list,
    service_role_policy_for_people,
    redundant_beside_admin,
    mfa_lockout,
    role_without_policy,
)


def advise(
    resolved: Resolved,
    catalog: Catalog,
    problems: Problems,
    suppressed: Collection[str] = (),
    rules: tuple[Rule, ...] = RULES,
) -> int:
    """Add every rule's warnings to ``problems``, except codes the stack suppresses; the
    number suppressed is returned so ``validate`` can say so."""
    dropped = 0
    for rule in rules:
        for found in rule(resolved, catalog):
            if found.code in suppressed:
                dropped += 1
                continue
            problems.warning(found.location, found.code, found.message, found.fix)
    return dropped


def suppressed_codes(settings: Settings, problems: Problems) -> frozenset[str]:
    """The warning codes ``iam-matrix:suppressWarnings`` names; an unknown code or an error's
    code is itself an error (errors are never suppressed)."""
    codes: set[str] = set()
    for code in settings.value("suppressWarnings") or []:
        entry = CODES.get(code)
        if entry is None:
            close = difflib.get_close_matches(code, [c.code for c in CODES.values() if c.severity == "warning"], n=1)
            hint = f"did you mean {close[0]!r}?" if close else "use a warning code from docs/problem-codes.md"
            problems.error(
                settings.location("suppressWarnings"), "config-suppress", f"{code!r} is not a problem code", hint
            )
        elif entry.severity != "warning":
            problems.error(
                settings.location("suppressWarnings"),
                "config-suppress",
                f"{code!r} is an error and cannot be suppressed",
                "fix the input it points at; only warnings may be suppressed",
            )
        else:
            codes.add(code)
    return frozenset(codes)
