"""The README's main command (run it through ``scripts/run``): deploy the shipped matrices
to a local AWS emulator with a real ``pulumi up``, show that the emulated account matches
the matrix, and shut the emulator down.

* needs the Pulumi CLI (https://www.pulumi.com/docs/install/); without it, says so and
  exits 2 before starting anything;
* a moto server on 127.0.0.1 (a free port) with AWS's managed policies loaded, stopped on
  exit; each run starts from an empty emulated account, so the state starts empty too;
* a local state backend in ``.sandbox/state`` (``PULUMI_BACKEND_URL``: your own
  ``pulumi login`` is left alone), a passphrase only for this throwaway stack;
* stack ``sandbox``: the ``dev`` stack's ``iam-matrix:`` settings, with the aws provider
  pointed at the emulator (``.sandbox/project/Pulumi.sandbox.yaml``, passed with
  ``--config-file``; fake credentials, endpoint overrides, the account checks skipped);
* verification: the account read back with boto3 must equal the desired state exactly
  (``emulator.readback``); then the audit command reports on it for information (its
  MFA findings are expected: nobody enrolled a device in an emulator).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SANDBOX = ROOT / ".sandbox"
STACK = "sandbox"
REGION = "us-east-1"
# Protects nothing: the stack holds fake credentials for a local emulator.
PASSPHRASE = "iam-matrix-sandbox"
PATH_KEYS = ("usersFile", "policiesFile", "policiesDir", "workbook")
INSTALL_URL = "https://www.pulumi.com/docs/install/"
EXIT_OK, EXIT_MISMATCH, EXIT_NO_CLI, EXIT_FAILED = 0, 1, 2, 3


def find_pulumi(path: str | None = None) -> str | None:
    """The Pulumi CLI on PATH, or where its installer puts it (~/.pulumi/bin)."""
    found = shutil.which("pulumi", path=path)
    if found:
        return found
    default = Path.home() / ".pulumi" / "bin" / "pulumi"
    return str(default) if path is None and default.is_file() and os.access(default, os.X_OK) else None


def missing_cli_message() -> str:
    return (
        "The Pulumi CLI is not installed (no `pulumi` on PATH or in ~/.pulumi/bin).\n"
        f"Install it: {INSTALL_URL}\n"
        "  e.g. curl -fsSL https://get.pulumi.com | sh   (or: brew install pulumi/tap/pulumi)\n"
        "then run scripts/run again. Without the CLI you can still check and preview the matrix:\n"
        "  .venv/bin/iam-matrix validate && .venv/bin/iam-matrix plan"
    )


def sandbox_config(project_dir: Path, endpoint: str, base_stack: str = "dev") -> dict[str, Any]:
    """The sandbox stack's config: ``base_stack``'s ``iam-matrix:`` settings (matrix paths
    relative to the project, as the core requires) and an aws provider that talks only to
    ``endpoint``."""
    document = yaml.safe_load((project_dir / f"Pulumi.{base_stack}.yaml").read_text()) or {}
    schema = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()).get("config") or {}
    config: dict[str, Any] = {}
    for name in PATH_KEYS:  # write_stack_files copies these files into .sandbox/project
        default = (schema.get(name) or {}).get("default")
        if default:
            config[f"iam-matrix:{name}"] = default
    for key, value in (document.get("config") or {}).items():
        if key.startswith("iam-matrix:"):
            config[key] = value
    config.update({
        "aws:region": REGION,
        "aws:accessKey": "testing",
        "aws:secretKey": "testing",
        "aws:skipCredentialsValidation": True,
        "aws:skipRequestingAccountId": True,
        "aws:skipMetadataApiCheck": True,
        "aws:skipRegionValidation": True,
        "aws:s3UsePathStyle": True,
        "aws:endpoints": [{service: endpoint for service in ("iam", "sts", "s3", "cloudtrail", "configservice", "accessanalyzer", "kms", "logs")}],
    })
    return config


def write_stack_files(project_dir: Path, endpoint: str, sandbox_dir: Path = SANDBOX) -> Path:
    """``.sandbox/project``: a copy of Pulumi.yaml, of the matrix files and policies, and the
    generated Pulumi.sandbox.yaml (the audit and the check read the stack from there, the
    program from the project: the same bytes). Returns the stack file."""
    folder = sandbox_dir / "project"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(project_dir / "Pulumi.yaml", folder / "Pulumi.yaml")
    config = sandbox_config(project_dir, endpoint)
    for name in PATH_KEYS:  # the core reads only files inside its project folder
        value = config.get(f"iam-matrix:{name}")
        source = project_dir / str(value)
        if value and source.is_dir():
            shutil.rmtree(folder / str(value), ignore_errors=True)  # no stale document stays behind
            shutil.copytree(source, folder / str(value))
        elif value and source.is_file():
            (folder / str(value)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, folder / str(value))
    stack_file = folder / f"Pulumi.{STACK}.yaml"
    header = "# Generated by scripts/sandbox.py for the local emulator; every run rewrites it.\n"
    stack_file.write_text(header + yaml.safe_dump({"config": config}, sort_keys=False))
    return stack_file


def adopt_stack_file(stray: Path, stack_file: Path) -> None:
    """``pulumi stack init`` writes the passphrase salt into ``Pulumi.sandbox.yaml`` next to
    Pulumi.yaml; move it into the generated stack file and leave the checkout clean."""
    if not stray.is_file():
        return
    written = yaml.safe_load(stray.read_text()) or {}
    ours = yaml.safe_load(stack_file.read_text()) or {}
    for key, value in written.items():
        if key != "config":
            ours[key] = value
    stack_file.write_text(yaml.safe_dump(ours, sort_keys=False))
    stray.unlink()


def pulumi_env(endpoint: str, sandbox_dir: Path = SANDBOX) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PULUMI_BACKEND_URL": f"file://{(sandbox_dir / 'state').resolve()}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,  # for the audit and the read-back (boto3)
    })
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    return env


def verify(endpoint: str, project_dir: Path = ROOT, stack_dir: Path = SANDBOX / "project") -> list[str]:
    """Differences between the emulated account and the sandbox stack's desired state."""
    import boto3

    from emulator.readback import comparable, differences, expected_account, read_account
    from iam_matrix.compiler import compile_state
    from iam_matrix.settings import load_stack_settings

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    account = session.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
    state = compile_state(load_stack_settings(stack_dir, STACK))
    live = read_account(session.client("iam", endpoint_url=endpoint))
    return differences(comparable(live), expected_account(state, account))


