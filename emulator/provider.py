"""The emulated provider: ``Mocks`` that apply each registered resource to a moto account
through the applier of its type, and the applier, invoke and hook registries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pulumi

from .account import MotoAccount


class ApplyError(Exception):
    """An applier failed the way the provider would fail the ``up`` (e.g. DeleteConflict)."""


@dataclass
class Applied:
    """One resource in the harness's stack state."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    before_delete: list[str] = field(default_factory=list)


class Applier:
    """How one resource type is created, updated, deleted and read back.

    The defaults describe a resource that is replaced on any change and whose drift is
    not detected; override what the provider really does.
    """

    type_token = ""
    replace_keys: tuple[str, ...] = ()

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
HOOKS: dict[str, Callable[[MotoAccount, Applied], None]] = {}


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


def hook(name: str) -> Callable[[Callable], Callable]:
    """Function decorator: what a named ``before_delete`` resource hook of the program does,
    run (like the engine does) before a resource bound to it is deleted."""

    def register(fn: Callable) -> Callable:
        HOOKS[name] = fn
        return fn

    return register


@dataclass
class Operation:
    op: str  # create | update | same | replace | delete
    urn: str
    type: str


@dataclass
class ApplyMocks(pulumi.runtime.Mocks):
    """``Mocks`` whose ``new_resource`` applies the resource to ``account``.

    Keep one instance per stack: its ``state`` is the stack's state across runs. Call
    ``finish_run()`` after each program run to delete what the run no longer declares.
    """

    account: MotoAccount
    state: dict[str, Applied] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)
    monitor: Any = None
    _seen: list[str] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        urn = self.monitor.current_urn if self.monitor is not None else f"{args.typ}::{args.name}"
        self._seen.append(urn)
        if not args.custom:
            return f"{args.name}-component", args.inputs
        implementation = APPLIERS.get(args.typ)
        if implementation is None:
            raise ApplyError(f"no applier registered for {args.typ} ({args.name}); add one with @applier({args.typ!r})")
        inputs = dict(args.inputs)
        registration = self.monitor.registrations.get(urn) if self.monitor is not None else None
        hooks = list(registration.before_delete) if registration is not None else []
        old = self.state.get(urn)
        if old is not None and old.type != args.typ:
            self._delete(old)
            old = None
        if old is not None and any(old.inputs.get(k) != inputs.get(k) for k in implementation.replace_keys):
            self._delete(old)
            self.operations.append(Operation("replace", urn, args.typ))
            old = None
        if old is None:
            resource_id, outputs = implementation.create(self.account, inputs)
            self.state[urn] = Applied(urn, args.typ, resource_id, inputs, outputs, hooks)
            self.operations.append(Operation("create", urn, args.typ))
            return resource_id, outputs
        live = implementation.refresh(self.account, old)
        if live is None:  # deleted out of band: refresh drops it, up creates it again
            resource_id, outputs = implementation.create(self.account, inputs)
            self.state[urn] = Applied(urn, args.typ, resource_id, inputs, outputs, hooks)
            self.operations.append(Operation("create", urn, args.typ))
            return resource_id, outputs
        refreshed = Applied(urn, args.typ, old.id, live, old.outputs)
        if _same(live, inputs):
            self.state[urn] = Applied(urn, args.typ, old.id, inputs, old.outputs, hooks)
            self.operations.append(Operation("same", urn, args.typ))
            return old.id, old.outputs
        outputs = implementation.update(self.account, refreshed, inputs)
        self.state[urn] = Applied(urn, args.typ, old.id, inputs, outputs, hooks)
        self.operations.append(Operation("update", urn, args.typ))
        return old.id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        """A plain dict: the SDK's MockMonitor reads a tuple's second item as check failures
        and iterates it, so ``(answer, None)`` would crash the invoke."""
        answer = INVOKES.get(args.token)
        if answer is None:
            raise ApplyError(f"no invoke registered for {args.token}; add one with @invoke({args.token!r})")
        return answer(self.account, dict(args.args))

    def begin_run(self) -> None:
        self._seen = []
        self.operations = []

    def finish_run(self) -> list[str]:
        """Delete resources registered in the previous run but not in this one, newest
        first (a resource is always registered after what it depends on)."""
        seen = set(self._seen)
        gone = [urn for urn in reversed(list(self.state)) if urn not in seen]
        for urn in gone:
            self._delete(self.state[urn])
            self.operations.append(Operation("delete", urn, self.state[urn].type))
            del self.state[urn]
        return gone

    def _delete(self, old: Applied) -> None:
        for name in old.before_delete:
            if name not in HOOKS:
                raise ApplyError(f"{old.urn} is bound to before_delete hook {name!r}, which the harness does not know; add it with @hook({name!r})")
            HOOKS[name](self.account, old)
        APPLIERS[old.type].delete(self.account, old)

    def ops(self, *kinds: str) -> list[Operation]:
        return [o for o in self.operations if o.op in kinds]


def _same(live: dict[str, Any], inputs: dict[str, Any]) -> bool:
    """Live state equals the program's inputs on every input the program sets."""
    return all(_norm(live.get(k)) == _norm(v) for k, v in inputs.items() if not k.startswith("__"))


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(map(str, value))
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


@contextmanager
def running(mocks: ApplyMocks) -> Iterator[ApplyMocks]:
    mocks.begin_run()
    yield mocks
    mocks.finish_run()


