"""The data-flow facts of the catalog (``flows.yaml``): typed rules, checked references.

``flows.yaml`` says, as data, how each resource type copies its data to another placement
(:class:`FlowRule`), which references carry data from one resource to another
(:class:`PropagationRule`), which region receives a region's geo-redundant copies
(``region_pairs``) and which locations are not one region (:class:`LocationGroup`:
multi-regions, dual-regions, a global edge). The readers apply these rules through
:mod:`sovpolicy.sources.flows`; nothing here reads an input.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import CatalogError
from ..model import FlowKind, SourceRef

#: how a flow rule finds the destination (see flows.yaml)
RESOLVERS = ("region", "arn", "reference", "paired", "members", "global")
#: resolvers that read an attribute of the resource
READS_ATTRIBUTE = frozenset({"region", "arn", "reference", "members"})


def split_path(path: str | None) -> tuple[str, ...]:
    """``"rule.destination.bucket"`` -> ``("rule", "destination", "bucket")``; None or "" -> ``()``."""
    return tuple(path.split(".")) if path else ()


def norm_value(value: str) -> str:
    """Compare enumerated values without case, ``-`` or ``_`` (``RA-GRS`` == ``RAGRS``)."""
    return value.replace("-", "").replace("_", "").casefold()


#: how a scope filter compares a resource's name with the filter's value
MATCHES = ("prefix", "exact")


@dataclass(frozen=True)
class FlowScope:
    """A flow rule that names no resource: its flows belong to every resource of
    ``types`` in the same account and region as the resource that declares it (an ECR
    replication configuration copies the whole registry).

    Attributes:
        types: the resource types that receive the flows.
        account: the attribute naming the account on both sides (compared when both are
            known; otherwise the provider configuration decides), or ``()``.
        filter_each: the blocks, inside each rule element, that filter the resources
            (none: every resource), or ``()``.
        filter_value, filter_type: inside each filter block, the value and its type.
        matches: normalised filter type (:func:`norm_value`) -> one of :data:`MATCHES`.
        name: the attribute of the receiving resource that the filter is matched against.
    """

    types: frozenset[str]
    account: tuple[str, ...]
    filter_each: tuple[str, ...]
    filter_value: tuple[str, ...]
    filter_type: tuple[str, ...]
    matches: Mapping[str, str]
    name: tuple[str, ...]

    def selects(self, kind: str, value: str, name: str) -> bool | None:
        """Whether a filter of type ``kind`` and value ``value`` selects a resource named
        ``name``; None when the catalog does not know the filter type (fail closed)."""
        how = self.matches.get(norm_value(kind))
        if how is None:
            return None
        return name.startswith(value) if how == "prefix" else name == value


@dataclass(frozen=True)
class FlowRule:
    """One way a resource type sends its data to another placement.

    Attributes:
        id: rule id (unique in the catalog).
        type: Terraform resource type.
        provider: provider source address (``hashicorp/aws``).
        kind: replicate, copy or cache.
        each: path of the nested blocks to iterate, ``()`` for the resource itself.
        when: path (inside each block) of the attribute that switches the flow on, or ``()``.
        when_in: normalised values (:func:`norm_value`) that switch it on.
        when_default: the value assumed when that attribute is unset, or None (then unset
            means no flow).
        resolve: one of :data:`RESOLVERS`.
        attribute: path (inside each block) of the attribute that names the destination.
        meaning: what the rule says, in words.
        source: provenance (provider documentation).
        scope: when set, the flows belong to the resources the scope selects, not to this one.
        covers: other replica-shaped attribute names of the type the rule accounts for.
    """

    id: str
    type: str
    provider: str
    kind: FlowKind
    each: tuple[str, ...]
    when: tuple[str, ...]
    when_in: frozenset[str]
    when_default: str | None
    resolve: str
    attribute: tuple[str, ...]
    meaning: str
    source: SourceRef
    scope: FlowScope | None = None
    covers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PropagationRule:
    """A reference that carries data between two resources.

    Attributes:
        id: rule id.
        type: the Terraform type whose attribute holds the reference.
        provider: its provider source address.
        attribute: the attribute path; references anywhere below it count.
        inbound: True when this resource holds the referenced resource's data; False when
            the referenced resource holds this one's.
        kind: when the receiving resource is itself a copy (a replica), the kind of flow
            from the resource holding the data to the receiver's own placement; else None.
        meaning: what the rule says, in words.
        source: provenance.
    """

    id: str
    type: str
    provider: str
    attribute: tuple[str, ...]
    inbound: bool
    kind: FlowKind | None
    meaning: str
    source: SourceRef


@dataclass(frozen=True)
class LocationGroup:
    """A location that is not one region: a multi-region, a dual-region, a global edge.

    Attributes:
        cloud, code: the location as the cloud names it (``google``, ``EUR4``).
        kind: ``multi-region``, ``dual-region`` or ``global``.
        name: display name.
        regions: member region codes when the source lists them (data lands in each).
        countries: ISO codes of the places it spans, or None when the source does not list them.
        eea: True when every place is in the EEA; False when some place is not.
        source: provenance.
    """

    cloud: str
    code: str
    kind: str
    name: str
    regions: tuple[str, ...]
    countries: tuple[str, ...] | None
    eea: bool
    source: SourceRef


@dataclass(frozen=True)
class RegionPair:
    """The secondary region that receives a region's geo-redundant copies."""

    cloud: str
    region: str
    secondary: str
    source: SourceRef


