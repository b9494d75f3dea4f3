"""The emulated engine and provider: ``Mocks`` that apply each registered resource to a moto
account through the applier of its type, as ``pulumi up`` with pulumi-aws would.

What the engine does and is modelled here (the rows of ``emulator/BEHAVIOUR.md``):

* ``refresh: always``: every resource of the stack is read back *before* the program runs
  (``refresh()``); one that is gone leaves the state and is created again;
* the diff is against the refreshed state; a change of a ForceNew input (``replace_keys``)
  replaces the resource: create-before-delete, unless the registration asks for
  ``deleteBeforeReplace`` or the applier says the bridge implies it (an explicit ``name``);
  the replaced resource is deleted at the end of the run, with the resources no longer declared;
* ``ignoreChanges`` keeps the state's value of the listed inputs; ``retainOnDelete`` drops a
  resource from the state without deleting it;
* the program's own ``before_update`` / ``before_delete`` resource hooks run (through the
  program's callback server, so with the credentials the program builds), never in preview;
* a failing call fails the run (``ApplyError``) with what was applied so far kept in the state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.mock_runtime import RecordingMonitor, Registration, call_hook

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


@dataclass
class Operation:
    op: str  # refresh | create | update | same | replace | delete | hook
    urn: str
    type: str
    detail: str = ""


@dataclass
class ApplyMocks(pulumi.runtime.Mocks):
    """``Mocks`` whose ``new_resource`` applies the resource to ``account`` (or, in preview,
    only records what it would do).

    Keep one instance per stack: its ``state`` is the stack's state across runs. Call
    ``refresh_all()`` before and ``finish_run()`` after each program run (``EmulatedStack.up``
    does both).
    """

    account: MotoAccount
    state: dict[str, Applied] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)  # what the run did to each resource
    journal: list[Operation] = field(default_factory=list)  # the refreshes and the operations, in order
    monitor: RecordingMonitor | None = None
    preview: bool = False
    pending_imports: dict[tuple[str, ...], Applied] = field(default_factory=dict)  # from ``pulumi import --file``
    _seen: list[str] = field(default_factory=list)
    _replaced: list[Applied] = field(default_factory=list)

    # --- the run --------------------------------------------------------------
    def begin_run(self, *, preview: bool = False) -> None:
        self._seen = []
        self._replaced = []
        self.operations = []
        self.journal = []
        self.preview = preview

    def refresh_all(self) -> None:
        """``pulumi refresh`` of the whole stack, before the update (``refresh: always``)."""
        for urn, old in list(self.state.items()):
            live = self._call("refresh", old.urn, lambda old=old: APPLIERS[old.type].refresh(self.account, old))
            self.journal.append(Operation("refresh", urn, old.type, "gone" if live is None else ""))
            if live is None:
                del self.state[urn]
            else:
                old.live = live

    def finish_run(self) -> list[str]:
        """Delete the replaced resources and those registered before but not in this run,
        newest first (a resource is always registered after what it depends on)."""
        seen = set(self._seen)
        for old in reversed(self._replaced):
            self._delete(old)
        gone = [urn for urn in reversed(list(self.state)) if urn not in seen]
        for urn in gone:
            self._delete(self.state[urn])
            del self.state[urn]
        return gone

    # --- Mocks ----------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        urn = (
            self.monitor.current_urn
            if self.monitor is not None and self.monitor.current_urn
            else f"{args.typ}::{args.name}"
        )
        self._seen.append(urn)
        if not args.custom:
            return f"{args.name}-component", args.inputs
        implementation = APPLIERS.get(args.typ)
        if implementation is None:
            raise ApplyError(f"no applier registered for {args.typ} ({args.name}); add one with @applier({args.typ!r})")
        registration = self.monitor.registrations.get(urn) if self.monitor is not None else None
        old = self.state.get(urn)
        if old is None and self.pending_imports:
            imported = self.pending_imports.pop(state_key(urn, args.name), None)
            if imported is not None:  # in the state since the import, under the URN the program uses
                old = self.state[urn] = Applied(urn, imported.type, imported.id, imported.inputs, imported.outputs)
        inputs = dict(args.inputs)
        live = (old.live if old.live is not None else old.inputs) if old is not None else None
        if live is not None and registration is not None:
            for key in registration.ignore_changes:  # the engine keeps the (refreshed) state's value
                if key in live:
                    inputs[key] = live[key]
                else:
                    inputs.pop(key, None)
        if old is not None and (
            old.type != args.typ or any(_norm(live.get(k)) != _norm(inputs.get(k)) for k in implementation.replace_keys)
        ):
            return self._replace(old, urn, args.typ, implementation, inputs, registration)
        if old is None:
            return self._create(urn, args.typ, implementation, inputs, registration)
        if _same(live, inputs):
            self.state[urn] = self._applied(urn, args.typ, old.id, inputs, old.outputs, registration, live)
            self._record(Operation("same", urn, args.typ))
            return old.id, old.outputs
        if self.preview:
            self._record(Operation("update", urn, args.typ))
            return old.id, {**old.outputs, **inputs}
        refreshed = Applied(urn, args.typ, old.id, live, old.outputs)
        for name in registration.before_update if registration else []:
            self._hook(name, urn, args.typ, old.id, new_inputs=inputs, old_inputs=old.inputs, old_outputs=old.outputs)
        outputs = self._call("update", urn, lambda: implementation.update(self.account, refreshed, inputs))
        self.state[urn] = self._applied(urn, args.typ, old.id, inputs, outputs, registration, None)
        self._record(Operation("update", urn, args.typ))
        return old.id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        """A plain dict: the SDK's MockMonitor reads a tuple's second item as check failures
        and iterates it, so ``(answer, None)`` would crash the invoke."""
        answer = INVOKES.get(args.token)
        if answer is None:
            raise ApplyError(f"no invoke registered for {args.token}; add one with @invoke({args.token!r})")
        return answer(self.account, dict(args.args))

    def _record(self, operation: Operation) -> None:
        self.operations.append(operation)
        self.journal.append(operation)

    def ops(self, *kinds: str) -> list[Operation]:
        return [o for o in self.operations if o.op in kinds]

    # --- steps ----------------------------------------------------------------
    def _applied(
        self,
        urn: str,
        typ: str,
        resource_id: str,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        registration: Registration | None,
        live: dict[str, Any] | None,
    ) -> Applied:
        options = registration or Registration(urn, typ, "", True, "", [], {}, 0)
        return Applied(
            urn,
            typ,
            resource_id,
            inputs,
            outputs,
            list(options.before_delete),
            list(options.before_update),
            options.retain_on_delete,
            live,
        )

    def _create(
        self,
        urn: str,
        typ: str,
        implementation: Applier,
        inputs: dict[str, Any],
        registration: Registration | None,
        op: str = "create",
    ) -> tuple[str, dict]:
        if self.preview:
            self._record(Operation(op, urn, typ))
            return f"{urn}-preview", dict(inputs)
        resource_id, outputs = self._call("create", urn, lambda: implementation.create(self.account, inputs))
        self.state[urn] = self._applied(urn, typ, resource_id, inputs, outputs, registration, None)
        self._record(Operation(op, urn, typ))
        return resource_id, outputs

    def _replace(
        self,
        old: Applied,
        urn: str,
        typ: str,
        implementation: Applier,
        inputs: dict[str, Any],
        registration: Registration | None,
    ) -> tuple[str, dict]:
        delete_first = (
            registration is not None and registration.delete_before_replace
        ) or implementation.delete_before_replace(inputs)
        if self.preview:
            self._record(
                Operation("replace", urn, typ, "delete-before-create" if delete_first else "create-before-delete")
            )
            return old.id, {**old.outputs, **inputs}
        if delete_first:
            self._delete(old)
            del self.state[urn]
        else:
            self._replaced.append(old)
        return self._create(urn, typ, implementation, inputs, registration, op="replace")

    def _delete(self, old: Applied) -> None:
        if self.preview:
            self._record(Operation("delete", old.urn, old.type))
            return
        if old.retain_on_delete:
            self._record(Operation("delete", old.urn, old.type, "retained"))
            return
        for name in old.before_delete:
            self._hook(name, old.urn, old.type, old.id, old_inputs=old.inputs, old_outputs=old.outputs)
        self._call("delete", old.urn, lambda: APPLIERS[old.type].delete(self.account, old))
        self._record(Operation("delete", old.urn, old.type))

    def _hook(self, name: str, urn: str, typ: str, resource_id: str, **values: Any) -> None:
        if self.monitor is None:
            raise ApplyError(
                f"{urn} is bound to resource hook {name!r}, but the run has no monitor to reach the program's hooks"
            )
        resource_name = urn.rsplit("::", 1)[-1]
        try:
            call_hook(
                self.monitor,
                name,
                urn=urn,
                resource_id=resource_id,
                type_token=typ,
                resource_name=resource_name,
                **values,
            )
        except Exception as error:  # noqa: BLE001 - the engine fails the step with the hook's error
            raise ApplyError(str(error)) from error
        self._record(Operation("hook", urn, typ, name))

    def _call(self, what: str, urn: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ApplyError:
            raise
        except Exception as error:  # noqa: BLE001 - every AWS error fails the up, as the provider does
            raise ApplyError(f"{error} ({what} {urn})") from error


def state_key(urn: str, name: str | None = None) -> tuple[str, ...]:
    """A URN without the root stack's type and all but the last parent type: the mock
    monitor's URNs differ from the engine's there (it keeps ``pulumi:pulumi:Stack$`` and drops
    grandparents), so both are matched on (parent type, type, name)."""
    qualified, logical = urn.split("::")[2], urn.split("::", 3)[3]
    chain = [t for t in qualified.split("$") if t != "pulumi:pulumi:Stack"]
    return (*chain[-2:], name or logical)


def _same(live: dict[str, Any], inputs: dict[str, Any]) -> bool:
    """Live state equals the program's inputs on every input the program sets."""
    return all(_norm(live.get(k)) == _norm(v) for k, v in inputs.items() if not k.startswith("__"))


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(map(str, value))
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
