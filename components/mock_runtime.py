"""Run a Pulumi program under the mock runtime and record what it registers.

The one runner: the emulator (``emulator.ApplyMocks``, applying to moto), the offline mocks
(``components.offline``), ``components.registered`` (what ``adopt`` imports) and the tests all
run the program through ``run_program``/``run_main``/``run_component``. Needs only the
Pulumi SDK (no moto, no AWS), so product code may use it."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from iam_matrix.project import PROJECT
from iam_matrix.settings import read_stack_config

from . import preflight

REPO = Path(__file__).resolve().parents[1]
MAIN = REPO / "__main__.py"


@dataclass
class Registration:
    """One RegisterResource call as the engine would receive it, with the resource options
    the engine acts on (hooks, ignoreChanges, retainOnDelete, deleteBeforeReplace, import)."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: list[str]
    inputs: dict[str, Any]
    order: int
    before_delete: list[str] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)  # the alias specs sent (e.g. {"type": <old type>})
    before_update: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    import_id: str = ""
    # input property -> the URNs its value came from (what CrossGuard hands a policy as propertyDependencies)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


def _hook_names(request: Any, kind: str) -> list[str]:
    return list(getattr(request.hooks, kind)) if request.HasField("hooks") else []


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """MockMonitor that records parents, dependencies and resource options (which ``Mocks``
    never see) and the program's resource hooks, and serialises registrations, so appliers
    run one at a time in a deterministic order."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}
        self.outputs: dict[str, Any] = {}
        self.hooks: dict[str, Callable[[bytes], Any]] = {}  # hook name -> the program's callback
        self.lock = threading.Lock()
        self.current_urn: str | None = None
        self.root_urn = ""  # the root stack's URN (what a resource without a parent hangs under)
        self.loop: asyncio.AbstractEventLoop | None = None

    def RegisterResourceHook(self, request):  # noqa: N802 - gRPC method name
        """Keep the program's callback itself: the SDK stops its callback server when the
        program returns, but the engine still runs delete hooks after that."""
        from pulumi.runtime._callbacks import _CallbackServicer

        token = request.callback.token
        callback = next((s._callbacks[token] for s in _CallbackServicer._servicers if token in s._callbacks), None)  # noqa: SLF001
        if callback is not None:
            self.hooks[request.name] = callback
        return super().RegisterResourceHook(request)

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        with self.lock:
            urn = self.make_urn(request.parent, request.type, request.name)
            if request.type == "pulumi:pulumi:Stack":
                self.root_urn = urn
            else:
                pulumi_mocks._ensure_event_loop()
                inputs = rpc.deserialize_properties(request.object)
                self.registrations[urn] = Registration(
                    urn,
                    request.type,
                    request.name,
                    bool(request.custom),
                    request.parent,
                    sorted(request.dependencies),
                    dict(inputs),
                    len(self.registrations),
                    before_delete=_hook_names(request, "before_delete"),
                    aliases=[json_format.MessageToDict(alias) for alias in request.aliases],
                    before_update=_hook_names(request, "before_update"),
                    ignore_changes=list(request.ignoreChanges),
                    retain_on_delete=bool(request.retainOnDelete),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    import_id=request.importId,
                    property_dependencies={
                        key: sorted(deps.urns) for key, deps in request.propertyDependencies.items() if deps.urns
                    },
                )
            self.current_urn = urn
            try:
                response = super().RegisterResource(request)
            finally:
                self.current_urn = None
            return response

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        self.outputs[request.urn] = True
        return super().RegisterResourceOutputs(request)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelname.lower(), record.getMessage()))


@dataclass
class ProgramRun:
    """What one program run registered, exported and logged."""

    registrations: dict[str, Registration]
    exports: dict[str, Any]
    logs: list[tuple[str, str]] = field(default_factory=list)
    error: BaseException | None = None
    components_with_outputs: set[str] = field(default_factory=set)

    def of_type(self, type_token: str) -> list[Registration]:
        return sorted((r for r in self.registrations.values() if r.type == type_token), key=lambda r: r.order)

    def named(self, type_token: str, name: str) -> Registration:
        return next(r for r in self.registrations.values() if r.type == type_token and r.name == name)

    def by_urn(self, urn: str) -> Registration:
        return self.registrations[urn]

    @property
    def types(self) -> set[str]:
        return {r.type for r in self.registrations.values()}

    def errors(self) -> list[str]:
        return [message for level, message in self.logs if level == "error"]

    def one(self, type_token: str) -> Registration:
        found = self.of_type(type_token)
        assert len(found) == 1, f"{type_token}: {len(found)} registered"
        return found[0]

    def urn_of(self, type_token: str) -> str:
        return self.one(type_token).urn


@dataclass
class ComponentRun(ProgramRun):
    """A run of one component, with its resolved ``outputs()``."""

    outputs: dict[str, Any] = field(default_factory=dict)


def stack_config(project_dir: Path, stack: str = "dev", overrides: Mapping[str, Any] | None = None) -> dict[str, str]:
    """``Pulumi.<stack>.yaml`` as the engine hands config to a program: every value a
    string, objects and lists as JSON. Read by ``settings.read_stack_config``: a stack file that
    is a symlink, not YAML or not a mapping raises ``MatrixInvalid`` as for validate."""
    config: dict[str, Any] = dict(read_stack_config(project_dir, stack))  # the one strict reader
    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def run_program(
    program: Callable[[], Any],
    mocks: pulumi.runtime.Mocks,
    *,
    config: Mapping[str, str] | None = None,
    stack: str = "dev",
    project: str = PROJECT,
    preview: bool = False,
    raise_errors: bool = True,
) -> ProgramRun:
    """Run ``program`` in a fresh root stack with ``config``; wait for every RPC."""
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack: exports must not leak between runs
    pulumi_settings.ROOT.set(None)  # the SDK also keeps the root Stack in a ContextVar
    pulumi.runtime.set_all_config(dict(config or {}))
    collect = _Collect()
    logger = logging.getLogger(f"iam-matrix-harness-{id(collect)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(collect)
    monitor = RecordingMonitor(mocks)
    if hasattr(mocks, "monitor"):
        mocks.monitor = monitor
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, logger=logger, monitor=monitor)
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    error: BaseException | None = None
    monitor.loop = _ensure_event_loop()
    monitor.loop.set_exception_handler(_unretrieved_error)
    # The program's own reads of the account (components/preflight.py) go to the emulated
    # account through boto3; mocks with no account (OfflineProvider) answer them themselves.
    reader = getattr(mocks, "live_account", None)
    try:
        with preflight.reading_with(reader) if reader is not None else nullcontext(), _no_stack_traces():
            _sync_await(run_pulumi_func(program))
    except BaseException as caught:  # noqa: BLE001 - reported in the result, re-raised on request
        error = caught
    root = pulumi_settings.get_root_resource()
    exports: dict[str, Any] = {}
    if error is None and root is not None:
        exports = _sync_await(_resolve(dict(root.outputs)))
    _drain()
    logger.removeHandler(collect)
    run = ProgramRun(dict(monitor.registrations), exports, collect.records, error, set(monitor.outputs))
    if error is not None and raise_errors:
        raise error
    return run


@contextmanager
def _no_stack_traces() -> Iterator[None]:
    """Registrations without the caller's stack trace: the engine shows it as where a resource was
    declared, no mock reads it, and capturing it (``traceback.extract_stack`` over every frame,
    a file URI per frame) was about a tenth of an emulated ``pulumi up``."""
    original = getattr(pulumi_resource, "_get_stack_trace", None)
    if original is None:  # another SDK version: nothing to skip
        yield
        return
    pulumi_resource._get_stack_trace = source_pb2.StackTrace  # an empty trace: no source position
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = original


def _unretrieved_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """One line for a future of a failed run whose error nobody read (the run's error is in its
    ``ProgramRun``). asyncio's own handler formats the traceback, and Python 3.11 parses source
    lines (``ast``) to do so; called when the garbage collector frees the future, possibly in the
    middle of another ``ast.parse``, that corrupts the parse ("AST constructor recursion depth
    mismatch")."""
    logging.getLogger("asyncio").debug("%s: %r", context.get("message"), context.get("exception"))


def _drain() -> None:
    """Wait for every registration still in flight, also after a failed run, so none of
    them (nor its error) spills into the next run or the next test."""
    manager = pulumi_settings.SETTINGS.rpc_manager
    for _ in range(100_000):
        try:
            _sync_await(wait_for_rpcs())
        except BaseException:  # noqa: BLE001 - the run's error is already reported
            manager.exception_traceback = None
            manager.unhandled_exception = None
            continue
        if not manager.rpcs:
            break
    manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()


async def _resolve(value: Any) -> Any:
    return await pulumi.Output.from_input(value).future()


@contextmanager
def chdir(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_main(
    project_dir: Path,
    mocks: pulumi.runtime.Mocks,
    *,
    stack: str = "dev",
    config: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> ProgramRun:
    """Run the repository's ``__main__.py`` as Pulumi would (as ``__main__``, from the project folder,
    with the stack's config: ``Pulumi.<stack>.yaml`` of ``project_dir`` by default)."""
    config = stack_config(project_dir, stack) if config is None else config

    # Compiled here, not by runpy inside the run: Python 3.11's compiler is not safe while
    # the SDK's worker threads import modules ("AST constructor recursion depth mismatch").
    code = compile(MAIN.read_text(), str(MAIN), "exec")

    def program() -> None:
        with chdir(project_dir):
            exec(code, {"__name__": "__main__", "__file__": str(MAIN), "__builtins__": __builtins__})

    return run_program(program, mocks, config=config, stack=stack, **kwargs)


COMPONENT_OUTPUTS = "componentOutputs"


def run_component(build: Callable[[], Any], mocks: pulumi.runtime.Mocks, *, stack: str = "dev") -> ComponentRun:
    """Run ``build()`` (it returns a component with an ``outputs()`` method) under the mock
    runtime; the result carries the component's resolved outputs."""

    def program() -> None:
        pulumi.export(COMPONENT_OUTPUTS, build().outputs())

    run = run_program(program, mocks, stack=stack)
    fields = {
        name: getattr(run, name) for name in ("registrations", "exports", "logs", "error", "components_with_outputs")
    }
    return ComponentRun(**fields, outputs=run.exports.get(COMPONENT_OUTPUTS) or {})


class HookFailed(Exception):
    """A resource hook of the program failed; the engine fails the step."""


def _struct(values: Mapping[str, Any] | None) -> Any:
    from google.protobuf import struct_pb2

    message = struct_pb2.Struct()
    if values:
        message.update(json.loads(json.dumps(dict(values), default=str)))
    return message


def call_hook(
    monitor: RecordingMonitor,
    name: str,
    *,
    urn: str,
    resource_id: str,
    type_token: str,
    resource_name: str,
    new_inputs: Mapping[str, Any] | None = None,
    old_inputs: Mapping[str, Any] | None = None,
    old_outputs: Mapping[str, Any] | None = None,
    new_outputs: Mapping[str, Any] | None = None,
) -> None:
    """Call the program's own hook ``name`` the way the engine does: through the program's
    callback server, with the serialised inputs and outputs (so the hook runs the program's
    code, with the credentials the program builds). Raises ``HookFailed`` with its error."""
    from pulumi.runtime.proto import resource_pb2

    callback = monitor.hooks.get(name)
    if callback is None:
        raise HookFailed(
            f"resource hook {name!r} is not registered by this run of the program; the engine cannot run it"
        )
    request = resource_pb2.ResourceHookRequest(
        urn=urn,
        id=resource_id,
        name=resource_name,
        type=type_token,
        new_inputs=_struct(new_inputs),
        old_inputs=_struct(old_inputs),
        new_outputs=_struct(new_outputs),
        old_outputs=_struct(old_outputs),
    )
    coroutine = callback(request.SerializeToString())
    loop = monitor.loop
    on_other_thread = (
        loop is not None and loop.is_running() and threading.current_thread() is not threading.main_thread()
    )
    response = asyncio.run_coroutine_threadsafe(coroutine, loop).result() if on_other_thread else _sync_await(coroutine)
    if response.error:
        raise HookFailed(f"resource hook {name!r} failed for {urn}: {response.error}")
