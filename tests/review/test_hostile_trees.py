"""A pull request cannot make the access diff see something other than what `pulumi up`
would read: crafted git trees and symlinks are errors that name the path, and nothing is
written outside the diff's temporary folder."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from iam_matrix.cli import main
from iam_matrix.review.revisions import RefError, revision_at
from tests.review.repo import GitProject

ADMIN = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
).encode()


@pytest.fixture
def repo(tmp_path: Path) -> GitProject:
    (tmp_path / "repo").mkdir()
    return GitProject(tmp_path / "repo")


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The diff's temporary folders go here, so the test can see everything written."""
    folder = tmp_path / "tmp" / "deep"
    folder.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def policies_entries(repo: GitProject, commit: str) -> list[tuple[str, str, str, str]]:
    """The entries of ``policies/`` at ``commit`` as (mode, type, object, name)."""
    out = []
    for line in repo.git("ls-tree", f"{commit}:policies").splitlines():
        meta, name = line.split("\t")
        mode, kind, sha = meta.split()
        out.append((mode, kind, sha, name))
    return out


def errors_at(repo: GitProject, ref: str) -> list[tuple[str, str]]:
    with pytest.raises(RefError) as raised:
        revision_at(repo.root, ref, "dev")
    return [(p.code, p.location.file) for p in raised.value.problems if p.severity == "error"]


def test_dotdot_entries_cannot_write_outside_the_temporary_folder(repo: GitProject, scratch: Path, capsys) -> None:
    base = repo.commit("example")
    evil = repo.tree([("100644", "blob", repo.blob(ADMIN), "escaped.json")])
    up = repo.tree([("040000", "tree", evil, "..")])
    head = repo.crafted_commit(base, "policies", [*policies_entries(repo, base), ("040000", "tree", up, "..")])
    assert (
        repo.git("ls-tree", "-r", "--name-only", head, "--", "policies").splitlines()[0]
        == "policies/../../escaped.json"
    )
    assert errors_at(repo, head) == [("path-unsafe", "policies/../../escaped.json")]
    code = main(["diff", "--project-dir", str(repo.root), "--base", base, "--head", head])
    err = capsys.readouterr().err
    assert code == 2 and "git tree entry 'policies/../../escaped.json'" in err
    assert not list(scratch.parent.rglob("escaped.json")) and not list(scratch.rglob("*.json"))


def test_a_symlink_committed_under_policies_is_an_error_not_skipped(repo: GitProject, capsys) -> None:
    base = repo.commit("example")
    (repo.root / "notes").mkdir()
    (repo.root / "notes" / "admin.json").write_bytes(ADMIN)
    os.symlink("../../notes/admin.json", repo.root / "policies/custom/ReadOnlyAccess.json")
    head = repo.commit("Viewer's ReadOnlyAccess, by a symlink")
    assert repo.git("ls-tree", head, "policies/custom/ReadOnlyAccess.json").startswith("120000 blob")
    assert errors_at(repo, head) == [("path-symlink", "policies/custom/ReadOnlyAccess.json")]
    code = main(["diff", "--project-dir", str(repo.root), "--base", base, "--head", head])
    assert code == 2 and "'policies/custom/ReadOnlyAccess.json' is a symlink" in capsys.readouterr().err
    # The working tree (what `pulumi up` reads) is refused the same way.
    code = main(["diff", "--project-dir", str(repo.root), "--base", base])
    assert code == 2 and "'policies/custom/ReadOnlyAccess.json' is a symlink" in capsys.readouterr().err


def test_a_symlinked_matrix_file_or_stack_file_in_git_is_an_error(repo: GitProject) -> None:
    base = repo.commit("example")
    (repo.root / "matrix/users.csv").rename(repo.root / "matrix/real-users.csv")
    os.symlink("real-users.csv", repo.root / "matrix/users.csv")
    head = repo.commit("users by symlink")
    assert errors_at(repo, head) == [("path-symlink", "matrix/users.csv")]
    (repo.root / "Pulumi.dev.yaml").rename(repo.root / "stack.yaml")
    os.symlink("stack.yaml", repo.root / "Pulumi.dev.yaml")
    head = repo.commit("stack by symlink")
    assert errors_at(repo, head) == [("path-symlink", "Pulumi.dev.yaml")]
    assert revision_at(repo.root, base, "dev").state.users


