"""``pulumi import --file`` against the emulated account.

What the CLI does (pulumi/pulumi pkg/cmd/pulumi/operations/import.go, ``parseImportFile``):
every entry's URN is built from its parent's type chain and its logical name; a component
entry (``component: true``) becomes an empty component, every other entry is *read* by its
provider from its ``id`` and written to the stack's state with what the read returned as its
inputs. Nothing in the account changes, and an id that names nothing fails the import.

What the provider's read returns is modelled per type in ``reads.py`` (terraform-provider-aws,
internal/service/iam/: the importers pass the id through and ``Read`` fills the attributes
from IAM; ``force_destroy`` is not in IAM and imports as false, user.go). The next ``up``
then runs as always: refresh, compare with the program's inputs, update in place where they
differ (the stack's tags, say); ``EmulatedStack.up`` reports creates, replaces and deletes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .appliers import Applied, ApplyError
from .provider import ApplyMocks, state_key
from .reads import read_resource


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
        applied = read_resource(mocks.account, urn, spec["type"], spec.get("id"), spec["name"])
        mocks.pending_imports[state_key(urn)] = applied
        read.append(applied)
    return read
