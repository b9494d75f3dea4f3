"""The Pulumi program's steps, callable from ``__main__.py``, the tests and the benchmark.

``__main__.py`` stays a few lines: read config -> compile with the core -> components ->
exports. Everything that interprets the matrix is in ``iam_matrix``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from iam_matrix.compiler import compile_state
from iam_matrix.desired import DesiredState
from iam_matrix.live_names import live_name_problems
from iam_matrix.problems import MatrixInvalid
from iam_matrix.project import PROJECT
from iam_matrix.settings import Settings, config_schema, settings_from_values

from .audit_baseline import AuditBaseline, AuditBaselineArgs
from .cleanup import empty_group_hook
from .common import resource_tags
from .group_bundle import GroupBundle, GroupBundleArgs
from .password_policy import PasswordPolicy, PasswordPolicyArgs
from .policies import CustomPolicies, CustomPoliciesArgs
from .preflight import LiveAccount, live_account
from .users import Users, UsersArgs

_GETTERS = {"string": "get", "boolean": "get_bool", "integer": "get_int", "array": "get_object"}


def read_config(project_dir: Path) -> dict[str, Any]:
    """Every ``iam-matrix:`` key of the schema that the stack sets, read with its type.

    A value of the wrong type is passed on as the raw string, so ``settings_from_values``
    reports it exactly as ``python -m iam_matrix validate`` does.
    """
    config = pulumi.Config(PROJECT)
    values: dict[str, Any] = {}
    for key, spec in config_schema(project_dir).items():
        getter = getattr(config, _GETTERS.get(spec["type"], "get"))
        try:
            value = getter(key)
        except (pulumi.ConfigTypeError, ValueError):
            value = config.get(key)
        if value is not None:
            values[key] = value
    return values


def load_settings(project_dir: Path) -> Settings:
    """Settings of the running stack, through the same function the CLI uses."""
    stack = pulumi.get_stack()
    return settings_from_values(
        read_config(project_dir),
        project_dir=project_dir,
        stack=stack,
        config_file=f"Pulumi.{stack}.yaml",
        aws_allowed_account_ids=pulumi.Config("aws").get_object("allowedAccountIds"),
        strict=False,  # config problems are reported with the matrix's, by the compile
    )


def compile_or_stop(project_dir: Path) -> DesiredState:
    """The desired state, or every problem logged and the program stopped before any
    resource is registered (nothing can be half-deployed from an invalid matrix)."""
    try:
        settings = load_settings(project_dir)
        state = compile_state(settings)
    except MatrixInvalid as invalid:
        errors = [p for p in invalid.problems if p.severity == "error"]
        for problem in invalid.problems:
            (pulumi.log.error if problem.severity == "error" else pulumi.log.warn)(str(problem))
        raise pulumi.RunError(
            f"{len(errors)} error(s) in the access matrix or stack config; nothing was "
            f"deployed. Check with: python -m iam_matrix validate --stack {pulumi.get_stack()}"
        ) from None
    for warning in state.warnings:
        pulumi.log.warn(str(warning))
    return state


def check_live_account(state: DesiredState) -> LiveAccount | None:
    """Read the account (``components/preflight.py``) and stop the program before any resource
    when a matrix user or group exists there in another spelling: such an up would fail half-way."""
    console_access = state.manage_users and state.deploy.console_access
    live = live_account([u.name for u in state.users] if state.manage_users else [], console_access=console_access)
    if live is None:
        return None
    problems = live_name_problems(state, users=live.users, groups=live.groups)
    for problem in problems:
        pulumi.log.error(str(problem))
    if problems:
        raise pulumi.RunError(
            f"{len(problems)} name(s) of the matrix exist in the account in another spelling; nothing was deployed"
        )
    return live


@dataclass
class Deployment:
    """The components of one stack, kept for exports and tests."""

    policies: CustomPolicies
    bundles: dict[str, GroupBundle]
    password_policy: PasswordPolicy
    users: Users | None = None
    audit_baseline: AuditBaseline | None = None
    exports: dict[str, Any] = field(default_factory=dict)


def deploy(state: DesiredState, live: LiveAccount | None = None) -> Deployment:
    """Instantiate the components for ``state``: everything they take is in the compiled state
    (``DesiredState.deploy`` holds the stack's console-access, PGP-key, force-destroy and quota
    options), so nothing here reads the stack config; ``live``: what the pre-flight read (the
    users who already have a console password)."""
    policies = CustomPolicies("policies", CustomPoliciesArgs.of(state))
    password = PasswordPolicy("password-policy", PasswordPolicyArgs.of(state))
    users = None
    user_names: dict[str, pulumi.Input[str]] = {}
    if state.manage_users:
        existing = live.login_profiles if live is not None else frozenset()
        users = Users("users", UsersArgs.of(state, after=[password.policy], existing_login_profiles=existing))
        user_names = dict(users.names)
    hook = empty_group_hook()
    bundles = {
        role.name: GroupBundle(role.name, GroupBundleArgs.of(state, role, policies.arns, user_names, hook))
        for role in state.roles
    }
    deployment = Deployment(policies, bundles, password, users)
    deployment.exports = {
        "roles": {name: {"groupNames": b.names, "groupArns": b.arns} for name, b in bundles.items()},
        "userNames": sorted(user_names) if state.manage_users else sorted(u.name for u in state.users),
        "foundationPolicyArns": policies.foundation_arns,
        "customPolicyArns": policies.arns,
    }
    if users is not None and users.encrypted_passwords:
        deployment.exports["encryptedPasswords"] = users.encrypted_passwords
    if state.audit_baseline.enabled:
        # CloudTrail, Config IAM rules, Access Analyzer: only when the stack sets auditBaseline.
        tags = resource_tags(state.stack, f"Pulumi.{state.stack}.yaml", state.tags)
        baseline = AuditBaseline("audit", AuditBaselineArgs.of(state, tags=tags))
        deployment.audit_baseline = baseline
        deployment.exports["auditBaseline"] = baseline.outputs()
    return deployment


def main(project_dir: Path) -> Deployment:
    """The whole program: config -> desired state -> components -> stack outputs."""
    state = compile_or_stop(project_dir)
    deployment = deploy(state, check_live_account(state))
    for name, value in deployment.exports.items():
        pulumi.export(name, value)
    return deployment
