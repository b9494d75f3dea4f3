"""The emulated AWS account: moto in this process, or a moto server on 127.0.0.1.

Every place that needs an emulated account (the tests, the sandbox, the docs scripts, the
benchmarks) starts it here, so each gets AWS's managed policies loaded (a wrong managed
policy ARN fails as in AWS) and a server that binds to localhost only.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # before moto is imported

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from components.offline import DEFAULT_ACCOUNT  # noqa: E402

from .iam_rules import install  # noqa: E402

install()  # what IAM enforces and moto does not, for every client of the emulated account

FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def reset_server(url: str) -> None:
    """Empty every backend of the moto server at ``url`` (a fresh account)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).read()


class MotoServer:
    """A moto server on 127.0.0.1 (a free port unless given) with AWS managed policies loaded,
    quiet (no access log line per request); a context manager that stops it."""

    def __init__(self, port: int | None = None) -> None:
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        from moto.server import ThreadedMotoServer

        self.port = port or free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._werkzeug_level: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        werkzeug = logging.getLogger("werkzeug")
        self._werkzeug_level = werkzeug.level
        werkzeug.setLevel(logging.CRITICAL)
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        if self._werkzeug_level is not None:
            logging.getLogger("werkzeug").setLevel(self._werkzeug_level)

    def reset(self) -> None:
        """Empty every backend of the server (a fresh account)."""
        reset_server(self.url)

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class MotoAccount:
    """An emulated AWS account (moto, in process) that the appliers write to."""

    def __init__(
        self, account_id: str = DEFAULT_ACCOUNT, region: str = "us-east-1", endpoint_url: str | None = None
    ) -> None:
        """With ``endpoint_url`` the account is a running moto server instead (the
        sandbox's emulator); ``account_id`` is then whatever the server uses."""
        self.account_id = account_id
        self.region = region
        self.endpoint_url = endpoint_url
        self._mock = mock_aws(
            config={"iam": {"load_aws_managed_policies": True}, "core": {"reset_boto3_session": True}}
        )
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

    def reset(self) -> None:
        """Every backend of the in-process moto emptied (IAM's managed policies come back)."""
        self._mock.reset()

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url, **FAKE_CREDENTIALS
            )
        return self._clients[service]

    @property
    def iam(self) -> Any:
        return self.client("iam")
