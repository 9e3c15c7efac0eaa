"""Pure renderers of one :class:`~sovpolicy.model.ScanResult`: each takes it and returns text.

Renderers are imported when first used (a scan writing only JSON does not import the SARIF
or JUnit code): :data:`FORMATS` names them, :func:`renderer` and :func:`streamer` load them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module

from ..model import ScanResult

#: format -> (module, function returning str)
_RENDERERS = {
    "text": ("text", "render_text"),
    "json": ("json", "render_json"),
    "sarif": ("sarif", "render_sarif"),
    "junit": ("junit", "render_junit"),
    "markdown": ("markdown", "render_markdown"),
    "github": ("github", "render_github"),
}
#: formats that can also stream their output as bytes chunks (large reports)
_STREAMERS = {"json": ("json", "iter_json")}

FORMATS: tuple[str, ...] = tuple(_RENDERERS)


def renderer(fmt: str) -> Callable[[ScanResult], str]:
    """The renderer of a format (``KeyError`` for an unknown one)."""
    module, name = _RENDERERS[fmt]
    return getattr(import_module(f".{module}", __name__), name)


def streamer(fmt: str) -> Callable[[ScanResult], Iterator[bytes]] | None:
    """The streaming renderer of a format, or None when it renders to one string."""
    if fmt not in _STREAMERS:
        return None
    module, name = _STREAMERS[fmt]
    return getattr(import_module(f".{module}", __name__), name)


__all__ = ["FORMATS", "renderer", "streamer"]
