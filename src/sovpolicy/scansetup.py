"""What a command runs with: the project configuration, the catalog and the policy packs.

:func:`prepare` finds them and computes their cache key from the bytes of every file
(nothing is parsed but the configuration, itself kept in the setup cache); :meth:`Setup.load`
loads the catalog and packs, from the setup cache (:mod:`~sovpolicy.setupcache`) when no file
changed. A scan answered by the scan cache (:mod:`~sovpolicy.scancache`) never loads them,
and so never imports the catalog or policy loaders, nor YAML (issue 14: the pre-commit
hook's start-up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError
from .setupcache import cached, files_key

if TYPE_CHECKING:
    from .catalog import Catalog
    from .config import Config
    from .model import Policy


@dataclass
class Setup:
    """A command's configuration and where its catalog and packs come from.

    Attributes:
        key: the setup cache's key for the catalog and packs (their files' paths and bytes).
        identity: everything a scan's result depends on here: ``key``, the configuration
            file's path and bytes, which catalog directories exist, the date.
    """

    config: Config
    config_path: Path | None
    catalog_dirs: list[Path]
    packs: list[str] | None
    roots: list[Path]
    as_of: dt.date
    cache_dir: Path | None
    key: str
    identity: tuple[object, ...]
    _loaded: tuple[Catalog, list[Policy]] | None = None

    def load(self) -> tuple[Catalog, list[Policy]]:
        """The catalog and the policies (their enforcement set by the configuration)."""
        if self._loaded is None:
            from .catalog import load_catalog
            from .policy import load_packs, with_enforcement

            catalog, loaded = cached(self.cache_dir, self.key,
                                     lambda: (load_catalog(self.catalog_dirs[1:]), load_packs(self.packs, self.roots)))
            c = self.config
            policies = with_enforcement(loaded, c.enforcement, str(self.config_path) if self.config_path else None,
                                        c.enforcement_where, c.enforcement_reasons)
            self._loaded = (catalog, policies)
        return self._loaded


def _config(path: Path | None, cache_dir: Path | None) -> Config:
    from .config import Config, load_config

    if path is None:
        return Config()
    return cached(cache_dir, files_key([path], f"config\0{path}"), lambda: load_config(path))


def prepare(config_file: Path | None, catalogs: Sequence[Path], packs: Sequence[str], policy_dirs: Sequence[Path],
            as_of: dt.date | None, start: Path, cache_dir: Path | None) -> Setup:
    """The setup of a command: ``config_file`` (else the nearest ``.sovpolicy.yaml`` above
    ``start``), then the built-in catalog, the configuration's catalog directories and
    ``catalogs``; ``packs`` (else the configuration's, else the default ones) from the
    built-in, plugin, configured and ``policy_dirs`` roots.

    Raises:
        UsageError: ``config_file`` does not exist. ConfigError, PolicyError: as loading would.
    """
    from .catalog.paths import data_dir
    from .config import find_config
    from .packs import available_packs, pack_roots

    config_path = config_file or find_config(start)
    if config_file is not None and not config_file.is_file():
        raise UsageError("configuration file not found", str(config_file))
    config = _config(config_path, cache_dir)
    catalog_dirs = [data_dir(), *config.catalog_dirs, *catalogs]
    chosen = list(packs) or (list(config.packs) if config.packs is not None else None)
    roots = pack_roots([*config.policy_dirs, *policy_dirs])
    files = [f for d in catalog_dirs if d.is_dir() for f in [*d.glob("*.yaml"), *d.glob("clouds/*.yaml")]]
    files += [f for d in available_packs(roots).values() for f in d.glob("*.yaml")]
    key = files_key(files, repr((catalog_dirs, chosen, roots)))
    day = as_of or dt.date.today()
    identity = (key, str(config_path), files_key([config_path], "") if config_path else None,
                [d.is_dir() for d in catalog_dirs], day)
    return Setup(config, config_path, catalog_dirs, chosen, roots, day, cache_dir, key, identity)
