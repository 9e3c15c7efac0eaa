"""How Terraform providers place their resources (``providers.yaml``): region spellings,
zone patterns, universes that select another cloud, whole-footprint providers, and the
global types of each cloud."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..errors import CatalogError
from ..lazy import cached
from ..model import SourceRef


@dataclass(frozen=True)
class RegionSpelling:
    """How a region written in another accepted spelling becomes the catalog's id.

    Azure: ``"France Central"`` / ``"FranceCentral"`` -> ``francecentral`` (lower case,
    spaces removed); Google Cloud Storage reads locations back upper-case
    (``EUROPE-WEST9`` -> ``europe-west9``).
    """

    case: str = "as-written"
    remove: str = ""
    fact: SourceRef | None = None

    def apply(self, text: str, known: Mapping[str, str] | None = None) -> str:
        """``text`` in this spelling; with ``case: lower``, the name as ``known`` (casefolded
        name -> the catalog's own spelling, e.g. Google's ``EU`` group) writes it, else
        lower case."""
        out = text
        for ch in self.remove:
            out = out.replace(ch, "")
        if self.case != "lower":
            return out
        return (known or {}).get(out.casefold(), out.lower())


AS_WRITTEN = RegionSpelling()


@dataclass(frozen=True)
class Universe:
    """A provider setting that selects another cloud: ``universe_domain = "s3nsapis.fr"``
    makes the google provider S3NS."""

    attribute: tuple[str, ...]
    value: str
    cloud: str
    source: SourceRef


#: where resources carry tags when the provider entry does not say: ``tags`` last, since
#: Terraform does not carry a tag's sensitivity over to ``tags_all``
DEFAULT_TAG_ATTRIBUTES: tuple[tuple[str, str], ...] = (("labels", "map"), ("tags_all", "map"), ("tags", "map"))


@dataclass(frozen=True)
class ProviderInfo:
    """How one Terraform provider places its resources (``providers.yaml``).

    Attributes:
        source: registry address ``namespace/type``.
        cloud: cloud id, or None for a provider that hosts no data.
        provider_region: attribute paths of the region in the provider block.
        resource_region: resource attributes that hold a region, most specific first.
        resource_zone: resource attributes that hold a zone.
        zone_pattern: a regular expression a zone matches in full, whose group ``region``
            is its region (``eu-west-3a`` -> ``eu-west-3``), or None (no zones).
        default_region: a documented provider default, or None.
        spelling: how its region names become the catalog's ids.
        zone_in_region: a zone must lie in the region set above it (AWS), so an
            unknown zone defers to that region.
        resource_regions: attributes holding several locations at once.
        provider_zone: attribute paths of the zone in the provider block.
        zonal_types: types placed in one zone: the provider's zone places them before
            its region.
        footprint: a region code of ``cloud`` that stands for the provider's whole
            footprint (its resources carry no region), or None.
        universes: provider settings that select another cloud (S3NS for google).
        tag_attributes: ``(attribute, shape)`` pairs where its resources carry tags or
            labels (shape ``map``, ``key-value-list`` or ``string-list``), later ones
            winning per key.
    """

    source: str
    cloud: str | None
    provider_region: tuple[tuple[str, ...], ...]
    resource_region: tuple[str, ...]
    resource_zone: tuple[str, ...]
    zone_pattern: str | None
    default_region: str | None
    spelling: RegionSpelling
    fact: SourceRef
    zone_in_region: bool = False
    resource_regions: tuple[str, ...] = ()
    provider_zone: tuple[tuple[str, ...], ...] = ()
    zonal_types: frozenset[str] = frozenset()
    footprint: str | None = None
    universes: tuple[Universe, ...] = ()
    tag_attributes: tuple[tuple[str, str], ...] = DEFAULT_TAG_ATTRIBUTES

    @cached
    def located_by(self) -> tuple[tuple[str, bool], ...]:
        """The resource attributes that place a resource, most specific first: ``(name, is_zone)``."""
        return tuple([(a, False) for a in self.resource_region] + [(a, True) for a in self.resource_zone])

    def zone_region(self, zone: str) -> str | None:
        """The region of a zone by the provider's pattern, or None when it does not apply."""
        if not self.zone_pattern:
            return None
        m = _zone_re(self.zone_pattern).fullmatch(zone)
        return m.group("region") if m else None


@cache
def _zone_re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True)
class GlobalTypes:
    """Resource type prefixes of a cloud's global services (no region)."""

    cloud: str
    prefixes: tuple[str, ...]
    note: str | None
    source: SourceRef


def _paths(value: Any) -> tuple[tuple[str, ...], ...]:
    """One attribute path (a list of names) or several (a list of lists), as paths."""
    paths = value or []
    if paths and all(isinstance(p, str) for p in paths):
        paths = [paths]
    return tuple(tuple(p) for p in paths)


def _check_pattern(pattern: str, where: str) -> None:
    try:
        compiled = _zone_re(pattern)
    except re.error as exc:
        raise CatalogError(f"zone_pattern {pattern!r} is not a regular expression: {exc}", where) from None
    if "region" not in compiled.groupindex:
        raise CatalogError(f"zone_pattern {pattern!r} has no (?P<region>...) group", where)


def _spellings(providers: Mapping[str, ProviderInfo]) -> dict[str, RegionSpelling]:
    """Each cloud's region spelling: the one its providers give (they must agree)."""
    out: dict[str, tuple[RegionSpelling, str]] = {}
    for p in providers.values():
        if p.cloud is None:
            continue
        seen = out.get(p.cloud)
        if seen is None or seen[0] is AS_WRITTEN:
            out[p.cloud] = (p.spelling, p.source)
        elif p.spelling is not AS_WRITTEN and (p.spelling.case, p.spelling.remove) != (seen[0].case, seen[0].remove):
            raise CatalogError(f"providers {seen[1]} and {p.source} spell regions of cloud {p.cloud!r} differently "
                               "(region_spelling must agree)", p.source)
    return {cloud: s for cloud, (s, _) in out.items()}
