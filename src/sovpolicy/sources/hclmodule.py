"""One Terraform module directory: its files read and merged into declarations.

A module directory is read as Terraform reads it: every ``.tf`` and ``.tf.json`` file,
override files (``override.tf``/``*_override.tf``) merged last; variable files in
Terraform's order (:func:`tfvars_files`). Files go through the parse cache; a file that
does not parse is a :class:`~sovpolicy.model.Problem` naming the file, line and column,
and the rest of the module is still read. Comments are kept with their lines (inline
waivers), and top-level blocks with theirs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import Problem
from .hclnames import is_config
from .hcltree import Attr, Block, Body, Expr, GetAttr, Lit, Obj, ParsedFile, Var
from .parsecache import ParseCache


def is_override(name: str) -> bool:
    stem = name.removesuffix(".json").removesuffix(".tf").removesuffix(".tofu")
    return stem == "override" or stem.endswith("_override")


def tofu_shadowed(names: Sequence[str]) -> set[str]:
    """The ``.tf``/``.tf.json`` files OpenTofu ignores because a ``.tofu``/``.tofu.json``
    file of the same name sits beside them."""
    present = set(names)
    return {n for n in names if (n.endswith(".tf") and n[:-3] + ".tofu" in present)
            or (n.endswith(".tf.json") and n[:-8] + ".tofu.json" in present)}


# ----------------------------------------------------------------------------- module files
@dataclass(frozen=True)
class At:
    """A block and the file it was read from."""

    block: Block
    path: str

    def where(self, line: int | None = None) -> str:
        return f"{self.path}:{line or self.block.line}"


@dataclass
class ModuleDef:
    """One module directory's declarations, merged across its files."""

    dir: Path
    display: str
    resources: dict[tuple[str, str], At] = field(default_factory=dict)
    variables: dict[str, At] = field(default_factory=dict)
    locals: dict[str, tuple[Attr, str]] = field(default_factory=dict)
    outputs: dict[str, At] = field(default_factory=dict)
    providers: dict[tuple[str, str | None], At] = field(default_factory=dict)
    calls: dict[str, At] = field(default_factory=dict)
    required: dict[str, str] = field(default_factory=dict)
    files: dict[Path, ParsedFile] = field(default_factory=dict)
    """The parsed files that hold comments (inline waivers are read from them)."""
    problems: list[Problem] = field(default_factory=list)

    def source_of(self, local_name: str) -> str:
        """The provider source address for a local name (``hashicorp/<name>`` by default)."""
        if local_name == "terraform":
            return "terraform.io/builtin/terraform"
        return self.required.get(local_name, f"hashicorp/{local_name}")


def merge_body(base: Body, over: Body) -> Body:
    """Terraform's override merge: attributes replace, nested block types replace whole."""
    attrs = dict(base.attrs)
    attrs.update(over.attrs)
    kinds = {b.type for b in over.blocks}
    blocks = [b for b in base.blocks if b.type not in kinds] + list(over.blocks)
    return Body(attrs, blocks)


def display(path: Path) -> str:
    text = str(path)
    return text[2:] if text.startswith("./") else text


