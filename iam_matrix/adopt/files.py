"""Write a ``Draft`` into the output folder, as a project folder the CLI can read directly
(``--project-dir DIR``): ``Pulumi.yaml`` (the project's own), ``Pulumi.<stack>.yaml``, the
matrix (CSV or xlsx) under ``matrix/``, ``policies/<path>/<Name>.json``, and the adopt
reports under ``adopt/``. Every path goes through ``writers.OutputFolder``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..writers import OutputFolder, csv_text, workbook_bytes
from .draft import POLICIES_FILE, USERS_FILE, WORKBOOK_FILE, Draft

REPORT_DIR = "adopt"
RESIDUE_TEXT, RESIDUE_JSON, IMPORT_FILE = (
    f"{REPORT_DIR}/residue.txt",
    f"{REPORT_DIR}/residue.json",
    f"{REPORT_DIR}/import.json",
)


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def stack_yaml(draft: Draft, workbook: bool) -> str:
    header = (
        f"# Drafted by `python -m iam_matrix adopt` from account {draft.account_id}: what the account says today.\n"
        "# Review adopt/residue.txt before the first `pulumi up`; docs/adopt.md explains every entry.\n"
    )
    return header + yaml.safe_dump({"config": draft.stack_config(workbook)}, sort_keys=False, allow_unicode=False)


def write_draft(draft: Draft, folder: OutputFolder, *, workbook: bool, project_yaml: Path | None) -> list[str]:
    """The draft's files; returns their paths relative to the folder."""
    if project_yaml is not None:
        folder.write("Pulumi.yaml", project_yaml.read_bytes())
    folder.write(stack_file_name(draft.stack), stack_yaml(draft, workbook))
    if workbook:
        folder.write(WORKBOOK_FILE, workbook_bytes(draft.users_rows(), draft.policies_rows()))
    else:
        folder.write(USERS_FILE, csv_text(draft.users_rows()))
        folder.write(POLICIES_FILE, csv_text(draft.policies_rows()))
    for policy in draft.policies:
        folder.write(policy.relative_file, json.dumps(policy.document, indent=2, ensure_ascii=False) + "\n")
    return list(folder.written)


def write_json(folder: OutputFolder, relative: str, document: Mapping[str, Any]) -> None:
    folder.write(relative, json.dumps(document, indent=2, ensure_ascii=True) + "\n")
