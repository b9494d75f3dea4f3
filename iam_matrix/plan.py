"""Planning: resolved rows -> the groups, roles and users of the desired state.

A pure function of what ``resolve`` found and the stack's limits: each role becomes a bundle
of groups (``bundles``), each user is put in every group of each of their roles. Plans IAM
would refuse (too many groups, clashing bundle names, guardrails that do not fit) are errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import iam_rules
from .bundles import bundle_group_name, split_policies
from .desired import Group, Role, User, derive_roles
from .problems import Location, Problems
from .resolve import Resolved
from .settings import Settings


@dataclass(frozen=True)
class Limits:
    """The stack's quotas and where groups live (config keys of the same names)."""

    group_path: str
    max_policies_per_group: int
    max_groups_per_account: int
    max_customer_managed_policies: int
    policies_dir: str  # for the location of quota-policies

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        value = settings.value
        return cls(
            value("groupPath"),
            value("maxPoliciesPerGroup"),
            value("maxGroupsPerAccount"),
            value("maxCustomerManagedPolicies"),
            value("policiesDir"),
        )


@dataclass(frozen=True)
class Planned:
    """The planned facts; ``roles`` is the same derived view the DesiredState gives."""

    groups: tuple[Group, ...]
    users: tuple[User, ...]

    @property
    def roles(self) -> tuple[Role, ...]:
        return derive_roles(self.groups, self.users)


def plan(resolved: Resolved, limits: Limits, problems: Problems) -> Planned:
    groups, role_groups = plan_bundles(resolved, limits, problems)
    users = plan_users(resolved, role_groups, problems)
    check_account_quotas(resolved, groups, limits, problems)
    return Planned(tuple(groups), users)


def plan_bundles(resolved: Resolved, limits: Limits, problems: Problems) -> tuple[list[Group], dict[str, list[str]]]:
    """Each role's bundle of groups; ``role_groups`` maps a role to its group names."""
    policies = resolved.policies
    quota = limits.max_policies_per_group
    groups: list[Group] = []
    role_groups: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for role in sorted(resolved.roles, key=str.lower):
        attached = resolved.role_policies[role]
        guardrails = [p for p in attached if p.guardrail]
        if len(guardrails) > quota:
            problems.error(
                policies.role_location(role),
                "quota-guardrails",
                f"{role} gets {len(guardrails)} /foundation/ guardrail policies; "
                f"they must share the role's first group, which holds {quota}",
                "merge guardrail documents or raise iam-matrix:maxPoliciesPerGroup "
                "(IAM allows up to 20 after a quota increase)",
            )
            continue
        for index, chunk in enumerate(split_policies(attached, quota), 1):
            name = bundle_group_name(role, index)
            for message, fix in iam_rules.check_group_name(name):
                if index > 1:
                    problems.error(
                        policies.role_location(role),
                        "group-name",
                        f"bundle group {message}",
                        f"{fix}; shorten the role name",
                    )
            clash = names.get(name.lower())
            if clash is not None:
                problems.error(
                    policies.role_location(role),
                    "group-clash",
                    f"the bundle of {role} needs a group named {name!r}, which is also the group of role {clash!r}",
                    "rename one of the roles",
                )
                continue
            names[name.lower()] = role
            groups.append(Group(name, role, index, limits.group_path, chunk))
            role_groups.setdefault(role, []).append(name)
    return groups, role_groups


def plan_users(resolved: Resolved, role_groups: dict[str, list[str]], problems: Problems) -> tuple[User, ...]:
    users = resolved.users
    source = str(users.table.location())
    out: list[User] = []
    for row in sorted(resolved.user_rows, key=lambda r: r.key.lower()):
        groups = tuple(g for role in sorted(row.roles, key=str.lower) for g in role_groups.get(role, ()))
        if len(groups) > iam_rules.MAX_GROUPS_PER_USER:
            problems.error(
                users.key_location(row),
                "quota-groups-per-user",
                f"{row.key} would be in {len(groups)} groups "
                f"({', '.join(groups)}); IAM allows {iam_rules.MAX_GROUPS_PER_USER}",
                "give the user fewer roles, or raise iam-matrix:maxPoliciesPerGroup "
                "(after an IAM quota increase) so bundles need fewer groups",
            )
        out.append(User(row.key, row.mfa, tuple(sorted(row.roles, key=str.lower)), source))
    return tuple(out)


def check_account_quotas(resolved: Resolved, groups: list[Group], limits: Limits, problems: Problems) -> None:
    if len(groups) > limits.max_groups_per_account:
        problems.error(
            resolved.users.table.location(),
            "quota-groups",
            f"the matrix needs {len(groups)} groups; the account allows {limits.max_groups_per_account}",
            "request a higher 'Groups per account' quota and raise iam-matrix:maxGroupsPerAccount, or merge roles",
        )
    if len(resolved.custom) > limits.max_customer_managed_policies:
        problems.error(
            Location(limits.policies_dir),
            "quota-policies",
            f"{len(resolved.custom)} custom policies; the account allows {limits.max_customer_managed_policies}",
            "merge policies or raise iam-matrix:maxCustomerManagedPolicies after a quota increase",
        )