def test_a_submodule_entry_is_an_error(repo: GitProject) -> None:
    base = repo.commit("example")
    head = repo.crafted_commit(base, "policies", [*policies_entries(repo, base), ("160000", "commit", base, "vendor")])
    assert errors_at(repo, head) == [("path-not-regular", "policies/vendor")]


def test_a_file_larger_than_any_reader_takes_is_refused_before_it_is_copied_out(
    repo: GitProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ref's blob is held in memory to be copied out: one larger than every reader's cap
    (``MAX_INPUT_FILE_BYTES``, 256 MiB) is an error naming it, and is never read."""
    from iam_matrix.review import revisions

    big = repo.root / "policies/foundation/MFAForcePolicy.json"
    big.write_text(big.read_text() + " " * 200_000)  # still a valid document, now the largest file
    base = repo.commit("example, one policy padded")
    size = big.stat().st_size
    monkeypatch.setattr(revisions, "MAX_INPUT_FILE_BYTES", size - 1)
    read: list[tuple[str, ...]] = []
    real_git = revisions._git
    monkeypatch.setattr(revisions, "_git", lambda cwd, *args: read.append(args) or real_git(cwd, *args))
    assert errors_at(repo, base) == [("file-too-large", "policies/foundation/MFAForcePolicy.json")]
    blob = real_git(repo.root, "rev-parse", f"{base}:policies/foundation/MFAForcePolicy.json").decode().strip()
    assert ("cat-file", "blob", blob) not in read  # never held in memory
    monkeypatch.setattr(revisions, "MAX_INPUT_FILE_BYTES", size)
    assert revision_at(repo.root, base, "dev").state.users


def test_an_executable_policy_file_is_still_a_regular_file(repo: GitProject) -> None:
    base = repo.commit("example")
    entries = [
        (("100755" if mode == "100644" else mode), kind, sha, name)
        for mode, kind, sha, name in policies_entries(repo, base)
    ]
    head = repo.crafted_commit(base, "policies", entries)
    assert revision_at(repo.root, head, "dev").state.policies == revision_at(repo.root, base, "dev").state.policies


def test_validate_at_a_ref_reads_git_not_the_working_tree(repo: GitProject, capsys) -> None:
    """What the pull-request workflow runs with the base branch's code over the PR's commit."""
    good = repo.commit("example")
    repo.edit("matrix/policies.csv", "ReadOnlyAccess,,,,,Y", "ReadOnlyAcess,,,,,Y")  # uncommitted, unseen at --ref
    assert main(["validate", "--project-dir", str(repo.root), "--ref", good]) == 0
    bad = repo.commit("typo")
    assert main(["validate", "--project-dir", str(repo.root), "--ref", bad]) == 2
    assert "'ReadOnlyAcess' is not an AWS managed policy" in capsys.readouterr().out
    (repo.root / "matrix/policies.csv").unlink()
    os.symlink("users.csv", repo.root / "matrix/policies.csv")
    linked = repo.commit("policies by symlink")
    assert main(["validate", "--project-dir", str(repo.root), "--ref", linked]) == 2
    assert "'matrix/policies.csv' is a symlink" in capsys.readouterr().err
    assert main(["validate", "--project-dir", str(repo.root), "--ref", "no-such-ref"]) == 2
    assert "[git-ref]" in capsys.readouterr().err


def test_a_change_removing_most_users_is_refused_unless_confirmed(repo: GitProject, capsys) -> None:
    base = repo.commit("example")
    lines = (repo.root / "matrix/users.csv").read_text().splitlines()
    (repo.root / "matrix/users.csv").write_text("\n".join(lines[:4]) + "\n")  # a truncated export: 3 of 11 users left
    head = repo.commit("truncated")
    code = main(["diff", "--project-dir", str(repo.root), "--base", base, "--head", head])
    captured = capsys.readouterr()
    assert code == 2 and "removes 8 of 11 users (73 %), more than maxUserRemovalPercent (25 %)" in captured.err
    assert "#### Users" in captured.out  # the report is still there for the reviewer
    repo.set_config(confirmUserRemoval=True)
    confirmed = repo.commit("confirmed")
    assert main(["diff", "--project-dir", str(repo.root), "--base", base, "--head", confirmed]) == 0
    repo.set_config(confirmUserRemoval=False, maxUserRemovalPercent=80)
    raised = repo.commit("a higher limit")
    assert main(["diff", "--project-dir", str(repo.root), "--base", base, "--head", raised]) == 0
