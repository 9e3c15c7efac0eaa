"""Load the versioned fact catalog (YAML under ``catalog/data/``) into typed objects.

Every fact carries a ``source`` (an id from ``sources.yaml``) and an ``as_of`` date.
The built-in files are validated against ``schema.json`` by ``sovpolicy catalog check``
and by the tests; files a user adds with ``--catalog DIR`` are validated on every load,
since nothing else has checked them. Users' entries replace built-in ones with the same
id (a region: same cloud and code; a provider: same source address).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import CatalogError
from ..model import Adequacy, Certification, Entity, Law, SourceRef
from ..yamlutil import json_path, load_yaml
from .flowrules import CopyShapes, FlowCatalog, build_flow_catalog
from .legal import Decision, Implication, build_decisions, build_implications, build_schemes
from .livetypes import LiveTypes, build_live_types
from .paths import DATA_DIR as DATA_DIR  # where the built-in catalog is, for the tests and tools
from .paths import SCHEMA_PATH, data_dir
from .providers import (
    AS_WRITTEN,
    DEFAULT_TAG_ATTRIBUTES,
    GlobalTypes,
    ProviderInfo,
    RegionSpelling,
    Universe,
    _check_pattern,
    _paths,
    _spellings,
)
from .schemes import Scheme, ScopeCondition, with_scheme_dates
from .services import Service, build_services

_MISSING = object()

#: file name (without .yaml) -> $defs entry of schema.json
FILE_KINDS = {
    "catalog": "catalog",
    "sources": "sources",
    "countries": "countries",
    "laws": "laws",
    "entities": "entities",
    "providers": "providers",
    "global_types": "global_types",
    "certifications": "certifications",
    "schemes": "schemes",
    "classes": "classes",
    "decisions": "decisions",
    "services": "services",
    "flows": "flows",
}


@dataclass(frozen=True)
class Region:
    """A region of a cloud: code, name, country, city, partition and operator override."""

    cloud: str
    code: str
    name: str | None
    country: str | None
    city: str | None
    partition: str | None
    operator: str | None
    source: SourceRef


@dataclass(frozen=True)
class Cloud:
    """A cloud (one ``clouds/<id>.yaml``): default operator and regions by code."""

    id: str
    name: str
    operator: str | None
    regions: Mapping[str, Region]


@dataclass
class Catalog:
    """The whole catalog, indexed for resolution. Build it with :func:`load_catalog`."""

    version: str
    as_of: dt.date
    sources: dict[str, SourceRef]
    eea: frozenset[str]
    eea_source: SourceRef
    countries: dict[str, str]
    laws: dict[str, Law]
    entities: dict[str, Entity]
    clouds: dict[str, Cloud]
    providers: dict[str, ProviderInfo]
    global_types: list[GlobalTypes]
    certifications: list[Certification]
    adequacy: dict[str, Adequacy] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    digest: str = ""
    """SHA-256 of the catalog's content (:func:`content_digest`), shown in every report."""
    _lookups: dict[str, ProviderInfo | None] = field(default_factory=dict, repr=False, compare=False)
    flows: FlowCatalog = field(default_factory=FlowCatalog)
    """Data flows (``flows.yaml``): flow and propagation rules, region pairs, location groups."""
    schemes: dict[str, Scheme] = field(default_factory=dict)
    """Certification schemes (``schemes.yaml``): validity periods and referential transitions."""
    conditions: dict[str, ScopeCondition] = field(default_factory=dict)
    """Scope conditions a project confirms (``schemes.yaml``: ``conditions``)."""
    implications: dict[str, tuple[Implication, ...]] = field(default_factory=dict)
    """Data class -> the classes it implies (``classes.yaml``)."""
    decisions: dict[str, Decision] = field(default_factory=dict)
    """Decisions that authorise exceptions, by id (``decisions.yaml``)."""
    services: dict[str, Service] = field(default_factory=dict)
    """Kinds of service and their types per cloud (``services.yaml``)."""
    live_types: dict[str, LiveTypes] = field(default_factory=dict)
    """Live resource types by cloud (``live_types/<cloud>.yaml``)."""
    spellings: dict[str, RegionSpelling] = field(default_factory=dict)
    """Cloud id -> how its region names are spelled (from its providers' ``region_spelling``)."""
    _known_names: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    _global: dict[tuple[str | None, str], bool] = field(default_factory=dict, repr=False, compare=False)

    def is_global_type(self, cloud: str | None, rtype: str) -> bool:
        """True when ``rtype`` belongs to a global service of ``cloud`` (no region)."""
        hit = self._global.get((cloud, rtype))
        if hit is None:
            hit = self._global[(cloud, rtype)] = any(g.cloud == cloud and rtype.startswith(g.prefixes)
                                                     for g in self.global_types)
        return hit

    def normalise_region(self, cloud: str | None, text: str) -> str:
        """Spell a region as the catalog does: ``("azure", "France Central")`` -> ``francecentral``,
        ``("google", "EUROPE-WEST9")`` -> ``europe-west9``; other clouds' names as written."""
        spelling = self.spellings.get(cloud or "")
        if spelling is None:
            return text
        known = self._known_names.get(cloud or "")
        if known is None:
            c = self.clouds.get(cloud or "")
            names = [g.code for (gc, _), g in self.flows.groups.items() if gc == cloud] + list(c.regions if c else ())
            known = self._known_names[cloud or ""] = {n.casefold(): n for n in names}
        return spelling.apply(text, known)

    def provider(self, address: str) -> ProviderInfo | None:
        """Look up a provider by any spelling Terraform uses.

        Args:
            address: ``registry.terraform.io/hashicorp/aws``, ``hashicorp/aws`` or, in old
                plans, the bare local name ``aws`` (then ``hashicorp/<name>`` is assumed).
        """
        hit = self._lookups.get(address, _MISSING)
        if hit is _MISSING:
            hit = self._lookups[address] = self.providers.get(provider_key(address))
        return hit  # type: ignore[return-value]

    def parent_chain(self, entity_id: str | None) -> tuple[Entity, ...]:
        """The parents of an entity, nearest first (cycles stop the walk)."""
        chain: list[Entity] = []
        seen = {entity_id}
        current = self.entities.get(entity_id) if entity_id else None
        while current is not None and current.parent and current.parent not in seen:
            seen.add(current.parent)
            parent = self.entities.get(current.parent)
            if parent is None:
                break
            chain.append(parent)
            current = parent
        return tuple(chain)


