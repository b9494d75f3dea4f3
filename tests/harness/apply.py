"""Mocks that apply registered resources to a moto account, and the applier registry."""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pulumi
from moto import mock_aws

DEFAULT_ACCOUNT = "123456789012"


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


def load_appliers() -> list[str]:
    """Import every ``*_appliers`` module of this package (they register themselves)."""
    loaded = []
    for module in pkgutil.iter_modules([os.path.dirname(__file__)]):
        if module.name.endswith("_appliers"):
            importlib.import_module(f"{__package__}.{module.name}")
            loaded.append(module.name)
    return loaded


class MotoAccount:
    """An emulated AWS account (moto, in process) that the appliers write to."""

    def __init__(self, account_id: str = DEFAULT_ACCOUNT, region: str = "us-east-1", endpoint_url: str | None = None) -> None:
        """With ``endpoint_url`` the account is a running moto server instead (the
        sandbox's emulator); ``account_id`` is then whatever the server uses."""
        self.account_id = account_id
        self.region = region
        self.endpoint_url = endpoint_url
        self._mock = mock_aws(config={"iam": {"load_aws_managed_policies": True}, "core": {"reset_boto3_session": True}})
        self._clients: dict[str, Any] = {}
        self._previous_account: str | None = None

    def start(self) -> MotoAccount:
        if self.endpoint_url:
            self.account_id = self.client("sts").get_caller_identity()["Account"]
            return self
        self._previous_account = os.environ.get("MOTO_ACCOUNT_ID")
        os.environ["MOTO_ACCOUNT_ID"] = self.account_id
        self._mock.start()
        return self

    def stop(self) -> None:
        if self.endpoint_url:
            return
        self._mock.stop()
        if self._previous_account is None:
            os.environ.pop("MOTO_ACCOUNT_ID", None)
        else:
            os.environ["MOTO_ACCOUNT_ID"] = self._previous_account

    def __enter__(self) -> MotoAccount:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, region_name=self.region, aws_access_key_id="testing", aws_secret_access_key="testing", endpoint_url=self.endpoint_url
            )
        return self._clients[service]

    @property
    def iam(self) -> Any:
        return self.client("iam")

    def wipe_iam(self) -> None:
        """Back to an empty account (AWS managed policies stay): cheaper than a new
        emulator, which loads about 1,300 managed policies."""
        iam = self.iam

        def pages(operation: str, key: str, **kwargs: Any) -> list[Any]:
            return [item for page in iam.get_paginator(operation).paginate(**kwargs) for item in page[key]]

        for group in pages("list_groups", "Groups"):
            name = group["GroupName"]
            for user in pages("get_group", "Users", GroupName=name):
                iam.remove_user_from_group(GroupName=name, UserName=user["UserName"])
            for policy in pages("list_attached_group_policies", "AttachedPolicies", GroupName=name):
                iam.detach_group_policy(GroupName=name, PolicyArn=policy["PolicyArn"])
            for inline in pages("list_group_policies", "PolicyNames", GroupName=name):
                iam.delete_group_policy(GroupName=name, PolicyName=inline)
            iam.delete_group(GroupName=name)
        for user in pages("list_users", "Users"):
            name = user["UserName"]
            for key in pages("list_access_keys", "AccessKeyMetadata", UserName=name):
                iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
            for device in pages("list_mfa_devices", "MFADevices", UserName=name):
                iam.deactivate_mfa_device(UserName=name, SerialNumber=device["SerialNumber"])
            try:
                iam.delete_login_profile(UserName=name)
            except iam.exceptions.NoSuchEntityException:
                pass
            for policy in pages("list_attached_user_policies", "AttachedPolicies", UserName=name):
                iam.detach_user_policy(UserName=name, PolicyArn=policy["PolicyArn"])
            iam.delete_user(UserName=name)
        for device in pages("list_virtual_mfa_devices", "VirtualMFADevices"):
            iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
        for policy in pages("list_policies", "Policies", Scope="Local"):
            for version in iam.list_policy_versions(PolicyArn=policy["Arn"])["Versions"]:
                if not version["IsDefaultVersion"]:
                    iam.delete_policy_version(PolicyArn=policy["Arn"], VersionId=version["VersionId"])
            iam.delete_policy(PolicyArn=policy["Arn"])
        try:
            iam.delete_account_password_policy()
        except iam.exceptions.NoSuchEntityException:
            pass


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
            load_appliers()  # appliers of other resource families register on import
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


# The IAM appliers live beside this module; importing them registers them.
from . import iam_appliers  # noqa: E402,F401
