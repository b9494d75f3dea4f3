"""Write the policy pack's config for one stack from its Pulumi.<stack>.yaml.

CrossGuard does not hand a policy the stack's config, so CI turns the settings the
guardrails depend on (``iam-matrix:adminRoles``) into a ``--policy-pack-config`` file:

    python policy-pack/config_from_stack.py --stack dev --output policy-config.json

Runs in the program's environment (it reads the stack through ``iam_matrix.settings``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def policy_config(project_dir: Path, stack: str) -> dict[str, Any]:
    """The policy pack config: every policy mandatory but the advisory one (as validate warns),
    adminRoles from the stack."""
    sys.path.insert(0, str(ROOT))
    from iam_matrix.compiler import compile_state
    from iam_matrix.settings import load_stack_settings

    settings = load_stack_settings(project_dir, stack)
    state = compile_state(settings)  # roles come from the desired state, never from group names
    group_roles = {g.name: g.role for g in state.groups}
    return {
        "all": "mandatory",
        "admin-access-only-in-admin-roles": {
            "adminRoles": list(settings.value("adminRoles") or []),
            "groupRoles": group_roles,
        },
        # a per-policy enforcement level overrides "all" (pulumi.com/docs/using-pulumi/crossguard/configuration)
        "no-escalation-through-role-unions": {
            "enforcementLevel": "advisory",
            "adminRoles": list(settings.value("adminRoles") or []),
            "groupRoles": group_roles,
        },
        "guardrails-in-every-role": {"groupRoles": group_roles},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--project-dir", type=Path, default=ROOT)
    parser.add_argument("--output", type=Path, default=None, help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    text = json.dumps(policy_config(args.project_dir, args.stack), indent=2) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
