"""The who-can and access commands on the shipped example (the contract the issue fixes)."""

from __future__ import annotations

import json

from iam_matrix.cli import main

VIEWERS = {"banana@demoasacode.io", "melon@demoasacode.io", "car@demoasacode.io", "bicycle@demoasacode.io"}
BATCH_ROLES = {
    "Developer": {"lamp@demoasacode.io", "symple@demoasacode.io", "devapple@demoasacode.io", "car@demoasacode.io"},
    "SysAdm": {"manager@demoasacode.io"},
}


def run_json(capsys, project, *args):
    assert main([*args, "--project-dir", str(project.root), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_who_can_pass_role_lists_the_members_of_roles_given_batch_service_role_and_other_passrole_policies(
    project, capsys
):
    result = run_json(capsys, project, "who-can", "iam:PassRole")
    assert result["action"] == "iam:PassRole"
    users = {u["name"]: u for u in result["users"]}
    batch_members = set().union(*BATCH_ROLES.values())
    # AdministratorAccess (Admin) and AmazonDynamoDBFullAccess (DBA, only for roles passed to its services) allow it too
    assert set(users) == batch_members | {"admin@demoasacode.io", "scott@demoasacode.io", "bicycle@demoasacode.io"}
    for role, members in BATCH_ROLES.items():
        for name in members:
            assert {"role": role, "policy": "AWSBatchServiceRole"} in users[name]["via"]
            assert users[name]["conditional"] is False
    assert users["scott@demoasacode.io"]["via"] == [{"role": "DBA", "policy": "AmazonDynamoDBFullAccess"}]
    assert users["scott@demoasacode.io"]["conditional"] is True  # iam:PassedToService condition


def test_who_can_get_object_lists_viewers_through_read_only_access(project, capsys):
    users = {u["name"]: u for u in run_json(capsys, project, "who-can", "s3:GetObject")["users"]}
    assert VIEWERS <= set(users)
    assert "tiger@demoasacode.io" not in users  # no role
    for name in VIEWERS:
        assert {"role": "Viewer", "policy": "ReadOnlyAccess"} in users[name]["via"]


def test_who_can_takes_a_wildcard_and_a_resource(project, capsys):
    wildcard = run_json(capsys, project, "who-can", "iam:Pass*")
    assert wildcard["action"] == "iam:Pass*" and wildcard["users"]
    bucket = run_json(capsys, project, "who-can", "s3:GetObject", "--resource", "arn:aws:s3:::payroll/2026.csv")
    assert {u["name"] for u in bucket["users"]} >= VIEWERS


def test_who_can_an_unknown_action_suggests_the_real_one(project, capsys):
    assert main(["who-can", "s3:GetObjct", "--project-dir", str(project.root)]) == 0
    assert "did you mean s3:GetObject?" in capsys.readouterr().out


def test_access_of_a_user_shows_levels_risks_and_guardrails(project, capsys):
    data = run_json(capsys, project, "access", "manager@demoasacode.io")
    assert data["kind"] == "user" and data["services"]["s3"]["Write"] > 0
    methods = {p["method"] for p in data["risks"]["privilege-escalation"]["paths"]}
    assert "CreateEC2WithExistingIP" in methods
    assert data["guardrails"]["mfa"]["holds"] and data["guardrails"]["network"]["holds"]
    assert main(["access", "Admin", "--project-dir", str(project.root)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("role Admin:") and "admin-equivalent" in text


def test_access_of_an_unknown_name_exits_2(project, capsys):
    assert main(["access", "nobody", "--project-dir", str(project.root)]) == 2
    assert "neither a user nor a role" in capsys.readouterr().err


def test_who_can_json_has_one_user_per_line(project, capsys):
    """Thousands of users stay readable with grep: the header, then one user per line."""
    assert main(["who-can", "iam:PassRole", "--project-dir", str(project.root), "--format", "json"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    users = json.loads(out)["users"]
    assert lines[0].startswith('{"action": "iam:PassRole"') and lines[0].endswith('"users": [')
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == users
    assert lines[-1] == "]}"
    assert main(["who-can", "iam:NoSuchAction", "--project-dir", str(project.root), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["users"] == []
