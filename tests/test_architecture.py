"""The shape docs/architecture.md promises: imports only point down (no cycles among
``iam_matrix/`` and ``components/``), product code never imports ``tests/``, and the core
imports neither Pulumi nor boto3 (only the audit's reader and the audit command may reach
AWS, and only they import botocore/boto3)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("iam_matrix", "components", "emulator")
# Where boto3/botocore may be imported inside the core: the one reader of the account
# and the commands that catch its errors; the access log's reader (LookupEvents, S3).
AWS_READERS = {
    "iam_matrix.audit.gather",
    "iam_matrix.audit.log_sources",
    "iam_matrix.audit.command",
    "iam_matrix.adopt.command",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_modules() -> dict[str, Path]:
    found = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    found["__main__"] = ROOT / "__main__.py"
    return found


def imported_names(path: Path, name: str, modules: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """Absolute names of every module ``path`` imports: ``from a import b`` is ``a.b`` when that
    is one of ``modules``, else ``a`` (importing a submodule is not a use of its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if package else []
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            for alias in node.names:
                out.add(f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = product_modules()
    names = set(modules)
    return {
        name: {m for m in imported_names(path, name, names) if m in modules and m != name}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_finder_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_the_product() -> None:
    graph = import_graph()
    assert "iam_matrix.desired" in graph and "components.program" in graph
    assert cycles(graph) == []


def _imports_from(path: Path, name: str, roots: tuple[str, ...]) -> bool:
    return any(m.split(".")[0] in roots for m in imported_names(path, name))


def test_product_code_never_imports_tests_nor_the_crafted_inputs() -> None:
    offenders = {name for name, path in product_modules().items() if _imports_from(path, name, ("tests", "crafted"))}
    assert offenders == set()


def test_benchmarks_scripts_and_crafted_inputs_never_import_tests() -> None:
    """The crafted-input builder (``crafted/``) is the one both the tests and the benchmarks use;
    nothing outside ``tests/`` depends on the test tree."""
    paths = [p for folder in ("benchmarks", "scripts", "crafted", "docs") for p in (ROOT / folder).rglob("*.py")]
    assert any(p.parts[-2:] == ("benchmarks", "hostile_inputs_benchmark.py") for p in paths)
    offenders = [p.relative_to(ROOT).as_posix() for p in paths if _imports_from(p, module_name(p), ("tests",))]
    assert offenders == []


def test_the_core_imports_neither_pulumi_nor_aws_sdks() -> None:
    offenders = {}
    for name, path in product_modules().items():
        if not name.startswith("iam_matrix"):
            continue
        banned = {"pulumi", "pulumi_aws"} | ({"boto3", "botocore"} if name not in AWS_READERS else set())
        hits = {m for m in imported_names(path, name) if m.split(".")[0] in banned}
        if hits:
            offenders[name] = sorted(hits)
    assert offenders == {}


# The test tooling's one home (docs/architecture.md): the mock runner and the offline mocks in
# components/ (product code may use them: they need only the Pulumi SDK), the emulated account
# in emulator/ (moto is started nowhere else).
TOOLING_HOMES = {
    "set_mocks": {"components/mock_runtime.py"},
    "mock_aws": {"emulator/account.py"},
    "ThreadedMotoServer": {"emulator/account.py"},
    "Mocks": {"components/offline.py", "emulator/provider.py"},  # classes that subclass pulumi.runtime.Mocks
}
SKIPPED = {".venv", "venv", ".sandbox", ".git", "node_modules", "__pycache__"}


def tooling_uses(path: Path) -> set[str]:
    """Which of ``TOOLING_HOMES`` a file calls (``set_mocks(...)``, ``mock_aws(...)``, ...) or subclasses."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in TOOLING_HOMES and name != "Mocks":
                found.add(name)
        elif isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
                if name == "Mocks":
                    found.add("Mocks")
    return found


def test_the_finder_sees_tooling(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text(
        "import moto, pulumi\nclass M(pulumi.runtime.Mocks): ...\n"
        "with moto.mock_aws():\n    pulumi.runtime.set_mocks(M())\n"
    )
    assert tooling_uses(sample) == {"Mocks", "mock_aws", "set_mocks"}


def test_mock_runner_mocks_and_moto_have_one_home() -> None:
    """Tests, benchmarks, docs scripts and the sandbox run the program and start moto through
    ``components.mock_runtime`` / ``emulator``, never with a runner or a moto of their own."""
    found: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if SKIPPED & set(relative.parts[:-1]) or relative.parts[0] == "policy-pack" and "venv" in relative.parts:
            continue
        for name in tooling_uses(path):
            found.setdefault(name, set()).add(relative.as_posix())
    assert found == {name: homes for name, homes in TOOLING_HOMES.items()}
