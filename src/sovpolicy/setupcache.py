"""A cache of the loaded catalog and policies, so a scan does not re-read and re-validate
the same YAML every run (the pre-commit hook runs on every commit).

The key is a SHA-256 of sovpolicy's code (:func:`code_key`), the options that shape the
result, and the path and bytes of every catalog and policy file used: any edit rebuilds it. Entries are
pickles written atomically in the user's cache directory (the same one as the parse cache;
``--no-cache`` turns both off). A missing, corrupt or unwritable entry is rebuilt, never an
error. The directory is the user's own: nothing else is trusted to write there.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TypeVar

from . import __version__

T = TypeVar("T")


@cache
def code_key() -> str:
    """SHA-256 of the version, the path, size and modification time of every module and
    data file of sovpolicy, the Python version and where the Terraform parser's libraries
    (python-hcl2, Lark) are and when they were written: it changes with the code (the
    version alone does not, between two commits) and with an upgrade of the parser, so no
    cache outlives the code that wrote it."""
    h = hashlib.sha256(f"{__version__}\0{_libraries()}\0".encode())
    found = []
    for here, dirs, files in os.walk(Path(__file__).resolve().parent):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found += [os.path.join(here, f) for f in files if f.endswith((".py", ".yaml", ".json"))]
    for p in sorted(found):
        st = os.stat(p)
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def _libraries() -> tuple[object, ...]:
    """The Python version, and where the parser's libraries are and when they were written
    (an upgrade rewrites them), found without importing them."""
    from importlib.util import find_spec

    out: list[object] = [sys.version]
    for name in ("hcl2", "lark"):
        spec = find_spec(name)
        origin = spec.origin if spec is not None else None
        out.append((name, origin, os.stat(origin).st_mtime_ns if origin else None))
    return tuple(out)


def files_key(files: Iterable[Path], extra: str) -> str:
    """SHA-256 over the code (:func:`code_key`), ``extra`` and each file's path and bytes
    (sorted by path)."""
    h = hashlib.sha256(f"{code_key()}\0{extra}\0".encode())
    for p in sorted({f.resolve() for f in files}):
        h.update(str(p).encode() + b"\0")
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"\0unreadable\0")
    return h.hexdigest()


def cached(directory: Path | None, key: str, build: Callable[[], T]) -> T:
    """Return the object cached under ``key`` in ``directory``, else ``build()`` and store it.

    ``directory=None`` disables the cache. Errors raised by ``build`` propagate (a bad
    catalog or policy is never cached).
    """
    if directory is None:
        return build()
    path = directory / "setup" / f"{key}.pickle"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:
        pass
    value = build()
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
    return value
