"""A cache of whole scans of Terraform source: the pre-commit hook's unchanged commits.

The hook scans the same root modules commit after commit, and most commits change none of
their files. When a scan's inputs are only root modules (no plan, export or live source),
its :class:`~sovpolicy.model.ScanResult` is kept with

* a *key*: SHA-256 of sovpolicy's code and the parser it runs
  (:func:`~sovpolicy.setupcache.code_key`), the setup (the path and bytes of every catalog and policy file, the packs, the
  configuration file's path and bytes), the date certifications are judged on, the gate
  (``--fail-on``, ``--soft-fail``), the working directory, each root as given and
  resolved, where it was found, and the ``--var-file`` paths given;
* its *dependencies*: the name and SHA-256 of every Terraform file (``.tf``,
  ``.tf.json``, ``.tofu``, ``.tofu.json``, ``.tfvars``, ``.tfvars.json``) in each module
  directory the scan read and
  of each ``--var-file`` (:func:`~sovpolicy.sources.modulecache.dependencies`: a file
  added, removed or edited changes them).

It is used only when both are the same, so its report is the one a scan would write. A
scan that reported a problem (a parse error, a missing or remote module) is never kept:
what it could not read may appear later. One entry is kept per set of roots, working
directory and variable files (``<cache-dir>/scans/``); a newer scan of them replaces it.
Any error reading or writing the cache scans again; nothing here is ever an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .setupcache import code_key
from .sources.modulecache import dependencies

if TYPE_CHECKING:
    from .gate import Gate
    from .model import ScanResult
    from .scansetup import Setup
    from .sources.base import Source


class ScanCache:
    """The cached scan of ``roots`` (``directory=None``: no cache).

    Args:
        directory: the cache directory.
        roots: the root modules scanned, each as (as given, where it was found or None).
        var_files: the ``--var-file`` files, in order.
        setup: everything else the result depends on (see the module's description).
    """

    def __init__(self, directory: Path | None, roots: Sequence[tuple[Path, Path | None]], var_files: Sequence[Path],
                 setup: Sequence[object]) -> None:
        self.roots = [r for r, _ in roots]
        self.var_files = list(var_files)
        self.entry: Path | None = None
        if directory is None:
            return
        try:
            where = repr((os.getcwd(), [(str(r), str(r.resolve()), str(u)) for r, u in roots], [str(p) for p in var_files]))
            self.key = hashlib.sha256(repr((code_key(), where, list(setup))).encode()).hexdigest()
        except (OSError, ValueError):
            return
        self.entry = directory / "scans" / f"{hashlib.sha256(where.encode()).hexdigest()}.pickle"

    def get(self) -> ScanResult | None:
        """The kept result when its key and every dependency are unchanged, else None."""
        if self.entry is None:
            return None
        try:
            with self.entry.open("rb") as fh:
                key, dirs, deps = pickle.load(fh)
                if key != self.key or dependencies([Path(d) for d in dirs], self.var_files) != deps:
                    return None
                result: ScanResult = pickle.load(fh)
                return result
        except Exception:
            return None

    def before(self) -> set[tuple[str, str]] | None:
        """The roots' dependencies before the scan reads them (None: nothing will be kept)."""
        if self.entry is None:
            return None
        try:
            return set(dependencies(self.roots, self.var_files))
        except OSError:
            return None

    def put(self, result: ScanResult, module_dirs: Sequence[Path], before: set[tuple[str, str]] | None) -> None:
        """Keep ``result``, read from ``module_dirs``, unless it has a problem or a file changed
        while it was read (``before``: :meth:`before`)."""
        if self.entry is None or before is None or result.problems:
            return
        import tempfile

        try:
            # as read, not resolved: a symbolic link to a module retargeted since moves the dependencies
            dirs = sorted({str(d) for d in [*module_dirs, *self.roots]})
            deps = dependencies([Path(d) for d in dirs], self.var_files)
            if not before <= set(deps):
                return  # a file changed while it was read
            self.entry.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.entry.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((self.key, dirs, deps), fh, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.entry)
        except (OSError, pickle.PicklingError, RecursionError):
            pass


def scan_through_cache(sources: Sequence[Source], setup: Setup, var_files: Sequence[Path], cache_dir: Path | None,
                       gate: Gate, progress: bool) -> ScanResult:
    """:func:`~sovpolicy.pipeline.scan` of ``sources``; of root modules only, answered from
    the scan cache when nothing it depends on changed, without loading the catalog or the
    policies (nor importing the pipeline)."""
    from .sources.terraform import HclSource

    roots = [(s.root, s.found_under) for s in sources if isinstance(s, HclSource)]
    kept = ScanCache(cache_dir if len(roots) == len(sources) else None, roots, var_files,
                     (setup.identity, str(gate.fail_on), gate.soft_fail))
    result = kept.get()
    if result is not None:
        return result
    before = kept.before()
    from .pipeline import scan

    catalog, policies = setup.load()
    result = scan(sources, setup.config, catalog, policies, setup.as_of, var_files=var_files, cache_dir=cache_dir,
                  gate=gate, progress=progress)
    kept.put(result, [d for s in sources if isinstance(s, HclSource) for d in s.module_dirs], before)
    return result
