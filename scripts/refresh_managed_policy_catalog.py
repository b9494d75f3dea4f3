"""Regenerate iam_matrix/data/aws_managed_policies.json.

Two sources, both giving the same shape ({name, arn, deprecated, replaced_by}):

* ``--from-account`` (the authoritative one): ``iam:ListPolicies`` with ``Scope=AWS``
  through boto3's paginator, using the standard credential chain. AWS marks a deprecated
  managed policy as no longer attachable, so ``deprecated = not IsAttachable``.
* ``--from-moto`` (how the shipped file was made, offline): the snapshot of AWS managed
  policies that the moto project (Apache-2.0) bundles. That snapshot omits deprecated
  policies, so the few deprecations AWS documents are added from ``DOCUMENTED_DEPRECATIONS``.

Only names, ARNs and flags are stored; no policy documents are copied.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

CATALOG = Path(__file__).resolve().parents[1] / "iam_matrix" / "data" / "aws_managed_policies.json"

# Deprecated AWS managed policies named in AWS's service documentation, with the
# replacement AWS recommends. They can no longer be attached to new identities.
DOCUMENTED_DEPRECATIONS = {
    "AWSLambdaFullAccess": "AWSLambda_FullAccess",
    "AWSLambdaReadOnlyAccess": "AWSLambda_ReadOnlyAccess",
    "AmazonEC2ContainerServiceFullAccess": "AmazonECS_FullAccess",
    "AmazonElasticTranscoderFullAccess": "AmazonElasticTranscoder_FullAccess",
    "AmazonElasticTranscoderReadOnlyAccess": "AmazonElasticTranscoder_ReadOnlyAccess",
    "AmazonElasticTranscoderJobsSubmitter": "AmazonElasticTranscoder_JobsSubmitter",
}


def from_account() -> list[dict]:
    import boto3

    paginator = boto3.client("iam").get_paginator("list_policies")
    entries = []
    for page in paginator.paginate(Scope="AWS"):
        for policy in page["Policies"]:
            entries.append(
                {
                    "name": policy["PolicyName"],
                    "arn": policy["Arn"],
                    "deprecated": not policy.get("IsAttachable", True),
                    "replaced_by": DOCUMENTED_DEPRECATIONS.get(policy["PolicyName"]),
                }
            )
    return entries


def from_moto() -> list[dict]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    entries = [
        {
            "name": name,
            "arn": f"arn:aws:iam::aws:policy{info['Path']}{name}",
            "deprecated": False,
            "replaced_by": None,
        }
        for name, info in data.items()
    ]
    known = {entry["name"] for entry in entries}
    for name, replacement in DOCUMENTED_DEPRECATIONS.items():
        if name not in known:
            entries.append(
                {
                    "name": name,
                    "arn": f"arn:aws:iam::aws:policy/{name}",
                    "deprecated": True,
                    "replaced_by": replacement,
                }
            )
    return entries


def _moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-account", action="store_true", help="list AWS managed policies of the current account")
    source.add_argument("--from-moto", action="store_true", help="use the snapshot bundled with moto (offline)")
    parser.add_argument("--output", type=Path, default=CATALOG)
    args = parser.parse_args(argv)
    entries = from_account() if args.from_account else from_moto()
    entries.sort(key=lambda entry: entry["name"].lower())
    source_name = "iam:ListPolicies (Scope=AWS)" if args.from_account else f"moto {_moto_version()} bundled AWS managed policy snapshot"
    # One policy a line, so a refresh reads as a short diff in review.
    lines = ",\n".join("  " + json.dumps(entry, sort_keys=True) for entry in entries)
    args.output.write_text(f'{{"source": {json.dumps(source_name)},\n "policies": [\n{lines}\n]}}\n')
    print(f"wrote {len(entries)} policies to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
