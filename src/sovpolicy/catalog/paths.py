"""Where the built-in catalog is (imports nothing: a command that only needs the place,
such as a scan answered by the scan cache, does not import the catalog loader)."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
"""The catalog shipped with this version."""

SCHEMA_PATH = Path(__file__).parent / "schema.json"
"""The JSON Schema of the catalog's files."""


def data_dir() -> Path:
    """The built-in catalog: :data:`DATA_DIR`, or the pinned copy named by
    ``SOVPOLICY_BUILTIN_CATALOG`` (the tests' frozen catalog, or an old audit's)."""
    pinned = os.environ.get("SOVPOLICY_BUILTIN_CATALOG")
    return Path(pinned) if pinned else DATA_DIR
