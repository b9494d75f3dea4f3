"""What the provider's importer and Read report for a resource given by id: the inputs and
the outputs the engine records when it imports it (``pulumi import --file``,
``importer.py``, and the ``import`` resource option, ``provider.py``).

Per type, following terraform-provider-aws internal/service/iam/: the importers pass the id
through and ``Read`` fills the attributes from IAM; ``force_destroy`` is not in IAM and imports
as false (user.go); user_login_profile.go's importer clears ``encrypted_password`` and
``key_fingerprint`` (it cannot know the password).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .account import MotoAccount
from .appliers import APPLIERS, Applied, ApplyError


def _policy(ctx: MotoAccount, arn: str) -> dict[str, Any]:
    policy = ctx.iam.get_policy(PolicyArn=arn)["Policy"]
    document = ctx.iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"][
        "Document"
    ]
    document = json.loads(document) if isinstance(document, str) else document
    return {
        "name": policy["PolicyName"],
        "path": policy["Path"],
        "description": policy.get("Description", ""),
        "policy": json.dumps(document),
    }


# type -> the attributes the importer sets before the provider's Read fills in the rest
SEEDS: dict[str, Callable[[MotoAccount, str], dict[str, Any]]] = {
    "aws:iam/group:Group": lambda ctx, id_: {"name": id_},
    "aws:iam/user:User": lambda ctx, id_: {"name": id_, "forceDestroy": False},
    "aws:iam/policy:Policy": _policy,
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": lambda ctx, id_: {"groupName": id_},
    "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive": lambda ctx, id_: {"groupName": id_},
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": lambda ctx, id_: {},
    "aws:iam/userLoginProfile:UserLoginProfile": lambda ctx, id_: {"user": id_},
}


# type -> outputs the provider's importer sets (user_login_profile.go: the importer clears
# encrypted_password and key_fingerprint; it cannot know the password).
IMPORT_OUTPUTS: dict[str, dict[str, Any]] = {
    "aws:iam/userLoginProfile:UserLoginProfile": {"encryptedPassword": "", "keyFingerprint": "", "password": None},
}


def _arn(ctx: MotoAccount, typ: str, id_: str) -> str | None:
    if typ == "aws:iam/group:Group":
        return ctx.iam.get_group(GroupName=id_)["Group"]["Arn"]
    if typ == "aws:iam/user:User":
        return ctx.iam.get_user(UserName=id_)["User"]["Arn"]
    if typ == "aws:iam/policy:Policy":
        return id_
    return None


def read_resource(ctx: MotoAccount, urn: str, typ: str, id_: Any, label: str = "") -> Applied:
    """The provider's importer and Read for ``typ`` by ``id_``: the inputs it reports and the
    outputs it records; ApplyError for an id that names nothing or a type not modelled."""
    label = label or urn.rsplit("::", 1)[-1]
    if typ not in SEEDS or typ not in APPLIERS:
        raise ApplyError(f"import: {typ} cannot be imported here ({label})")
    try:
        seed = SEEDS[typ](ctx, id_)
        live = APPLIERS[typ].refresh(ctx, Applied(urn, typ, id_, seed, {}))
    except ctx.iam.exceptions.NoSuchEntityException:
        live = None
    if live is None:
        raise ApplyError(f"import: {typ} {id_!r} does not exist ({label}); pulumi import would fail the same way")
    inputs = {**seed, **live}
    outputs = {**inputs, **({"arn": arn} if (arn := _arn(ctx, typ, id_)) else {}), **IMPORT_OUTPUTS.get(typ, {})}
    return Applied(urn, typ, id_, inputs, outputs)
