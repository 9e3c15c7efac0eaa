"""Waivers: time-limited, justified exceptions to a policy for exact resources.

A waiver names a policy id, a resource address (exact, or a glob where only ``*`` is a
wildcard: ``module.ehr.*``, ``aws_s3_bucket.exports[*]``), a reason and an expiry date
(both required), and optionally who approved it and the decision that grants it (e.g. a
regulator's authorisation number and its own end date). Waivers live in
``.sovpolicy.yaml`` (``waivers:``) or as an inline comment in a ``.tf`` file, above or
inside the resource block it waives (read by :mod:`sovpolicy.sources.inlinewaivers` from
the comments the HCL parser returns)::

    # sovpolicy:waive SOV-EXT-001 expires=2026-12-21 reason="CNIL authorisation for EMC2"
    #   approved_by="DPO" decision="CNIL 2023-146" decision_expires=2026-12-21

Rules (applied by :func:`apply_waivers`): a valid waiver turns a failing or unknown
finding into WAIVED (not blocking); an expired waiver (or one whose decision has ended)
leaves the finding failing and says so; one expiring within the warning window warns
with the days left; a waiver of a hard-mandatory policy is rejected; a waiver that
matches no finding is reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace

from .errors import ConfigError
from .gate import blocks
from .model import Enforcement, Finding, Reason, Status, Waiver


def parse_date(value: object, where: str, error: type[Exception]) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise error(f"expected a date YYYY-MM-DD, got {value!r}", where) from None


def from_config(items: Sequence[dict[str, object]], path: str, lines: Sequence[int | None]) -> list[Waiver]:
    """Build waivers from the validated ``waivers:`` list of ``.sovpolicy.yaml``."""
    out = []
    for item, line in zip(items, lines, strict=True):
        where = f"{path}:{line}" if line else path
        out.append(Waiver(
            policy_id=str(item["policy"]), address=str(item["address"]), reason=str(item["reason"]),
            expires=parse_date(item["expires"], where, ConfigError), origin=where,
            approved_by=item.get("approved_by"), decision=item.get("decision"),  # type: ignore[arg-type]
            decision_expires=parse_date(item["decision_expires"], where, ConfigError) if item.get("decision_expires") else None))
    return out


def apply_waivers(findings: Iterable[Finding], waivers: Sequence[Waiver], as_of: dt.date,
                  warn_days: int = 30) -> tuple[list[Finding], list[str]]:
    """Apply waivers to findings.

    Returns:
        The findings (waived ones with status WAIVED, blocking False, ``waiver`` set;
        expired or rejected ones unchanged but with a reason saying so) and the warnings
        (expiring soon, rejected, expired, unused).
    """
    out: list[Finding] = []
    warnings: list[str] = []
    used: set[int] = set()
    for f in findings:
        idx = [i for i, w in enumerate(waivers) if w.matches(f.policy_id, f.resource)]
        used.update(idx)
        if not idx or f.status not in (Status.FAIL, Status.UNKNOWN):
            out.append(f)
            continue
        w = waivers[idx[0]]
        if f.enforcement is Enforcement.HARD_MANDATORY:
            msg = f"waiver at {w.origin} rejected: {f.policy_id} is hard-mandatory and cannot be waived"
            warnings.append(f"{msg} ({f.address})")
            out.append(replace(f, reasons=f.reasons + (Reason(msg),), chain_like=None))
            continue
        if as_of > w.end():
            what = f"its decision {w.decision} ended" if w.decision_expires and w.decision_expires < w.expires else "it expired"
            msg = f"waiver at {w.origin} no longer applies: {what} on {w.end().isoformat()}"
            warnings.append(f"{msg} ({f.policy_id} {f.address})")
            out.append(replace(f, reasons=f.reasons + (Reason(msg),), chain_like=None))
            continue
        left = (w.end() - as_of).days
        if left <= warn_days:
            why = f", when decision {w.decision} ends" if w.decision_expires and w.decision_expires < w.expires else ""
            warnings.append(f"waiver at {w.origin} for {f.policy_id} {f.address} expires in {left} days ({w.end().isoformat()}{why})")
        out.append(replace(f, status=Status.WAIVED, blocking=blocks(Status.WAIVED, f.enforcement, f.severity), waiver=w,
                           reasons=f.reasons + (Reason(w.describe()),), chain_like=None))
    for i, w in enumerate(waivers):
        if i not in used:
            warnings.append(f"waiver at {w.origin} for {w.policy_id} {w.address} matches no finding")
    return out, list(dict.fromkeys(warnings))  # a waiver covering several findings (flows) warns once
