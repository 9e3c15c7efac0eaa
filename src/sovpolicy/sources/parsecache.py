"""A cache of parsed Terraform files, keyed by content, so an unchanged file is parsed once.

Each entry is one :class:`~sovpolicy.sources.hclsyntax.ParsedFile` encoded with msgpack,
stored under ``<dir>/v<IR_VERSION>-hcl2-<version>/<2 hex>/<sha256 of kind and bytes>``. The key
covers the file's bytes and how it is parsed (native, JSON, tfvars JSON), never its
name or date, so a renamed or touched file still hits. Entries are written atomically;
an unreadable, corrupt or unwritable cache is ignored (the file is parsed again), never
an error. Parse errors are cached too. Variables files are never cached (they may hold
secrets).

Default directory: ``$SOVPOLICY_CACHE_DIR``, else ``$XDG_CACHE_HOME/sovpolicy``, else the
platform's user cache directory (``platformdirs``); ``--cache-dir`` overrides it and
``--no-cache`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import msgspec

from .hclsyntax import IR_VERSION, ParsedFile, parse_source

_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(ParsedFile)


def default_cache_dir() -> Path:
    """Where the cache lives when no ``--cache-dir`` is given."""
    env = os.environ.get("SOVPOLICY_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "sovpolicy"
    import platformdirs

    return Path(platformdirs.user_cache_dir("sovpolicy", appauthor=False))


def parser_version() -> str:
    """python-hcl2's version, read from its ``version.py`` without importing it (imports are slow)."""
    import importlib.util

    spec = importlib.util.find_spec("hcl2")
    if spec is None or spec.origin is None:
        return "none"
    try:
        text = (Path(spec.origin).parent / "version.py").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    m = re.search(r"""^(?:__version__ = )?version = ['"]([^'"]+)['"]""", text, re.M)
    return m.group(1) if m else "unknown"


def _kind(name: str) -> bytes:
    if name.endswith(".tfvars.json"):
        return b"tfvars-json"
    return b"json" if name.endswith(".json") else b"native"


class ParseCache:
    """Parses files through an on-disk cache (``directory=None``: no cache).

    Attributes:
        hits, misses: counts for this process (the benchmark and tests read them).
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory / f"v{IR_VERSION}-hcl2-{parser_version()}" if directory is not None else None
        self.hits = 0
        self.misses = 0

    def parse(self, data: bytes, name: str) -> ParsedFile:
        """The parsed file for ``data`` (the bytes of a file called ``name``).

        Variables files (``.tfvars``, ``.tfvars.json``) are never cached: they may hold
        secrets (``-var-file`` with passwords) that must not land on disk in clear.
        """
        if self.directory is None or name.endswith((".tfvars", ".tfvars.json")):
            self.misses += 1
            return parse_source(data, name)
        digest = hashlib.sha256(_kind(name) + b"\0" + data).hexdigest()
        entry = self.directory / digest[:2] / digest[2:]
        try:
            parsed = _DECODER.decode(entry.read_bytes())
            self.hits += 1
            return parsed
        except (OSError, msgspec.DecodeError):
            pass
        self.misses += 1
        parsed = parse_source(data, name)
        try:
            blob = _ENCODER.encode(parsed)
        except (msgspec.EncodeError, RecursionError):
            return parsed  # too deep to cache: parse it again next time
        self._store(entry, blob)
        return parsed

    @staticmethod
    def _store(entry: Path, blob: bytes) -> None:
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, entry)
        except OSError:
            pass
