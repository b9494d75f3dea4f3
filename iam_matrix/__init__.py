"""iam-matrix core: load the access matrices, validate them against IAM's rules and
compile one desired state. Pure Python: no Pulumi, no boto3."""

from .compiler import CompileResult, check, compile_state
from .desired import CustomPolicy, DesiredState, Group, PolicyRef, Role, User
from .password_policy import PasswordPolicy
from .problems import Location, MatrixInvalid, Problem
from .settings import Settings, load_stack_settings, settings_from_values

__version__ = "0.1.0"  # the package version; pyproject.toml reads it from here

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