@dataclass(frozen=True)
class CopyShapes:
    """Attribute names shaped like a copy to another place (``unruled_copies`` in
    ``flows.yaml``): names and glob patterns, less the names known not to be copies.

    Attributes:
        patterns: names and glob patterns (``*`` any run of characters) of copy-shaped
            attributes.
        not_copies: names and glob patterns that a pattern matches but that name no
            copy elsewhere (identifiers, counts of in-place replicas, switches).
        off_values: string values that mean "no copy" (``NONE``, ``DISABLED``), compared
            without case.
    """

    patterns: tuple[str, ...] = ()
    not_copies: tuple[str, ...] = ()
    off_values: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        def compiled(globs: Iterable[str]) -> re.Pattern[str] | None:
            parts = [fnmatch.translate(g) for g in globs]
            return re.compile("|".join(parts)) if parts else None

        object.__setattr__(self, "_yes", compiled(self.patterns))
        object.__setattr__(self, "_no", compiled(g for g in self.not_copies if "." not in g))
        object.__setattr__(self, "_no_typed", compiled(g for g in self.not_copies if "." in g))

    def matches(self, name: str, rtype: str = "") -> bool:
        """True when attribute ``name`` (of a resource of type ``rtype``) is copy-shaped and
        not a known non-copy (``not_copies`` entries are names, or ``type.name``)."""
        yes: re.Pattern[str] | None = self.__dict__["_yes"]
        if yes is None or yes.match(name) is None:
            return False
        no: re.Pattern[str] | None = self.__dict__["_no"]
        typed: re.Pattern[str] | None = self.__dict__["_no_typed"]
        if no is not None and no.match(name) is not None:
            return False
        return not (typed is not None and rtype and typed.match(f"{rtype}.{name}") is not None)

    def exact(self) -> frozenset[str]:
        """The patterns without a wildcard: plain names."""
        return frozenset(p for p in self.patterns if "*" not in p)

    def literals(self) -> tuple[bytes, ...]:
        """For each pattern, its longest run without a wildcard, less those that hold a
        shorter one (``replica`` stands for ``_replicas``): a name some pattern matches
        contains one of them (a cheap first test on raw bytes)."""
        runs = {max(p.split("*"), key=len).strip("_") for p in self.patterns}
        runs.discard("")
        return tuple(sorted(r.encode() for r in runs if not any(o != r and o in r for o in runs)))


