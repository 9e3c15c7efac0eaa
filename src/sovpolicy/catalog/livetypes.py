"""Live resource types (``live_types/<cloud>.yaml``): how a cloud's own type names and
properties map to Terraform's vocabulary, so policies and flow rules have one vocabulary.

One file per cloud. Each entry names a live type (an ARM type such as
``Microsoft.Storage/storageAccounts``; matched without case, as ARM does), its Terraform
type, and optionally:

* ``attributes``: Terraform attribute paths filled from the live object's properties
  (``account_replication_type`` from ``sku.name``), so the flow rules of ``flows.yaml``
  apply to live resources as they do to plans;
* ``read``: the API version to read one resource with when a list does not return the
  properties the attributes need;
* ``children``: child collections to list under each resource (SQL failover groups);
* ``locates``: properties that name other resources together with their location (a
  failover group's partner servers), used when the named resource is not in the input.

The file may also carry ``environments``: the cloud's sovereign environments, the SDK's
name for each (its endpoints come from the SDK) and the catalog regions each one holds.
Nothing here reads an input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import CatalogError
from ..model import SourceRef

SourceOf = Callable[[dict[str, Any], str], SourceRef]


@dataclass(frozen=True)
class AttributeMap:
    """One Terraform attribute filled from a live property.

    Attributes:
        terraform: Terraform attribute path; one ``[]`` step makes a list of blocks
            (``geo_location[].location``).
        sources: live property paths tried in order (``properties.locations[].locationName``);
            the ``[]`` step walks the same list as the Terraform path's.
        after: keep the text after the first occurrence of this separator
            (``Standard_GRS`` -> ``GRS``), or None.
        region: the value is a location name, normalised as regions are.
    """

    terraform: str
    sources: tuple[str, ...]
    after: str | None = None
    region: bool = False


@dataclass(frozen=True)
class Child:
    """A child collection listed under each resource of a type (``failoverGroups``)."""

    segment: str
    api_version: str


@dataclass(frozen=True)
class Locator:
    """A list property that names resources by ID and says where each is (``id`` and
    ``location`` paths with the same ``[]`` step)."""

    id: str
    location: str


@dataclass(frozen=True)
class LiveType:
    """One live type and its Terraform counterpart."""

    live: str
    terraform: str
    attributes: tuple[AttributeMap, ...] = ()
    read_api_version: str | None = None
    children: tuple[Child, ...] = ()
    locates: tuple[Locator, ...] = ()
    source: SourceRef | None = None


@dataclass(frozen=True)
class Environment:
    """A sovereign environment of a cloud (Azure public, US Government, China; Bleu).

    Attributes:
        id: the name users give (``AzureCloud``).
        sdk: the SDK's name for it (``AZURE_PUBLIC_CLOUD``), which picks the endpoints; None
            when the SDK does not know it (a scan then needs the endpoint given).
        regions: the catalog regions it holds; ``("*",)`` for every region of its cloud that
            no other environment claims.
        cloud: the catalog cloud its resources are placed in (Bleu is its own cloud, not Azure).
    """

    id: str
    name: str
    sdk: str | None
    regions: tuple[str, ...]
    source: SourceRef
    cloud: str = ""


@dataclass(frozen=True)
class LiveTypes:
    """The live types of one cloud, looked up without case."""

    cloud: str
    types: Mapping[str, LiveType] = field(default_factory=dict)
    environments: Mapping[str, Environment] = field(default_factory=dict)

    def get(self, live_type: str) -> LiveType | None:
        """The entry for ``live_type`` (any case), or None when it is not mapped."""
        return self.types.get(live_type.lower())

    def environment_regions(self, env_id: str, all_regions: frozenset[str]) -> frozenset[str]:
        """The catalog regions of environment ``env_id`` (``*``: those no other one claims)."""
        env = self.environments[env_id]
        if "*" not in env.regions:
            return frozenset(env.regions)
        claimed = {r for e in self.environments.values() if "*" not in e.regions for r in e.regions}
        return all_regions - claimed

    def cloud_of(self, region: str) -> str:
        """The catalog cloud of a location ARM gives: that of the environment holding it when
        that environment is another cloud (``bleufrancecentral`` -> ``bleu``), else this one."""
        for e in self.environments.values():
            if e.cloud != self.cloud and region in e.regions:
                return e.cloud
        return self.cloud


def build_live_types(docs: list[tuple[str, dict[str, Any]]], source: SourceOf,
                     regions: Mapping[str, frozenset[str]]) -> dict[str, LiveTypes]:
    """Index the ``live_types/<cloud>.yaml`` documents (later ones replace earlier entries).

    Args:
        docs: ``(path, document)`` in override order.
        source: turns an item's ``source``/``as_of`` into a :class:`SourceRef` (raises on
            an unknown source).
        regions: each catalog cloud's region codes, to check environments against.
    """
    types: dict[str, dict[str, LiveType]] = {}
    envs: dict[str, dict[str, Environment]] = {}
    for path, doc in docs:
        cloud = str(doc.get("cloud"))
        if cloud not in regions:
            raise CatalogError(f"live types for unknown cloud {cloud!r}", path)
        for i, item in enumerate(doc.get("types") or []):
            where = f"{path}: $.types[{i}]"
            attrs = tuple(AttributeMap(a["terraform"], tuple(a["from"]) if isinstance(a["from"], list) else (a["from"],),
                                       a.get("after"), bool(a.get("region"))) for a in item.get("attributes") or [])
            for a in attrs:
                if a.terraform.count("[]") > 1 or any(s.count("[]") != a.terraform.count("[]") for s in a.sources):
                    raise CatalogError(f"attribute {a.terraform!r}: at most one [] step, the same in every path", where)
            children = tuple(Child(c["segment"], c["api_version"]) for c in item.get("children") or [])
            read = (item.get("read") or {}).get("api_version")
            locates = tuple(Locator(x["id"], x["location"]) for x in item.get("locates") or [])
            for x in locates:
                if x.id.count("[]") != 1 or x.location.count("[]") != 1 or x.id.split("[]")[0] != x.location.split("[]")[0]:
                    raise CatalogError(f"locates {x.id!r}: id and location must walk the same list (one [] step)", where)
            types.setdefault(cloud, {})[item["live"].lower()] = LiveType(
                item["live"], item["terraform"], attrs, read, children, locates, source(item, where))
        for i, item in enumerate(doc.get("environments") or []):
            where = f"{path}: $.environments[{i}]"
            env_cloud = str(item.get("cloud") or cloud)
            if env_cloud not in regions:
                raise CatalogError(f"environment of unknown cloud {env_cloud!r}", where)
            for r in item["regions"]:
                if r != "*" and r not in regions[env_cloud]:
                    raise CatalogError(f"region {r!r} is not a region of cloud {env_cloud!r}", where)
            envs.setdefault(cloud, {})[item["id"]] = Environment(
                item["id"], item["name"], item.get("sdk"), tuple(item["regions"]), source(item, where), env_cloud)
    return {c: LiveTypes(c, types.get(c, {}), envs.get(c, {})) for c in set(types) | set(envs)}
