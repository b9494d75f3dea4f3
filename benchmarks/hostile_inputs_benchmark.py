"""Benchmark: what broken, hostile and very large inputs cost to validate.

    python benchmarks/hostile_inputs_benchmark.py [--only NAME] [--skip-big]

Each case is a copy of the example project with one input replaced; the compile runs on
it in a fresh subprocess, which reports its wall time (after the start-up: importing
pandas, numpy and the catalog, printed apart) and its peak resident memory, start-up
included (so one case's memory never hides another's). Targets (docs/input-limits.md): an input file under
1 MB costs under 5 s and 300 MB; Excel's largest sheet (1,048,576 rows) is refused with a
clear quota error in under 30 s and 1.5 GB. Each case prints its first error line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crafted.xlsx_parts import MAIN, POLICIES, USERS, matrix_xlsx, rows_xml, sheet_xml, write_xlsx  # noqa: E402

CHILD = r"""
import json, resource, sys, time
start = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from iam_matrix.compiler import check
from iam_matrix.problems import MatrixInvalid
from iam_matrix.settings import load_stack_settings
overrides = json.loads(sys.argv[3])
imported = time.perf_counter()
try:
    from pathlib import Path
    result = check(load_stack_settings(Path(sys.argv[2]), "dev", overrides, strict=False))
    errors = [str(p) for p in result.errors]
except MatrixInvalid as invalid:
    errors = [str(p) for p in invalid.problems if p.severity == "error"]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
