"""Offline Azure inventories, recognised by content (no SDK import).

* **ARM list** (``azure-arm``): a management API list response, ``{"value": [...],
  "nextLink": ...}`` (``az rest``, saved API responses, ``az group list`` data);
* **Resource Graph** (``azure-graph``): a Resource Graph response or ``az graph query``
  output, objects (``"data": [...]``) or the table format (``"data": {"columns", "rows"}``);
* **Azure CLI** (``azure-cli``): ``az resource list`` output, a list of resource objects;
* **PowerShell** (``azure-powershell``): ``Get-AzResource | ConvertTo-Json``, PascalCase keys
  (``ResourceId``, ``ResourceType``, ``Location``), extension resources nested under
  ``resources``.

A page that says more exists (``nextLink``, a skip token) or a Resource Graph result that
holds fewer rows than its count is read and reported incomplete (a problem, exit 3):
resources not in the file cannot be checked. A malformed export is an
:class:`~sovpolicy.errors.InputError` naming the file and the place (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..errors import InputError
from ..model import Location, Problem, Resource, SourceKind
from .azure_arm import ArmObject, AzureReader, table_rows

#: PowerShell property -> ARM key
_PWSH = {"ResourceId": "id", "ResourceType": "type", "Location": "location", "Tags": "tags", "Sku": "sku",
         "Kind": "kind", "Properties": "properties", "Name": "name", "ResourceGroupName": "resourceGroup"}


def _is_arm_id(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith("/subscriptions/")


def _arm_item(item: object) -> bool:
    return isinstance(item, Mapping) and _is_arm_id(item.get("id")) and "type" in item


def sniff_arm(doc: object) -> bool:
    """An ARM list response: ``{"value": [resource objects]}``."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("value"), list):
        return False
    items = doc["value"]
    return (not items and "nextLink" in doc) or (bool(items) and _arm_item(items[0]))


def sniff_graph(doc: object) -> bool:
    """A Resource Graph response (objects or table) or ``az graph query`` output."""
    if not isinstance(doc, Mapping) or "data" not in doc:
        return False
    if not any(k in doc for k in ("totalRecords", "total_records", "count", "$skipToken", "skip_token")):
        return False
    data = doc["data"]
    return isinstance(data, list) or (isinstance(data, Mapping) and "columns" in data and "rows" in data)


def sniff_cli(doc: object) -> bool:
    """``az resource list`` output: a list of resource objects with ``id`` and ``type``."""
    return isinstance(doc, list) and bool(doc) and _arm_item(doc[0])


def sniff_powershell(doc: object) -> bool:
    """``Get-AzResource | ConvertTo-Json``: one object or a list with ``ResourceId`` and ``ResourceType``."""
    first = doc[0] if isinstance(doc, list) and doc else doc
    return isinstance(first, Mapping) and "ResourceId" in first and "ResourceType" in first


#: top-level keys that make a document worth decoding for each format (None: a list)
_KEYS: dict[str, Callable[[frozenset[str]], bool]] = {
    "azure-arm": lambda k: "value" in k,
    "azure-graph": lambda k: "data" in k,
    "azure-cli": lambda k: False,
    "azure-powershell": lambda k: "ResourceId" in k and "ResourceType" in k,
}


def sniff_peek(fmt: str, keys: frozenset[str] | None, doc: Callable[[], object]) -> bool:
    """Whether a JSON file is of export format ``fmt``: its top-level ``keys`` (None when it
    is a list) decide whether the whole ``doc()`` is decoded."""
    if keys is not None and not _KEYS[fmt](keys):
        return False
    return dict(FORMATS)[fmt](doc())


FORMATS = (("azure-arm", sniff_arm), ("azure-graph", sniff_graph), ("azure-cli", sniff_cli),
           ("azure-powershell", sniff_powershell))


def detect(doc: object) -> str | None:
    """The export format of a decoded document, or None when it is none of them."""
    return next((name for name, sniff in FORMATS if sniff(doc)), None)


def _check(obj: object, where: str, label: str) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        raise InputError("expected a resource object", f"{label}:{where}")
    if not _is_arm_id(obj.get("id")):
        raise InputError("a resource needs an 'id' that is an Azure resource ID (/subscriptions/...)", f"{label}:{where}")
    if not isinstance(obj.get("type"), str) or not obj["type"]:
        raise InputError("a resource needs a 'type'", f"{label}:{where}")
    loc = obj.get("location")
    if loc is not None and not isinstance(loc, str):
        raise InputError("'location' must be a string", f"{label}:{where}.location")
    tags = obj.get("tags")
    if tags is not None and not isinstance(tags, Mapping):
        raise InputError("'tags' must be an object", f"{label}:{where}.tags")
    return dict(obj)


