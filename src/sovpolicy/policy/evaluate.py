"""Evaluate policies on resources and their hosts, producing findings with their chain of reasons."""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from typing import Any

from ..catalog import Catalog
from ..gate import NO_GATE, Gate, blocks
from ..memo import memoised
from ..model import Entity, Finding, Flow, Host, Origin, Placement, Policy, Reason, Resource, Status
from .conditions import REGISTRY, Context

_ORIGIN_TEXT = {
    Origin.RESOURCE: "its own attribute",
    Origin.PROVIDER: "a literal in its provider configuration",
    Origin.VARIABLE: "a root variable's value",
    Origin.MODULE: "a module call's argument",
    Origin.PARENT: "its parent resource",
    Origin.DEFAULT: "the provider's documented default",
    Origin.OBSERVED: "the cloud's API",
    Origin.FOOTPRINT: "the provider's whole footprint (its resources carry no region)",
    Origin.CATALOG: "a catalog fact",
}


def applies(policy: Policy, resource: Resource) -> bool:
    """True when the policy targets one of the resource's data classes (and its type, if listed)."""
    if resource.placement.origin is Origin.NONE:
        return False
    if not (policy.data_classes & resource.data_classes):
        return False
    return not policy.types or any(fnmatchcase(resource.type, g) for g in policy.types)


def placement_reason(p: Placement) -> Reason:
    """One line saying where the region came from (or why it is unresolved), ending with
    where it was read (``Reason.at``)."""
    at = p.evidence[0] if p.evidence else ""
    where = f" ({at})" if at else ""
    if p.region is None:
        return Reason(f"region unresolved: {p.reason or 'no region found'}{where}", at=at)
    return Reason(f"region {p.cloud} {p.region} from {_ORIGIN_TEXT.get(p.origin, p.origin.value)}{where}", at=at)


def placement_reason_of(p: Placement, memo: dict[Any, Any]) -> Reason:
    """:func:`placement_reason`, once per placement object for as long as ``memo`` lives."""
    return memoised(memo, ("placement", id(p)), p, placement_reason, p)


def _entity(e: Entity) -> str:
    return f"{e.name} ({e.country})" if e.country else e.name


def host_reasons(host: Host, catalog: Catalog) -> list[Reason]:
    """The chain region -> country -> operator -> parents, each with its catalog source."""
    if not host.known_region:
        return [Reason(f"region {host.region} of {host.cloud} is not in the catalog (version {catalog.version})")]
    country = catalog.countries.get(host.country, host.country) if host.country else "an unknown country"
    place = ", ".join(filter(None, [host.region_name, host.city]))
    eea = "" if host.eea is None else (", in the EEA" if host.eea else ", outside the EEA")
    out = [Reason(f"{host.region} ({place}) is in {country}{eea}", host.region_source)]
    if host.operator:
        out.append(Reason(f"operated by {_entity(host.operator)}", host.operator.source))
    for parent in host.parents:
        out.append(Reason(f"whose parent is {_entity(parent)}", parent.source))
    return out


def flow_reason(resource: Resource, flow: Flow) -> Reason:
    """One line saying where the data is copied, by what, with the rule's source."""
    return Reason(f"{flow.describe(resource.placement)} ({'; '.join(flow.evidence)})", flow.source)


def destination_reason(p: Placement) -> Reason:
    """Where a flow's destination was read, every hop (or why it is unresolved)."""
    if not p.resolved:
        at = f" ({'; '.join(p.evidence)})" if p.evidence else ""
        return Reason(f"destination unresolved: {p.reason or 'no region found'}{at}")
    return Reason(f"destination {p.cloud} {p.region}, read from: {'; '.join(p.evidence)}")


def _where(placement: Placement, host: Host | None) -> str:
    if host is None:
        return f"{placement.cloud or 'an unknown cloud'}, region unresolved"
    bits = [host.city, host.country]
    loc = ", ".join(b for b in bits if b)
    by = f" operated by {host.operator.name}" if host.operator else ""
    return f"{host.cloud} {host.region}" + (f" ({loc})" if loc else "") + by


def _classes_unknown(policy: Policy, resource: Resource) -> bool:
    """True when every class the policy targets is only assumed (unreadable classification tags)."""
    return all(c.unknown for c in resource.classifications if c.data_class in policy.data_classes)


def _class_reasons(why: tuple[tuple[str, str], ...]) -> list[Reason]:
    return [Reason(f"holds {cls} data: {reason}") for cls, reason in why]


def _verdict(policy: Policy, resource: Resource, host: Host, catalog: Catalog, as_of: dt.date,
             adequacy: frozenset[str], flow: Flow | None,
             confirmed: frozenset[str] = frozenset()) -> tuple[Status, tuple[Reason, ...], str]:
    """Every ``require`` condition on the host: (status, the reasons, the leading reason's text)."""
    ctx = Context(resource, host, catalog, as_of, adequacy, flow, confirmed)
    outcomes = [REGISTRY[name].evaluate(args, ctx) for name, args in policy.require]
    statuses = {o.status for o in outcomes}
    st = Status.FAIL if Status.FAIL in statuses else Status.UNKNOWN if Status.UNKNOWN in statuses else Status.PASS
    decisive = [o for o in outcomes if o.status is st]
    tail = tuple(r for o in decisive + [o for o in outcomes if o.status is not st] for r in o.reasons)
    return st, tail, (decisive[0].reasons[0].text if decisive and decisive[0].reasons else st.value)


