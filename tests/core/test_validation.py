"""Each validation rule, with a real file, and the place it names."""

from __future__ import annotations

import json

import openpyxl
import pytest

from iam_matrix.problems import MatrixInvalid
from tests.core.project import codes, find

USERS_HEADER = "User,Admin,Developer,DBA,Viewer,SysAdm,MFA\n"


def where(result, code):
    return str(find(result, code).location)


# --- policy names -------------------------------------------------------------


def test_misspelt_policy_names_the_cell_and_the_real_name(project):
    project.edit("matrix/policies.csv", "AmazonS3ReadOnlyAccess,", "AmazonS3ReadOnlyAcess,")
    problem = find(project.check(), "policy-unknown")
    assert str(problem.location) == "policies.csv A29"
    assert "'AmazonS3ReadOnlyAccess'" in problem.fix


def test_case_only_difference_is_suggested(project):
    project.edit("matrix/policies.csv", "ReadOnlyAccess,,,,,Y", "readonlyaccess,,,,,Y")
    assert "'ReadOnlyAccess'" in find(project.check(), "policy-unknown").fix


def test_deprecated_managed_policy_is_an_error_naming_its_replacement(project):
    """IAM refuses to attach a deprecated managed policy to a new group: validate says so before pulumi up fails."""
    project.edit("matrix/policies.csv", "AWSLambda_FullAccess,", "AWSLambdaFullAccess,")
    result = project.check()
    problem = find(result, "policy-deprecated")
    assert problem.severity == "error" and problem.fix == "use AWSLambda_FullAccess instead"
    assert str(problem.location) == "policies.csv A32" and result.state is None


@pytest.mark.parametrize(
    ("cidrs", "families"),
    [(["0.0.0.0/0"], "IPv4"), (["192.0.2.0/24", "::/0"], "IPv6"), (["0.0.0.0/0", "::/0"], "IPv4 and IPv6")],
)
def test_an_allow_list_of_every_address_warns_that_the_ip_guardrail_is_a_no_op(project, cidrs, families):
    project.set_config(allowedCidrs=cidrs)
    result = project.check()
    problem = find(result, "cidr-allows-all")
    assert (problem.severity, str(problem.location)) == ("warning", "Pulumi.dev.yaml iam-matrix:allowedCidrs")
    assert f"so DenyIPAddressPolicy denies no {families} request" in problem.message
    assert ("the guardrail is a no-op" in problem.message) and result.state is not None
    project.set_config(allowedCidrs=["192.0.2.0/24", "2001:db8::/32"])
    assert "cidr-allows-all" not in codes(project.check())


def test_a_custom_policy_no_role_gets_is_a_warning(project):
    project.write(
        "policies/custom/Unused.json",
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
            }
        ),
    )
    result = project.check()
    unused = [str(p.location) for p in result.problems if p.code == "policy-unused"]
    assert "policies/custom/Unused.json" in unused and result.state is not None
    assert "Unused" in {p.name for p in result.state.policies}  # still created


def test_full_policy_arn_is_used_as_is(project):
    project.edit("matrix/policies.csv", "ReadOnlyAccess,,,,,Y", "arn:aws:iam::111111111111:policy/team/Reader,,,,,Y")
    state = project.check().state
    assert "arn:aws:iam::111111111111:policy/team/Reader" in state.group("Viewer").policy_arns


def test_aws_managed_arn_without_its_path_is_caught(project):
    project.edit("matrix/policies.csv", "AWSBatchServiceRole,", "arn:aws:iam::aws:policy/AWSBatchServiceRole,")
    problem = find(project.check(), "policy-unknown")
    assert "arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole" in problem.fix


def test_service_linked_role_policy_cannot_go_on_a_group(project):
    project.write(
        "matrix/policies.csv", project.read("matrix/policies.csv") + "AccessAnalyzerServiceRolePolicy,,,,,Y\n"
    )
    assert where(project.check(), "policy-service-linked") == "policies.csv A44"


