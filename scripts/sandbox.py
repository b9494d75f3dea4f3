"""The README's main command (run it through ``scripts/run``): deploy the shipped matrices
to a local AWS emulator, show that the emulated account matches the matrix, audit it, and
shut the emulator down. Two paths, and it says which one ran:

* **real path** (the Pulumi CLI is installed): a real ``pulumi up`` of the program against a
  moto server, with a local state backend in ``.sandbox/state`` (``PULUMI_BACKEND_URL``: your
  own ``pulumi login`` is left alone) and a throwaway passphrase; stack ``sandbox`` is the
  ``dev`` stack's ``iam-matrix:`` settings with the aws provider pointed at the emulator
  (``.sandbox/project/Pulumi.sandbox.yaml``, ``--config-file``; fake credentials, endpoint
  overrides, the account checks skipped). ``--install-cli`` installs the CLI first with the
  Automation API's ``PulumiCommand.install`` (needs the network);
* **emulated path** (no CLI): the same program under Pulumi's mock runtime, applied to the
  same moto server through the provider-faithful emulator (``emulator/``, its behaviour table
  in ``emulator/BEHAVIOUR.md``). It does not prove what only the real engine and provider
  show: their diff, parallelism and retries, the plugin's exact calls, PGP encryption.

Both then read the account back with boto3 (it must equal the desired state exactly,
``emulator.readback``) and run the audit, whose HTML report goes to
``.sandbox/audit-report.html`` (its MFA findings are expected: nobody enrolled a device).
Exit 0 when the account matches, 1 when it does not, 3 when the deploy failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
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
        "then run scripts/run again (without the CLI it takes the emulated path). To check and preview the matrix:\n"
        "  .venv/bin/iam-matrix validate && .venv/bin/iam-matrix plan"
    )


def sandbox_config(project_dir: Path, endpoint: str, base_stack: str = "dev") -> dict[str, Any]:
    """The sandbox stack's config: ``base_stack``'s ``iam-matrix:`` settings (matrix paths
    relative to the project, as the core requires) and an aws provider that talks only to
    ``endpoint``."""
    from iam_matrix.settings import config_schema, read_stack_config

    schema = config_schema(project_dir)
    config: dict[str, Any] = {}
    for name in PATH_KEYS:  # write_stack_files copies these files into .sandbox/project
        default = (schema.get(name) or {}).get("default")
        if default:
            config[f"iam-matrix:{name}"] = default
    for key, value in read_stack_config(project_dir, base_stack).items():
        if key.startswith("iam-matrix:"):
            config[key] = value
    config.update(
        {
            "aws:region": REGION,
            "aws:accessKey": "testing",
            "aws:secretKey": "testing",
            "aws:skipCredentialsValidation": True,
            "aws:skipRequestingAccountId": True,
            "aws:skipMetadataApiCheck": True,
            "aws:skipRegionValidation": True,
            "aws:s3UsePathStyle": True,
            "aws:endpoints": [
                {
                    service: endpoint
                    for service in ("iam", "sts", "s3", "cloudtrail", "configservice", "accessanalyzer", "kms", "logs")
                }
            ],
        }
    )
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
    env.update(
        {
            "PULUMI_BACKEND_URL": f"file://{(sandbox_dir / 'state').resolve()}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint,  # for the audit and the read-back (boto3)
        }
    )
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


NOT_PROVED = (
    "the real engine's diff, ordering, parallelism and retries",
    "the pulumi-aws plugin's exact API calls (the emulator follows its source: emulator/BEHAVIOUR.md)",
    "real IAM: eventual consistency, PGP encryption of initial passwords, quotas raised for your account",
)


def audit_to(endpoint: str, stack_dir: Path, report: Path) -> dict[str, int]:
    """Run the audit command in this process against the emulator: the HTML report to
    ``report``, and the number of findings per severity."""
    from iam_matrix.cli import main as cli

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in pulumi_env(endpoint).items() if k.startswith("AWS_")})
    os.environ["AWS_MAX_ATTEMPTS"] = "1"
    try:
        base = ["audit", "--stack", STACK, "--project-dir", str(stack_dir), "--fail-on", "none"]
        cli([*base, "--format", "html", "--output", str(report)])
        as_json = report.with_suffix(".json")
        cli([*base, "--format", "json", "--output", str(as_json)])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    counts: dict[str, int] = {}
    for finding in json.loads(as_json.read_text()).get("findings", []):
        counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
    return counts


def report_results(problems: list[str], counts: dict[str, int], report: Path) -> None:
    """The read-back verdict and the audit's finding counts, for both paths."""
    if problems:
        print("Read-back: the emulated account does NOT match the matrix:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
    else:
        print(
            "Read-back: the account matches the matrix exactly (groups, paths, members, "
            "attached policies, custom policy documents, users, password policy)."
        )
    print(
        "Audit: "
        + (
            ", ".join(f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low", "info") if counts.get(s))
            or "no finding"
        )
        + " (MFA findings are expected: nobody enrolled a device in an emulator)"
    )
    print(f"Audit report: {report}")


def emulated(project_dir: Path = ROOT, sandbox_dir: Path = SANDBOX) -> int:
    """The emulated path: the program under mocks, applied through the emulator to a moto
    server, read back and audited; a one-screen summary."""
    from emulator import EmulatedStack, MotoAccount, MotoServer
    from emulator.provider import ApplyError
    from iam_matrix.settings import read_stack_config

    started = time.monotonic()
    print("Path: EMULATED (no Pulumi CLI). The real program runs under Pulumi's mock runtime and is applied to a local")
    print("moto server by the provider-faithful emulator (emulator/BEHAVIOUR.md). It does NOT prove:")
    for line in NOT_PROVED:
        print(f"  - {line}")
    print(
        "For a real `pulumi up` against the same emulator: install "
        f"the CLI ({INSTALL_URL}) or run scripts/run --install-cli."
    )
    with MotoServer() as server:
        stack_file = write_stack_files(project_dir, server.url, sandbox_dir)
        config = {
            k: v if isinstance(v, str) else json.dumps(v)
            for k, v in read_stack_config(stack_file.parent, STACK).items()
        }
        stack = EmulatedStack(MotoAccount(endpoint_url=server.url, region=REGION).start(), stack=STACK)
        try:
            stack.up(project_dir, config=config)
        except ApplyError as error:
            print(f"The emulated deploy failed, as pulumi up would: {error}", file=sys.stderr)
            return EXIT_FAILED
        kinds: dict[str, int] = {}
        for operation in stack.operations:
            kinds[operation.op] = kinds.get(operation.op, 0) + 1
        problems = verify(server.url, project_dir, stack_file.parent)
        report = sandbox_dir / "audit-report.html"
        counts = audit_to(server.url, stack_file.parent, report)
    print(
        f"\nDeployed {len(stack.state)} resources "
        f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}) to the emulated account."
    )
    report_results(problems, counts, report)
    print(f"Done in {time.monotonic() - started:.1f} s; the emulator is stopped.")
    return EXIT_MISMATCH if problems else EXIT_OK


