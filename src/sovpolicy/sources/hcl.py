"""Read Terraform source (a root module directory) into resources, as ``terraform plan`` would place them.

A module directory is read as Terraform reads it: every ``.tf`` and ``.tf.json`` file
(override files ``override.tf``/``*_override.tf`` merged last), variable defaults,
``terraform.tfvars``, ``terraform.tfvars.json``, ``*.auto.tfvars(.json)`` in lexical
order, then ``--var-file`` files; ``locals``; provider blocks with ``alias``; ``provider
=`` on resources; local module calls (``source = "./..."``) recursively, with their
arguments and ``providers`` maps; ``count`` and ``for_each`` (one instance per key when
the keys are known, else one ``[*]`` instance). Values are computed by
:mod:`~sovpolicy.sources.hcleval`; what it cannot compute (a computed attribute, a data
source, an unsupported function, a remote module) is unresolved with the reason.

Each resource instance becomes a :class:`~sovpolicy.model.Resource` with
``source=hcl``, its ``Location(file, line)`` and a placement decided by the same rules as
the plan reader (:mod:`~sovpolicy.sources.placement`): its own region/zone attribute
(``resource``), a referenced parent for providers without a provider-level region
(``parent``), the region of the provider configuration that serves it (``provider``, or
``variable``/``module`` when it comes through a root variable or a module argument), the
provider's documented default, else ``unresolved``. The evidence names the file and line
of every hop (``providers.tf:14 provider "aws" (alias "dr") region``, then
``terraform.tfvars:6 sets var.dr_region``).

Files that do not parse are :class:`~sovpolicy.model.Problem`\\ s naming the file, line
and column; the rest of the module is still read. Comments are kept, with their lines,
in :attr:`HclScan.comments` (for inline waivers).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import Catalog, ProviderInfo
from ..model import Location, Origin, Placement, Problem, Resource, SourceKind
from .flows import SENSITIVE, UNKNOWN, Refs, Target, follow, path_text
from .hcleval import Evaluator, Sensitive, Step, Unknown, apply_type, constant, describe, plain, redact, references
from .hclsyntax import Attr, Block, Body, Comment, Cond, Expr, GetAttr, Index, Lit, Obj, Tmpl, Var
from .parsecache import ParseCache
from .placement import (
    UNPLACED,
    ProviderSettings,
    Value,
    early_placement,
    is_zonal,
    own_placement,
    parent_attributes,
    parent_placement,
    provider_placement,
    resolve_parents,
)

HOW = "source files do not show"
SENSITIVE_REASON = "the region comes from a sensitive value: sovpolicy does not read sensitive values"
_META_ARGS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})
#: provider blocks' tags applied to every resource: provider source -> (nested block, attribute) or attribute
_DEFAULT_TAGS: dict[str, tuple[str | None, str]] = {
    "hashicorp/aws": ("default_tags", "tags"),
    "hashicorp/google": (None, "default_labels"),
    "hashicorp/google-beta": (None, "default_labels"),
}
_TAG_ATTRS = ("tags", "labels")
#: first steps of a reference that never name a managed resource
_NOT_RESOURCES = frozenset({"var", "local", "module", "data", "each", "count", "path", "self", "terraform"})
_SKIP_DIRS = frozenset({".terraform", ".git"})


def is_terraform_file(path: Path) -> bool:
    """True for ``.tf``, ``.tf.json``, ``.tfvars`` and ``.tfvars.json`` files."""
    name = path.name
    return name.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json"))


def _is_config(name: str) -> bool:
    return name.endswith((".tf", ".tf.json"))


def _is_override(name: str) -> bool:
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


# ----------------------------------------------------------------------------- module files
@dataclass(frozen=True)
class _At:
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
    resources: dict[tuple[str, str], _At] = field(default_factory=dict)
    variables: dict[str, _At] = field(default_factory=dict)
    locals: dict[str, tuple[Attr, str]] = field(default_factory=dict)
    outputs: dict[str, _At] = field(default_factory=dict)
    providers: dict[tuple[str, str | None], _At] = field(default_factory=dict)
    calls: dict[str, _At] = field(default_factory=dict)
    required: dict[str, str] = field(default_factory=dict)
    comments: dict[str, list[Comment]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def source_of(self, local_name: str) -> str:
        """The provider source address for a local name (``hashicorp/<name>`` by default)."""
        if local_name == "terraform":
            return "terraform.io/builtin/terraform"
        return self.required.get(local_name, f"hashicorp/{local_name}")


def _merge_body(base: Body, over: Body) -> Body:
    """Terraform's override merge: attributes replace, nested block types replace whole."""
    attrs = dict(base.attrs)
    attrs.update(over.attrs)
    kinds = {b.type for b in over.blocks}
    blocks = [b for b in base.blocks if b.type not in kinds] + list(over.blocks)
    return Body(attrs, blocks)


def _display(path: Path) -> str:
    text = str(path)
    return text[2:] if text.startswith("./") else text


