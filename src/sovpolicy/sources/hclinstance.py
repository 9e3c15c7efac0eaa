"""Module instances and resource instances of Terraform source, and the values they see.

A :class:`ModuleInstance` is one instance of a module (the root, ``module.a``,
``module.a["k"].module.b``): it evaluates its variables (from tfvars or defaults at the
root, from the module call's arguments below), its locals, references to its resources'
attributes and to its child modules' outputs (local sources only), expands ``count`` and
``for_each``, and knows which provider configuration serves each ``(name, alias)`` (its
own provider blocks, inherited defaults, a call's ``providers`` map). A
:class:`ResourceInstance` is one instance of a resource block in it, under resolution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import ProviderInfo
from ..model import Location, Placement, Problem
from .hcleval import Evaluator, Sensitive, Step, Unknown, apply_type, constant, plain
from .hclmodule import EVERY, At, Loader, ModuleDef, display, key_text, literal, provider_ref
from .hcltree import Attr, Expr, Obj


def local_source(module: ModuleInstance, source: Any) -> Path | None:
    """The directory of a local module source (``./``, ``../``), None for any other."""
    if not isinstance(source, str) or not source.startswith(("./", "../")):
        return None
    directory = module.defn.dir / source.rstrip("/")
    return directory if directory.is_dir() else None


@dataclass(frozen=True)
class ProviderBlock:
    """A provider configuration as seen from a module instance: its block and its module."""

    at: At
    module: ModuleInstance
    name: str
    alias: str | None

    @property
    def label(self) -> str:
        return f"{self.name}.{self.alias}" if self.alias else self.name


class _BlockScope:
    """The scope of one block instance: its module instance plus ``each``/``count``."""

    def __init__(self, module: ModuleInstance, bindings: dict[str, Any] | None = None) -> None:
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


#: most instances a count/for_each expands to from source; above it, one entry stands for all
#: of them and the scan is incomplete (exit 3 at least), naming the block
MAX_INSTANCES = 10_000


@dataclass
class _Expansion:
    """The instances of a block with count/for_each: ``[(key or None, bindings)]`` and a note."""

    instances: list[tuple[Any, dict[str, Any]]]
    note: str | None = None


@dataclass(eq=False)
class ModuleInstance:
    """One instance of a module (root, ``module.a``, ``module.a["k"].module.b``).

    Attributes:
        address: its module address (``""`` for the root).
        call, call_bindings: the module block that calls it and its ``each``/``count``.
        root_values: variable values from tfvars and var files (root module only).
        providers: which provider configuration serves ``(name, alias)`` here.
    """

    loader: Loader
    defn: ModuleDef
    address: str
    parent: ModuleInstance | None
    call: At | None
    call_bindings: dict[str, Any]
    root_values: dict[str, tuple[Attr, str]]
    _vars: dict[str, tuple[Any, list[Step]]] = field(default_factory=dict, init=False)
    _locals: dict[str, tuple[Any, list[Step]]] = field(default_factory=dict, init=False)
    _busy: set[str] = field(default_factory=set, init=False)
    _children: dict[str, dict[Any, ModuleInstance] | Unknown] = field(default_factory=dict, init=False)
    providers: dict[tuple[str, str | None], ProviderBlock] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.providers = self._provider_env()

    def root(self) -> ModuleInstance:
        return self if self.parent is None else self.parent.root()

    def scope(self, bindings: dict[str, Any] | None = None) -> _BlockScope:
        return _BlockScope(self, bindings)

    def eval(self, expr: Expr, trace: list[Step], bindings: dict[str, Any] | None = None) -> Any:
        return Evaluator(self.scope(bindings)).eval(expr, trace)

    def prefix(self, text: str) -> str:
        return f"{self.address}.{text}" if self.address else text

    @property
    def path(self) -> str:
        """Its module path without instance keys (``module.a.module.b``, ``""`` for the root)."""
        if self.parent is None or self.call is None:
            return ""
        own = f"module.{self.call.block.labels[0]}"
        return f"{self.parent.path}.{own}" if self.parent.path else own

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
        sensitive = literal(decl.block.body.attrs.get("sensitive")) is True
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

    def expansion(self, at: At, what: str) -> _Expansion:
        """The instances of a resource or module block (count / for_each)."""
        attrs = at.block.body.attrs
        if "count" in attrs:
            n, _ = plain(self.eval(attrs["count"].expr, []))
            if isinstance(n, Unknown):
                return _Expansion([(EVERY, {"count": {"index": Unknown("count.index of an unknown count")}})],
                                  f"count is not known from source ({n.reason}): one entry stands for every instance")
            if isinstance(n, bool) or not isinstance(n, (int, float)) or not n >= 0:
                return _Expansion([(EVERY, {"count": {"index": Unknown("count.index of an invalid count")}})],
                                  f"count is not a whole number ({n!r})")
            if n > MAX_INSTANCES:
                return self._over_limit(at, what, f"count = {n:g}", {"count": {"index": Unknown("count.index over the limit")}})
            return _Expansion([(i, {"count": {"index": i}}) for i in range(int(n))])
        if "for_each" in attrs:
            coll, _ = plain(self.eval(attrs["for_each"].expr, []))
            unknown_each = {"each": {"key": Unknown("each.key of an unknown for_each"),
                                     "value": Unknown("each.value of an unknown for_each")}}
            if isinstance(coll, (dict, list)) and len(coll) > MAX_INSTANCES:
                return self._over_limit(at, what, f"for_each of {len(coll):,} keys", unknown_each)
            if isinstance(coll, dict):
                return _Expansion([(k, {"each": {"key": k, "value": coll[k]}}) for k in sorted(coll)])
            if isinstance(coll, list) and all(isinstance(x, str) for x in coll):
                return _Expansion([(k, {"each": {"key": k, "value": k}}) for k in sorted(set(coll))])
            reason = coll.reason if isinstance(coll, Unknown) else f"it is not a map or a set of strings ({type(coll).__name__})"
            return _Expansion([(EVERY, unknown_each)], f"for_each is not known from source ({reason}): one entry stands for every instance")
        return _Expansion([(None, {})])

    def _over_limit(self, at: At, what: str, how: str, bindings: dict[str, Any]) -> _Expansion:
        """One entry standing for every instance of a block over :data:`MAX_INSTANCES`, and a
        problem naming the block (once): the scan is incomplete, never silently cut."""
        message = (f"{what}: {how} is over the limit of {MAX_INSTANCES:,} instances per block: "
                   "one entry stands for every instance")
        problem = Problem("instance-limit", message, at.where())
        if problem not in self.defn.problems:
            self.defn.problems.append(problem)
        return _Expansion([(EVERY, bindings)], message)

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
                return Unknown(f"{what}[{key_text(key)}] is not known from source"), 1
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

    def children(self, name: str) -> dict[Any, ModuleInstance] | Unknown:
        """The instances of module call ``name`` (local sources only), by key (None when single)."""
        if name in self._children:
            return self._children[name]
        at = self.defn.calls.get(name)
        result: dict[Any, ModuleInstance] | Unknown
        if at is None:
            result = Unknown(f"module {name!r} is not declared", error=True)
        else:
            source = literal(at.block.body.attrs.get("source"))
            directory = local_source(self, source)
            if directory is None:
                result = Unknown(f"module {self.prefix('module.' + name)} comes from {source!r}, which sovpolicy does not read")
            else:
                self._children[name] = {}
                defn = self.loader.module(directory, display(directory))
                result = {}
                for key, bindings in self.expansion(at, name).instances:
                    addr = self.prefix(f"module.{name}" + ("" if key is None else f"[{key_text(key)}]"))
                    result[key] = ModuleInstance(self.loader, defn, addr, self, at, bindings, {})
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
                return Unknown(f"module.{name}[{key_text(steps[0][1])}] is not known from source"), 1
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
    def _provider_env(self) -> dict[tuple[str, str | None], ProviderBlock]:
        env: dict[tuple[str, str | None], ProviderBlock] = {}
        if self.parent is not None and self.call is not None:
            mapping = self.call.block.body.attrs.get("providers")
            if mapping is None:
                env.update({k: v for k, v in self.parent.providers.items() if k[1] is None})
            else:
                if isinstance(mapping.expr, Obj):
                    for key, value in zip(mapping.expr.keys, mapping.expr.values):
                        inner, outer = provider_ref(key), provider_ref(value)
                        if inner and outer and outer in self.parent.providers:
                            env[inner] = self.parent.providers[outer]
        for (pname, alias), at in self.defn.providers.items():
            env[(pname, alias)] = ProviderBlock(at, self, pname, alias)
        return env


@dataclass
class ResourceInstance:
    """One resource instance under resolution."""

    module: ModuleInstance
    at: At
    rtype: str
    name: str
    address: str
    bindings: dict[str, Any]
    info: ProviderInfo | None = None
    provider: ProviderBlock | None = None
    provider_key: tuple[str, str | None] = ("", None)
    placement: Placement | None = None
    notes: list[str] = field(default_factory=list)
    attributes: dict[str, object] = field(default_factory=dict)

    @property
    def location(self) -> Location:
        return Location(self.at.path, self.at.block.line)
