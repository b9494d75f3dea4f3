"""The managed policy catalog and the script that regenerates it."""

from __future__ import annotations

import importlib.util
import json

from iam_matrix.catalog import CATALOG_FILE, load_catalog
from tests.project import REPO


def _refresh_script():
    spec = importlib.util.spec_from_file_location(
        "refresh_catalog", REPO / "scripts" / "refresh_managed_policy_catalog.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalog_keeps_paths_and_deprecations():
    catalog = load_catalog()
    assert catalog.get("AWSBatchServiceRole").arn == "arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole"
    assert catalog.get("AWSBatchServiceRole").path == "/service-role/"
    assert (
        catalog.get("AWSLambdaFullAccess").deprecated
        and catalog.get("AWSLambdaFullAccess").replaced_by == "AWSLambda_FullAccess"
    )
    assert catalog.get("AmazonAPIGatewayReadOnlyAccess") is None
    assert catalog.suggest("AmazonS3ReadOnlyAcess") == "AmazonS3ReadOnlyAccess"
    assert catalog.suggest("TotallyMadeUp") is None


def test_shipped_catalog_is_what_the_script_generates_from_moto(tmp_path):
    output = tmp_path / "catalog.json"
    _refresh_script().main(["--from-moto", "--output", str(output)])
    assert json.loads(output.read_text())["policies"] == json.loads(CATALOG_FILE.read_text())["policies"]


def test_refresh_from_an_account_lists_aws_policies_with_paths(tmp_path, monkeypatch):
    from emulator import MotoAccount  # the emulated account: AWS managed policies loaded

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    output = tmp_path / "catalog.json"
    with MotoAccount():
        _refresh_script().main(["--from-account", "--output", str(output)])
    policies = {p["name"]: p for p in json.loads(output.read_text())["policies"]}
    assert len(policies) > 1000
    assert policies["AWSBatchServiceRole"]["arn"] == "arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole"
    assert policies["ReadOnlyAccess"]["deprecated"] is False
