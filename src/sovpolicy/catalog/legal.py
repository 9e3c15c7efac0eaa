"""Legal facts of the catalog that are not places: data classes and what they imply
(``classes.yaml``), decisions that authorise exceptions (``decisions.yaml``), and the
builders of schemes and scope conditions (``schemes.yaml``).

A class implies its parents (health data is personal data of a special category, GDPR
art. 9, and data of particular sensitivity under the State's cloud doctrine), each link
with its source. A decision (the CNIL deliberation 2023-146 for EMC2) has an end; a waiver
that cites it by id cannot outlive it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import CatalogError
from ..model import SourceRef
from .schemes import Referential, Scheme, ScopeCondition, add_years

SourceOf = Callable[[dict[str, Any], str], SourceRef]
Raw = Mapping[Any, tuple[Any, dict[str, Any]]]


@dataclass(frozen=True)
class Implication:
    """A data class that holding another one implies: ``health`` implies ``personal``."""

    parent: str
    child: str
    why: str
    source: SourceRef


@dataclass(frozen=True)
class Decision:
    """A legal decision that authorises an exception for a time.

    Attributes:
        id: the id a waiver cites (``decision: cnil-2023-146``).
        name: what it is.
        decided: the day it was taken.
        ends: its last day, given or derived (``end_basis`` then says how).
        end_basis: None when the source gives the end; else how it was derived.
    """

    id: str
    name: str
    authority: str
    decided: dt.date
    ends: dt.date
    end_basis: str | None
    source: SourceRef
    note: str | None = None

    def label(self) -> str:
        """``cnil-2023-146 (CNIL deliberation 2023-146 ...), ends 2026-12-20 (derived: ...)``."""
        basis = f" ({self.end_basis})" if self.end_basis else ""
        return f"{self.id} ({self.name}), ends {self.ends.isoformat()}{basis}"


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CatalogError(f"expected a date YYYY-MM-DD, got {value!r}", where) from None


def build_schemes(raw: Raw, raw_conditions: Raw, source: SourceOf) -> tuple[dict[str, Scheme], dict[str, ScopeCondition]]:
    """Schemes and scope conditions from ``schemes.yaml`` entries."""
    schemes = {}
    for sid, (_, item) in raw.items():
        w = item["_where"]
        refs = {str(r["id"]): Referential(str(r["id"]), None if r.get("superseded_by") is None else str(r["superseded_by"]),
                                          None if r.get("transition_ends") is None else _date(r["transition_ends"], w))
                for r in item.get("referentials") or []}
        schemes[sid] = Scheme(sid, item["name"], item.get("validity_years"), refs, source(item, w), item.get("note"))
    conditions = {cid: ScopeCondition(cid, item["text"], source(item, item["_where"])) for cid, (_, item) in raw_conditions.items()}
    return schemes, conditions


def build_implications(raw: Raw, source: SourceOf) -> dict[str, tuple[Implication, ...]]:
    """Class id -> the classes it implies directly (``classes.yaml``); a cycle is an error."""
    out: dict[str, tuple[Implication, ...]] = {}
    for cid, (_, item) in raw.items():
        w = item["_where"]
        out[cid] = tuple(Implication(cid, link["class"], link["why"], source(link, f"{w}.implies[{i}]"))
                         for i, link in enumerate(item.get("implies") or ()))
    for start in out:
        seen, todo = {start}, [i.child for i in out[start]]
        while todo:
            c = todo.pop()
            if c == start:
                raise CatalogError(f"data class {start!r} implies itself through {sorted(seen - {start})}", raw[start][1]["_where"])
            if c not in seen:
                seen.add(c)
                todo.extend(i.child for i in out.get(c, ()))
    return out


def build_decisions(raw: Raw, source: SourceOf) -> dict[str, Decision]:
    """Decisions from ``decisions.yaml``: an end given, or derived from ``duration_years``
    counted from the day it was decided (the earliest end when the start is not stated)."""
    out = {}
    for did, (_, item) in raw.items():
        w = item["_where"]
        decided = _date(item["decided"], w)
        if item.get("ends") is not None:
            ends, basis = _date(item["ends"], w), None
        elif item.get("duration_years"):
            years = int(item["duration_years"])
            ends = add_years(decided, years) - dt.timedelta(days=1)
            basis = f"derived: {years} years from {decided.isoformat()}, the earliest its start can be"
        else:
            raise CatalogError("a decision needs `ends` or `duration_years`", w)
        out[did] = Decision(did, item["name"], item["authority"], decided, ends, basis, source(item, w), item.get("note"))
    return out
