"""The mapping of live AWS resource types to Terraform type names (``data/live_types/aws.yaml``).

AWS names a resource type three ways: AWS Config / CloudFormation (``AWS::S3::Bucket``),
its ARN (``arn:aws:rds:eu-west-3:1:db:x`` -> ``rds:db``) and the Terraform provider
(``aws_db_instance``). The live scan and the offline exports look the type up here, so
that policies see one vocabulary. The file is data, validated on load.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import CatalogError
from ..model import SourceRef
from ..yamlutil import json_path, load_yaml

AWS_TYPES_PATH = Path(str(resources.files("sovpolicy.catalog") / "data" / "live_types" / "aws.yaml"))

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schema_version", "sources", "source", "as_of", "types", "flows", "iam_prefix", "iam_actions"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": 1},
        "sources": {"type": "object", "minProperties": 1, "additionalProperties": {
            "type": "object", "required": ["title", "url", "as_of"], "additionalProperties": False,
            "properties": {"title": {"type": "string"}, "url": {"type": "string", "pattern": "^https://"},
                           "as_of": {"type": "string", "format": "date"}}}},
        "source": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "as_of": {"type": "string"},
        "types": {"type": "array", "items": {
            "type": "object", "required": ["terraform"], "additionalProperties": False,
            "properties": {
                "terraform": {"type": "string", "pattern": "^aws_[a-z0-9_]+$"},
                "config": {"type": "array", "items": {"type": "string", "pattern": "^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$"}},
                "arn": {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9-]+(:[a-z0-9-]+)?$"}},
                "copies": {"type": "boolean"}}}},
        "flows": {"type": "array", "items": {
            "type": "object", "required": ["id", "type", "read", "path", "value", "kind", "source"], "additionalProperties": False,
            "properties": {
                "id": {"type": "string"}, "type": {"type": "string"},
                "read": {"type": "string", "pattern": "^(config|[a-z0-9-]+:[A-Za-z0-9]+)$"},
                "path": {"type": "string", "pattern": "^[A-Za-z0-9_]+(\\[\\])?(\\.[A-Za-z0-9_]+(\\[\\])?)*$"},
                "value": {"enum": ["region", "arn", "identifier"]}, "kind": {"enum": ["replicate", "copy"]},
                "source": {"type": "string"}}}},
        "iam_prefix": {"type": "object", "additionalProperties": {"type": "string"}},
        "iam_actions": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^[a-z0-9-]+:[A-Za-z0-9]+$"}},
    },
}


@dataclass(frozen=True)
class LiveType:
    """One Terraform type and the AWS names that map to it."""

    terraform: str
    copies: bool


@dataclass(frozen=True)
class FlowPath:
    """Where copies of a type's data in other regions are read (``flows`` of ``aws.yaml``)."""

    id: str
    type: str
    read: str
    path: tuple[str, ...]
    value: str
    kind: str
    source: SourceRef


@dataclass(frozen=True)
class AwsTypes:
    """Lookups of ``aws.yaml``: by Config type name, by ARN ``service:resource-type``."""

    by_config: dict[str, LiveType]
    by_arn: dict[str, LiveType]
    by_terraform: dict[str, LiveType]
    iam_prefix: dict[str, str]
    iam_actions: dict[str, str]
    sources: tuple[SourceRef, ...]
    flows: tuple[FlowPath, ...] = ()

    def flow_paths(self, rtype: str, read: str) -> tuple[FlowPath, ...]:
        """The flow paths of ``rtype`` read from ``read`` (``config`` or ``service:Operation``)."""
        return tuple(f for f in self.flows if f.type == rtype and f.read == read)

    def iam_action(self, service: str, operation: str) -> str:
        """The IAM action that authorises a botocore ``service`` ``operation``
        (``s3``, ``ListBuckets`` -> ``s3:ListAllMyBuckets``)."""
        prefix = self.iam_prefix.get(service, service)
        return self.iam_actions.get(f"{service}:{operation}", f"{prefix}:{operation}")


def _date(text: object, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise CatalogError(f"expected a date YYYY-MM-DD, got {text!r}", where) from None


def build_aws_types(doc: Any, where: str) -> AwsTypes:
    """Validate the document and build the lookups.

    Raises:
        CatalogError: naming the file and the JSON path of the first error, or a name
            mapped to two Terraform types.
    """
    import jsonschema

    from ..yamlutil import dates_to_text

    doc = dates_to_text(doc)
    errors = sorted(jsonschema.Draft202012Validator(_SCHEMA).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        raise CatalogError(f"{json_path(list(e.absolute_path))}: {e.message}", where)
    refs = {k: SourceRef(k, v["title"], v["url"], _date(v["as_of"], where)) for k, v in doc["sources"].items()}
    for sid in doc["source"]:
        if sid not in refs:
            raise CatalogError(f"$.source: unknown source {sid!r}", where)
    by_config: dict[str, LiveType] = {}
    by_arn: dict[str, LiveType] = {}
    by_tf: dict[str, LiveType] = {}
    for i, entry in enumerate(doc["types"]):
        lt = LiveType(entry["terraform"], bool(entry.get("copies", False)))
        for table, key, names in ((by_tf, "terraform", [lt.terraform]), (by_config, "config", entry.get("config", [])),
                                  (by_arn, "arn", entry.get("arn", []))):
            for name in names:
                if name in table:
                    raise CatalogError(f"$.types[{i}].{key}: {name} is mapped twice", where)
                table[name] = lt
    flows = []
    for i, f in enumerate(doc["flows"]):
        if f["source"] not in refs:
            raise CatalogError(f"$.flows[{i}].source: unknown source {f['source']!r}", where)
        if f["type"] not in by_tf:
            raise CatalogError(f"$.flows[{i}].type: {f['type']} is not in types", where)
        flows.append(FlowPath(f["id"], f["type"], f["read"], tuple(f["path"].split(".")), f["value"], f["kind"], refs[f["source"]]))
    return AwsTypes(by_config, by_arn, by_tf, dict(doc["iam_prefix"]), dict(doc["iam_actions"]),
                    tuple(refs[s] for s in doc["source"]), tuple(flows))


@lru_cache(maxsize=4)
def load_aws_types(path: Path = AWS_TYPES_PATH) -> AwsTypes:
    """The AWS type mapping (the built-in file unless ``path`` is given)."""
    doc = load_yaml(path, CatalogError, nodes=False)[0]
    return build_aws_types(doc, str(path))
