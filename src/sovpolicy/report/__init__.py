"""Pure renderers of one :class:`~sovpolicy.model.ScanResult`: each takes it and returns text."""

from collections.abc import Callable, Iterator

from ..model import ScanResult
from .github import render_github
from .json import iter_json, render_json
from .junit import render_junit
from .markdown import render_markdown
from .sarif import render_sarif
from .text import render_text

RENDERERS: dict[str, Callable[[ScanResult], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
    "markdown": render_markdown,
    "github": render_github,
}

#: Renderers that can stream their output as bytes chunks (large reports).
STREAMERS: dict[str, Callable[[ScanResult], Iterator[bytes]]] = {"json": iter_json}

__all__ = ["RENDERERS", "STREAMERS", "iter_json", "render_github", "render_json", "render_junit", "render_markdown",
           "render_sarif", "render_text"]