class _Loader:
    """Reads module directories once each, through the parse cache."""

    def __init__(self, cache: ParseCache) -> None:
        self.cache = cache
        self.defs: dict[Path, ModuleDef] = {}

    def parse(self, path: Path, display: str, problems: list[Problem]) -> tuple[Body, list[Comment]] | None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(Problem("unreadable-file", f"cannot read: {exc.strerror}", display))
            return None
        parsed = self.cache.parse(data, path.name)
        if parsed.error is not None:
            err = parsed.error
            where = display + (f":{err.line}" if err.line else "") + (f":{err.column}" if err.line and err.column else "")
            problems.append(Problem("parse-error", f"{err.message}; the rest of the module is still scanned", where))
        return parsed.body, list(parsed.comments)

    def module(self, directory: Path, display: str) -> ModuleDef:
        key = directory.resolve()
        found = self.defs.get(key)
        if found is not None:
            return found
        mod = ModuleDef(directory, display)
        self.defs[key] = mod
        try:
            names = sorted(p.name for p in directory.iterdir() if p.is_file() and _is_config(p.name))
        except OSError as exc:
            mod.problems.append(Problem("unreadable-module", f"cannot list the module directory: {exc.strerror}", display))
            return mod
        normal = [n for n in names if not _is_override(n)]
        overrides = [n for n in names if _is_override(n)]
        for name in normal + overrides:
            shown = f"{display}/{name}" if display not in ("", ".") else name
            got = self.parse(directory / name, shown, mod.problems)
            if got is None:
                continue
            body, comments = got
            if comments:
                mod.comments[shown] = comments
            for block in body.blocks:
                self._declare(mod, _At(block, shown), override=name in overrides)
        return mod

    def _declare(self, mod: ModuleDef, at: _At, override: bool) -> None:
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
            alias = _literal(b.body.attrs.get("alias"))
            self._put(mod.providers, (b.labels[0], alias if isinstance(alias, str) else None), at, override)
        elif b.type == "locals":
            for name, attr in b.body.attrs.items():
                mod.locals[name] = (attr, at.path)
        elif b.type == "terraform":
            for req in b.body.blocks_of("required_providers"):
                for local_name, attr in req.body.attrs.items():
                    src = attr.expr
                    if isinstance(src, Lit) and isinstance(src.value, str):
                        mod.required[local_name] = _source_address(src.value)
                    else:
                        value = _literal_object(src).get("source")
                        if isinstance(value, str):
                            mod.required[local_name] = _source_address(value)

    @staticmethod
    def _put(table: dict[Any, _At], key: Any, at: _At, override: bool) -> None:
        if override and key in table:
            old = table[key]
            merged = Block(old.block.type, old.block.labels, _merge_body(old.block.body, at.block.body),
                           old.block.line, old.block.end_line)
            table[key] = _At(merged, old.path)
        elif key not in table or not override:
            table.setdefault(key, at)

    def tfvars(self, paths: Sequence[tuple[Path, str]], problems: list[Problem]) -> dict[str, tuple[Attr, str]]:
        values: dict[str, tuple[Attr, str]] = {}
        for path, shown in paths:
            got = self.parse(path, shown, problems)
            if got is None:
                continue
            for name, attr in got[0].attrs.items():
                values[name] = (attr, shown)
        return values


def _source_address(text: str) -> str:
    parts = text.lower().split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else f"hashicorp/{parts[0]}"


def _literal(attr: Attr | None) -> Any:
    if attr is not None and isinstance(attr.expr, Lit):
        return attr.expr.value
    return None


def _literal_object(expr: Expr) -> dict[str, Any]:
    from .hclsyntax import Obj

    if not isinstance(expr, Obj):
        return {}
    return {k.value: v.value for k, v in zip(expr.keys, expr.values)
            if isinstance(k, Lit) and isinstance(v, Lit) and isinstance(k.value, str)}


def _provider_ref(expr: Expr) -> tuple[str, str | None] | None:
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


def _key_text(key: Any) -> str:
    if key is EVERY:
        return "*"
    return str(key) if isinstance(key, int) and not isinstance(key, bool) else json.dumps(key, ensure_ascii=False)


# ----------------------------------------------------------------------------- module instances
@dataclass(frozen=True)
class _ProviderConfig:
    """A provider configuration as seen from a module instance: its block and its module."""

    at: _At
    module: _ModuleInstance
    name: str
    alias: str | None

    @property
    def label(self) -> str:
        return f"{self.name}.{self.alias}" if self.alias else self.name


class _BlockScope:
    """The scope of one block instance: its module instance plus ``each``/``count``."""

    def __init__(self, module: _ModuleInstance, bindings: dict[str, Any] | None = None) -> None:
        self.module = module
        self.bindings = bindings or {}

    def variable(self, name: str, trace: list[Step]) -> Any:
        return self.module.variable(name, trace)

    def local(self, name: str, trace: list[Step]) -> Any:
        return self.module.local(name, trace)

    def resource(self, rtype: str, name: str, steps: list[tuple[str, Any]], trace: list[Step]) -> tuple[Any, int]:
        return self.module.resource_value(rtype, name, steps, trace)

    def module_output(self, name: str, steps: list[tuple[str, Any]], trace: list[Step]) -> tuple[Any, int]:
        return self.module.output_value(name, steps, trace)

    def instance(self) -> dict[str, Any]:
        return self.bindings

    def path(self, which: str) -> Any:
        if which == "module":
            return self.module.defn.display or "."
        if which == "root":
            return self.module.root().defn.display or "."
        if which == "cwd":
            return "."
        return Unknown(f"path.{which} does not exist", error=True)


@dataclass
class _Expansion:
    """The instances of a block with count/for_each: ``[(key or None, bindings)]`` and a note."""

    instances: list[tuple[Any, dict[str, Any]]]
    note: str | None = None


