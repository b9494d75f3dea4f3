"""The iam-matrix guardrail policy pack: thin CrossGuard wrappers around ``rules.py``.

Run it with ``pulumi preview --policy-pack policy-pack --policy-pack-config policy-config.json``;
``config_from_stack.py`` writes that config (adminRoles, the group -> role map) from the
stack's Pulumi.<stack>.yaml. The rules judge documents with the project's access model
(``iam_matrix.access``, standard library only), imported from the folder above the pack: run
the pack from the repository, where it sits next to ``iam_matrix/``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

PACK = Path(__file__).resolve().parent
if not (PACK.parent / "iam_matrix" / "access" / "attached.py").is_file():
    raise SystemExit(
        f"the iam-matrix policy pack judges policies with the project's access model, but {PACK.parent} holds no"
        " iam_matrix/access: run the pack from the iam-matrix repository (--policy-pack <repo>/policy-pack)"
    )
sys.path[:0] = [str(PACK), str(PACK.parent)]

import rules  # noqa: E402
from pulumi_policy import (  # noqa: E402
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)


def plain(value: Any) -> Any:
    """The SDK's unknown-checking proxies as plain values (unknowns stay as sentinel strings,
    which ``rules`` understands), so a rule can look at a list that is only partly known."""
    try:
        target = value["__target"]
    except (TypeError, KeyError, IndexError):
        return value
    if isinstance(target, dict):
        return {key: plain(item) for key, item in target.items()}
    return [plain(item) for item in target]


def to_resources(args: StackValidationArgs) -> list[rules.Resource]:
    converted = {r.urn: rules.Resource(r.resource_type, r.name, plain(r.props), r.urn) for r in args.resources}
    for r in args.resources:
        converted[r.urn].property_dependencies = {
            key: [converted[d.urn] for d in deps if d.urn in converted] for key, deps in r.property_dependencies.items()
        }
    return list(converted.values())


def resource_policy(name: str, description: str, check) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in check(args.resource_type, plain(args.props), args.get_config() or {}):
            report_violation(message)

    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


def stack_policy(
    name: str,
    description: str,
    check,
    config_schema: PolicyConfigSchema | None = None,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for message, urn in check(to_resources(args), args.get_config() or {}):
            report_violation(message, urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
    )


# what the two role rules read: config_from_stack.py writes both keys from the stack
ROLES_CONFIG = PolicyConfigSchema(
    properties={
        "adminRoles": {"type": "array", "items": {"type": "string"}, "default": list(rules.DEFAULT_ADMIN_ROLES)},
        "groupRoles": {"type": "object", "additionalProperties": {"type": "string"}},
    }
)


PolicyPack(
    name="iam-matrix-guardrails",
    policies=[
        stack_policy(
            "admin-access-only-in-admin-roles",
            "Only roles listed in iam-matrix:adminRoles are admin-equivalent (judged by what their policies grant).",
            lambda resources, config: rules.admin_only_in_admin_roles(
                resources, config.get("adminRoles", rules.DEFAULT_ADMIN_ROLES), config.get("groupRoles")
            ),
            ROLES_CONFIG,
        ),
        stack_policy(
            "no-escalation-through-role-unions",
            "No user has a privilege-escalation path only through the union of groups of several roles (advisory,"
            " as validate's user-roles-privilege-escalation warning).",
            lambda resources, config: rules.escalation_only_through_unions(
                resources, config.get("adminRoles", rules.DEFAULT_ADMIN_ROLES), config.get("groupRoles")
            ),
            ROLES_CONFIG,
            EnforcementLevel.ADVISORY,
        ),
        stack_policy(
            "guardrails-in-every-role",
            "Every role carries an MFA and a network guardrail that hold, judged by their documents.",
            lambda resources, config: rules.guardrails_in_every_role(
                resources, config.get("guardrails", rules.DEFAULT_GUARDRAILS), config.get("groupRoles")
            ),
            PolicyConfigSchema(
                properties={
                    "guardrails": {
                        "type": "array",
                        "items": {"type": "string", "enum": sorted(rules.GUARDRAIL_KINDS)},
                        "default": list(rules.DEFAULT_GUARDRAILS),
                    },
                    "groupRoles": {"type": "object", "additionalProperties": {"type": "string"}},
                }
            ),
        ),
        stack_policy(
            "password-policy-managed",
            "A stack that manages IAM groups also manages the account password policy.",
            lambda resources, config: rules.password_policy_present(resources),
        ),
        resource_policy(
            "no-inline-or-user-policies",
            "No inline policies and no policies attached to users: access goes through role groups.",
            lambda resource_type, props, config: rules.no_inline_or_user_policies(resource_type, props),
        ),
        resource_policy(
            "no-star-on-star-customer-policy",
            "No customer managed policy is admin-equivalent (all actions on all resources, however written).",
            lambda resource_type, props, config: rules.no_star_on_star_policy(resource_type, props),
        ),
        resource_policy(
            "password-policy-cis",
            "The account password policy is at least CIS level "
            "(length 14, reuse 24, complexity, expiry within 90 days).",
            lambda resource_type, props, config: rules.password_policy_cis(resource_type, props),
        ),
    ],
)
