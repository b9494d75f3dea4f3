"""IAM's naming rules and quotas, as AWS documents them ("IAM and AWS STS quotas",
"IAM identifiers"). moto does not enforce these, so this module is what stands between
a bad sheet and a half-applied deployment."""

from __future__ import annotations

import re

MAX_USER_NAME = 64
MAX_GROUP_NAME = 128
MAX_POLICY_NAME = 128
MAX_PATH = 512
MAX_GROUPS_PER_USER = 10
MAX_USERS_PER_ACCOUNT = 5000
MAX_POLICY_DOCUMENT_CHARS = 6144

ACCOUNT_ID = re.compile(r"\d{12}")  # an AWS account id: twelve digits, kept as text (leading zeros)
NAME_CHARS = re.compile(r"[A-Za-z0-9+=,.@_-]+")
PATH_PATTERN = re.compile(r"/|/[\x21-\x7e]+/")
NAME_HELP = "use only letters, digits and + = , . @ _ -"

Issue = tuple[str, str]  # (what is wrong, how to fix it)


def _check_name(kind: str, name: str, limit: int) -> list[Issue]:
    issues: list[Issue] = []
    if not NAME_CHARS.fullmatch(name):
        bad = sorted({ch for ch in name if not NAME_CHARS.fullmatch(ch)})
        issues.append(
            (f"{kind} name {name!r} has characters IAM does not allow ({' '.join(repr(c) for c in bad)})", NAME_HELP)
        )
    if len(name) > limit:
        issues.append(
            (
                f"{kind} name {name!r} is {len(name)} characters; IAM allows {limit}",
                f"shorten it to {limit} characters or fewer",
            )
        )
    return issues


def check_user_name(name: str) -> list[Issue]:
    return _check_name("user", name, MAX_USER_NAME)


def check_group_name(name: str) -> list[Issue]:
    return _check_name("group", name, MAX_GROUP_NAME)


def check_policy_name(name: str) -> list[Issue]:
    return _check_name("policy", name, MAX_POLICY_NAME)


# IAM accepts any printable ASCII in a path; this project allows the name characters only,
# so a folder name can carry no markup, quote or shell metacharacter into a report.
SAFE_PATH = re.compile(r"/|/(?:[A-Za-z0-9+=,.@_-]+/)+")


def check_path(path: str) -> list[Issue]:
    if not PATH_PATTERN.fullmatch(path):
        return [
            (
                f"IAM path {path!r} is not valid",
                "a path starts and ends with / and holds printable ASCII without spaces, e.g. /foundation/",
            )
        ]
    if not SAFE_PATH.fullmatch(path):
        return [
            (
                f"IAM path {path!r} has characters this project does not allow in a path (or an empty segment)",
                f"{NAME_HELP} between the slashes, e.g. /foundation/",
            )
        ]
    if len(path) > MAX_PATH:
        return [(f"IAM path is {len(path)} characters; IAM allows {MAX_PATH}", "shorten the path")]
    return []


POLICY_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:iam::(aws|\d{12}):policy(/(?:[\x21-\x7e]+/)?)([A-Za-z0-9+=,.@_-]{1,128})"
)
