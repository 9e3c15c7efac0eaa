"""The catalog as a reviewer reads it: every fact on one line (``catalog show``), what
changed between two catalog directories and which verdicts that moves (``catalog diff``),
and the qualified hosts for a kind of data without a scan (``alternatives``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .alternatives import Alternative, Finder, cert_text
from .catalog import Catalog
from .catalog.load import _Builder, read_documents
from .model import Origin, Placement, Policy, Resource, SourceKind, SourceRef


@dataclass(frozen=True)
class Fact:
    """One catalog fact: what it is, where it applies, its status and dates, its source."""

    kind: str
    id: str
    cloud: str | None
    regions: tuple[str, ...]
    scheme: str | None
    status: str
    text: str
    source: SourceRef

    def line(self) -> str:
        scope = f" [{self.cloud}: {', '.join(self.regions) or '-'}]" if self.cloud else ""
        return (f"{self.kind} {self.id}{scope} {self.status}: {self.text} "
                f"[source: {self.source.title}, {self.source.url}, as of {self.source.as_of.isoformat()}]")


def facts(catalog: Catalog) -> list[Fact]:
    """Every fact of the catalog, in a stable order."""
    out: list[Fact] = []
    for cid, cloud in sorted(catalog.clouds.items()):
        for code, r in sorted(cloud.regions.items()):
            eea = "EEA" if r.country in catalog.eea else ("outside the EEA" if r.country else "country unknown")
            op = r.operator or cloud.operator or "unknown"
            out.append(Fact("region", f"{cid}/{code}", cid, (code,), None, r.country or "??",
                            f"{r.name or code}, {eea}, operated by {op}", r.source))
    for c in catalog.certifications:
        unlisted = " + regions not named" if c.regions_unlisted else ""
        bits = [cert_text(c), f"referential {c.referential or 'not sourced'}"]
        if c.expiry_basis:
            bits.append(f"expiry {c.expiry_basis}")
        if c.transition_ends:
            bits.append(f"referential's transition to {c.superseded_by} ended {c.transition_ends.isoformat()}")
        if c.resource_types:
            bits.append(f"types {', '.join(c.resource_types)}")
        if c.conditions:
            bits.append(f"only if confirmed: {', '.join(c.conditions)}")
        out.append(Fact("certification", c.id, c.cloud, c.regions + (("(unlisted)",) if unlisted else ()), c.scheme,
                        c.status, "; ".join(bits) + f"; holder {c.holder}", c.source))
    for eid, e in sorted(catalog.entities.items()):
        laws = f", reached by {', '.join(e.laws)}" if e.laws else ""
        out.append(Fact("entity", eid, None, (), None, e.basis, f"{e.name} ({e.country or '??'}), parent {e.parent or '-'}{laws}", e.source))
    for lid, law in sorted(catalog.laws.items()):
        out.append(Fact("law", lid, None, (), None, "non-EU" if law.non_eu else "EU", law.name, law.source))
    for sid, s in sorted(catalog.schemes.items()):
        refs = ", ".join(f"{r.id}" + (f" (to {r.superseded_by} by {r.transition_ends})" if r.transition_ends else "")
                         for r in s.referentials.values())
        out.append(Fact("scheme", sid, None, (), sid, f"{s.validity_years} years" if s.validity_years else "no validity",
                        f"{s.name}; referentials {refs or '-'}", s.source))
    for did, d in sorted(catalog.decisions.items()):
        out.append(Fact("decision", did, None, (), None, f"ends {d.ends.isoformat()}",
                        f"{d.name} ({d.authority}, {d.decided.isoformat()})" + (f"; {d.end_basis}" if d.end_basis else ""), d.source))
    for cls, links in sorted(catalog.implications.items()):
        for link in links:
            out.append(Fact("class", f"{cls}->{link.child}", None, (), None, "implies", link.why, link.source))
    return out


def select(all_facts: Iterable[Fact], cloud: str | None = None, scheme: str | None = None,
           region: str | None = None) -> list[Fact]:
    """The facts of a cloud, a scheme and a region (a certification of unnamed regions of that
    cloud is kept: it may cover the region)."""
    out = []
    for f in all_facts:
        if cloud and f.cloud != cloud:
            continue
        if scheme and f.scheme != scheme:
            continue
        if region and region not in f.regions and "*" not in f.regions and "(unlisted)" not in f.regions:
            continue
        out.append(f)
    return out


def load_directory(directory: Path) -> Catalog:
    """A whole catalog from one directory (no built-in catalog under it), validated."""
    builder = _Builder()
    docs = read_documents([directory], validate=True)
    for path, kind, doc in docs:
        builder.add(path, kind, doc)
    return builder.build([p for p, _, _ in docs])


@dataclass(frozen=True)
class Change:
    """A fact added, removed or changed between two catalogs."""

    what: str  # added | removed | changed
    old: Fact | None
    new: Fact | None

    def lines(self) -> list[str]:
        if self.what == "added" and self.new:
            return [f"+ {self.new.line()}"]
        if self.what == "removed" and self.old:
            return [f"- {self.old.line()}"]
        assert self.old and self.new
        return [f"~ {self.old.kind} {self.old.id}", f"    was: {self.old.line()}", f"    now: {self.new.line()}"]


def diff(old: Catalog, new: Catalog) -> list[Change]:
    """Facts added, removed and changed, by kind and id."""
    a = {(f.kind, f.id): f for f in facts(old)}
    b = {(f.kind, f.id): f for f in facts(new)}
    out = []
    for key in sorted(a.keys() | b.keys()):
        if key not in b:
            out.append(Change("removed", a[key], None))
        elif key not in a:
            out.append(Change("added", None, b[key]))
        elif a[key] != b[key]:
            out.append(Change("changed", a[key], b[key]))
    return out


def service_types(*catalogs: Catalog) -> dict[str, list[str]]:
    """Cloud -> the first type of each kind of service there, over every catalog given."""
    out: dict[str, set[str]] = {}
    for cat in catalogs:
        for s in cat.services.values():
            for c, ts in s.types.items():
                out.setdefault(c, set()).add(ts[0])
    return {c: sorted(ts) for c, ts in out.items()}


def verdicts(catalog: Catalog, policies: Sequence[Policy], as_of: dt.date, types: dict[str, list[str]],
             classes: Iterable[str] = ("health",)) -> dict[tuple[str, str, str, str], str]:
    """Every policy's verdict on every catalog place, for each kind of service's type there
    (or, on a cloud no kind covers, a generic resource): ``(policy, cloud, region, type) -> status``."""
    from .catalog import resolve_host
    from .classify import asked_classes
    from .policy import applies, evaluate

    asked_as = asked_classes(classes, catalog.implications)
    out = {}
    for cid, cloud in catalog.clouds.items():
        for code in cloud.regions:
            for rtype in types.get(cid) or [f"{cid}_resource"]:
                p = Placement(cid, code, Origin.CATALOG)
                res = Resource(f"{rtype}.x", rtype, SourceKind.PLAN, p, classifications=asked_as)
                host = resolve_host(catalog, p, rtype)
                for pol in policies:
                    if applies(pol, res):
                        f = evaluate(pol, res, host, catalog, as_of)
                        if f is not None:
                            out[(pol.id, cid, code, rtype)] = f.status.value
    return out


def moved(old: Catalog, new: Catalog, policies: Sequence[Policy], as_of: dt.date) -> list[str]:
    """``SOV-HDS-001 aws eu-west-3 aws_s3_bucket: unknown -> pass`` for every verdict that differs."""
    types = service_types(old, new)
    a, b = verdicts(old, policies, as_of, types), verdicts(new, policies, as_of, types)
    lines = []
    for key in sorted(a.keys() | b.keys()):
        if a.get(key) != b.get(key):
            pid, cloud, region, rtype = key
            lines.append(f"{pid} {cloud} {region} {rtype}: {a.get(key, 'not judged')} -> {b.get(key, 'not judged')}")
    return lines


def alternatives_text(groups: Sequence[tuple[str | None, Sequence[Alternative]]], asked: Sequence[Policy]) -> str:
    """The ``alternatives`` command's report: per kind of service, qualified places then
    unconfirmed ones, each with its certificates and their sources; or the plain answer
    that no place in the catalog qualifies."""
    out = [f"policies asked: {', '.join(p.id for p in asked) or 'none'}"]
    for name, alts in groups:
        out.append("")
        good = [a for a in alts if a.qualified]
        head = f"{name}: " if name else ""
        if not good:
            out.append(f"{head}no host in the catalog qualifies: none is shown to satisfy every policy asked")
        else:
            out.append(f"{head}{len(good)} qualified host{'s' if len(good) != 1 else ''}, nearest first:")
        for a in good:
            out.append(f"  {a.describe()}")
            for c in a.certifications:
                out.append(f"      source: {c.source.cite()}")
        doubtful = [a for a in alts if not a.qualified]
        if doubtful:
            out.append(f"{head}{len(doubtful)} unconfirmed (no policy fails, some cannot be shown to pass):")
            out += [f"  {a.describe()}" for a in doubtful]
    return "\n".join(out) + "\n"


def alternatives_groups(finder: Finder, catalog: Catalog, policies: Sequence[Policy], classes: Sequence[str],
                        rtype: str | None, near: str | None) -> list[tuple[str | None, tuple[Alternative, ...]]]:
    """One group per kind of service (or the one asked for by ``--type``)."""
    if rtype:
        kind = next((s.name for s in catalog.services.values() if s.kind_of(rtype)), None)
        cloud = next((p.cloud for p in catalog.providers.values() if p.cloud and rtype.startswith(p.source.split("/")[-1] + "_")), None)
        return [(kind or rtype, finder.find(rtype, cloud, classes, policies, near))]
    out: list[tuple[str | None, tuple[Alternative, ...]]] = []
    for s in catalog.services.values():
        cloud, types = next(iter(sorted(s.types.items())))
        out.append((s.name, finder.find(types[0], cloud, classes, policies, near)))
    return out
