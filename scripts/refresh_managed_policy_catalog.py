"""Regenerate iam_matrix/data/aws_managed_policies.json and its documents snapshot
iam_matrix/data/aws_managed_policy_documents.json.gz.

Two sources, both giving the same shape ({name, arn, deprecated, replaced_by} and, per
policy, its default version's document):

* ``--from-account`` (the authoritative one): ``iam:ListPolicies`` with ``Scope=AWS``
  through boto3's paginator, using the standard credential chain. AWS marks a deprecated
  managed policy as no longer attachable, so ``deprecated = not IsAttachable``. Documents
  come from ``iam:GetPolicyVersion`` of each policy's ``DefaultVersionId``.
* ``--from-moto`` (how the shipped file was made, offline): the snapshot of AWS managed
  policies that the moto project (Apache-2.0) bundles. That snapshot omits deprecated
  policies, so the few deprecations AWS documents are added from ``DOCUMENTED_DEPRECATIONS``.

The catalog holds names, ARNs and flags (one a line, so a refresh reads as a short diff);
the documents (what the access model reads) are a gzip-compressed JSON object
``{"source": ..., "documents": {name: document}}``, written with a fixed timestamp so the
same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "iam_matrix" / "data"
CATALOG = DATA / "aws_managed_policies.json"
DOCUMENTS = DATA / "aws_managed_policy_documents.json.gz"

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


def from_account() -> tuple[list[dict], dict[str, dict]]:
    import urllib.parse

    import boto3

    iam = boto3.client("iam")
    paginator = iam.get_paginator("list_policies")
    entries = []
    documents: dict[str, dict] = {}
    for page in paginator.paginate(Scope="AWS"):
        for policy in page["Policies"]:
            version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])[
                "PolicyVersion"
            ]
            document = version["Document"]  # boto3 decodes it; an older SDK hands the URL-encoded text
            documents[policy["PolicyName"]] = (
                json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document
            )
            entries.append(
                {
                    "name": policy["PolicyName"],
                    "arn": policy["Arn"],
                    "deprecated": not policy.get("IsAttachable", True),
                    "replaced_by": DOCUMENTED_DEPRECATIONS.get(policy["PolicyName"]),
                }
            )
    return entries, documents


def from_moto() -> tuple[list[dict], dict[str, dict]]:
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
    return entries, {name: info["Document"] for name, info in data.items()}


def documents_bytes(source: str, documents: dict[str, dict]) -> bytes:
    """The shipped documents file: same input, same bytes (sorted keys, gzip mtime 0)."""
    text = json.dumps(
        {"source": source, "documents": documents}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def _moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-account", action="store_true", help="list AWS managed policies of the current account")
    source.add_argument("--from-moto", action="store_true", help="use the snapshot bundled with moto (offline)")
    parser.add_argument("--output", type=Path, default=CATALOG)
    parser.add_argument(
        "--documents-output", type=Path, default=None, help="default: beside --output, named like the shipped file"
    )
    args = parser.parse_args(argv)
    entries, documents = from_account() if args.from_account else from_moto()
    entries.sort(key=lambda entry: entry["name"].lower())
    source_name = (
        "iam:ListPolicies (Scope=AWS)"
        if args.from_account
        else f"moto {_moto_version()} bundled AWS managed policy snapshot"
    )
    # One policy a line, so a refresh reads as a short diff in review.
    lines = ",\n".join("  " + json.dumps(entry, sort_keys=True) for entry in entries)
    args.output.write_text(f'{{"source": {json.dumps(source_name)},\n "policies": [\n{lines}\n]}}\n')
    documents_output = args.documents_output or args.output.with_name(DOCUMENTS.name)
    documents_output.write_bytes(documents_bytes(source_name, documents))
    print(
        f"wrote {len(entries)} policies to {args.output} and {len(documents)} documents to {documents_output}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
