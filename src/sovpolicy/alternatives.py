"""Qualified alternatives: which catalog hosts could take a resource that fails.

For a resource with blocking findings, the alternatives are the catalog's places (cloud,
region, offer) where every policy that blocked it would pass, for the same kind of service
when the catalog knows its equivalents (``services.yaml``: object storage, managed
database, VM, Kubernetes), each with the certificates that make it qualify, their dates
and sources; nearest first: the same country, then the EEA, then the rest. An empty list
is an answer too: no host in the catalog qualifies (the CNIL's EMC2 finding).

Each candidate is judged by the same policy evaluation as a scanned resource, on a
resource of the equivalent type placed there (origin ``catalog``), so an alternative never
passes a rule a real resource there would not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from .catalog import Catalog, resolve_host
from .catalog.schemes import transition_ended
from .classify import asked_classes
from .model import (
    Certification,
    Enforcement,
    Finding,
    Host,
    Origin,
    Placement,
    Policy,
    Resource,
    SourceKind,
    Status,
)
from .model.alternative import Alternative, cert_text
from .policy import applies, evaluate

__all__ = ["SHOWN", "Alternative", "Finder", "cert_text", "equivalents", "for_findings", "report_lines"]


def equivalents(catalog: Catalog, rtype: str, cloud: str | None) -> list[tuple[str, str, str | None]]:
    """``(cloud, type, service name)`` to try: every cloud's types of the same kind of
    service, else the type itself on its own cloud."""
    for service in catalog.services.values():
        if service.kind_of(rtype):
            return [(c, types[0], service.name) for c, types in sorted(service.types.items())]
    return [(cloud, rtype, None)] if cloud else []


def _schemes(policies: Iterable[Policy]) -> set[str]:
    return {str(args["scheme"]) for p in policies for name, args in p.require if name == "certified"}


_Place = tuple[str, str, str, "str | None", Host, tuple[Certification, ...], tuple[str, ...]]
"""A place where no policy asked fails: cloud, region, type, service, host, the
certificates asked for that cover it, and the doubts (empty when it qualifies)."""


class Finder:
    """Finds qualified alternatives; build once per scan (results are cached by type, policies and place)."""

    def __init__(self, catalog: Catalog, as_of: dt.date, adequacy: frozenset[str] = frozenset(),
                 confirmed: frozenset[str] = frozenset()) -> None:
        self.catalog = catalog
        self.as_of = as_of
        self.adequacy = adequacy
        self.confirmed = confirmed
        self._cache: dict[tuple[object, ...], tuple[Alternative, ...]] = {}
        self._places: dict[tuple[object, ...], list[_Place]] = {}
        self._hosts: dict[tuple[str, str, str], Host | None] = {}
        self._verdicts: dict[tuple[object, ...], Finding | None] = {}
        self._memo: dict[object, object] = {}  # evaluate()'s own cache of chains and verdicts

    def find(self, rtype: str, cloud: str | None, classes: Iterable[str], policies: Sequence[Policy],
             near: str | None = None) -> tuple[Alternative, ...]:
        """Every catalog place where each of ``policies`` that applies to ``classes`` passes
        (qualified, first), then those where none fails but some cannot be shown to pass
        (unconfirmed, with why).

        Advisory policies never block, so they are not asked. ``near`` is the reference
        country for the order (the failing resource's, or the one asked for).
        """
        classes = frozenset(classes)
        key = (rtype, cloud, classes, tuple(p.id for p in policies), near)
        hit = self._cache.get(key)
        if hit is None:
            asked = [p for p in policies if p.enforcement is not Enforcement.ADVISORY]
            tried = tuple(equivalents(self.catalog, rtype, cloud))
            places_key = (tried, classes, tuple(p.id for p in asked))
            places = self._places.get(places_key)
            if places is None:  # judged once for every failing place and resource that asks the same
                places = self._places[places_key] = self._judge(tried, classes, asked)
            found = [Alternative(cid, code, etype, service, host, certs,
                                 0 if near and host.country == near else (1 if host.eea is True else 2), doubts)
                     for cid, code, etype, service, host, certs, doubts in places]
            found.sort(key=lambda a: (not a.qualified, a.nearness, a.cloud != cloud, a.cloud, a.region))
            hit = self._cache[key] = tuple(found)
        return hit

    def _judge(self, tried: Sequence[tuple[str, str, str | None]], classes: frozenset[str], asked: Sequence[Policy]
               ) -> list[_Place]:
        """The places among ``tried`` (clouds' equivalent types) where no policy asked fails."""
        asked_as = asked_classes(sorted(classes), self.catalog.implications)
        schemes = _schemes(asked)
        found: list[_Place] = []
        for cid, etype, service in tried:
            cl = self.catalog.clouds.get(cid)
            if cl is None:
                continue
            for code in sorted(cl.regions):
                placement = Placement(cid, code, Origin.CATALOG, (f"catalog region {cid} {code}",))
                res = Resource(f"{etype}.alternative", etype, SourceKind.PLAN, placement,
                               classifications=asked_as)
                hkey = (cid, code, etype)
                if hkey not in self._hosts:
                    self._hosts[hkey] = resolve_host(self.catalog, placement, etype)
                host = self._hosts[hkey]
                mine = [p for p in asked if applies(p, res)]
                if not mine or host is None:
                    continue
                verdicts: list[Finding] = []
                for p in mine:  # the first policy that fails (or does not apply) rules the place out
                    f = self._verdict(p, res, host)
                    if f is None or f.status is not Status.PASS and f.status is not Status.UNKNOWN:
                        break
                    verdicts.append(f)
                else:
                    doubts = tuple(f"{f.policy_id}: {f.reasons[f.chain_length].text if len(f.reasons) > f.chain_length else f.message}"
                                   for f in verdicts if f.status is Status.UNKNOWN)
                    certs = tuple(c for c in host.certifications if c.scheme in schemes and c.satisfies
                                  and c.valid_on(self.as_of) and not transition_ended(c, self.as_of))
                    found.append((cid, code, etype, service, host, certs, doubts))
        return found

    def _verdict(self, policy: Policy, res: Resource, host: Host) -> Finding | None:
        """One policy on one place, for one type and set of classes, evaluated once per finder."""
        key = (policy.id, res.placement.cloud, res.placement.region, res.type, res.data_classes)
        if key not in self._verdicts:
            self._verdicts[key] = evaluate(policy, res, host, self.catalog, self.as_of, self.adequacy, self._memo,
                                           confirmed=self.confirmed)
        return self._verdicts[key]


def for_findings(finder: Finder, findings: Sequence[Finding], policies: Sequence[Policy]
                 ) -> dict[tuple[str, str], tuple[Alternative, ...]]:
    """For each resource with a blocking finding, keyed ``(input, address)``: the places where
    every policy that blocked it would pass, and every other (non-advisory) policy the scan
    judged it by too, so that an alternative never trades one block for another."""
    by_id = {p.id: p for p in policies}
    judged: dict[tuple[str, str], tuple[Resource, set[str]]] = {}
    blocked: dict[tuple[str, str], None] = {}  # in the findings' order (the answers do not depend on it)
    for f in findings:
        key = f.resource.key
        seen = judged.get(key)
        if seen is None:
            seen = judged[key] = (f.resource, set())
        seen[1].add(f.policy_id)
        if f.blocking:
            blocked[key] = None
    out = {}
    hosts: dict[tuple[str | None, str | None, str], Host | None] = {}
    for key in blocked:
        res, ids = judged[key]
        host = None
        if res.placement.resolved:
            place = (res.placement.cloud, res.placement.region, res.type)
            if place not in hosts:
                hosts[place] = resolve_host(finder.catalog, res.placement, res.type)
            host = hosts[place]
        near = host.country if host is not None and host.country else None
        out[key] = finder.find(res.type, res.placement.cloud, res.data_classes, [by_id[i] for i in sorted(ids) if i in by_id],
                               near)
    return out


SHOWN = 5
"""Qualified alternatives listed per resource in a scan report (the rest are counted)."""


def report_lines(alts: Sequence[Alternative], shown: int = SHOWN) -> list[tuple[str, tuple[Certification, ...]]]:
    """The lines a report shows for one resource's alternatives, each with the certificates
    whose sources it cites: the first ``shown`` qualified places, a count of the others and
    of the unconfirmed ones, or the plain answer that no place in the catalog qualifies."""
    good = [a for a in alts if a.qualified]
    doubtful = len(alts) - len(good)
    maybe = (f"{doubtful} more where no policy fails but some cannot be shown to pass "
             "(`sovpolicy alternatives` lists them with why)") if doubtful else ""
    if not good:
        return [(f"alternatives: no host in the catalog is shown to satisfy every policy that blocked it"
                 f"{'; ' + maybe if maybe else ''}", ())]
    out: list[tuple[str, tuple[Certification, ...]]] = [
        ("alternatives (catalog hosts where every policy that blocked it passes, nearest first):", ())]
    out += [(f"  {a.describe()}", a.certifications) for a in good[:shown]]
    more = [f"{len(good) - shown} more qualified"] if len(good) > shown else []
    more += [maybe] if maybe else []
    if more:
        out.append((f"  and {'; '.join(more)}", ()))
    return out
