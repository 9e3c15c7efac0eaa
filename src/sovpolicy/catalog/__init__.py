"""The fact catalog: load it (:func:`load_catalog`) and resolve hosts (:func:`resolve_host`).

The names below are imported from their modules when first used: a command that needs
only :mod:`.paths` (a scan answered by the scan cache) does not import the loader.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .load import Catalog, ProviderInfo, load_catalog
    from .resolve import resolve_host

_WHERE = {"Catalog": "load", "ProviderInfo": "load", "load_catalog": "load", "resolve_host": "resolve"}


def __getattr__(name: str) -> object:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Catalog", "ProviderInfo", "load_catalog", "resolve_host"]
