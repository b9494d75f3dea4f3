"""Apply harness: run the Pulumi program under the mock runtime and *apply* every
registered resource to an emulated AWS account (moto), so tests can read the account back
and compare it with the desired state, then run again and see it converge.

How it works
------------
* ``runtime.run_program`` runs a program (``__main__.py`` via ``runpy``, or any callable)
  under ``pulumi.runtime.set_mocks`` with a recording monitor (parents, dependencies,
  registration order) and returns the registrations and the resolved stack outputs.
* ``apply.ApplyMocks`` is the ``Mocks``: ``new_resource`` looks up the *applier* for the
  resource's type token and creates, updates (when inputs changed, or when the live
  resource drifted: the project refreshes before every ``up``) or leaves the resource.
  State persists across runs like a stack's state; ``finish_run`` deletes what run N no
  longer registered compared with run N-1, dependents first, as the engine does.
* ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` is set before moto is imported (and passed as
  moto config), so attaching a wrong AWS managed policy ARN fails as it does in AWS.

Adding appliers (e.g. for CloudTrail, S3, Config) from another module
---------------------------------------------------------------------
Write a module in this package (or anywhere) and import it before running::

    from tests.harness import Applier, Applied, applier, invoke

    @applier("aws:s3/bucketV2:BucketV2")
    class Bucket(Applier):
        replace_keys = ("bucket",)            # inputs whose change forces a replacement

        def create(self, ctx, inputs):        # -> (physical id, outputs)
            ctx.client("s3").create_bucket(Bucket=inputs["bucket"])
            return inputs["bucket"], {**inputs, "arn": f"arn:aws:s3:::{inputs['bucket']}"}

        def update(self, ctx, old, inputs):   # old: Applied(id, inputs, outputs) -> outputs
            ...
        def delete(self, ctx, old): ...
        def refresh(self, ctx, old):          # live inputs as the provider would read them,
            return old.inputs                 # None when gone (the default: no drift seen)

    @invoke("aws:index/getRegion:getRegion")
    def get_region(ctx, args):
        return {"name": ctx.region, "region": ctx.region}

Inputs and outputs use the engine's camelCase property names (``groupName``,
``policyArns``). ``ctx`` is the ``MotoAccount``: ``ctx.iam``, ``ctx.client(service)``,
``ctx.account_id``, ``ctx.region``. A named ``before_delete`` resource hook of the
program is emulated with ``@hook(name)`` (see ``iam_appliers.empty_group_before_delete``). Modules named ``tests/harness/*_appliers.py`` are
imported automatically by ``load_appliers()``; a type without an applier fails the run
loudly (the harness never pretends to have deployed something).
"""

from __future__ import annotations

import os

os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # before moto is imported anywhere below

from .account import comparable, expected_account, read_account  # noqa: E402
from .apply import APPLIERS, HOOKS, INVOKES, Applied, Applier, ApplyError, ApplyMocks, MotoAccount, applier, hook, invoke, load_appliers  # noqa: E402
from .runtime import ProgramRun, Registration, run_main, run_program, stack_config  # noqa: E402

__all__ = [
    "APPLIERS", "HOOKS", "INVOKES", "Applied", "Applier", "ApplyError", "ApplyMocks", "MotoAccount", "ProgramRun", "Registration",
    "applier", "comparable", "hook", "expected_account", "invoke", "load_appliers", "read_account", "run_main", "run_program", "stack_config",
]
