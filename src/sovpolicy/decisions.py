"""Waivers that cite a decision of the catalog (``decisions.yaml``) by id.

A waiver whose ``decision`` names a catalog decision (``cnil-2023-146``; written
``CNIL 2023-146`` it matches too) ends when the decision ends, whatever its own ``expires``
or ``decision_expires`` says; the reports say so. Decisions the catalog does not hold stay
free text, as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from .catalog.legal import Decision
from .model import Waiver


def decision_key(text: str) -> str:
    """``CNIL 2023-146`` -> ``cnil-2023-146`` (the catalog's id spelling)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def bind_decisions(waivers: Sequence[Waiver], decisions: Mapping[str, Decision]) -> tuple[list[Waiver], list[str]]:
    """The waivers with the end of the catalog decision each cites, and a warning for each
    one that would have outlived it."""
    out: list[Waiver] = []
    warnings: list[str] = []
    for w in waivers:
        d = decisions.get(decision_key(w.decision)) if w.decision else None
        if d is None:
            out.append(w)
            continue
        stated = w.decision_expires
        end = min(stated, d.ends) if stated else d.ends
        if (stated and stated > d.ends) or w.expires > d.ends:
            warnings.append(f"waiver at {w.origin} for {w.policy_id} {w.address} cites decision {d.label()}: "
                            f"it ends with the decision, not on {max(w.expires, stated or w.expires).isoformat()}")
        out.append(replace(w, decision_expires=end))
    return out, warnings