def _powershell(item: object, where: str, label: str, out: list[ArmObject]) -> None:
    if not isinstance(item, Mapping):
        raise InputError("expected a Get-AzResource object", f"{label}:{where}")
    obj = {arm: item[ps] for ps, arm in _PWSH.items() if ps in item}
    obj["id"] = obj.get("id") or item.get("Id")
    if item.get("ExtensionResourceType"):  # an extension resource: ResourceType is its target's
        obj["type"] = item["ExtensionResourceType"]
    out.append(ArmObject(_check(obj, where, label), f"{label}:{where}"))
    nested = item.get("resources") or item.get("Resources") or []
    if not isinstance(nested, list):
        raise InputError("'resources' must be a list", f"{label}:{where}.resources")
    for i, child in enumerate(nested):
        _powershell(child, f"{where}.resources[{i}]", label, out)


def decode(doc: object, label: str) -> tuple[str, list[ArmObject], list[Problem]]:
    """The format, ARM objects and completeness problems of an export.

    Raises:
        InputError: the document is no Azure export, or one of its resources is malformed.
    """
    fmt = detect(doc)
    out: list[ArmObject] = []
    problems: list[Problem] = []
    if fmt == "azure-arm":
        assert isinstance(doc, Mapping)
        out = [ArmObject(_check(o, f"$.value[{i}]", label), f"{label}:$.value[{i}]") for i, o in enumerate(doc["value"])]
        if doc.get("nextLink"):
            problems.append(Problem("incomplete", "ARM list page: its nextLink says more resources exist, which are not in "
                                    "this file (save every page)", f"{label}:$.nextLink"))
    elif fmt == "azure-graph":
        assert isinstance(doc, Mapping)
        data = doc["data"]
        if isinstance(data, list):
            rows = [(o, f"$.data[{i}]") for i, o in enumerate(data)]
        else:
            try:
                rows = table_rows(data, "$.data")
            except TypeError as e:
                where, _, msg = str(e).partition(": ")
                raise InputError(msg, f"{label}:{where}") from None
        out = [ArmObject(_check(o, w, label), f"{label}:{w}") for o, w in rows]
        total = doc.get("totalRecords", doc.get("total_records"))
        token = doc.get("$skipToken") or doc.get("skip_token") or doc.get("skipToken")
        if token:
            problems.append(Problem("incomplete", "Resource Graph page: its skip token says more results exist, which are "
                                    "not in this file", f"{label}:$.$skipToken"))
        elif isinstance(total, int) and total > len(out):
            problems.append(Problem("incomplete", f"Resource Graph result holds {len(out)} of its {total} records: the rest "
                                    "are not in this file", f"{label}:$.totalRecords"))
        elif doc.get("resultTruncated") in (True, "true"):
            problems.append(Problem("incomplete", "Resource Graph result is truncated", f"{label}:$.resultTruncated"))
    elif fmt == "azure-cli":
        assert isinstance(doc, list)
        out = [ArmObject(_check(o, f"$[{i}]", label), f"{label}:$[{i}]") for i, o in enumerate(doc)]
    elif fmt == "azure-powershell":
        for i, item in enumerate(doc if isinstance(doc, list) else [doc]):
            _powershell(item, f"$[{i}]" if isinstance(doc, list) else "$", label, out)
    else:
        raise InputError("not an Azure export (expected an ARM list, a Resource Graph result, az resource list or "
                         "Get-AzResource output)", label)
    return fmt, out, problems


def read_export(path: Path, doc: object, catalog: Catalog, label: str | None = None) -> tuple[list[Resource], list[Problem], list[str]]:
    """The resources of one saved Azure inventory, its problems and a note naming the format."""
    label = label if label is not None else str(path)
    fmt, objects, problems = decode(doc, label)
    resources, more = AzureReader(catalog, kind=SourceKind.INVENTORY, input=label, location=Location(label)).read(objects)
    return resources, problems + more, [f"{label}: Azure {_NAMES[fmt]} export, {len(resources)} resources"]


_NAMES = {"azure-arm": "ARM list", "azure-graph": "Resource Graph", "azure-cli": "az resource list",
          "azure-powershell": "Get-AzResource"}


@dataclass
class AzureExportSource:
    """A saved Azure inventory behind the sources door."""

    path: Path
    doc: object
    kind: SourceKind = SourceKind.INVENTORY

    @property
    def input(self) -> str:
        """The label stamped on every resource: the path as given."""
        return str(self.path)

    def read(self, ctx: Any) -> Any:
        from .base import SourceOutput

        resources, problems, notes = read_export(self.path, self.doc, ctx.catalog, self.input)
        return SourceOutput(resources=resources, problems=problems, notes=notes)


def source_for(path: Path, doc: object) -> AzureExportSource:
    """The source of one Azure export file (registry entry point)."""
    return AzureExportSource(path, doc)
