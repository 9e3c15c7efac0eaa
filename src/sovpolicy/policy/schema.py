"""The policy file JSON Schema, generated from the condition registry."""

from __future__ import annotations

from typing import Any

from ..model import Enforcement, Severity
from .conditions import REGISTRY


def policy_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one policy file; ``require`` items come from the registry."""
    conditions = [
        {
            "type": "object",
            "additionalProperties": False,
            "required": [name],
            "properties": {name: dict(cond.schema)},
            "description": cond.description,
        }
        for name, cond in sorted(REGISTRY.items())
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sovpolicy policy",
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "title", "severity", "enforcement", "applies_to", "require", "remediation", "references"],
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"},
            "title": {"type": "string", "minLength": 5},
            "description": {"type": "string"},
            "severity": {"enum": [s.value for s in Severity]},
            "enforcement": {"enum": [e.value for e in Enforcement]},
            "applies_to": {
                "type": "object",
                "additionalProperties": False,
                "required": ["data_classes"],
                "properties": {
                    "data_classes": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "types": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                },
            },
            "when": {"type": "string", "minLength": 1,
                     "description": "CEL expression over the documented object; the policy applies only where it is true"},
            "require": {"type": "array", "minItems": 1, "items": {"oneOf": conditions}},
            "unresolved": {"enum": ["block", "warn"], "description": "an unresolved placement is UNKNOWN; `block` (default) lets it block like a failure, `warn` reports it without blocking"},
            "remediation": {"type": "string", "minLength": 1},
            "references": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["title", "url"],
                    "properties": {"title": {"type": "string"}, "url": {"type": "string", "pattern": "^https?://"}},
                },
            },
        },
    }