def run(command: list[str], env: dict[str, str]) -> int:
    print("$ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep-state", action="store_true", help="do not clear .sandbox/state first (the emulator always starts empty)")
    args = parser.parse_args(argv)
    cli = find_pulumi()
    if cli is None:
        print(missing_cli_message(), file=sys.stderr)
        return EXIT_NO_CLI
    if not args.keep_state and (SANDBOX / "state").exists():
        shutil.rmtree(SANDBOX / "state")
    (SANDBOX / "state").mkdir(parents=True, exist_ok=True)
    from emulator import MotoServer

    with MotoServer() as emulator:
        print(f"AWS emulator (moto) on {emulator.url}")
        stack_file = write_stack_files(ROOT, emulator.url)
        env = pulumi_env(emulator.url)
        stray = ROOT / stack_file.name
        existed = stray.exists()
        if run([cli, "stack", "select", "--create", STACK], env) != 0:
            return EXIT_FAILED
        if not existed:
            adopt_stack_file(stray, stack_file)
        if run([cli, "up", "--yes", "--non-interactive", "--stack", STACK, "--config-file", str(stack_file)], env) != 0:
            print("pulumi up failed; the emulator is being stopped", file=sys.stderr)
            return EXIT_FAILED
        problems = verify(emulator.url)
        if problems:
            print("The emulated account does NOT match the matrix:", file=sys.stderr)
            for line in problems:
                print(f"  {line}", file=sys.stderr)
        else:
            print("The emulated account matches the matrix exactly: groups and paths, members, attached policies, /foundation/ documents, users, password policy.")
        if (ROOT / "iam_matrix" / "audit").is_dir():
            run([sys.executable, "-m", "iam_matrix", "audit", "--stack", STACK, "--project-dir", str(stack_file.parent), "--fail-on", "none"], env)
        print("Outputs: " + json.dumps(_outputs(cli, env), indent=2)[:2000])
    print("emulator stopped")
    return EXIT_MISMATCH if problems else EXIT_OK


def _outputs(cli: str, env: dict[str, str]) -> Any:
    result = subprocess.run([cli, "stack", "output", "--json", "--stack", STACK], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.stderr.strip()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
