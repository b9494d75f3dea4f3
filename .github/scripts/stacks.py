"""The stacks of this repository, one per AWS account, for the workflows' matrix strategy.

Every ``Pulumi.<stack>.yaml`` beside ``Pulumi.yaml`` is a stack; its ``aws:allowedAccountIds``
(exactly one account) and ``aws:region`` say where it deploys. The workflows derive the
OIDC role ARNs from the account, so a stack can never be deployed with another account's role.

    python .github/scripts/stacks.py            # JSON for strategy.matrix.include
    python .github/scripts/stacks.py --names    # one stack name a line
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def stacks(project_dir: Path = ROOT) -> list[dict[str, Any]]:
    """``[{"stack": "dev", "account": "111111111111", "region": "ap-northeast-2"}, ...]``."""
    found = []
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi.") : -len(".yaml")]
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        accounts = config.get("aws:allowedAccountIds") or []
        if not isinstance(accounts, list) or len(accounts) != 1:
            raise SystemExit(f"{path.name}: aws:allowedAccountIds must name exactly one account (one stack per AWS account)")
        region = config.get("aws:region")
        if not region:
            raise SystemExit(f"{path.name}: aws:region is not set")
        found.append({"stack": name, "account": str(accounts[0]), "region": str(region)})
    if not found:
        raise SystemExit(f"no Pulumi.<stack>.yaml in {project_dir}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", action="store_true", help="print stack names, one a line")
    parser.add_argument("--project-dir", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    found = stacks(args.project_dir)
    sys.stdout.write("".join(f"{s['stack']}\n" for s in found) if args.names else json.dumps(found) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
