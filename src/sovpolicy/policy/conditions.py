"""The registry of built-in policy conditions.

A condition is a named requirement with a JSON Schema for its arguments and an
``evaluate`` function from (arguments, context) to an :class:`Outcome`. The policy
schema is generated from this registry (:func:`sovpolicy.policy.schema.policy_schema`),
so adding a condition here is all it takes to make it usable in policy files.

Fail closed: whatever a condition cannot establish (unknown country, unknown
operator, region missing from the catalog) is ``UNKNOWN``, never ``PASS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..catalog import Catalog
from ..model import Certification, Flow, Host, Reason, Resource, Status


@dataclass(frozen=True)
class Context:
    """What a condition sees: the resource, its host (never None here), the catalog, the date.

    For a flow, ``host`` is the flow destination's host and ``flow`` the flow.
    """

    resource: Resource
    host: Host
    catalog: Catalog
    as_of: dt.date
    adequacy: frozenset[str] = frozenset()
    """Countries the project accepts by an EU adequacy decision (``residency.adequacy``)."""
    flow: Flow | None = None
    confirmed: frozenset[str] = frozenset()
    """Scope conditions the project confirms (``confirmed`` in ``.sovpolicy.yaml``)."""


@dataclass(frozen=True)
class Outcome:
    """A condition's verdict with the reasons behind it."""

    status: Status
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Condition:
    """A registered condition: its name, argument schema, evaluator and description."""

    name: str
    schema: Mapping[str, Any]
    evaluate: Callable[[Mapping[str, Any], Context], Outcome]
    description: str


REGISTRY: dict[str, Condition] = {}


def register(name: str, schema: Mapping[str, Any], description: str) -> Callable[[Callable[[Mapping[str, Any], Context], Outcome]], Callable[[Mapping[str, Any], Context], Outcome]]:
    """Decorator adding an evaluator to :data:`REGISTRY` under ``name``."""

    def deco(fn: Callable[[Mapping[str, Any], Context], Outcome]) -> Callable[[Mapping[str, Any], Context], Outcome]:
        REGISTRY[name] = Condition(name, schema, fn, description)
        return fn

    return deco


SATISFYING = ("certified", "qualified")


def _where(host: Host) -> str:
    return f"{host.cloud} {host.region}"


def _doubt(c: Certification, scheme: str, as_of: dt.date, referential: str | None,
           confirmed: frozenset[str], catalog: Catalog) -> str | None:
    """Why a certificate that would count cannot show the requirement met (UNKNOWN), or None."""
    if c.transition_ends is not None and as_of > c.transition_ends:
        return (f"is on the {c.referential} {scheme} referential, whose transition to the {c.superseded_by} one ended on "
                f"{c.transition_ends.isoformat()}, and no source shows it moved")
    if referential and c.referential is None:
        return f"does not say which {scheme} referential it is on (not sourced), so it cannot show the {referential} one"
    if c.expires is not None and as_of > c.expires and c.expiry_basis:
        return f"reached its {c.expiry_basis.replace('derived: ', 'derived end ')} ({c.expires.isoformat()}) and no source shows a renewal"
    missing = [catalog.conditions[k].text if k in catalog.conditions else k for k in c.conditions if k not in confirmed]
    if missing:
        return (f"covers it only if {'; and '.join(missing)}, which no plan shows: confirm it with "
                f"`confirmed: [{', '.join(k for k in c.conditions if k not in confirmed)}]` in .sovpolicy.yaml")
    return None


def _dates(c: Certification) -> str:
    dates = f", since {c.since.isoformat()}" if c.since else ""
    if c.expires:
        dates += f", until {c.expires.isoformat()}" + (" (derived)" if c.expiry_basis else "")
    return dates