def test_duplicate_policy_rows(project):
    project.write("matrix/policies.csv", project.read("matrix/policies.csv") + "ReadOnlyAccess,,Y,,,\n")
    problem = find(project.check(), "policy-duplicate")
    assert str(problem.location) == "policies.csv A44" and "A6" in problem.message


# --- matrix structure -----------------------------------------------------------


def test_role_in_one_matrix_only_names_the_header_cell(project):
    project.edit(
        "matrix/users.csv", "User,Admin,Developer,DBA,Viewer,SysAdm,MFA", "User,Admin,Developer,DBA,Viewer,SysAdmin,MFA"
    )
    result = project.check()
    locations = sorted(str(p.location) for p in result.errors if p.code == "role-unmatched")
    assert locations == ["policies.csv E1", "users.csv F1"]
    assert "'SysAdm'" in find(result, "role-unmatched").fix or "'SysAdmin'" in find(result, "role-unmatched").fix


def test_missing_key_column(project):
    project.edit("matrix/users.csv", "User,", "Person,")
    assert where(project.check(), "key-missing") == "users.csv A1"


def test_missing_mfa_column(project):
    project.write("matrix/users.csv", "User,Admin,Developer,DBA,Viewer,SysAdm\nadmin@example.com,Y,,,,\n")
    assert find(project.check(), "mfa-missing").severity == "error"


def test_duplicate_users_are_case_insensitive(project):
    project.write("matrix/users.csv", project.read("matrix/users.csv") + "Admin@DemoAsACode.io,,,,Y,,Y\n")
    problem = find(project.check(), "user-duplicate")
    assert str(problem.location) == "users.csv A13" and "A2" in problem.message


def test_blank_rows_whitespace_and_bom_are_handled(project):
    text = project.read("matrix/users.csv").replace("admin@demoasacode.io,Y", "  admin@demoasacode.io  , y ")
    project.write("matrix/users.csv", "\ufeff" + text.replace("\n", "\n,,,,,,\n\n", 2), encoding="utf-8")
    result = project.check()
    assert result.errors == []
    assert result.state.groups_of(result.state.user("admin@demoasacode.io")) == ("Admin",)


def test_accepted_marks(project):
    project.write("matrix/users.csv", USERS_HEADER + "a@x.io,Yes,O,X,✓,TRUE,1\nb@x.io,N,No,-,FALSE,0,\n")
    state = project.check().state
    assert state.user("a@x.io").roles == ("Admin", "DBA", "Developer", "SysAdm", "Viewer")
    assert state.user("a@x.io").mfa_required and not state.user("b@x.io").mfa_required
    assert state.user("b@x.io").roles == ()


def test_unknown_mark_names_its_cell(project):
    project.write("matrix/users.csv", USERS_HEADER + "a@x.io,Y,maybe,,,,Y\n")
    problem = find(project.check(), "mark-invalid")
    assert str(problem.location) == "users.csv C2" and "'maybe'" in problem.message


def test_marks_without_a_name(project):
    project.write("matrix/users.csv", USERS_HEADER + "a@x.io,Y,,,,,Y\n ,,Y,,,,\n")
    assert where(project.check(), "key-blank") == "users.csv A3"


def test_values_under_a_blank_header(project):
    project.write("matrix/users.csv", "User,Admin,,Developer,DBA,Viewer,SysAdm,MFA\na@x.io,Y,Y,,,,,Y\n")
    assert where(project.check(), "header-blank") == "users.csv C1"


def test_comment_columns_are_ignored(project):
    project.write("matrix/users.csv", "User,# team,Admin,Developer,DBA,Viewer,SysAdm,MFA\na@x.io,platform,Y,,,,,Y\n")
    assert project.check().errors == []


def test_duplicate_role_column(project):
    project.write("matrix/users.csv", "User,Admin,Developer,DBA,Viewer,SysAdm,admin,MFA\na@x.io,Y,,,,,,Y\n")
    assert where(project.check(), "header-duplicate") == "users.csv G1"


def test_ragged_csv_is_reported_not_raised(project):
    project.write("matrix/users.csv", USERS_HEADER + "a@x.io,Y,,,,,Y,extra,more\n")
    assert "file-csv" in codes(project.check())