@dataclass
class FlowCatalog:
    """Every data-flow fact, indexed for the readers.

    ``rules`` and ``propagation`` are keyed by resource type; ``pairs`` by ``(cloud,
    region)``; ``unpaired`` holds the ``(cloud, region)`` the source says have no pair;
    ``groups`` is keyed by ``(cloud, code.casefold())`` (Google locations ignore case).
    """

    rules: dict[str, tuple[FlowRule, ...]] = field(default_factory=dict)
    propagation: dict[str, tuple[PropagationRule, ...]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], RegionPair] = field(default_factory=dict)
    unpaired: dict[tuple[str, str], SourceRef] = field(default_factory=dict)
    groups: dict[tuple[str, str], LocationGroup] = field(default_factory=dict)
    copy_shapes: CopyShapes = field(default_factory=CopyShapes)
    """Replica-shaped attribute names: set on a type no rule reads them for, a copy to an
    unknown place (``unruled_copies`` in ``flows.yaml``)."""
    scoped: frozenset[str] = frozenset()
    """Types some scoped flow rule gives flows to (an ECR registry's repositories)."""

    def group(self, cloud: str | None, code: str | None) -> LocationGroup | None:
        """The location group ``code`` of ``cloud``, case-insensitively, or None."""
        if not cloud or not code:
            return None
        return self.groups.get((cloud, code.casefold()))

    def global_group(self, cloud: str | None) -> LocationGroup | None:
        """The cloud's worldwide edge (kind ``global``), or None."""
        return next((g for g in self.groups.values() if g.cloud == cloud and g.kind == "global"), None)

    def value_attributes(self) -> frozenset[str]:
        """Top-level attribute names whose values the flow rules read (for the plan decoder)."""
        names: set[str] = set()
        for rules in self.rules.values():
            for r in rules:
                first = r.each or r.when or r.attribute
                if first:
                    names.add(first[0])
                for p in (r.when, r.attribute):
                    if p and not r.each:
                        names.add(p[0])
                if r.scope is not None:
                    names.update(p[0] for p in (r.scope.account, r.scope.name) if p)
        return frozenset(names | self.copy_shapes.exact())

    def covered(self, rtype: str) -> frozenset[str]:
        """The attribute names the flow and propagation rules of ``rtype`` read or account for."""
        read = {(r.each or r.when or r.attribute or ("",))[0] for r in self.rules.get(rtype, ())}
        read.update(n for r in self.rules.get(rtype, ()) for n in r.covers)
        read.update(p.attribute[0] for p in self.propagation.get(rtype, ()) if p.attribute)
        return frozenset(read)


SourceOf = Callable[[dict[str, Any], str], SourceRef]


def _scope(item: dict[str, Any], where: str) -> FlowScope:
    """The ``scope`` of a flow rule, its types checked against the rule's provider."""
    raw = item["scope"]
    for t in raw["types"]:
        if not _type_matches(t, item["provider"]):
            raise CatalogError(f"scope type {t!r} is not a resource type of provider {item['provider']!r}", where)
    f = raw.get("filter") or {}
    return FlowScope(frozenset(raw["types"]), split_path(raw.get("account")), split_path(f.get("each")),
                     split_path(f.get("value")), split_path(f.get("type")),
                     {norm_value(str(k)): str(v) for k, v in (f.get("match") or {}).items()}, split_path(f.get("name")))


def _type_matches(rtype: str, provider: str) -> bool:
    """``aws_s3_bucket`` belongs to ``hashicorp/aws``; ``google_*`` also to ``hashicorp/google-beta``."""
    name = provider.split("/")[-1].split("-")[0]
    return rtype.startswith(name + "_")


