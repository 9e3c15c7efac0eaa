"""Which root modules to scan for the Terraform files a user (or pre-commit) gives."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .hclmodule import SKIP_DIRS, is_config


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


def _local_calls(directory: Path) -> list[Path]:
    """Directories called with local sources from ``directory`` (a quick textual look)."""
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
        for child in _local_calls(d):
            if child == target:
                return True
            stack.append(child)
    return False
