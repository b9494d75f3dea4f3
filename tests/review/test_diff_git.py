"""The access diff between two commits of a throwaway repository, CSV and xlsx."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iam_matrix.cli import main
from iam_matrix.review.diff import diff_revisions
from iam_matrix.review.revisions import revision_at
from tests.review.repo import GitProject


@pytest.fixture
def repo(tmp_path: Path) -> GitProject:
    return GitProject(tmp_path)


def run_diff(repo: GitProject, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["diff", "--project-dir", str(repo.root), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def csv_change(repo: GitProject) -> tuple[str, str]:
    base = repo.commit("the example matrix")
    repo.edit("matrix/users.csv", "lamp@demoasacode.io,,Y,Y,,,Y", "lamp@demoasacode.io,Y,Y,Y,,,Y")  # lamp joins Admin
    repo.edit("matrix/users.csv", "banana@demoasacode.io,,,,Y,,Y", "banana@demoasacode.io,,,,Y,,")  # MFA dropped
    repo.edit("matrix/users.csv", "tiger@demoasacode.io,,,,,,Y\n", "")  # removed
    repo.edit(
        "matrix/users.csv",
        "melon@demoasacode.io,,,,Y,,Y\n",
        "melon@demoasacode.io,,,,Y,,Y\nnew@demoasacode.io,,,,Y,,Y\n",
    )
    repo.edit("matrix/policies.csv", "AmazonRoute53ReadOnlyAccess,,Y,,,\n", "")  # Developer: 21 -> 20 policies
    repo.set_config(allowedCidrs=["192.0.2.0/24", "203.0.113.0/24", "198.51.100.0/24"])
    head = repo.commit("access change")
    return base, head


def test_csv_change_names_exactly_what_changed(repo: GitProject) -> None:
    base, head = csv_change(repo)
    diff = diff_revisions(revision_at(repo.root, base, "dev"), revision_at(repo.root, head, "dev"))

    assert [(e.kind, e.subject) for e in diff.escalations] == [
        ("admin", "lamp@demoasacode.io"),
        ("permissions-management", "new@demoasacode.io"),
        ("credentials-exposure", "new@demoasacode.io"),
        ("mfa-dropped", "banana@demoasacode.io"),
        ("cidr-added", "198.51.100.0/24"),
    ]
    # Developer's DenyDataPipelinePolicy still denies lamp datapipeline:*: admin-equivalent all the same
    assert (
        diff.escalations[0].message == "lamp@demoasacode.io becomes admin-equivalent (20434 of 20455 "
        "actions on all resources) through AdministratorAccess (role Admin)"
    )
    assert diff.escalations[2].message.startswith(
        "new user new@demoasacode.io gains 12 credentials-exposing "
        "action(s) on all resources (codeartifact:GetAuthorizationToken, "
    )
    assert diff.escalations[2].message.endswith(" through ReadOnlyAccess (role Viewer)")
    assert [u.name for u in diff.users_added] == ["new@demoasacode.io"]
    assert diff.users_added[0].roles == ("Viewer",) and diff.users_added[0].mfa_required
    assert [u.name for u in diff.users_removed] == ["tiger@demoasacode.io"]
    changed = {c.name: c for c in diff.users_changed}
    assert sorted(changed) == [
        "banana@demoasacode.io",
        "car@demoasacode.io",
        "devapple@demoasacode.io",
        "lamp@demoasacode.io",
        "symple@demoasacode.io",
    ]
    lamp = changed["lamp@demoasacode.io"]
    assert lamp.roles_gained == ("Admin",) and lamp.roles_lost == ()
    assert lamp.policies_gained == ("AdministratorAccess", "AmazonRoute53FullAccess", "AWSCertificateManagerFullAccess")
    assert lamp.policies_lost == ("AmazonRoute53ReadOnlyAccess",)
    assert changed["banana@demoasacode.io"].mfa_before is True and changed["banana@demoasacode.io"].mfa_after is False
    assert changed["banana@demoasacode.io"].policies_gained == changed["banana@demoasacode.io"].policies_lost == ()
    for name in ("car@demoasacode.io", "devapple@demoasacode.io", "symple@demoasacode.io"):
        assert (
            changed[name].policies_lost == ("AmazonRoute53ReadOnlyAccess",)
            and not changed[name].policies_gained
            and not changed[name].roles_gained
        )
        assert changed[name].via_roles == ("Developer",)
    # the size of each change, per access level: car still reads Route 53 through ReadOnlyAccess (Viewer)
    assert (changed["symple@demoasacode.io"].actions_lost, changed["symple@demoasacode.io"].services) == (
        {"List": 22, "Read": 16},
        ("route53",),
    )
    assert not changed["car@demoasacode.io"].actions_lost and not changed["car@demoasacode.io"].actions_gained
    assert lamp.actions_gained["Permissions management"] > 400 and not lamp.actions_lost
    assert [(r.name, r.status, r.policies_added, r.policies_removed) for r in diff.roles] == [
        ("Developer", "changed", (), ("AmazonRoute53ReadOnlyAccess",))
    ]
    assert [(b.role, b.kind, b.groups_before, b.groups_after) for b in diff.bundles] == [
        ("Developer", "merged", ("Developer", "Developer-2", "Developer-3"), ("Developer", "Developer-2"))
    ]
    assert [(d.name, d.status) for d in diff.documents] == [("DenyIPAddressPolicy", "changed")]
    assert [line for line in diff.documents[0].diff.splitlines() if "198.51.100.0/24" in line] == [
        '+            "198.51.100.0/24"'
    ]
    assert [s.name for s in diff.settings] == ["allowedCidrs"]


def test_markdown_comment_puts_escalations_first(repo: GitProject, capsys) -> None:
    base, head = csv_change(repo)
    code, out, err = run_diff(repo, capsys, "--base", base, "--head", head)
    assert code == 0, err
    assert out.startswith("<!-- iam-matrix access diff -->\n### Access changes: stack `dev`")
    headings = [line for line in out.splitlines() if line.startswith("#### ")]
    assert headings[0] == "#### :warning: Escalations (5)"
    assert headings[1:] == [
        "#### Users",
        "#### Roles",
        "#### Bundles (groups per role)",
        "#### Policy documents",
        "#### Settings",
        "#### Applying it",
    ]
    assert (
        "- **administrator access**: lamp@demoasacode.io becomes admin-equivalent (20434 "
        "of 20455 actions on all resources) through AdministratorAccess (role Admin)" in out
    )
    assert "```diff" in out
    assert (
        "- **car@demoasacode.io** (through a change to role `Developer`)\n  - loses AmazonRoute53ReadOnlyAccess" in out
    )
    assert "  - IAM actions +0 / -38 (List 22, Read 16) in route53" in out
    assert "- :heavy_minus_sign: **tiger@demoasacode.io** removed (had no role)" in out


def test_head_defaults_to_the_working_tree(repo: GitProject, capsys) -> None:
    base = repo.commit("the example matrix")
    repo.edit("matrix/users.csv", "scott@demoasacode.io,,,Y,,,Y", "scott@demoasacode.io,,,,,,Y")  # uncommitted
    code, out, _ = run_diff(repo, capsys, "--base", base, "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["head_ref"] == "working tree"
    assert report["escalations"] == []
    assert [(u["name"], u["roles_lost"]) for u in report["users_changed"]] == [("scott@demoasacode.io", ["DBA"])]


def test_xlsx_change(repo: GitProject) -> None:
    users, policies = repo.rows("matrix/users.csv"), repo.rows("matrix/policies.csv")
    repo.set_config(workbook="matrix/access.xlsx", usersFile=None, policiesFile=None)
    repo.write_workbook("matrix/access.xlsx", users, policies)
    base = repo.commit("the matrix as a workbook")
    scott = next(row for row in users if row[0] == "scott@demoasacode.io")
    scott[users[0].index("SysAdm")] = "Y"  # scott gains SysAdm
    mfa = next(row for row in policies if row[0] == "MFAForcePolicy")
    mfa[policies[0].index("Viewer")] = ""  # Viewer loses MFA enforcement
    repo.write_workbook("matrix/access.xlsx", users, policies)
    head = repo.commit("scott gets SysAdm, Viewer without MFAForcePolicy")

    diff = diff_revisions(revision_at(repo.root, base, "dev"), revision_at(repo.root, head, "dev"))
    assert [(e.kind, e.subject) for e in diff.escalations] == [
        ("privilege-escalation", "scott@demoasacode.io"),
        ("permissions-management", "scott@demoasacode.io"),
        ("credentials-exposure", "scott@demoasacode.io"),
        ("mfa-enforcement-dropped", "Viewer"),
    ]
    # scott could pass roles through DBA already; SysAdm adds ec2:RunInstances: the path is judged on the union
    assert diff.escalations[0].message.startswith(
        "scott@demoasacode.io gains 11 privilege-escalation path(s): "
        "CreateEC2WithExistingIP (ec2:RunInstances via AmazonEC2FullAccess (role SysAdm), "
    )
    assert "iam:PassRole via AmazonDynamoDBFullAccess (role DBA)" in diff.escalations[0].message
    assert (
        diff.escalations[2].message == "scott@demoasacode.io gains 1 credentials-exposing action(s) on all "
        "resources (ec2:GetPasswordData) through AmazonEC2FullAccess (role SysAdm)"
    )
    assert (
        diff.escalations[3].message == "role Viewer: the MFA guardrail is gone (it was "
        "MFAForcePolicy), so requests without MFA are allowed that were "
        "denied (4 members: banana@demoasacode.io, bicycle@demoasacode.io, car@demoasacode.io, melon@demoasacode.io)"
    )
    changed = {c.name: c for c in diff.users_changed}
    # bicycle and car keep MFAForcePolicy through DBA; only Viewer-only users lose it.
    assert sorted(changed) == ["banana@demoasacode.io", "melon@demoasacode.io", "scott@demoasacode.io"]
    assert changed["banana@demoasacode.io"].policies_lost == ("MFAForcePolicy",)
    assert changed["scott@demoasacode.io"].roles_gained == ("SysAdm",)
    assert [(r.name, r.policies_removed) for r in diff.roles] == [("Viewer", ("MFAForcePolicy",))]
    assert (
        not diff.users_added
        and not diff.users_removed
        and not diff.bundles
        and not diff.documents
        and not diff.settings
    )


def test_reordering_rows_is_no_access_change(repo: GitProject, capsys) -> None:
    base = repo.commit("the example matrix")
    lines = (repo.root / "matrix/users.csv").read_text().splitlines()
    (repo.root / "matrix/users.csv").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    head = repo.commit("reorder")
    for fmt, expected in (("markdown", "**No access change.**"), ("text", "No access change.")):
        code, out, _ = run_diff(repo, capsys, "--base", base, "--head", head, "--format", fmt)
        assert code == 0 and expected in out
    code, out, _ = run_diff(repo, capsys, "--base", base, "--head", head, "--format", "json")
    assert json.loads(out)["no_change"] is True


def test_bad_input_at_a_ref_exits_2_naming_it(repo: GitProject, capsys) -> None:
    good = repo.commit("the example matrix")
    repo.edit("matrix/policies.csv", "ReadOnlyAccess,,,,,Y", "ReadOnlyAcess,,,,,Y")
    bad = repo.commit("typo")
    code, out, err = run_diff(repo, capsys, "--base", good, "--head", bad)
    assert code == 2 and out == ""
    assert f"bad input at {bad} ({bad[:12]}): the matrix does not compile" in err
    assert "'ReadOnlyAcess' is not an AWS managed policy" in err
    code, _, err = run_diff(repo, capsys, "--base", bad, "--head", good)
    assert code == 2 and f"bad input at {bad} ({bad[:12]})" in err
    code, _, err = run_diff(repo, capsys, "--base", "no-such-ref")
    assert code == 2 and "bad input at no-such-ref: not a commit" in err
    code, _, err = run_diff(repo, capsys, "--base", good, "--stack", "prod")
    assert code == 2 and "bad input at working tree" in err


def test_a_new_stack_is_all_added(repo: GitProject) -> None:
    base = repo.commit("no prod yet")
    (repo.root / "Pulumi.prod.yaml").write_text((repo.root / "Pulumi.dev.yaml").read_text())
    head = repo.commit("prod")
    diff = diff_revisions(
        revision_at(repo.root, base, "prod", missing_stack_ok=True), revision_at(repo.root, head, "prod")
    )
    assert len(diff.users_added) == 11 and not diff.users_removed
    assert ("admin", "admin@demoasacode.io") in [(e.kind, e.subject) for e in diff.escalations]


def test_project_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    repo = GitProject(tmp_path / "infra")
    base = repo.commit("example")
    repo.edit("matrix/users.csv", "melon@demoasacode.io,,,,Y,,Y", "melon@demoasacode.io,Y,,,Y,,Y")
    head = repo.commit("melon admin")
    diff = diff_revisions(revision_at(repo.root, base, "dev"), revision_at(repo.root, head, "dev"))
    assert [(e.kind, e.subject) for e in diff.escalations][:1] == [("admin", "melon@demoasacode.io")]


def test_a_folder_outside_git_is_bad_input(tmp_path: Path, capsys) -> None:
    repo = GitProject(tmp_path)
    (tmp_path / ".git").rename(tmp_path / "not-git")
    code, _, err = run_diff(repo, capsys, "--base", "main")
    assert code == 2 and f"bad input at main: {tmp_path} is not in a git repository" in err


def test_the_sample_in_the_docs_is_the_real_output(repo: GitProject, capsys) -> None:
    """docs/reviewing-changes.md shows this very change; keep it the command's output."""
    import re

    csv_change(repo)
    code, out, _ = run_diff(repo, capsys, "--base", "main~1", "--head", "main")
    assert code == 0
    doc = (Path(__file__).resolve().parents[2] / "docs" / "reviewing-changes.md").read_text()
    sample = doc.split("````markdown\n", 1)[1].split("\n````", 1)[0]
    commits = re.compile(r"\([0-9a-f]{12}\)")
    assert commits.sub("(sha)", sample) == commits.sub("(sha)", out.rstrip("\n"))