def build_flow_catalog(raw: Mapping[str, Mapping[Any, dict[str, Any]]], source: SourceOf,
                       clouds: Mapping[str, Any], provider_clouds: Mapping[str, str | None],
                       countries: Mapping[str, str], eea: frozenset[str]) -> FlowCatalog:
    """Type and check the raw ``flows.yaml`` entries (user overrides already applied).

    Args:
        raw: ``{"flow_rules": {id: item}, "propagation": {id: item}, "region_pairs":
            {(cloud, region): item}, "unpaired": {(cloud, region): item}, "location_groups":
            {(cloud, code): item}}``; each item carries ``_where`` (file and JSON path).
        source: turns an item's ``source``/``as_of`` into a :class:`SourceRef` (raises on
            an unknown id).
        clouds: catalog clouds by id (each with ``regions``).
        provider_clouds: provider source address -> cloud id (None: hosts no data).
        countries: known ISO country codes -> names.
        eea: EEA member codes.

    Raises:
        CatalogError: an unknown provider, a type that is not the provider's, an unknown
            cloud, region, country or source, a location group whose ``eea`` contradicts
            its countries, a ``global`` rule for a cloud without a global group.
    """
    out = FlowCatalog()

    def region_of(cloud: str, code: str, where: str) -> str:
        c = clouds.get(cloud)
        if c is None:
            raise CatalogError(f"unknown cloud {cloud!r}", where)
        if code not in c.regions:
            raise CatalogError(f"region {code!r} is not a region of cloud {cloud!r}", where)
        return code

    for (cloud, code), item in sorted(raw.get("location_groups", {}).items()):
        w = item["_where"]
        if cloud not in clouds:
            raise CatalogError(f"unknown cloud {cloud!r}", w)
        if code in clouds[cloud].regions:
            raise CatalogError(f"location group {code!r} is also a region of cloud {cloud!r}: keep one", w)
        members = tuple(region_of(cloud, r, w) for r in item.get("regions") or ())
        listed = item.get("countries")
        for c in listed or ():
            if c not in countries:
                raise CatalogError(f"unknown country {c!r}", w)
        if listed and bool(item["eea"]) != all(c in eea for c in listed):
            raise CatalogError(f"eea: {item['eea']} contradicts countries {', '.join(listed)}", w)
        out.groups[(cloud, str(code).casefold())] = LocationGroup(
            cloud, str(code), item["kind"], item["name"], members, tuple(listed) if listed else None,
            bool(item["eea"]), source(item, w))

    for (cloud, region), item in sorted(raw.get("region_pairs", {}).items()):
        w = item["_where"]
        out.pairs[(cloud, region)] = RegionPair(cloud, region_of(cloud, region, w),
                                                region_of(cloud, item["secondary"], w), source(item, w))
    for (cloud, region), item in sorted(raw.get("unpaired", {}).items()):
        w = item["_where"]
        if (cloud, region_of(cloud, region, w)) in out.pairs:
            raise CatalogError(f"region {region!r} is listed both as paired and unpaired", w)
        out.unpaired[(cloud, region)] = source(item, w)

    def check_type(item: dict[str, Any], w: str) -> str | None:
        provider = item["provider"]
        if provider not in provider_clouds:
            raise CatalogError(f"unknown provider {provider!r} (not in providers.yaml)", w)
        if not _type_matches(item["type"], provider):
            raise CatalogError(f"type {item['type']!r} is not a resource type of provider {provider!r}", w)
        return provider_clouds[provider]

    rules: dict[str, list[FlowRule]] = {}
    for rid, item in raw.get("flow_rules", {}).items():
        w = item["_where"]
        cloud = check_type(item, w)
        dest = item["destination"]
        if dest["resolve"] == "global" and out.global_group(cloud) is None:
            raise CatalogError(f"resolve: global, but cloud {cloud!r} has no location group of kind global", w)
        when = item.get("when") or {}
        scope = _scope(item, w) if item.get("scope") else None
        rules.setdefault(item["type"], []).append(FlowRule(
            rid, item["type"], item["provider"], FlowKind(item["kind"]), split_path(item.get("each")),
            split_path(when.get("attribute")), frozenset(norm_value(str(v)) for v in when.get("in") or ()),
            None if when.get("default") is None else str(when["default"]), dest["resolve"],
            split_path(dest.get("attribute")), " ".join(str(item["meaning"]).split()), source(item, w),
            scope, frozenset(item.get("covers") or ())))
    out.rules = {t: tuple(sorted(rs, key=lambda r: r.id)) for t, rs in sorted(rules.items())}
    out.scoped = frozenset(t for rs in out.rules.values() for r in rs if r.scope is not None for t in r.scope.types)

    props: dict[str, list[PropagationRule]] = {}
    for rid, item in raw.get("propagation", {}).items():
        w = item["_where"]
        check_type(item, w)
        props.setdefault(item["type"], []).append(PropagationRule(
            rid, item["type"], item["provider"], split_path(item["attribute"]), item["direction"] == "inbound",
            FlowKind(item["kind"]) if item.get("kind") else None, " ".join(str(item["meaning"]).split()),
            source(item, w)))
    out.propagation = {t: tuple(sorted(ps, key=lambda p: p.id)) for t, ps in sorted(props.items())}
    return out
