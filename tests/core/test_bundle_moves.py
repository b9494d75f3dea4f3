"""The order of calls that moves a bundle's policies between its groups (iam_matrix.bundle_moves)."""

from __future__ import annotations

from iam_matrix.bundle_moves import plan_moves, provider_peak

P = [f"arn:aws:iam::aws:policy/P{i:02d}" for i in range(30)]


def replay(live, moves, quota, kept):
    attached = {group: set(arns) for group, arns in live.items()}
    for step in moves.steps:
        attached.setdefault(step.group, set())
        (attached[step.group].add if step.action == "attach" else attached[step.group].discard)(step.policy)
        assert all(len(arns) <= quota for arns in attached.values()), step
        assert kept <= set().union(*attached.values()), step
    return attached


def test_a_shift_through_full_groups_goes_from_the_last_group_back_and_never_over_the_quota():
    live = {"Dev": P[1:11], "Dev-2": P[11:21], "Dev-3": P[21:22]}
    wanted = {"Dev": [P[0], *P[1:10]], "Dev-2": P[10:20], "Dev-3": P[20:22]}  # P00 added: everything shifts by one
    assert max(provider_peak(live, wanted).values()) == 11  # what the provider alone would need
    moves = plan_moves(live, wanted, 10)
    assert moves.possible and set(moves.moved) == {P[10], P[20]}
    assert replay(live, moves, 10, set(P[1:22])) == {g: set(a) for g, a in wanted.items()}


def test_policies_the_role_drops_go_first_and_a_group_the_bundle_no_longer_needs_is_emptied():
    live = {"Dev": P[0:10], "Dev-2": P[10:12]}
    wanted = {"Dev": [*P[1:10], P[11]]}  # P00 and P10 leave the role; Dev-2 is no longer needed
    moves = plan_moves(live, wanted, 10)
    assert moves.steps[0].action == "detach" and moves.steps[0].policy in (P[0], P[10])
    assert replay(live, moves, 10, set(wanted["Dev"])) == {"Dev": set(wanted["Dev"]), "Dev-2": set()}


def test_a_swap_between_two_full_groups_has_no_safe_order():
    live = {"A": P[0:10], "B": P[10:20]}
    wanted = {"A": [*P[1:10], P[10]], "B": [P[0], *P[11:20]]}
    moves = plan_moves(live, wanted, 10)
    assert not moves.possible and set(moves.stuck) == {P[0], P[10]}
    replay(live, moves, 10, set(P[0:20]))  # what it did do stays within the quota and loses nothing
