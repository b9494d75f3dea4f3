"""Run the policy pack's __main__.py with the real pulumi_policy SDK, without the Pulumi CLI.

Executed by the policy pack's own interpreter (policy-pack/venv), never imported by the
main test suite: PolicyPack is swapped for a recorder, then every policy is fed resources
wrapped in the SDK's own unknown-checking proxies. Prints the violations as JSON.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pulumi_policy
from pulumi_policy import (
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

captured = {}


class Recorder:
    def __init__(self, name, policies, **kwargs):
        captured["name"], captured["policies"] = name, policies


pulumi_policy.PolicyPack = Recorder
runpy.run_path(str(Path(sys.argv[1]) / "__main__.py"), run_name="__main__")
resources = json.loads(Path(sys.argv[2]).read_text())
config = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
opts = PolicyResourceOptions(False, [], None, [], None, [])
stack = [
    PolicyResource(r["type"], unknown_checking_proxy(r["props"]), r["urn"], r["name"], opts, None, None, [], {})
    for r in resources
]
by_urn = {r.urn: r for r in stack}
for r, raw in zip(stack, resources):
    r.property_dependencies = {k: [by_urn[u] for u in urns] for k, urns in raw.get("deps", {}).items()}
found = []
for policy in captured["policies"]:
    report = lambda message, urn=None, name=policy.name: found.append([name, message, urn])  # noqa: E731
    if isinstance(policy, StackValidationPolicy):
        policy.validate(StackValidationArgs(stack, config.get(policy.name)), report)
    else:
        for r in stack:
            policy.validate(
                ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, opts, None, config.get(policy.name)),
                report,
            )
print(json.dumps({"pack": captured["name"], "violations": found}))
