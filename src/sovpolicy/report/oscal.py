"""An OSCAL 1.1.3 ``assessment-results`` document for the evidence bundle.

The mapping (NIST OSCAL assessment layer):

* ``results[0]`` is the scan; ``start`` and ``end`` are the bundle's ``generated_at``;
  ``reviewed-controls`` selects one control per policy id that produced a finding.
* ``local-definitions.inventory-items``: one per resource, with its type, cloud, region,
  country and operator as properties.
* ``observations``, each about one inventory item, with the reasons as
  ``relevant-evidence`` linked to their catalog sources: one per resource for the chain
  that places it (classification, region, country, operator, parents; shared by every
  policy with the same chain), and one per finding for the verdict's own reasons.
* ``findings``: one per finding, related to both observations, targeting the policy (``objective-id`` = policy id) with
  state ``satisfied`` (PASS) or ``not-satisfied`` (FAIL: reason ``fail``; UNKNOWN and
  WAIVED: reason ``other``, explained in ``remarks``).

UUIDs are version 5, derived from the content and ``generated_at``, so the document is
deterministic for the same scan and clock. sovpolicy writes no OSCAL assessment plan:
``import-ap`` points at the bundle's ``policies.json``, which lists the policies applied.
Properties that OSCAL does not define carry the namespace :data:`NS`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ..model import Finding, Reason, Resource, ScanResult, Status
from .common import dump_json, resource_key, squash

OSCAL_VERSION = "1.1.3"
#: namespace of sovpolicy's own OSCAL properties
NS = "urn:sovpolicy"
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, "urn:sovpolicy:oscal")


def timestamp(moment: dt.datetime) -> str:
    """``moment`` in UTC as OSCAL wants it, ``2026-11-30T12:00:00Z`` (a naive value is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _props(**values: object) -> list[dict[str, str]]:
    props = []
    for name, value in values.items():
        text = squash(str(value)) if value is not None else ""
        if text:
            props.append({"name": name.replace("_", "-"), "ns": NS, "value": text})
    return props


def _inventory_item(r: Resource, result: ScanResult, uid: str) -> dict[str, Any]:
    host = result.host(r)
    p = r.placement
    item: dict[str, Any] = {"uuid": uid, "description": f"Terraform resource {r.address} ({r.type})"}
    props = _props(input=r.input, address=r.address, resource_type=r.type, source=r.source.value, cloud=p.cloud, region=p.region,
                   placement_origin=p.origin.value, country=host.country if host else None,
                   operator=host.operator.name if host and host.operator else None,
                   data_classes=", ".join(sorted(r.data_classes)) or None,
                   location=str(r.location) if r.location else None)
    if props:
        item["props"] = props
    return item


def _evidence(reasons: tuple[Reason, ...]) -> list[dict[str, Any]]:
    out = []
    for r in reasons:
        ev: dict[str, Any] = {"description": squash(r.text)}
        if r.source is not None:
            ev["href"] = r.source.url
            ev["props"] = _props(source_id=r.source.id, source_as_of=r.source.as_of.isoformat())
        out.append(ev)
    return out


def _target(f: Finding) -> dict[str, Any]:
    state = "satisfied" if f.status is Status.PASS else "not-satisfied"
    reason = {Status.PASS: "pass", Status.FAIL: "fail"}.get(f.status, "other")
    status: dict[str, Any] = {"state": state, "reason": reason}
    if f.status is Status.UNKNOWN:
        status["remarks"] = "sovpolicy could not establish the facts the policy needs; unknown never satisfies it."
    elif f.status is Status.WAIVED:
        status["remarks"] = "Not satisfied, accepted by a waiver" + (f": {squash(f.waiver.describe())}" if f.waiver else ".")
    return {"type": "objective-id", "target-id": f.policy_id, "title": f.title, "status": status}


def assessment_results(result: ScanResult, generated_at: dt.datetime) -> dict[str, Any]:
    """The OSCAL assessment-results document as plain data (validates against the 1.1.3 schema).

    Args:
        result: the scan.
        generated_at: when the evidence was collected (used for every timestamp and
            mixed into every UUID).
    """
    from .. import __version__

    stamp = timestamp(generated_at)

    def uid(*parts: str) -> str:
        return str(uuid.uuid5(_ROOT, "\0".join((stamp, *result.inputs, *parts))))

    items = {resource_key(r): uid("resource", *resource_key(r)) for r in result.resources}
    observations: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    placed: dict[tuple[object, ...], str] = {}  # (resource, chain) -> its placement observation

    def observe(uuid_: str, title: str, description: str, f: Finding, reasons: tuple[Reason, ...], **props: str) -> None:
        obs: dict[str, Any] = {"uuid": uuid_, "title": title, "description": squash(description)}
        if props:
            obs["props"] = _props(**props)
        observations.append({
            **obs, "methods": ["TEST"], "types": ["finding"],
            "subjects": [{"subject-uuid": items[resource_key(f.resource)], "type": "inventory-item", "title": f.address}],
            "relevant-evidence": _evidence(reasons) or [{"description": "no further reason recorded"}],
            "collected": stamp,
        })

    for f in result.findings:
        chain = f.reasons[: f.chain_length]
        place_key = (*resource_key(f.resource), *(r.text for r in chain))
        if place_key not in placed:
            placed[place_key] = uid("placement", *place_key)
            observe(placed[place_key], f"Placement of {f.address}", f"Where {f.address} lands and why it holds the data "
                    "its policies target.", f, chain)
        key = ("finding", f.policy_id, *resource_key(f.resource), *((f.subject,) if f.flow is not None else ()))
        verdict = uid("observation", *key)
        observe(verdict, f"{f.policy_id} on {f.subject}", f.message, f, f.reasons[f.chain_length:],
                policy_id=f.policy_id, status=f.status.value)
        findings.append({
            "uuid": uid(*key), "title": f"{f.policy_id} {f.status.value} on {f.subject}", "description": squash(f.message),
            "props": _props(pack=f.pack, severity=f.severity.value, enforcement=f.enforcement.value,
                            status=f.status.value, blocking=str(f.blocking).lower()),
            "target": _target(f),
            "related-observations": [{"observation-uuid": placed[place_key]}, {"observation-uuid": verdict}],
        })
    policy_ids = sorted({f.policy_id for f in result.findings})
    reviewed: dict[str, Any] = {"description": "The sovpolicy policies evaluated, one control per policy id."}
    selection: dict[str, Any] = {"description": "Policies that applied to at least one resource."}
    if policy_ids:
        selection["include-controls"] = [{"control-id": pid} for pid in policy_ids]
    reviewed["control-selections"] = [selection]
    run: dict[str, Any] = {
        "uuid": uid("result"),
        "title": "sovpolicy scan",
        "description": f"Policy evaluation of {', '.join(result.inputs) or 'no input'} with catalog "
                       f"{result.catalog_version}, certifications checked on {result.as_of.isoformat()}.",
        "start": stamp, "end": stamp,
        "props": _props(as_of=result.as_of.isoformat(), catalog_version=result.catalog_version,
                        catalog_as_of=result.catalog_as_of.isoformat(), exit_code=result.exit_code),
        "reviewed-controls": reviewed,
    }
    if result.resources:
        run["local-definitions"] = {"inventory-items": [_inventory_item(r, result, items[resource_key(r)]) for r in result.resources]}
    if observations:
        run["observations"] = observations
        run["findings"] = findings
    notes = [squash(f"Incomplete scan: {p.kind}: {p.message}") for p in result.problems]
    notes += [squash(f"Warning: {w}") for w in result.warnings]
    if notes:
        run["remarks"] = "\n\n".join(notes)
    return {"assessment-results": {
        "uuid": uid("document"),
        "metadata": {
            "title": "sovpolicy assessment results",
            "last-modified": stamp,
            "version": __version__,
            "oscal-version": OSCAL_VERSION,
            "props": _props(tool="sovpolicy", tool_version=__version__),
        },
        "import-ap": {"href": "policies.json",
                      "remarks": "sovpolicy writes no OSCAL assessment plan; policies.json beside this file lists the "
                                 "policies applied with their SHA-256 digests."},
        "results": [run],
    }}


def render_oscal(result: ScanResult, generated_at: dt.datetime) -> str:
    """Render :func:`assessment_results` as indented JSON."""
    return dump_json(assessment_results(result, generated_at))
