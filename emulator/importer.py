"""``pulumi import --file`` against the emulated account.

What the CLI does (pulumi/pulumi pkg/cmd/pulumi/operations/import.go, ``parseImportFile``):
every entry's URN is built from its parent's type chain and its logical name; a component
entry (``component: true``) becomes an empty component, every other entry is *read* by its
provider from its ``id`` and written to the stack's state with what the read returned as its
inputs. Nothing in the account changes, and an id that names nothing fails the import.

What the provider's read returns is modelled per type below (terraform-provider-aws,
internal/service/iam/: the importers pass the id through and ``Read`` fills the attributes
from IAM; ``force_destroy`` is not in IAM and imports as false, user.go). The next ``up``
then runs as always: refresh, compare with the program's inputs, update in place where they
differ (the stack's tags, say); ``EmulatedStack.up`` reports creates, replaces and deletes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from .account import MotoAccount
from .provider import APPLIERS, Applied, ApplyError, ApplyMocks, state_key


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


def _arn(ctx: MotoAccount, typ: str, id_: str) -> str | None:
    if typ == "aws:iam/group:Group":
        return ctx.iam.get_group(GroupName=id_)["Group"]["Arn"]
    if typ == "aws:iam/user:User":
        return ctx.iam.get_user(UserName=id_)["User"]["Arn"]
    if typ == "aws:iam/policy:Policy":
        return id_
    return None


def import_urns(document: Mapping[str, Any], stack: str, project: str) -> dict[str, dict[str, Any]]:
    """Engine URN -> import entry, resolved as ``parseImportFile`` does (names unique, parents by
    name within the file or the name table, URN = parent's qualified type + type + logical name)."""
    specs = list(document.get("resources") or [])
    names = [s.get("name") or s.get("logicalName") for s in specs]
    if len(names) != len(set(names)):
        raise ApplyError("import file: two entries have the same name (the CLI calls that ambiguous)")
    by_name = dict(zip(names, specs, strict=True))
    table = dict(document.get("nameTable") or {})
    qualified: dict[str, str] = {}
    out: dict[str, dict[str, Any]] = {}

    def resolve(name: str, seen: tuple[str, ...] = ()) -> str:
        if name in qualified:
            return qualified[name]
        if name in seen:
            raise ApplyError(f"import file: parent cycle through {name}")
        spec = by_name[name]
        parent = spec.get("parent")
        if parent and parent in table:
            base = table[parent].split("::")[2]
        elif parent:
            if parent not in by_name:
                raise ApplyError(f"import file: the parent {parent!r} of {name!r} has no entry in nameTable")
            base = resolve(parent, (*seen, name))
        else:
            base = ""
        qualified[name] = f"{base}${spec['type']}" if base else spec["type"]
        return qualified[name]

    for name, spec in by_name.items():
        urn = f"urn:pulumi:{stack}::{project}::{resolve(name)}::{spec.get('logicalName') or name}"
        if urn in out:
            raise ApplyError(f"import file: {name!r} has an ambiguous URN {urn}")
        out[urn] = spec
    return out


def import_file(
    mocks: ApplyMocks, document: Mapping[str, Any], stack: str, project: str = "iam-matrix"
) -> list[Applied]:
    """Read every custom entry of ``document`` from the account into ``mocks``' state (as
    pending imports the next run adopts at its URN); raise ApplyError for an id that names
    nothing or a type the emulator cannot read, as ``pulumi import`` fails."""
    read: list[Applied] = []
    for urn, spec in import_urns(document, stack, project).items():
        if spec.get("component"):
            continue
        typ, id_ = spec["type"], spec.get("id")
        if typ not in SEEDS or typ not in APPLIERS:
            raise ApplyError(f"import: {typ} cannot be imported here ({spec['name']})")
        try:
            seed = SEEDS[typ](mocks.account, id_)
            live = APPLIERS[typ].refresh(mocks.account, Applied(urn, typ, id_, seed, {}))
        except mocks.account.iam.exceptions.NoSuchEntityException:
            live = None
        if live is None:
            raise ApplyError(
                f"import: {typ} {id_!r} does not exist ({spec['name']}); pulumi import would fail the same way"
            )
        inputs = {**seed, **live}
        outputs = {**inputs, **({"arn": arn} if (arn := _arn(mocks.account, typ, id_)) else {})}
        applied = Applied(urn, typ, id_, inputs, outputs)
        mocks.pending_imports[state_key(urn)] = applied
        read.append(applied)
    return read
