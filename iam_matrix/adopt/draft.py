"""An account snapshot -> a draft matrix that describes the account as it is.

Pure: no boto3, no Pulumi, no files. ``adopt.command`` gathers the snapshot with the audit's
reader and writes the draft with ``adopt.files``; the tests build snapshots by hand.

The draft is the matrix the compiler must turn back into the account's groups, members and
policies: one role per group, except that ``Developer``, ``Developer-2``, ... with the same
members and path are one role when the compiler's own bundle split (``bundles.split_policies``)
puts every policy back in the group it is in now, so nothing is renamed or moved.
Whatever the matrix cannot express is a ``Residue`` entry (``adopt.residue``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..access.live import default_document
from ..access.model import model_of
from ..audit.checks.mfa import mfa_active
from ..audit.snapshot import Snapshot
from ..bundles import bundle_group_name, split_policies
from ..catalog import Catalog
from ..desired import CustomPolicy, PolicyRef, Role
from ..iam_rules import check_group_name, check_path, check_policy_name, check_user_name
from ..matrices import MFA_HEADER
from ..password_policy import FIELDS, PasswordPolicy
from ..policy_documents import PLACEHOLDER
from .residue import Residue, reserved_reason

DEFAULT_QUOTA = 10
MAX_QUOTA = 20  # IAM's hard limit of managed policies per group
USERS_FILE, POLICIES_FILE, WORKBOOK_FILE = "matrix/users.csv", "matrix/policies.csv", "matrix/iam-matrix.xlsx"
_BUNDLE_NAME = re.compile(r"(.+)-([2-9]|[1-9][0-9]+)")


@dataclass(frozen=True)
class DraftPolicy:
    """A customer managed policy whose document goes to ``policies/<path>/<name>.json``."""

    name: str
    path: str
    arn: str
    document: Mapping[str, Any]
    description: str = ""

    @property
    def relative_file(self) -> str:
        return f"policies{self.path}{self.name}.json"


@dataclass(frozen=True)
class DraftRole:
    name: str
    groups: tuple[str, ...]  # the live groups it stands for, in bundle order
    policies: tuple[str, ...]  # policy matrix keys (a managed policy name, a custom name, or an ARN)
    members: tuple[str, ...]


@dataclass
class Draft:
    """Everything ``adopt`` writes, before it is written."""

    stack: str
    account_id: str
    region: str
    roles: list[DraftRole]
    users: list[tuple[str, bool, tuple[str, ...]]]  # (name, MFA active, roles)
    policy_rows: list[str]  # policy matrix keys, in row order
    policies: list[DraftPolicy]
    user_path: str
    group_path: str
    quota: int
    password_policy: PasswordPolicy | None  # None: the account has none (the stack's defaults get created)
    residue: list[Residue] = field(default_factory=list)
    admin_roles: tuple[str, ...] = ()  # the roles whose groups give administrator access today

    def users_rows(self) -> list[list[str]]:
        roles = [r.name for r in self.roles]
        column = {role: i for i, role in enumerate(roles, start=1)}
        rows = [["User", *roles, "MFA"]]
        for name, mfa, member_of in self.users:
            row = [name, *([""] * len(roles)), "Y" if mfa else ""]
            for role in member_of:  # a user has a few marks in hundreds of columns
                row[column[role]] = "Y"
            rows.append(row)
        return rows

    def policies_rows(self) -> list[list[str]]:
        roles = [r.name for r in self.roles]
        marked = {(key, r.name) for r in self.roles for key in r.policies}
        return [
            ["Policies", *roles],
            *([key, *("Y" if (key, r) in marked else "" for r in roles)] for key in self.policy_rows),
        ]

    def stack_config(self, workbook: bool) -> dict[str, Any]:
        """``Pulumi.<stack>.yaml``'s config: what the account says, the rest left to the defaults."""
        config: dict[str, Any] = {"aws:region": self.region, "aws:allowedAccountIds": [self.account_id]}
        if workbook:
            config["iam-matrix:workbook"] = WORKBOOK_FILE
        else:
            config.update({"iam-matrix:usersFile": USERS_FILE, "iam-matrix:policiesFile": POLICIES_FILE})
        config.update(
            {
                "iam-matrix:manageUsers": True,
                "iam-matrix:consoleAccess": False,  # existing login profiles are left as they are
                "iam-matrix:forceDestroyUsers": False,
                "iam-matrix:userPath": self.user_path,
                "iam-matrix:groupPath": self.group_path,
                "iam-matrix:maxPoliciesPerGroup": self.quota,
                "iam-matrix:auditBaseline": False,
                # always written: the schema's default (["Admin"]) names a role this account may not have
                "iam-matrix:adminRoles": list(self.admin_roles),
            }
        )
        if self.password_policy is not None:
            config.update({f"iam-matrix:{f.config_key}": getattr(self.password_policy, f.attribute) for f in FIELDS})
        return config


