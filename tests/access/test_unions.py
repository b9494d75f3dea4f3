"""validate on users whose risk lies only in the union of their roles: admin-equivalent through
two roles none of which is in adminRoles (an error), a privilege-escalation path no one role
has (a warning), each once per role combination at the first such user's row."""

from __future__ import annotations

import json
import random

from iam_matrix.access.catalog import load_risks
from iam_matrix.access.model import build_model
from iam_matrix.access.rules import check_access
from iam_matrix.access.unions import union_risks
from iam_matrix.problems import Location, Problems

from .states import allow, state

EVERYTHING_BUT_IAM = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
}
IAM_ALL = allow("iam:*")
RUN_ONLY = allow("ec2:RunInstances")
PASS_ONLY = allow("iam:PassRole")


def give(project, policy: str, document: dict, role: str) -> None:
    """Add a custom policy row marked for one role (columns: Admin, Developer, DBA, SysAdm, Viewer)."""
    project.write(f"policies/custom/{policy}.json", json.dumps(document, indent=2))
    marks = ",".join("Y" if r == role else "" for r in ("Admin", "Developer", "DBA", "SysAdm", "Viewer"))
    project.edit("matrix/policies.csv", "ReadOnlyAccess,,,,,Y\n", f"ReadOnlyAccess,,,,,Y\n{policy},{marks}\n")


def codes(result, *wanted: str) -> list:
    return [p for p in result.problems if p.code in wanted]


def test_the_example_has_no_risk_only_in_a_union(project):
    assert codes(project.check(), "user-roles-admin-equivalent", "user-roles-privilege-escalation") == []


def test_admin_only_through_two_roles_is_one_error_per_role_combination_at_a_users_row(project):
    give(project, "EverythingButIam", EVERYTHING_BUT_IAM, "Developer")
    give(project, "IamAll", IAM_ALL, "DBA")
    result = project.check()
    assert [p.code for p in result.errors] == ["user-roles-admin-equivalent"] * 2  # neither role alone is admin
    by_place = {str(p.location): p for p in result.errors}
    assert sorted(by_place) == ["users.csv A11", "users.csv A6"]
    pair = by_place["users.csv A6"]
    assert pair.message.startswith(
        "users devapple@demoasacode.io (A6), lamp@demoasacode.io (A4) are admin-equivalent through the union of "
        "roles DBA + Developer (all actions on all resources, through EverythingButIam (role Developer), "
        "IamAll (role DBA)), though no one of these roles is, and none is in iam-matrix:adminRoles (Admin)"
    )
    assert pair.fix.startswith("clear the mark of Developer or DBA on these users' rows, or narrow EverythingButIam")
    # car holds DBA + Developer + Viewer: another combination, reported on its own
    assert by_place["users.csv A11"].message.startswith("user car@demoasacode.io (A11) is admin-equivalent")
    assert result.state is None


def test_a_combination_with_an_admin_role_is_fine(project):
    give(project, "EverythingButIam", EVERYTHING_BUT_IAM, "Developer")
    give(project, "IamAll", IAM_ALL, "DBA")
    project.set_config(adminRoles=["Admin", "DBA"])
    result = project.check()
    assert result.errors == [] and result.state is not None


def test_escalation_only_through_two_roles_is_a_warning_naming_path_actions_and_policies(project):
    give(project, "RunOnly", RUN_ONLY, "Viewer")  # DBA can pass a role (AmazonDynamoDBFullAccess), Viewer run one
    result = project.check()
    assert result.errors == []
    [warning] = codes(result, "user-roles-privilege-escalation")
    assert (warning.severity, str(warning.location)) == ("warning", "users.csv A12")
    assert warning.message == (
        "user bicycle@demoasacode.io (A12) has 1 privilege-escalation path(s) only through the union of roles "
        "DBA + Viewer, which no one of these roles has (cloudsplaining's list): CreateEC2WithExistingIP: "
        "ec2:RunInstances via RunOnly (role Viewer), iam:PassRole via AmazonDynamoDBFullAccess (role DBA)"
    )
    assert warning.fix.startswith("clear the mark of Viewer or DBA on this row")
    # car (DBA + Developer + Viewer) has the path through Developer alone: nothing new in their union
    project.set_config(suppressWarnings=["user-roles-privilege-escalation"])
    suppressed = project.check()
    assert codes(suppressed, "user-roles-privilege-escalation") == [] and suppressed.suppressed == 1


def test_a_union_that_adds_nothing_dangerous_gets_nothing():
    model = build_model(
        state({"A": ("ReadOnlyAccess",), "B": ("AmazonS3FullAccess",)}, {"u": ("A", "B"), "v": ("A", "B")})
    )
    assert union_risks(model, ()) == []


