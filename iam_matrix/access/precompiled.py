"""The shipped AWS managed policy documents, compiled once against the shipped catalog and
stored as bitsets (``iam_matrix/data/aws_managed_policy_access.json.gz``), so a run does not
parse 1,582 documents and expand their wildcards: that was the largest cost of building the
model of a big matrix.

The file names the SHA-256 of the catalog and of the documents snapshot it was compiled
from; when either differs (a refreshed catalog, an edited snapshot) it is ignored and the
documents are compiled as before. Regenerate it with ``python scripts/refresh_iam_data.py
--access-only`` (``tests/access/test_data.py`` holds the shipped file to what that writes).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .catalog import ACTIONS_FILE, DATA, DOCUMENTS_FILE, ActionCatalog, load_action_catalog, load_managed_documents
from .policies import Guardrail, PolicyAccess, StatementAccess, compile_policy

ACCESS_FILE = DATA / "aws_managed_policy_access.json.gz"


def _bits(value: int) -> str:
    """A bitset as ``<first byte>:<base64 of the bytes from there>`` (the sets are sparse spans)."""
    if not value:
        return ""
    raw = value.to_bytes((value.bit_length() + 7) // 8, "little")
    start = next(i for i, byte in enumerate(raw) if byte)
    return f"{start}:{base64.b64encode(raw[start:]).decode('ascii')}"


def _int(text: str) -> int:
    if not text:
        return 0
    start, _, data = text.partition(":")
    return int.from_bytes(base64.b64decode(data), "little") << (8 * int(start))


def encode(access: PolicyAccess) -> list[Any]:
    return [
        [
            [
                s.index,
                s.sid,
                s.effect,
                _bits(s.actions),
                _bits(s.broad),
                s.conditional,
                list(s.resources),
                s.not_resource,
                list(s.condition_keys),
                s.guardrail,
            ]
            for s in access.statements
        ],
        [_bits(v) for v in (access.allow, access.broad, access.unconditional, access.deny, access.limits)],
        [[g.kind, _bits(g.denies), g.sid, g.except_via_aws_service] for g in access.guardrails],
        list(access.unknown),
    ]


def decode(name: str, data: list[Any]) -> PolicyAccess:
    statements, masks, guardrails, unknown = data
    return PolicyAccess(
        name,
        tuple(
            StatementAccess(i, sid, effect, _int(a), _int(b), cond, tuple(res), nr, tuple(keys), kind)
            for i, sid, effect, a, b, cond, res, nr, keys, kind in statements
        ),
        *(_int(m) for m in masks),
        tuple(Guardrail(kind, _int(denies), sid, via) for kind, denies, sid, via in guardrails),
        tuple(unknown),
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(
    catalog: ActionCatalog | None = None, actions: Path = ACTIONS_FILE, documents: Path = DOCUMENTS_FILE
) -> bytes:
    """The precompiled file's bytes (deterministic: sorted keys, gzip mtime 0)."""
    catalog = catalog or load_action_catalog(actions)
    table = {
        "catalog_sha256": _digest(actions),
        "documents_sha256": _digest(documents),
        "policies": {
            name: encode(compile_policy(name, document, catalog))
            for name, document in sorted(load_managed_documents(documents).items())
        },
    }
    text = json.dumps(table, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


class ShippedAccess:
    """Name -> the precompiled access of a shipped AWS managed policy, decoded on first use."""

    def __init__(self, encoded: dict[str, list[Any]]):
        self._encoded = encoded
        self._decoded: dict[str, PolicyAccess] = {}

    def get(self, name: str) -> PolicyAccess | None:
        found = self._decoded.get(name)
        if found is None and name in self._encoded:
            found = self._decoded[name] = decode(name, self._encoded[name])
        return found


@lru_cache(maxsize=2)
def load_shipped_access(path: Path = ACCESS_FILE) -> ShippedAccess:
    """The precompiled access; empty when the file is missing or was made from other data."""
    try:
        table = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError):
        return ShippedAccess({})
    if table.get("catalog_sha256") != _digest(ACTIONS_FILE) or table.get("documents_sha256") != _digest(DOCUMENTS_FILE):
        return ShippedAccess({})
    return ShippedAccess(table.get("policies", {}))