def test_non_utf8_csv(project):
    (project.root / "matrix/users.csv").write_bytes(USERS_HEADER.encode() + "김철수@x.io,Y,,,,,Y\n".encode("cp949"))
    assert where(project.check(), "file-encoding") == "users.csv"


def test_a_workbook_given_as_csv_says_so(project):
    workbook = project.root / project.convert_to_workbook()
    (project.root / "matrix/users.csv").write_bytes(workbook.read_bytes())
    assert "is an Excel workbook, not a CSV file" in find(project.check(), "file-encoding").message


def test_missing_file(project):
    (project.root / "matrix/users.csv").unlink()
    assert where(project.check(), "file-missing") == "users.csv"


def test_every_problem_is_reported_at_once(project):
    project.write("matrix/users.csv", USERS_HEADER + "bad name,Y,,,,,Y\na@x.io,Y,huh,,,,Y\nA@X.io,,,,Y,,Y\n")
    project.edit("matrix/policies.csv", "AmazonS3ReadOnlyAccess,", "AmazonS3ReadOnlyAcess,")
    assert {"user-name", "mark-invalid", "user-duplicate", "policy-unknown"} <= set(codes(project.check(), "error"))


# --- workbooks ------------------------------------------------------------------


def _workbook(project, users_rows, policies_rows=None, extra=None):
    book = openpyxl.Workbook()
    book.remove(book.active)
    users = book.create_sheet("users")  # sheet names match case-insensitively
    for row in users_rows:
        users.append(row)
    policies = book.create_sheet("Policies")
    for row in policies_rows or [["Policies", "Viewer"], ["ReadOnlyAccess", "Y"]]:
        policies.append(row)
    if extra:
        extra(book)
    path = project.root / "matrix" / "book.xlsx"
    book.save(path)
    return "matrix/book.xlsx"


def test_workbook_problems_name_the_sheet(project):
    path = _workbook(
        project,
        [["User", "Viewer", "MFA"], ["a@x.io", "Y", "Y"], ["b@x.io", "perhaps", "Y"]],
        extra=lambda b: b.create_sheet("Notes"),
    )
    problem = find(project.check(workbook=path), "mark-invalid")
    assert str(problem.location) == "book.xlsx [users] B3"


def test_workbook_values_typed_by_excel(project):
    path = _workbook(project, [["User", "Viewer", "MFA"], ["a@x.io", True, 1], ["b@x.io", False, 0]])
    state = project.check(workbook=path, adminRoles=[]).state
    assert state.user("a@x.io").roles == ("Viewer",) and state.user("a@x.io").mfa_required
    assert state.user("b@x.io").roles == ()


def test_merged_cells_are_an_error(project):
    path = _workbook(
        project,
        [["User", "Viewer", "MFA"], ["a@x.io", "Y", "Y"], ["b@x.io", None, "Y"]],
        extra=lambda b: b["users"].merge_cells("B2:B3"),
    )
    assert where(project.check(workbook=path), "merged-cells") == "book.xlsx [users] B2:B3"


def test_uncalculated_formula_is_an_error(project):
    path = _workbook(project, [["User", "Viewer", "MFA"], ["a@x.io", '=IF(1=1,"Y","")', "Y"]])
    assert where(project.check(workbook=path), "formula-uncalculated") == "book.xlsx [users] B2"


def test_missing_sheet(project):
    def drop(book):
        del book["Policies"]
        book.create_sheet("Rules")

    path = _workbook(project, [["User", "Viewer", "MFA"], ["a@x.io", "Y", "Y"]], extra=drop)
    problem = find(project.check(workbook=path), "sheet-missing")
    assert "Rules" in problem.message and str(problem.location) == "book.xlsx"


