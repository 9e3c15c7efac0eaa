"""Resolve a placement to a :class:`~sovpolicy.model.Host` with the catalog's facts."""

from __future__ import annotations

from fnmatch import fnmatchcase

from ..model import Certification, Host, Law, Placement
from .flowrules import LocationGroup
from .load import Catalog


def covers(cert: Certification, cloud: str, region: str, rtype: str) -> bool:
    """True when the certification's scope (cloud, regions, resource types) covers the resource.

    A certificate with ``regions_unlisted`` covers the regions it does list; the others
    are only possibly covered (see :attr:`~sovpolicy.model.Host.unlisted`)."""
    if cert.cloud != cloud:
        return False
    if "*" not in cert.regions and region not in cert.regions:
        return False
    return not cert.resource_types or any(fnmatchcase(rtype, g) for g in cert.resource_types)


def _laws(catalog: Catalog, chain: tuple) -> tuple[Law, ...]:
    laws: dict[str, Law] = {}
    for ent in chain:
        for lid in ent.laws:
            laws.setdefault(lid, catalog.laws[lid])
    return tuple(laws.values())


def _unlisted(catalog: Catalog, cloud_id: str, rtype: str, region: str | None = None,
              operator: str | None = None) -> tuple[Certification, ...]:
    """Certifications of the cloud whose unlisted regions may include this one: not those
    that list it (they cover it), nor those whose holder does not run it (a region run by
    another entity, such as the AWS European Sovereign Cloud, is outside the holder's scope)."""
    return tuple(c for c in catalog.certifications if c.cloud == cloud_id and c.regions_unlisted
                 and (region is None or region not in c.regions)
                 and (operator is None or c.holder == operator)
                 and (not c.resource_types or any(fnmatchcase(rtype, g) for g in c.resource_types)))


def _group_host(catalog: Catalog, group: LocationGroup, rtype: str) -> Host:
    """A host that spans a location group: EEA judged on the whole group, a certification
    counted only when it names the group or covers every member region (never for a
    group without listed members: ``"*"`` means every region, not every edge). A global
    edge is no region at all, so certifications with unlisted regions do not reach it."""
    cloud = catalog.clouds[group.cloud]
    operator = catalog.entities.get(cloud.operator) if cloud.operator else None
    parents = catalog.parent_chain(cloud.operator)
    certs = tuple(c for c in catalog.certifications
                  if covers(c, group.cloud, group.code, rtype)
                  or (group.regions and all(covers(c, group.cloud, r, rtype) for r in group.regions)))
    countries = group.countries or ()
    return Host(
        cloud=group.cloud, region=group.code, region_name=group.name, city=None,
        country=countries[0] if len(countries) == 1 else None, eea=group.eea, operator=operator, parents=parents,
        laws=_laws(catalog, ((operator,) if operator else ()) + parents), certifications=certs,
        region_source=group.source, countries=countries,
        unlisted=() if group.kind == "global" else _unlisted(catalog, group.cloud, rtype),
        group=group.kind)


def resolve_host(catalog: Catalog, placement: Placement, rtype: str) -> Host | None:
    """The host a resolved placement lands on, or None when the placement is unresolved.

    A region the catalog does not know yields a host with ``known_region=False`` and
    no country, operator or law: nothing about it can satisfy a requirement. A location
    group of ``flows.yaml`` (Google ``EU``, ``EUR4``; a cloud's ``global`` edge) yields a
    host that spans its countries (:attr:`Host.countries`, :attr:`Host.group`).
    """
    if not placement.resolved:
        return None
    cloud_id, region = placement.cloud, placement.region
    assert cloud_id is not None and region is not None
    cloud = catalog.clouds.get(cloud_id)
    entry = cloud.regions.get(region) if cloud else None
    if cloud is not None and entry is None:
        group = catalog.flows.group(cloud_id, region)
        if group is not None:
            return _group_host(catalog, group, rtype)
    if cloud is None or entry is None:
        return Host(cloud_id, region, None, None, None, None, None, (), (), (), None, known_region=False)
    operator_id = entry.operator or cloud.operator
    operator = catalog.entities.get(operator_id) if operator_id else None
    parents = catalog.parent_chain(operator_id)
    certs = tuple(c for c in catalog.certifications if covers(c, cloud_id, region, rtype))
    country = entry.country
    return Host(
        cloud=cloud_id, region=region, region_name=entry.name, city=entry.city, country=country,
        eea=None if country is None else country in catalog.eea,
        operator=operator, parents=parents, laws=_laws(catalog, ((operator,) if operator else ()) + parents),
        certifications=certs, region_source=entry.source, unlisted=_unlisted(catalog, cloud_id, rtype, region, operator_id))
