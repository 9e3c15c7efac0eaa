"""Saved AWS inventories: the tagging API's ``get-resources`` output and AWS Config
configuration items (one item, a list, ``get-resource-config-history``,
``select-resource-config`` / ``select-aggregate-resource-config`` and
``list-discovered-resources`` results, a change notification).

Recognised by content (see :mod:`sovpolicy.sources.registry`). Responses recorded with
their HTTP status (``{"status_code": 200, "data": {...}}``, as botocore recorders save
them) are read through their ``data``. No boto3 here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..model import Location, Problem, Resource, SourceKind
from .aws_resources import (
    can_copy,
    make_resource,
    parse_arn,
    read_flows,
    tags_of,
    terraform_type,
    unread_copies,
)
from .base import ReadContext, SourceOutput

if TYPE_CHECKING:
    from .registry import Peek

TAGGING = "tag:GetResources"
CONFIG = "config"


def unwrap(doc: object) -> tuple[object, str]:
    """The response inside a recorded ``{"status_code": N, "data": {...}}``, and its JSON path."""
    if isinstance(doc, dict) and isinstance(doc.get("status_code"), int) and isinstance(doc.get("data"), dict):
        return doc["data"], "$.data"
    return doc, "$"


def _is_item(doc: object) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("resourceType"), str) and (
        "configurationItemCaptureTime" in doc or "awsRegion" in doc)


def is_tagging_export(doc: object) -> bool:
    """The tagging API's ``get-resources`` output."""
    inner, _ = unwrap(doc)
    return isinstance(inner, dict) and "ResourceTagMappingList" in inner


def is_config_export(doc: object) -> bool:
    """AWS Config configuration items in any of the shapes this module reads."""
    inner, _ = unwrap(doc)
    if isinstance(inner, list):
        return bool(inner) and all(_is_item(x) for x in inner[:3])
    if not isinstance(inner, dict):
        return False
    if _is_item(inner) or isinstance(inner.get("configurationItem"), dict):
        return True
    return ("Results" in inner and "QueryInfo" in inner) or "configurationItems" in inner or "resourceIdentifiers" in inner


@dataclass
class _Item:
    """One resource read from an export, before flows are resolved."""

    doc: Mapping[str, Any]
    where: str
    address: str
    config_type: str | None
    region: str | None
    tags: dict[str, str]
    has_configuration: bool
    account: str | None = None


def _bad(path: Path, where: str, message: str) -> InputError:
    return InputError(message, f"{path}:{where}")


def _list(path: Path, node: object, where: str) -> list[Any]:
    if not isinstance(node, list):
        raise _bad(path, where, f"expected a list, got {type(node).__name__}")
    return node


def _tagging_items(path: Path, doc: Mapping[str, Any], base: str) -> list[_Item]:
    items = []
    where = f"{base}.ResourceTagMappingList"
    for i, m in enumerate(_list(path, doc["ResourceTagMappingList"], where)):
        w = f"{where}[{i}]"
        if not isinstance(m, dict) or not isinstance(m.get("ResourceARN"), str) or parse_arn(m["ResourceARN"]) is None:
            raise _bad(path, w, "expected an object with a ResourceARN (an ARN)")
        if "Tags" in m and not isinstance(m["Tags"], list):
            raise _bad(path, f"{w}.Tags", "expected a list of {Key, Value}")
        items.append(_Item(m, w, m["ResourceARN"], None, None, tags_of(m.get("Tags", [])), False))
    return items


def _arn_in(configuration: object) -> str | None:
    """The resource's own ARN among its configuration's top-level fields (``Arn``, ``dbclusterArn``...)."""
    if isinstance(configuration, dict):
        for k, v in configuration.items():
            if k.lower().endswith("arn") and isinstance(v, str) and parse_arn(v) is not None:
                return v
    return None


def _item_tags(path: Path, ci: Mapping[str, Any], where: str) -> dict[str, str]:
    tags = ci.get("tags")
    if tags is None:  # a select result: the tags are in the configuration, as the service gives them
        conf, sup = ci.get("configuration"), ci.get("supplementaryConfiguration")
        tags = next((x[k] for x in (conf, sup) if isinstance(x, dict) for k in ("Tags", "tags", "tagList", "TagList")
                     if isinstance(x.get(k), (dict, list))), None)
    elif not isinstance(tags, (dict, list)):
        raise _bad(path, f"{where}.tags", "expected an object or a list of {key, value}")
    return tags_of(tags or {})


def _config_item(path: Path, ci: object, where: str, select: bool = False) -> _Item:
    if not isinstance(ci, dict):
        raise _bad(path, where, "expected an AWS Config configuration item (an object)")
    rtype = ci.get("resourceType")
    arn = ci.get("arn") or ci.get("ARN")
    if rtype is None and select:
        arn = arn or _arn_in(ci.get("configuration"))
        if arn is None:
            raise _bad(path, where, "a select result without resourceType needs the resource's ARN "
                       "(select arn, resourceType, awsRegion, tags)")
    elif not isinstance(rtype, str):
        raise _bad(path, where, "expected an AWS Config configuration item with a resourceType")
    rid = ci.get("resourceId")
    if arn is not None and (not isinstance(arn, str) or parse_arn(arn) is None):
        raise _bad(path, f"{where}.arn", f"expected an ARN, got {arn!r}")
    if arn is None and not isinstance(rid, str):
        raise _bad(path, where, "a configuration item needs an arn or a resourceId")
    if arn is None and isinstance(rid, str) and parse_arn(rid) is not None:
        arn = rid
    region = ci.get("awsRegion")
    if region is not None and not isinstance(region, str):
        raise _bad(path, f"{where}.awsRegion", f"expected a region name, got {region!r}")
    account = ci.get("accountId") or ci.get("awsAccountId")
    address = arn or f"{rtype}/{account or '?'}/{region or '?'}/{rid}"
    return _Item(ci, where, address, rtype, region, _item_tags(path, ci, where),
                 isinstance(ci.get("configuration"), dict), str(account) if account else None)


