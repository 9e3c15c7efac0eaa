"""A per-run memo keyed by object identity, for values derived from immutable objects
(hosts, placements, reasons) that many findings share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def memoised(memo: dict[Any, Any], key: Any, anchor: object, compute: Callable[..., Any], *args: Any) -> Any:
    """``compute(*args)``, computed once per ``key`` for as long as ``memo`` lives.

    Keys usually hold ``id(anchor)``; the stored ``anchor`` guards against an id reused
    by another object after the first one was freed.
    """
    hit = memo.get(key)
    if hit is None or hit[0] is not anchor:
        hit = memo[key] = (anchor, compute(*args))
    return hit[1]
