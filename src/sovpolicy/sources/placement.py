"""Placement rules shared by every Terraform reader (plan JSON and HCL source).

The readers differ in where values come from (a plan's ``after`` values and provider
expressions, or evaluated source); the rules that turn those values into a
:class:`~sovpolicy.model.Placement` live here once, driven by the catalog's
:class:`~sovpolicy.catalog.ProviderInfo`:

1. :func:`early_placement`: a provider missing from the catalog, a provider that hosts no
   data, a global service type;
2. :func:`many_locations`: a resource that spans several locations;
3. :func:`attribute_region`: a resource's own region or zone attribute, zones mapped to
   regions by the provider's rule;
4. :func:`provider_placement` / :func:`unset_provider_region`: the region of the provider
   configuration that serves it, else the provider's documented default, else unresolved;
5. :func:`parent_attributes`: in which order to follow references to a parent resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from ..catalog import Catalog, ProviderInfo
from ..catalog.resolve import is_global_type, normalize_region, zone_to_region
from ..model import Origin, Placement

ENV_REASON = "it came from the environment (e.g. AWS_REGION) or a profile"
UNPLACED = Placement(None, None, Origin.UNRESOLVED, (), "no placement found")
"""The placement of an instance no rule placed (never expected; fail closed)."""


def early_placement(catalog: Catalog, provider: str | None, rtype: str,
                    evidence: Sequence[str] = ()) -> tuple[ProviderInfo | None, Placement | None]:
    """Decide what needs no region: returns ``(info, placement)``.

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
    if is_global_type(catalog, info.cloud, rtype):
        return info, Placement(info.cloud, None, Origin.UNRESOLVED, (),
                               f"{rtype} is a global service of {info.cloud}: it has no region", info.source)
    return info, None


def many_locations(info: ProviderInfo, rtype: str, values: Sequence[object], evidence: Sequence[str]) -> Placement:
    """The placement of a resource whose attribute lists several locations at once."""
    return Placement(info.cloud, None, Origin.UNRESOLVED, tuple(evidence),
                     f"{rtype} spans several locations ({', '.join(map(str, values))}), not one region", info.source)


def region_attributes(info: ProviderInfo) -> list[tuple[str, bool]]:
    """The resource attributes that place it, most specific first: ``(name, is_zone)``."""
    return [(a, False) for a in info.resource_region] + [(a, True) for a in info.resource_zone]


def known_region(catalog: Catalog, info: ProviderInfo, region: str) -> bool:
    """True when the catalog lists ``region`` for the provider's cloud."""
    cloud = catalog.clouds.get(info.cloud or "")
    return cloud is not None and normalize_region(catalog, info.source, region) in cloud.regions


def attribute_region(catalog: Catalog, info: ProviderInfo, value: str, is_zone: bool) -> str | None:
    """The region named by a resource's location attribute, spelled as the catalog does.

    A zone gives its region by the provider's rule (``eu-west-3a`` -> ``eu-west-3``); a
    ``location`` that is not a known region but whose zone-rule region is (google
    ``europe-west9-b``) gives that region. None when a zone has no derivable region.
    """
    region: str | None = value
    if is_zone or (info.zone_rule != "none" and not known_region(catalog, info, value)):
        derived = zone_to_region(info.zone_rule, value)
        region = derived if (is_zone or (derived and known_region(catalog, info, derived))) else value
    if region is None:
        return None
    return normalize_region(catalog, info.source, region)


def provider_placement(catalog: Catalog, info: ProviderInfo, region: str, origin: Origin,
                       evidence: Sequence[str]) -> Placement:
    """A placement from the region of the provider configuration that serves the resource."""
    return Placement(info.cloud, normalize_region(catalog, info.source, region), origin, tuple(evidence), None, info.source)


def unset_provider_region(info: ProviderInfo, config: str, evidence: Sequence[str], how: str) -> Placement:
    """The provider configuration sets no region: the documented default, else unresolved.

    Args:
        config: how to name the configuration in the reason (``'aws.eu'``).
        evidence: where the configuration is.
        how: what cannot see the environment, e.g. ``"a plan does not record"``.
    """
    if info.default_region:
        return Placement(info.cloud, info.default_region, Origin.DEFAULT, tuple(evidence),
                         f"provider {info.source} documents {info.default_region} as its default", info.source)
    return Placement(info.cloud, None, Origin.UNRESOLVED, tuple(evidence),
                     f"provider configuration {config} sets no region: {ENV_REASON}, which {how}", info.source)


def parent_attributes(info: ProviderInfo, attrs: Iterable[str]) -> list[str]:
    """The order in which to follow a resource's references to find a placed parent.

    Its own region attributes first, then every other attribute, the resource group last
    (a server or account is a closer parent than the group).
    """
    names = list(attrs)
    rest = [k for k in names if k not in info.resource_region and k != "resource_group_name"]
    return list(info.resource_region) + rest + ["resource_group_name"]


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
