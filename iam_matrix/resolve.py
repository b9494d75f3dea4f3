"""Resolving: the stack's input files -> resolved rows and policies.

Reads the two matrices (workbook or CSV files) and the custom policy documents, matches the
role columns of both matrices, keeps one row per user and resolves every policy row to
exactly one policy (custom, AWS managed or given as an ARN). Only errors are reported here;
warnings about a valid matrix are advisories (``advisories``), the groups are planned by
``plan``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from . import iam_rules
from .catalog import Catalog, ManagedPolicy
from .desired import ACCOUNT_PLACEHOLDER, CustomPolicy, PolicyRef
from .matrices import Matrix, MatrixRow, parse_matrix
from .policy_documents import discover, fill_document, has_deny
from .problems import Location, Problems
from .settings import Settings
from .sheets import POLICIES_SHEET, USERS_SHEET, Table, read_csv, read_workbook


@dataclass(frozen=True)
class Resolved:
    """What the matrices say, every name and policy checked, nothing planned yet."""

    users: Matrix
    policies: Matrix
    roles: list[str]  # role columns found in both matrices, in user-matrix order
    user_rows: list[MatrixRow]  # one row per user (duplicates dropped)
    refs: dict[int, PolicyRef]  # policy-matrix sheet row -> its policy (rows that resolved, once each)
    role_policies: dict[str, list[PolicyRef]]  # role -> its policies, in policy-matrix order
    custom: dict[str, CustomPolicy]  # every custom policy document of policies/, by name
    config_file: str = ""  # the stack file, where config problems are located

    def ref(self, row: MatrixRow) -> PolicyRef | None:
        return self.refs.get(row.row)


def resolve(settings: Settings, catalog: Catalog, problems: Problems) -> Resolved | None:
    """The resolved matrices, or None when a matrix could not be read at all."""
    users_table, policies_table = load_tables(settings, problems)
    custom, unusable = custom_policies(settings, problems)
    check_paths(settings, problems)
    quota = iam_rules.MAX_USERS_PER_ACCOUNT
    users = parse_matrix(users_table, "user", problems, quota) if users_table is not None else None
    policies = parse_matrix(policies_table, "policy", problems) if policies_table is not None else None
    if users is not None and users.over_quota_row is not None:  # over the quota: its rows were not read
        problems.error(
            users.table.location(users.over_quota_row, users.key_col),
            "quota-users",
            f"the matrix names more than {quota:,} users (user {quota + 1:,} is here; the sheet has "
            f"{users.table.cells.shape[0]:,} rows); IAM allows {quota:,} per account, so the rest is not checked",
            QUOTA_USERS_FIX,
        )
        return None
    if users is None or policies is None:
        return None
    roles = matched_roles(users, policies, problems)
    check_admin_roles(settings, roles, problems)
    user_rows = unique_users(users, problems)
    if not user_rows and not settings.value("confirmUserRemoval"):
        problems.error(
            users.table.location(),
            "config-user-removal",
            "the user matrix has a header but no users: the next up would delete every user of the stack",
            "restore the rows (a truncated export?), or set iam-matrix:confirmUserRemoval: true for this one change",
        )
    refs = PolicyResolver(settings, catalog, custom, problems, unusable).resolve_rows(policies)
    role_policies: dict[str, list[PolicyRef]] = {role: [] for role in roles}
    for row in policies.rows:
        if row.row in refs:
            for role in row.roles:
                if role in role_policies:
                    role_policies[role].append(refs[row.row])
    return Resolved(users, policies, roles, user_rows, refs, role_policies, custom, settings.config_file)


def load_tables(settings: Settings, problems: Problems) -> tuple[Table | None, Table | None]:
    """The user and policy tables of a stack, from its workbook or its two CSV files."""
    workbook = settings.workbook
    if workbook is not None:
        tables = read_workbook(workbook, problems)
        return tables.get(USERS_SHEET), tables.get(POLICIES_SHEET)
    return read_csv(settings.users_file, problems), read_csv(settings.policies_file, problems)


def custom_policies(settings: Settings, problems: Problems) -> tuple[dict[str, CustomPolicy], set[str] | None]:
    """Every usable document of policies/, filled in with the stack's config values, and the
    names of the documents that are not usable (their problems are recorded) - None when the
    folder could not be walked at all, so any name may be one of its policies."""
    files = discover(settings.policies_dir, problems)
    found: dict[str, CustomPolicy] = {}
    for name, policy_file in (files or {}).items():
        document = fill_document(policy_file, settings.values, problems, settings.config_file)
        if document is not None:
            found[name] = CustomPolicy(name, policy_file.path, document, policy_file.display)
    return found, None if files is None else set(files) - set(found)


def check_paths(settings: Settings, problems: Problems) -> None:
    for key in ("groupPath", "userPath"):
        for message, fix in iam_rules.check_path(settings.value(key)):
            problems.error(settings.location(key), "config-path", message, fix)


def check_admin_roles(settings: Settings, roles: list[str], problems: Problems) -> None:
    """adminRoles names roles of this matrix: a typo would make the guardrails and the diff
    watch a role that does not exist."""
    for admin in settings.value("adminRoles") or ():
        if admin not in roles:
            close = difflib.get_close_matches(admin, roles, n=1, cutoff=0.6)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"list role columns of the matrices ({', '.join(roles[:8]) or 'none yet'})"
            )
            problems.error(
                settings.location("adminRoles"),
                "config-admin-role",
                f"adminRoles names {admin!r}, which is not a role of the matrix",
                f"{hint}; the guardrails and the diff compare role names exactly",
            )


MAX_SUGGESTION_PAIRS = 10_000  # name comparisons for "did you mean" (a 16,000-column header must not take minutes)


def matched_roles(users: Matrix, policies: Matrix, problems: Problems) -> list[str]:
    """Role columns present in both matrices (each unmatched one is an error) with valid names."""
    for here, there in ((users, policies), (policies, users)):
        unmatched = [role for role in here.role_cols if role not in there.role_cols]
        candidates = list(there.role_cols) if len(unmatched) * len(there.role_cols) <= MAX_SUGGESTION_PAIRS else []
        for role in unmatched:
            close = difflib.get_close_matches(role, candidates, n=1, cutoff=0.6) if candidates else []
            if close:
                hint = (
                    f"rename it to {close[0]!r} to match "
                    f"{there.table.location(there.header_row, there.role_cols[close[0]])}"
                )
            else:
                hint = f"add a {role!r} column to {there.table.location()}"
            problems.error(
                here.role_location(role),
                "role-unmatched",
                f"role column {role!r} is not in the {there.kind} matrix",
                f"{hint}; role columns are matched by name",
            )
    roles = [r for r in users.role_cols if r in policies.role_cols]
    for role in roles:
        for message, fix in iam_rules.check_group_name(role):
            problems.error(
                users.role_location(role), "role-name", message, f"{fix}; the role name becomes the IAM group name"
            )
    return roles


def unique_users(users: Matrix, problems: Problems) -> list[MatrixRow]:
    """One row per user with a valid IAM user name; duplicates (case-insensitive) are errors."""
    seen: dict[str, MatrixRow] = {}
    kept: list[MatrixRow] = []
    for row in users.rows:
        where = users.key_location(row)
        for message, fix in iam_rules.check_user_name(row.key):
            problems.error(where, "user-name", message, fix)
        first = seen.get(row.key.lower())
        if first is not None:
            problems.error(
                where,
                "user-duplicate",
                f"user {row.key!r} is already listed at "
                f"{users.key_location(first).cell} (IAM user names are case-insensitive)",
                "keep one row per user and merge their marks",
            )
            continue
        seen[row.key.lower()] = row
        kept.append(row)
    if len(kept) > iam_rules.MAX_USERS_PER_ACCOUNT:
        problems.error(
            users.table.location(),
            "quota-users",
            f"{len(kept):,} users; IAM allows {iam_rules.MAX_USERS_PER_ACCOUNT:,} per account",
            QUOTA_USERS_FIX,
        )
    return kept


QUOTA_USERS_FIX = "move people to IAM Identity Center or split them over accounts"


class PolicyResolver:
    """Policy-matrix rows -> exactly one policy each: custom first, then an ARN, then an AWS
    managed policy name from the catalog."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        custom: dict[str, CustomPolicy],
        problems: Problems,
        unusable: set[str] | None = frozenset(),
    ):
        self.settings = settings
        self.catalog = catalog
        self.custom = custom
        self.problems = problems
        self.unusable = unusable  # custom documents already reported at their file; None: the folder was not walked

    def resolve_rows(self, policies: Matrix) -> dict[int, PolicyRef]:
        refs: dict[int, PolicyRef] = {}
        seen: dict[str, MatrixRow] = {}
        for row in policies.rows:
            where = policies.key_location(row)
            ref = self.resolve(row.key, where)
            if ref is None:
                continue
            first = seen.get(ref.arn.lower())
            if first is not None:
                self.problems.error(
                    where,
                    "policy-duplicate",
                    f"policy {row.key!r} is already listed at {policies.key_location(first).cell}",
                    "keep one row per policy and merge their marks",
                )
                continue
            seen[ref.arn.lower()] = row
            refs[row.row] = ref
        return refs

    def resolve(self, name: str, where: Location) -> PolicyRef | None:
        if self.unusable is not None and name in self.unusable:
            return None  # reported once, at the file: not again as "no such policy" at every row
        if name in self.custom and self.catalog.get(name) is not None:
            managed, custom = self.catalog.get(name), self.custom[name]
            self.problems.error(
                where,
                "policy-shadowed",
                f"{name!r} names both the AWS managed policy {managed.arn} and the custom policy {custom.source}",
                f"rename {custom.source} (custom policy names must not be AWS managed "
                f"policy names), or write the ARN {managed.arn} for the AWS one",
            )
            return None
        if name in self.custom:
            return self._custom_ref(self.custom[name])
        if name.startswith("arn:"):
            return self._arn_ref(name, where)
        managed = self.catalog.get(name)
        if managed is not None:
            return self._managed_ref(managed, where)
        if self.unusable is None:
            return None  # the policy folder's problem is reported; "no such policy" could be wrong
        suggestion = self.catalog.suggest(name, extra=list(self.custom))
        folder = self.settings.value("policiesDir")
        hint = (
            f"did you mean {suggestion!r}?"
            if suggestion
            else f"use an AWS managed policy name, a full policy ARN, or add {folder}/<path>/{name}.json"
        )
        self.problems.error(
            where, "policy-unknown", f"{name!r} is not an AWS managed policy, nor a custom policy in {folder}/", hint
        )
        return None

    def _custom_ref(self, policy: CustomPolicy) -> PolicyRef:
        account = self.settings.account_id
        arn = policy.arn.replace(ACCOUNT_PLACEHOLDER, account) if account else policy.arn
        return PolicyRef(
            policy.name, arn, "custom", guardrail=policy.path == "/foundation/", grants=not has_deny(policy.document)
        )

    def _arn_ref(self, name: str, where: Location) -> PolicyRef | None:
        match = iam_rules.POLICY_ARN.fullmatch(name)
        if not match:
            self.problems.error(
                where,
                "policy-arn",
                f"{name!r} is not a valid IAM policy ARN",
                "write arn:aws:iam::<account-id or aws>:policy/<path/>Name",
            )
            return None
        if not name.startswith("arn:aws:iam::"):  # the catalog and the deploy are the commercial partition's
            self.problems.error(
                where,
                "policy-foreign-arn",
                f"{name!r} is in another partition than this stack's (aws)",
                "write the arn:aws:iam::... ARN of the policy in this partition",
            )
            return None
        account = self.settings.account_id
        if match.group(1) != "aws":
            if account and match.group(1) != account:
                self.problems.error(
                    where,
                    "policy-foreign-arn",
                    f"{name!r} belongs to account {match.group(1)}, not this stack's account {account}",
                    "a group can only be given policies of its own account: copy "
                    "the document into policies/, or use the ARN in this account",
                )
                return None
            return PolicyRef(match.group(3), name, "arn")
        managed = self.catalog.by_arn.get(name)
        if managed is None:
            known = self.catalog.get(match.group(3))
            hint = (
                f"the ARN of {match.group(3)} is {known.arn}"
                if known
                else "check the name in the AWS managed policy list"
            )
            self.problems.error(where, "policy-unknown", f"{name} is not an AWS managed policy ARN", hint)
            return None
        return self._managed_ref(managed, where)

    def _managed_ref(self, managed: ManagedPolicy, where: Location) -> PolicyRef | None:
        if managed.path == "/aws-service-role/":
            self.problems.error(
                where,
                "policy-service-linked",
                f"{managed.name} is a service-linked role policy ({managed.arn}); IAM refuses to attach it to groups",
                "remove the row; AWS attaches it to its service-linked role itself",
            )
            return None
        if managed.deprecated:  # IAM refuses to attach it to a new group: pulumi up would fail
            replacement = (
                f"use {managed.replaced_by} instead"
                if managed.replaced_by
                else "choose its replacement from the AWS documentation"
            )
            self.problems.error(
                where,
                "policy-deprecated",
                f"{managed.name} is deprecated by AWS and can no longer be attached to new groups",
                replacement,
            )
            return None
        return PolicyRef(managed.name, managed.arn, "aws", grants="Deny" not in managed.name)
