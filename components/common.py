"""What every component shares: the type-token prefix and the tags."""

from __future__ import annotations

import re
from collections.abc import Mapping

TYPE_PREFIX = "iam-matrix:index:"
MANAGED_BY = "iam-matrix"

# IAM tag values allow letters, digits, spaces and _ . : / = + - @ (max 256).
_TAG_UNSAFE = re.compile(r"[^\w .:/=+\-@]")


def tag_value(text: str) -> str:
    """``iam-matrix.xlsx [Users]`` -> ``iam-matrix.xlsx:Users``: IAM rejects brackets in tags."""
    text = re.sub(r"\s*\[([^\]]*)\]", r":\1", text)
    return _TAG_UNSAFE.sub("_", text).strip()[:256]


def resource_tags(stack: str, source: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Tags for one resource: config tags first, then ours, which cannot be overridden.

    ``source`` is the file (and sheet) the resource comes from, never a row number, so
    moving a row changes no tag.
    """
    tags = {key: tag_value(value) for key, value in (extra or {}).items()}
    tags.update({"managed-by": MANAGED_BY, "stack": tag_value(stack), "source": tag_value(source)})
    return tags
