"""The placement ladder: where a Terraform resource lands, decided once for every reader.

Readers (plan JSON, HCL source, state) differ only in where values come from; each hands
the ladder :class:`Value`\\ s that know whether they were set explicitly, defaulted or
unresolved, with their evidence (as Trivy's IaC adapters do), and the ladder climbs, driven
by the catalog's :class:`~sovpolicy.catalog.ProviderInfo`:

0. :func:`early_placement`: a provider missing from the catalog (unresolved), a provider
   that hosts no data (``none``), a global service type (unresolved: it has no region), a
   provider whose resources carry no region (``footprint``: its whole footprint);
1. ``resource_regions``: a resource that spans several locations (unresolved);
2. ``resource``: its own region or zone attribute, zones mapped to regions by the
   provider's ``zone_pattern``, names spelled as the catalog does;
3. ``parent``: for providers without a provider-level region (azurerm), a referenced
   resource once that one is placed (:func:`parent_placement`, :func:`resolve_parents`);
4. ``provider`` / ``variable`` / ``module``: the provider configuration that serves it, its
   zone first for a zonal type (``zonal_types``), else its region (:func:`provider_placement`);
5. ``default``: the region the provider documents as its default;
6. ``unresolved``, with the reason;

then :func:`in_universe`: a provider setting that selects another cloud (google's
``universe_domain = "s3nsapis.fr"`` is S3NS) moves the placement to that cloud.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, TypeVar, overload

from ..catalog import Catalog, ProviderInfo
from ..model import Origin, Placement

ENV_REASON = "it came from the environment (e.g. AWS_REGION) or a profile"
#: first steps of a reference that never name a managed resource
NOT_RESOURCES = frozenset({"var", "local", "module", "data", "each", "count", "path", "self", "terraform"})
UNPLACED = Placement(None, None, Origin.UNRESOLVED, (), "no placement found")
"""The placement of an instance no rule placed (never expected; fail closed)."""


class How(Enum):
    """How a reader came by a value."""

    SET = "set"
    """Written in the configuration (a literal, or through variables and module arguments)."""
    DEFAULT = "default"
    """A declared default (a variable's ``default``) the configuration did not override."""
    UNRESOLVED = "unresolved"
    """Set, but its value cannot be known (computed, a data source, sensitive...)."""


@dataclass(frozen=True)
class Value:
    """One value a reader found for a rung of the ladder.

    Attributes:
        how: set, defaulted or unresolved.
        value: the value (a string, or a list for attributes with several locations);
            None when unresolved.
        evidence: where it was set, each hop (``file:line ...`` or a plan path).
        origin: the rung it came through: ``resource``, ``provider``, ``variable``
            (a root variable), ``module`` (a module call's argument).
        reason: why it is unresolved.
        sensitive: it comes from a sensitive value (never read, never followed).
    """

    how: How
    value: Any = None
    evidence: tuple[str, ...] = ()
    origin: Origin = Origin.RESOURCE
    reason: str | None = None
    sensitive: bool = False

    @classmethod
    def given(cls, value: Any, evidence: Sequence[str], origin: Origin = Origin.RESOURCE,
              default: bool = False) -> Value:
        """A known value, set explicitly or (``default``) by a declared default."""
        return cls(How.DEFAULT if default else How.SET, value, tuple(evidence), origin)

    @classmethod
    def unresolved(cls, reason: str, evidence: Sequence[str], sensitive: bool = False,
                   origin: Origin = Origin.RESOURCE) -> Value:
        """A value that is set but cannot be known, and why."""
        return cls(How.UNRESOLVED, None, tuple(evidence), origin, reason, sensitive)

    @property
    def known(self) -> bool:
        return self.how is not How.UNRESOLVED


Attribute = Callable[[str], "Value | None"]
"""A resource's own attribute by name: None when absent, null, or left for the provider to
compute (then the rungs below apply)."""


@dataclass(frozen=True)
class ProviderSettings:
    """The provider configuration that serves a resource, as one reader found it.

    Attributes:
        label: how to name it in a reason (``'aws.eu'``).
        evidence: where it is (or where it was looked for).
        how: what cannot see the environment, e.g. ``"a plan does not record"``.
        setting: its setting at an attribute path (``("region",)``, ``("api", "region")``):
            None when the block does not set it.
        missing: no configuration serves the resource, and why (unresolved); None when
            one does (or when none is declared and the provider's defaults apply:
            ``setting`` then returns None for every path).
    """

    label: str
    evidence: tuple[str, ...]
    how: str
    setting: Callable[[tuple[str, ...]], Value | None]
    missing: str | None = None


def early_placement(catalog: Catalog, provider: str | None, rtype: str,
                    evidence: Sequence[str] = ()) -> tuple[ProviderInfo | None, Placement | None]:
    """Rung 0, what needs no region: returns ``(info, placement)``.

    ``placement`` is set (and final) for a provider not in the catalog (unresolved), a
    provider that hosts no data (``none``) and a global service type (unresolved);
    otherwise it is None and ``info`` is the provider's catalog entry.
    """
    info = catalog.provider(provider) if provider else None
    if info is None:
        return None, Placement(None, None, Origin.UNRESOLVED, tuple(evidence),
                               f"provider {provider or '(none)'} is not in the catalog", provider or None)
    if info.cloud is None:
        return info, Placement(None, None, Origin.NONE, (), f"provider {info.source} hosts no data", info.source)
    if catalog.is_global_type(info.cloud, rtype):
        return info, Placement(info.cloud, None, Origin.UNRESOLVED, (),
                               f"{rtype} is a global service of {info.cloud}: it has no region", info.source)
    if info.footprint:
        return info, footprint_placement(catalog, info, evidence)
    return info, None


def footprint_placement(catalog: Catalog, info: ProviderInfo, evidence: Sequence[str] = ()) -> Placement:
    """A provider whose resources carry no region (Cloud Temple): its whole footprint, the
    catalog's one place for it with its sourced country, is the placement (origin ``footprint``)."""
    assert info.cloud is not None and info.footprint is not None
    cloud = catalog.clouds[info.cloud]
    entry = cloud.regions[info.footprint]
    where = f"{entry.name or info.footprint}" + (f", {entry.country}" if entry.country else "")
    return Placement(info.cloud, info.footprint, Origin.FOOTPRINT,
                     (*evidence, f"provider {info.source} places no resource in a region: its whole footprint ({where})"),
                     None, info.source)


@overload
def in_universe(catalog: Catalog, info: ProviderInfo, placement: Placement,
                settings: Callable[[], ProviderSettings]) -> Placement: ...
@overload
def in_universe(catalog: Catalog, info: ProviderInfo, placement: None,
                settings: Callable[[], ProviderSettings]) -> None: ...
@overload
def in_universe(catalog: Catalog, info: ProviderInfo, placement: Placement | None,
                settings: Callable[[], ProviderSettings]) -> Placement | None: ...
def in_universe(catalog: Catalog, info: ProviderInfo, placement: Placement | None,
                settings: Callable[[], ProviderSettings]) -> Placement | None:
    """The universe rung: a provider setting that selects another cloud (``universe_domain =
    "s3nsapis.fr"`` makes the google provider S3NS), applied to a placement the ladder found.

    A setting equal to a universe's value moves the placement to that cloud; a setting known
    only after apply leaves it unresolved (the cloud cannot be told: never the provider's
    own by default); without the setting, a region of a universe's cloud that is not one of
    the provider's own cloud (the universe set in the environment, which a plan does not
    record) selects that cloud. ``settings`` is called only for providers with universes.
    """
    if not info.universes or placement is None or placement.origin in (Origin.NONE, Origin.FOOTPRINT):
        return placement
    conf = settings()
    for u in info.universes:
        v = conf.setting(u.attribute)
        if v is None:
            continue
        name = ".".join(u.attribute)
        if not v.known:
            return Placement(None, None, Origin.UNRESOLVED, (*placement.evidence, *v.evidence),
                             f"provider {name} is known only after apply ({v.reason}): the cloud (the provider's own or "
                             f"a partner universe such as {u.cloud}) cannot be told", info.source)
        if v.value == u.value:
            return Placement(u.cloud, placement.region, placement.origin,
                             (*placement.evidence, *v.evidence, f"provider {name} = {u.value!r} selects cloud {u.cloud}"),
                             placement.reason, info.source)
        return placement
    own = catalog.clouds.get(info.cloud or "")
    region = placement.region
    if region is None or (own is not None and region in own.regions):
        return placement
    for u in info.universes:
        other = catalog.clouds.get(u.cloud)
        if other is not None and region in other.regions:
            return Placement(u.cloud, region, placement.origin,
                             (*placement.evidence, f"{region} is a region of {u.cloud}, whose universe "
                              f"({'.'.join(u.attribute)} = {u.value!r}) the environment selects"),
                             placement.reason, info.source)
    return placement


def known_region(catalog: Catalog, info: ProviderInfo, region: str) -> bool:
    """True when the catalog lists ``region`` for the provider's cloud."""
    cloud = catalog.clouds.get(info.cloud or "")
    return cloud is not None and catalog.normalise_region(info.cloud, region) in cloud.regions


def attribute_region(catalog: Catalog, info: ProviderInfo, value: str, is_zone: bool) -> str | None:
    """The region named by a resource's location attribute, spelled as the catalog does.

    A zone gives its region by the provider's pattern (``eu-west-3a`` -> ``eu-west-3``); a
    ``location`` that is not a known region but whose zone-pattern region is (google
    ``europe-west9-b``) gives that region. None when a zone has no derivable region.
    """
    region: str | None = value
    if is_zone or (info.zone_pattern and not known_region(catalog, info, value)):
        derived = info.zone_region(catalog.normalise_region(info.cloud, value))
        region = derived if (is_zone or (derived and known_region(catalog, info, derived))) else value
    if region is None:
        return None
    return catalog.normalise_region(info.cloud, region)


def own_placement(catalog: Catalog, info: ProviderInfo, rtype: str, attribute: Attribute) -> Placement | None:
    """Rungs 1 and 2: several locations, or the resource's own region or zone attribute.

    None when the rungs below decide: no such attribute, or (for a provider without a
    provider-level region) an unresolved one that a parent resource may still place.
    """
    for name in info.resource_regions:
        many = attribute(name)
        if many is not None and many.known and isinstance(many.value, list) and many.value:
            return Placement(info.cloud, None, Origin.UNRESOLVED, many.evidence,
                             f"{rtype} spans several locations ({', '.join(map(str, many.value))}), "
                             "not one region", info.source)
    for name, is_zone in info.located_by:
        v = attribute(name)
        if v is None:
            continue
        if v.known and isinstance(v.value, str) and v.value:
            region = attribute_region(catalog, info, v.value, is_zone)
            if region is None:
                continue
            return Placement(info.cloud, region, Origin.RESOURCE, v.evidence, None, info.source)
        if v.sensitive:
            return Placement(info.cloud, None, Origin.UNRESOLVED, v.evidence, v.reason, info.source)
        if is_zone and info.zone_in_region:
            continue  # the zone lies in the region the rungs below find
        if not info.provider_region:
            return None  # the parent decides
        return Placement(info.cloud, None, Origin.UNRESOLVED, v.evidence, v.reason, info.source)
    return None


def is_zonal(info: ProviderInfo, rtype: str) -> bool:
    """True when the provider configuration's zone places ``rtype`` before its region."""
    return bool(info.provider_zone) and rtype in info.zonal_types


def provider_placement(catalog: Catalog, info: ProviderInfo, zonal: bool, settings: ProviderSettings) -> Placement:
    """Rungs 4 to 6: the provider configuration's zone (``zonal`` types) or region, else
    the provider's documented default, else unresolved."""
    if settings.missing is not None:
        return Placement(info.cloud, None, Origin.UNRESOLVED, settings.evidence, settings.missing, info.source)
    paths = [(p, True) for p in info.provider_zone if zonal] + [(p, False) for p in info.provider_region]
    for path, is_zone in paths:
        v = settings.setting(path)
        if v is None:
            continue
        if not v.known or not isinstance(v.value, str) or not v.value:
            return Placement(info.cloud, None, Origin.UNRESOLVED, v.evidence, v.reason, info.source)
        region = info.zone_region(catalog.normalise_region(info.cloud, v.value)) if is_zone else v.value
        if region is None:
            return Placement(info.cloud, None, Origin.UNRESOLVED, v.evidence,
                             f"zone {v.value!r} does not name a region of {info.cloud}", info.source)
        return Placement(info.cloud, catalog.normalise_region(info.cloud, region), v.origin, v.evidence, None, info.source)
    if info.default_region:
        return Placement(info.cloud, info.default_region, Origin.DEFAULT, settings.evidence,
                         f"provider {info.source} documents {info.default_region} as its default", info.source)
    return Placement(info.cloud, None, Origin.UNRESOLVED, settings.evidence,
                     f"provider configuration {settings.label} sets no region: {ENV_REASON}, which {settings.how}", info.source)


def place(catalog: Catalog, provider: str | None, rtype: str, evidence: Sequence[str],
          attribute: Callable[[ProviderInfo], Attribute], settings: Callable[[], ProviderSettings],
          memo: dict[Hashable, Placement] | None = None, memo_key: Hashable = None
          ) -> tuple[ProviderInfo | None, Placement | None]:
    """The ladder for one resource, every rung but its parents.

    Args:
        provider: the provider source address serving the resource.
        evidence: where the resource names its provider (for an unknown provider).
        attribute: the resource's own attributes as values (called with its provider's
            catalog entry).
        settings: the provider configuration that serves it (called at most once, only
            when a rung needs it).
        memo, memo_key: placements from provider configurations, shared by every resource
            served by the same configuration (``memo_key`` names it): one object each.

    Returns:
        ``(info, placement)``: ``info`` is the provider's catalog entry when the ladder
        climbed past rung 0 (else None); ``placement`` is None when a parent resource
        decides (providers without a provider-level region: :func:`parent_placement`).
    """
    info, early = early_placement(catalog, provider, rtype, evidence)
    if early is not None or info is None:
        return None, early
    conf: list[ProviderSettings] = []

    def once() -> ProviderSettings:
        if not conf:
            conf.append(settings())
        return conf[0]

    own = own_placement(catalog, info, rtype, attribute(info))
    if own is not None or not info.provider_region:
        return info, in_universe(catalog, info, own, once)
    zonal = is_zonal(info, rtype)
    key = (memo_key, info.source, zonal)
    hit = memo.get(key) if memo is not None else None
    if hit is None:
        hit = in_universe(catalog, info, provider_placement(catalog, info, zonal, once()), once)
        if memo is not None:
            memo[key] = hit
    return info, hit


def parent_attributes(info: ProviderInfo, attrs: Iterable[str]) -> list[str]:
    """The order in which to follow a resource's references to find a placed parent.

    Its own region attributes first, then every other attribute, the resource group last
    (a server or account is a closer parent than the group).
    """
    names = list(attrs)
    rest = [k for k in names if k not in info.resource_region and k != "resource_group_name"]
    return list(info.resource_region) + rest + ["resource_group_name"]


def parent_placement(info: ProviderInfo, links: Iterable[tuple[str, Sequence[Placement]]],
                     evidence: Sequence[str], reason: str) -> Placement:
    """Rung 3: the region of the first referenced parent whose instances are all placed in
    one region; ``links`` are ``(hop, placements of the referenced instances placed so far)`` in
    :func:`parent_attributes` order. Unresolved with ``reason`` when none is."""
    for hop, placements in links:
        regions = {p.region for p in placements}
        if len(regions) == 1 and None not in regions:
            parent = placements[0]
            return Placement(info.cloud, parent.region, Origin.PARENT, (hop,) + parent.evidence, None, info.source)
    return Placement(info.cloud, None, Origin.UNRESOLVED, tuple(evidence), reason, info.source)


class Placeable(Protocol):
    """A resource instance under resolution: a reader's own record with a placement slot."""

    placement: Placement | None


P = TypeVar("P", bound=Placeable)


def resolve_parents(pending: Sequence[P], resolve_parent: Callable[[P], None], rounds: int = 6) -> None:
    """Place the instances that wait for a parent, in rounds.

    A parent may itself wait for its own parent (container -> account -> resource group),
    so instances not placed through a parent in one round are reset and retried while a
    round makes progress; then each still unplaced one gets ``resolve_parent``'s final
    (unresolved) answer.
    """
    todo = list(pending)
    for _ in range(rounds):
        if not todo:
            break
        for inst in todo:
            resolve_parent(inst)
        still = [i for i in todo if i.placement is None or i.placement.origin is not Origin.PARENT]
        if len(still) == len(todo):
            break
        for inst in still:
            inst.placement = None  # retry: its parent may have been placed in this round
        todo = still
    for inst in todo:
        if inst.placement is None:
            resolve_parent(inst)
