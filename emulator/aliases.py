"""The engine's alias semantics: which old URN of the stack a registration takes over.

Followed from pulumi/pulumi ``pkg/resource/deploy/step_generator.go`` (``generateAliases``,
``collapseAliasToUrn``, ``inheritedChildAlias`` and the old-resource lookup in
``generateSteps``):

* the resource is looked up in the old state under its own URN **first**, then under each
  alias, in order; the first hit is the resource's old state (renamed in place, no replace);
* an alias spec fills what it leaves out from the registration: name, type, parent (a spec
  parent that was itself aliased stands for its old URN; ``noParent`` means none), stack and
  project; an alias given as a URN is used as it is;
* a child **inherits** its parent's matched alias: the parent's old URN as parent, and, when
  the child's name starts with the parent's name (``<parent>-details``), the parent's old
  name in its place; the child's own aliases are multiplied out under the old parent too;
* an old URN claimed twice (by two aliases, or by an alias and a registered resource) is an
  error, as the engine's "duplicate resource alias" diagnostics.

URNs are built by the monitor that made the state's URNs (``RecordingMonitor.make_urn``, the
mock monitor's scheme), so an alias finds exactly what an earlier run registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

MakeUrn = Callable[[str, str, str], str]


def urn_name(urn: str) -> str:
    return urn.split("::", 3)[3]


def urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def _collapse(
    alias: Mapping[str, Any],
    *,
    name: str,
    type_: str,
    parent: str,
    root: str,
    matched: Mapping[str, str],
    make_urn: MakeUrn,
) -> str:
    """``collapseAliasToUrn``: one alias (``{"urn": ...}`` or ``{"spec": {...}}``) as a URN."""
    if alias.get("urn"):
        return str(alias["urn"])
    spec = alias.get("spec") or {}
    alias_parent = str(spec.get("parentUrn") or "")
    if not alias_parent:
        alias_parent = parent
    else:
        alias_parent = matched.get(alias_parent, alias_parent)  # an aliased parent: its old URN
    if spec.get("noParent"):
        alias_parent = root
    return make_urn(alias_parent, str(spec.get("type") or type_), str(spec.get("name") or name))


def _inherited(child_type: str, child_name: str, parent_name: str, parent_alias: str, make_urn: MakeUrn) -> str:
    """``inheritedChildAlias``: the child under its parent's old URN (and old name prefix)."""
    alias_name = child_name
    if child_name.startswith(parent_name):
        alias_name = urn_name(parent_alias) + child_name[len(parent_name) :]
    return make_urn(parent_alias, child_type, alias_name)


def alias_urns(
    aliases: Iterable[Mapping[str, Any]],
    *,
    name: str,
    type_: str,
    parent: str,
    root: str,
    matched: Mapping[str, str],
    make_urn: MakeUrn,
) -> list[str]:
    """``generateAliases``: every URN the registration may have had, in the engine's order.

    ``matched``: new URN -> the old URN it took over, for the resources registered so far
    (a parent registers before its children, so the parent's entry is there)."""
    own = list(aliases)
    found: list[str] = []

    def add(urn: str) -> None:
        if urn not in found:
            found.append(urn)

    common = {"parent": parent, "root": root, "matched": matched, "make_urn": make_urn}
    for alias in own:
        add(_collapse(alias, name=name, type_=type_, **common))
    parent_alias = matched.get(parent)
    if parent and parent_alias:
        parent_name = urn_name(parent)
        add(_inherited(type_, name, parent_name, parent_alias, make_urn))
        for alias in own:
            child = _collapse(alias, name=name, type_=type_, **common)
            add(_inherited(urn_type(child), urn_name(child), parent_name, parent_alias, make_urn))
    return found
