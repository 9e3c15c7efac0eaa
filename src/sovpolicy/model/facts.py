"""Catalog facts: sources, laws, adequacy decisions, legal entities, certifications, and
the ``Host`` the catalog resolves a placement to. Nothing here does I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceRef:
    """The provenance of one catalog fact.

    Attributes:
        id: key in the catalog's ``sources.yaml``.
        title: what the source is.
        url: where it can be read.
        as_of: the date of the fact in that source.
    """

    id: str
    title: str
    url: str
    as_of: dt.date

    def cite(self) -> str:
        """Short citation: ``title (url, as of YYYY-MM-DD)``."""
        return f"{self.title} ({self.url}, as of {self.as_of.isoformat()})"


@dataclass(frozen=True)
class Law:
    """A law that can compel a provider to disclose data (catalog ``laws.yaml``)."""

    id: str
    name: str
    jurisdiction: str
    non_eu: bool
    compels: str
    source: SourceRef


@dataclass(frozen=True)
class Adequacy:
    """An EU adequacy decision for a country (catalog ``countries.yaml``).

    ``scope`` is ``full`` or ``partial`` (only some recipients, e.g. the US Data Privacy
    Framework): a partial decision never makes a country acceptable by itself.
    """

    country: str
    decision: str
    scope: str
    source: SourceRef
    note: str | None = None


@dataclass(frozen=True)
class Entity:
    """A legal entity that operates a cloud offer (catalog ``entities.yaml``).

    ``country`` is ISO 3166-1 alpha-2, or None when no source names it.

    ``laws`` are the laws that reach this entity directly; exposure through the parent
    chain is computed by the catalog (``Host.laws``).
    """

    id: str
    name: str
    country: str | None
    parent: str | None
    laws: tuple[str, ...]
    basis: str
    source: SourceRef
    note: str | None = None


@dataclass(frozen=True)
class Certification:
    """A certification or qualification of one offer (catalog ``certifications.yaml``).

    Attributes:
        scheme: ``hds``, ``secnumcloud``...
        holder: entity id.
        cloud: cloud id whose regions it covers, or None.
        regions: region codes in scope; ``("*",)`` for every region of the cloud.
        regions_unlisted: the holder states a regional scope the catalog cannot name
            (e.g. "27 regions"): on that cloud the scheme is then unknown, never met.
        resource_types: Terraform type globs the offer covers; empty = the whole cloud.
        status: ``certified``/``qualified`` satisfy a requirement; ``in_progress``,
            ``not_qualified``, ``reported_unverified`` and ``unsourced`` never do.
        referential: version of the scheme's referential, e.g. ``"2024"`` for HDS v2.
        since, expires: validity dates when known; ``expires`` may be derived from the
            scheme's validity period (then ``expiry_basis`` says how).
        expiry_basis: None when ``expires`` is given by the source (or absent), else how it
            was derived (``derived: 3-year validity from 2025-12-17``).
        transition_ends, superseded_by: for a certificate on a referential that another
            replaced, the day that referential's transition ended and its successor.
        conditions: ids of scope conditions a project must confirm (``schemes.yaml``).
    """

    id: str
    scheme: str
    holder: str
    cloud: str | None
    offer: str
    regions: tuple[str, ...]
    resource_types: tuple[str, ...]
    status: str
    regions_unlisted: bool
    referential: str | None
    since: dt.date | None
    expires: dt.date | None
    source: SourceRef
    note: str | None = None
    expiry_basis: str | None = None
    transition_ends: dt.date | None = None
    superseded_by: str | None = None
    conditions: tuple[str, ...] = ()

    SATISFYING = frozenset({"certified", "qualified"})

    @property
    def satisfies(self) -> bool:
        """True when the status is one that can satisfy a requirement."""
        return self.status in self.SATISFYING

    def valid_on(self, day: dt.date) -> bool:
        """True when ``day`` lies within ``since``..``expires`` (open ends allowed)."""
        if self.since is not None and day < self.since:
            return False
        return self.expires is None or day <= self.expires


@dataclass(frozen=True)
class Host:
    """What the catalog knows about the place a resource lands.

    Attributes:
        cloud, region: as in the placement.
        region_name, city: as the catalog names them.
        country: ISO 3166-1 alpha-2, or None when unknown (or when the host spans
            several countries: see ``countries``).
        eea: whether the country is in the European Economic Area, None when unknown. For a
            host that spans several places (a multi-region, a global edge): True only when
            every place is in the EEA, False when some place is not.
        operator: the entity that operates the region, None when unknown.
        parents: the operator's parent chain, nearest first.
        laws: laws that reach the operator or a parent (non-EU compelled disclosure...).
        certifications: certifications of that cloud whose region scope covers it,
            whatever their status (policies decide which count).
        unlisted: certifications of that cloud with an unlisted region scope
            (``regions_unlisted``): they may or may not cover it.
        region_source: provenance of the region fact, None when the region is unknown
            to the catalog.
        known_region: False when the cloud is known but the region is not in the catalog.
        countries: for a location group (a multi-region or dual-region, a global edge),
            the countries it spans when the catalog can list them; empty otherwise.
        group: the kind of location group (``multi-region``, ``dual-region``, ``global``),
            None for a plain region.
    """

    cloud: str
    region: str
    region_name: str | None
    city: str | None
    country: str | None
    eea: bool | None
    operator: Entity | None
    parents: tuple[Entity, ...]
    laws: tuple[Law, ...]
    certifications: tuple[Certification, ...]
    region_source: SourceRef | None
    known_region: bool = True
    unlisted: tuple[Certification, ...] = ()
    countries: tuple[str, ...] = ()
    group: str | None = None

    def exposure_chain(self) -> tuple[Entity, ...]:
        """Operator followed by its parents."""
        return ((self.operator,) if self.operator else ()) + self.parents
