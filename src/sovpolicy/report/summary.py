"""The summary report: counts for dashboards, per policy, pack, cloud, region and input.

Small whatever the scan's size (one row per policy, pack, cloud, region and input), so a
dashboard can ingest every run. Each row counts findings by outcome (``blocking``,
``failed``, ``unknown``, ``waived``, ``passed``); cloud and region rows count them where
the verdict is about (a copy's destination for a flow finding) and also the resources
placed there. An unresolved region is counted as ``null``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..model import Finding, ScanResult, Status
from .common import dump_json

SCHEMA_VERSION = "1.0"
_OUTCOMES = ("blocking", "failed", "unknown", "waived", "passed")
_STATUS_KEY = {Status.FAIL: "failed", Status.UNKNOWN: "unknown", Status.WAIVED: "waived", Status.PASS: "passed"}


def _place(f: Finding) -> tuple[str | None, str | None]:
    p = f.flow.to if f.flow is not None else f.resource.placement
    return p.cloud, p.region


def _rows(counts: dict[Any, Counter[str]], resources: Counter[Any] | None, names: tuple[str, ...]) -> list[dict[str, Any]]:
    keys = set(counts) | set(resources or ())
    out = []
    for key in sorted(keys, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        row: dict[str, Any] = dict(zip(names, key))
        if resources is not None:
            row["resources"] = resources.get(key, 0)
        c = counts.get(key, Counter())
        row.update({o: c.get(o, 0) for o in _OUTCOMES})
        out.append(row)
    return out


def summary_dict(result: ScanResult) -> dict[str, Any]:
    """The summary as plain data."""
    from .. import __version__

    by: dict[str, dict[Any, Counter[str]]] = {k: {} for k in ("policy", "pack", "cloud", "region", "input")}
    for f in result.findings:
        cloud, region = _place(f)
        keys = {"policy": (f.policy_id, f.pack, f.severity.value), "pack": (f.pack,), "cloud": (cloud,),
                "region": (cloud, region), "input": (f.resource.input,)}
        for dim, key in keys.items():
            c = by[dim].setdefault(key, Counter())
            c[_STATUS_KEY[f.status]] += 1
            if f.blocking:
                c["blocking"] += 1
    clouds: Counter[Any] = Counter()
    regions: Counter[Any] = Counter()
    inputs: Counter[Any] = Counter()
    for r in result.resources:
        clouds[(r.placement.cloud,)] += 1
        regions[(r.placement.cloud, r.placement.region)] += 1
        inputs[(r.input,)] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "sovpolicy", "version": __version__},
        "catalog": {"version": result.catalog_version, "as_of": result.catalog_as_of.isoformat()},
        "as_of": result.as_of.isoformat(),
        "inputs": list(result.inputs),
        "totals": {**result.counts(), "findings": len(result.findings), "problems": len(result.problems),
                   "exit_code": result.exit_code},
        "by_policy": _rows(by["policy"], None, ("policy_id", "pack", "severity")),
        "by_pack": _rows(by["pack"], None, ("pack",)),
        "by_cloud": _rows(by["cloud"], clouds, ("cloud",)),
        "by_region": _rows(by["region"], regions, ("cloud", "region")),
        "by_input": _rows(by["input"], inputs, ("input",)),
    }


def render_summary(result: ScanResult) -> str:
    """Render the summary (2-space indented JSON, deterministic order)."""
    return dump_json(summary_dict(result))
