"""The ``pulumi import --file`` format, as the Pulumi CLI reads it (pulumi/pulumi,
pkg/cmd/pulumi/operations/import.go: ``importFile``, ``importSpec`` and ``parseImportFile``),
for checking the files adopt writes."""

from __future__ import annotations

from typing import Any

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "nameTable": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^urn:pulumi:"}},
        "resources": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "name"],
                "properties": {
                    "type": {"type": "string", "minLength": 1},
                    "name": {"type": "string", "minLength": 1},
                    "id": {"type": "string", "minLength": 1},
                    "parent": {"type": "string"},
                    "provider": {"type": "string"},
                    "version": {"type": "string"},
                    "pluginDownloadUrl": {"type": "string"},
                    "properties": {"type": "array", "items": {"type": "string"}},
                    "component": {"type": "boolean"},
                    "remote": {"type": "boolean"},
                    "logicalName": {"type": "string"},
                },
                # parseImportFile: a custom resource needs an id; a component must not have one
                "if": {"properties": {"component": {"const": True}}, "required": ["component"]},
                "then": {"not": {"required": ["id"]}},
                "else": {"required": ["id"]},
            },
        },
        "providerInputs": {"type": "object"},
    },
}


def urns(document: dict[str, Any], stack: str, project: str) -> dict[str, tuple[str, str, str]]:
    """URN -> (type, logical name, parent URN) as parseImportFile resolves them: names must be
    unique, a parent is a name in the file or the name table, a URN is built from the parent's
    qualified type and the logical name (resource.NewURN)."""
    specs = document["resources"]
    names = [s["name"] for s in specs]
    assert len(names) == len(set(names)), "ambiguous names"
    by_name = {s["name"]: s for s in specs}
    qualified: dict[str, str] = {}
    resolved: dict[str, str] = {}

    def resolve(spec: dict[str, Any]) -> str:
        if spec["name"] in resolved:
            return resolved[spec["name"]]
        parent = spec.get("parent")
        parent_type = ""
        if parent:
            assert parent in by_name or parent in document.get("nameTable", {}), f"unknown parent {parent}"
            resolve(by_name[parent])
            parent_type = qualified[parent]
        qualified[spec["name"]] = f"{parent_type}${spec['type']}" if parent_type else spec["type"]
        resolved[spec["name"]] = (
            f"urn:pulumi:{stack}::{project}::{qualified[spec['name']]}::{spec.get('logicalName') or spec['name']}"
        )
        return resolved[spec["name"]]

    out = {}
    for spec in specs:
        urn = resolve(spec)
        assert urn not in out, f"ambiguous URN {urn}"
        parent = spec.get("parent")
        out[urn] = (spec["type"], spec.get("logicalName") or spec["name"], resolved[parent] if parent else "")
    return out
