"""The house rules that code can check: no import cycle between sovpolicy's modules, and
each cloud SDK imported by its source module only."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, Path]:
    out = {}
    for f in (SRC / "sovpolicy").rglob("*.py"):
        parts = f.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = f
    return out


def _imports(name: str, path: Path, known: dict[str, Path], top_level: bool) -> set[str]:
    """The sovpolicy modules ``name`` imports (at module level only when ``top_level``)."""
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                cand = f"{target}.{alias.name}"
                found.add(cand if cand in known else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in known and m != name}


def test_no_import_cycle_between_modules():
    known = _modules()
    graph = {m: _imports(m, p, known, top_level=True) for m, p in known.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for nb in sorted(graph[m]):
            if state.get(nb) == 1:
                cycles.append(stack[stack.index(nb):] + [nb])
            elif nb not in state:
                visit(nb, [*stack, nb])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_cloud_sdks_are_imported_by_their_source_only():
    owners = {"boto3": "sovpolicy.sources.aws", "botocore": "sovpolicy.sources.aws", "azure": "sovpolicy.sources.azure",
              "hcl2": "sovpolicy.sources.hclnative"}
    wrong = []
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for mod in mods:
                root = mod.split(".")[0]
                if root in owners and not name.startswith(owners[root]):
                    wrong.append(f"{name} imports {mod}")
    assert wrong == []
