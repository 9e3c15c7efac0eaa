"""The JSON report: a stable, versioned contract (documented in the README).

``schema_version`` follows semantic versioning: a minor bump only adds fields; anything
that removes or changes a field bumps the major.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from ..memo import memoised
from ..model import Certification, Finding, Flow, Host, Placement, Reason, Resource, ScanResult, SourceRef
from .common import ReportContext

SCHEMA_VERSION = "2.0"
"""1.1 added ``warnings`` and the ``waiver`` object; 1.2 fills ``resources[].flows``, adds
``findings[].flow`` and ``placement.countries``; 1.3 adds ``input`` and ``notes``, and with
``scan --history`` ``findings[].history`` (``new``/``unchanged``) and ``history`` (the
previous scan of the scope and the findings resolved since); 1.4 adds ``catalog.digest``,
``resources[].alternatives`` and ``expiry_derived`` on certifications. 2.0 writes each
distinct host and chain of reasons once: ``resources[].host`` is an index into ``hosts``,
``findings[].reasons`` became ``findings[].chain``, an index into ``chains``, and a reason
that names where the resource's own value was read says so with ``at`` instead (the place
is the resource's ``placement.evidence``), so findings of resources placed alike share one
chain."""


_MEMO: dict[Any, Any] = {}
"""Dicts built once per object for one report (cleared by :func:`iter_json`)."""

_ENCODE = msgspec.json.encode


def _source(s: SourceRef | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return memoised(_MEMO, ("source", id(s)), s, lambda: {"id": s.id, "title": s.title, "url": s.url,
                                                          "as_of": s.as_of.isoformat()})


def _reason(r: Reason) -> dict[str, Any]:
    return memoised(_MEMO, ("reason", id(r)), r, _reason_dict, r)


def _reason_dict(r: Reason) -> dict[str, Any]:
    if not r.at:
        return {"text": r.text, "source": _source(r.source), "at": None}
    # without the place it was read, one reason of many resources: one dict (chains are keyed by their dicts)
    text = r.text.removesuffix(f" ({r.at})")
    return memoised(_MEMO, ("reason at", text, id(r.source)), r.source,
                    lambda: {"text": text, "source": _source(r.source), "at": "placement.evidence"})


def _cert(c: Certification) -> dict[str, Any]:
    return {"id": c.id, "scheme": c.scheme, "status": c.status, "offer": c.offer, "referential": c.referential,
            "since": c.since.isoformat() if c.since else None, "expires": c.expires.isoformat() if c.expires else None,
            "expiry_derived": c.expiry_basis, "source": _source(c.source)}


def _alternative(a: Any) -> dict[str, Any]:
    return memoised(_MEMO, ("alternative", id(a)), a, lambda: _alternative_dict(a))


def _alternative_dict(a: Any) -> dict[str, Any]:
    return {"cloud": a.cloud, "region": a.region, "country": a.host.country, "eea": a.host.eea, "type": a.type,
            "service": a.service, "operator": a.host.operator.name if a.host.operator else None,
            "certifications": [_cert(c) for c in a.certifications]}


def _host(h: Host | None) -> dict[str, Any] | None:
    if h is None:
        return None
    return memoised(_MEMO, ("host", id(h)), h, lambda: {
        "operator": h.operator.name if h.operator else None,
        "parents": [p.name for p in h.parents],
        "laws": [law.id for law in h.laws],
        "certifications": [_cert(c) for c in h.certifications],
        "known_region": h.known_region,
    })


# Enum members (str-valued) are passed as they are: msgspec encodes them as their value.
def _placement(p: Placement, h: Host | None) -> dict[str, Any]:
    return {
        "cloud": p.cloud, "region": p.region,
        "country": h.country if h else None, "countries": h.countries if h else (), "eea": h.eea if h else None,
        "origin": p.origin, "evidence": list(p.evidence), "reason": p.reason, "provider": p.provider,
    }


def _flow(f: Flow, h: Host | None) -> dict[str, Any]:
    return memoised(_MEMO, ("flow", id(f)), f, lambda: {
        "to": _placement(f.to, h), "kind": f.kind, "via": f.via, "evidence": list(f.evidence),
        "rule": f.rule, "source": _source(f.source)})


def _flow_ref(f: Flow, h: Host | None) -> dict[str, Any]:
    """A finding's flow, short: the destination, kind and via (the full flow, with its
    evidence and source, is in the resource's ``flows``)."""
    return memoised(_MEMO, ("flow_ref", id(f)), f, lambda: {
        "to": {"cloud": f.to.cloud, "region": f.to.region, "country": h.country if h else None,
               "eea": h.eea if h else None}, "kind": f.kind, "via": f.via})


