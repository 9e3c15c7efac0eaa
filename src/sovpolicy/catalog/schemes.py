"""Certification schemes (``schemes.yaml``): validity periods, referential transitions and
scope conditions, and the dates they give each certificate.

A certified or qualified certificate without an ``expires`` date gets one derived from its scheme's validity
period, labelled as derived (:attr:`~sovpolicy.model.Certification.expiry_basis`):

* with ``since`` (the first award): the end of the three-year (or N-year) cycle that
  holds the source's date, since certificates are renewed cycle after cycle;
* without ``since``: the latest possible end of a certificate the source shows current
  on its ``as_of`` date.

A certificate on a referential that another one replaced carries the day that
referential's transition ended (:attr:`~sovpolicy.model.Certification.transition_ends`):
after that day it no longer shows that a requirement of the scheme is met.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..model import Certification, SourceRef


@dataclass(frozen=True)
class Referential:
    """One version of a scheme's referential, the one that replaced it and when its transition ended."""

    id: str
    superseded_by: str | None
    transition_ends: dt.date | None


@dataclass(frozen=True)
class Scheme:
    """A certification or qualification scheme (HDS, SecNumCloud...)."""

    id: str
    name: str
    validity_years: int | None
    referentials: Mapping[str, Referential]
    source: SourceRef
    note: str | None = None


@dataclass(frozen=True)
class ScopeCondition:
    """A condition of a certificate's scope that no plan shows, which a project confirms
    in ``.sovpolicy.yaml`` (``confirmed: [id]``)."""

    id: str
    text: str
    source: SourceRef


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus whole years (29 February gives 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def derive_expiry(since: dt.date | None, seen: dt.date, years: int) -> tuple[dt.date, str]:
    """The derived end of a certificate and how it was derived.

    Args:
        since: the first award, if known.
        seen: the date the source shows the certificate current (its ``as_of``).
        years: the scheme's validity period.
    """
    if since is not None:
        cycles = 1
        while add_years(since, years * cycles) - dt.timedelta(days=1) < seen:
            cycles += 1
        end = add_years(since, years * cycles) - dt.timedelta(days=1)
        renewed = f", renewed {cycles - 1} time{'s' if cycles > 2 else ''} by {seen.isoformat()}" if cycles > 1 else ""
        return end, f"derived: {years}-year validity from {since.isoformat()}{renewed}"
    end = add_years(seen, years) - dt.timedelta(days=1)
    return end, (f"derived: latest possible end of a {years}-year certificate shown current on "
                 f"{seen.isoformat()} (its award date is not sourced)")


def with_scheme_dates(cert: Certification, scheme: Scheme | None) -> Certification:
    """The certificate with its derived expiry and its referential's transition end."""
    changes: dict[str, object] = {}
    if scheme is not None and cert.expires is None and scheme.validity_years and cert.satisfies:
        end, basis = derive_expiry(cert.since, cert.source.as_of, scheme.validity_years)
        changes.update(expires=end, expiry_basis=basis)
    ref = scheme.referentials.get(cert.referential) if scheme is not None and cert.referential else None
    if ref is not None and ref.superseded_by and ref.transition_ends:
        changes.update(transition_ends=ref.transition_ends, superseded_by=ref.superseded_by)
    return replace(cert, **changes) if changes else cert  # type: ignore[arg-type]


def transition_ended(cert: Certification, day: dt.date) -> bool:
    """True when ``cert`` is on a referential whose transition ended before ``day``."""
    return cert.transition_ends is not None and day > cert.transition_ends
