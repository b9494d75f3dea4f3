"""iam_matrix/live_names.py: matrix names the account holds in another spelling."""

from __future__ import annotations

import dataclasses

from iam_matrix.live_names import case_conflicts, live_name_problems


def test_only_names_that_exist_in_another_spelling_conflict() -> None:
    assert case_conflicts(["alice", "Bob", "carol"], ["Alice", "Bob", "dave"]) == [("alice", "Alice")]
    assert case_conflicts(["Alice"], ["Alice"]) == []


def test_users_and_groups_are_located_with_the_two_step_fix(project) -> None:
    state = project.state()
    problems = live_name_problems(state, users=["SCOTT@demoasacode.io", "someone-else"], groups=["viewer", "Admin"])
    assert [p.code for p in problems] == ["user-case-conflict", "group-case-conflict"]
    user, group = (str(p) for p in problems)
    assert user.startswith("users.csv: error [user-case-conflict]: user scott@demoasacode.io: the account has user")
    assert "two steps" in user and "spell it SCOTT@demoasacode.io" in user
    assert "group Viewer (role Viewer): the account has group viewer" in group


def test_users_are_not_checked_when_the_stack_does_not_manage_them(project) -> None:
    state = dataclasses.replace(project.state(), manage_users=False)
    assert live_name_problems(state, users=["SCOTT@demoasacode.io"], groups=[]) == []
