"""The IAM requests the provider makes for what the program registered, derived from the registrations.

For every resource ``__main__.py`` registered under the mocks (type, name, input properties),
each action of its type in ``iam_matrix/data/resource_actions.json`` becomes one request: the
ARN of the thing it acts on (built from the registered properties: a user's path and name, a
group's, a policy's, the trail's name, the role the trail is given, ...; which one by the
action's resource type in AWS's Service Authorization Reference) and the request context IAM
would see (the policy being attached, the role's permissions boundary, the tags sent with a
create, the service a role is passed to). Independent of ``iam_matrix/deploy/policies.py``:
that one builds the policy from the desired state, this reads what the program registers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from iam_matrix.access.catalog import load_action_catalog
from iam_matrix.deploy.policies import resource_actions

ACCOUNT = "111111111111"
REGION = "ap-northeast-2"
IAM = f"arn:aws:iam::{ACCOUNT}:"


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)
    why: str = ""


def _tags(props: dict[str, Any], prefix: str) -> dict[str, str]:
    return {f"{prefix}/{k}": v for k, v in (props.get("tags") or {}).items()}


def requests(resources: list[dict[str, Any]]) -> Iterator[Request]:
    """Every request the registered ``resources`` lead to (see the module docstring)."""
    catalog = load_action_catalog()
    table = resource_actions()
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        by_type.setdefault(r["type"], []).append(r)
    user_path = {u["props"]["name"]: u["props"].get("path", "/") for u in by_type.get("aws:iam/user:User", [])}
    group_path = {g["props"]["name"]: g["props"].get("path", "/") for g in by_type.get("aws:iam/group:Group", [])}
    bucket = next(
        (
            r["props"]["bucket"]
            for t, rs in by_type.items()
            if t.startswith("aws:s3/b")
            for r in rs
            if "bucket" in r["props"]
        ),
        "audit-logs-1a2b3c",
    )
    trails = by_type.get("aws:cloudtrail/trail:Trail", [])
    delivery_role = trails[0]["props"].get("cloudWatchLogsRoleArn", "") if trails else ""
    keys = by_type.get("aws:kms/key:Key", [])
    key_tags = _tags(keys[0]["props"], "aws:ResourceTag") if keys else {}
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c2d3e-key"
    config_role = f"{IAM}role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    for r in resources:
        kind, props = r["type"], r["props"]
        if kind not in table:
            continue
        arns: dict[str, str] = {}
        context: dict[str, Any] = {}
        per_action: dict[str, list[dict[str, Any]]] = {}
        if kind == "aws:iam/user:User":
            arns = {"user": f"{IAM}user{props.get('path', '/')}{props['name']}", "mfa": f"{IAM}mfa/{props['name']}"}
        elif kind == "aws:iam/userLoginProfile:UserLoginProfile":
            arns = {"user": f"{IAM}user{user_path.get(props['user'], '/')}{props['user']}"}
        elif kind == "aws:iam/group:Group":
            arns = {"group": f"{IAM}group{props.get('path', '/')}{props['name']}"}
        elif kind in ("aws:iam/groupMembership:GroupMembership",):
            arns = {"group": f"{IAM}group{group_path.get(props['group'], '/')}{props['group']}"}
        elif kind.startswith("aws:iam/groupPolic"):
            name = props["groupName"]
            arns = {"group": f"{IAM}group{group_path.get(name, '/')}{name}"}
            attached = [{"iam:PolicyARN": arn} for arn in props.get("policyArns", [])]
            per_action = {"iam:AttachGroupPolicy": attached, "iam:DetachGroupPolicy": attached}
        elif kind == "aws:iam/policy:Policy":
            arns = {"policy": f"{IAM}policy{props.get('path', '/')}{props['name']}"}
        elif kind.startswith("aws:s3/"):
            arns = {"bucket": f"arn:aws:s3:::{props.get('bucket', bucket)}"}
        elif kind == "aws:kms/key:Key":
            arns, context = {"key": key_arn}, key_tags
            # The provider sends the tags and BypassPolicyLockoutSafetyCheck (false) with CreateKey
            # (terraform-provider-aws internal/service/kms/key.go, resourceKeyCreate).
            per_action = {
                "kms:CreateKey": [{**_tags(props, "aws:RequestTag"), "kms:BypassPolicyLockoutSafetyCheck": "false"}]
            }
        elif kind == "aws:kms/alias:Alias":
            arns, context = {"alias": f"arn:aws:kms:{REGION}:{ACCOUNT}:{props['name']}", "key": key_arn}, key_tags
        elif kind == "aws:cloudtrail/trail:Trail":
            arns = {"trail": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{props['name']}", "role": delivery_role}
            per_action = {"iam:PassRole": [{"iam:PassedToService": "cloudtrail.amazonaws.com"}]}
        elif kind == "aws:cloudwatch/logGroup:LogGroup":
            arns = {"log-group": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{props['name']}:*"}
        elif kind in ("aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"):
            role = next(iter(by_type.get("aws:iam/role:Role", [])), {"props": {}})["props"]
            arns = {"role": delivery_role}
            if role.get("permissionsBoundary"):
                context = {"iam:PermissionsBoundary": role["permissionsBoundary"]}
        elif kind == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            arns = {"role": config_role}
            per_action = {"iam:CreateServiceLinkedRole": [{"iam:AWSServiceName": props["awsServiceName"]}]}
        elif kind in ("aws:cfg/recorder:Recorder", "aws:cfg/recorderStatus:RecorderStatus"):
            arns = {
                "ConfigurationRecorder": f"arn:aws:config:{REGION}:{ACCOUNT}:configuration-recorder/{props['name']}/x1",
                "role": props.get("roleArn", config_role),
            }
            per_action = {"iam:PassRole": [{"iam:PassedToService": "config.amazonaws.com"}]}
        elif kind == "aws:cfg/rule:Rule":
            arns = {"ConfigRule": f"arn:aws:config:{REGION}:{ACCOUNT}:config-rule/config-rule-a1b2c3"}
            context = {**_tags(props, "aws:ResourceTag"), **_tags(props, "aws:RequestTag")}
        elif kind == "aws:accessanalyzer/analyzer:Analyzer":
            arns = {
                "Analyzer": f"arn:aws:access-analyzer:{REGION}:{ACCOUNT}:analyzer/{props['analyzerName']}",
                "role": f"{IAM}role/aws-service-role/access-analyzer.amazonaws.com/AWSServiceRoleForAccessAnalyzer",
            }
            per_action = {"iam:CreateServiceLinkedRole": [{"iam:AWSServiceName": "access-analyzer.amazonaws.com"}]}
        for action in table[kind]["actions"]:
            types = catalog.resource_types[catalog.index[action.lower()]]
            targets = [arns[t] for t in types if t in arns] or ["*"]
            if types and targets == ["*"]:
                raise AssertionError(f"{kind} {r['name']}: no ARN for {action} (acts on {types})")
            for extra in per_action.get(action, [{}]):
                for target in targets:  # AWS authorises an alias action on the alias and on its key
                    yield Request(action, target, {**context, **extra}, f"{kind} {r['name']}")
