"""Pure renderers of one :class:`~sovpolicy.model.ScanResult`: each takes it and returns text."""

from collections.abc import Callable, Iterator

from ..model import ScanResult
from .json import iter_json, render_json
from .text import render_text

RENDERERS: dict[str, Callable[[ScanResult], str]] = {"text": render_text, "json": render_json}

#: Renderers that can stream their output as bytes chunks (large reports).
STREAMERS: dict[str, Callable[[ScanResult], Iterator[bytes]]] = {"json": iter_json}

__all__ = ["RENDERERS", "STREAMERS", "iter_json", "render_json", "render_text"]
