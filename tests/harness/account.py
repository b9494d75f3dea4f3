"""The read-back comparison lives in ``components.readback`` (the sandbox uses it too)."""

from components.readback import comparable, differences, expected_account, read_account

__all__ = ["comparable", "differences", "expected_account", "read_account"]
