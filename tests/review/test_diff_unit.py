"""The comparison itself, on DesiredStates built in memory (no git, no files)."""

from __future__ import annotations

import dataclasses

from iam_matrix.audit_baseline import BaselineOptions
from iam_matrix.desired import CustomPolicy, DesiredState, Group, PolicyRef, User
from iam_matrix.password_policy import PasswordPolicy
from iam_matrix.review.diff import Revision, diff_revisions, diff_states
from iam_matrix.review.report import markdown, text

ADMIN = PolicyRef("AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess", "aws")
S3_FULL = PolicyRef("AmazonS3FullAccess", "arn:aws:iam::aws:policy/AmazonS3FullAccess", "aws")
READ = PolicyRef("ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess", "aws")
MFA_DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "NotAction": ["iam:ListUsers"],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    ],
}
IP_DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}},
        }
    ],
}
MFA = PolicyRef(
    "MFAForcePolicy",
    "arn:aws:iam::111111111111:policy/foundation/MFAForcePolicy",
    "custom",
    guardrail=True,
    grants=False,
)
IP = PolicyRef(
    "DenyIPAddressPolicy",
    "arn:aws:iam::111111111111:policy/foundation/DenyIPAddressPolicy",
    "custom",
    guardrail=True,
    grants=False,
)
CUSTOM = (
    CustomPolicy("MFAForcePolicy", "/foundation/", MFA_DOC, "policies/foundation/MFAForcePolicy.json"),
    CustomPolicy("DenyIPAddressPolicy", "/foundation/", IP_DOC, "policies/foundation/DenyIPAddressPolicy.json"),
)


def state(
    roles: dict[str, tuple[PolicyRef, ...]],
    users: dict[str, tuple[str, ...]],
    *,
    mfa: bool = True,
    policies: tuple[CustomPolicy, ...] = CUSTOM,
    password: PasswordPolicy | None = None,
) -> DesiredState:
    groups = tuple(Group(role, role, 1, "/", refs) for role, refs in sorted(roles.items()))
    return DesiredState(
        stack="dev",
        account_id="111111111111",
        user_path="/",
        manage_users=True,
        groups=groups,
        users=tuple(User(u, mfa, tuple(sorted(rs)), "users.csv") for u, rs in sorted(users.items())),
        policies=policies,
        password_policy=password or PasswordPolicy(),
    )


BASE = state({"Admin": (MFA, IP, ADMIN), "Ops": (MFA, IP, READ)}, {"ann": ("Admin",), "bob": ("Ops",)})


def kinds(diff) -> list[tuple[str, str]]:
    return [(e.kind, e.subject) for e in diff.escalations]


def test_identical_states_make_an_empty_diff() -> None:
    diff = diff_states(BASE, BASE)
    assert diff.empty and "No access change." in markdown(diff) and "No access change." in text(diff)


def test_admin_outside_admin_roles_is_called_out_even_without_members() -> None:
    head = state(
        {"Admin": (MFA, IP, ADMIN), "Ops": (MFA, IP, READ), "Break": (MFA, IP, ADMIN)},
        {"ann": ("Admin",), "bob": ("Ops",)},
    )
    diff = diff_states(BASE, head)
    assert kinds(diff) == [("admin-outside-admin-roles", "Break")]
    assert (
        diff.escalations[0].message == "role Break is admin-equivalent (through AdministratorAccess) "
        "but is not in iam-matrix:adminRoles (Admin) (no members yet)"
    )
    # Allowed by config: still reported as a new role, not as an escalation.
    allowed = diff_revisions(Revision(BASE, "a", ("Admin", "Break")), Revision(head, "b", ("Admin", "Break")))
    assert kinds(allowed) == [] and [(r.name, r.status) for r in allowed.roles] == [("Break", "added")]


def test_widening_admin_roles_is_an_escalation() -> None:
    diff = diff_revisions(Revision(BASE, "a", ("Admin",)), Revision(BASE, "b", ("Admin", "Ops")))
    assert kinds(diff) == [("admin-roles", "Ops")]
    assert [s.name for s in diff.settings] == ["adminRoles"]


