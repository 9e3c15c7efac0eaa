"""The JSON report: a stable, versioned contract (documented in the README).

``schema_version`` follows semantic versioning: a minor bump only adds fields; anything
that removes or changes a field bumps the major.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ..model import Certification, Finding, Host, Reason, Resource, ScanResult, SourceRef

SCHEMA_VERSION = "1.1"


def _source(s: SourceRef | None) -> dict[str, Any] | None:
    return None if s is None else {"id": s.id, "title": s.title, "url": s.url, "as_of": s.as_of.isoformat()}


def _reason(r: Reason) -> dict[str, Any]:
    return {"text": r.text, "source": _source(r.source)}


def _cert(c: Certification) -> dict[str, Any]:
    return {"id": c.id, "scheme": c.scheme, "status": c.status, "offer": c.offer, "referential": c.referential,
            "since": c.since.isoformat() if c.since else None, "expires": c.expires.isoformat() if c.expires else None,
            "source": _source(c.source)}


def _host(h: Host | None) -> dict[str, Any] | None:
    if h is None:
        return None
    return {
        "operator": h.operator.name if h.operator else None,
        "parents": [p.name for p in h.parents],
        "laws": [law.id for law in h.laws],
        "certifications": [_cert(c) for c in h.certifications],
        "known_region": h.known_region,
    }


def _resource(r: Resource, h: Host | None) -> dict[str, Any]:
    p = r.placement
    return {
        "address": r.address,
        "type": r.type,
        "source": r.source.value,
        "action": r.action,
        "location": {"path": r.location.path, "line": r.location.line} if r.location else None,
        "placement": {
            "cloud": p.cloud, "region": p.region,
            "country": h.country if h else None, "eea": h.eea if h else None,
            "origin": p.origin.value, "evidence": list(p.evidence), "reason": p.reason, "provider": p.provider,
        },
        "host": _host(h),
        "data_classes": sorted(r.data_classes),
        "classified_by": [{"class": c.data_class, "reason": c.reason} for c in r.classifications],
        "flows": [],
        "notes": list(r.notes),
    }


def _waiver(w: Any) -> dict[str, Any] | None:
    if w is None:
        return None
    return {"policy": w.policy_id, "address": w.address, "reason": w.reason, "expires": w.expires.isoformat(),
            "approved_by": w.approved_by, "decision": w.decision,
            "decision_expires": w.decision_expires.isoformat() if w.decision_expires else None, "origin": w.origin}


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "policy_id": f.policy_id, "pack": f.pack, "title": f.title, "status": f.status.value, "blocking": f.blocking,
        "severity": f.severity.value, "enforcement": f.enforcement.value, "address": f.address,
        "message": f.message, "reasons": [_reason(r) for r in f.reasons], "remediation": f.remediation, "waiver": _waiver(f.waiver),
    }


def report_dict(result: ScanResult) -> dict[str, Any]:
    """The report as plain data (see the README's "JSON report" section for every field)."""
    from .. import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "sovpolicy", "version": __version__},
        "catalog": {"version": result.catalog_version, "as_of": result.catalog_as_of.isoformat()},
        "as_of": result.as_of.isoformat(),
        "inputs": list(result.inputs),
        "resources": [_resource(r, result.hosts.get(r.address)) for r in result.resources],
        "findings": [_finding(f) for f in result.findings],
        "problems": [{"kind": p.kind, "message": p.message, "where": p.where} for p in result.problems],
        "warnings": list(result.warnings),
        "summary": {**result.counts(), "exit_code": result.exit_code},
    }


def render_json(result: ScanResult) -> str:
    """Render the JSON report (2-space indented, UTF-8, deterministic order)."""
    return msgspec.json.format(msgspec.json.encode(report_dict(result)), indent=2).decode("utf-8") + "\n"
