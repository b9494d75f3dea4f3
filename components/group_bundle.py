"""GroupBundle: the IAM groups of one role, their exact members and exact policies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from iam_matrix.desired import DesiredState, Group, Role

from .bundle_moves import bundle_moves_hook
from .common import TYPE_PREFIX


@dataclass(frozen=True)
class GroupBundleArgs:
    """One role's groups; every group's members are the role's members (``Role.members``).

    ``policy_arns`` maps a custom policy name to its Policy resource's ARN output and
    ``user_names`` a user name to its User resource's name output: using the outputs makes the
    engine create policies and users before attaching or adding them. ``empty_group_hook``
    (components.cleanup) empties a group before the engine deletes it: the exclusive resources
    detach nothing when they are destroyed. With ``quota`` (policies per group), a
    ``before_update`` hook moves policies between the bundle's groups without going over it
    (components.bundle_moves)."""

    role: Role
    groups: Sequence[Group]
    policy_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    user_names: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    empty_group_hook: pulumi.ResourceHook | None = None
    quota: int | None = None

    @classmethod
    def of(
        cls,
        state: DesiredState,
        role: Role,
        policy_arns: Mapping[str, pulumi.Input[str]],
        user_names: Mapping[str, pulumi.Input[str]],
        empty_group_hook: pulumi.ResourceHook | None,
    ) -> GroupBundleArgs:
        groups = [state.group(name) for name in role.groups]
        return cls(role, groups, policy_arns, user_names, empty_group_hook, state.deploy.max_policies_per_group)


class GroupBundle(pulumi.ComponentResource):
    """One role of the matrix: ``<Role>``, ``<Role>-2``, ... (a bundle when the role has
    more policies than one group may hold).

    Per group, three resources make the group *exactly* what the matrix says:

    * ``aws.iam.GroupMembership``: the member list is exclusive, so the next ``up``
      removes a user added by hand or whose mark was removed;
    * ``aws.iam.GroupPolicyAttachmentsExclusive``: the managed policy list is exclusive;
    * ``aws.iam.GroupPoliciesExclusive`` with no names: inline policies are removed
      (the practice attaches managed policies to groups, never inline ones).

    IAM groups cannot be tagged; the group's role is in its name.
    """

    groups: dict[str, aws.iam.Group]

    def __init__(self, name: str, args: GroupBundleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}GroupBundle", name, None, opts)
        role, groups, policy_arns, user_names = args.role, args.groups, args.policy_arns, args.user_names
        empty_group_hook, quota = args.empty_group_hook, args.quota
        child = pulumi.ResourceOptions(parent=self)
        self.groups = {}
        self.memberships: dict[str, aws.iam.GroupMembership] = {}
        self.attachments: dict[str, aws.iam.GroupPolicyAttachmentsExclusive] = {}
        for group in groups:
            resource = aws.iam.Group(group.name, name=group.name, path=group.path, opts=child)
            self.groups[group.name] = resource
            self.memberships[group.name] = aws.iam.GroupMembership(
                f"{group.name}-members",
                name=f"{group.name}-members",
                group=resource.name,
                users=[user_names.get(member, member) for member in role.members],
                opts=child,
            )
        # Every group of the bundle, with its members, exists before any attachment changes:
        # the moves hook may hand a policy to any of them (components/bundle_moves.py).
        ready = [*self.groups.values(), *self.memberships.values()]
        update_hooks = (
            [bundle_moves_hook(role.name, {g.name: list(g.policy_arns) for g in groups}, quota)] if quota else []
        )
        binding = pulumi.ResourceHookBinding(
            before_delete=[empty_group_hook] if empty_group_hook is not None else [], before_update=update_hooks
        )
        exclusive = pulumi.ResourceOptions(parent=self, hooks=binding)
        for group in groups:
            resource = self.groups[group.name]
            arns = [
                policy_arns[p.name] if p.kind == "custom" and p.name in policy_arns else p.arn for p in group.policies
            ]
            self.attachments[group.name] = aws.iam.GroupPolicyAttachmentsExclusive(
                f"{group.name}-policies",
                group_name=resource.name,
                policy_arns=arns,
                opts=pulumi.ResourceOptions.merge(exclusive, pulumi.ResourceOptions(depends_on=ready)),
            )
            inline = (
                pulumi.ResourceOptions(parent=self, hooks=pulumi.ResourceHookBinding(before_delete=[empty_group_hook]))
                if empty_group_hook is not None
                else child
            )
            aws.iam.GroupPoliciesExclusive(
                f"{group.name}-inline-policies", group_name=resource.name, policy_names=[], opts=inline
            )
        self.names = [g.name for g in groups]
        self.arns = [r.arn for r in self.groups.values()]
        self.register_outputs({"role": role.name, "groupNames": self.names, "groupArns": self.arns})
