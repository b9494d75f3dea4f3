"""The emulated account: the real Pulumi program, under Pulumi's mock runtime, applied to
moto through a model of the AWS provider (pulumi-aws / terraform-provider-aws).

It is not test code: the tests, the benchmarks, the docs scripts and the sandbox
(``scripts/run`` without the Pulumi CLI) all use it. What it models, and the provider file
each behaviour follows, is in ``emulator/BEHAVIOUR.md``; what it cannot show is in
docs/pulumi-program.md.

Modules, in the order a run goes through them:

* ``account``: the emulated account (moto in this process, or a moto server on 127.0.0.1).
* ``components.mock_runtime`` (re-exported here): ``run_program``/``run_main`` run a program
  under ``pulumi.runtime.set_mocks`` with a recording monitor (parents, dependencies, hooks,
  registration order); the one runner, also used by ``components.registered`` (adopt).
* ``provider``: ``ApplyMocks``, the ``Mocks`` that apply each registered resource through the
  *applier* of its type (``appliers``: the applier and invoke registries), with the engine's
  alias matching (``aliases``) and ``import`` option (``reads``: the provider's importers).
* ``iam``, ``audit_baseline``: the appliers (one class per resource type).
* ``stack``: ``EmulatedStack``, the one entry point: ``EmulatedStack(account).up(project_dir)``
  is one ``pulumi up``; the state persists between runs like a stack's.
* ``readback``: the account read back in the shape of the desired state, to compare exactly.
* ``components.offline`` (re-exported here): ``OfflineProvider``, mocks with no account
  (outputs computed from inputs), also what ``components.registered`` runs the program with.

Adding an applier::

    from emulator import Applier, applier

    @applier("aws:s3/bucketV2:BucketV2")
    class Bucket(Applier):
        replace_keys = ("bucket",)            # inputs whose change forces a replacement

        def create(self, ctx, inputs):        # -> (physical id, outputs)
            ...
        def update(self, ctx, old, inputs):   # old: Applied(id, inputs, outputs) -> outputs
            ...
        def delete(self, ctx, old): ...
        def refresh(self, ctx, old):          # live inputs as the provider reads them; None when gone

Inputs and outputs use the engine's camelCase property names. ``ctx`` is the
``MotoAccount``. A type without an applier fails the run loudly: the emulator never
pretends to have deployed something.
"""

from __future__ import annotations

from components.mock_runtime import (
    ComponentRun,
    ProgramRun,
    Registration,
    run_component,
    run_main,
    run_program,
    stack_config,
)
from components.offline import OfflineProvider

from . import audit_baseline, iam  # noqa: F401 - the appliers register themselves on import
from .account import DEFAULT_ACCOUNT, MotoAccount, MotoServer
from .appliers import APPLIERS, INVOKES, Applied, Applier, ApplyError, applier, invoke
from .provider import ApplyMocks, Operation
from .readback import comparable, differences, expected_account, read_account
from .stack import EmulatedStack

__all__ = [
    "APPLIERS",
    "DEFAULT_ACCOUNT",
    "ComponentRun",
    "INVOKES",
    "Applied",
    "Applier",
    "ApplyError",
    "ApplyMocks",
    "EmulatedStack",
    "MotoAccount",
    "MotoServer",
    "OfflineProvider",
    "ProgramRun",
    "Registration",
    "applier",
    "comparable",
    "differences",
    "expected_account",
    "invoke",
    "Operation",
    "read_account",
    "run_component",
    "run_main",
    "run_program",
    "stack_config",
]
