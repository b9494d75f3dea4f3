"""CustomPolicies: every customer managed policy of policies/ (``/foundation/`` and others)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from iam_matrix.desired import CustomPolicy, DesiredState

from .common import TYPE_PREFIX, resource_tags

# The component's type until it was renamed: the alias keeps every deployed policy's URN
# (children inherit their parent's aliases), so the rename replaces nothing.
OLD_TYPE = f"{TYPE_PREFIX}FoundationPolicies"


@dataclass(frozen=True)
class CustomPoliciesArgs:
    """The custom policies of the state, and the stack and config tags every policy is tagged with."""

    policies: Sequence[CustomPolicy]
    stack: str
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, state: DesiredState) -> CustomPoliciesArgs:
        return cls(state.policies, state.stack, dict(state.tags))


class CustomPolicies(pulumi.ComponentResource):
    """One ``aws.iam.Policy`` per custom policy, under its IAM path.

    Group attachments take their ARNs from ``arns`` (the resources' outputs), so the
    engine creates a policy before anything attaches it and detaches before deleting it.

    The description is set when a policy is created and then left alone (``ignore_changes``):
    it is ForceNew in the provider (terraform-provider-aws internal/service/iam/policy.go), so
    a policy adopted from an existing account (``python -m iam_matrix adopt``) with its own
    description would otherwise be deleted and created again on the first ``up``.
    """

    arns: dict[str, pulumi.Output[str]]
    policies: dict[str, aws.iam.Policy]

    def __init__(self, name: str, args: CustomPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        renamed = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=OLD_TYPE)])
        super().__init__(f"{TYPE_PREFIX}CustomPolicies", name, None, pulumi.ResourceOptions.merge(renamed, opts))
        self.policies = {}
        for policy in args.policies:
            self.policies[policy.name] = aws.iam.Policy(
                policy.name,
                name=policy.name,
                path=policy.path,
                description=policy.description,
                policy=json.dumps(policy.document, indent=2),
                tags=resource_tags(args.stack, policy.source, args.tags),
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["description"]),
            )
        self.arns = {name: resource.arn for name, resource in self.policies.items()}
        self.foundation_arns = {p.name: self.arns[p.name] for p in args.policies if p.path == "/foundation/"}
        self.register_outputs({"arns": self.arns})