class _Table:
    """Values written once each, at the end of their section, and referenced by index."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.items: list[Any] = []

    def ref(self, key: Any, make: Callable[[], Any]) -> int:
        i = self.index.get(key)
        if i is None:
            i = self.index[key] = len(self.items)
            self.items.append(make())
        return i


class _Refs:
    """The report's shared tables: hosts and chains, each written once whatever the objects that say it."""

    def __init__(self) -> None:
        self.hosts = _Table()
        self.chains = _Table()
        self._chain_of: dict[int, tuple[tuple[Reason, ...], int]] = {}
        self._by_ids: dict[tuple[int, ...], int] = {}
        self._host_of: dict[int, tuple[Host, int]] = {}

    def host(self, h: Host | None) -> int | None:
        if h is None:
            return None
        hit = self._host_of.get(id(h))
        if hit is None or hit[0] is not h:  # hosts alike (one per resource type) are written once
            encoded = msgspec.json.encode(_host(h))
            hit = self._host_of[id(h)] = (h, self.hosts.ref(encoded, lambda: msgspec.Raw(encoded)))
        return hit[1]

    def chain(self, chain: tuple[Reason, ...]) -> int:
        hit = self._chain_of.get(id(chain))
        if hit is None or hit[0] is not chain:
            reasons = [_reason(r) for r in chain]  # each dict lives as long as the memo: ids are stable keys
            ids = tuple(map(id, reasons))
            index = self._by_ids.get(ids)
            if index is None:  # equal dicts may be distinct objects: the same chain is written once
                encoded = msgspec.json.encode(reasons)
                index = self._by_ids[ids] = self.chains.ref(encoded, lambda: msgspec.Raw(encoded))
            hit = self._chain_of[id(chain)] = (chain, index)
        return hit[1]


_RESOURCE_FIELDS = ("input", "address", "type", "source", "action", "location", "placement", "host", "data_classes",
                    "classified_by", "flows", "notes", "alternatives", "alternatives_unconfirmed")
"""A resource's fields in the report, in order."""

_ResourceLine = msgspec.defstruct("_ResourceLine", _RESOURCE_FIELDS)
"""A resource as msgspec encodes it in one call: byte for byte the dict of its fields."""


def _resource_values(r: Resource, h: Host | None, result: ScanResult, refs: _Refs, encoded: bool) -> tuple[Any, ...]:
    """A resource's report fields (:data:`_RESOURCE_FIELDS`). ``encoded``: its location,
    classes and alternatives, which many resources share (the same objects), as their
    JSON, encoded once each."""
    alts = result.alternatives.get(r.key, ())
    classes = _shared(("classes", id(r.classifications)), r.classifications, _classes, encoded)
    offered = _shared(("alternatives", id(alts)), alts, _offered, encoded)
    where = r.location
    if where is None:
        location: Any = None
    elif encoded:  # one per input for a plan
        location = memoised(_MEMO, ("location", id(where)), where, lambda: msgspec.Raw(_ENCODE(_location(where))))
    else:
        location = _location(where)
    return (r.input, r.address, r.type, r.source, r.action, location, _placement(r.placement, h), refs.host(h),
            classes[0], classes[1], [_flow(f, result.flow_host(r, i)) for i, f in enumerate(r.flows)] if r.flows else (),
            list(r.notes), offered[0], offered[1])


def _resource(r: Resource, h: Host | None, result: ScanResult, refs: _Refs) -> dict[str, Any]:
    """A resource's report object."""
    return dict(zip(_RESOURCE_FIELDS, _resource_values(r, h, result, refs, False)))