def test_corrupt_workbook_is_a_problem(project):
    (project.root / "matrix" / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    assert where(project.check(workbook="matrix/broken.xlsx"), "file-xlsx") == "broken.xlsx"


# --- IAM names and paths ----------------------------------------------------------


def test_user_name_rules(project):
    long_name = "a" * 60 + "@x.io"
    project.write("matrix/users.csv", USERS_HEADER + f"{long_name},,,,Y,,Y\nbad name,,,,Y,,Y\n")
    result = project.check()
    problems = [p for p in result.errors if p.code == "user-name"]
    assert [str(p.location) for p in problems] == ["users.csv A2", "users.csv A3"]
    assert "65 characters" in problems[0].message and "' '" in problems[1].message


def test_role_name_becomes_a_group_name(project):
    project.edit("matrix/users.csv", "Viewer", "View er")
    project.edit("matrix/policies.csv", "Viewer", "View er")
    assert where(project.check(), "role-name") == "users.csv E1"


def test_bundle_group_names_fit_the_limit(project):
    long_role = "R" * 127
    project.edit("matrix/users.csv", "Developer", long_role)
    project.edit("matrix/policies.csv", "Developer", long_role)
    assert "group-name" in codes(project.check(), "error")


def test_invalid_path_in_config(project):
    project.set_config(groupPath="teams")
    assert where(project.check(), "config-path") == "Pulumi.dev.yaml iam-matrix:groupPath"


# --- quotas -----------------------------------------------------------------------


def test_groups_per_user_after_bundling(project):
    result = project.check(maxPoliciesPerGroup=4)
    problem = find(result, "quota-groups-per-user")
    assert str(problem.location) == "users.csv A11"  # car@: Developer + DBA + Viewer
    assert "IAM allows 10" in problem.message


def test_users_per_account(project):
    rows = "".join(f"user{i}@x.io,,,,Y,,Y\n" for i in range(5001))
    project.write("matrix/users.csv", USERS_HEADER + rows)
    problem = find(project.check(), "quota-users")
    assert str(problem.location) == "users.csv A5002"  # user 5,001: the walk stops there
    assert "more than 5,000 users" in problem.message and "5,002 rows" in problem.message


def test_users_per_account_counts_each_user_once(project):
    # 5,001 rows, but two are the same user (case-insensitively) and one has no name: 4,999 users
    rows = [f"user{i}@x.io,,,,Y,,Y\n" for i in range(4999)] + ["USER7@x.io,,,,Y,,Y\n", ",,,,,,\n", ""]
    project.write("matrix/users.csv", USERS_HEADER + "".join(rows))
    result = project.check()
    assert "quota-users" not in codes(result)
    assert where(result, "user-duplicate") == "users.csv A5001"


def test_users_over_the_quota_far_down_the_sheet(project):
    # blank and repeated rows do not count; the first user past the quota is named
    rows = ["same@x.io,,,,Y,,Y\n"] * 3000 + [",,,,,,\n"] * 10 + [f"u{i}@x.io,,,,Y,,Y\n" for i in range(5000)]
    project.write("matrix/users.csv", USERS_HEADER + "".join(rows))
    problem = find(project.check(), "quota-users")
    assert str(problem.location) == f"users.csv A{1 + 3000 + 10 + 5000}"


def test_groups_per_account(project):
    project.set_config(maxGroupsPerAccount=5)
    assert "needs 10 groups" in find(project.check(), "quota-groups").message


def test_customer_managed_policies_per_account(project):
    project.set_config(maxCustomerManagedPolicies=2)
    assert "quota-policies" in codes(project.check(), "error")


def test_policies_per_group_quota_is_bounded_by_iam(project):
    project.set_config(maxPoliciesPerGroup=25)
    with pytest.raises(MatrixInvalid) as raised:
        project.check()
    assert str(raised.value.problems[0].location) == "Pulumi.dev.yaml iam-matrix:maxPoliciesPerGroup"


def test_policy_document_size(project):
    actions = [f"s3:GetObjectVersionTaggingNumber{i}" for i in range(200)]
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    project.write("policies/custom/Huge.json", json.dumps(document, indent=2))
    problem = find(project.check(), "policy-size")
    assert str(problem.location) == "policies/custom/Huge.json" and "6144" in problem.message


def test_custom_policy_must_be_valid_json_and_iam_grammar(project):
    project.write("policies/custom/Broken.json", '{"Version": "2012-10-17", "Statement": [')
    project.write(
        "policies/custom/Principal.json",
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )
    project.write(
        "policies/custom/Effect.json",
        json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "s3 get", "Resource": "bucket"}]}
        ),
    )
    result = project.check()
    assert where(result, "policy-json") == "policies/custom/Broken.json"
    grammar = {str(p.location): p.message for p in result.errors if p.code == "policy-grammar"}
    assert "Principal" in grammar["policies/custom/Principal.json"]
    assert set(grammar) >= {"policies/custom/Principal.json", "policies/custom/Effect.json"}


