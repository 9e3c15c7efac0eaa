"""The fact catalog: load it (:func:`load_catalog`) and resolve hosts (:func:`resolve_host`)."""

from .load import Catalog, ProviderInfo, load_catalog
from .resolve import resolve_host

__all__ = ["Catalog", "ProviderInfo", "load_catalog", "resolve_host"]
