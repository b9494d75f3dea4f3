"""What the program registers for one stack, without deploying anything.

``adopt`` writes its import file from this list, so the types, logical names and parents in
it are the ones the program really uses rather than a second, hand-kept copy. The program
(``components.program.main``) runs under Pulumi's mock runtime with the stack's config;
each ``RegisterResource`` call is recorded as the engine would receive it, by the same runner
and offline mocks the emulator and the tests use (``mock_runtime``, ``offline``): outputs are
the inputs plus what IAM computes (names, ARNs), so dependent resources see real group names
and policy ARNs. Needs only the Pulumi SDK (no moto, no AWS).
"""

from __future__ import annotations

from pathlib import Path

from .mock_runtime import Registration, run_program, stack_config
from .offline import OfflineProvider

__all__ = ["Registration", "registered_resources"]


def registered_resources(project_dir: Path, stack: str, account_id: str) -> list[Registration]:
    """Every resource ``pulumi up`` of ``stack`` in ``project_dir`` would register, in order:
    the program run by the one mock runner with the offline mocks (no moto, no AWS)."""
    from .program import main

    run = run_program(
        lambda: main(project_dir),
        OfflineProvider(account_id, region="us-east-1"),
        config=stack_config(project_dir, stack),
        stack=stack,
    )  # the program's warnings are validate's, which adopt reports itself: the run keeps them in its logs
    return sorted(run.registrations.values(), key=lambda r: r.order)
