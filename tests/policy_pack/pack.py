"""Load the policy pack's plain modules (policy-pack/ is not a Python package: its name has a dash)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACK = Path(__file__).resolve().parents[2] / "policy-pack"


def load(name: str) -> ModuleType:
    key = f"iam_matrix_policy_pack_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, PACK / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


rules = load("rules")
