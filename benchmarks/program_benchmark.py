"""Benchmark (a script, not a test): the Pulumi program under the mock runtime for a
5,000-user x 300-role matrix.

Prints the resources registered, the wall time, and the time spent in our own code
(load + validate + plan in ``iam_matrix``, and the component logic in ``components``)
as a share of the whole. Target: our share <= 10 %; the rest is the Pulumi SDK
(serialising, RPC to the mock monitor, outputs), about 2.4 ms per resource here.

How our share is measured:
* load + validate + plan: a timer around ``compile_or_stop`` (all of it is ours,
  including the csv/yaml/json parsing it does);
* component logic: a second, profiled run; the self time (cProfile ``tottime``) of every
  function defined in ``components/`` and ``__main__.py``, scaled from the profiled run
  to the unprofiled wall time. The SDK calls those functions make are the SDK's.

    python benchmarks/program_benchmark.py [--users 5000] [--roles 300]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import components.program as program  # noqa: E402
from emulator import OfflineProvider, run_main  # noqa: E402

MANAGED = [
    "ReadOnlyAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonEC2ReadOnlyAccess",
    "CloudWatchReadOnlyAccess",
    "AmazonDynamoDBReadOnlyAccess",
    "AmazonRDSReadOnlyAccess",
    "AWSLambda_ReadOnlyAccess",
    "AmazonSQSReadOnlyAccess",
    "AmazonSNSReadOnlyAccess",
    "IAMReadOnlyAccess",
    "AmazonS3FullAccess",
    "AmazonEC2FullAccess",
    "CloudWatchFullAccess",
    "AmazonDynamoDBFullAccess",
    "AmazonRDSFullAccess",
    "AWSLambda_FullAccess",
    "AmazonSQSFullAccess",
    "AmazonSNSFullAccess",
    "AmazonRoute53ReadOnlyAccess",
    "AWSCloudFormationReadOnlyAccess",
]


def build_project(target: Path, users: int, roles: int, seed: int = 7) -> None:
    """A project copy whose matrices have ``users`` rows and ``roles`` role columns."""
    rng = random.Random(seed)
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "policies", target / "policies")
    (target / "matrix").mkdir()
    role_names = [f"Role{i:03d}" for i in range(roles)]
    lines = ["User," + ",".join(role_names) + ",MFA"]
    for i in range(users):
        marks = set(rng.sample(range(roles), rng.randint(1, 3)))
        lines.append(f"user{i:05d}@example.com," + ",".join("Y" if j in marks else "" for j in range(roles)) + ",Y")
    (target / "matrix" / "users.csv").write_text("\n".join(lines) + "\n")
    policy_names = MANAGED + ["DenyIPAddressPolicy", "MFAForcePolicy"]
    per_role = {r: set(rng.sample(range(len(MANAGED)), rng.randint(2, 12))) for r in range(roles)}
    lines = ["Policies," + ",".join(role_names)]
    for p, name in enumerate(policy_names):
        if p < len(MANAGED):
            lines.append(name + "," + ",".join("Y" if p in per_role[r] else "" for r in range(roles)))
        else:
            lines.append(name + "," + ",".join("Y" for _ in range(roles)))
    (target / "matrix" / "policies.csv").write_text("\n".join(lines) + "\n")
    stack = (target / "Pulumi.dev.yaml").read_text()
    (target / "Pulumi.dev.yaml").write_text(stack + "  iam-matrix:maxGroupsPerAccount: 5000\n")


def config_of(project_dir: Path) -> dict[str, str]:
    import json

    import yaml

    document = yaml.safe_load((project_dir / "Pulumi.dev.yaml").read_text())
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in document["config"].items()}


def run_once(project_dir: Path, profile: cProfile.Profile | None = None) -> dict[str, float]:
    timings = {"compile": 0.0}
    original = program.compile_or_stop

    def timed(path: Path):
        start = time.perf_counter()
        try:
            return original(path)
        finally:
            timings["compile"] += time.perf_counter() - start

    program.compile_or_stop = timed
    config = config_of(project_dir)
    start = time.perf_counter()
    try:
        if profile is not None:
            profile.enable()
        run = run_main(project_dir, OfflineProvider(), config=config)
    finally:
        if profile is not None:
            profile.disable()
        timings["wall"] = time.perf_counter() - start
        program.compile_or_stop = original
    timings["resources"] = len(run.registrations)
    return timings


def own_self_time(profile: cProfile.Profile) -> tuple[float, float]:
    """(self time in components/ and __main__.py, total profiled time)."""
    stats = pstats.Stats(profile)
    ours = total = 0.0
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        path = Path(filename)
        if (ROOT / "components") in path.parents or path == ROOT / "__main__.py":
            ours += tottime
    return ours, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--roles", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project_dir = Path(folder)
        build_project(project_dir, args.users, args.roles)
        timings = run_once(project_dir)
        profile = cProfile.Profile()
        profiled = run_once(project_dir, profile)
    components_self, profiled_total = own_self_time(profile)
    # Scale the profiled component self time to the unprofiled run.
    components_time = (
        components_self / profiled_total * (timings["wall"] - timings["compile"]) if profiled_total else 0.0
    )
    ours = timings["compile"] + components_time
    wall = timings["wall"]
    print(f"matrix: {args.users} users x {args.roles} roles")
    print(f"resources registered: {int(timings['resources'])}")
    print(f"wall time: {wall:.2f} s ({wall / max(timings['resources'], 1) * 1000:.2f} ms per resource)")
    print(f"load + validate + plan (iam_matrix): {timings['compile']:.2f} s")
    print(
        "component logic (components/, self time, profiled "
        f"{profiled['wall']:.1f} s run scaled): {components_time:.2f} s"
    )
    print(f"our code: {ours:.2f} s = {ours / wall * 100:.1f} % of the whole (target <= 10 %)")
    print(f"Pulumi SDK and mock runtime: {wall - ours:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
