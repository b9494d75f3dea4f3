"""The one entry point: run the program under Pulumi's mock runtime against an emulated
account, as ``pulumi up`` would, and keep the stack's state between runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .account import MotoAccount
from .provider import Applied, ApplyMocks, Operation
from .runtime import ProgramRun, run_main, run_program


@dataclass
class EmulatedStack:
    """One Pulumi stack deployed to ``account`` through the emulated provider.

    ``up(project_dir)`` runs the project's ``__main__.py`` with ``Pulumi.<stack>.yaml``
    (or ``config``); ``up(program=fn)`` runs any callable (a single component, say). Each
    ``up`` applies every registered resource, then deletes what the run no longer declares.
    """

    account: MotoAccount
    stack: str = "dev"
    provider: ApplyMocks = field(init=False)

    def __post_init__(self) -> None:
        self.provider = ApplyMocks(self.account)

    @property
    def state(self) -> dict[str, Applied]:
        return self.provider.state

    @property
    def operations(self) -> list[Operation]:
        return self.provider.operations

    def ops(self, *kinds: str) -> list[Operation]:
        return self.provider.ops(*kinds)

    def up(
        self,
        project_dir: Path | None = None,
        *,
        program: Callable[[], Any] | None = None,
        config: Mapping[str, str] | None = None,
        raise_errors: bool = True,
    ) -> ProgramRun:
        if (project_dir is None) == (program is None):
            raise ValueError("give the project folder or a program, not both")
        self.provider.begin_run()
        if program is not None:
            run = run_program(program, self.provider, config=config, stack=self.stack, raise_errors=raise_errors)
        else:
            assert project_dir is not None
            run = run_main(project_dir, self.provider, stack=self.stack, config=config, raise_errors=raise_errors)
        if run.error is None:
            self.provider.finish_run()
        return run