def _resource_line(r: Resource, h: Host | None, result: ScanResult, refs: _Refs) -> Any:
    """:func:`_resource`, as a struct msgspec encodes byte for byte as it encodes that dict."""
    return _ResourceLine(*_resource_values(r, h, result, refs, True))


def _location(where: Any) -> dict[str, Any]:
    return {"path": where.path, "line": where.line}


def _shared(key: tuple[str, int], anchor: Any, make: Callable[[Any], tuple[Any, Any]], encoded: bool) -> tuple[Any, Any]:
    """``make(anchor)``, once per object for the report; ``encoded``: its first part as
    ready JSON (``msgspec.Raw``, written as it is)."""
    if not encoded:
        return make(anchor)
    return memoised(_MEMO, key, anchor, lambda: (lambda v: (msgspec.Raw(_ENCODE(v[0])), v[1]))(make(anchor)))


def _classes(classifications: tuple[Any, ...]) -> tuple[list[Any], list[dict[str, Any]]]:
    """``data_classes`` and ``classified_by`` (the classes sorted, the reasons in order)."""
    return (sorted({c.data_class for c in classifications}),
            [{"class": c.data_class, "reason": c.reason} for c in classifications])


def _offered(alts: tuple[Any, ...]) -> tuple[list[dict[str, Any]], int]:
    """``alternatives`` (the qualified ones) and ``alternatives_unconfirmed`` (how many others)."""
    shown = [_alternative(a) for a in alts if a.qualified]
    return shown, len(alts) - len(shown)


def _waiver(w: Any) -> dict[str, Any] | None:
    if w is None:
        return None
    return {"policy": w.policy_id, "address": w.address, "reason": w.reason, "expires": w.expires.isoformat(),
            "approved_by": w.approved_by, "decision": w.decision,
            "decision_expires": w.decision_expires.isoformat() if w.decision_expires else None, "origin": w.origin}


def _chain(f: Finding, refs: _Refs) -> int:
    return refs.chain(f.chain_like if f.chain_like is not None else f.reasons)


_FINDING_FIELDS = ("policy_id", "pack", "title", "status", "blocking", "severity", "enforcement", "input", "address",
                   "message", "chain", "remediation", "waiver", "flow", "history")
"""A finding's fields in the report, in order (``history`` only with ``scan --history``)."""

_FindingLine = msgspec.defstruct("_FindingLine", [*_FINDING_FIELDS[:-1], ("history", Any, msgspec.UNSET)])
"""A finding as msgspec encodes it in one call: byte for byte the dict of its fields (an
unset ``history`` is left out)."""


def _finding_values(f: Finding, result: ScanResult, refs: _Refs) -> tuple[Any, ...]:
    """A finding's report fields (:data:`_FINDING_FIELDS`; ``history`` unset without history)."""
    return (f.policy_id, f.pack, f.title, f.status, f.blocking, f.severity, f.enforcement, f.resource.input, f.address,
            f.message, _chain(f, refs), f.remediation, _waiver(f.waiver),
            None if f.flow is None else _flow_ref(f.flow, f.host),
            msgspec.UNSET if result.history is None else result.history.mark(f))


def _finding(f: Finding, result: ScanResult, refs: _Refs) -> dict[str, Any]:
    """A finding's report object."""
    out = dict(zip(_FINDING_FIELDS, _finding_values(f, result, refs)))
    if out["history"] is msgspec.UNSET:
        del out["history"]
    return out


def _finding_line(f: Finding, result: ScanResult, refs: _Refs) -> Any:
    """:func:`_finding`, as a struct msgspec encodes byte for byte as it encodes that dict."""
    return _FindingLine(*_finding_values(f, result, refs))


def _history(result: ScanResult) -> dict[str, Any]:
    h = result.history
    assert h is not None
    return {"scan_id": h.scan_id, "scope": h.scope, "previous_scan_id": h.previous_id, "previous_started_at": h.previous_at,
            "new": sum(1 for f in result.findings if h.mark(f) == "new"),
            "unchanged": sum(1 for f in result.findings if h.mark(f) == "unchanged"),
            "resolved": [{"policy_id": r.policy_id, "input": r.input, "address": r.address, "subject": r.subject,
                          "status": r.status, "message": r.message} for r in h.resolved]}


