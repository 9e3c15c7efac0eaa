"""Validators for the official SARIF 2.1.0 and OSCAL 1.1.3 schemas in tests/data/schemas/."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema

SCHEMAS = Path(__file__).parent / "data" / "schemas"


@lru_cache(maxsize=1)
def sarif_validator() -> jsonschema.Draft4Validator:
    """Draft-04 validator of ``sarif-schema-2.1.0.json`` (with format checks)."""
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


@lru_cache(maxsize=1)
def oscal_validator() -> jsonschema.Draft7Validator:
    """Draft-07 validator of the OSCAL assessment-results schema.

    Python's ``re`` has no ``\\p{L}`` / ``\\p{N}``: they are rewritten in memory as
    ``[^\\W\\d_]`` (a Unicode letter) and ``\\d`` (a Unicode decimal digit) before parsing;
    the file itself is never changed (see ``data/schemas/README.md``).
    """
    text = (SCHEMAS / "oscal_assessment-results_schema.json").read_text(encoding="utf-8")
    text = text.replace("\\\\p{L}", "[^\\\\W\\\\d_]").replace("\\\\p{N}", "\\\\d")
    schema = json.loads(text)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def errors(validator: jsonschema.protocols.Validator, doc: object) -> list[str]:
    """Every validation error as ``json path: message`` (empty when valid)."""
    return [f"{e.json_path}: {e.message[:300]}" for e in validator.iter_errors(doc)]