@dataclass(eq=False)
class _ModuleInstance:
    """One instance of a module (root, ``module.a``, ``module.a["k"].module.b``).

    Attributes:
        address: its module address (``""`` for the root).
        call, call_bindings: the module block that calls it and its ``each``/``count``.
        root_values: variable values from tfvars and var files (root module only).
        providers: which provider configuration serves ``(name, alias)`` here.
    """

    reader: _Reader
    defn: ModuleDef
    address: str
    parent: _ModuleInstance | None
    call: _At | None
    call_bindings: dict[str, Any]
    root_values: dict[str, tuple[Attr, str]]
    _vars: dict[str, tuple[Any, list[Step]]] = field(default_factory=dict, init=False)
    _locals: dict[str, tuple[Any, list[Step]]] = field(default_factory=dict, init=False)
    _busy: set[str] = field(default_factory=set, init=False)
    _children: dict[str, dict[Any, _ModuleInstance] | Unknown] = field(default_factory=dict, init=False)
    providers: dict[tuple[str, str | None], _ProviderConfig] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.providers = self._provider_env()

    def root(self) -> _ModuleInstance:
        return self if self.parent is None else self.parent.root()

    def scope(self, bindings: dict[str, Any] | None = None) -> _BlockScope:
        return _BlockScope(self, bindings)

    def eval(self, expr: Expr, trace: list[Step], bindings: dict[str, Any] | None = None) -> Any:
        return Evaluator(self.scope(bindings)).eval(expr, trace)

    def prefix(self, text: str) -> str:
        return f"{self.address}.{text}" if self.address else text

    # ---------------------------------------------------------------- values
    def _guard(self, key: str) -> bool:
        if key in self._busy:
            return False
        self._busy.add(key)
        return True

    def variable(self, name: str, trace: list[Step]) -> Any:
        cached = self._vars.get(name)
        if cached is None:
            if not self._guard("var." + name):
                return Unknown(f"var.{name} depends on itself")
            try:
                cached = self._variable(name)
            finally:
                self._busy.discard("var." + name)
            self._vars[name] = cached
        trace.extend(cached[1])
        return cached[0]

    def _variable(self, name: str) -> tuple[Any, list[Step]]:
        decl = self.defn.variables.get(name)
        if decl is None:
            return Unknown(f"variable {name!r} is not declared in {self.defn.display or 'the module'}", error=True), []
        sensitive = _literal(decl.block.body.attrs.get("sensitive")) is True
        steps: list[Step] = []
        value: Any
        if self.parent is None:
            given = self.root_values.get(name)
            if given is not None:
                attr, path = given
                value = constant(attr.expr, steps)
                steps.append(Step("variable", f"{path}:{attr.line} sets var.{name}"))
            elif "default" in decl.block.body.attrs:
                attr = decl.block.body.attrs["default"]
                value = constant(attr.expr, steps)
                steps.append(Step("variable", f"{decl.path}:{attr.line} default of var.{name}", default=True))
            else:
                value = Unknown(f"root variable {name!r} has no value in the source (no default, no tfvars): "
                                f"it is given with -var, TF_VAR_{name} or a var file not passed to sovpolicy")
                steps.append(Step("variable", f"{decl.where()} variable {name!r}"))
        else:
            assert self.call is not None and self.parent is not None
            arg = self.call.block.body.attrs.get(name)
            if arg is not None:
                value = self.parent.eval(arg.expr, steps, self.call_bindings)
                steps.insert(0, Step("module", f"{self.call.where(arg.line)} {self.address} argument {name}"))
            elif "default" in decl.block.body.attrs:
                attr = decl.block.body.attrs["default"]
                value = constant(attr.expr, steps)
                steps.append(Step("module", f"{decl.path}:{attr.line} default of {self.prefix('var.' + name)}", default=True))
            else:
                value = Unknown(f"module call {self.address} does not set {name!r} and it has no default", error=True)
        type_attr = decl.block.body.attrs.get("type")
        value = apply_type(value, type_attr.expr if type_attr is not None else None)
        if sensitive and not isinstance(value, Unknown):
            value = Sensitive(value)
        return value, steps

    def local(self, name: str, trace: list[Step]) -> Any:
        cached = self._locals.get(name)
        if cached is None:
            found = self.defn.locals.get(name)
            if found is None:
                return Unknown(f"local.{name} is not declared", error=True)
            if not self._guard("local." + name):
                return Unknown(f"local.{name} depends on itself")
            steps: list[Step] = []
            try:
                value = self.eval(found[0].expr, steps)
            finally:
                self._busy.discard("local." + name)
            steps.append(Step("local", f"{found[1]}:{found[0].line} {self.prefix('local.' + name)}"))
            cached = (value, steps)
            self._locals[name] = cached
        trace.extend(cached[1])
        return cached[0]

    def expansion(self, at: _At, what: str) -> _Expansion:
        """The instances of a resource or module block (count / for_each)."""
        attrs = at.block.body.attrs
        if "count" in attrs:
            n, _ = plain(self.eval(attrs["count"].expr, []))
            if isinstance(n, Unknown):
                return _Expansion([(EVERY, {"count": {"index": Unknown("count.index of an unknown count")}})],
                                  f"count is not known from source ({n.reason}): one entry stands for every instance")
            if isinstance(n, bool) or not isinstance(n, (int, float)) or n < 0:
                return _Expansion([(EVERY, {"count": {"index": Unknown("count.index of an invalid count")}})],
                                  f"count is not a whole number ({n!r})")
            return _Expansion([(i, {"count": {"index": i}}) for i in range(int(n))])
        if "for_each" in attrs:
            coll, _ = plain(self.eval(attrs["for_each"].expr, []))
            unknown_each = {"each": {"key": Unknown("each.key of an unknown for_each"),
                                     "value": Unknown("each.value of an unknown for_each")}}
            if isinstance(coll, dict):
                return _Expansion([(k, {"each": {"key": k, "value": coll[k]}}) for k in sorted(coll)])
            if isinstance(coll, list) and all(isinstance(x, str) for x in coll):
                return _Expansion([(k, {"each": {"key": k, "value": k}}) for k in sorted(set(coll))])
            reason = coll.reason if isinstance(coll, Unknown) else f"it is not a map or a set of strings ({type(coll).__name__})"
            return _Expansion([(EVERY, unknown_each)], f"for_each is not known from source ({reason}): one entry stands for every instance")
        return _Expansion([(None, {})])

    # ---------------------------------------------------------------- references
    def resource_value(self, rtype: str, name: str, steps: list[tuple[str, Any]], trace: list[Step]) -> tuple[Any, int]:
        at = self.defn.resources.get((rtype, name))
        what = self.prefix(f"{rtype}.{name}")
        if at is None:
            return Unknown(f"{what} is not declared", error=True), 0
        exp = self.expansion(at, what)
        used = 0
        bindings: dict[str, Any]
        if exp.instances == [(None, {})]:
            bindings = {}
        else:
            if not steps or steps[0][0] != "index":
                return Unknown(f"{what} has several instances: its attributes are not read as a whole"), 0
            key = steps[0][1]
            if isinstance(key, Unknown):
                return key, 1
            match = [b for k, b in exp.instances if k == key]
            if not match:
                return Unknown(f"{what}[{_key_text(key)}] is not known from source"), 1
            bindings, used = match[0], 1
        if len(steps) <= used or steps[used][0] != "attr":
            return Unknown(f"{what} is a whole resource, not one of its values"), used
        attr_name = steps[used][1]
        attr = at.block.body.attrs.get(attr_name)
        if attr is None:
            return Unknown(f"{what}.{attr_name} is known only after apply"), used + 1
        guard = f"res.{rtype}.{name}.{attr_name}"
        if not self._guard(guard):
            return Unknown(f"{what}.{attr_name} depends on itself"), used + 1
        try:
            sub: list[Step] = []
            value = self.eval(attr.expr, sub, bindings)
        finally:
            self._busy.discard(guard)
        trace.append(Step("resource", f"{at.where(attr.line)} {what}.{attr_name}"))
        trace.extend(sub)
        return value, used + 1

    def children(self, name: str) -> dict[Any, _ModuleInstance] | Unknown:
        """The instances of module call ``name`` (local sources only), by key (None when single)."""
        if name in self._children:
            return self._children[name]
        at = self.defn.calls.get(name)
        result: dict[Any, _ModuleInstance] | Unknown
        if at is None:
            result = Unknown(f"module {name!r} is not declared", error=True)
        else:
            source = _literal(at.block.body.attrs.get("source"))
            directory = self.reader.local_source(self, source)
            if directory is None:
                result = Unknown(f"module {self.prefix('module.' + name)} comes from {source!r}, which sovpolicy does not read")
            else:
                self._children[name] = {}
                defn = self.reader.loader.module(directory, _display(directory))
                result = {}
                for key, bindings in self.expansion(at, name).instances:
                    addr = self.prefix(f"module.{name}" + ("" if key is None else f"[{_key_text(key)}]"))
                    result[key] = _ModuleInstance(self.reader, defn, addr, self, at, bindings, {})
        self._children[name] = result
        return result

    def output_value(self, name: str, steps: list[tuple[str, Any]], trace: list[Step]) -> tuple[Any, int]:
        kids = self.children(name)
        if isinstance(kids, Unknown):
            return kids, 0
        used = 0
        if None in kids:
            child = kids[None]
        else:
            if not steps or steps[0][0] != "index":
                return Unknown(f"module.{name} has several instances: its outputs are not read as a whole"), 0
            if isinstance(steps[0][1], Unknown):
                return steps[0][1], 1
            found = kids.get(steps[0][1])
            if found is None:
                return Unknown(f"module.{name}[{_key_text(steps[0][1])}] is not known from source"), 1
            child, used = found, 1
        if len(steps) <= used or steps[used][0] != "attr":
            return Unknown(f"module.{name} is a whole module, not one of its outputs"), used
        out = child.defn.outputs.get(steps[used][1])
        if out is None or "value" not in out.block.body.attrs:
            return Unknown(f"{child.address} has no output {steps[used][1]!r}", error=True), used + 1
        guard = f"out.{name}.{steps[used][1]}"
        if not self._guard(guard):
            return Unknown(f"output {steps[used][1]} depends on itself"), used + 1
        try:
            sub: list[Step] = []
            value = child.eval(out.block.body.attrs["value"].expr, sub)
        finally:
            self._busy.discard(guard)
        trace.append(Step("module", f"{out.where()} output {child.address}.{steps[used][1]}"))
        trace.extend(sub)
        return value, used + 1

    # ---------------------------------------------------------------- providers
    def _provider_env(self) -> dict[tuple[str, str | None], _ProviderConfig]:
        env: dict[tuple[str, str | None], _ProviderConfig] = {}
        if self.parent is not None and self.call is not None:
            mapping = self.call.block.body.attrs.get("providers")
            if mapping is None:
                env.update({k: v for k, v in self.parent.providers.items() if k[1] is None})
            else:
                from .hclsyntax import Obj

                if isinstance(mapping.expr, Obj):
                    for key, value in zip(mapping.expr.keys, mapping.expr.values):
                        inner, outer = _provider_ref(key), _provider_ref(value)
                        if inner and outer and outer in self.parent.providers:
                            env[inner] = self.parent.providers[outer]
        for (pname, alias), at in self.defn.providers.items():
            env[(pname, alias)] = _ProviderConfig(at, self, pname, alias)
        return env


