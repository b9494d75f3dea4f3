"""The emulated engine and provider: ``Mocks`` that apply each registered resource to a moto
account through the applier of its type, as ``pulumi up`` with pulumi-aws would.

What the engine does and is modelled here (the rows of ``emulator/BEHAVIOUR.md``):

* ``refresh: always``: every resource of the stack is read back *before* the program runs
  (``refresh()``); one that is gone leaves the state and is created again;
* the diff is against the refreshed state; a change of a ForceNew input (``replace_keys``)
  replaces the resource: create-before-delete, unless the registration asks for
  ``deleteBeforeReplace`` or the applier says the bridge implies it (an explicit ``name``);
  the replaced resource is deleted at the end of the run, with the resources no longer declared;
* a registration takes over the old resource its ``aliases`` (or its parent's) name, as the
  engine does (``emulator/aliases.py``): renamed in place, never created and deleted;
* the ``import`` option adopts an existing resource by id (read, ``ignoreChanges`` copied
  from the read, no difference allowed); under the same id it is an ordinary resource;
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
from .aliases import alias_urns
from .appliers import APPLIERS, INVOKES, Applied, Applier, ApplyError
from .reads import read_resource


@dataclass
class Operation:
    op: str  # refresh | create | update | same | replace | delete | hook | rename | import
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
    components: dict[str, str] = field(default_factory=dict)  # the state's component resources: URN -> type
    _seen: list[str] = field(default_factory=list)
    _aliased: dict[str, str] = field(default_factory=dict)  # this run: new URN -> the old URN it took over
    _replaced: list[Applied] = field(default_factory=list)

    # --- the run --------------------------------------------------------------
    def begin_run(self, *, preview: bool = False) -> None:
        self._seen = []
        self._aliased = {}
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
        for urn in [urn for urn in self.components if urn not in seen]:  # a component's delete does nothing
            self.journal.append(Operation("delete", urn, self.components.pop(urn), "component"))
        return gone

    # --- Mocks ----------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        urn = (
            self.monitor.current_urn
            if self.monitor is not None and self.monitor.current_urn
            else f"{args.typ}::{args.name}"
        )
        registration = self.monitor.registrations.get(urn) if self.monitor is not None else None
        self._take_over(urn, args.typ, registration)
        self._seen.append(urn)
        if not args.custom:
            self.components[urn] = args.typ
            return f"{args.name}-component", args.inputs
        implementation = APPLIERS.get(args.typ)
        if implementation is None:
            raise ApplyError(f"no applier registered for {args.typ} ({args.name}); add one with @applier({args.typ!r})")
        old = self.state.get(urn)
        if old is None and self.pending_imports:
            imported = self.pending_imports.pop(state_key(urn, args.name), None)
            if imported is not None:  # in the state since the import, under the URN the program uses
                old = self.state[urn] = Applied(urn, imported.type, imported.id, imported.inputs, imported.outputs)
        inputs = dict(args.inputs)
        import_id = registration.import_id if registration is not None else ""
        if import_id and (old is None or old.id != import_id):
            if old is not None:  # another resource under this URN: deleted, replaced by the import
                self._replaced.append(old)
                del self.state[urn]
            return self._import(urn, args.typ, import_id, inputs, registration)
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

    def _take_over(self, urn: str, typ: str, registration: Registration | None) -> None:
        """The engine's old-resource lookup: the URN first, then each alias (``aliases.py``);
        an old resource found under an alias is renamed to ``urn`` in the state."""
        if urn in self.state or urn in self.components or registration is None or self.monitor is None:
            return
        candidates = alias_urns(
            registration.aliases,
            name=registration.name,
            type_=typ,
            parent=registration.parent,
            root=self.monitor.root_urn,
            matched=self._aliased,
            make_urn=self.monitor.make_urn,
        )
        for old_urn in candidates:
            if old_urn not in self.state and old_urn not in self.components:
                continue
            if old_urn in self._seen or old_urn in self._aliased.values():
                raise ApplyError(f"{urn}: its alias {old_urn} is already taken by another resource of this run")
            self._aliased[urn] = old_urn
            if old_urn in self.components:
                self.components[urn] = self.components.pop(old_urn)
            else:
                moved = self.state.pop(old_urn)
                moved.urn = urn
                self.state[urn] = moved
            self._record(Operation("rename", urn, typ, old_urn))
            return

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

    def _import(
        self, urn: str, typ: str, import_id: str, inputs: dict[str, Any], registration: Registration | None
    ) -> tuple[str, dict]:
        """The ``import`` resource option (pulumi/pulumi developer-docs/architecture/import.md):
        read the resource by id (the provider's importer and Read, ``importer.read_resource``),
        copy each ``ignoreChanges`` input from what was read, then require no difference: a
        preview warns, an up fails ("inputs to import do not match the existing resource")."""
        read = self._call("import", urn, lambda: read_resource(self.account, urn, typ, import_id))
        for key in registration.ignore_changes if registration is not None else []:
            if key in read.inputs:
                inputs[key] = read.inputs[key]
            else:
                inputs.pop(key, None)
        differ = sorted(
            k for k, v in inputs.items() if not k.startswith("__") and _norm(read.inputs.get(k)) != _norm(v)
        )
        if differ:
            message = f"inputs to import do not match the existing resource ({', '.join(differ)}): {urn}"
            if not self.preview:
                raise ApplyError(message)
            self._record(Operation("import", urn, typ, f"warning: {message}"))
            return import_id, {**read.outputs, **inputs}
        if not self.preview:
            self.state[urn] = self._applied(urn, typ, import_id, inputs, read.outputs, registration, None)
        self._record(Operation("import", urn, typ, import_id))
        return import_id, read.outputs

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
