"""The stacks of this repository, one per AWS account, for the workflows' matrix strategy.

Every ``Pulumi.<stack>.yaml`` beside ``Pulumi.yaml`` is a stack; its ``aws:allowedAccountIds``
(exactly one account) and ``aws:region`` say where it deploys. The workflows derive the
OIDC role ARNs from the account, so a stack can never be deployed with another account's role.
For each stack listed, the workflows run ``validate`` and ``deploy-policies --check`` (the
stack's committed ``deploy/<stack>/``): on a pull request with the base branch's code and
``--ref``, over the PR's commit read through git.

A stack file is read by ``iam_matrix.settings.read_stack_config``, the reader every command uses
(strict YAML, symlinks refused), from the checkout this script is in: in the pull-request workflow
that is the trusted base branch, never the pull request. It needs only PyYAML.

    python .github/scripts/stacks.py            # JSON for strategy.matrix.include
    python .github/scripts/stacks.py --names    # one stack name a line
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from iam_matrix.problems import MatrixInvalid  # noqa: E402 - from ROOT, the checkout this script is in
from iam_matrix.settings import read_stack_config  # noqa: E402

STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
ACCOUNT_ID = re.compile(r"\d{12}")


def stacks(project_dir: Path = ROOT) -> list[dict[str, Any]]:
    """``[{"stack": "dev", "account": "111111111111", "region": "ap-northeast-2"}, ...]``."""
    found = []
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi.") : -len(".yaml")]
        if not STACK_NAME.fullmatch(name):  # names go into job names, shell loops and the PR comment
            raise SystemExit(f"{path.name!r}: a stack name may hold only letters, digits, '-', '_' and '.'")
        try:
            config = read_stack_config(project_dir, name)
        except MatrixInvalid as invalid:
            raise SystemExit("\n".join(str(p) for p in invalid.problems)) from None
        accounts = config.get("aws:allowedAccountIds") or []
        if not isinstance(accounts, list) or len(accounts) != 1:
            raise SystemExit(
                f"{path.name}: aws:allowedAccountIds must name exactly one account (one stack per AWS account)"
            )
        if not (isinstance(accounts[0], str) and ACCOUNT_ID.fullmatch(accounts[0])):
            raise SystemExit(
                f"{path.name}: aws:allowedAccountIds must hold a quoted 12-digit account id, not {accounts[0]!r}"
            )
        region = config.get("aws:region")
        if not isinstance(region, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
            raise SystemExit(f"{path.name}: aws:region is not set to a region name (e.g. eu-west-1)")
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
