"""load -> validate -> plan: compile the matrix files of one stack into a DesiredState.

The steps live in their own modules: ``resolve`` (input files -> resolved rows and
policies), ``plan`` (resolved rows -> groups, roles, users) and ``advisories`` (warnings,
each a named rule). ``check`` runs them and returns every problem found (errors and
warnings) and the state when there are no errors; ``compile_state`` raises
``MatrixInvalid`` instead. Nothing here talks to AWS.
"""

from __future__ import annotations

from dataclasses import dataclass

from .access.rules import check_access
from .access_log_options import AccessLogOptions
from .advisories import advise, suppressed_codes
from .audit_baseline import BaselineOptions
from .catalog import Catalog, load_catalog
from .deploy_options import DeployOptions
from .desired import DesiredState
from .plan import Limits, Planned, plan
from .problems import Location, MatrixInvalid, Problem, Problems, Severities
from .project_files import check_inputs
from .resolve import Resolved, resolve
from .role_trust_options import RoleTrustOptions
from .settings import Settings


@dataclass
class CompileResult(Severities):
    state: DesiredState | None
    items: list[Problem]
    suppressed: int = 0  # warnings left out because iam-matrix:suppressWarnings names their code

    @property
    def problems(self) -> list[Problem]:
        return self.items


def compile_state(settings: Settings, catalog: Catalog | None = None) -> DesiredState:
    result = check(settings, catalog)
    if result.state is None:
        raise MatrixInvalid(result.problems)
    return result.state


def check(settings: Settings, catalog: Catalog | None = None) -> CompileResult:
    catalog = catalog or load_catalog()
    problems = Problems(list(settings.problems))  # config problems, reported with the matrix's
    state = None
    dropped = 0
    suppressed = suppressed_codes(settings, problems)
    options = StackOptions(
        BaselineOptions.read(settings, problems),
        AccessLogOptions.read(settings, problems),
        RoleTrustOptions.read(settings, problems),
    )
    # Nothing is opened through a symlink or outside the project.
    if check_inputs(settings.project_dir, settings.values, settings.location, problems):
        resolved = resolve(settings, catalog, problems)
        if resolved is not None:
            planned = plan(resolved, Limits.of(settings), problems)
            dropped = advise(resolved, catalog, problems, suppressed)
            roles_at = {role: resolved.policies.role_location(role) for role in resolved.roles}
            user_rows = {row.key: row for row in resolved.user_rows}
            dropped += check_access(
                planned.roles,
                planned.users,
                resolved.custom,
                settings.value("adminRoles") or (),
                roles_at,
                problems,
                suppressed,
                lambda user: resolved.users.key_location(user_rows[user]),
            )
            if not problems.errors:  # an erroneous plan may hold facts a DesiredState refuses
                state = assemble(settings, resolved, planned, options, problems)
    ordered = sorted(problems.items, key=lambda p: (p.severity != "error", _sort_key(p.location)))
    return CompileResult(None if problems.errors else state, ordered, dropped)


@dataclass(frozen=True)
class StackOptions:
    """The desired-state values read straight from the stack config."""

    audit_baseline: BaselineOptions
    access_log: AccessLogOptions
    role_trust: RoleTrustOptions


def assemble(
    settings: Settings, resolved: Resolved, planned: Planned, options: StackOptions, problems: Problems
) -> DesiredState:
    return DesiredState(
        stack=settings.stack,
        account_id=settings.account_id,
        user_path=settings.value("userPath"),
        manage_users=settings.value("manageUsers"),
        groups=planned.groups,
        users=planned.users,
        policies=tuple(sorted(resolved.custom.values(), key=lambda p: p.name.lower())),
        password_policy=settings.password_policy,
        tags=dict(settings.tags),
        warnings=tuple(problems.warnings),
        audit_baseline=options.audit_baseline,
        access_log=options.access_log,
        role_trust=options.role_trust,
        deploy=DeployOptions.read(settings),
    )


def _sort_key(location: Location) -> tuple:
    cell = location.cell or ""
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (
        location.file,
        location.sheet or "",
        int(digits) if digits and len(letters) + len(digits) == len(cell) else 0,
        len(letters),
        letters,
        cell,
    )
