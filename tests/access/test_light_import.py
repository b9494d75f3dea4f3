"""The access model imports without the compiler: the policy pack's own virtualenv (no
pandas, yaml or boto3) imports ``iam_matrix.access.attached`` from the project folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import iam_matrix

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "yaml", "openpyxl", "boto3", "botocore", "pulumi", "iam_matrix.compiler")


def test_the_access_model_imports_only_the_standard_library() -> None:
    code = (
        "import sys; import iam_matrix.access.attached, iam_matrix.access.policies, iam_matrix.access.unions;"
        f" print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_package_still_exports_its_names() -> None:
    for name in iam_matrix.__all__:
        assert getattr(iam_matrix, name) is not None, name
    assert iam_matrix.compile_state.__module__ == "iam_matrix.compiler"
    assert set(dir(iam_matrix)) >= set(iam_matrix.__all__)
