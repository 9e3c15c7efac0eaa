"""A progress display for long reads (live cloud scans), with tqdm.

Shown only on an interactive terminal: never when ``CI`` is set, when standard error is
not a terminal (a pipe, a file, a CI log) or when ``TERM`` is ``dumb``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, Protocol


class Bar(Protocol):
    def update(self, n: int = 1) -> Any: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        return None


def enabled(stream: IO[str] | None = None, environ: dict[str, str] | None = None) -> bool:
    """True when a progress display may be drawn on ``stream`` (standard error by default)."""
    env = os.environ if environ is None else environ
    stream = stream if stream is not None else sys.stderr
    if env.get("CI") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def progress_bar(total: int, what: str, show: bool) -> Iterator[Bar]:
    """A bar of ``total`` steps on standard error when ``show``, else one that draws nothing."""
    if not show or not enabled():
        yield _Silent()
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=what, unit="task", file=sys.stderr, leave=False, dynamic_ncols=True) as bar:
        yield bar