def password_policy_of(live: Mapping[str, Any]) -> PasswordPolicy:
    """GetAccountPasswordPolicy's answer as the stack's password settings (absent = off / IAM's default)."""
    values: dict[str, Any] = {f.attribute: live.get(f.api_name, False) for f in FIELDS}
    values["minimum_password_length"] = int(live.get("MinimumPasswordLength", 8))
    values["password_reuse_prevention"] = int(live.get("PasswordReusePrevention", 0))
    expires = live.get("ExpirePasswords", bool(live.get("MaxPasswordAge")))
    values["max_password_age"] = int(live.get("MaxPasswordAge", 0)) if expires else 0
    return PasswordPolicy(**values)


def policy_name(policy: Mapping[str, Any]) -> str:
    """A policy's name; from its ARN when the answer leaves it out (moto does)."""
    return policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1]


def most_common(values: list[str], default: str = "/") -> str:
    return Counter(values).most_common(1)[0][0] if values else default


def safe_policy_location(name: str, path: str) -> str | None:
    """Why ``policies<path><name>.json`` cannot be written (None when it can): the name and the
    path come from the account and become a file path, so '..', empty or '.' segments, and
    anything IAM itself would refuse, are turned away before a file name is formed."""
    problems = [message for message, _ in check_policy_name(name) + check_path(path)]
    if not name.strip("."):
        problems.append(f"policy name {name!r} is only dots")
    segments = path.strip("/").split("/") if path != "/" else []
    if any(s in ("", ".", "..") or "\\" in s for s in segments):
        problems.append(f"IAM path {path!r} has an empty, '.' or '..' segment or a backslash")
    return "; ".join(problems) or None


