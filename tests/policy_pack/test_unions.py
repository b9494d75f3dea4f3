"""The policy pack on users whose risk lies only in the union of their groups of several
roles: read from the stack's memberships and attachments, judged by the same model function
as validate (``iam_matrix.access.unions``)."""

from __future__ import annotations

from tests.policy_pack.pack import rules
from tests.policy_pack.test_rules import ACCOUNT, ADMIN, IP, IP_POLICY, MFA, MFA_POLICY, READ, attach, group, policy

Resource = rules.Resource
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
EVERYTHING_BUT_IAM = policy(
    "EverythingButIam",
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]},
)
IAM_ALL = policy(
    "IamAll", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
)
PASS_ONLY = policy(
    "PassOnly", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}
)
RUN_ONLY = policy(
    "RunOnly",
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]},
)


def arn(resource: Resource) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/foundation/{resource.props['name']}"


def role(name: str, *extra: Resource | str) -> list[Resource]:
    """A role's group with the guardrails, ReadOnlyAccess and ``extra`` (stack policies or AWS ARNs)."""
    arns = [MFA, IP, READ, *(arn(e) if isinstance(e, Resource) else e for e in extra)]
    deps = [MFA_POLICY, IP_POLICY, *(e for e in extra if isinstance(e, Resource))]
    return [group(name), attach(name, *arns, deps=deps)]


def members(name: str, *users: str) -> Resource:
    return Resource(
        rules.GROUP_MEMBERSHIP, f"{name}-members", {"group": name, "users": list(users)}, urn=f"urn:members:{name}"
    )


POLICIES = [MFA_POLICY, IP_POLICY, EVERYTHING_BUT_IAM, IAM_ALL, PASS_ONLY, RUN_ONLY]
ADMIN_UNION = [
    *POLICIES,
    *role("Admin", ADMIN),
    *role("Developer", EVERYTHING_BUT_IAM),
    *role("Ops", IAM_ALL),
    members("Admin", "root"),
    members("Developer", "alice", "bob", "dave"),
    members("Ops", "alice", "bob", "root"),
]


def test_admin_only_through_the_union_of_two_roles_fails_the_admin_rule() -> None:
    assert rules.admin_only_in_admin_roles(ADMIN_UNION) == [
        (
            "users alice, bob (groups Developer, Ops; roles Developer + Ops) are admin-equivalent through the union"
            " of their groups (all actions on all resources, through EverythingButIam (group Developer),"
            " IamAll (group Ops)), though no one of their roles is; iam-matrix:adminRoles allows only Admin",
            "urn:members:Developer",
        )
    ]
    # root holds Admin and Ops: an admin role, fine; dave holds Developer alone: near-admin, not the pack's concern
    assert rules.admin_only_in_admin_roles(ADMIN_UNION, ["Admin", "Ops"]) == []
    assert rules.escalation_only_through_unions(ADMIN_UNION) == []  # admin: reported once, by the admin rule


def test_a_user_group_membership_counts_and_unknown_names_are_recovered() -> None:
    developer = group("Developer")
    carol = Resource("aws:iam/user:User", "carol", {"name": "carol"}, urn="urn:user:carol")
    crafted = Resource(
        rules.USER_GROUP_MEMBERSHIP,
        "carol-groups",
        {"user": UNKNOWN_STRING, "groups": [UNKNOWN_STRING, "Ops"]},
        urn="urn:ugm:carol",
        property_dependencies={"user": [carol], "groups": [developer]},
    )
    resources = [*POLICIES, *role("Developer", EVERYTHING_BUT_IAM), *role("Ops", IAM_ALL), carol, crafted]
    assert rules.user_groups(resources) == {"carol": {"Developer": crafted, "Ops": crafted}}
    [(message, urn)] = rules.admin_only_in_admin_roles(resources)
    assert message.startswith("user carol (groups Developer, Ops; roles Developer + Ops) is admin-equivalent")
    assert urn == "urn:ugm:carol"


def test_escalation_only_through_the_union_is_reported_by_the_advisory_rule() -> None:
    resources = [
        *POLICIES,
        *role("Developer", PASS_ONLY),
        *role("Ops", RUN_ONLY),
        *role("Builder", PASS_ONLY, RUN_ONLY),
        members("Developer", "alice", "erin"),
        members("Ops", "alice"),
        members("Builder", "erin"),
    ]
    assert rules.escalation_only_through_unions(resources) == [
        (
            "user alice (groups Developer, Ops; roles Developer + Ops) has 1 privilege-escalation path(s) only"
            " through the union of their groups, which no one of their roles has: CreateEC2WithExistingIP,"
            " through RunOnly (group Ops), PassOnly (group Developer)",
            "urn:members:Ops",
        )
    ]  # erin's Builder has the path alone: nothing new in her union
    assert rules.admin_only_in_admin_roles(resources) == []


def test_a_harmless_union_passes_and_a_bundle_counts_as_one_role() -> None:
    resources = [
        *POLICIES,
        *role("Developer", EVERYTHING_BUT_IAM),
        group("Developer-2"),
        attach("Developer-2", READ),
        *role("Viewer"),
        *role("Ops", IAM_ALL),
        members("Developer", "alice", "bob"),
        members("Developer-2", "alice", "bob", "carol"),
        members("Viewer", "alice"),
        members("Ops", "bob", "carol"),
    ]
    # alice: Developer's two groups and Viewer, harmless; carol: Developer-2 (ReadOnlyAccess) and Ops, not admin;
    # bob: both of Developer's groups and Ops, admin-equivalent through the union
    assert [m.split(" (")[0] for m, _ in rules.admin_only_in_admin_roles(resources)] == ["user bob"]
    assert (
        "(groups Developer, Developer-2, Ops; roles Developer + Ops)"
        in rules.admin_only_in_admin_roles(resources)[0][0]
    )
    assert rules.escalation_only_through_unions(resources) == []
