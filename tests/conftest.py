"""Suite-wide test set-up: parse each big read-only input once per test process.

moto builds its ~1,400 AWS managed policies anew for every emulated account it creates
(about 2 s each: a large JSON parse and an object per policy). The suite creates many
accounts, so the policies are parsed once per account id and region, and each new
account gets its own copies. What the emulator does with them is unchanged.

Every new botocore session parses the JSON service models of the clients it makes anew
(about 0.1-0.3 s a service); the program's hooks, the audit and adopt each make their own
session, many times a test. All sessions of the test process share one loader per data
path instead: the models are read-only, and the credentials, region and endpoint chain of
each session are untouched.

moto lists its response class's methods (``inspect.getmembers``) on every request to find
the action's handler; the classes never change, so the list is kept per class.
"""

from __future__ import annotations

import copy
import functools


def _share_moto_managed_policies() -> None:
    try:
        from moto.iam import models
    except ImportError:  # moto is a test dependency; without it there is nothing to speed up
        return
    original = models.IAMBackend._init_aws_policies
    if getattr(original, "shared", False):
        return
    parsed: dict[tuple[str, str], list] = {}

    def init_aws_policies(self):  # type: ignore[no-untyped-def]
        if not models.load_iam_aws_managed_policies():
            return []
        key = (self.account_id, self.region_name)
        if key not in parsed:
            parsed[key] = original(self)
        policies = []
        for template in parsed[key]:
            policy = copy.copy(template)
            policy.tags = dict(template.tags)
            policy.versions = list(template.versions)
            policies.append(policy)
        return policies

    init_aws_policies.shared = True  # type: ignore[attr-defined]
    models.IAMBackend._init_aws_policies = init_aws_policies


_share_moto_managed_policies()


def _share_botocore_loaders() -> None:
    import botocore.loaders
    import botocore.session

    original = botocore.session.Session._register_data_loader
    if getattr(original, "shared", False):
        return
    loader = functools.cache(botocore.loaders.create_loader)  # one per AWS_DATA_PATH value

    def register_data_loader(self: botocore.session.Session) -> None:
        self._components.lazy_register_component("data_loader", lambda: loader(self.get_config_variable("data_path")))

    register_data_loader.shared = True  # type: ignore[attr-defined]
    botocore.session.Session._register_data_loader = register_data_loader  # type: ignore[method-assign]


_share_botocore_loaders()


def _keep_moto_handler_names() -> None:
    try:
        from moto.core import responses
    except ImportError:
        return
    if not hasattr(responses.method_names_from_class, "cache_info"):
        responses.method_names_from_class = functools.cache(responses.method_names_from_class)


_keep_moto_handler_names()


def pytest_addoption(parser) -> None:  # type: ignore[no-untyped-def]
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        default=False,
        help="rewrite stored snapshots (tests/program/registered.dev.json) from this run instead of comparing; "
        "only for a deliberate change, reviewed in the diff",
    )
