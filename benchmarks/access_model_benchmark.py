"""Benchmark: the access model of the 5,000-user x 300-role matrix (core_benchmark's
generator: every role gets MFAForcePolicy, DenyIPAddressPolicy and 6 random AWS managed
policies), the users' role unions judged, who-can on it end to end, and diff of the shipped example.

    python benchmarks/access_model_benchmark.py [--users 5000] [--roles 300] [--repeat 3]

Targets on a 2-core machine: model build <= 2 s, who-can <= 1 s end to end, diff of the
shipped example <= 1.5 s end to end, peak memory <= 500 MB.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.core_benchmark import generate, size_arguments  # noqa: E402
from iam_matrix.access import model as access_model  # noqa: E402
from iam_matrix.access.catalog import load_action_catalog, load_risks  # noqa: E402
from iam_matrix.access.precompiled import load_shipped_access  # noqa: E402
from iam_matrix.access.queries import who_can  # noqa: E402
from iam_matrix.access.unions import union_risks  # noqa: E402
from iam_matrix.compiler import check  # noqa: E402
from iam_matrix.settings import load_stack_settings  # noqa: E402

GIT_ENV = {
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def project_copy(target: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, target / name)
    for folder in ("policies", "matrix"):
        shutil.copytree(ROOT / folder, target / folder, dirs_exist_ok=True)
    return target


def timed(command: list[str], cwd: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_ENV})
        best = min(best, time.perf_counter() - start)
    return best


def build_all(state) -> tuple[float, access_model.AccessModel]:
    """Build the model and every role's and user's effective access and risk classes."""
    access_model._COMPILED.clear()
    access_model._BUILT.clear()
    start = time.perf_counter()
    model = access_model.build_model(state)
    for name in model.role_names:
        model.role(name).risks  # noqa: B018 - forces the risk classes
    for name in model.user_names:
        model.user(name).risks  # noqa: B018
    return time.perf_counter() - start, model


def main() -> None:
    args = size_arguments(__doc__)
    python = sys.executable
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    start = time.perf_counter()
    load_action_catalog(), load_risks(), load_shipped_access()  # once per process, as in any run
    print(f"load the catalog, risk data and precompiled managed policies: {time.perf_counter() - start:6.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big"
        big.mkdir()
        project_copy(big)
        generate(big, args.users, args.roles)
        start = time.perf_counter()
        result = check(load_stack_settings(big, "dev"))
        compile_seconds = time.perf_counter() - start
        state = result.state
        assert state is not None, [str(p) for p in result.errors][:5]
        print(
            f"matrix: {args.users} users x {args.roles} roles; "
            f"{len({p.name for r in state.roles for p in r.policies})} distinct policies"
        )
        print(f"compile (validate incl. the model's rules): {compile_seconds:6.3f} s")
        seconds = min(build_all(state)[0] for _ in range(args.repeat))
        _, model = build_all(state)
        print(f"model build, every role and user with risk classes: {seconds:6.3f} s  (target 2 s)")
        # the generated stack puts every role in adminRoles, which lets the union rule skip every
        # combination: judge them all here (adminRoles = one role), as validate and the pack would
        start = time.perf_counter()
        risks = union_risks(model, model.role_names[:1])
        combinations = len({frozenset(u.roles) for u in state.users if len(u.roles) > 1})
        print(
            f"users' role unions on the built model (validate's, the pack's rule): {time.perf_counter() - start:6.3f} s"
            f" -> {combinations} combinations, {sum(r.admin for r in risks)} admin-equivalent,"
            f" {sum(not r.admin for r in risks)} with an escalation path only in the union"
        )
        start = time.perf_counter()
        found = who_can(model, "iam:PassRole")
        print(
            "who-can iam:PassRole on the built model: "
            f"{time.perf_counter() - start:6.3f} s -> {len(found.holders)} users"
        )
        seconds = timed(
            [python, "-m", "iam_matrix", "who-can", "s3:GetObject", "--project-dir", str(big), "--format", "json"],
            ROOT,
            args.repeat,
        )
        print(f"who-can s3:GetObject end to end (compile + model + query, new process): {seconds:6.3f} s  (target 1 s)")
        print("growth (users x roles -> distinct policies: compile, model build, who-can end to end):")
        for users, roles in (
            (args.users // 4, args.roles),
            (args.users // 2, args.roles),
            (args.users, args.roles // 4),
            (args.users, args.roles // 2),
        ):
            small = Path(tmp) / f"u{users}r{roles}"
            small.mkdir()
            project_copy(small)
            generate(small, users, roles)
            start = time.perf_counter()
            part = check(load_stack_settings(small, "dev")).state
            compiled = time.perf_counter() - start
            distinct = len({p.name for r in part.roles for p in r.policies})
            end_to_end = timed(
                [
                    python,
                    "-m",
                    "iam_matrix",
                    "who-can",
                    "s3:GetObject",
                    "--project-dir",
                    str(small),
                    "--format",
                    "json",
                ],
                ROOT,
                1,
            )
            print(
                f"  {users} x {roles} -> {distinct}: compile {compiled:6.3f} s, "
                f"model build {build_all(part)[0]:6.3f} s, who-can end to end {end_to_end:6.3f} s"
            )

        example = Path(tmp) / "example"
        example.mkdir()
        project_copy(example)
        git = ["git", "-C", str(example)]
        subprocess.run([*git, "init", "-q", "-b", "main"], check=True, env={**os.environ, **GIT_ENV})
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-qm", "base"], check=True, env={**os.environ, **GIT_ENV})
        policies = example / "matrix" / "policies.csv"
        policies.write_text(
            policies.read_text().replace("AWSBatchServiceRole,,Y,,Y,\n", "AWSBatchServiceRole,,Y,,Y,Y\n")
        )
        subprocess.run([*git, "commit", "-qam", "head"], check=True, env={**os.environ, **GIT_ENV})
        seconds = timed(
            [python, "-m", "iam_matrix", "diff", "--project-dir", str(example), "--base", "main~1", "--head", "main"],
            ROOT,
            args.repeat,
        )
        print(
            "diff of the shipped example (AWSBatchServiceRole given "
            f"to Viewer), end to end: {seconds:6.3f} s  (target 1.5 s)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"peak memory of this process (everything above in one process): {peak:6.0f} MB  (target 500 MB)")


if __name__ == "__main__":
    main()
