"""load -> validate -> plan: compile the matrix files of one stack into a DesiredState.

``check`` returns every problem found (errors and warnings) and the state when there are
no errors; ``compile_state`` raises ``MatrixInvalid`` instead. Nothing here talks to AWS.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from . import iam_rules
from .access_log_options import AccessLogOptions
from .audit_baseline import BaselineOptions
from .bundles import bundle_group_name, split_policies
from .catalog import ADMIN_POLICY_ARN, Catalog, load_catalog
from .desired import ACCOUNT_PLACEHOLDER, CustomPolicy, DesiredState, Group, PolicyRef, Role, User
from .matrices import Matrix, MatrixRow, parse_matrix
from .policy_documents import denies_without_mfa, discover, has_deny, render
from .problems import Location, MatrixInvalid, Problem, Problems, Severities
from .project_files import check_inputs
from .settings import Settings
from .sheets import POLICIES_SHEET, USERS_SHEET, Table, read_csv, read_workbook


@dataclass
class CompileResult(Severities):
    state: DesiredState | None
    items: list[Problem]

    @property
    def problems(self) -> list[Problem]:
        return self.items


def compile_state(settings: Settings, catalog: Catalog | None = None) -> DesiredState:
    result = check(settings, catalog)
    if result.state is None:
        raise MatrixInvalid(result.problems)
    return result.state


def check(settings: Settings, catalog: Catalog | None = None) -> CompileResult:
    problems = Problems(list(settings.problems))  # config problems, reported with the matrix's
    state = _Compiler(settings, catalog or load_catalog(), problems).run()
    ordered = sorted(problems.items, key=lambda p: (p.severity != "error", _sort_key(p.location)))
    return CompileResult(None if problems.errors else state, ordered)


def _sort_key(location: Location) -> tuple:
    cell = location.cell or ""
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (location.file, location.sheet or "", int(digits) if digits and len(letters) + len(digits) == len(cell) else 0, len(letters), letters, cell)


def load_tables(settings: Settings, problems: Problems) -> tuple[Table | None, Table | None]:
    """The user and policy tables of a stack, from its workbook or its two CSV files."""
    workbook = settings.workbook
    if workbook is not None:
        tables = read_workbook(workbook, problems)
        return tables.get(USERS_SHEET), tables.get(POLICIES_SHEET)
    return read_csv(settings.users_file, problems), read_csv(settings.policies_file, problems)


class _Compiler:
    def __init__(self, settings: Settings, catalog: Catalog, problems: Problems):
        self.settings = settings
        self.catalog = catalog
        self.problems = problems
        self.quota = settings.value("maxPoliciesPerGroup")
        self.broken: set[str] = set()
        self.folder_unreadable = False

    def run(self) -> DesiredState | None:
        baseline = BaselineOptions.read(self.settings, self.problems)
        access_log = AccessLogOptions.read(self.settings, self.problems)
        if not check_inputs(self.settings.project_dir, self.settings.values, self.settings.location, self.problems):
            return None  # nothing is opened through a symlink or outside the project
        users_table, policies_table = load_tables(self.settings, self.problems)
        custom = self._custom_policies()
        users = parse_matrix(users_table, "user", self.problems) if users_table is not None else None
        policies = parse_matrix(policies_table, "policy", self.problems) if policies_table is not None else None
        if users is None or policies is None:
            return None
        roles = self._reconcile_roles(users, policies)
        user_rows = self._check_users(users)
        refs = self._resolve_policies(policies, custom)
        role_policies: dict[str, list[PolicyRef]] = {role: [] for role in roles}
        for row in policies.rows:
            if id(row) in refs:
                for role in row.roles:
                    if role in role_policies:
                        role_policies[role].append(refs[id(row)])
        self._check_attachments(policies, refs, role_policies)
        role_members = self._members(roles, user_rows)
        self._check_mfa_lockout(users, user_rows, role_policies, custom)
        groups, role_groups = self._plan_bundles(roles, role_policies, role_members, policies)
        user_objects = self._users(users, user_rows, role_groups)
        self._check_account_quotas(users, groups, custom)
        ordered_roles = tuple(Role(r, tuple(role_groups.get(r, ())), tuple(p for g in groups if g.role == r for p in g.policies), tuple(role_members[r])) for r in sorted(roles, key=str.lower))
        state = DesiredState(
            stack=self.settings.stack,
            account_id=self.settings.account_id,
            user_path=self.settings.value("userPath"),
            manage_users=self.settings.value("manageUsers"),
            roles=ordered_roles,
            groups=tuple(groups),
            users=tuple(user_objects),
            policies=tuple(sorted(custom.values(), key=lambda p: p.name.lower())),
            password_policy=self.settings.password_policy,
            tags=dict(self.settings.tags),
            warnings=tuple(self.problems.warnings),
            audit_baseline=baseline,
            access_log=access_log,
        )
        return state

    # --- custom policies -------------------------------------------------
    def _custom_policies(self) -> dict[str, CustomPolicy]:
        files = discover(self.settings.policies_dir, self.problems)
        self.folder_unreadable = files is None  # then a row's name may be a policy we could not look at
        files = files or {}
        rendered: dict[str, CustomPolicy] = {}
        for name, policy_file in files.items():
            document = render(policy_file, self.settings.values, self.problems, self.settings.config_file)
            if document is not None:
                rendered[name] = CustomPolicy(name, policy_file.path, document, policy_file.display)
        self.broken = set(files) - set(rendered)  # reported once, at the file; rows naming them say nothing more
        for key in ("groupPath", "userPath"):
            for message, fix in iam_rules.check_path(self.settings.value(key)):
                self.problems.error(self.settings.location(key), "config-path", message, fix)
        return rendered

    # --- roles -----------------------------------------------------------
    def _reconcile_roles(self, users: Matrix, policies: Matrix) -> list[str]:
        for here, there in ((users, policies), (policies, users)):
            for role in here.role_cols:
                if role not in there.role_cols:
                    close = difflib.get_close_matches(role, list(there.role_cols), n=1, cutoff=0.6)
                    hint = f"rename it to {close[0]!r} to match {there.table.location(there.header_row, there.role_cols[close[0]])}" if close else f"add a {role!r} column to {there.table.location()}"
                    self.problems.error(here.role_location(role), "role-unmatched", f"role column {role!r} is not in the {there.kind} matrix", f"{hint}; role columns are matched by name")
        roles = [r for r in users.role_cols if r in policies.role_cols]
        for role in roles:
            for message, fix in iam_rules.check_group_name(role):
                self.problems.error(users.role_location(role), "role-name", message, f"{fix}; the role name becomes the IAM group name")
        return roles

    # --- users -----------------------------------------------------------
    def _check_users(self, users: Matrix) -> list[MatrixRow]:
        seen: dict[str, MatrixRow] = {}
        kept: list[MatrixRow] = []
        for row in users.rows:
            where = users.key_location(row)
            for message, fix in iam_rules.check_user_name(row.key):
                self.problems.error(where, "user-name", message, fix)
            first = seen.get(row.key.lower())
            if first is not None:
                self.problems.error(where, "user-duplicate", f"user {row.key!r} is already listed at {users.key_location(first).cell} (IAM user names are case-insensitive)", "keep one row per user and merge their marks")
                continue
            seen[row.key.lower()] = row
            kept.append(row)
            if not row.roles:
                self.problems.warning(where, "user-no-role", f"user {row.key!r} has no role: they can sign in but may do nothing", "mark a role, or delete the row if the user is no longer needed")
        if len(kept) > iam_rules.MAX_USERS_PER_ACCOUNT:
            self.problems.error(users.table.location(), "quota-users", f"{len(kept)} users; IAM allows {iam_rules.MAX_USERS_PER_ACCOUNT} per account", "move people to IAM Identity Center or split them over accounts")
        return kept

    @staticmethod
    def _members(roles: list[str], rows: list[MatrixRow]) -> dict[str, list[str]]:
        members: dict[str, list[str]] = {role: [] for role in roles}
        for row in rows:
            for role in row.roles:
                if role in members:
                    members[role].append(row.key)
        return {role: sorted(names, key=str.lower) for role, names in members.items()}

    # --- policies --------------------------------------------------------
    def _resolve_policies(self, policies: Matrix, custom: dict[str, CustomPolicy]) -> dict[int, PolicyRef]:
        refs: dict[int, PolicyRef] = {}
        seen: dict[str, MatrixRow] = {}
        for row in policies.rows:
            where = policies.key_location(row)
            ref = self._resolve(row.key, custom, where)
            if ref is None:
                continue
            key = ref.arn.lower()
            first = seen.get(key)
            if first is not None:
                self.problems.error(where, "policy-duplicate", f"policy {row.key!r} is already listed at {policies.key_location(first).cell}", "keep one row per policy and merge their marks")
                continue
            seen[key] = row
            refs[id(row)] = ref
        return refs

    def _resolve(self, name: str, custom: dict[str, CustomPolicy], where: Location) -> PolicyRef | None:
        if name in self.broken:
            return None  # reported once, at the file
        if name in custom and self.catalog.get(name) is not None:
            managed = self.catalog.get(name)
            self.problems.error(where, "policy-shadowed", f"{name!r} names both the AWS managed policy {managed.arn} and the custom policy {custom[name].source}", f"rename {custom[name].source} (custom policy names must not be AWS managed policy names), or write the ARN {managed.arn} for the AWS one")
            return None
        if name in custom:
            policy = custom[name]
            arn = policy.arn.replace(ACCOUNT_PLACEHOLDER, self.settings.account_id) if self.settings.account_id else policy.arn
            return PolicyRef(name, arn, "custom", guardrail=policy.path == "/foundation/", grants=not has_deny(policy.document))
        if name.startswith("arn:"):
            match = iam_rules.POLICY_ARN.fullmatch(name)
            if not match:
                self.problems.error(where, "policy-arn", f"{name!r} is not a valid IAM policy ARN", "write arn:aws:iam::<account-id or aws>:policy/<path/>Name")
                return None
            if match.group(1) == "aws":
                managed = self.catalog.by_arn.get(name)
                if managed is None:
                    known = self.catalog.get(match.group(3))
                    hint = f"the ARN of {match.group(3)} is {known.arn}" if known else "check the name in the AWS managed policy list"
                    self.problems.error(where, "policy-unknown", f"{name} is not an AWS managed policy ARN", hint)
                    return None
                return self._managed_ref(managed, where)
            return PolicyRef(match.group(3), name, "arn")
        managed = self.catalog.get(name)
        if managed is not None:
            return self._managed_ref(managed, where)
        if self.folder_unreadable:
            return None  # the policy folder's problem is reported; "no such policy" here could be wrong
        suggestion = self.catalog.suggest(name, extra=list(custom))
        hint = f"did you mean {suggestion!r}?" if suggestion else f"use an AWS managed policy name, a full policy ARN, or add {self.settings.value('policiesDir')}/<path>/{name}.json"
        self.problems.error(where, "policy-unknown", f"{name!r} is not an AWS managed policy, nor a custom policy in {self.settings.value('policiesDir')}/", hint)
        return None

    def _managed_ref(self, managed, where: Location) -> PolicyRef | None:
        if managed.path == "/aws-service-role/":
            self.problems.error(where, "policy-service-linked", f"{managed.name} is a service-linked role policy ({managed.arn}); IAM refuses to attach it to groups", "remove the row; AWS attaches it to its service-linked role itself")
            return None
        if managed.deprecated:
            replacement = f"use {managed.replaced_by} instead" if managed.replaced_by else "choose its replacement from the AWS documentation"
            self.problems.warning(where, "policy-deprecated", f"{managed.name} is deprecated by AWS and can no longer be attached to new groups", replacement)
        return PolicyRef(managed.name, managed.arn, "aws", grants="Deny" not in managed.name)

    def _check_attachments(self, policies: Matrix, refs: dict[int, PolicyRef], role_policies: dict[str, list[PolicyRef]]) -> None:
        for row in policies.rows:
            ref = refs.get(id(row))
            if ref is None or not row.roles:
                continue
            if ref.kind == "aws" and "/service-role/" in ref.arn:
                roles = ", ".join(r for r in row.roles if r in role_policies)
                self.problems.warning(policies.key_location(row), "policy-service-role", f"{ref.name} is a service-role policy meant for an AWS service, attached here to people ({roles}); such policies often grant iam:PassRole or broad service access", "attach it to the service's IAM role instead, or accept it knowingly")
        for role, attached in role_policies.items():
            if not any(p.arn == ADMIN_POLICY_ARN for p in attached):
                continue
            for row in policies.rows:
                ref = refs.get(id(row))
                if ref is not None and role in row.roles and ref.arn != ADMIN_POLICY_ARN and ref.grants and ref.kind != "arn":
                    self.problems.warning(policies.mark_location(row, role), "policy-redundant", f"{ref.name} adds nothing to {role}: the role already has AdministratorAccess", "remove the mark (it also uses up one of the group's policy slots)")

    def _check_mfa_lockout(self, users: Matrix, rows: list[MatrixRow], role_policies: dict[str, list[PolicyRef]], custom: dict[str, CustomPolicy]) -> None:
        forcing = {name for name, policy in custom.items() if denies_without_mfa(policy.document)}
        forced_roles = {role for role, refs in role_policies.items() if any(r.kind == "custom" and r.name in forcing for r in refs)}
        for row in rows:
            hit = [r for r in row.roles if r in forced_roles]
            if hit and not row.mfa:
                self.problems.warning(users.mfa_location(row), "mfa-lockout", f"{row.key} is not marked for MFA but {', '.join(hit)} gets an MFA-forcing policy: they can do nothing but enrol an MFA device until they do", "put Y in the MFA column (and make sure they enrol), or accept it knowingly")

    # --- bundles ---------------------------------------------------------
    def _plan_bundles(self, roles: list[str], role_policies: dict[str, list[PolicyRef]], role_members: dict[str, list[str]], policies: Matrix) -> tuple[list[Group], dict[str, list[str]]]:
        groups: list[Group] = []
        role_groups: dict[str, list[str]] = {}
        names: dict[str, str] = {}
        group_path = self.settings.value("groupPath")
        for role in sorted(roles, key=str.lower):
            attached = role_policies[role]
            if not attached:
                self.problems.warning(policies.role_location(role), "role-no-policy", f"role {role} gets no policy: its members may do nothing through it", "mark the policies this role needs, or remove the role column from both matrices")
            guardrails = [p for p in attached if p.guardrail]
            if len(guardrails) > self.quota:
                self.problems.error(policies.role_location(role), "quota-guardrails", f"{role} gets {len(guardrails)} /foundation/ guardrail policies; they must share the role's first group, which holds {self.quota}", "merge guardrail documents or raise iam-matrix:maxPoliciesPerGroup (IAM allows up to 20 after a quota increase)")
                continue
            chunks = split_policies(attached, self.quota)
            for index, chunk in enumerate(chunks, 1):
                name = bundle_group_name(role, index)
                for message, fix in iam_rules.check_group_name(name):
                    if index > 1:
                        self.problems.error(policies.role_location(role), "group-name", f"bundle group {message}", f"{fix}; shorten the role name")
                clash = names.get(name.lower())
                if clash is not None:
                    self.problems.error(policies.role_location(role), "group-clash", f"the bundle of {role} needs a group named {name!r}, which is also the group of role {clash!r}", "rename one of the roles")
                    continue
                names[name.lower()] = role
                groups.append(Group(name, role, index, group_path, chunk, tuple(role_members[role])))
                role_groups.setdefault(role, []).append(name)
        return groups, role_groups

    def _users(self, users: Matrix, rows: list[MatrixRow], role_groups: dict[str, list[str]]) -> list[User]:
        out: list[User] = []
        source = str(users.table.location())
        for row in sorted(rows, key=lambda r: r.key.lower()):
            groups = tuple(g for role in sorted(row.roles, key=str.lower) for g in role_groups.get(role, ()))
            if len(groups) > iam_rules.MAX_GROUPS_PER_USER:
                self.problems.error(users.key_location(row), "quota-groups-per-user", f"{row.key} would be in {len(groups)} groups ({', '.join(groups)}); IAM allows {iam_rules.MAX_GROUPS_PER_USER}", "give the user fewer roles, or raise iam-matrix:maxPoliciesPerGroup (after an IAM quota increase) so bundles need fewer groups")
            out.append(User(row.key, row.mfa, tuple(sorted(row.roles, key=str.lower)), groups, source))
        return out

    def _check_account_quotas(self, users: Matrix, groups: list[Group], custom: dict[str, CustomPolicy]) -> None:
        limit = self.settings.value("maxGroupsPerAccount")
        if len(groups) > limit:
            self.problems.error(users.table.location(), "quota-groups", f"the matrix needs {len(groups)} groups; the account allows {limit}", "request a higher 'Groups per account' quota and raise iam-matrix:maxGroupsPerAccount, or merge roles")
        limit = self.settings.value("maxCustomerManagedPolicies")
        if len(custom) > limit:
            self.problems.error(Location(self.settings.value("policiesDir")), "quota-policies", f"{len(custom)} custom policies; the account allows {limit}", "merge policies or raise iam-matrix:maxCustomerManagedPolicies after a quota increase")

