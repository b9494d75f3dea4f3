"""The desired state stores each fact once and refuses facts that contradict each other."""

from __future__ import annotations

import dataclasses

import pytest

from iam_matrix.desired import CustomPolicy, DesiredState, Group, InconsistentState, PolicyRef, User
from iam_matrix.password_policy import PasswordPolicy

READ = PolicyRef("ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess", "aws")
ADMIN = PolicyRef("AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess", "aws")
GUARD = CustomPolicy("Guard", "/foundation/", {"Version": "2012-10-17", "Statement": []}, "policies/Guard.json")
GUARD_REF = PolicyRef("Guard", GUARD.arn, "custom", guardrail=True, grants=False)


def state(groups: tuple[Group, ...], users: tuple[User, ...], policies=(GUARD,)) -> DesiredState:
    return DesiredState("dev", None, "/", True, groups, users, policies, PasswordPolicy())


def ops_state() -> DesiredState:
    groups = (
        Group("Ops", "Ops", 1, "/", (GUARD_REF, READ)),
        Group("Ops-2", "Ops", 2, "/", (ADMIN,)),
        Group("Viewer", "Viewer", 1, "/", (READ,)),
    )
    users = (
        User("bob", False, ("Ops", "Viewer"), "users.csv"),
        User("Ann", True, ("Ops",), "users.csv"),
        User("carl", True, (), "users.csv"),
    )
    return state(groups, users)


def test_roles_members_and_a_users_groups_are_derived_from_the_users_roles():
    desired = ops_state()
    assert [(r.name, r.groups, r.members) for r in desired.roles] == [
        ("Ops", ("Ops", "Ops-2"), ("Ann", "bob")),
        ("Viewer", ("Viewer",), ("bob",)),
    ]
    assert desired.role("Ops").policies == (GUARD_REF, READ, ADMIN)
    assert desired.members("Viewer") == ("bob",) and desired.members("Nobody") == ()
    assert desired.groups_of(desired.user("bob")) == ("Ops", "Ops-2", "Viewer")
    assert desired.groups_of(desired.user("carl")) == ()
    # One fact changed in one place changes every view of it.
    moved = dataclasses.replace(desired, users=(User("Ann", True, ("Viewer",), "users.csv"),))
    assert moved.members("Ops") == () and moved.members("Viewer") == ("Ann",)
    assert moved.groups_of(moved.user("Ann")) == ("Viewer",)
    as_json = moved.to_dict()
    assert [(g["name"], g["members"]) for g in as_json["groups"]] == [("Ops", []), ("Ops-2", []), ("Viewer", ["Ann"])]
    assert as_json["users"] == [{"name": "Ann", "mfa_required": True, "roles": ["Viewer"], "groups": ["Viewer"]}]


def test_a_role_named_by_a_user_but_without_groups_is_refused():
    # The state the issue names: no roles, while the users name one.
    with pytest.raises(InconsistentState) as refused:
        state((Group("Viewer", "Viewer", 1, "/", (READ,)),), (User("ann", True, ("Viewr",), "users.csv"),))
    assert "user 'ann' has role 'Viewr', but no group belongs to it" in str(refused.value)
    assert "stack 'dev'" in str(refused.value)


def test_every_contradiction_is_named_at_once():
    groups = (
        Group("Ops", "Ops", 1, "/", (PolicyRef("Missing", "arn:aws:iam::${AWS::AccountId}:policy/Missing", "custom"),)),
        Group("OPS", "Other", 1, "/", ()),
        Group("Ops-3", "Ops", 3, "/", ()),
    )
    users = (User("ann", True, ("Ops",), "users.csv"), User("Ann", True, (), "users.csv"))
    with pytest.raises(InconsistentState) as refused:
        state(groups, users, policies=())
    message = str(refused.value)
    assert "group 'OPS' is defined twice (as 'Ops' too" in message
    assert "user 'Ann' is defined twice (as 'ann' too" in message
    assert "the groups of role 'Ops' have indexes [1, 3]; a bundle is numbered 1..n" in message
    assert "group 'Ops' attaches custom policy 'Missing', which the state does not define" in message


def test_a_consistent_state_cannot_be_made_inconsistent_by_replacing_a_field():
    desired = ops_state()
    with pytest.raises(InconsistentState, match="attaches custom policy 'Guard'"):
        dataclasses.replace(desired, policies=())
    with pytest.raises(InconsistentState, match="has role 'Ops', but no group belongs to it"):
        dataclasses.replace(desired, groups=desired.groups[2:])


def test_the_compiled_example_derives_the_same_membership_everywhere(project):
    desired = project.state()
    for role in desired.roles:
        for name in role.groups:
            members = {m for m in role.members}
            assert members == {u.name for u in desired.users if name in desired.groups_of(u)}
    as_json = desired.to_dict()
    assert {g["name"]: g["members"] for g in as_json["groups"]} == {
        g.name: list(desired.members(g.role)) for g in desired.groups
    }