# ----------------------------------------------------------------------------- the reader
@dataclass
class _Inst:
    """One resource instance under resolution."""

    module: _ModuleInstance
    at: _At
    rtype: str
    name: str
    address: str
    bindings: dict[str, Any]
    info: ProviderInfo | None = None
    provider: _ProviderConfig | None = None
    provider_key: tuple[str, str | None] = ("", None)
    placement: Placement | None = None
    notes: list[str] = field(default_factory=list)
    attributes: dict[str, object] = field(default_factory=dict)

    @property
    def location(self) -> Location:
        return Location(self.at.path, self.at.block.line)


@dataclass
class HclScan:
    """What :func:`read_module` returns.

    Attributes:
        resources: one per managed resource instance, in file and module order.
        problems: unparsable files, remote or missing modules.
        comments: comments by file (``path -> [Comment(line, text)]``), for inline waivers.
        module_dirs: module path without instance keys (``""``, ``module.a.module.b``) ->
            the directory of its files, for every module read.
    """

    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    comments: dict[str, list[Comment]] = field(default_factory=dict)
    module_dirs: dict[str, Path] = field(default_factory=dict)


def _nothing(path: tuple[str, ...]) -> Value | None:
    return None


class _Reader:
    def __init__(self, catalog: Catalog, loader: _Loader) -> None:
        self.catalog = catalog
        self.loader = loader
        self.problems: list[Problem] = []
        self.placeholders: list[Resource] = []
        self.module_dirs: dict[str, Path] = {}

    def local_source(self, module: _ModuleInstance, source: Any) -> Path | None:
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            return None
        directory = module.defn.dir / source.rstrip("/")
        return directory if directory.is_dir() else None

    # ---------------------------------------------------------------- walk
    def walk(self, module: _ModuleInstance, out: list[_Inst], depth: int = 0, path: str = "") -> None:
        self.module_dirs.setdefault(path, module.defn.dir)
        for (rtype, name), at in module.defn.resources.items():
            exp = module.expansion(at, f"{rtype}.{name}")
            for key, bindings in exp.instances:
                addr = module.prefix(f"{rtype}.{name}" + ("" if key is None else f"[{_key_text(key)}]"))
                inst = _Inst(module, at, rtype, name, addr, bindings)
                if exp.note:
                    inst.notes.append(exp.note)
                out.append(inst)
        for name, at in module.defn.calls.items():
            source = _literal(at.block.body.attrs.get("source"))
            kids = module.children(name)
            if isinstance(kids, Unknown):
                self._unread_module(module, name, at, source)
                continue
            if depth > 32:
                self.problems.append(Problem("module-depth", "local modules nest more than 32 levels", at.where()))
                continue
            for child in kids.values():
                self.walk(child, out, depth + 1, f"{path}.module.{name}" if path else f"module.{name}")

    def _unread_module(self, module: _ModuleInstance, name: str, at: _At, source: Any) -> None:
        addr = module.prefix(f"module.{name}")
        if isinstance(source, str) and source.startswith(("./", "../")):
            reason = f"local module source {source!r} is not a directory"
            self.problems.append(Problem("module-missing", f"module {addr}: {reason}", at.where()))
        else:
            reason = f"module {addr} comes from {source!r}, which sovpolicy does not read (remote module)"
            self.problems.append(Problem("remote-module", f"{reason}: its resources are not checked", at.where()))
        tags, _ = self._tag_map(module, at.block.body.attrs.get("tags"), {}, [])
        for key, _b in module.expansion(at, name).instances:
            address = addr + ("" if key is None else f"[{_key_text(key)}]")
            self.placeholders.append(Resource(
                address=address, type="module", source=SourceKind.HCL,
                placement=Placement(None, None, Origin.UNRESOLVED, (at.where(),), reason),
                tags=tags, location=Location(at.path, at.block.line),
                notes=("stands for every resource of a module whose source is not read",)))

    # ---------------------------------------------------------------- placement
    def provider_of(self, inst: _Inst) -> None:
        attr = inst.at.block.body.attrs.get("provider")
        ref = _provider_ref(attr.expr) if attr is not None else None
        key = ref or (inst.rtype.split("_", 1)[0], None)
        inst.provider_key = key
        inst.provider = inst.module.providers.get(key)

    def resolve(self, inst: _Inst) -> None:
        self.provider_of(inst)
        name, alias = inst.provider_key
        source = inst.module.defn.source_of(name)
        info, early = early_placement(self.catalog, source, inst.rtype, (inst.at.where(),))
        if early is not None or info is None:
            inst.placement = early
            return
        inst.info = info
        own = own_placement(self.catalog, info, inst.rtype, self._attribute(inst, info))
        if own is not None or not info.provider_region:
            inst.placement = own  # None: a parent resource decides (resolve_parent)
            return
        inst.placement = provider_placement(self.catalog, info, is_zonal(info, inst.rtype), self._provider_settings(inst))

    def _attribute(self, inst: _Inst, info: ProviderInfo) -> Callable[[str], Value | None]:
        """A resource's own attributes, evaluated from source, as ladder values."""
        attrs = inst.at.block.body.attrs

        def attribute(name: str) -> Value | None:
            attr = attrs.get(name)
            if attr is None:
                return None
            trace: list[Step] = []
            value, secret = plain(inst.module.eval(attr.expr, trace, inst.bindings))
            if name in info.resource_regions:
                return Value.given(value, (inst.at.where(attr.line),)) if isinstance(value, list) else None
            evidence = [f"{inst.at.where(attr.line)} {inst.address} {name}"] + [s.where for s in trace]
            if secret:
                return Value.unresolved(SENSITIVE_REASON, evidence, sensitive=True)
            if isinstance(value, str) and value:
                inst.attributes[name] = value
                return Value.given(value, evidence, default=any(s.default for s in trace))
            if value is None:  # null is unset
                return None
            why = value.reason if isinstance(value, Unknown) else f"it is {value!r}"
            return Value.unresolved(f"{name} = {describe(attr.expr)} is not known from source: {why}", evidence)

        return attribute

    def _provider_settings(self, inst: _Inst) -> ProviderSettings:
        """The provider configuration that serves ``inst`` (its block), as the ladder reads it."""
        cfg = inst.provider
        name, alias = inst.provider_key
        label = f"{name}.{alias}" if alias else name
        if cfg is None:
            missing = f"provider configuration {label} is not declared for {inst.module.address or 'the root module'}"
            return ProviderSettings(f"{label!r} (no provider block)", (inst.at.where(),), HOW, _nothing,
                                    missing if alias else None)
        body = cfg.at.block.body
        head = f'provider "{cfg.name}"' + (f' (alias "{cfg.alias}")' if cfg.alias else "")

        def setting(path: tuple[str, ...]) -> Value | None:
            node: Body | None = body
            for step in path[:-1]:
                nested = node.blocks_of(step) if node is not None else []
                node = nested[0].body if nested else None
            attr = node.attrs.get(path[-1]) if node is not None else None
            if attr is None:
                return None
            trace: list[Step] = []
            value, secret = plain(cfg.module.eval(attr.expr, trace))
            evidence = [f"{cfg.at.where(attr.line)} {head} {'.'.join(path)}"] + [s.where for s in trace]
            if secret:
                return Value.unresolved(SENSITIVE_REASON, evidence, sensitive=True)
            if isinstance(value, str) and value:
                kinds = {s.kind for s in trace}
                origin = Origin.MODULE if "module" in kinds else Origin.VARIABLE if "variable" in kinds else Origin.PROVIDER
                return Value.given(value, evidence, origin, default=any(s.default for s in trace))
            why = value.reason if isinstance(value, Unknown) else f"it is {value!r}"
            return Value.unresolved(f"the region {describe(attr.expr)} is not known from source: {why}", evidence)

        return ProviderSettings(repr(cfg.label), (f"{cfg.at.where()} {head}",), HOW, setting)

    def resolve_parent(self, inst: _Inst, placed: dict[str, list[_Inst]]) -> None:
        info = inst.info
        assert info is not None
        attrs = inst.at.block.body.attrs

        def links() -> Iterator[tuple[str, list[Placement]]]:
            for attr_name in parent_attributes(info, attrs):
                attr = attrs.get(attr_name)
                for ref in references(attr.expr) if attr is not None else []:
                    if len(ref) < 2 or ref[0] in _NOT_RESOURCES:
                        continue
                    target = inst.module.prefix(f"{ref[0]}.{ref[1]}")
                    assert attr is not None
                    yield (f"{inst.at.where(attr.line)} {attr_name} -> {'.'.join(ref)}",
                           [c.placement for c in placed.get(target, []) if c is not inst and c.placement is not None])

        names = "/".join(info.resource_region) or "region"
        inst.placement = parent_placement(info, links(), (inst.at.where(),),
                                          f"{inst.rtype} has no {names} known from source and no placed parent resource")

    # ---------------------------------------------------------------- tags
    def _tag_map(self, module: _ModuleInstance, attr: Attr | None, bindings: dict[str, Any],
                 notes: list[str]) -> tuple[dict[str, str], bool]:
        if attr is None:
            return {}, True
        value = module.eval(attr.expr, [], bindings)
        value, sensitive = plain(value)
        if isinstance(value, Unknown):
            notes.append(f"tags not known from source ({value.reason})")
            return {}, False
        if not isinstance(value, dict):
            return {}, True
        tags: dict[str, str] = {}
        unknown_keys = []
        for k, v in value.items():
            v, s = plain(v)
            if isinstance(v, Unknown):
                unknown_keys.append(k)
            elif sensitive or s:
                tags[k] = "(sensitive)"
            elif isinstance(v, (str, int, float, bool)):
                tags[k] = v if isinstance(v, str) else json.dumps(v)
        if unknown_keys:
            notes.append(f"tags not known from source ({', '.join(sorted(unknown_keys))})")
        return tags, True

    def tags(self, inst: _Inst) -> dict[str, str]:
        tags: dict[str, str] = {}
        if inst.info is not None and inst.provider is not None:
            spec = _DEFAULT_TAGS.get(inst.info.source)
            if spec is not None:
                block_name, attr_name = spec
                body = inst.provider.at.block.body
                if block_name is not None:
                    nested = body.blocks_of(block_name)
                    body = nested[0].body if nested else Body()
                found, _ = self._tag_map(inst.provider.module, body.attrs.get(attr_name), {}, inst.notes)
                tags.update(found)
        for name in _TAG_ATTRS:
            found, _ = self._tag_map(inst.module, inst.at.block.body.attrs.get(name), inst.bindings, inst.notes)
            tags.update(found)
        return tags


