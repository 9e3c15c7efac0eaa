"""Which root modules to scan for the Terraform files a user (or pre-commit) gives."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError
from .hclnames import SKIP_DIRS, is_config


def module_roots(paths: Iterable[Path]) -> list[Path]:
    """Map Terraform files and directories to the root modules to scan, each once.

    A directory is scanned as given. A file stands for its directory, unless a module
    directory above it (up to the enclosing git repository or the current directory)
    calls that directory through local module sources, directly or not: then the
    topmost such caller is scanned, since a child module alone does not know its
    providers or variables. Files under ``.terraform/`` are ignored.
    """
    roots: list[Path] = []
    callers: dict[Path, Path] = {}
    for path in paths:
        if path.is_dir():
            target = path
        else:
            if any(part in SKIP_DIRS for part in path.parts):
                continue
            directory = path.parent
            if directory not in callers:
                callers[directory] = _caller_root(directory)
            target = callers[directory]
        if not any(_same(target, r) for r in roots):
            roots.append(target)
    return roots


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


_SOURCE_RE = re.compile(r'^\s*"?source"?\s*[=:]\s*"(\.\.?/[^"]*)"', re.M)


def local_calls(directory: Path) -> list[Path]:
    """Directories called with local sources from ``directory`` (a quick textual look), resolved."""
    out: list[Path] = []
    try:
        files = [p for p in directory.iterdir() if p.is_file() and is_config(p.name)]
    except OSError:
        return out
    for f in files:
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for m in _SOURCE_RE.finditer(text):
            out.append((directory / m.group(1).rstrip("/")).resolve())
    return out


def _caller_root(directory: Path) -> Path:
    here = directory.resolve()
    stop = Path.cwd().resolve()
    candidates: list[Path] = []
    current = here
    while True:
        if (current / ".git").exists() or current == current.parent:
            candidates.append(current)
            break
        candidates.append(current)
        if current == stop:
            break
        current = current.parent
    best = here
    for ancestor in candidates[1:]:
        if _reaches(ancestor, here):
            best = ancestor
    if best == here:
        return directory
    try:
        return best.relative_to(Path.cwd().resolve())
    except ValueError:
        return best


def _reaches(start: Path, target: Path) -> bool:
    seen: set[Path] = set()
    stack = [start]
    while stack:
        d = stack.pop()
        if d in seen:
            continue
        seen.add(d)
        for child in local_calls(d):
            if child == target:
                return True
            stack.append(child)
    return False


#: directories never searched for root modules
_SKIP = frozenset({*SKIP_DIRS, ".terragrunt-cache", "node_modules"})


def tree_roots(directory: Path) -> tuple[list[Path], Path | None]:
    """The root modules a directory stands for, as Checkov's ``-d`` finds them.

    A directory holding Terraform configuration files is one module. Otherwise every
    directory below it that holds some is found (hidden directories, ``.terraform`` and
    ``.terragrunt-cache`` skipped, links not followed), less those another one found calls
    through a local module source. Returns them with ``directory`` as where they were
    found (None when it is a module itself).

    Raises:
        InputError: no Terraform configuration file anywhere below (Terraform says "No
            configuration files"); a Terragrunt configuration is named as such.
    """
    if has_config(directory):
        return [directory], None
    found: list[Path] = []
    terragrunt = False
    for here, dirs, files in os.walk(directory, onerror=None, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith("."))
        terragrunt = terragrunt or "terragrunt.hcl" in files
        if any(is_config(f) and (Path(here) / f).is_file() for f in files):
            found.append(Path(here))
    if found:
        called: set[Path] = set()  # modules called (directly or not) by another one found
        stack = list(found)
        while stack:
            for callee in local_calls(stack.pop()):
                if callee not in called:
                    called.add(callee)
                    stack.append(callee)
        return [d for d in found if d.resolve() not in called] or found, directory
    if terragrunt:
        raise InputError("a Terragrunt configuration (terragrunt.hcl), which sovpolicy does not read: run "
                         "`terragrunt plan -out=tfplan && terragrunt show -json tfplan > plan.json` and scan the plan",
                         str(directory))
    raise InputError("No configuration files: no .tf or .tf.json file in this directory or below", str(directory))


def has_config(d: Path) -> bool:
    """True when the directory holds a Terraform or OpenTofu configuration file."""
    try:
        return any(is_config(p.name) and p.is_file() for p in d.iterdir())
    except OSError:
        return False


def fed_module(path: Path) -> Path:
    """What a Terraform file given as an input stands for: itself (mapped to its module),
    or, for a variables file beside no configuration (``envs/prod.tfvars`` passed by the
    pre-commit hook with ``--var-file envs/prod.tfvars``), the module in the current
    directory it feeds.

    Raises:
        InputError: a variables file with no module beside it or in the current directory.
    """
    if not path.name.endswith((".tfvars", ".tfvars.json")):
        return path

    if has_config(path.parent):
        return path
    if has_config(Path(".")):
        return Path(".") / path.name  # stands for the module in the current directory
    raise InputError("a variables file with no Terraform configuration beside it or in the current directory: "
                     "give the module directory it feeds (and the file with --var-file)", str(path))
