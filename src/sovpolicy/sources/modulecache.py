"""A cache of a root module's whole read, reused while none of the files it read changed.

The pre-commit hook scans the same root modules commit after commit; most of them have
not changed. An entry holds what :class:`~sovpolicy.sources.terraform.HclSource` read
(resources, problems, module directories, inline waivers) and its *dependencies*: for
every module directory read, the name and SHA-256 of each Terraform file in it
(``.tf``, ``.tf.json``, ``.tofu``, ``.tofu.json``, ``.tfvars``, ``.tfvars.json``: a file
added, removed or edited changes them), and each ``--var-file``'s bytes. An entry is used only when every
dependency still hashes the same; the entry's name also covers sovpolicy's own code
(every module's path, size and modification time), the catalog (the path and
bytes of every catalog file loaded), the root as given, the working directory and the variable files given. A read
that reported a problem (a parse error, a missing or remote module) is never cached: what
it could not read may appear later. Any error reading or writing the cache reads the
module again; nothing here is ever an error.

Entries are pickles in ``<cache-dir>/modules/``; the cache directory is the user's own
(as for :mod:`~sovpolicy.setupcache`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..setupcache import code_key
from .hclnames import is_terraform_file


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dependencies(dirs: Sequence[Path], var_files: Sequence[Path]) -> list[tuple[str, str]]:
    """(path, SHA-256) of every Terraform file in ``dirs`` and of each variable file."""
    out: list[tuple[str, str]] = []
    for d in sorted({d.resolve() for d in dirs}):
        for p in sorted(d.iterdir()):
            if is_terraform_file(p) and p.is_file():
                out.append((str(p), _digest(p)))
    out += [(str(p), _digest(p)) for p in var_files]
    return out


class ModuleCache:
    """Reads root modules through the cache (``directory=None``: no cache).

    Attributes:
        hits, misses: counts for this process (the tests and the benchmark read them).
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory / "modules" if directory is not None else None
        self.hits = 0
        self.misses = 0

    def _entry(self, root: Path, var_files: Sequence[Path], catalog: object) -> Path | None:
        if self.directory is None:
            return None
        files = getattr(catalog, "files", None)
        if not files:
            return None  # a catalog not loaded from files cannot be told apart from another
        h = hashlib.sha256(f"{code_key()}\0{root}\0{root.resolve()}\0{os.getcwd()}\0".encode())
        for p in files:
            h.update(f"{p}\0".encode() + hashlib.sha256(Path(p).read_bytes()).digest())
        for p in var_files:
            h.update(f"{p}\0".encode())
        return self.directory / f"{h.hexdigest()}.pickle"

    def read(self, root: Path, var_files: Sequence[Path], catalog: object,
             read: Callable[[], Any], dirs_of: Callable[[Any], Sequence[Path]], cacheable: Callable[[Any], bool]) -> Any:
        """``read()``'s value for ``root``: from the cache when no dependency changed, else
        read now and stored (when ``cacheable`` says so; ``dirs_of`` gives the module
        directories the value was read from)."""
        try:
            entry = self._entry(root, var_files, catalog)
        except OSError:
            entry = None
        if entry is not None:
            try:
                with entry.open("rb") as fh:
                    deps, value = pickle.load(fh)
                if dependencies([Path(d) for d in dirs_of(value)] + [root], var_files) == deps:
                    self.hits += 1
                    return value
            except Exception:
                pass
        self.misses += 1
        try:
            before = set(dependencies([root], var_files)) if entry is not None else set()
        except OSError:
            entry = None
        value = read()
        if entry is None or not cacheable(value):
            return value
        try:
            deps = dependencies([*dirs_of(value), root], var_files)
            if not before <= set(deps):
                return value  # a file changed while it was read: store nothing
            import tempfile

            entry.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((deps, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
        except (OSError, pickle.PicklingError, RecursionError):
            pass
        return value