# ----------------------------------------------------------------------------- data flows
_NO_RESOURCE = frozenset({"each", "count", "path", "terraform", "data", "self"})


class _HclRefs:
    """Which resource instances an expression refers to, for :mod:`~sovpolicy.sources.flows`.

    Follows a module variable to its call's argument, a local to its expression, a module
    output to its expression in the instance the key selects, and a resource reference to
    its instances; an attribute selected from an object constructor (``var.x.dest`` with
    ``x = {dest = aws_s3_bucket.b.arn}``) follows that item only, and a conditional whose
    condition is known from source follows its branch.
    """

    def __init__(self, insts: list[_Inst]) -> None:
        self.insts = insts
        self.by_target: dict[str, list[int]] = {}
        for i, inst in enumerate(insts):
            self.by_target.setdefault(inst.module.prefix(f"{inst.rtype}.{inst.name}"), []).append(i)

    def origins(self, module: _ModuleInstance, expr: Expr, bindings: dict[str, Any], select: tuple[str, ...] = (),
                trace: tuple[str, ...] = (), depth: int = 0, local: frozenset[str] = frozenset()) -> tuple[list[Target], list[str]]:
        """The resource instances ``expr`` (evaluated in ``module`` with its ``count``/``each``
        ``bindings``) refers to, then ``select`` (attribute names applied to its value); and
        what cannot be followed. ``local`` names (a dynamic block's iterator) lead nowhere."""
        if depth > 24:
            return [], [describe(expr)]
        if isinstance(expr, (Var, GetAttr, Index)):
            return self._traversal(module, expr, bindings, select, trace, depth, local)
        if isinstance(expr, Obj) and select:
            for k, v in zip(expr.keys, expr.values):
                key = k.name if isinstance(k, Var) else k.value if isinstance(k, Lit) else None
                if key == select[0]:
                    return self.origins(module, v, bindings, select[1:], trace, depth + 1, local)
            return [], []
        if isinstance(expr, Cond):
            cond, _ = plain(module.eval(expr.cond, [], bindings))
            if isinstance(cond, bool):
                return self.origins(module, expr.yes if cond else expr.no, bindings, select, trace, depth + 1, local)
        found: list[Target] = []
        lost: list[str] = []
        for name in getattr(expr, "__struct_fields__", ()):
            child = getattr(expr, name)
            for c in child if isinstance(child, list) else [child]:
                if c is not None and not isinstance(c, (str, int, float, bool)):
                    got, miss = self.origins(module, c, bindings, (), trace, depth + 1, local)
                    found += got
                    lost += miss
        return found, lost

    def _traversal(self, module: _ModuleInstance, expr: Expr, bindings: dict[str, Any], select: tuple[str, ...],
                   trace: tuple[str, ...], depth: int, local: frozenset[str]) -> tuple[list[Target], list[str]]:
        chain: list[tuple[str, Any]] = []
        node: Any = expr
        while isinstance(node, (GetAttr, Index)):
            chain.append(("attr", node.name) if isinstance(node, GetAttr) else ("index", node.key))
            node = node.base
        chain.reverse()
        text = describe(expr)
        if not isinstance(node, Var):
            return self.origins(module, node, bindings, (), trace, depth + 1, local)
        name, hop = node.name, trace + (text,)
        attrs = [k for kind, k in chain if kind == "attr"]

        def after(k: int) -> tuple[str, ...]:
            return tuple(v for kind, v in chain[k:] if kind == "attr") + select

        if name in _NO_RESOURCE or name in local or not chain or chain[0][0] != "attr":
            return [], [text]
        if name == "var":
            if module.parent is None or module.call is None:
                return [], [text]
            arg = module.call.block.body.attrs.get(attrs[0])
            if arg is None:
                return [], [text]
            return self.origins(module.parent, arg.expr, module.call_bindings, after(1), hop, depth + 1)
        if name == "local":
            found = module.defn.locals.get(attrs[0])
            return self.origins(module, found[0].expr, {}, after(1), hop, depth + 1) if found else ([], [text])
        if name == "module":
            kids = module.children(attrs[0])
            if isinstance(kids, Unknown):
                return [], [text]
            rest = 1
            chosen = list(kids.values())
            if len(chain) > 1 and chain[1][0] == "index":
                key, _ = plain(module.eval(chain[1][1], [], bindings))
                chosen = list(kids.values()) if isinstance(key, Unknown) else [kids[key]] if key in kids else []
                rest = 2
            if len(chain) <= rest or chain[rest][0] != "attr":
                return [], [text]
            found_all: list[Target] = []
            lost_all: list[str] = []
            for child in chosen:
                out = child.defn.outputs.get(chain[rest][1])
                if out is None or "value" not in out.block.body.attrs:
                    lost_all.append(text)
                    continue
                got, miss = self.origins(child, out.block.body.attrs["value"].expr, {}, after(rest + 1), hop, depth + 1)
                found_all += got
                lost_all += miss
            return found_all, lost_all
        hits = self.by_target.get(module.prefix(f"{name}.{attrs[0]}"), [])
        if len(chain) > 1 and chain[1][0] == "index":
            key, _ = plain(module.eval(chain[1][1], [], bindings))
            if not isinstance(key, Unknown):
                want = module.prefix(f"{name}.{attrs[0]}[{_key_text(key)}]")
                hits = [i for i in hits if self.insts[i].address == want]
        return [Target(i, hop) for i in hits], ([] if hits else [text])


