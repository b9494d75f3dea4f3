"""The password-policy field table is the one list: the value, the component, the Config rule, the
audit and the diff all follow it, and "weaker" means the same thing in the audit and the diff."""

from __future__ import annotations

import dataclasses
import inspect

import pulumi_aws as aws
import pytest

from iam_matrix.audit.checks.password import password_findings
from iam_matrix.audit.snapshot import Snapshot
from iam_matrix.audit_baseline import BaselineOptions, managed_rules
from iam_matrix.password_policy import FIELDS, PasswordPolicy, compare, from_api, weakened
from iam_matrix.review.diff import _password_weakenings

STRONG = PasswordPolicy()


def test_the_table_lists_every_field_of_the_value_and_nothing_else() -> None:
    assert [f.attribute for f in FIELDS] == [f.name for f in dataclasses.fields(PasswordPolicy)]
    assert len({f.config_key for f in FIELDS}) == len({f.api_name for f in FIELDS}) == len(FIELDS)


def test_every_attribute_is_an_argument_of_the_provider_resource() -> None:
    arguments = inspect.signature(aws.iam.AccountPasswordPolicyArgs.__init__).parameters
    assert {f.attribute for f in FIELDS} <= set(arguments)


def test_api_names_round_trip() -> None:
    assert PasswordPolicy(**from_api(STRONG.to_api())) == STRONG
    # what GetAccountPasswordPolicy leaves out is read as IAM means it
    assert from_api({})["max_password_age"] == 0 and from_api({})["minimum_password_length"] == 8


@pytest.mark.parametrize(
    ("attribute", "have", "want", "verdict"),
    [
        ("minimum_password_length", 8, 14, "weaker"),
        ("minimum_password_length", 20, 14, "differs"),
        ("require_symbols", False, True, "weaker"),
        ("require_symbols", True, False, "differs"),
        ("max_password_age", 0, 90, "weaker"),  # 0 = never expires
        ("max_password_age", 365, 90, "weaker"),
        ("max_password_age", 30, 90, "differs"),
        ("max_password_age", 90, 0, "differs"),
        ("password_reuse_prevention", 5, 24, "weaker"),
        ("allow_users_to_change_password", False, True, "weaker"),
        ("hard_expiry", True, False, "differs"),
        ("hard_expiry", False, True, "differs"),
        ("hard_expiry", False, False, "same"),
    ],
)
def test_compare(attribute: str, have: object, want: object, verdict: str) -> None:
    (field,) = [f for f in FIELDS if f.attribute == attribute]
    assert compare(field, have, want) == verdict


def _snapshot(policy: PasswordPolicy) -> Snapshot:
    return Snapshot(account_id="111111111111", password_policy={**policy.to_api(), "ExpirePasswords": True})


def test_the_audit_and_the_diff_agree_on_what_is_weaker(project) -> None:
    desired = project.state()
    # every field at its least safe value (0 = never expires; hard expiry: neither way is safer)
    least_safe = {"higher": 0, "on": False, "shorter": 0, "": True}
    weakest = PasswordPolicy(**{f.attribute: least_safe[f.safer] for f in FIELDS})
    desired = dataclasses.replace(desired, password_policy=STRONG)
    findings = password_findings(desired, _snapshot(weakest))
    # one finding per field, every field but hard expiry (neither way is safer) reported as weaker
    assert sorted(f.resource for f in findings) == sorted(f"password-policy/{f.api_name}" for f in FIELDS)
    audit_weaker = {f.resource.split("/")[1] for f in findings if f.check != "password-policy-differs"}
    assert audit_weaker == {f.api_name for f in weakened(STRONG, weakest)}
    assert audit_weaker == {f.api_name for f in FIELDS} - {"HardExpiry"}
    assert len(_password_weakenings(STRONG, weakest)) == len(audit_weaker)
    assert "allow users to change password turned off" in _password_weakenings(STRONG, weakest)


def test_config_rule_parameters_follow_the_table() -> None:
    (rule,) = [r for r in managed_rules(STRONG, [], BaselineOptions()) if r.identifier == "IAM_PASSWORD_POLICY"]
    assert set(rule.parameters) == {f.api_name for f in FIELDS if f.config_rule}
