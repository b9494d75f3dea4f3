"""The Config rules and the audit* options as plain data: parameters come from the stack
config and match what AWS Config accepts (checked against the managed-rule table moto
ships, which moto's PutConfigRule validates against too)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from moto.config.models import MANAGED_RULES_CONSTRAINTS

from iam_matrix.audit_baseline import INPUT_PARAMETERS_MAX, BaselineOptions, managed_rules
from iam_matrix.compiler import compile_state
from iam_matrix.desired import DesiredState, Group
from iam_matrix.problems import MatrixInvalid
from iam_matrix.settings import load_stack_settings


@pytest.fixture(scope="module")
def desired() -> DesiredState:
    return compile_state(load_stack_settings(stack="dev"))


def group_names(desired: DesiredState) -> list[str]:
    return [g.name for g in desired.groups]


def by_id(desired: DesiredState, **overrides: object) -> dict:
    settings = load_stack_settings(stack="dev", overrides={"auditBaseline": True, **overrides})
    return {
        r.identifier: r
        for r in managed_rules(desired.password_policy, group_names(desired), compile_state(settings).audit_baseline)
    }


def test_every_rule_id_and_parameter_is_known_to_aws_config(desired):
    for rule in by_id(desired).values():
        spec = MANAGED_RULES_CONSTRAINTS[rule.identifier]
        names = {p["Name"] for p in spec["Parameters"]}
        required = {p["Name"] for p in spec["Parameters"] if not p["Optional"]}
        assert set(rule.parameters) <= names, rule.identifier
        assert required <= set(rule.parameters), rule.identifier
        assert rule.periodic == ("Periodic" in spec["Trigger type"]), rule.identifier
        assert all(isinstance(v, str) for v in rule.parameters.values())
        assert len(rule.name) <= 64 and rule.name.startswith("iam-matrix-")


def test_parameters_come_from_the_stack_config():
    overrides = {
        "auditBaseline": True,
        "auditAccessKeyMaxAgeDays": 30,
        "auditUnusedCredentialDays": 60,
        "passwordMinimumLength": 16,
        "passwordRequireSymbols": False,
    }
    settings = load_stack_settings(stack="dev", overrides=overrides)
    desired = compile_state(settings)
    rules = {
        r.identifier: r for r in managed_rules(desired.password_policy, group_names(desired), desired.audit_baseline)
    }
    assert rules["ACCESS_KEYS_ROTATED"].parameters == {"maxAccessKeyAge": "30"}
    assert rules["IAM_USER_UNUSED_CREDENTIALS_CHECK"].parameters == {"maxCredentialUsageAge": "60"}
    assert json.loads(rules["IAM_PASSWORD_POLICY"].input_parameters) == {
        "MinimumPasswordLength": "16",
        "RequireUppercaseCharacters": "true",
        "RequireLowercaseCharacters": "true",
        "RequireNumbers": "true",
        "RequireSymbols": "false",
        "PasswordReusePrevention": "24",
        "MaxPasswordAge": "90",
    }
    groups = rules["IAM_USER_GROUP_MEMBERSHIP_CHECK"].parameters["groupNames"].split(",")
    assert groups == sorted(g.name for g in desired.groups)
    assert "Developer-2" in groups  # bundle groups count as the role's groups


def test_password_settings_that_turn_a_check_off_are_left_out(desired):
    policy = dataclasses.replace(desired.password_policy, max_password_age=0, password_reuse_prevention=0)
    rules = {r.identifier: r for r in managed_rules(policy, group_names(desired), BaselineOptions(enabled=True))}
    assert "MaxPasswordAge" not in rules["IAM_PASSWORD_POLICY"].parameters
    assert "PasswordReusePrevention" not in rules["IAM_PASSWORD_POLICY"].parameters


def test_too_many_group_names_fall_back_to_any_group_with_a_warning(desired):
    many = tuple(Group(f"Role{i:03d}-with-a-long-name", f"Role{i:03d}", 1, "/", ()) for i in range(60))
    warnings: list[str] = []
    rules = {
        r.identifier: r
        for r in managed_rules(
            desired.password_policy, [g.name for g in many], BaselineOptions(enabled=True), warn=warnings.append
        )
    }
    assert rules["IAM_USER_GROUP_MEMBERSHIP_CHECK"].parameters == {}
    assert rules["IAM_USER_GROUP_MEMBERSHIP_CHECK"].input_parameters is None
    assert len(warnings) == 1 and str(INPUT_PARAMETERS_MAX) in warnings[0]


def test_options_defaults_and_switches():
    off = compile_state(load_stack_settings(stack="dev")).audit_baseline
    assert not (
        off.enabled or off.trail or off.config_recorder or off.config_rules or off.analyzer or off.bucket or off.kms
    )
    rules_only = compile_state(
        load_stack_settings(
            stack="dev", overrides={"auditBaseline": True, "auditConfig": "RULES", "auditCloudTrail": False}
        )
    ).audit_baseline
    assert rules_only.config_rules and not rules_only.config_recorder and not rules_only.bucket
    assert not BaselineOptions(
        enabled=True, cloudtrail=False, config_mode="off", kms_key=True
    ).kms  # no key with nothing to encrypt


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"auditConfig": "sometimes"}, "config-audit-mode"),
        ({"auditCloudWatchLogsRetentionDays": 100}, "config-range"),
        ({"auditConfigResourceTypes": ["IAM::User"]}, "config-resource-type"),
    ],
)
def test_invalid_audit_config_stops_with_a_problem(overrides, code):
    with pytest.raises(MatrixInvalid) as raised:
        compile_state(load_stack_settings(stack="dev", overrides=overrides))
    problem = raised.value.problems[0]
    assert problem.code == code
    assert problem.location.cell == f"iam-matrix:{next(iter(overrides))}"
