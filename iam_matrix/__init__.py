"""iam-matrix core: load the access matrices, validate them against IAM's rules and
compile one desired state. Pure Python: no Pulumi, no boto3.

The names below are loaded on first use (PEP 562), so importing a light part of the core
(``iam_matrix.access.policies``, ``iam_matrix.desired``) does not pull the compiler and its
pandas/yaml: the policy pack's own virtualenv imports the access model that way.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # the package version; pyproject.toml reads it from here

_EXPORTS = {
    "CompileResult": "compiler",
    "check": "compiler",
    "compile_state": "compiler",
    "CustomPolicy": "desired",
    "DesiredState": "desired",
    "Group": "desired",
    "PolicyRef": "desired",
    "Role": "desired",
    "User": "desired",
    "PasswordPolicy": "password_policy",
    "Location": "problems",
    "MatrixInvalid": "problems",
    "Problem": "problems",
    "Settings": "settings",
    "load_stack_settings": "settings",
    "settings_from_values": "settings",
}

__all__ = [
    "__version__",
    "CompileResult",
    "CustomPolicy",
    "DesiredState",
    "Group",
    "Location",
    "MatrixInvalid",
    "PasswordPolicy",
    "PolicyRef",
    "Problem",
    "Role",
    "Settings",
    "User",
    "check",
    "compile_state",
    "load_stack_settings",
    "settings_from_values",
]

if TYPE_CHECKING:
    from .compiler import CompileResult, check, compile_state
    from .desired import CustomPolicy, DesiredState, Group, PolicyRef, Role, User
    from .password_policy import PasswordPolicy
    from .problems import Location, MatrixInvalid, Problem
    from .settings import Settings, load_stack_settings, settings_from_values


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'iam_matrix' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
