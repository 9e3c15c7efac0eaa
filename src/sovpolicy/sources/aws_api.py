"""What the AWS sources know about AWS's APIs (``aws_api.yaml``, data validated on load):
which types can keep copies elsewhere, where each API response or Config item says where
the copies are, and which IAM action authorises each botocore operation.

The type names themselves (Config's ``AWS::S3::Bucket``, the ARN's ``rds:db`` -> the
Terraform type) are catalog data: ``catalog/data/live_types/aws.yaml``.
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

AWS_API_PATH = Path(str(resources.files("sovpolicy.sources") / "aws_api.yaml"))

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schema_version", "sources", "limits", "copies", "flows", "iam_prefix", "iam_actions"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": 1},
        "sources": {"type": "object", "minProperties": 1, "additionalProperties": {
            "type": "object", "required": ["title", "url", "as_of"], "additionalProperties": False,
            "properties": {"title": {"type": "string"}, "url": {"type": "string", "pattern": "^https://"},
                           "as_of": {"type": "string", "format": "date"}}}},
        "limits": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["value", "source"], "additionalProperties": False,
            "properties": {"value": {"type": "integer", "minimum": 1}, "source": {"type": "string"}}}},
        "copies": {"type": "array", "items": {"type": "string", "pattern": "^aws_[a-z0-9_]+$"}},
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
class AwsApi:
    """The lookups of ``aws_api.yaml``."""

    copies: frozenset[str]
    iam_prefix: dict[str, str]
    iam_actions: dict[str, str]
    flows: tuple[FlowPath, ...] = ()
    limits: dict[str, int] | None = None

    def limit(self, name: str) -> int:
        """A request limit of ``limits`` (``config_select_page`` -> 100)."""
        return (self.limits or {})[name]

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


def build_aws_api(doc: Any, where: str) -> AwsApi:
    """Validate the document and build the lookups.

    Raises:
        CatalogError: naming the file and the JSON path of the first error.
    """
    import jsonschema

    from ..yamlutil import dates_to_text

    doc = dates_to_text(doc)
    errors = sorted(jsonschema.Draft202012Validator(_SCHEMA).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        raise CatalogError(f"{json_path(list(e.absolute_path))}: {e.message}", where)
    refs = {k: SourceRef(k, v["title"], v["url"], _date(v["as_of"], where)) for k, v in doc["sources"].items()}
    for name, lim in doc["limits"].items():
        if lim["source"] not in refs:
            raise CatalogError(f"$.limits.{name}.source: unknown source {lim['source']!r}", where)
    flows = []
    for i, f in enumerate(doc["flows"]):
        if f["source"] not in refs:
            raise CatalogError(f"$.flows[{i}].source: unknown source {f['source']!r}", where)
        flows.append(FlowPath(f["id"], f["type"], f["read"], tuple(f["path"].split(".")), f["value"], f["kind"], refs[f["source"]]))
    return AwsApi(frozenset(doc["copies"]), dict(doc["iam_prefix"]), dict(doc["iam_actions"]), tuple(flows),
                  {name: int(lim["value"]) for name, lim in doc["limits"].items()})


@lru_cache(maxsize=4)
def load_aws_api(path: Path = AWS_API_PATH) -> AwsApi:
    """The AWS API facts (the built-in file unless ``path`` is given)."""
    doc = load_yaml(path, CatalogError, nodes=False)[0]
    return build_aws_api(doc, str(path))