@dataclass(frozen=True)
class _Blk:
    """A nested block as flows read it: its body, the local names its expressions see (a
    ``dynamic`` block's iterator: ``{"key", "value"}``), its line."""

    body: Body
    local: dict[str, Any]
    line: int


@dataclass(frozen=True)
class _Expanding:
    """The blocks of a ``dynamic`` block whose ``for_each`` the source does not tell."""

    line: int


class _HclSubject:
    """One source resource instance seen by :func:`~sovpolicy.sources.flows.follow`:
    attribute paths walk nested blocks, ``dynamic`` blocks expanded when their ``for_each``
    is known from source (else known only after apply)."""

    __slots__ = ("_inst", "_refs", "_values")

    def __init__(self, inst: _Inst, refs: _HclRefs) -> None:
        self._inst = inst
        self._refs = refs
        self._values: dict[tuple[int, int], tuple[Attr, dict[str, Any], Any]] = {}  # (attr, locals) -> value

    @property
    def address(self) -> str:
        return self._inst.address

    @property
    def type(self) -> str:
        return self._inst.rtype

    @property
    def placement(self) -> Placement:
        return self._inst.placement or UNPLACED

    def _root(self) -> _Blk:
        return _Blk(self._inst.at.block.body, {}, self._inst.at.block.line)

    def _children(self, blk: _Blk, name: str) -> Attr | list[Any] | None:
        """Attribute ``name`` of a block, or its nested blocks of that type (static, then
        each ``dynamic`` one's expansion), or None."""
        if name in blk.body.attrs:
            return blk.body.attrs[name]
        out: list[Any] = [_Blk(b.body, blk.local, b.line) for b in blk.body.blocks_of(name)]
        for dyn in blk.body.blocks_of("dynamic"):
            content = dyn.body.blocks_of("content")
            if dyn.labels != [name] or not content:
                continue
            each = dyn.body.attrs.get("for_each")
            coll = plain(self._evaluate(each.expr, blk.local))[0] if each is not None else None
            iterator = _literal(dyn.body.attrs.get("iterator")) or name
            if isinstance(coll, dict):
                items = list(coll.items())
            elif isinstance(coll, list):
                items = list(enumerate(coll))
            else:
                out.append(_Expanding(dyn.line))
                continue
            out += [_Blk(content[0].body, {**blk.local, iterator: {"key": k, "value": v}}, content[0].line)
                    for k, v in items]
        return out or None

    def _evaluate(self, expr: Expr, local: dict[str, Any]) -> Any:
        """``expr`` in the resource's module, with its ``count``/``each`` and ``local`` names."""
        return Evaluator(self._inst.module.scope(self._inst.bindings)).eval(expr, [], local)

    def _eval(self, attr: Attr, local: dict[str, Any]) -> Any:
        key = (id(attr), id(local))
        hit = self._values.get(key)
        if hit is None:
            hit = self._values[key] = (attr, local, self._evaluate(attr.expr, local))
        return hit[2]

    def value(self, path: Any) -> Any:
        node: Any = self._root()
        for step in path:
            if isinstance(node, _Blk):
                if isinstance(step, int):
                    node = node if step == 0 else None
                else:
                    child = self._children(node, step)
                    node = self._eval(child, node.local) if isinstance(child, Attr) else child
            elif isinstance(node, list):
                node = node[step] if isinstance(step, int) and step < len(node) else None
            elif isinstance(node, dict):
                node = node.get(step)
            else:
                node = None
            node, sensitive = plain(node)
            if isinstance(node, (Unknown, _Expanding)):
                return UNKNOWN
            if sensitive:
                return SENSITIVE
            if node is None:
                return None
        return node

    def _step(self, n: Any, step: str) -> list[Any]:
        if isinstance(n, tuple):
            return [n]  # inside an attribute's value: the attribute stands for it
        if not isinstance(n, _Blk):
            return []
        child = self._children(n, step)
        if isinstance(child, Attr):
            return [(child, n.local)]
        return [child] if child else []

    def _walk(self, path: Any) -> tuple[list[Any], int]:
        """The nodes at ``path``: blocks, lists of blocks, ``(attribute, bindings)`` (a path
        that goes on inside an attribute's value stops at that attribute), and the line of
        the first one; ``None`` in a path means every element."""
        nodes: list[Any] = [self._root()]
        line = self._inst.at.block.line
        for step in path:
            nxt: list[Any] = []
            for n in nodes:
                if isinstance(n, list):
                    elems = n if step is None or isinstance(step, str) else n[step:step + 1]
                    nxt += [x for m in elems for x in self._step(m, step)] if isinstance(step, str) else elems
                elif isinstance(step, str):
                    nxt += self._step(n, step)
                elif step in (0, None) or isinstance(n, tuple):
                    nxt.append(n)
            nodes = nxt
            first = nodes[0] if nodes else None
            if isinstance(first, list) and first:
                first = first[0]
            if isinstance(first, tuple):
                line = first[0].line
            elif isinstance(first, (_Blk, _Expanding)):
                line = first.line
        return nodes, line

    def refs(self, path: Any, deep: bool = False) -> Refs | None:
        nodes, _ = self._walk(path)
        exprs: list[tuple[Expr, dict[str, Any]]] = []
        set_somewhere = False
        pending = list(nodes)
        while pending:
            n = pending.pop(0)
            if isinstance(n, tuple):
                exprs.append((n[0].expr, n[1]))
            elif isinstance(n, list):
                set_somewhere = True
                pending += n if deep else []
            elif isinstance(n, (_Blk, _Expanding)):
                set_somewhere = True
                if deep and isinstance(n, _Blk):
                    exprs += [(a.expr, n.local) for a in n.body.attrs.values()]
                    for b in n.body.blocks:
                        inner = b.body.blocks_of("content") if b.type == "dynamic" else [b]
                        pending += [_Blk(c.body, n.local, c.line) for c in inner]
        if not exprs:
            return Refs() if set_somewhere else None
        found: list[Target] = []
        lost: list[str] = []
        for e, local in exprs:
            got, miss = self._refs.origins(self._inst.module, e, self._inst.bindings, local=frozenset(local))
            found += got
            lost += miss
        unique = list({t.index: t for t in reversed(found)}.values())[::-1]
        constant = not found and not lost and all(isinstance(e, (Lit, Tmpl)) for e, _ in exprs)
        return Refs(tuple(unique), constant, tuple(dict.fromkeys(lost)))

    def where(self, path: Any) -> str:
        _, line = self._walk(path)
        return f"{self._inst.at.where(line)} {self._inst.address} {path_text(path)}".rstrip()