@register(
    "certified",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["scheme"],
        "properties": {
            "scheme": {"type": "string", "minLength": 1},
            "statuses": {"type": "array", "items": {"enum": list(SATISFYING)}, "minItems": 1},
            "referential": {"type": "string"},
            "referential_from": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
        },
    },
    "The host holds a certification of `scheme` whose scope covers this cloud, region and "
    "resource type, with a satisfying status (certified or qualified), valid at the scan date; "
    "with `referential`, on that version of the scheme's referential (from `referential_from` on, "
    "when given: before that date any version passes).",
)
def certified(args: Mapping[str, Any], ctx: Context) -> Outcome:
    """PASS when a covering certification of the scheme is certified/qualified and valid.

    UNKNOWN, never PASS, when the only such certificates are on a referential whose
    transition has ended, do not say their referential when one is required, have passed
    an expiry that was derived (not given), or depend on a scope condition the project has
    not confirmed; or when the holder names regions the catalog cannot list.
    """
    scheme = args["scheme"]
    statuses = set(args.get("statuses") or SATISFYING)
    referential = args.get("referential")
    since = args.get("referential_from")
    if referential and since and ctx.as_of < dt.date.fromisoformat(since):
        referential = None
    host = ctx.host
    if not host.known_region:
        return Outcome(Status.UNKNOWN, (Reason(f"region {_where(host)} is not in the catalog, so no {scheme} certificate can be shown to cover it"),))
    mine = [c for c in host.certifications if c.scheme == scheme]
    good, doubts, seen = [], [], []
    for c in mine:
        doubt = _doubt(c, scheme, ctx.as_of, referential, ctx.confirmed, ctx.catalog) if c.status in statuses else None
        if c.status not in statuses:
            seen.append(Reason(f"{c.offer} ({c.id}): {scheme} status is {c.status.replace('_', ' ')}, which does not count", c.source))
        elif doubt:
            doubts.append(Reason(f"{c.offer} ({c.id}) {doubt}", c.source))
        elif referential and c.referential != referential:
            seen.append(Reason(f"{c.offer} ({c.id}): certified on referential {c.referential}, not {referential}", c.source))
        elif not c.valid_on(ctx.as_of):
            when = f"expired {c.expires.isoformat()}" if c.expires and ctx.as_of > c.expires else f"valid from {c.since}"
            seen.append(Reason(f"{c.offer} ({c.id}): {scheme} certificate {when}, not valid on {ctx.as_of.isoformat()}", c.source))
        else:
            good.append(c)
    if good:
        c = good[0]
        return Outcome(Status.PASS, (Reason(f"{scheme} {c.status}: {c.offer} ({c.id}) covers {_where(host)}{_dates(c)}", c.source),))
    if doubts:
        return Outcome(Status.UNKNOWN, (*doubts, *seen))
    maybe = [c for c in host.unlisted if c.scheme == scheme and c.status in statuses and c.valid_on(ctx.as_of)]
    if maybe:
        c = maybe[0]
        return Outcome(Status.UNKNOWN, (Reason(
            f"{c.offer} ({c.id}) is {c.status} for some {host.cloud} regions that the catalog cannot name, so it "
            f"cannot show that {host.region} is covered; check the holder's published scope and list the regions "
            f"in a catalog override", c.source), *seen))
    mine_ids = {c.id for c in mine}
    for c in ctx.catalog.certifications:  # same cloud and scheme, scope elsewhere: say why it does not count
        if c.cloud == host.cloud and c.scheme == scheme and c.id not in mine_ids and not c.regions_unlisted:
            why = (f"is {c.status.replace('_', ' ')}, which does not count" if c.status not in statuses
                   else f"covers {', '.join(c.regions) or 'no named region'}, not {host.region} for {ctx.resource.type}")
            seen.append(Reason(f"{c.offer} ({c.id}) {why}", c.source))
    if not seen:
        seen.insert(0, Reason(f"no {scheme} certification in the catalog covers {_where(host)} for {ctx.resource.type}"))
    return Outcome(Status.FAIL, tuple(seen))


@register(
    "region_in",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "eea": {"const": True},
            "countries": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2}$"}, "minItems": 1},
            "adequacy": {"const": True},
        },
    },
    "The region lies in the European Economic Area (`eea: true`), in one of `countries` (ISO 3166-1 "
    "alpha-2), or (`adequacy: true`) in a country the project accepts in `residency.adequacy` of "
    ".sovpolicy.yaml, each backed by a full EU adequacy decision in the catalog.",
)
def region_in(args: Mapping[str, Any], ctx: Context) -> Outcome:
    """PASS when the host's country is in the EEA or in the listed countries.

    A host that spans several places (a multi-region, a global edge) passes only when
    every country it spans passes; when its countries are not listed, its EEA fact
    decides an EEA-only requirement, and anything else is UNKNOWN.
    """
    host = ctx.host
    if host.country is None and host.countries:
        outcomes = [_country_in(args, ctx, c) for c in host.countries]
        failed = [o for o in outcomes if o.status is Status.FAIL]
        if failed:
            return Outcome(Status.FAIL, (Reason(f"{host.region_name or _where(host)} spans {', '.join(host.countries)}, "
                                                f"not all of them allowed", host.region_source), *(r for o in failed for r in o.reasons)))
        return Outcome(Status.PASS, tuple(r for o in outcomes for r in o.reasons))
    if host.country is None:
        only_eea = args.get("eea") and not args.get("countries") and not (args.get("adequacy") and ctx.adequacy)
        if host.group is not None and host.eea is True and args.get("eea"):
            return Outcome(Status.PASS, (Reason(f"{host.region_name or _where(host)} lies wholly in the EEA, "
                                                f"in countries the catalog does not list", host.region_source),))
        if host.group is not None and host.eea is False and only_eea:
            return Outcome(Status.FAIL, (Reason(f"{host.region_name or _where(host)} spans places outside the EEA",
                                                host.region_source),))
        return Outcome(Status.UNKNOWN, (Reason(f"the country of {_where(host)} is not known to the catalog"),))
    return _country_in(args, ctx, host.country)


