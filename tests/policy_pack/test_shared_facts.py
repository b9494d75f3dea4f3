"""The policy pack runs in its own venv without iam_matrix, so it keeps copies of a few facts;
these tests keep each copy equal to iam_matrix's one definition."""

from __future__ import annotations

from iam_matrix.catalog import ADMIN_POLICY_ARN
from iam_matrix.password_policy import FIELDS, PasswordPolicy
from tests.policy_pack.pack import rules


def _camel(attribute: str) -> str:
    head, *rest = attribute.split("_")
    return head + "".join(word.title() for word in rest)


def test_the_pack_administrator_access_arn_is_iam_matrix_s() -> None:
    # the pack matches by suffix so that every partition (aws, aws-cn, aws-us-gov) is caught
    assert "arn:aws" + rules.ADMIN_POLICY_ARN_SUFFIX == ADMIN_POLICY_ARN


def test_the_pack_cis_minimums_are_password_policy_fields_and_the_project_defaults() -> None:
    by_input = {_camel(f.attribute): f.attribute for f in FIELDS}  # pulumi_aws input names
    assert set(rules.CIS_PASSWORD_MINIMUMS) <= set(by_input)
    defaults = PasswordPolicy()
    assert {key: getattr(defaults, by_input[key]) for key in rules.CIS_PASSWORD_MINIMUMS} == dict(
        rules.CIS_PASSWORD_MINIMUMS
    )