def test_output_file_is_written_and_said(repo: GitProject, capsys, tmp_path_factory) -> None:
    base, _ = csv_change(repo)
    report = tmp_path_factory.mktemp("out") / "reports" / "diff.md"
    code, out, err = run_diff(repo, capsys, "--base", base, "--head", "HEAD", "--output", str(report))
    assert code == 0 and out == ""
    assert (
        err == f"wrote {report}: 5 escalations, 1 user added, 1 user removed, "
        "5 users changed, 1 role changed, 1 policy document changed\n"
    )
    assert report.read_text().startswith("<!-- iam-matrix access diff -->")


def test_summary_counts_read_as_english(repo: GitProject, capsys) -> None:
    base = repo.commit("the example matrix")
    for name in ("DenyDataPipelinePolicy", "DenyEC2StopAndTerminationMFAPolicy"):
        path = repo.root / "policies" / "foundation" / f"{name}.json"
        document = json.loads(path.read_text())
        document["Statement"][0]["Sid"] = "Renamed"
        path.write_text(json.dumps(document))
    code, out, _ = run_diff(repo, capsys, "--base", base, "--format", "text")
    assert code == 0
    assert out.splitlines()[1] == "2 policy documents changed"


def test_an_edit_of_the_shipped_example_shows_in_plan_and_diff(repo: GitProject, capsys) -> None:
    """The example exists once, in the form the dev stack reads: editing it changes what deploys."""
    repo.commit("the example matrix")
    repo.edit("matrix/users.csv", "scott@demoasacode.io,,,Y,,,Y", "scott@demoasacode.io,,,Y,Y,,Y")  # scott joins Viewer
    assert main(["plan", "--project-dir", str(repo.root), "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert next(u for u in plan["users"] if u["name"] == "scott@demoasacode.io")["roles"] == ["DBA", "Viewer"]
    code, out, _ = run_diff(repo, capsys, "--base", "HEAD", "--format", "text")
    assert code == 0 and "  ~ scott@demoasacode.io\n      joins Viewer\n      gains ReadOnlyAccess\n" in out