def test_policy_template_parameter_must_exist(project):
    project.write(
        "policies/custom/Templated.json",
        json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "{{bucketArn}}"}]}
        ),
    )
    assert "iam-matrix:bucketArn" in find(project.check(), "policy-parameter").message


# --- lockout guards and risky attachments -------------------------------------------


def test_deny_ip_policy_without_cidrs_is_an_error(project):
    project.set_config(allowedCidrs=None)
    assert where(project.check(), "lockout-no-cidr") == "Pulumi.dev.yaml iam-matrix:allowedCidrs"


def test_user_without_mfa_mark_under_mfa_force_policy_is_warned(project):
    project.edit("matrix/users.csv", "banana@demoasacode.io,,,,Y,,Y", "banana@demoasacode.io,,,,Y,,")
    problem = find(project.check(), "mfa-lockout")
    assert problem.severity == "warning" and str(problem.location) == "users.csv G9"


def test_service_role_policy_on_people_is_warned(project):
    problem = find(project.check(), "policy-service-role")
    assert str(problem.location) == "policies.csv A19" and "Developer, SysAdm" in problem.message


def test_policies_next_to_administrator_access_are_warned(project):
    redundant = [str(p.location) for p in project.check().problems if p.code == "policy-redundant"]
    assert redundant == ["policies.csv B3", "policies.csv B4"]  # the guardrails are not redundant


# --- stack config --------------------------------------------------------------------


def test_unknown_config_key_suggests_the_real_one(project):
    project.set_config(allowedCidr=["10.0.0.0/8"])
    with pytest.raises(MatrixInvalid) as raised:
        project.check()
    assert "iam-matrix:allowedCidrs" in raised.value.problems[0].fix


def test_config_type_and_cidr_errors_are_reported_together(project):
    project.set_config(maxPoliciesPerGroup="ten", allowedCidrs=["192.0.2.0/33"])
    with pytest.raises(MatrixInvalid) as raised:
        project.check()
    assert {p.code for p in raised.value.problems} == {"config-type", "config-cidr"}


def test_a_stack_that_sets_both_a_workbook_and_csv_files_is_an_error(project):
    """Not "the workbook silently wins": an edit to the ignored copy would change nothing."""
    project.set_config(workbook=project.convert_to_workbook())  # Pulumi.dev.yaml also sets usersFile and policiesFile
    with pytest.raises(MatrixInvalid) as raised:
        project.check()
    [problem] = raised.value.problems
    assert (problem.code, str(problem.location)) == ("config-matrix-twice", "Pulumi.dev.yaml iam-matrix:workbook")
    assert "iam-matrix:usersFile and iam-matrix:policiesFile" in problem.message
    project.set_config(usersFile=None, policiesFile=None)
    assert project.check().errors == []


def test_a_workbook_on_the_command_line_replaces_the_stacks_csv_files(project):
    assert project.check(workbook=project.convert_to_workbook()).errors == []


def test_role_without_policies_is_warned(project):
    project.write("matrix/users.csv", "User,Viewer,Auditor,MFA\na@x.io,Y,Y,Y\n")
    project.write(
        "matrix/policies.csv", "Policies,Viewer,Auditor\nReadOnlyAccess,Y,\nMFAForcePolicy,Y,\nDenyIPAddressPolicy,Y,\n"
    )
    result = project.check(adminRoles=[])
    assert where(result, "role-no-policy") == "policies.csv C1"
    assert result.state.group("Auditor").policies == ()
