"""Properties of the compiled plan: order-independent, and nothing but documented
problems ever escapes, whatever the sheet holds."""

from __future__ import annotations

import csv
import io
import random
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_matrix.bundles import split_policies
from iam_matrix.compiler import check
from iam_matrix.desired import PolicyRef
from iam_matrix.settings import load_stack_settings


def _shuffled_csv(text: str, seed: int) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    rng = random.Random(seed)
    order = [0] + rng.sample(range(1, len(header)), len(header) - 1)
    rng.shuffle(body)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in [header, *body]:
        writer.writerow([row[i] for i in order])
    return out.getvalue()


def test_reordering_rows_and_columns_changes_nothing(project):
    before = project.check().state
    for name in ("matrix/users.csv", "matrix/policies.csv"):
        project.write(name, _shuffled_csv(project.read(name), seed=7))
    after = project.check().state
    assert after.groups == before.groups
    assert after.users == before.users
    assert after.roles == before.roles


def test_adding_a_policy_moves_policies_only_within_the_bundle():
    refs = [PolicyRef(f"P{i:02d}", f"arn:aws:iam::aws:policy/P{i:02d}", "aws") for i in range(25)]
    guard = PolicyRef(
        "Guard", "arn:aws:iam::${AWS::AccountId}:policy/foundation/Guard", "custom", guardrail=True, grants=False
    )
    before = split_policies([guard, *refs], 10)
    after = split_policies([guard, *refs, PolicyRef("P00a", "arn:aws:iam::aws:policy/P00a", "aws")], 10)
    assert before[0][0] == after[0][0] == guard
    assert [len(c) for c in before] == [10, 10, 6] and [len(c) for c in after] == [10, 10, 7]
    assert {p for c in after for p in c} - {p for c in before for p in c} == {after[0][2]}


cell = st.one_of(
    st.sampled_from(["Y", "y", " Yes ", "N", "", "-", "x", "✓", "1", "0", "maybe", "TRUE", "=SUM(A1)", ",", '"']),
    st.text(alphabet=string.printable + "가é✓", max_size=12),
)
name = st.one_of(
    st.emails(), st.text(alphabet=string.ascii_letters + string.digits + "@._- ,", min_size=0, max_size=70)
)
header = st.one_of(
    st.sampled_from(["Admin", "Viewer", "DBA", "MFA", "User", "Policies", "# note", "", "Developer"]),
    st.text(max_size=8),
)
policy = st.one_of(
    st.sampled_from(
        [
            "ReadOnlyAccess",
            "AdministratorAccess",
            "MFAForcePolicy",
            "DenyIPAddressPolicy",
            "AWSBatchServiceRole",
            "AmazonS3ReadOnlyAcess",
            "arn:aws:iam::aws:policy/Nope",
            "arn:aws:iam::123456789012:policy/x/Y",
            "AccessAnalyzerServiceRolePolicy",
        ]
    ),
    st.text(max_size=20),
)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    user_headers=st.lists(header, min_size=1, max_size=6),
    policy_headers=st.lists(header, min_size=1, max_size=6),
    users=st.lists(st.tuples(name, st.lists(cell, max_size=7)), max_size=8),
    policies=st.lists(st.tuples(policy, st.lists(cell, max_size=7)), max_size=8),
    quota=st.integers(min_value=1, max_value=20),
    raw=st.binary(max_size=40),
    use_raw=st.booleans(),
)
def test_generated_matrices_only_ever_yield_documented_problems(
    project, user_headers, policy_headers, users, policies, quota, raw, use_raw
):
    width_u = len(user_headers) + 1
    width_p = len(policy_headers) + 1
    user_rows = [["User", *user_headers]] + [[n, *(marks + [""] * width_u)[: width_u - 1]] for n, marks in users]
    policy_rows = [["Policies", *policy_headers]] + [
        [p, *(marks + [""] * width_p)[: width_p - 1]] for p, marks in policies
    ]
    project.write("matrix/users.csv", _csv(user_rows))
    if use_raw:
        (project.root / "matrix/policies.csv").write_bytes(raw)
    else:
        project.write("matrix/policies.csv", _csv(policy_rows))
    result = check(load_stack_settings(project.root, "dev", {"maxPoliciesPerGroup": quota}))
    # Either a state or errors, never both, never neither-with-a-crash.
    assert (result.state is None) == bool(result.errors)
    for problem in result.problems:
        assert problem.location.file and problem.message and problem.fix