figures = {"seconds": time.perf_counter() - imported, "startup": imported - start, "peak_mb": peak}
print(json.dumps({**figures, "errors": len(errors), "first": errors[0] if errors else ""}))
"""

WORKBOOK = {"usersFile": "", "policiesFile": "", "workbook": "matrix/m.xlsx", "adminRoles": ["Viewer"]}


def project(folder: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, folder / name)
    for name in ("matrix", "policies"):
        shutil.copytree(ROOT / name, folder / name)
    return folder


def far_cell(root: Path) -> tuple[Path, dict]:
    body = rows_xml(USERS) + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return matrix_xlsx(root / "matrix/m.xlsx", users_body=body), WORKBOOK


def cell_at_the_area_limit(root: Path) -> tuple[Path, dict]:
    """One stray cell at the area limit (2,000 rows x 1,000 columns = MAX_SHEET_AREA): read, not refused."""
    body = rows_xml(USERS) + '<row r="2000"><c r="ALL2000" t="inlineStr"><is><t>x</t></is></c></row>'
    return matrix_xlsx(root / "matrix/m.xlsx", users_body=body), WORKBOOK


def bomb_in_users(root: Path) -> tuple[Path, dict]:
    path = matrix_xlsx(root / "matrix/m.xlsx")
    _replace_part(
        path, "xl/worksheets/sheet1.xml", _streamed(rows_xml(USERS), b"<row/>" * 1_000_000, 150)
    )  # 900 MB inflated
    return path, WORKBOOK


def bomb_in_ignored_sheet(root: Path) -> tuple[Path, dict]:
    path = matrix_xlsx(root / "matrix/m.xlsx", more=[("Notes", "visible", sheet_xml(""))])
    _replace_part(path, "xl/worksheets/sheet3.xml", _streamed("", b"<row/>" * 1_000_000, 500))  # 3 GB inflated
    return path, WORKBOOK


def _streamed(head: str, chunk: bytes, times: int) -> Callable:
    def write(sink) -> None:
        sink.write(
            b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + head.encode()
        )
        for _ in range(times):
            sink.write(chunk)
        sink.write(b"</sheetData></worksheet>")

    return write


def _replace_part(path: Path, name: str, write: Callable) -> None:
    """Rebuild the workbook with part ``name`` streamed by ``write`` (never held in memory)."""
    temporary = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as archive, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            if info.filename != name:
                out.writestr(info.filename, archive.read(info))
        with out.open(name, "w", force_zip64=True) as sink:
            write(sink)
    temporary.replace(path)


def many_shared_strings(root: Path) -> tuple[Path, dict]:
    """1,500,000 one-letter shared strings (25 MB of XML, within the inflate budget): calamine
    would hold every one; refused by their count."""
    path = matrix_xlsx(root / "matrix/m.xlsx")

    def write(sink) -> None:
        sink.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode())
        for _ in range(1_500):
            sink.write(b"<si><t>a</t></si>" * 1_000)
        sink.write(b"</sst>")

    _add_part(path, "xl/sharedStrings.xml", write)
    return path, WORKBOOK


def _add_part(path: Path, name: str, write: Callable) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as out, out.open(name, "w", force_zip64=True) as sink:
        write(sink)


def entity_bomb(root: Path) -> tuple[Path, dict]:
    entities = '<!ENTITY a0 "aaaaaaaaaa">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    sheets = [
        (
            "Users",
            "visible",
            sheet_xml(
                rows_xml([["User", "Viewer", "MFA"], ["&a9;", "Y", "Y"]]), prolog=f"<!DOCTYPE worksheet [{entities}]>"
            ),
        ),
        ("Policies", "visible", sheet_xml(rows_xml(POLICIES))),
    ]
    return write_xlsx(root / "matrix/m.xlsx", sheets), WORKBOOK


def yaml_alias_bomb(root: Path) -> tuple[Path, dict]:
    lines = ["config:", '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"  a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = root / "Pulumi.dev.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path, {}


def deep_json(root: Path) -> tuple[Path, dict]:
    path = root / "policies/custom/Deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    return path, {}


def long_numbers(root: Path) -> tuple[Path, dict]:
    (root / "policies/custom/Num.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
        '"*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": ' + "9" * 5000 + "}}}]}"
    )
    path = root / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "  iam-matrix:passwordMaxAgeDays: " + "9" * 5000 + "\n")
    return path, {}


def wide_csv_row(root: Path) -> tuple[Path, dict]:
    path = root / "matrix/users.csv"
    path.write_text(
        "User," + ",".join(f"R{i}" for i in range(16_000)) + ",MFA\n" + "a@example.com" + ",Y" * 16_001 + "\n"
    )
    return path, {}


def csv_million_rows(root: Path) -> tuple[Path, dict]:
    path = root / "matrix/users.csv"
    with path.open("w") as out:
        out.write("User,Admin,Developer,DBA,Viewer,SysAdm,MFA\n")
        for i in range(1_048_575):
            out.write(f"user{i:07d}@example.com,,Y,,Y,,Y\n")
    return path, {}


def xlsx_million_rows(root: Path) -> tuple[Path, dict]:
    path = matrix_xlsx(root / "matrix/m.xlsx")

    def write(sink) -> None:
        sink.write(
            b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        )
        sink.write(rows_xml([["User", "Viewer", "MFA"]]).encode())
        for start in range(2, 1_048_577, 10_000):
            sink.write(
                "".join(
                    f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>user{r:07d}@example.com</t></is></c><c '
                    f'r="B{r}" t="inlineStr"><is><t>Y</t></is></c>'
                    f'<c r="C{r}" t="inlineStr"><is><t>Y</t></is></c></row>'
                    for r in range(start, min(start + 10_000, 1_048_577))
                ).encode()
            )
        sink.write(b"</sheetData></worksheet>")

    _replace_part(path, "xl/worksheets/sheet1.xml", write)
    return path, WORKBOOK


SMALL: dict[str, Callable[[Path], tuple[Path, dict]]] = {
    "xlsx: one cell at XFD1048576": far_cell,
    "xlsx: stray cell at ALL2000 (2M-cell grid)": cell_at_the_area_limit,
    "xlsx: zip bomb in the Users sheet": bomb_in_users,
    "xlsx: 3 GB sheet the program ignores": bomb_in_ignored_sheet,
    "xlsx: 1,500,000 shared strings": many_shared_strings,
    "xlsx: XML entity bomb": entity_bomb,
    "yaml: alias bomb in the stack file": yaml_alias_bomb,
    "json: 100,000 levels deep": deep_json,
    "json+yaml: 5,000-digit numbers": long_numbers,
    "csv: one row of 16,000 columns": wide_csv_row,
}
BIG: dict[str, Callable[[Path], tuple[Path, dict]]] = {
    "csv: 1,048,576 rows": csv_million_rows,
    "xlsx: 1,048,576 rows": xlsx_million_rows,
}


def run_case(name: str, make: Callable[[Path], tuple[Path, dict]], big: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="iam-matrix-hostile-") as folder:
        root = project(Path(folder))
        path, overrides = make(root)
        size = path.stat().st_size
        try:
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(ROOT), str(root), json.dumps(overrides)],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired:
            print(f"{name:40} {size:>12,} B   TIMEOUT after 300 s")
            return
        if done.returncode != 0:
            print(
                f"{name:40} {size:>12,} B   CRASHED (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}"
            )
            return
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        seconds_target, memory_target = (30, 1536) if big else (5, 300)
        verdict = (
            "ok" if figures["seconds"] <= seconds_target and figures["peak_mb"] <= memory_target else "OVER TARGET"
        )
        print(
            f"{name:38} {size:>13,} B {figures['seconds']:6.2f} s "
            f"(+{figures['startup']:.1f} s start-up) {figures['peak_mb']:6.0f} MB peak"
            f"  [target {seconds_target} s, {memory_target} MB: {verdict}]  {figures['errors']} error(s)"
        )
        print(f"{'':40}   {figures['first'][:150]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="run the cases whose name contains this text")
    parser.add_argument("--skip-big", action="store_true", help="leave out the 1,048,576-row inputs")
    args = parser.parse_args()
    cases = [(name, make, False) for name, make in SMALL.items()] + (
        [] if args.skip_big else [(name, make, True) for name, make in BIG.items()]
    )
    for name, make, big in cases:
        if args.only is None or args.only in name:
            run_case(name, make, big)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
