"""The sources door: what every input reader is to the pipeline.

A source turns one input (a plan file, a module directory, a live AWS account, an
inventory export...) into :class:`~sovpolicy.model.Resource`\\ s and
:class:`~sovpolicy.model.Problem`\\ s, and nothing else: placement facts come from the
catalog, classification and policies come later. Each source module is the only importer
of its library. :mod:`~sovpolicy.sources.registry` lists them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..model import Problem, Resource, SourceKind, Waiver

if TYPE_CHECKING:
    from ..catalog import Catalog


@contextmanager
def cycle_collector_on() -> Iterator[None]:
    """Python's cycle collector running for a live read, whatever the caller paused: boto3 and
    the Azure SDK leave reference cycles behind every client and session (about 6 MB per
    account-region task), which nothing else frees; paused, a 10-account, 4-region scan
    peaked at 613 MB instead of 311 MB and 1,000 x 17 would not fit in memory. What the read
    left is collected before the caller's state comes back."""
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        gc.collect()
        if not was:
            gc.disable()


@dataclass(frozen=True)
class ReadContext:
    """What every source may use while reading.

    Attributes:
        catalog: the loaded catalog (providers, regions, type mappings).
        var_files: ``-var-file`` files for Terraform source, in order.
        cache_dir: the parse cache directory, None for no cache.
        progress: show a progress display (only on an interactive terminal, never in CI
            logs or when output is piped).
    """

    catalog: Catalog
    var_files: tuple[Path, ...] = ()
    cache_dir: Path | None = None
    progress: bool = False


@dataclass
class SourceOutput:
    """What a source returns.

    Attributes:
        resources: every resource it read, each stamped with the source's ``input``.
        problems: what it could not read (the rest of the scan goes on: exit 3).
        module_dirs: Terraform module path -> directory of its files.
        notes: what the report should say about how it read (the inventory path used and
            how fresh it is).
        scope: the scope a scan history compares like with like by (``aws:ACCOUNT``...).
        waivers: the inline waivers written in its files (Terraform comments), read from
            the files the source parsed; they apply to this input's resources only.
        files: every file it read -> (bytes, SHA-256) of the bytes it read, for the
            evidence bundle (digested as read, never read again).
    """

    resources: list[Resource]
    problems: list[Problem] = field(default_factory=list)
    module_dirs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    scope: str | None = None
    waivers: list[Waiver] = field(default_factory=list)
    files: dict[str, tuple[int, str]] = field(default_factory=dict)


class Source(Protocol):
    """One input. ``input`` is its label: the first half of every resource's identity."""

    @property
    def kind(self) -> SourceKind:
        """Which reader it is."""
        ...

    @property
    def input(self) -> str:
        """Its label: a file or directory as given, ``aws:ACCOUNT``..."""
        ...

    def read(self, ctx: ReadContext) -> SourceOutput:
        """Read the input. Raises :class:`~sovpolicy.errors.InputError` when it is malformed
        as a whole; returns problems for parts it could not read."""
        ...
