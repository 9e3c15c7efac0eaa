"""Terraform inputs as sources: a plan (``terraform show -json PLANFILE``) and a root
module's source files. The readers themselves are :mod:`.tfplan` and :mod:`.hcl`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Problem, SourceKind
from .base import ReadContext, SourceOutput
from .filemap import Buffer

if TYPE_CHECKING:
    import msgspec

    from .hcl import HclScan


def source_dirs(plan: Path, module_sources: dict[str, str]) -> dict[str, Path]:
    """Module path -> directory of its ``.tf`` files, for a plan made next to its root module.

    Only local module sources (``./`` or ``../``) can be followed; the root module is the
    plan file's directory.
    """
    dirs = {"": plan.resolve().parent}
    for path in sorted(module_sources, key=lambda p: p.count(".")):
        parent = path.rpartition(".module.")[0] if ".module." in path else ""
        src = module_sources[path]
        if parent in dirs and src.startswith(("./", "../")):
            dirs[path] = (dirs[parent] / src).resolve()
    return dirs


@dataclass
class PlanSource:
    """A plan JSON file. ``data``: the file, when the registry has already mapped it."""

    path: Path
    data: Buffer | None = None
    top: dict[str, msgspec.Raw] | None = None
    """The file's top-level values as slices of ``data``, when the registry found them."""
    kind: SourceKind = SourceKind.PLAN

    @property
    def input(self) -> str:
        return str(self.path)

    def read(self, ctx: ReadContext) -> SourceOutput:
        from .inlinewaivers import plan_waivers
        from .parsecache import ParseCache
        from .tfplan import read_plan

        data, self.data = self.data, None  # the reader lets the file go as it goes
        top, self.top = self.top, None
        scan = read_plan(self.path, ctx.catalog, data, top)
        problems = []
        if scan.info.complete is False:
            problems.append(Problem("plan-incomplete", "Terraform marked the plan incomplete (complete: false): applying it "
                                    "will not converge, more changes will follow", str(self.path)))
        if scan.info.errored:
            problems.append(Problem("plan-errored", "Terraform reported errors while planning: the plan may be partial",
                                    str(self.path)))
        dirs = source_dirs(self.path, scan.info.module_sources)
        return SourceOutput(scan.resources, problems, dirs, waivers=plan_waivers(dirs, ParseCache(ctx.cache_dir)))


@dataclass
class HclSource:
    """A root module directory (the files given for it are mapped to it by the registry)."""

    root: Path
    found_under: Path | None = None
    """The directory given on the command line when this root module was found below it."""
    kind: SourceKind = SourceKind.HCL
    module_dirs: list[Path] = field(default_factory=list, init=False)
    """Once read: the directory of every module read (the scan cache's dependencies)."""

    @property
    def input(self) -> str:
        return str(self.root)

    def read(self, ctx: ReadContext) -> SourceOutput:
        from .modulecache import ModuleCache

        def fresh() -> HclScan:  # the reader is imported only when the module cache misses
            from .hcl import read_module
            from .parsecache import ParseCache

            return read_module(self.root, ctx.catalog, ctx.var_files, ParseCache(ctx.cache_dir))

        hcl: HclScan = ModuleCache(ctx.cache_dir).read(
            self.root, ctx.var_files, ctx.catalog, fresh,
            dirs_of=lambda scan: list(scan.module_dirs.values()), cacheable=lambda scan: not scan.problems)
        self.module_dirs = list(hcl.module_dirs.values())
        label = self.input
        resources = [r if r.input == label else replace(r, input=label) for r in hcl.resources]
        notes = [f"{label}: root module found under {self.found_under}"] if self.found_under is not None else []
        return SourceOutput(resources, list(hcl.problems), dict(hcl.module_dirs), notes, waivers=list(hcl.waivers),
                            files=dict(hcl.files))
