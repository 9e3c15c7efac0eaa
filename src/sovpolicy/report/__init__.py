"""Pure renderers of one :class:`~sovpolicy.model.ScanResult`: each takes it and returns text.

Renderers are imported when first used (a scan writing only JSON does not import the SARIF
or JUnit code): :data:`FORMATS` names them, :func:`renderer` and :func:`streamer` load them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module

from ..model import ScanResult
from .common import ReportContext

#: format -> (module, function returning str)
_RENDERERS = {
    "text": ("text", "render_text"),
    "json": ("json", "render_json"),
    "sarif": ("sarif", "render_sarif"),
    "junit": ("junit", "render_junit"),
    "markdown": ("markdown", "render_markdown"),
    "github": ("github", "render_github"),
    "summary": ("summary", "render_summary"),
}
#: formats that can also stream their output as bytes chunks (large reports); they take
#: the scan and a :class:`ReportContext`
_STREAMERS = {"json": ("json", "iter_json"), "sarif": ("sarif", "iter_sarif")}

FORMATS: tuple[str, ...] = tuple(_RENDERERS)


def renderer(fmt: str) -> Callable[[ScanResult], str]:
    """The renderer of a format (``KeyError`` for an unknown one)."""
    module, name = _RENDERERS[fmt]
    return getattr(import_module(f".{module}", __name__), name)


def report_chunks(fmt: str, result: ScanResult, ctx: ReportContext) -> Iterator[bytes]:
    """A format's report as UTF-8 chunks: streamed when the format can, else rendered whole."""
    if fmt in _STREAMERS:
        module, name = _STREAMERS[fmt]
        stream: Callable[[ScanResult, ReportContext], Iterator[bytes]] = getattr(import_module(f".{module}", __name__), name)
        return stream(result, ctx)
    return iter([renderer(fmt)(result).encode("utf-8")])


__all__ = ["FORMATS", "ReportContext", "renderer", "report_chunks"]