def test_many_users_of_one_combination_are_judged_once_and_counted():
    users = {f"user{i:03d}": ("Ops", "Tools") for i in range(250)}
    custom = {"EverythingButIam": EVERYTHING_BUT_IAM, "IamAll": IAM_ALL}
    given = state({"Ops": ("EverythingButIam",), "Tools": ("IamAll",)}, users, custom)
    model = build_model(given)
    [risk] = union_risks(model, ("Admin",))
    assert risk.admin and risk.roles == ("Ops", "Tools") and len(risk.users) == 250
    assert risk.admin_via() == (("Ops", "EverythingButIam"), ("Tools", "IamAll"))
    assert union_risks(model, ("Tools",)) == []
    problems = Problems()
    roles = model.roles
    policies = {p.name: p for p in given.policies}
    check_access(roles, model.users, policies, ("Admin",), {r.name: Location("policies.csv") for r in roles}, problems)
    [error] = problems.errors
    assert error.message.startswith("users user000, user001, user002 and 247 more are admin-equivalent")


def test_a_role_admin_alone_is_left_to_its_own_rule():
    custom = {"IamAll": IAM_ALL}
    model = build_model(
        state({"Admin": ("AdministratorAccess",), "Tools": ("IamAll",)}, {"u": ("Admin", "Tools")}, custom)
    )
    assert union_risks(model, ()) == []


def test_each_combination_is_judged_as_each_of_its_users_union_would_be():
    """The rule's shortcuts (one judgement per combination, escalation actions tested on small
    ints) find exactly what judging every user's own union from scratch finds."""
    rng = random.Random(7)
    custom = {"EverythingButIam": EVERYTHING_BUT_IAM, "IamAll": IAM_ALL, "RunOnly": RUN_ONLY, "PassOnly": PASS_ONLY}
    names = [*custom, "PowerUserAccess", "AmazonEC2FullAccess", "AWSLambda_FullAccess", "ReadOnlyAccess"]
    names += ["AmazonDynamoDBFullAccess", "AmazonS3ReadOnlyAccess", "CloudWatchFullAccess", "AWSBatchServiceRole"]
    roles = {f"R{i:02d}": tuple(rng.sample(names, 2)) for i in range(14)}
    users = {f"u{i:03d}": tuple(rng.sample(sorted(roles), rng.randint(1, 3))) for i in range(160)}
    model = build_model(state(roles, users, custom))
    expected = set()
    for user, held in users.items():
        alone = [model.role(r) for r in held]
        if len(held) < 2 or any(a.admin_equivalent for a in alone):
            continue
        union, had = model.user(user), {p.method for a in alone for p in a.escalation_paths}
        if union.admin_equivalent:
            expected.add((user, "admin"))
        elif {p.method for p in union.escalation_paths} - had:
            expected.add((user, "path"))
    found = {(user, "admin" if r.admin else "path") for r in union_risks(model, ()) for user in r.users}
    assert found == expected
    assert {kind for _, kind in found} == {"admin", "path"}


def test_admin_through_a_union_is_found_when_one_role_already_has_every_escalation_path():
    """No path is new in the union, so only the admin test can find it."""
    every_path_action = load_risks().privilege_escalation.values()
    actions = sorted({a for path in every_path_action for a in path if not a.lower().startswith("iam:")})
    custom = {"EverythingButIam": EVERYTHING_BUT_IAM, "IamAll": IAM_ALL, "PathActions": allow(actions)}
    model = build_model(
        state({"Ops": ("EverythingButIam",), "Tools": ("IamAll", "PathActions")}, {"u": ("Ops", "Tools")}, custom)
    )
    assert not model.role("Tools").admin_equivalent
    assert {p.method for p in model.combination(("Ops", "Tools")).escalation_paths} == {
        p.method for p in model.role("Tools").escalation_paths
    }
    [risk] = union_risks(model, ())
    assert risk.admin and risk.users == ("u",)


def test_union_warnings_past_the_listing_cap_are_counted_not_written_out():
    roles = {f"P{i:03d}": ("PassOnly",) for i in range(105)} | {f"R{i:03d}": ("RunOnly",) for i in range(105)}
    users = {f"u{i:03d}": (f"P{i:03d}", f"R{i:03d}") for i in range(105)}
    given = state(roles, users, {"PassOnly": PASS_ONLY, "RunOnly": RUN_ONLY})
    problems = Problems()
    at = {r.name: Location("policies.csv") for r in given.roles}
    check_access(given.roles, given.users, {p.name: p for p in given.policies}, (), at, problems)
    warnings = [p for p in problems.warnings if p.code == "user-roles-privilege-escalation"]
    assert len(warnings) == 101 and warnings[-1].message.startswith("5 more user-roles-privilege-escalation problems")
    assert warnings[0].message.startswith("user u000 has 1 privilege-escalation path(s) only through the union")
