"""Pure renderers of one :class:`~sovpolicy.model.ScanResult`: each takes it and returns text."""

from collections.abc import Callable

from ..model import ScanResult
from .json import render_json
from .text import render_text

RENDERERS: dict[str, Callable[[ScanResult], str]] = {"text": render_text, "json": render_json}

__all__ = ["RENDERERS", "render_json", "render_text"]
