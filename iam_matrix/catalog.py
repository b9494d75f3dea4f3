"""The catalog of AWS managed policies shipped with the project (name -> exact ARN,
including the path, e.g. ``service-role/``). Regenerate it with
``scripts/refresh_managed_policy_catalog.py``."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATALOG_FILE = Path(__file__).with_name("data") / "aws_managed_policies.json"
# The one AWS managed policy several rules single out (redundant marks, critical drift, review escalations).
ADMIN_POLICY_NAME = "AdministratorAccess"
ADMIN_POLICY_ARN = f"arn:aws:iam::aws:policy/{ADMIN_POLICY_NAME}"


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    arn: str
    deprecated: bool = False
    replaced_by: str | None = None

    @property
    def path(self) -> str:
        return self.arn.split(":policy", 1)[1].rsplit("/", 1)[0] + "/"


class Catalog:
    def __init__(self, policies: list[ManagedPolicy], source: str = ""):
        self.source = source
        self.by_name = {p.name: p for p in policies}
        self.by_arn = {p.arn: p for p in policies}
        self._by_lower = {p.name.lower(): p for p in policies}

    def get(self, name: str) -> ManagedPolicy | None:
        return self.by_name.get(name)

    def suggest(self, name: str, extra: list[str] = ()) -> str | None:
        """The closest real name: a case-only difference first, then difflib's best match."""
        same_case = self._by_lower.get(name.lower())
        if same_case:
            return same_case.name
        candidates = list(self.by_name) + list(extra)
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.8)
        return close[0] if close else None


@lru_cache(maxsize=4)
def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    data = json.loads(path.read_text())
    policies = [
        ManagedPolicy(e["name"], e["arn"], e.get("deprecated", False), e.get("replaced_by")) for e in data["policies"]
    ]
    return Catalog(policies, data.get("source", ""))