def install_cli() -> str | None:
    """The official install through the Automation API (``PulumiCommand.install``); None if it fails."""
    try:
        from pulumi import automation

        command = automation.PulumiCommand.install()
    except Exception as error:  # noqa: BLE001 - no network, no permission: say so and go on
        print(f"Could not install the Pulumi CLI ({error}); see {INSTALL_URL}", file=sys.stderr)
        return None
    return str(Path(command.command))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--keep-state", action="store_true", help="do not clear .sandbox/state first (the emulator always starts empty)"
    )
    parser.add_argument(
        "--install-cli",
        action="store_true",
        help="install the Pulumi CLI (Automation API, needs the network) if it is missing, then take the real path",
    )
    parser.add_argument(
        "--real-only",
        action="store_true",
        help="take the real path or none: without the CLI, say how to install it and exit 2",
    )
    args = parser.parse_args(argv)
    cli = find_pulumi()
    if cli is None and args.install_cli:
        cli = install_cli()
    if cli is None:
        if args.real_only:
            print(missing_cli_message(), file=sys.stderr)
            return EXIT_NO_CLI
        return emulated()
    print(f"Path: REAL (Pulumi CLI {cli}): pulumi up against the local emulator.")
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
        report_results(
            problems,
            audit_to(emulator.url, stack_file.parent, SANDBOX / "audit-report.html"),
            SANDBOX / "audit-report.html",
        )
        print("Outputs: " + json.dumps(_outputs(cli, env), indent=2)[:2000])
    print("emulator stopped")
    return EXIT_MISMATCH if problems else EXIT_OK


def _outputs(cli: str, env: dict[str, str]) -> Any:
    result = subprocess.run(
        [cli, "stack", "output", "--json", "--stack", STACK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.stderr.strip()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