class Loader:
    """Reads module directories once each, through the parse cache."""

    def __init__(self, cache: ParseCache) -> None:
        self.cache = cache
        self.defs: dict[Path, ModuleDef] = {}
        self.files: dict[str, tuple[int, str]] = {}  # every file read: display path -> (bytes, SHA-256)

    def parse(self, path: Path, display: str, problems: list[Problem]) -> ParsedFile | None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(Problem("unreadable-file", f"cannot read: {exc.strerror}", display))
            return None
        self.files[display] = (len(data), hashlib.sha256(data).hexdigest())
        parsed = self.cache.parse(data, path.name)
        if parsed.error is not None:
            err = parsed.error
            where = display + (f":{err.line}" if err.line else "") + (f":{err.column}" if err.line and err.column else "")
            problems.append(Problem("parse-error", f"{err.message}; the rest of the module is still scanned", where))
        return parsed

    def module(self, directory: Path, display: str) -> ModuleDef:
        key = directory.resolve()
        found = self.defs.get(key)
        if found is not None:
            return found
        mod = ModuleDef(directory, display)
        self.defs[key] = mod
        try:
            names = sorted(p.name for p in directory.iterdir() if p.is_file() and is_config(p.name))
            names = [n for n in names if n not in tofu_shadowed(names)]
        except OSError as exc:
            mod.problems.append(Problem("unreadable-module", f"cannot list the module directory: {exc.strerror}", display))
            return mod
        normal = [n for n in names if not is_override(n)]
        overrides = [n for n in names if is_override(n)]
        for name in normal + overrides:
            shown = f"{display}/{name}" if display not in ("", ".") else name
            parsed = self.parse(directory / name, shown, mod.problems)
            if parsed is None:
                continue
            if parsed.comments:
                mod.files[directory / name] = parsed
            for block in parsed.body.blocks:
                self._declare(mod, At(block, shown), override=name in overrides)
        return mod

    def _declare(self, mod: ModuleDef, at: At, override: bool) -> None:
        b = at.block
        if b.type == "resource" and len(b.labels) == 2:
            self._put(mod.resources, (b.labels[0], b.labels[1]), at, override)
        elif b.type == "variable" and b.labels:
            self._put(mod.variables, b.labels[0], at, override)
        elif b.type == "output" and b.labels:
            self._put(mod.outputs, b.labels[0], at, override)
        elif b.type == "module" and b.labels:
            self._put(mod.calls, b.labels[0], at, override)
        elif b.type == "provider" and b.labels:
            alias = literal(b.body.attrs.get("alias"))
            key = (b.labels[0], alias if isinstance(alias, str) else None)
            first = mod.providers.get(key)
            if first is not None and not override:
                # Terraform refuses two configurations of one provider (and alias): neither is
                # chosen, the resources they would serve have no region read from them
                label = f'provider "{key[0]}"' + (f' (alias "{key[1]}")' if key[1] else "")
                mod.problems.append(Problem("duplicate-provider", f"{label} is configured twice, at {first.where()} and "
                                            f"{at.where()}: Terraform refuses it; its region is not read", at.where()))
                mod.providers[key] = At(Block(b.type, b.labels, Body(), first.block.line, first.block.end_line), first.path)
                return
            self._put(mod.providers, key, at, override)
        elif b.type == "locals":
            for name, attr in b.body.attrs.items():
                mod.locals[name] = (attr, at.path)
        elif b.type == "terraform":
            for req in b.body.blocks_of("required_providers"):
                for local_name, attr in req.body.attrs.items():
                    src = attr.expr
                    if isinstance(src, Lit) and isinstance(src.value, str):
                        mod.required[local_name] = source_address(src.value)
                    else:
                        value = literal_object(src).get("source")
                        if isinstance(value, str):
                            mod.required[local_name] = source_address(value)

    @staticmethod
    def _put(table: dict[Any, At], key: Any, at: At, override: bool) -> None:
        if override and key in table:
            old = table[key]
            merged = Block(old.block.type, old.block.labels, merge_body(old.block.body, at.block.body),
                           old.block.line, old.block.end_line)
            table[key] = At(merged, old.path)
        elif key not in table or not override:
            table.setdefault(key, at)

    def tfvars(self, paths: Sequence[tuple[Path, str]], problems: list[Problem]) -> dict[str, tuple[Attr, str]]:
        values: dict[str, tuple[Attr, str]] = {}
        for path, shown in paths:
            got = self.parse(path, shown, problems)
            if got is None:
                continue
            for name, attr in got.body.attrs.items():
                values[name] = (attr, shown)
        return values


def source_address(text: str) -> str:
    parts = text.lower().split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else f"hashicorp/{parts[0]}"


def literal(attr: Attr | None) -> Any:
    if attr is not None and isinstance(attr.expr, Lit):
        return attr.expr.value
    return None


def literal_object(expr: Expr) -> dict[str, Any]:
    if not isinstance(expr, Obj):
        return {}
    return {k.value: v.value for k, v in zip(expr.keys, expr.values)
            if isinstance(k, Lit) and isinstance(v, Lit) and isinstance(k.value, str)}


def provider_ref(expr: Expr) -> tuple[str, str | None] | None:
    """``aws`` / ``aws.eu`` as a reference (or a string in JSON syntax) -> (name, alias)."""
    if isinstance(expr, Var):
        return expr.name, None
    if isinstance(expr, GetAttr) and isinstance(expr.base, Var):
        return expr.base.name, expr.name
    if isinstance(expr, Lit) and isinstance(expr.value, str) and expr.value:
        name, _, alias = expr.value.partition(".")
        return name, alias or None
    return None


#: the instance key of a count/for_each whose keys are not known: ``x[*]`` stands for every instance
EVERY = object()


def key_text(key: Any) -> str:
    if key is EVERY:
        return "*"
    return str(key) if isinstance(key, int) and not isinstance(key, bool) else json.dumps(key, ensure_ascii=False)


def tfvars_files(directory: Path, extra: Sequence[Path]) -> list[tuple[Path, str]]:
    """Variable files in Terraform's order: terraform.tfvars(.json), *.auto.tfvars(.json), then ``extra``."""
    shown = display(directory)

    def show(p: Path) -> str:
        return f"{shown}/{p.name}" if shown not in ("", ".") else p.name

    out: list[tuple[Path, str]] = []
    for name in ("terraform.tfvars", "terraform.tfvars.json"):
        if (directory / name).is_file():
            out.append((directory / name, show(directory / name)))
    try:
        autos = sorted(p for p in directory.iterdir() if p.is_file() and p.name.endswith((".auto.tfvars", ".auto.tfvars.json")))
    except OSError:
        autos = []
    out += [(p, show(p)) for p in autos]
    out += [(p, display(p)) for p in extra]
    return out
