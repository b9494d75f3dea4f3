"""What the model makes of policy documents: expansion, qualifiers, denies, guardrails, risks."""

from __future__ import annotations

import pytest

from iam_matrix.access.catalog import load_action_catalog
from iam_matrix.access.model import build_model
from iam_matrix.access.policies import compile_policy, unscoped

from .states import IP_DOC, MFA_DOC, allow, state


def role_access(*policies: str, custom: dict | None = None):
    model = build_model(state({"R": policies}, {"u": ("R",)}, custom))
    return model, model.role("R")


@pytest.mark.parametrize("resource", ["*", "arn:*", "arn:aws:*:*:*:*", ["arn:aws:s3:::bucket/*", "*"]])
def test_every_way_of_writing_all_resources_is_unscoped(resource):
    _, access = role_access("Wide", custom={"Wide": allow("*", resource)})
    assert access.admin_equivalent


def test_scoped_wildcard_is_not_admin_and_an_arn_narrows_actions_to_its_service():
    _, access = role_access("Bucket", custom={"Bucket": allow("*", "arn:aws:s3:::data/*")})
    catalog = load_action_catalog()
    assert not access.admin_equivalent and not access.broad
    assert access.allowed == catalog.services["s3"].mask


def test_always_true_condition_and_notaction_of_one_harmless_action_are_still_admin():
    _, secure = role_access(
        "Secure", custom={"Secure": allow("*", Condition={"Bool": {"aws:SecureTransport": "true"}})}
    )
    assert secure.admin_equivalent and not secure.unconditional
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "*"}]}
    _, almost = role_access("Almost", custom={"Almost": doc})
    assert almost.admin_equivalent


def test_power_user_is_near_admin_and_iam_full_access_is_permissions_management_and_escalation():
    _, power = role_access("PowerUserAccess")
    assert power.near_admin and not power.admin_equivalent and "near-admin" in power.risks
    _, iam = role_access("IAMFullAccess")
    assert not iam.admin_equivalent and "permissions-management" in iam.risks
    assert "CreateAccessKey" in {p.method for p in iam.escalation_paths}


def test_escalation_is_judged_on_the_union_of_a_users_roles():
    custom = {"Pass": allow("iam:PassRole"), "Run": allow("ec2:RunInstances")}
    model = build_model(state({"A": ("Pass",), "B": ("Run",)}, {"u": ("A", "B"), "v": ("A",)}, custom))
    assert not model.role("A").escalation_paths and not model.role("B").escalation_paths
    path = next(p for p in model.user("u").escalation_paths if p.method == "CreateEC2WithExistingIP")
    assert path.sources == {"ec2:RunInstances": (("B", "Run"),), "iam:PassRole": (("A", "Pass"),)}
    assert not model.user("v").escalation_paths


def test_explicit_deny_in_one_role_removes_the_allow_of_another():
    custom = {"Deny": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}}
    model = build_model(state({"A": ("AdministratorAccess",), "B": ("Deny",)}, {"u": ("A", "B")}, custom))
    user = model.user("u")
    assert not user.allowed & load_action_catalog().services["iam"].mask
    assert user.near_admin and not user.admin_equivalent


def test_unknown_actions_are_kept_and_reported():
    catalog = load_action_catalog()
    access = compile_policy("Typo", allow(["s3:GetObjct", "nosuch:Thing", "s3:GetObject"]), catalog)
    assert access.unknown == ("s3:GetObjct", "nosuch:Thing")
    assert access.allow == catalog.bit("s3:GetObject")


def test_guardrails_are_understood_from_their_documents():
    _, access = role_access("MFA", "IP", "ReadOnlyAccess", custom={"MFA": MFA_DOC, "IP": IP_DOC})
    assert access.guardrails["mfa"].holds and access.guardrails["network"].holds
    weak_mfa = {"Version": "2012-10-17", "Statement": [{**MFA_DOC["Statement"][0], "NotAction": "*"}]}
    weak_ip = {
        "Version": "2012-10-17",
        "Statement": [{**IP_DOC["Statement"][0], "Action": "datapipeline:ListPipelines"}],
    }
    _, weak = role_access("MFA", "IP", custom={"MFA": weak_mfa, "IP": weak_ip})
    assert weak.guardrails["mfa"].present and not weak.guardrails["mfa"].holds
    assert weak.guardrails["network"].gaps.bit_count() == len(load_action_catalog()) - 1
    _, none = role_access("ReadOnlyAccess")
    assert not none.guardrails["mfa"].present


def test_conditional_deny_limits_without_removing():
    custom = {
        "NoBig": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": "rds:CreateDBInstance",
                    "Resource": "*",
                    "Condition": {"StringNotLike": {"rds:DatabaseClass": "db.t3.*"}},
                }
            ],
        }
    }
    _, access = role_access("AmazonRDSFullAccess", "NoBig", custom=custom)
    bit = load_action_catalog().bit("rds:CreateDBInstance")
    assert access.allowed & bit and access.limited & bit


def test_unscoped_resource_forms():
    assert unscoped("*") and unscoped("arn:*") and unscoped("arn:aws:*:*:*:*")
    assert not unscoped("arn:aws:s3:::*") and not unscoped("arn:aws:iam::*:user/${aws:username}")


def test_validate_and_the_command_share_one_model(project):
    """The compile's access rules build the model of the planned roles; the command's model of
    the compiled state (whose roles are derived anew, equal in value) is that same model, and a
    state with other documents gets its own."""
    from iam_matrix.access import model as access_model
    from iam_matrix.compiler import check
    from iam_matrix.settings import load_stack_settings

    access_model._BUILT.clear()
    state = check(load_stack_settings(project.root, "dev")).state
    [(_, validated)] = access_model._BUILT
    assert build_model(state) is validated
    project.edit("policies/foundation/MFAForcePolicy.json", '"Deny"', '"Deny" ')
    edited = check(load_stack_settings(project.root, "dev")).state
    assert build_model(edited) is not validated
