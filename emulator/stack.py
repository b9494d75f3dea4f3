"""The one entry point: run the program under Pulumi's mock runtime against an emulated
account, as ``pulumi up`` would, and keep the stack's state between runs."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.mock_runtime import ProgramRun, run_main, run_program

from .account import MotoAccount
from .provider import Applied, ApplyMocks, Operation


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

    def import_file(self, document: Mapping[str, Any]) -> list[Applied]:
        """``pulumi import --file``: read every resource the file names into the state (``importer``)."""
        from .importer import import_file

        return import_file(self.provider, document, self.stack)

    def up(
        self,
        project_dir: Path | None = None,
        *,
        program: Callable[[], Any] | None = None,
        config: Mapping[str, str] | None = None,
        raise_errors: bool = True,
    ) -> ProgramRun:
        """One ``pulumi up`` (with ``refresh: always``): refresh the whole stack, run the
        program applying each resource, then delete what it replaced or no longer declares."""
        self.provider.begin_run()
        self.provider.refresh_all()
        run = self._run(project_dir, program, config, raise_errors, preview=False)
        if run.error is None:
            self.provider.finish_run()
        return run

    def preview(
        self,
        project_dir: Path | None = None,
        *,
        program: Callable[[], Any] | None = None,
        config: Mapping[str, str] | None = None,
    ) -> list[Operation]:
        """One ``pulumi preview``: what ``up`` would do, with nothing applied and no hook run."""
        saved = {urn: copy.deepcopy(applied) for urn, applied in self.provider.state.items()}
        components = dict(self.provider.components)
        self.provider.begin_run(preview=True)
        try:
            self.provider.refresh_all()
            self._run(project_dir, program, config, True, preview=True)
            self.provider.finish_run()
            return list(self.provider.operations)
        finally:
            self.provider.state = saved
            self.provider.components = components
            self.provider.preview = False

    def _run(
        self,
        project_dir: Path | None,
        program: Callable[[], Any] | None,
        config: Mapping[str, str] | None,
        raise_errors: bool,
        *,
        preview: bool,
    ) -> ProgramRun:
        if (project_dir is None) == (program is None):
            raise ValueError("give the project folder or a program, not both")
        if program is not None:
            return run_program(
                program, self.provider, config=config, stack=self.stack, raise_errors=raise_errors, preview=preview
            )
        assert project_dir is not None
        return run_main(
            project_dir, self.provider, stack=self.stack, config=config, raise_errors=raise_errors, preview=preview
        )