def _sections(result: ScanResult, encoded: bool = False) -> Iterator[tuple[str, Any, bool]]:
    """(key, value, is_list) in report order; lists are produced lazily, item by item
    (``encoded``: resources and findings as structs msgspec encodes in one call each, with
    the parts many of them share as their JSON, encoded once)."""
    from .. import __version__

    yield "schema_version", SCHEMA_VERSION, False
    yield "tool", {"name": "sovpolicy", "version": __version__}, False
    yield "catalog", {"version": result.catalog_version, "as_of": result.catalog_as_of.isoformat(),
                      "digest": result.catalog_digest}, False
    yield "as_of", result.as_of.isoformat(), False
    yield "inputs", list(result.inputs), False
    refs = _Refs()
    resource = _resource_line if encoded else _resource
    yield "resources", (resource(r, result.host(r), result, refs) for r in result.resources), True
    yield "hosts", iter(refs.hosts.items), True
    finding = _finding_line if encoded else _finding
    yield "findings", (finding(f, result, refs) for f in result.findings), True
    yield "chains", iter(refs.chains.items), True
    yield "problems", ({"kind": p.kind, "message": p.message, "where": p.where} for p in result.problems), True
    yield "warnings", list(result.warnings), False
    yield "notes", list(result.notes), False
    if result.history is not None:
        yield "history", _history(result), False
    yield "summary", {**result.counts(), "exit_code": result.exit_code}, False


def report_dict(result: ScanResult) -> dict[str, Any]:
    """The report as plain data (see the README's "JSON report" section for every field)."""
    _MEMO.clear()
    try:
        return {key: (list(value) if is_list else value) for key, value, is_list in _sections(result)}
    finally:
        _MEMO.clear()


_CHUNK = 1 << 20
"""About how many bytes of a list :func:`iter_json` gathers before handing them on."""

_FIRST = msgspec.Raw(b"[\n    ")
_NEXT = msgspec.Raw(b",\n    ")
"""What goes before a list's first item, and before each other (written as they are)."""


def _indented(value: Any, prefix: bytes) -> bytes:
    return msgspec.json.format(msgspec.json.encode(value), indent=2).replace(b"\n", b"\n" + prefix)


def iter_json(result: ScanResult, ctx: ReportContext | None = None) -> Iterator[bytes]:
    """The JSON report as UTF-8 chunks, so that a large report is never held whole.

    Top-level fields are 2-space indented; each resource and each finding is one compact
    line (easy to grep, and fast to write for plans of tens of thousands of resources).
    The order is deterministic. It holds every finding (``ctx`` is not needed).
    """
    _MEMO.clear()
    into = msgspec.json.Encoder().encode_into
    buf = bytearray()
    try:
        yield b"{"
        first = True
        for key, value, is_list in _sections(result, encoded=True):
            yield (b"\n" if first else b",\n") + b'  "' + key.encode() + b'": '
            first = False
            if not is_list:
                yield _indented(value, b"  ")
                continue
            # encoded in place, handed on about a megabyte at a time; only msgspec writes to
            # the buffer, which never gives memory back: it is allocated once, not once per chunk
            sep, at = _FIRST, 0
            for item in value:
                into(sep, buf, at)  # at 0: the buffer's last chunk was handed on
                into(item, buf, -1)
                sep, at = _NEXT, -1
                if len(buf) >= _CHUNK:
                    yield bytes(buf)
                    at = 0
            if at == -1:
                yield bytes(buf)
            yield b"[]" if sep is _FIRST else b"\n  ]"
        yield b"\n}\n"
    finally:
        _MEMO.clear()  # let the report's objects go once it is written

def render_json(result: ScanResult) -> str:
    """Render the JSON report as one string (see :func:`iter_json` to stream it)."""
    return b"".join(iter_json(result)).decode("utf-8")
