"""Each guardrail of the policy pack, on resource inputs as CrossGuard hands them over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.policy_pack.pack import load, rules

Resource = rules.Resource
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"
ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "111111111111"
MFA = f"arn:aws:iam::{ACCOUNT}:policy/foundation/MFAForcePolicy"
IP = f"arn:aws:iam::{ACCOUNT}:policy/foundation/DenyIPAddressPolicy"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ = "arn:aws:iam::aws:policy/ReadOnlyAccess"


FOUNDATION = ROOT / "policies" / "foundation"


def policy(name: str, document: dict | None = None) -> Resource:
    """A customer policy of the stack, by default the shipped foundation document."""
    text = json.dumps(document) if document is not None else (FOUNDATION / f"{name}.json").read_text()
    return Resource(
        rules.POLICY, name, {"name": name, "path": "/foundation/", "policy": text}, urn=f"urn:policy:{name}"
    )


MFA_POLICY, IP_POLICY = policy("MFAForcePolicy"), policy("DenyIPAddressPolicy")
STACK_POLICIES = {MFA: MFA_POLICY, IP: IP_POLICY}


def group(name: str) -> Resource:
    return Resource(rules.GROUP, name, {"name": name, "path": "/"}, urn=f"urn:group:{name}")


def attach(name: str, *arns: str, deps: list[Resource] | None = None) -> Resource:
    """The program's attachment: customer ARNs come from the stack's policy resources."""
    sources = deps if deps is not None else [STACK_POLICIES[a] for a in arns if a in STACK_POLICIES]
    return Resource(
        rules.GROUP_ATTACHMENTS_EXCLUSIVE,
        name,
        {"groupName": name, "policyArns": list(arns)},
        urn=f"urn:attach:{name}",
        property_dependencies={"policyArns": sources},
    )


def stack(*roles: tuple[str, list[list[str]]], policies: tuple[Resource, ...] = (MFA_POLICY, IP_POLICY)) -> list:
    """Roles as bundles: [("Developer", [[arns of group 1], [arns of group 2]])]."""
    resources: list[Resource] = list(policies)
    for role, bundle in roles:
        for index, arns in enumerate(bundle, 1):
            name = role if index == 1 else f"{role}-{index}"
            resources += [group(name), attach(name, *arns)]
    return resources


GOOD = stack(("Admin", [[MFA, IP, ADMIN]]), ("Developer", [[MFA, IP, READ], [READ]]), ("Viewer", [[MFA, IP, READ]]))


def test_role_of_a_bundle_group() -> None:
    names = ["Developer", "Developer-2", "Ops-2", "Team-1"]
    assert rules.role_of("Developer-2", names) == "Developer"
    assert rules.role_of("Ops-2", names) == "Ops-2"  # no group Ops: a role named Ops-2
    assert rules.role_of("Team-1", names) == "Team-1"


def test_the_example_layout_passes_every_stack_rule() -> None:
    assert rules.admin_only_in_admin_roles(GOOD) == []
    assert rules.guardrails_in_every_role(GOOD) == []


def admin_message(group: str, role: str, through: str, allowed: str = "Admin") -> str:
    return (
        f"group {group} (role {role}) is admin-equivalent (all actions on all resources, through {through}),"
        f" but iam-matrix:adminRoles allows only {allowed}"
    )


def test_administrator_access_outside_admin_roles() -> None:
    resources = stack(("Admin", [[MFA, IP, ADMIN]]), ("Developer", [[MFA, IP, READ], [READ, ADMIN]]))
    assert rules.admin_only_in_admin_roles(resources) == [
        (admin_message("Developer-2", "Developer", "AdministratorAccess"), "urn:attach:Developer-2"),
    ]
    assert rules.admin_only_in_admin_roles(resources, ["Admin", "Developer"]) == []
    assert [m for m, _ in rules.admin_only_in_admin_roles(resources, [])] == [
        admin_message("Admin", "Admin", "AdministratorAccess", "no role"),
        admin_message("Developer-2", "Developer", "AdministratorAccess", "no role"),
    ]


def test_single_attachments_count_too() -> None:
    single = Resource(rules.GROUP_ATTACHMENT, "x", {"group": "Viewer", "policyArn": ADMIN}, urn="urn:single")
    assert rules.admin_only_in_admin_roles([*GOOD, single]) == [
        (admin_message("Viewer", "Viewer", "AdministratorAccess"), "urn:single")
    ]


POWER = "arn:aws:iam::aws:policy/PowerUserAccess"
IAM_FULL = "arn:aws:iam::aws:policy/IAMFullAccess"


def test_admin_is_judged_by_what_the_documents_grant() -> None:
    """No AdministratorAccess anywhere: a customer policy allowing * on arn:*, or
    PowerUserAccess in one group of a bundle and IAMFullAccess in another, is admin."""
    tooling = policy(
        "Tooling", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:*"}]}
    )
    tooling_arn = f"arn:aws:iam::{ACCOUNT}:policy/foundation/Tooling"
    resources = [
        *stack(("Admin", [[MFA, IP, ADMIN]]), ("Developer", [[MFA, IP, POWER], [IAM_FULL]])),
        tooling,
        group("Viewer"),
        attach("Viewer", MFA, IP, tooling_arn, deps=[MFA_POLICY, IP_POLICY, tooling]),
    ]
    assert rules.admin_only_in_admin_roles(resources) == [
        (admin_message("Developer", "Developer", "PowerUserAccess, IAMFullAccess"), "urn:attach:Developer"),
        (admin_message("Viewer", "Viewer", "Tooling"), "urn:attach:Viewer"),
    ]
    # PowerUserAccess alone is near-admin, not admin-equivalent: the diff reports it, the pack lets it pass
    assert rules.admin_only_in_admin_roles(stack(("Developer", [[MFA, IP, POWER]]))) == []


def test_guardrails_must_cover_every_role() -> None:
    moved = stack(("Developer", [[READ], [MFA, IP, READ]]), ("Viewer", [[MFA, IP, READ]]))
    assert rules.guardrails_in_every_role(moved) == []  # a bundle's groups hold the same members
    missing = stack(("Developer", [[READ], [READ]]), ("Viewer", [[MFA, READ]]))
    assert rules.guardrails_in_every_role(missing) == [
        (
            "role Developer: no policy of its groups (Developer, Developer-2) is " + rules.GUARDRAIL_KINDS["mfa"],
            "urn:attach:Developer",
        ),
        (
            "role Developer: no policy of its groups (Developer, Developer-2) is " + rules.GUARDRAIL_KINDS["network"],
            "urn:attach:Developer",
        ),
        (
            "role Viewer: no policy of its groups (Viewer) is " + rules.GUARDRAIL_KINDS["network"],
            "urn:attach:Viewer",
        ),
    ]
    bare = [group("Empty")]
    assert [v for v in rules.guardrails_in_every_role(bare) if "MFA" in v[0]] == [
        ("role Empty: no policy of its groups (Empty) is " + rules.GUARDRAIL_KINDS["mfa"], "urn:group:Empty")
    ]
    assert rules.guardrails_in_every_role(missing, ["mfa"]) == rules.guardrails_in_every_role(missing)[:1]


def test_a_neutered_guardrail_is_judged_by_its_document() -> None:
    """The issue-12 bypass: the ARN still ends in /MFAForcePolicy, the document denies nothing."""
    mfa = json.loads((FOUNDATION / "MFAForcePolicy.json").read_text())
    for statement in mfa["Statement"]:
        if statement["Effect"] == "Deny":
            statement.pop("NotAction", None)
            statement["NotAction"] = "*"
    neutered = policy("MFAForcePolicy", mfa)
    resources = [neutered, IP_POLICY, group("Viewer"), attach("Viewer", MFA, IP, READ, deps=[neutered, IP_POLICY])]
    violations = rules.guardrails_in_every_role(resources)
    assert len(violations) == 1 and violations[0][1] == "urn:attach:Viewer"
    assert violations[0][0].startswith("role Viewer: its MFA guardrail (MFAForcePolicy) leaves 20444 action(s)")
    assert violations[0][0].endswith("a guardrail is judged by its document, not its name")
    # the network guardrail narrowed to one dummy action
    ip = {
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "s3:DoesNotExist",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}},
            }
        ]
    }
    narrowed = policy("DenyIPAddressPolicy", ip)
    resources = [MFA_POLICY, narrowed, group("Viewer"), attach("Viewer", MFA, IP, READ, deps=[MFA_POLICY, narrowed])]
    assert [m.split(" leaves")[0] for m, _ in rules.guardrails_in_every_role(resources)] == [
        "role Viewer: its network guardrail (DenyIPAddressPolicy)"
    ]


def test_a_guardrail_from_another_account_is_not_taken_on_its_name() -> None:
    """An ARN ending in /foundation/MFAForcePolicy that no policy of the stack backs (another
    account's copy, whose document the pack cannot see) does not count as a guardrail, even
    though the stack has an MFAForcePolicy of its own."""
    foreign = "arn:aws:iam::999999999999:policy/foundation/MFAForcePolicy"
    resources = [*stack(("Admin", [[MFA, IP, ADMIN]])), group("Viewer"), attach("Viewer", foreign, IP, READ)]
    assert rules.guardrails_in_every_role(resources) == [
        ("role Viewer: no policy of its groups (Viewer) is " + rules.GUARDRAIL_KINDS["mfa"], "urn:attach:Viewer")
    ]


def test_unknown_customer_policy_arns_are_recovered_from_their_policy_resources() -> None:
    preview = [
        group("Viewer"),
        attach("Viewer", UNKNOWN_STRING, UNKNOWN_STRING, READ, deps=[MFA_POLICY, IP_POLICY]),
        MFA_POLICY,
        IP_POLICY,
    ]
    assert rules.guardrails_in_every_role(preview) == []
    whole_list_unknown = [
        group("Viewer"),
        Resource(
            rules.GROUP_ATTACHMENTS_EXCLUSIVE,
            "Viewer",
            {"groupName": "Viewer", "policyArns": UNKNOWN_ARRAY},
            property_dependencies={"policyArns": [MFA_POLICY]},
        ),
    ]
    assert [m for m, _ in rules.guardrails_in_every_role(whole_list_unknown)] == [
        "role Viewer: no policy of its groups (Viewer) is " + rules.GUARDRAIL_KINDS["network"]
    ]


@pytest.mark.parametrize(
    ("resource_type", "props", "expected"),
    [
        (
            "aws:iam/groupPolicy:GroupPolicy",
            {"group": "Admin", "policy": "{}"},
            "an inline policy on a group is not allowed",
        ),
        ("aws:iam/userPolicy:UserPolicy", {"user": "a", "policy": "{}"}, "an inline policy on a user is not allowed"),
        (
            "aws:iam/userPolicyAttachment:UserPolicyAttachment",
            {"user": "a", "policyArn": READ},
            "a managed policy attached to a user is not allowed",
        ),
        (
            "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
            {"userName": "a", "policyArns": [READ]},
            "managed policies attached to a user are not allowed",
        ),
        (
            "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive",
            {"groupName": "a", "policyNames": ["x"]},
            "inline policies on a group are not allowed",
        ),
        (
            "aws:iam/policyAttachment:PolicyAttachment",
            {"users": ["a"], "policyArn": READ},
            "a policy attachment to users is not allowed",
        ),
    ],
)
def test_no_inline_or_user_policies(resource_type: str, props: dict, expected: str) -> None:
    [message] = rules.no_inline_or_user_policies(resource_type, props)
    assert message.startswith(expected)


def test_allowed_shapes_pass_the_inline_rule() -> None:
    assert (
        rules.no_inline_or_user_policies(
            "aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive", {"groupName": "a", "policyNames": []}
        )
        == []
    )
    assert (
        rules.no_inline_or_user_policies(
            "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive", {"userName": "a", "policyArns": []}
        )
        == []
    )
    assert (
        rules.no_inline_or_user_policies(
            "aws:iam/policyAttachment:PolicyAttachment", {"groups": ["Admin"], "users": [], "policyArn": READ}
        )
        == []
    )
    assert (
        rules.no_inline_or_user_policies(
            rules.GROUP_ATTACHMENTS_EXCLUSIVE, {"groupName": "Admin", "policyArns": [ADMIN]}
        )
        == []
    )
    assert (
        rules.no_inline_or_user_policies("aws:iam/rolePolicy:RolePolicy", {"role": "trail-logs", "policy": "{}"}) == []
    )  # service roles are out of scope


def test_no_customer_policy_allows_star_on_star() -> None:
    star = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Everything", "Effect": "Allow", "Action": ["*"], "Resource": "*"}],
    }
    assert rules.no_star_on_star_policy(rules.POLICY, {"name": "Oops", "policy": json.dumps(star)}) == [
        "customer managed policy Oops allows every action on every resource "
        "(Everything); attach AdministratorAccess to an admin role instead"
    ]
    statement = {"Effect": "Allow", "Action": "*", "Resource": ["*"]}
    assert len(rules.no_star_on_star_policy(rules.POLICY, {"name": "Oops", "policy": {"Statement": statement}})) == 1
    deny_all = {
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}},
            }
        ]
    }
    scoped = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    for document in (deny_all, scoped):
        assert rules.no_star_on_star_policy(rules.POLICY, {"name": "Fine", "policy": json.dumps(document)}) == []
    assert rules.no_star_on_star_policy(rules.POLICY, {"name": "Later", "policy": UNKNOWN_STRING}) == []


def test_the_foundation_documents_pass() -> None:
    for path in sorted((ROOT / "policies").rglob("*.json")):
        assert rules.no_star_on_star_policy(rules.POLICY, {"name": path.stem, "policy": path.read_text()}) == [], path


CIS = {
    "minimumPasswordLength": 14,
    "passwordReusePrevention": 24,
    "maxPasswordAge": 90,
    "requireUppercaseCharacters": True,
    "requireLowercaseCharacters": True,
    "requireNumbers": True,
    "requireSymbols": True,
    "allowUsersToChangePassword": True,
    "hardExpiry": False,
}


def test_password_policy_at_cis_level() -> None:
    assert rules.password_policy_cis(rules.PASSWORD_POLICY, CIS) == []
    assert (
        rules.password_policy_cis(rules.PASSWORD_POLICY, {**CIS, "minimumPasswordLength": 20, "maxPasswordAge": 60})
        == []
    )
    weak = {
        **CIS,
        "minimumPasswordLength": 8,
        "passwordReusePrevention": 5,
        "maxPasswordAge": 0,
        "requireSymbols": False,
    }
    assert rules.password_policy_cis(rules.PASSWORD_POLICY, weak) == [
        "minimumPasswordLength is 8; CIS asks for at least 14",
        "passwordReusePrevention is 5; CIS asks for at least 24",
        "maxPasswordAge is 0; CIS asks for passwords to expire within 90 days",
        "requireSymbols must be true (CIS)",
    ]
    missing = {k: v for k, v in CIS.items() if k not in ("requireNumbers", "maxPasswordAge")}
    assert rules.password_policy_cis(rules.PASSWORD_POLICY, missing) == [
        "maxPasswordAge is not set; CIS asks for passwords to expire within 90 days",
        "requireNumbers must be true (CIS)",
    ]
    # The engine sends numbers as floats (protobuf Struct).
    wire = {**CIS, "minimumPasswordLength": 14.0, "passwordReusePrevention": 24.0, "maxPasswordAge": 90.0}
    assert rules.password_policy_cis(rules.PASSWORD_POLICY, wire) == []
    assert rules.password_policy_cis(rules.PASSWORD_POLICY, {**wire, "minimumPasswordLength": 12.0}) == [
        "minimumPasswordLength is 12; CIS asks for at least 14"
    ]
    assert rules.password_policy_cis(rules.GROUP, {}) == []


def test_a_stack_with_groups_manages_the_password_policy() -> None:
    assert rules.password_policy_present(GOOD) == [
        (
            "the stack manages IAM groups but no aws:iam/AccountPasswordPolicy: "
            "the account's password policy is left unmanaged",
            None,
        )
    ]
    assert rules.password_policy_present([*GOOD, Resource(rules.PASSWORD_POLICY, "pp", CIS)]) == []
    assert rules.password_policy_present([]) == []


def test_policy_config_from_the_stack_file() -> None:
    config = load("config_from_stack").policy_config(ROOT, "dev")
    admin = config["admin-access-only-in-admin-roles"]
    assert config["all"] == "mandatory" and admin["adminRoles"] == ["Admin"]
    assert (
        admin["groupRoles"]["SysAdm-3"] == "SysAdm"
        and admin["groupRoles"]["Admin"] == "Admin"
        and "Admin-2" not in admin["groupRoles"]
    )
    unions = config["no-escalation-through-role-unions"]  # advisory, as validate's warning; the rest mandatory
    assert unions == {"enforcementLevel": "advisory", "adminRoles": ["Admin"], "groupRoles": admin["groupRoles"]}


# --- bypasses: each must fail the pack -------------------------------------------------

PLANNED = {"Admin": "Admin", "Developer": "Developer", "Developer-2": "Developer", "Viewer": "Viewer"}


def test_a_group_named_like_a_bundle_of_admin_is_not_admin() -> None:
    """Admin-2 is not in the desired state: it gets no admin pass from its name."""
    resources = [*GOOD, group("Admin-2"), attach("Admin-2", MFA, IP, ADMIN)]
    assert rules.admin_only_in_admin_roles(resources) == []  # guessing from names is fooled
    assert rules.admin_only_in_admin_roles(resources, ["Admin"], PLANNED) == [
        (
            admin_message("Admin-2", "Admin-2 (not planned by the matrix)", "AdministratorAccess"),
            "urn:attach:Admin-2",
        ),
    ]


def test_a_policy_attachment_to_groups_is_seen() -> None:
    resources = [
        *GOOD,
        Resource(
            rules.POLICY_ATTACHMENT,
            "sneaky",
            {"name": "sneaky", "groups": ["Viewer"], "policyArn": ADMIN},
            urn="urn:pa",
        ),
    ]
    assert [v[0] for v in rules.admin_only_in_admin_roles(resources, ["Admin"], PLANNED)] == [
        admin_message("Viewer", "Viewer", "AdministratorAccess")
    ]


def test_user_group_memberships_and_user_attachments_are_refused() -> None:
    assert rules.no_inline_or_user_policies(rules.USER_GROUP_MEMBERSHIP, {"user": "eve", "groups": ["Admin"]})
    assert rules.no_inline_or_user_policies(
        "aws:iam/userPolicyAttachment:UserPolicyAttachment", {"user": "eve", "policyArn": ADMIN}
    )
    assert rules.no_inline_or_user_policies(rules.POLICY_ATTACHMENT, {"users": ["eve"], "policyArn": ADMIN})


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "arn:*"},
        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:*:*:*:*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "NotResource": "arn:aws:s3:::x"},
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": ["true", "false"]}},
        },
    ],
    ids=["notaction", "arn-star", "arn-aws-stars", "notresource", "always-true-condition"],
)
def test_admin_equivalent_customer_policies_fail_the_pack(statement: dict) -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    assert rules.no_star_on_star_policy(rules.POLICY, {"name": "Tooling", "policy": document})


def test_iam_star_is_judged_as_the_model_judges_it() -> None:
    """``iam:*`` on ``*`` can grant itself the rest, but it is not all actions on all resources:
    the access model (and so validate and the diff) calls it permissions management with
    privilege-escalation paths, a warning; the pack agrees with them rather than refusing it."""
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    assert rules.no_star_on_star_policy(rules.POLICY, {"name": "Tooling", "policy": json.dumps(document)}) == []
    access = rules.roles_model({"r": [rules.Attached("a", "Tooling", document)]}).role("r")
    assert not access.admin_equivalent and access.escalation_paths and "permissions-management" in access.risks


def test_a_scoped_policy_passes() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bucket/*"}],
    }
    assert rules.no_star_on_star_policy(rules.POLICY, {"name": "Reader", "policy": json.dumps(document)}) == []


def test_rules_import_nothing_from_pulumi_policy() -> None:
    source = (ROOT / "policy-pack" / "rules.py").read_text()
    assert "pulumi_policy" not in source.split('"""', 2)[2]