class _Drafter:
    def __init__(self, snapshot: Snapshot, stack: str, catalog: Catalog) -> None:
        self.snapshot = snapshot
        self.stack = stack
        self.catalog = catalog
        self.residue: list[Residue] = []
        self.account = snapshot.account_id
        self.report = {row.get("user"): row for row in snapshot.credential_report}  # one look-up per user

    def run(self) -> Draft:
        snapshot = self.snapshot
        users = [u for u in snapshot.users if not self._reserved("user", u["UserName"], u.get("Path", "/"))]
        groups = [g for g in snapshot.groups if not self._reserved("group", g["GroupName"], g.get("Path", "/"))]
        groups = [g for g in groups if self._adoptable_group(g)]
        for role in snapshot.roles:
            self._role_residue(role)
        members: dict[str, list[str]] = {}
        for user in users:
            for group in user.get("GroupList", []):
                members.setdefault(group, []).append(user["UserName"])
        live_policies = {p["Arn"]: p for p in snapshot.policies}
        drafted: dict[str, DraftPolicy] = {}
        keys: dict[str, str] = {}  # policy ARN -> policy matrix key
        refs: dict[str, PolicyRef] = {}
        for group in groups:
            for attached in group.get("AttachedManagedPolicies", []):
                arn = attached["PolicyArn"]
                if arn not in keys:
                    keys[arn], refs[arn] = self._policy_key(
                        arn, attached.get("PolicyName", ""), live_policies.get(arn), drafted
                    )
        for policy in snapshot.policies:  # attached to nothing: most likely a matrix policy no role uses (yet)
            if (
                not policy.get("AttachmentCount")
                and policy["Arn"] not in keys
                and not reserved_reason(policy_name(policy), policy.get("Path", "/"))
            ):
                self._policy_key(policy["Arn"], policy_name(policy), policy, drafted)
                if policy["Arn"] in drafted:
                    self.residue.append(
                        Residue(
                            "policy-unattached",
                            f"policy{policy.get('Path', '/')}{policy_name(policy)}",
                            f"customer managed policy {policy_name(policy)} is attached to nothing",
                            "kept: its document is in policies/, so the program manages it (attached to no role)",
                            "mark it for a role, or delete the file and the policy if nobody needs it",
                        )
                    )
        quota = max([DEFAULT_QUOTA, *(len(g.get("AttachedManagedPolicies", [])) for g in groups)])
        if quota > MAX_QUOTA:
            self.residue.append(
                Residue(
                    "quota",
                    "account",
                    f"a group holds {quota} managed policies, more than IAM's limit of {MAX_QUOTA}",
                    "validate refuses maxPoliciesPerGroup above 20",
                    "check the account; IAM should never allow this",
                )
            )
            quota = MAX_QUOTA
        user_path = most_common([u.get("Path", "/") for u in users])
        group_path = most_common([g.get("Path", "/") for g in groups])
        roles = self._roles(groups, members, keys, refs, quota)
        admin_roles = self._admin_roles(roles, groups, refs, drafted)
        self._collision_residue(roles, {g["GroupName"] for g in groups})
        self._path_residue(users, "user", "UserName", user_path, "userPath")
        self._path_residue(groups, "group", "GroupName", group_path, "groupPath")
        mfa = mfa_active(snapshot)
        role_of_group = {g: r.name for r in roles for g in r.groups}
        draft_users = []
        for user in sorted(users, key=lambda u: u["UserName"].lower()):
            name = user["UserName"]
            mine = tuple(
                sorted({role_of_group[g] for g in user.get("GroupList", []) if g in role_of_group}, key=str.lower)
            )
            draft_users.append((name, mfa.get(name, False), mine))
            self._user_residue(user, bool(mine))
        for group in groups:
            for inline in group.get("GroupPolicyList", []):
                self.residue.append(
                    Residue(
                        "inline-group-policy",
                        f"group/{group['GroupName']}",
                        f"inline policy {inline['PolicyName']} is embedded in group {group['GroupName']}",
                        "DELETED: the program's GroupPoliciesExclusive allows no inline policies (a copy of "
                        "the document is in residue.json)",
                        "before the first up, save the document as "
                        f"policies/<path>/{inline['PolicyName']}.json and mark it for role "
                        f"{role_of_group.get(group['GroupName'], group['GroupName'])} in the policy matrix, "
                        "or accept its removal",
                        {"policy": inline["PolicyName"], "document": inline.get("PolicyDocument")},
                        blocking=True,
                    )
                )
        for policy in snapshot.policies:
            if (
                policy["Arn"] not in keys
                and policy["Arn"] not in drafted
                and not self._reserved("policy", policy_name(policy), policy.get("Path", "/"))
            ):
                self.residue.append(
                    Residue(
                        "policy-not-on-group",
                        f"policy{policy.get('Path', '/')}{policy_name(policy)}",
                        f"customer managed policy {policy_name(policy)} is attached to no adopted group "
                        f"({policy.get('AttachmentCount', 0)} attachment(s) elsewhere)",
                        "stays as it is: the matrix does not manage it",
                        "leave it, or save its document under policies/ and mark it for a role; the audit "
                        "reports it as policy-unexpected "
                        "if it shares an IAM path with a policy in policies/",
                        {"arn": policy["Arn"]},
                    )
                )
        policy_rows = sorted(
            dict.fromkeys(k for r in roles for k in r.policies), key=lambda k: (k.startswith("arn:"), k.lower())
        )
        for policy in drafted.values():
            self._document_residue(policy)
        password = password_policy_of(snapshot.password_policy) if snapshot.password_policy else None
        self._account_residue(password, drafted)
        return Draft(
            self.stack,
            self.account,
            snapshot.region,
            roles,
            draft_users,
            policy_rows,
            sorted(drafted.values(), key=lambda p: p.name.lower()),
            user_path,
            group_path,
            quota,
            password,
            self.residue,
            admin_roles,
        )

    # --- what is left out ------------------------------------------------------------
    def _reserved(self, kind: str, name: str, path: str) -> bool:
        reason = reserved_reason(name, path)
        if reason:
            self.residue.append(
                Residue(
                    "reserved",
                    f"{kind}{path}{name}",
                    f"{kind} {name} is {reason}",
                    "ignored: not in the matrix, left as it is",
                    "nothing; AWS manages it",
                )
            )
        return reason is not None

    def _role_residue(self, role: Mapping[str, Any]) -> None:
        name, path = role["RoleName"], role.get("Path", "/")
        if self._reserved("role", name, path):
            return
        self.residue.append(
            Residue(
                "role",
                f"role{path}{name}",
                f"IAM role {name} is not something the matrix describes (it holds users and groups)",
                "stays as it is: iam-matrix manages no roles",
                "nothing, unless people use it: then give them a role in the matrix instead",
            )
        )

    def _adoptable_group(self, group: Mapping[str, Any]) -> bool:
        name = group["GroupName"]
        problems = [m for m, _ in check_group_name(name)]
        if name.strip().lower() == MFA_HEADER or name.startswith("#"):
            problems.append(
                f"{name!r} cannot be a role column (the user matrix reads a column headed {name!r} as the MFA "
                "column or a comment)"
            )
        if problems:
            self.residue.append(
                Residue(
                    "group-not-adoptable",
                    f"group{group.get('Path', '/')}{name}",
                    "; ".join(problems),
                    "the audit reports it as group-unexpected; the program does not touch it",
                    "rename the group in IAM (a new group with the same members and policies), then run adopt again",
                    blocking=True,
                )
            )
        return not problems

    def _user_residue(self, user: Mapping[str, Any], in_a_role: bool) -> None:
        name = user["UserName"]
        subject = f"user/{name}"
        for message, _ in check_user_name(name):
            self.residue.append(
                Residue(
                    "user-name", subject, message, "validate refuses the row", "rename the user in IAM", blocking=True
                )
            )
        if name[:1] in "=+-@":
            self.residue.append(
                Residue(
                    "user-name-formula",
                    subject,
                    f"user name {name!r} starts with {name[0]!r}: a spreadsheet may read it as a formula",
                    "nothing (the CSV keeps the exact name; the xlsx stores it as text)",
                    "edit the matrix as xlsx, or check the cell after opening the CSV",
                )
            )
        if not in_a_role:
            self.residue.append(
                Residue(
                    "user-no-group",
                    subject,
                    f"{name} is in no group",
                    "stays, with a row that marks no role (validate warns user-no-role)",
                    "give them a role, or delete the user if nobody needs it",
                )
            )
        for inline in user.get("UserPolicyList", []):
            self.residue.append(
                Residue(
                    "inline-user-policy",
                    subject,
                    f"inline policy {inline['PolicyName']} is embedded in user {name}",
                    "stays: the program manages no user policies (the audit reports inline-policy)",
                    "move its statements into a policy under policies/, mark it for the user's role, then "
                    "delete the inline policy",
                    {"policy": inline["PolicyName"], "document": inline.get("PolicyDocument")},
                )
            )
        for attached in user.get("AttachedManagedPolicies", []):
            self.residue.append(
                Residue(
                    "user-attached-policy",
                    subject,
                    f"{attached.get('PolicyName')} ({attached['PolicyArn']}) is attached directly to {name}",
                    "stays: the program attaches policies to groups only (the audit reports user-policy-attached)",
                    "mark the policy for one of the user's roles, then detach it from the user",
                    {"arn": attached["PolicyArn"]},
                )
            )
        row = self.report.get(name) or {}
        for n in ("1", "2"):
            if row.get(f"access_key_{n}_active") == "true":
                rotated = row.get(f"access_key_{n}_last_rotated", "")
                self.residue.append(
                    Residue(
                        "access-key",
                        subject,
                        f"{name} has active access key {n} (created {rotated or 'unknown'})",
                        "stays as it is (the program manages no access keys)",
                        "rotate keys older than the audit's auditAccessKeyMaxAgeDays",
                        {"created": rotated, "last_used": row.get(f"access_key_{n}_last_used_date", "")},
                    )
                )
        if row.get("password_enabled") == "true":
            changed = row.get("password_last_changed", "")
            self.residue.append(
                Residue(
                    "login-profile",
                    subject,
                    f"{name} has a console password (last changed {changed or 'unknown'})",
                    "stays as it is (consoleAccess is false, so the program creates no login profiles)",
                    "keep it, or delete the login profile if the user needs no console",
                    {"last_changed": changed, "last_used": row.get("password_last_used", "")},
                )
            )

    def _path_residue(
        self, entities: list[Mapping[str, Any]], kind: str, key: str, chosen: str, config_key: str
    ) -> None:
        for entity in entities:
            if entity.get("Path", "/") != chosen:
                self.residue.append(
                    Residue(
                        "path-moves",
                        f"{kind}/{entity[key]}",
                        f"{kind} {entity[key]} is under {entity.get('Path')}, the stack's {config_key} is {chosen}",
                        f"UPDATED in place: the {kind} moves to {chosen}",
                        f"accept the move, or give the stack a {config_key} that fits; a stack has one {config_key}",
                        blocking=True,
                    )
                )

    def _collision_residue(self, roles: list[DraftRole], group_names: set[str]) -> None:
        merged = {g for r in roles if len(r.groups) > 1 for g in r.groups}
        for name in sorted(group_names - merged):
            match = _BUNDLE_NAME.fullmatch(name)
            if match and match.group(1) in group_names:
                self.residue.append(
                    Residue(
                        "bundle-name-collision",
                        f"group/{name}",
                        f"group {name} looks like a bundle group of role {match.group(1)} "
                        "but its members, path or policies do not match a bundle, so it is adopted as a role "
                        "of its own",
                        "nothing changes (both keep their names)",
                        f"if role {match.group(1)} ever needs a second group, validate refuses it "
                        f"(group-clash): rename {name} first",
                    )
                )

    def _document_residue(self, policy: DraftPolicy) -> None:
        found: set[str] = set()

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)
            elif isinstance(value, str):
                found.update(PLACEHOLDER.findall(value))

        walk(policy.document)
        if found:
            self.residue.append(
                Residue(
                    "document-placeholder",
                    f"policy{policy.path}{policy.name}",
                    f"the document contains {', '.join('{{' + f + '}}' for f in sorted(found))}, which "
                    "iam-matrix reads as stack config placeholders",
                    "validate fails, or fills in a stack value instead of the literal text",
                    "rewrite the text, or set the matching stack config on purpose",
                    blocking=True,
                )
            )

    def _account_residue(self, password: PasswordPolicy | None, drafted: Mapping[str, DraftPolicy]) -> None:
        if password is None:
            self.residue.append(
                Residue(
                    "password-policy-missing",
                    "password-policy",
                    "the account has no password policy",
                    "CREATED with the stack's defaults (CIS: 14 characters, 90 days, 24 remembered)",
                    "check the password* values in the stack file before the first up",
                )
            )
        self.residue.append(
            Residue(
                "tags",
                "account",
                "adopted users and customer managed policies carry their own tags (if any)",
                "UPDATED in place: every user and customer managed policy gets the stack's tags (managed-by, "
                "stack, source and iam-matrix:tags)",
                "nothing; the update changes no permission",
            )
        )

    # --- roles and policies ----------------------------------------------------------
    def _admin_roles(
        self,
        roles: list[DraftRole],
        groups: list[Mapping[str, Any]],
        refs: Mapping[str, PolicyRef],
        drafted: Mapping[str, DraftPolicy],
    ) -> tuple[str, ...]:
        """The roles that are admin-equivalent today, by the access model validate uses
        (``access.rules``): ``adminRoles`` must list exactly these, or validate refuses the draft
        (an unlisted admin-equivalent role, or a listed role the matrix does not have)."""
        by_name = {g["GroupName"]: g for g in groups}
        modelled = [
            Role(
                r.name,
                r.groups,
                tuple(refs[p["PolicyArn"]] for g in r.groups for p in by_name[g].get("AttachedManagedPolicies", [])),
                r.members,
            )
            for r in roles
        ]
        custom = [CustomPolicy(p.name, p.path, p.document, p.relative_file) for p in drafted.values()]
        model = model_of(modelled, (), custom)
        admins = tuple(r.name for r in roles if model.role(r.name).admin_equivalent)
        if admins:
            self.residue.append(
                Residue(
                    "admin-roles",
                    "adminRoles",
                    f"role(s) {', '.join(admins)} give administrator access (all actions on all resources, however "
                    "their policies write it), so the stack's iam-matrix:adminRoles lists them",
                    "nothing: adminRoles only tells validate, the guardrail policy pack and the access diff which "
                    "roles may administer the account",
                    "check that each of them should administer the account; narrow the policies of any that should "
                    "not, and remove it from adminRoles",
                    {"roles": list(admins)},
                )
            )
        else:
            self.residue.append(
                Residue(
                    "admin-roles",
                    "adminRoles",
                    "no group gives administrator access, so the stack's iam-matrix:adminRoles is empty (the "
                    "project's default names a role Admin)",
                    "nothing; validate refuses any role that becomes admin-equivalent while adminRoles does not "
                    "list it",
                    "when a role is meant to administer the account, add it to iam-matrix:adminRoles",
                    {"roles": []},
                )
            )
        return admins

    def _policy_key(
        self, arn: str, name: str, live: Mapping[str, Any] | None, drafted: dict[str, DraftPolicy]
    ) -> tuple[str, PolicyRef]:
        """The policy matrix key for an attached policy, and the PolicyRef the compiler will make of it."""
        if ":iam::aws:policy/" in arn:
            managed = self.catalog.by_arn.get(arn)
            if managed is None:
                self.residue.append(
                    Residue(
                        "policy-unknown",
                        f"policy/{name or arn}",
                        f"{arn} is not in iam-matrix's catalog of AWS managed policies",
                        "validate refuses the row (policy-unknown)",
                        "refresh the catalog (scripts/refresh_managed_policy_catalog.py), or drop the row",
                        blocking=True,
                    )
                )
                return arn, PolicyRef(name or arn.rsplit("/", 1)[-1], arn, "aws")
            key = managed.name if self.catalog.get(managed.name) is managed else arn
            return key, PolicyRef(managed.name, arn, "aws")
        if live is None:  # another account's policy, or one the snapshot does not hold
            return arn, PolicyRef(arn.rsplit("/", 1)[-1], arn, "arn")
        name, path = policy_name(live), live.get("Path", "/")
        document = default_document(live)
        unsafe = safe_policy_location(name, path)
        if unsafe or not isinstance(document, dict):
            reason = unsafe or "its default version has no readable document"
            self.residue.append(
                Residue(
                    "policy-not-written",
                    f"policy{path}{name}",
                    f"{name} cannot become a file under policies/: {reason}",
                    "the group keeps it, referenced by its ARN; the program does not manage the policy itself",
                    "rename the policy in IAM (a new policy), then run adopt again",
                    {"arn": arn},
                )
            )
            return arn, PolicyRef(name, arn, "arn")
        drafted[arn] = DraftPolicy(name, path, arn, document, live.get("Description") or "")
        return name, PolicyRef(name, arn, "custom", guardrail=path == "/foundation/")

    def _roles(
        self,
        groups: list[Mapping[str, Any]],
        members: Mapping[str, list[str]],
        keys: Mapping[str, str],
        refs: Mapping[str, PolicyRef],
        quota: int,
    ) -> list[DraftRole]:
        by_name = {g["GroupName"]: g for g in groups}
        taken: set[str] = set()
        roles: list[DraftRole] = []
        for name in sorted(by_name, key=str.lower):
            if name in taken:
                continue
            bundle = self._bundle(name, by_name, members, refs, quota)
            taken.update(bundle)
            arns = [p["PolicyArn"] for g in bundle for p in by_name[g].get("AttachedManagedPolicies", [])]
            roles.append(
                DraftRole(
                    name,
                    tuple(bundle),
                    tuple(dict.fromkeys(keys[a] for a in arns)),
                    tuple(sorted(set(members.get(name, ())), key=str.lower)),
                )
            )
        return sorted(roles, key=lambda r: r.name.lower())

    @staticmethod
    def _bundle(
        name: str,
        by_name: Mapping[str, Mapping[str, Any]],
        members: Mapping[str, list[str]],
        refs: Mapping[str, PolicyRef],
        quota: int,
    ) -> list[str]:
        """``[name, name-2, ...]`` when they are one role's bundle exactly as the compiler would
        split it; ``[name]`` otherwise."""
        chain = [name]
        while bundle_group_name(name, len(chain) + 1) in by_name:
            chain.append(bundle_group_name(name, len(chain) + 1))
        while len(chain) > 1:
            first = by_name[chain[0]]
            same = all(
                set(members.get(g, ())) == set(members.get(name, ()))
                and by_name[g].get("Path", "/") == first.get("Path", "/")
                for g in chain
            )
            layout = [{p["PolicyArn"] for p in by_name[g].get("AttachedManagedPolicies", [])} for g in chain]
            merged = [refs[a] for group in layout for a in sorted(group)]
            if same and len({r.arn for r in merged}) == len(merged):
                chunks = split_policies(merged, quota)
                if [{r.arn for r in chunk} for chunk in chunks] == layout:
                    return chain
            chain.pop()
        return chain


def draft_from_snapshot(snapshot: Snapshot, stack: str, catalog: Catalog) -> Draft:
    """The draft matrix, policy documents, stack settings and residue of one account snapshot."""
    return _Drafter(snapshot, stack, catalog).run()
