"""A qualified alternative: a catalog place that could take a resource that fails.

A plain value (no catalog, no policy code), so that a scan result kept in a cache can be
read back without importing the finder (:mod:`sovpolicy.alternatives`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .facts import Certification, Host


@dataclass(frozen=True)
class Alternative:
    """A catalog place that would satisfy every policy asked of it.

    Attributes:
        cloud, region: where.
        type: the Terraform type of the equivalent service there.
        service: the kind of service (``object storage``), or None when the resource's type
            has no catalogued equivalents and is judged as itself.
        host: the catalog's facts for that place (country, operator, certificates).
        certifications: the certificates the policies asked for that cover it, valid on the date.
        nearness: 0 in the reference country, 1 elsewhere in the EEA, 2 outside it.
        unconfirmed: empty for a qualified place; else, for a place where no policy fails
            but some cannot be shown to pass, why (``SOV-HDS-003: ... not sourced``).
    """

    cloud: str
    region: str
    type: str
    service: str | None
    host: Host
    certifications: tuple[Certification, ...]
    nearness: int
    unconfirmed: tuple[str, ...] = ()

    @property
    def qualified(self) -> bool:
        """True when every policy asked passes there."""
        return not self.unconfirmed

    def describe(self) -> str:
        """``s3ns u-france-east1 (FR), S3NS, google_storage_bucket: secnumcloud qualified (...)``."""
        where = f"{self.cloud} {self.region}" + (f" ({self.host.country})" if self.host.country else "")
        who = self.host.operator.name if self.host.operator else "operator unknown"
        certs = "; ".join(cert_text(c) for c in self.certifications) or ("no certificate asked" if self.qualified else "no certificate shown")
        doubt = f" — unconfirmed: {'; '.join(self.unconfirmed)}" if self.unconfirmed else ""
        return f"{where}, {who}, {self.type}: {certs}{doubt}"


def cert_text(c: Certification) -> str:
    """``secnumcloud qualified: PREMI3NS (snc-s3ns-premi3ns), since 2025-12-17, until 2028-12-16 (derived)``."""
    dates = f", since {c.since.isoformat()}" if c.since else ""
    if c.expires:
        dates += f", until {c.expires.isoformat()}" + (" (derived)" if c.expiry_basis else "")
    return f"{c.scheme} {c.status}: {c.offer} ({c.id}){dates}"