def _var_files(directory: Path, extra: Sequence[Path]) -> list[tuple[Path, str]]:
    """Variable files in Terraform's order: terraform.tfvars(.json), *.auto.tfvars(.json), then ``extra``."""
    shown = _display(directory)

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
    out += [(p, _display(p)) for p in extra]
    return out


def read_module(directory: Path, catalog: Catalog, var_files: Sequence[Path] = (), cache: ParseCache | None = None) -> HclScan:
    """Read a root module directory into resources with their placements.

    Args:
        directory: the root module (the directory ``terraform plan`` would run in).
        catalog: the loaded catalog (providers, regions).
        var_files: extra ``-var-file`` files, applied last in the order given.
        cache: the parse cache (None: parse every file).

    Returns:
        An :class:`HclScan`: one resource per managed resource instance (plus one
        stand-in per instance of a module whose source is not read), the problems
        (unparsable files with line and column, remote or missing modules) and the
        comments of every file read.
    """
    loader = _Loader(cache or ParseCache(None))
    reader = _Reader(catalog, loader)
    problems: list[Problem] = []
    defn = loader.module(directory, _display(directory))
    values = loader.tfvars(_var_files(directory, var_files), problems)
    root = _ModuleInstance(reader, defn, "", None, None, {}, values)
    insts: list[_Inst] = []
    reader.walk(root, insts)
    by_target: dict[str, list[_Inst]] = {}
    for inst in insts:
        reader.resolve(inst)
        by_target.setdefault(inst.module.prefix(f"{inst.rtype}.{inst.name}"), []).append(inst)
    resolve_parents([i for i in insts if i.placement is None], lambda i: reader.resolve_parent(i, by_target))
    refs = _HclRefs(insts)
    followed = follow([_HclSubject(inst, refs) for inst in insts], catalog, [inst.rtype for inst in insts])
    scan = HclScan()
    for inst, data in zip(insts, followed):
        placement = inst.placement or UNPLACED
        tags = reader.tags(inst) if placement.origin is not Origin.NONE else {}
        scan.resources.append(Resource(
            address=inst.address, type=inst.rtype, source=SourceKind.HCL, placement=placement, tags=tags,
            attributes=redact(inst.attributes), location=inst.location, notes=tuple(dict.fromkeys(inst.notes)),
            flows=data.flows, data_from=data.data_from))
    scan.resources.extend(reader.placeholders)
    for d in loader.defs.values():
        problems.extend(d.problems)
        scan.comments.update(d.comments)
    scan.problems = problems + reader.problems
    scan.module_dirs = dict(reader.module_dirs)
    return scan


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
            if any(part in _SKIP_DIRS for part in path.parts):
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
        files = [p for p in directory.iterdir() if p.is_file() and _is_config(p.name)]
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