def provider_key(address: str) -> str:
    """Normalise a provider address to ``namespace/type``.

    ``registry.terraform.io/hashicorp/aws``, ``registry.opentofu.org/hashicorp/aws`` and
    ``hashicorp/aws`` give ``hashicorp/aws``; the bare local name of format 0.1 plans
    (``aws``) gives ``hashicorp/aws``; ``terraform.io/builtin/terraform`` gives
    ``builtin/terraform``.
    """
    parts = address.strip().lower().split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else f"hashicorp/{parts[0]}"


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CatalogError(f"expected a date YYYY-MM-DD, got {value!r}", where)


def _opt_date(value: Any, where: str) -> dt.date | None:
    return None if value is None else _date(value, where)


def _read_yaml(path: Path) -> Any:
    return load_yaml(path, CatalogError, nodes=False)[0]


@lru_cache(maxsize=1)
def catalog_schema() -> dict[str, Any]:
    """The catalog's JSON Schema (``catalog/schema.json``) as a dict."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_file(path: Path, kind: str, doc: Any) -> None:
    """Validate one catalog document against its ``$defs`` entry of ``schema.json``.

    Raises:
        CatalogError: naming the file and the JSON path of the first error.
    """
    import jsonschema

    schema = dict(catalog_schema())
    schema["$ref"] = f"#/$defs/{kind}"
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        raise CatalogError(f"{json_path(list(err.absolute_path))}: {err.message}", str(path))


def _kind_of(path: Path, root: Path) -> str:
    if path.parent.name == "clouds":
        return "cloud"
    if path.parent.name == "live_types":
        return "live_types"
    kind = FILE_KINDS.get(path.stem)
    if kind is None:
        raise CatalogError("unknown catalog file (expected one of: " + ", ".join(sorted(FILE_KINDS)) + ", clouds/<id>.yaml)", str(path))
    return kind


def _catalog_files(root: Path) -> list[Path]:
    files = sorted(p for p in root.glob("*.yaml"))
    files += sorted((root / "clouds").glob("*.yaml"))
    files += sorted((root / "live_types").glob("*.yaml"))
    return files


def read_documents(dirs: Iterable[Path], validate: bool | None = None) -> list[tuple[Path, str, Any]]:
    """Read every catalog file of ``dirs`` (built-in first), validating as asked.

    Args:
        dirs: catalog directories in override order.
        validate: True to validate all, False none, None to validate all but the
            built-in directory.
    """
    docs = []
    for root in dirs:
        if not root.is_dir():
            raise CatalogError("catalog directory not found", str(root))
        for path in _catalog_files(root):
            kind = _kind_of(path, root)
            doc = _read_yaml(path)
            must = validate if validate is not None else root.resolve() != data_dir().resolve()
            if must:
                validate_file(path, kind, doc)
            docs.append((path, kind, doc))
    return docs


class _Builder:
    """Turns validated documents into a :class:`Catalog`, checking references."""

    def __init__(self) -> None:
        self.meta: dict[str, Any] = {}
        self.raw_sources: dict[str, dict[str, Any]] = {}
        self.countries_doc: dict[str, Any] = {}
        self.raw: dict[str, dict[Any, tuple[Path, dict[str, Any]]]] = {
            "laws": {}, "entities": {}, "providers": {}, "certifications": {}, "global_types": {}, "schemes": {},
            "conditions": {}, "classes": {}, "decisions": {}, "services": {},
            "flow_rules": {}, "propagation": {}, "region_pairs": {}, "unpaired": {}, "location_groups": {},
        }
        self.clouds: dict[str, tuple[Path, dict[str, Any]]] = {}
        self.sources: dict[str, SourceRef] = {}
        self.live_docs: list[tuple[str, dict[str, Any]]] = []
        self.copy_shapes = CopyShapes()

    def add(self, path: Path, kind: str, doc: Any) -> None:
        if not isinstance(doc, dict):
            raise CatalogError("expected a mapping at the top of the file", str(path))
        if kind == "catalog":
            self.meta.update(doc)
        elif kind == "sources":
            self.raw_sources.update(doc.get("sources") or {})
        elif kind == "countries":
            if "eea" in doc:
                self.countries_doc["eea"] = doc["eea"]
            self.countries_doc.setdefault("countries", {}).update(doc.get("countries") or {})
            for i, item in enumerate(doc.get("adequacy") or []):
                self.countries_doc.setdefault("adequacy", {})[item["country"]] = {**item, "_where": f"{path}: $.adequacy[{i}]"}
        elif kind == "cloud":
            cloud_id = doc.get("cloud")
            if cloud_id != path.stem:
                raise CatalogError(f"cloud {cloud_id!r} does not match the file name", str(path))
            if cloud_id in self.clouds:
                old_path, old = self.clouds[cloud_id]
                merged = {r["code"]: r for r in old.get("regions") or []}
                merged.update({r["code"]: r for r in doc.get("regions") or []})
                doc = {**old, **doc, "regions": list(merged.values())}
            self.clouds[cloud_id] = (path, doc)
        elif kind == "flows":
            self._add_flows(path, doc)
        elif kind == "schemes":
            for table in ("schemes", "conditions"):
                for i, item in enumerate(doc.get(table) or []):
                    self.raw[table][item["id"]] = (path, {**item, "_where": f"{path}: $.{table}[{i}]"})
        elif kind == "live_types":
            self.live_docs.append((str(path), doc))
        else:
            key_field = {"providers": "provider", "global_types": "cloud"}.get(kind, "id")
            for i, item in enumerate(doc.get(kind) or []):
                key = item.get(key_field)
                self.raw[kind][key] = (path, {**item, "_where": f"{path}: $.{kind}[{i}]"})

    def _add_flows(self, path: Path, doc: dict[str, Any]) -> None:
        """Index ``flows.yaml`` entries; a later directory's entry replaces one with the same
        key (rule id; cloud and region; cloud and code). A key twice in one file is an error."""
        def put(table: str, key: Any, item: dict[str, Any], where: str) -> None:
            if key in seen[table]:
                raise CatalogError(f"{table.replace('_', ' ')} {key!r} is defined twice in this file", where)
            seen[table].add(key)
            self.raw[table][key] = (path, {**item, "_where": where})

        seen: dict[str, set[Any]] = {t: set() for t in ("flow_rules", "propagation", "region_pairs", "unpaired", "location_groups")}
        for i, item in enumerate(doc.get("flows") or []):
            put("flow_rules", item["id"], item, f"{path}: $.flows[{i}]")
        for i, item in enumerate(doc.get("propagation") or []):
            put("propagation", item["id"], item, f"{path}: $.propagation[{i}]")
        for i, table in enumerate(doc.get("region_pairs") or []):
            meta = {"source": table.get("source"), "as_of": table.get("as_of")}
            for j, pair in enumerate(table.get("pairs") or []):
                put("region_pairs", (table["cloud"], pair["region"]), {**meta, **pair},
                    f"{path}: $.region_pairs[{i}].pairs[{j}]")
            for j, region in enumerate(table.get("unpaired") or []):
                put("unpaired", (table["cloud"], region), dict(meta), f"{path}: $.region_pairs[{i}].unpaired[{j}]")
        for i, item in enumerate(doc.get("location_groups") or []):
            put("location_groups", (item["cloud"], str(item["code"])), item, f"{path}: $.location_groups[{i}]")
        if "unruled_copies" in doc:  # a later directory's lists replace the earlier ones
            u = doc["unruled_copies"]
            self.copy_shapes = CopyShapes(tuple(u["attributes"]), tuple(u.get("not_copies") or ()),
                                          frozenset(str(v).casefold() for v in u.get("off_values") or ()))

    def source(self, item: dict[str, Any], where: str) -> SourceRef:
        sid = item.get("source")
        if not sid:
            raise CatalogError("fact without a source", where)
        base = self.sources.get(sid)
        if base is None:
            raise CatalogError(f"unknown source {sid!r} (not in sources.yaml)", where)
        if "as_of" not in item or item["as_of"] is None:
            raise CatalogError("fact without an as_of date", where)
        return SourceRef(base.id, base.title, base.url, _date(item["as_of"], where))

    def build(self, files: list[Path]) -> Catalog:
        for sid, s in self.raw_sources.items():
            where = f"sources.yaml: $.sources.{sid}"
            if not s.get("url"):
                raise CatalogError("source without a url", where)
            self.sources[sid] = SourceRef(sid, s.get("title", sid), s["url"], _date(s.get("as_of"), where))
        eea_doc = self.countries_doc.get("eea")
        if not eea_doc:
            raise CatalogError("no EEA membership list (countries.yaml: eea)")
        eea_source = self.source(eea_doc, "countries.yaml: $.eea")
        countries = {code: (v or {}).get("name", code) for code, v in self.countries_doc.get("countries", {}).items()}

        laws = {}
        for lid, (_, item) in self.raw["laws"].items():
            w = item["_where"]
            laws[lid] = Law(lid, item["name"], item["jurisdiction"], bool(item["non_eu"]), item.get("compels", ""), self.source(item, w))
        entities = {}
        for eid, (_, item) in self.raw["entities"].items():
            w = item["_where"]
            for law in item.get("laws") or []:
                if law not in laws:
                    raise CatalogError(f"unknown law {law!r}", w)
            entities[eid] = Entity(eid, item["name"], item["country"], item.get("parent"), tuple(item.get("laws") or ()),
                                   item.get("basis", "unsourced"), self.source(item, w), item.get("note"))
        for eid, ent in entities.items():
            if ent.parent and ent.parent not in entities:
                raise CatalogError(f"entity {eid!r} has unknown parent {ent.parent!r}")

        clouds = {}
        for cid, (path, doc) in self.clouds.items():
            if doc.get("operator") and doc["operator"] not in entities:
                raise CatalogError(f"unknown operator entity {doc['operator']!r}", str(path))
            regions = {}
            for i, r in enumerate(doc.get("regions") or []):
                w = f"{path}: $.regions[{i}]"
                if r.get("operator") and r["operator"] not in entities:
                    raise CatalogError(f"unknown operator entity {r['operator']!r}", w)
                regions[str(r["code"])] = Region(cid, str(r["code"]), r.get("name"), r.get("country"), r.get("city"),
                                                 r.get("partition"), r.get("operator"), self.source(r, w))
            clouds[cid] = Cloud(cid, doc.get("name", cid), doc.get("operator"), regions)

        providers = {}
        for psrc, (_, item) in self.raw["providers"].items():
            w = item["_where"]
            cloud = item.get("cloud")
            if cloud is not None and cloud not in clouds:
                raise CatalogError(f"provider {psrc!r} names unknown cloud {cloud!r}", w)
            spell = item.get("region_spelling")
            spelling = AS_WRITTEN if not spell else RegionSpelling(
                spell["case"], spell.get("remove", ""), self.source({"source": spell["source"], "as_of": item["as_of"]}, w))
            providers[provider_key(psrc)] = ProviderInfo(
                provider_key(psrc), cloud, _paths(item.get("provider_region")), tuple(item.get("resource_region") or ()),
                tuple(item.get("resource_zone") or ()), item.get("zone_pattern"), item.get("default_region"),
                spelling, self.source(item, w), bool(item.get("zone_in_region")),
                tuple(item.get("resource_regions") or ()), _paths(item.get("provider_zone")),
                frozenset(item.get("zonal_types") or ()), item.get("footprint"),
                tuple(Universe(tuple(u["attribute"]), u["value"], u["cloud"], self.source(u, w))
                      for u in item.get("universes") or ()),
                tuple((t["attribute"], t["shape"]) for t in item["tag_attributes"]) if "tag_attributes" in item
                else DEFAULT_TAG_ATTRIBUTES)
            for target in [u["cloud"] for u in item.get("universes") or ()]:
                if target not in clouds:
                    raise CatalogError(f"provider {psrc!r} names unknown universe cloud {target!r}", w)
            if item.get("footprint") and (cloud is None or item["footprint"] not in clouds[cloud].regions):
                raise CatalogError(f"footprint {item['footprint']!r} is not a region of cloud {cloud!r}", w)
            if item.get("zone_pattern"):
                _check_pattern(item["zone_pattern"], w)
        spellings = _spellings(providers)

        global_types = [GlobalTypes(item["cloud"], tuple(item.get("prefixes") or ()), item.get("note"), self.source(item, item["_where"]))
                        for _, item in self.raw["global_types"].values()]

        schemes, conditions = build_schemes(self.raw["schemes"], self.raw["conditions"], self.source)
        certs = []
        for cid, (_, item) in self.raw["certifications"].items():
            w = item["_where"]
            if item["holder"] not in entities:
                raise CatalogError(f"unknown holder entity {item['holder']!r}", w)
            cloud = item.get("cloud")
            scope = tuple(str(r) for r in item.get("regions") or ())
            if cloud is not None:
                if cloud not in clouds:
                    raise CatalogError(f"unknown cloud {cloud!r}", w)
                for r in scope:
                    if r != "*" and r not in clouds[cloud].regions:
                        raise CatalogError(f"region {r!r} is not a region of cloud {cloud!r}", w)
            for cond in item.get("conditions") or ():
                if cond not in conditions:
                    raise CatalogError(f"unknown scope condition {cond!r} (not in schemes.yaml: conditions)", w)
            certs.append(with_scheme_dates(Certification(
                cid, item["scheme"], item["holder"], cloud, item.get("offer", ""), scope,
                tuple(item.get("resource_types") or ()), item["status"], bool(item.get("regions_unlisted")),
                None if item.get("referential") is None else str(item["referential"]),
                _opt_date(item.get("since"), w), _opt_date(item.get("expires"), w), self.source(item, w), item.get("note"),
                conditions=tuple(item.get("conditions") or ())), schemes.get(item["scheme"])))

        adequacy = {c: Adequacy(c, a["decision"], a["scope"], self.source(a, a["_where"]), a.get("note"))
                     for c, a in self.countries_doc.get("adequacy", {}).items()}
        flows = build_flow_catalog(
            {t: {k: item for k, (_, item) in self.raw[t].items()}
             for t in ("flow_rules", "propagation", "region_pairs", "unpaired", "location_groups")},
            self.source, clouds, {k: p.cloud for k, p in providers.items()}, countries, frozenset(eea_doc.get("members") or ()))
        flows.copy_shapes = self.copy_shapes
        return Catalog(
            adequacy=adequacy, version=str(self.meta.get("version", "unversioned")),
            as_of=_date(self.meta.get("as_of", "1970-01-01"), "catalog.yaml: $.as_of"),
            sources=self.sources, eea=frozenset(eea_doc.get("members") or ()), eea_source=eea_source,
            countries=countries, laws=laws, entities=entities, clouds=clouds, providers=providers,
            global_types=global_types, certifications=certs, files=files, flows=flows, spellings=spellings,
            schemes=schemes, conditions=conditions, implications=build_implications(self.raw["classes"], self.source),
            decisions=build_decisions(self.raw["decisions"], self.source),
            services=build_services(self.raw["services"], self.source, clouds),
            live_types=build_live_types(self.live_docs, self.source,
                                        {c: frozenset(cl.regions) for c, cl in clouds.items()}))


def load_catalog(extra_dirs: Iterable[Path] = (), validate: bool | None = None) -> Catalog:
    """Load the built-in catalog, then each extra directory over it.

    Args:
        extra_dirs: user catalog directories (same layout as ``catalog/data``).
        validate: see :func:`read_documents`.

    Returns:
        The indexed :class:`Catalog`.

    Raises:
        CatalogError: a file is unreadable, malformed, invalid, or refers to an unknown
            source, entity, law, cloud, region, country or provider (``flows.yaml``: also a
            resource type that is not its provider's).
    """
    dirs = [data_dir(), *extra_dirs]
    docs = read_documents(dirs, validate)
    builder = _Builder()
    for path, kind, doc in docs:
        builder.add(path, kind, doc)
    catalog = builder.build([p for p, _, _ in docs])
    catalog.digest = content_digest(dirs)
    return catalog


def content_digest(dirs: Iterable[Path]) -> str:
    """SHA-256 of the catalog's content: every YAML file of each directory, in override
    order, by its path within the directory and its bytes (the same facts give the same
    digest wherever the directories are)."""
    h = hashlib.sha256()
    for i, root in enumerate(dirs):
        for path in sorted(root.rglob("*.yaml")):
            h.update(f"{i}:{path.relative_to(root).as_posix()}\0".encode())
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()
