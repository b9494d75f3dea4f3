"""What the review diff says about applying a change: bundle moves, path changes, case-only renames."""

from __future__ import annotations

import dataclasses

from iam_matrix.desired import CustomPolicy, Group, PolicyRef, User
from iam_matrix.review.deploy import deploy_notes
from iam_matrix.review.diff import Revision, diff_revisions
from iam_matrix.review.report import markdown, text
from tests.review.test_diff_unit import BASE, state

REFS = [PolicyRef(f"P{i:02d}", f"arn:aws:iam::aws:policy/P{i:02d}", "aws") for i in range(12)]


def bundle(a: list[PolicyRef], b: list[PolicyRef]):
    base = state({"Ops": tuple(a + b)}, {"ann": ("Ops",)})
    groups = (Group("Ops", "Ops", 1, "/", tuple(a)), Group("Ops-2", "Ops", 2, "/", tuple(b)))
    return dataclasses.replace(base, groups=groups, users=(User("ann", True, ("Ops",), "users.csv"),))


def test_a_shift_is_reported_as_applicable_in_one_up_and_a_swap_of_full_groups_blocks():
    before = bundle(REFS[1:11], REFS[11:12])
    shifted = bundle(REFS[0:10], REFS[10:12])
    (note,) = deploy_notes(before, shifted, 10)
    assert (
        (note.kind, note.blocks) == ("bundle-moves", False)
        and "P10" in note.message
        and "one pulumi up applies it" in note.message
    )
    full = bundle(REFS[0:10], REFS[10:12])
    swapped = bundle([*REFS[1:10], REFS[10]], [REFS[0], REFS[11]])
    assert [(n.kind, n.blocks) for n in deploy_notes(full, swapped, 10)] == [("bundle-moves", False)]
    assert [n.kind for n in deploy_notes(full, swapped, 9)] == ["bundle-overflow"]  # with no room at all


def test_case_only_renames_and_path_changes_block_the_diff_and_say_the_two_steps():
    renamed = dataclasses.replace(
        BASE, users=tuple(dataclasses.replace(u, name=u.name.upper()) if u.name == "bob" else u for u in BASE.users)
    )
    moved = dataclasses.replace(
        BASE,
        policies=tuple(
            CustomPolicy(p.name, "/guard/", p.document, "policies/guard/x.json") if p.name == "MFAForcePolicy" else p
            for p in BASE.policies
        ),
    )
    diff = diff_revisions(Revision(BASE, "base"), Revision(renamed, "head"))
    assert diff.blocked and "bob becomes BOB" in diff.deploy[0].message and "Two steps" in diff.deploy[0].message
    assert "cannot be applied as it is" in markdown(diff) and "BLOCKED:" in text(diff)
    (note,) = deploy_notes(BASE, moved, 10)
    assert note.kind == "policy-path" and note.blocks and "DeleteConflict" in note.message
