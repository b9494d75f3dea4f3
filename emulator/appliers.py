"""The appliers' registry: how each resource type is created, updated, deleted and read
back (``Applier``), what the state holds for a resource (``Applied``), and the invokes.
``iam.py`` and ``audit_baseline.py`` register their appliers here; ``provider`` runs them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .account import MotoAccount


class ApplyError(Exception):
    """A call failed the way the provider would fail the ``up`` (e.g. DeleteConflict)."""


@dataclass
class Applied:
    """One resource in the emulated stack's state: the inputs the program gave, the live
    view of them from the last refresh, the outputs, and the options the engine acts on."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    before_delete: list[str] = field(default_factory=list)
    before_update: list[str] = field(default_factory=list)
    retain_on_delete: bool = False
    live: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


class Applier:
    """How one resource type is created, updated, deleted and read back.

    The defaults describe a resource that is replaced on any change and whose drift is
    not detected; override what the provider really does.
    """

    type_token = ""
    replace_keys: tuple[str, ...] = ()  # ForceNew inputs

    def delete_before_replace(self, inputs: dict[str, Any]) -> bool:
        """Whether the bridge deletes before it creates a replacement (explicit physical names)."""
        return False

    def create(self, ctx: MotoAccount, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def update(self, ctx: MotoAccount, old: Applied, inputs: dict[str, Any]) -> dict[str, Any]:
        self.delete(ctx, old)
        return self.create(ctx, inputs)[1]

    def delete(self, ctx: MotoAccount, old: Applied) -> None:
        raise NotImplementedError

    def refresh(self, ctx: MotoAccount, old: Applied) -> dict[str, Any] | None:
        """The live inputs, as ``pulumi refresh`` would record them; None when gone."""
        return old.inputs


APPLIERS: dict[str, Applier] = {}
INVOKES: dict[str, Callable[[MotoAccount, dict[str, Any]], dict[str, Any]]] = {}


def applier(type_token: str) -> Callable[[type[Applier]], type[Applier]]:
    """Class decorator: register an Applier subclass for a Pulumi type token."""

    def register(cls: type[Applier]) -> type[Applier]:
        if type_token in APPLIERS and type(APPLIERS[type_token]) is not cls:
            raise ValueError(f"two appliers for {type_token}: {type(APPLIERS[type_token]).__name__} and {cls.__name__}")
        instance = cls()
        instance.type_token = type_token
        APPLIERS[type_token] = instance
        return cls

    return register


def invoke(token: str) -> Callable[[Callable], Callable]:
    """Function decorator: answer an invoke (data source) such as getCallerIdentity."""

    def register(fn: Callable) -> Callable:
        INVOKES[token] = fn
        return fn

    return register