def _config_items(path: Path, doc: object, base: str) -> list[_Item]:
    if isinstance(doc, list):
        return [_config_item(path, ci, f"{base}[{i}]") for i, ci in enumerate(doc)]
    assert isinstance(doc, dict)
    if "configurationItem" in doc and isinstance(doc["configurationItem"], dict):
        return [_config_item(path, doc["configurationItem"], f"{base}.configurationItem")]
    if "configurationItems" in doc:
        where = f"{base}.configurationItems"
        return [_config_item(path, ci, f"{where}[{i}]") for i, ci in enumerate(_list(path, doc["configurationItems"], where))]
    if "Results" in doc:
        where = f"{base}.Results"
        out = []
        for i, text in enumerate(_list(path, doc["Results"], where)):
            try:
                ci = json.loads(text) if isinstance(text, str) else text
            except json.JSONDecodeError as exc:
                raise _bad(path, f"{where}[{i}]", f"not valid JSON inside the result string: {exc.msg} at column {exc.colno}") from None
            out.append(_config_item(path, ci, f"{where}[{i}]", select=True))
        return out
    if "resourceIdentifiers" in doc:
        where = f"{base}.resourceIdentifiers"
        return [_config_item(path, ci, f"{where}[{i}]") for i, ci in enumerate(_list(path, doc["resourceIdentifiers"], where))]
    return [_config_item(path, doc, base)]


def items_to_resources(ctx: ReadContext, items: list[_Item], *, label: str, source: SourceKind, read: str,
                       evidence_of: str, location: Location | None) -> list[Resource]:
    """Resources from export items (also used by the live scan's aggregated inventories):
    later items of the same ARN replace earlier ones (history is oldest first); flows are
    read from each configuration item, S3 destinations placed with the buckets read."""
    latest: dict[str, _Item] = {}
    for it in items:
        latest[it.address] = it
    buckets = {parse_arn(a).resource_id: (it.region or "").lower()  # type: ignore[union-attr]
               for a, it in latest.items() if it.config_type == "AWS::S3::Bucket" and parse_arn(a) and it.region}
    out = []
    for address, it in latest.items():
        rtype, _ = terraform_type(ctx.catalog, parse_arn(address), it.config_type)
        if it.has_configuration:
            own = (it.region or "").lower() or None
            flows = read_flows(it.doc, rtype, CONFIG, own, buckets)
        else:
            flows = [unread_copies(rtype, read)] if can_copy(rtype) else []
        out.append(make_resource(ctx.catalog, address=address, input_label=label, source=source, region=it.region,
                                 evidence=(f"{evidence_of} {it.where}",), tags=it.tags, config_type=it.config_type,
                                 flows=flows, account=it.account, location=location))
    return out


@dataclass
class AwsExportSource:
    """A saved AWS inventory file."""

    path: Path
    doc: object
    kind: SourceKind = SourceKind.INVENTORY
    input: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.input = self.input or str(self.path)

    def read(self, ctx: ReadContext) -> SourceOutput:
        inner, base = unwrap(self.doc)
        problems: list[Problem] = []
        if is_tagging_export(self.doc):
            assert isinstance(inner, dict)
            items, read, what = _tagging_items(self.path, inner, base), TAGGING, "tagging API get-resources export"
            if inner.get("PaginationToken"):
                problems.append(Problem("aws-export-partial", "the export has a PaginationToken: it holds one page, "
                                        "resources on later pages are missing", f"{self.path}:{base}.PaginationToken"))
        else:
            items, read, what = _config_items(self.path, inner, base), "AWS Config", "AWS Config export"
        resources = items_to_resources(ctx, items, label=self.input, source=SourceKind.INVENTORY, read=read,
                                       evidence_of=str(self.path), location=Location(str(self.path)))
        times = sorted(str(it.doc["configurationItemCaptureTime"]) for it in items
                       if isinstance(it.doc.get("configurationItemCaptureTime"), str))
        fresh = f" (captured up to {times[-1]})" if times else ""
        return SourceOutput(resources=resources, problems=problems,
                            notes=[f"aws: {self.path} read as an {what}, {len(resources)} resources{fresh}"])


_WRAPPED = frozenset({"status_code", "data"})
_CONFIG_KEYS = frozenset({"configurationItem", "configurationItems", "resourceIdentifiers"})


def sniff_tagging(peek: Peek) -> bool:
    """Registry sniffer: the tagging API's ``get-resources`` output."""
    keys = peek.keys
    if keys is None:
        return False
    return "ResourceTagMappingList" in keys or (_WRAPPED <= keys and is_tagging_export(peek.doc))


def sniff_config(peek: Peek) -> bool:
    """Registry sniffer: AWS Config configuration items."""
    keys = peek.keys
    if keys is not None and not (_WRAPPED <= keys or "resourceType" in keys or keys & _CONFIG_KEYS
                                 or {"Results", "QueryInfo"} <= keys):
        return False
    return is_config_export(peek.doc)


def make(path: Path, peek: Peek) -> AwsExportSource:
    """The source of a file the registry recognised as an AWS export."""
    return AwsExportSource(path, peek.doc)
