"""``sovpolicy catalog check`` warnings: the certificates a reviewer should look at.

One line per certified or qualified entry whose dates need a look: an expiry derived from
the scheme's validity period (not given by a source), one that has passed or ends within
the warning window, a certificate on a referential whose transition has ended, and one
with no date at all (given or derived). A passed derived end is not an expiry:
it is the end of what the sources can show.
"""

from __future__ import annotations

import datetime as dt

from .load import Catalog


def certificate_warnings(catalog: Catalog, today: dt.date, warn_days: int = 90) -> list[str]:
    """The warnings for every certificate that satisfies requirements, in catalog order."""
    out: list[str] = []
    for c in catalog.certifications:
        if not c.satisfies:
            continue
        name = f"certification {c.id} ({c.scheme}, {c.offer})"
        if c.transition_ends is not None and today > c.transition_ends:
            out.append(f"{name} is on the {c.referential} referential, whose transition to {c.superseded_by} ended on "
                       f"{c.transition_ends.isoformat()}: it no longer shows the scheme met")
        if c.expires is None:
            if c.since is None:
                out.append(f"{name} has no date, given or derived (the {c.scheme} scheme has no sourced validity period)")
            continue
        derived = f" ({c.expiry_basis})" if c.expiry_basis else ""
        if c.expires < today and c.expiry_basis:
            out.append(f"{name} is past its derived end, {c.expires.isoformat()}{derived}: "
                       "no source shows it current (no renewal or newer report is sourced)")
        elif c.expires < today:
            out.append(f"{name} expired on {c.expires.isoformat()}")
        elif (c.expires - today).days <= warn_days:
            out.append(f"{name} expires on {c.expires.isoformat()}, in {(c.expires - today).days} days{derived}")
        elif c.expiry_basis:
            out.append(f"{name} expiry {c.expires.isoformat()} is {c.expiry_basis}")
    return out
