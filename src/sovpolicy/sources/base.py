"""The sources door: what every input reader is to the pipeline.

A source turns one input (a plan file, a module directory, a live AWS account, an
inventory export...) into :class:`~sovpolicy.model.Resource`\\ s and
:class:`~sovpolicy.model.Problem`\\ s, and nothing else: placement facts come from the
catalog, classification and policies come later. Each source module is the only importer
of its library. :mod:`~sovpolicy.sources.registry` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..model import Problem, Resource, SourceKind, Waiver

if TYPE_CHECKING:
    from ..catalog import Catalog


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
    """

    resources: list[Resource]
    problems: list[Problem] = field(default_factory=list)
    module_dirs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    scope: str | None = None
    waivers: list[Waiver] = field(default_factory=list)


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
