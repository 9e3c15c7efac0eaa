"""CEL expressions in policies (``when:`` and the ``cel`` condition), with the
common-expression-language library (Python bindings of a Rust CEL interpreter).

The documented object an expression sees (every key always present)::

    resource:  {address, type, source, action, module_path, tags: {k: v}, attributes: {k: v},
                classes: [..], notes: [..]}
    placement: {cloud, region, origin, resolved: bool, reason}   (for a flow: its destination)
    flow:      null for the resource's own placement, else {kind, via} of the flow evaluated
    host:      null when unresolved, else {cloud, region, region_name, city, country, eea,
                known_region, operator: {name, country} | null, parents: [{name, country}],
                laws: [{id, name, jurisdiction, non_eu}],
                certifications: [{id, scheme, status, referential, offer, since, expires}]}
    classes:   the resource's data classes (same as resource.classes)
    as_of:     the scan date, "YYYY-MM-DD"

Sensitive values are already redacted in ``resource.tags`` and ``resource.attributes``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..model import Flow, Host, Resource


@lru_cache(maxsize=256)
def compile_expr(expr: str) -> Any:
    """Compile a CEL expression once.

    Raises:
        ValueError: with the library's message (line and column of the syntax error).
    """
    import cel

    return cel.compile(expr)


def activation(resource: Resource, host: Host | None, as_of: str, flow: Flow | None = None) -> dict[str, Any]:
    """The object CEL expressions are evaluated against (see the module docstring); with
    ``flow``, ``placement`` and ``host`` are the flow destination's."""
    p = flow.to if flow is not None else resource.placement
    classes = sorted(resource.data_classes)

    def ent(e: Any) -> dict[str, Any] | None:
        return None if e is None else {"name": e.name, "country": e.country}

    host_obj = None
    if host is not None:
        host_obj = {
            "cloud": host.cloud, "region": host.region, "region_name": host.region_name, "city": host.city,
            "country": host.country, "eea": host.eea, "known_region": host.known_region,
            "operator": ent(host.operator), "parents": [ent(e) for e in host.parents],
            "laws": [{"id": law.id, "name": law.name, "jurisdiction": law.jurisdiction, "non_eu": law.non_eu} for law in host.laws],
            "certifications": [{"id": c.id, "scheme": c.scheme, "status": c.status, "referential": c.referential,
                                "offer": c.offer, "since": c.since.isoformat() if c.since else None,
                                "expires": c.expires.isoformat() if c.expires else None} for c in host.certifications],
        }
    return {
        "resource": {"address": resource.address, "type": resource.type, "source": resource.source.value,
                     "action": resource.action, "module_path": resource.module_path, "tags": dict(resource.tags),
                     "attributes": _plain(resource.attributes), "classes": classes, "notes": list(resource.notes)},
        "placement": {"cloud": p.cloud, "region": p.region, "origin": p.origin.value, "resolved": p.resolved, "reason": p.reason},
        "host": host_obj,
        "flow": None if flow is None else {"kind": flow.kind.value, "via": flow.via},
        "classes": classes,
        "as_of": as_of,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def evaluate_expr(expr: str, env: dict[str, Any]) -> tuple[bool | None, str | None]:
    """Evaluate to a boolean: ``(value, None)``, or ``(None, error)`` when it errs or is not a bool."""
    try:
        value = compile_expr(expr).execute(env)
    except Exception as exc:
        return None, str(exc).splitlines()[0]
    if not isinstance(value, bool):
        return None, f"the expression gave {type(value).__name__} {value!r}, not a boolean"
    return value, None
