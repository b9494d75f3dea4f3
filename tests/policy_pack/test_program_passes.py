"""The guardrails on what the real program registers (under mocks, dev stack): property
names and shapes are the engine's (camelCase, numbers as floats), so this is the check
that the rules read the program's actual inputs."""

from __future__ import annotations

import json

import pytest

from tests.deploy.program_types import AUDIT_VARIANTS, VARIANTS, run_variants
from tests.policy_pack.pack import rules


def as_resources(registered: list) -> list:
    """What CrossGuard hands a stack policy: each resource with the resources its inputs came from."""
    found = {r["urn"]: rules.Resource(r["type"], r["name"], r["props"], urn=r["urn"]) for r in registered}
    for r in registered:
        found[r["urn"]].property_dependencies = {
            key: [found[u] for u in urns if u in found] for key, urns in r["deps"].items()
        }
    return list(found.values())


@pytest.fixture(scope="module")
def resources() -> list:
    # The same run as the deployer policy test (cached per pytest process); its first variant is the dev stack.
    return as_resources(run_variants(json.dumps(VARIANTS + AUDIT_VARIANTS))[0]["resources"])


def test_the_example_stack_passes_every_guardrail(resources: list) -> None:
    assert {r.type for r in resources} >= {
        rules.GROUP,
        rules.GROUP_ATTACHMENTS_EXCLUSIVE,
        rules.POLICY,
        rules.PASSWORD_POLICY,
        rules.GROUP_MEMBERSHIP,
    }
    assert rules.admin_only_in_admin_roles(resources, ["Admin"]) == []
    assert rules.guardrails_in_every_role(resources) == []
    assert rules.password_policy_present(resources) == []
    for resource in resources:
        assert rules.no_inline_or_user_policies(resource.type, resource.props) == [], resource.name
        assert rules.no_star_on_star_policy(resource.type, resource.props) == [], resource.name
        assert rules.password_policy_cis(resource.type, resource.props) == [], resource.name


def test_the_guardrails_see_the_program_bundles(resources: list) -> None:
    groups = rules.group_names(resources)
    assert {"Developer", "Developer-2", "Developer-3"} <= groups
    assert rules.role_of("Developer-3", groups) == "Developer"
    # Without Admin in adminRoles the Admin group is flagged - and only it.
    assert [urn.rsplit("::", 1)[1] for _, urn in rules.admin_only_in_admin_roles(resources, [])] == ["Admin-policies"]
    # Dropping MFAForcePolicy from Viewer's first group is caught.
    edited = [
        rules.Resource(
            r.type,
            r.name,
            {**r.props, "policyArns": [a for a in r.props["policyArns"] if not a.endswith("/MFAForcePolicy")]},
            r.urn,
            r.property_dependencies,
        )
        if r.type == rules.GROUP_ATTACHMENTS_EXCLUSIVE and r.props["groupName"] == "Viewer"
        else r
        for r in resources
    ]
    assert [m for m, _ in rules.guardrails_in_every_role(edited)] == [
        "role Viewer: no policy of its groups (Viewer) is " + rules.GUARDRAIL_KINDS["mfa"]
    ]


def test_a_neutered_mfa_policy_in_the_program_fails_every_role(resources: list) -> None:
    """The program still attaches .../foundation/MFAForcePolicy to every role; its document
    (the Policy resource's input) now denies nothing: every role is flagged."""
    for resource in resources:
        if resource.type == rules.POLICY and resource.props.get("name") == "MFAForcePolicy":
            document = json.loads(resource.props["policy"])
            for statement in document["Statement"]:
                if statement["Effect"] == "Deny":
                    statement["NotAction"] = "*"
            original, resource.props = resource.props, {**resource.props, "policy": json.dumps(document)}
    try:
        messages = [m for m, _ in rules.guardrails_in_every_role(resources)]
    finally:
        for resource in resources:
            if resource.type == rules.POLICY and resource.props.get("name") == "MFAForcePolicy":
                resource.props = original
    assert [m.split(":")[0] for m in messages] == [
        f"role {r}" for r in ("Admin", "DBA", "Developer", "SysAdm", "Viewer")
    ]
    assert all("its MFA guardrail (MFAForcePolicy) leaves" in m for m in messages)


def test_a_stack_with_the_audit_baseline_passes_too() -> None:
    """The AuditBaseline's CloudTrail delivery role has an inline policy: roles are out of
    the inline rule's scope (it is about people), and nothing else is flagged."""
    resources = as_resources(run_variants(json.dumps(VARIANTS + AUDIT_VARIANTS))[-1]["resources"])
    assert "aws:iam/rolePolicy:RolePolicy" in {r.type for r in resources}
    assert (
        rules.admin_only_in_admin_roles(resources) == []
        and rules.guardrails_in_every_role(resources) == []
        and rules.password_policy_present(resources) == []
    )
    for resource in resources:
        assert rules.no_inline_or_user_policies(resource.type, resource.props) == [], resource.name
        assert rules.no_star_on_star_policy(resource.type, resource.props) == [], resource.name


def test_the_pack_and_validate_agree_on_a_union_of_the_programs_roles(resources: list, tmp_path) -> None:
    """PowerUserAccess for DBA and IAMFullAccess for Viewer: no role is admin-equivalent, the
    users holding both are. The pack (on what the program registers, attachments edited the
    same way) and validate (on the matrix) name the same users, each once per role combination."""
    from tests.project import Project

    extra = {"DBA": "arn:aws:iam::aws:policy/PowerUserAccess", "Viewer": "arn:aws:iam::aws:policy/IAMFullAccess"}
    edited = [
        rules.Resource(
            r.type,
            r.name,
            {**r.props, "policyArns": [*r.props["policyArns"], extra[r.props["groupName"]]]},
            r.urn,
            r.property_dependencies,
        )
        if r.type == rules.GROUP_ATTACHMENTS_EXCLUSIVE and r.props["groupName"] in extra
        else r
        for r in resources
    ]
    pack = [m for m, _ in rules.admin_only_in_admin_roles(edited, ["Admin"])]
    project = Project.copy(tmp_path)
    project.edit(
        "matrix/policies.csv",
        "ReadOnlyAccess,,,,,Y\n",
        "ReadOnlyAccess,,,,,Y\nPowerUserAccess,,,Y,,\nIAMFullAccess,,,,,Y\n",
    )
    validate = [p.message for p in project.check().errors]
    assert sorted(m.split(" (")[0] for m in pack) == ["user bicycle@demoasacode.io", "user car@demoasacode.io"]
    assert sorted(m.split(" (")[0] for m in validate) == sorted(m.split(" (")[0] for m in pack)
    assert all("through PowerUserAccess (role DBA), IAMFullAccess (role Viewer)" in m for m in validate)
    assert all("through PowerUserAccess (group DBA), IAMFullAccess (group Viewer)" in m for m in pack)