def test_escalations_are_ordered_by_severity() -> None:
    head = state({"Admin": (MFA, IP, ADMIN), "Ops": (READ, S3_FULL)}, {"ann": ("Admin",), "bob": ("Ops", "Admin")})
    diff = diff_states(BASE, head)
    assert kinds(diff) == [
        ("admin", "bob"),
        ("mfa-enforcement-dropped", "Ops"),
        ("ip-restriction-dropped", "Ops"),
    ]
    assert (
        diff.escalations[0].message == "bob becomes admin-equivalent (20455 of 20455 actions on "
        "all resources) through AdministratorAccess (role Admin)"
    )
    assert (
        diff.escalations[1].message == "role Ops: the MFA guardrail is gone (it was MFAForcePolicy), so "
        "requests without MFA are allowed that were denied (1 member: bob)"
    )
    # bob keeps MFAForcePolicy and DenyIPAddressPolicy through Admin: not lost, effectively.
    bob = diff.users_changed[0]
    assert bob.policies_gained == ("AdministratorAccess", "AmazonS3FullAccess") and bob.policies_lost == ()


def test_a_custom_document_that_becomes_star_on_star_is_admin() -> None:
    tool = CustomPolicy(
        "Tooling",
        "/custom/",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]},
        "policies/custom/Tooling.json",
    )
    ref = PolicyRef("Tooling", "arn:aws:iam::111111111111:policy/custom/Tooling", "custom")
    before = state({"Ops": (MFA, IP, ref)}, {"bob": ("Ops",)}, policies=(*CUSTOM, tool))
    wide = dataclasses.replace(
        tool, document={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    )
    after = state({"Ops": (MFA, IP, ref)}, {"bob": ("Ops",)}, policies=(*CUSTOM, wide))
    diff = diff_states(before, after, admin_roles=("Ops",))
    assert kinds(diff) == [("admin", "bob")]
    assert [(d.name, d.status) for d in diff.documents] == [("Tooling", "changed")]
    assert '+  "Action": "*",' in diff.documents[0].diff or '+      "Action": "*",' in diff.documents[0].diff


def test_mfa_flags_and_weaker_passwords() -> None:
    head = state(
        {"Admin": (MFA, IP, ADMIN), "Ops": (MFA, IP, READ)},
        {"ann": ("Admin",), "bob": ("Ops",), "cy": ("Ops",)},
        mfa=False,
        password=PasswordPolicy(
            minimum_password_length=8, require_symbols=False, max_password_age=0, password_reuse_prevention=24
        ),
    )
    diff = diff_states(BASE, head)
    # cy is new: ReadOnlyAccess gives them permissions-management and credentials-exposing reads
    assert kinds(diff) == [
        ("permissions-management", "cy"),
        ("credentials-exposure", "cy"),
        ("mfa-dropped", "ann"),
        ("mfa-dropped", "bob"),
        ("mfa-not-required", "cy"),
        ("password-weakened", "password policy"),
    ]
    assert (
        diff.escalations[-1].message == "the password policy gets weaker: minimum length 14 -> "
        "8; require symbols turned off; max age 90 -> never days"
    )
    assert {s.name for s in diff.settings} == {
        "password.minimum_password_length",
        "password.require_symbols",
        "password.max_password_age",
    }


def test_audit_baseline_switches_are_settings_changes() -> None:
    head = dataclasses.replace(BASE, audit_baseline=BaselineOptions(enabled=True, config_mode="rules"))
    diff = diff_states(BASE, head)
    assert not diff.empty
    assert [(s.name, s.before, s.after) for s in diff.settings] == [
        ("auditBaseline.enabled", False, True),
        ("auditBaseline.config_mode", "recorder", "rules"),
    ]
    assert '`auditBaseline.config_mode`: `"recorder"` → `"rules"`' in markdown(diff)


def test_a_new_cidr_in_a_document_is_an_escalation() -> None:
    wider = {
        **IP_DOC,
        "Statement": [
            {**IP_DOC["Statement"][0], "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "0.0.0.0/0"]}}}
        ],
    }
    head = dataclasses.replace(BASE, policies=(CUSTOM[0], dataclasses.replace(CUSTOM[1], document=wider)))
    diff = diff_states(BASE, head)
    assert kinds(diff) == [("cidr-added", "0.0.0.0/0")]
    assert diff.escalations[0].message == "network 0.0.0.0/0 is added to the allow-list (DenyIPAddressPolicy)"