def _country_in(args: Mapping[str, Any], ctx: Context, country: str) -> Outcome:
    """The verdict of ``region_in`` for one country."""
    allowed = set(args.get("countries") or ())
    name = ctx.catalog.countries.get(country, country)
    if args.get("eea") and country in ctx.catalog.eea:
        return Outcome(Status.PASS, (Reason(f"{name} ({country}) is in the EEA", ctx.catalog.eea_source),))
    if country in allowed:
        return Outcome(Status.PASS, (Reason(f"{name} ({country}) is an allowed country"),))
    if args.get("adequacy") and country in ctx.adequacy:
        dec = ctx.catalog.adequacy[country]
        return Outcome(Status.PASS, (Reason(f"{name} ({country}) is accepted by the project under {dec.decision}", dec.source),))
    wanted = " or ".join(filter(None, ["the EEA" if args.get("eea") else "", ", ".join(sorted(allowed)),
                                       "a country the project accepts by adequacy decision" if args.get("adequacy") else ""]))
    return Outcome(Status.FAIL, (Reason(f"{name} ({country}) is not in {wanted}", ctx.catalog.eea_source if args.get("eea") else None),))


@register(
    "not_exposed_to",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "non_eu": {"const": True},
            "laws": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
    },
    "No entity in the operator's parent chain is reached by a non-EU law that can compel "
    "disclosure (`non_eu: true`), or by any of `laws` (catalog law ids).",
)
def not_exposed_to(args: Mapping[str, Any], ctx: Context) -> Outcome:
    """FAIL when the operator or a parent is reached by a listed (or any non-EU) law."""
    host = ctx.host
    if host.operator is None:
        return Outcome(Status.UNKNOWN, (Reason(f"the operator of {_where(host)} is not known to the catalog"),))
    listed = set(args.get("laws") or ())
    hits = [law for law in host.laws if law.id in listed or (args.get("non_eu") and law.non_eu)]
    if not hits:
        who = " and ".join(e.name for e in host.exposure_chain())
        return Outcome(Status.PASS, (Reason(f"no listed law reaches {who}", host.operator.source),))
    reasons = []
    for law in hits:
        holders = [e for e in host.exposure_chain() if law.id in e.laws]
        who = holders[0].name if holders else host.operator.name
        reasons.append(Reason(f"{law.name} reaches {who}", law.source))
    return Outcome(Status.FAIL, tuple(reasons))


@register(
    "cel",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["expr"],
        "properties": {"expr": {"type": "string", "minLength": 1}, "message": {"type": "string"}},
    },
    "A CEL expression over the documented object (resource, placement, host, classes, as_of; "
    "see sovpolicy.policy.cel) that must be true; an error (e.g. a missing field) is UNKNOWN.",
)
def cel_condition(args: Mapping[str, Any], ctx: Context) -> Outcome:
    """PASS when the expression is true, FAIL when false, UNKNOWN when it cannot be evaluated."""
    from .cel import activation, evaluate_expr

    value, error = evaluate_expr(args["expr"], activation(ctx.resource, ctx.host, ctx.as_of.isoformat(), ctx.flow))
    label = args.get("message") or f"CEL `{args['expr']}`"
    if error is not None:
        return Outcome(Status.UNKNOWN, (Reason(f"{label}: cannot be evaluated ({error})"),))
    return Outcome(Status.PASS if value else Status.FAIL, (Reason(f"{label}: {'met' if value else 'not met'}"),))