def evaluate(policy: Policy, resource: Resource, host: Host | None, catalog: Catalog, as_of: dt.date,
             adequacy: frozenset[str] = frozenset(), cache: dict[Any, Any] | None = None,
             flow: Flow | None = None, flow_host: Host | None = None, gate: Gate = NO_GATE,
             confirmed: frozenset[str] = frozenset()) -> Finding | None:
    """Evaluate one policy on one resource it applies to (see :func:`applies`).

    ``host`` is the resource's own host. With ``flow``, the policy is evaluated for that
    flow's destination, whose host is ``flow_host``: the message names both ends
    ("replicated from eu-west-3 to us-east-1 by ..."); the chain is the resource's
    classification and placement (where the data comes from), then the flow's provenance,
    the destination's placement and host (``Finding.flow_reasons`` of them), then the
    verdict; an unresolved destination is UNKNOWN.

    Returns None when the policy's ``when`` CEL expression is false for the resource;
    a ``when`` that cannot be evaluated applies the policy and makes it UNKNOWN.
    ``gate`` carries ``--fail-on`` to :func:`~sovpolicy.gate.blocks`.
    ``cache`` (one dict per scan) reuses classification and placement reasons, host
    chains, and the verdicts of policies whose conditions depend only on the host and the
    resource type (all but ``cel``).

    Every ``require`` condition is evaluated; any FAIL makes the finding FAIL, else any
    UNKNOWN makes it UNKNOWN, else PASS. An unresolved placement is UNKNOWN. FAIL and
    UNKNOWN block unless the enforcement is advisory (UNKNOWN also when the policy says
    ``unresolved: warn``).
    """
    memo: dict[Any, Any] = cache if cache is not None else {}
    placement = flow.to if flow is not None else resource.placement
    target = flow_host if flow is not None else host
    when_error = None
    if policy.when:
        from .cel import activation, evaluate_expr

        value, when_error = evaluate_expr(policy.when, activation(resource, target, as_of.isoformat(), flow))
        if value is False:
            return None
    classes = ", ".join(sorted(policy.data_classes & resource.data_classes))
    why = tuple((c.data_class, c.reason) for c in resource.classifications if c.data_class in policy.data_classes)
    own = memo.get(("classes", why))
    if own is None:
        own = memo[("classes", why)] = _class_reasons(why)
    reasons: list[Reason] = list(own)
    where_from = placement_reason_of(resource.placement, memo)
    reasons.append(where_from)
    chain_key: tuple[Any, ...] = ("chain", id(own), id(where_from))
    if host is not None and flow is None:  # a flow's verdict is about its destination's host
        host_chain = memoised(memo, ("host", id(host)), host, host_reasons, host, catalog)
        reasons += host_chain
        chain_key += (id(host_chain),)
    chain_length = len(reasons)
    if flow is not None:
        reasons.append(memoised(memo, ("flow", id(flow)), flow, flow_reason, resource, flow))
        reasons.append(memoised(memo, ("destination", id(flow.to)), flow.to, destination_reason, flow.to))
        if flow_host is not None:
            reasons += memoised(memo, ("host", id(flow_host)), flow_host, host_reasons, flow_host, catalog)
    flow_reasons = len(reasons) - chain_length
    host = target
    if host is None:
        status = Status.UNKNOWN
        what = "where the copy lands" if flow is not None else "where it lands"
        lead = f"cannot tell {what}: {placement.reason or 'no region'}"
    elif when_error is not None:
        status = Status.UNKNOWN
        lead = f"its `when` expression cannot be evaluated ({when_error})"
        reasons.append(Reason(lead))
    else:
        # Conditions other than `cel` depend only on the host and the resource type.
        if policy.has_cel:
            status, tail, lead = _verdict(policy, resource, host, catalog, as_of, adequacy, flow, confirmed)
        else:
            status, tail, lead = memoised(memo, ("verdict", policy.id, id(host), resource.type), host, _verdict,
                                       policy, resource, host, catalog, as_of, adequacy, flow, confirmed)
            chain_key += (id(tail),)
        reasons.extend(tail)
        if status is Status.PASS and _classes_unknown(policy, resource):
            status = Status.UNKNOWN  # it may hold the class: a pass cannot be told
            lead = next(c.reason for c in resource.classifications if c.data_class in policy.data_classes)
    blocking = blocks(status, policy.enforcement, policy.severity, gate,
                      unresolved_warn=host is None and policy.unresolved == "warn")
    where = memoised(memo, ("where", id(host), placement.cloud), host, _where, placement, host)
    if flow is not None:
        message = (f"{resource.address} ({classes}) {flow.describe(resource.placement)}, in {where}: "
                   f"{policy.id} {_VERB[status]}: {lead.rstrip('.')}.")
    else:
        message = f"{resource.address} ({classes}) in {where}: {policy.id} {_VERB[status]}: {lead.rstrip('.')}."
    # Findings with the same chain share one reasons tuple (reports encode it once).
    # Every part of chain_key is memoised for the whole scan, so ids are stable keys.
    if host is not None and not policy.has_cel and flow is None and when_error is None:  # a flow's chain is its own
        chain = memo.get(chain_key)
        if chain is None:
            chain = memo[chain_key] = tuple(reasons)
    else:
        chain = tuple(reasons)
    return Finding(
        policy_id=policy.id, pack=policy.pack, title=policy.title, status=status, severity=policy.severity,
        enforcement=policy.enforcement, address=resource.address, message=message, reasons=chain,
        blocking=blocking, resource=resource, host=host, remediation=policy.remediation, chain_length=chain_length,
        description=policy.description, references=policy.references, flow=flow, flow_reasons=flow_reasons)


_VERB = {Status.PASS: "passed", Status.FAIL: "failed", Status.UNKNOWN: "unknown"}
