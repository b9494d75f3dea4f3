"""Benchmark: load, validate and plan a 5,000-user x 300-role matrix, as CSV and as xlsx.

    python benchmarks/core_benchmark.py [--users 5000] [--roles 300] [--repeat 3]

Prints the best of --repeat runs for each format (targets on a 2-core machine:
CSV <= 0.5 s, xlsx <= 3 s). Matrices are generated, deterministically, in a temp folder.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iam_matrix.catalog import load_catalog  # noqa: E402
from iam_matrix.compiler import check  # noqa: E402
from iam_matrix.settings import load_stack_settings  # noqa: E402


def generate(folder: Path, n_users: int, n_roles: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    roles = [f"Role{i:03d}" for i in range(1, n_roles + 1)]
    managed = sorted(p.name for p in load_catalog().by_name.values() if p.path == "/" and not p.deprecated)
    policies: dict[str, set[str]] = {"DenyIPAddressPolicy": set(roles), "MFAForcePolicy": set(roles)}
    for role in roles:
        for name in rng.sample(managed, 6):
            policies.setdefault(name, set()).add(role)
    (folder / "matrix").mkdir(parents=True, exist_ok=True)
    with (folder / "matrix" / "users.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["User", *roles, "MFA"])
        for i in range(n_users):
            mine = set(rng.sample(roles, rng.randint(1, 3)))
            writer.writerow([f"user{i:05d}@example.com", *("Y" if r in mine else "" for r in roles), "Y"])
    with (folder / "matrix" / "policies.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Policies", *roles])
        for name, marked in policies.items():
            writer.writerow([name, *("Y" if r in marked else "" for r in roles)])
    stack = folder / "Pulumi.dev.yaml"
    if stack.exists():  # random managed policies include AdministratorAccess: validate refuses it outside adminRoles
        import yaml

        document = yaml.safe_load(stack.read_text())
        document["config"]["iam-matrix:adminRoles"] = roles
        stack.write_text(yaml.safe_dump(document))


def to_workbook(folder: Path, fill: str | None) -> Path:
    """The CSV matrices as one workbook; ``fill`` is written in unmarked cells ("N" makes a
    dense sheet, the worst case; None leaves them empty, as Excel stores blank cells)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, name in (("Users", "users.csv"), ("Policies", "policies.csv")):
        sheet = book.create_sheet(title)
        with (folder / "matrix" / name).open(newline="") as handle:
            for row in csv.reader(handle):
                sheet.append([value or fill for value in row])
    path = folder / "matrix" / f"iam-matrix-{fill or 'blank'}.xlsx"
    book.save(path)
    return path


def best_of(repeat: int, project: Path, overrides: dict) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = check(load_stack_settings(project, "dev", overrides))
        times.append(time.perf_counter() - start)
    return min(times), result


def size_arguments(description: str | None) -> argparse.Namespace:
    """--users, --roles and --repeat: the matrix size every benchmark of the core takes."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--roles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args()


def main() -> None:
    args = size_arguments(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
            shutil.copy(ROOT / name, project / name)
        shutil.copytree(ROOT / "policies", project / "policies")
        generate(project, args.users, args.roles)
        load_catalog()  # loaded once per process, as in any real run
        print(f"matrix: {args.users} users x {args.roles} roles ({args.users * args.roles:,} user cells)")
        seconds, result = best_of(args.repeat, project, {})
        state = result.state
        print(
            f"csv : {seconds:6.3f} s  (target 0.5 s)  -> {len(state.groups)} "
            f"groups, {len(state.users)} users, {len(result.errors)} errors"
        )
        for fill, label in ((None, "blank cells"), ("N", "N in every unmarked cell")):
            workbook = to_workbook(project, fill)
            seconds, result = best_of(args.repeat, project, {"workbook": str(workbook)})
            print(
                f"xlsx: {seconds:6.3f} s  (target 3 s)    -> {len(result.state.groups)} "
                f"groups, {len(result.errors)} errors; {label}"
            )


if __name__ == "__main__":
    main()
