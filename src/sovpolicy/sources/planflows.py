"""Data flows in a plan: which resource instances a configuration expression refers to.

:func:`~sovpolicy.sources.flows.follow` asks each plan resource instance (a
:class:`PlanSubject`) for attribute values (its ``after`` values, unknown and sensitive
marks applied) and for the references of the expressions that set them (the plan's
``configuration``), which :class:`PlanGraph` follows to resource instances: through a
module variable to the module call's argument, through a module output to its expression
in each instance of the module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import msgspec

from ..address import split_reference
from ..catalog.flowrules import CopyShapes
from ..model import Placement
from .flows import SENSITIVE, UNKNOWN, Refs, Step, Target, path_text
from .placement import NOT_RESOURCES, UNPLACED
from .planformat import ConfigModule, ConfigResource, ModuleCall, PlanInstance, may_hold, values_of


class PlanConfig(Protocol):
    """What the flows read from the plan's configuration (the plan reader)."""

    calls: dict[str, tuple[str, ModuleCall]]
    modules: dict[str, ConfigModule]

    def config_expressions(self, cfg: ConfigResource | None) -> dict[str, Any]: ...

    def provider_config(self, inst: PlanInstance) -> str | None: ...


def _child(node: Any, step: Step) -> Any:
    """One step down a decoded value or mask: a struct field, a map key, a list index."""
    if node is None or node is True or node is False:
        return None
    if isinstance(step, str):  # an attribute (a struct field) or a map key; a list has none
        if type(node) is list:
            return None
        value = node.get(step) if type(node) is dict else getattr(node, step, None)
        return None if value is msgspec.UNSET else value
    if isinstance(node, list):
        return node[step] if step < len(node) else None
    return node if step == 0 and isinstance(node, dict) else None  # a single nested block as an object


_KEYS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_NONE: list[str] = []  # shared: most configuration blocks set no copy-shaped name


def _keys(raw: bytes) -> list[str]:
    """The top-level keys of a configuration block's expressions (none when they are not an object)."""
    try:
        return list(_KEYS.decode(raw))
    except (msgspec.ValidationError, msgspec.DecodeError):
        return []


def _collect(node: Any, out: list[str], deep: bool) -> bool:
    """Add the references of an expression (``deep``: of every expression below) to ``out``;
    True when a literal was met."""
    constant = False
    if isinstance(node, dict):
        if "references" in node or "constant_value" in node:
            out.extend(r for r in node.get("references") or () if isinstance(r, str))
            constant = "constant_value" in node
            if not deep:
                return constant
        if deep:
            for key, value in node.items():
                if key not in ("references", "constant_value"):
                    constant = _collect(value, out, True) or constant
    elif isinstance(node, list):
        for item in node:
            constant = _collect(item, out, deep) or constant
    return constant


class PlanGraph:
    """Follows references through a plan's configuration for :mod:`~sovpolicy.sources.flows`:
    a resource, a module variable (to the module call's argument), a module output (to the
    output's expression in each instance of the module)."""

    def __init__(self, reader: PlanConfig, insts: list[PlanInstance], shapes: CopyShapes | None = None,
                 decoded: Sequence[str] = ()) -> None:
        self.reader = reader
        self.insts = insts
        self.shapes = shapes or CopyShapes()
        self.decoded = frozenset(decoded)  # the attribute names the plan decoder keeps
        self.exact = sorted(self.decoded & self.shapes.exact())
        self._exact_at: dict[type, Callable[[tuple[Any, ...]], tuple[Any, ...]]] = {}  # struct type -> its copy-shaped values
        self._literals = self.shapes.literals()
        self._shaped: dict[int, list[str]] = {}
        self._by_target: dict[str, list[int]] | None = None
        self.module_instances: dict[str, list[tuple[str, str]]] = {}  # module path -> [(instance, parent instance)]

    @property
    def by_target(self) -> dict[str, list[int]]:
        """``module instance + type.name`` -> indexes of its instances; built on first use,
        with the module instances, since most plans never follow a reference."""
        if self._by_target is None:
            self._by_target = {}
            seen: set[str] = set()
            for i, inst in enumerate(self.insts):
                base = inst.addr.module_instance
                self._by_target.setdefault(f"{base}.{inst.addr.type}.{inst.addr.name}" if base else
                                           f"{inst.addr.type}.{inst.addr.name}", []).append(i)
                parent = ""
                for k, (name, key) in enumerate(inst.addr.modules):
                    instance = (f"{parent}." if parent else "") + f"module.{name}" + (f"[{key}]" if key is not None else "")
                    if instance not in seen:
                        seen.add(instance)
                        path = ".".join(f"module.{m}" for m, _ in inst.addr.modules[: k + 1])
                        self.module_instances.setdefault(path, []).append((instance, parent))
                    parent = instance
        return self._by_target

    def set_here(self, fields: Any) -> list[str]:
        """The copy-shaped names among the decoded attributes that the instance sets."""
        if fields is None or not self.exact:
            return []
        get = self._exact_at.get(type(fields))
        if get is None:
            get = self._exact_at[type(fields)] = values_of(type(fields), self.exact)
        values = get(msgspec.structs.astuple(fields))  # mostly all unset
        if values.count(msgspec.UNSET) == len(values):
            return []
        return [n for n, v in zip(self.exact, values) if v is not msgspec.UNSET]

    def shaped_names(self, cfg: ConfigResource | None) -> list[str]:
        """The copy-shaped top-level names a configuration block sets (its expressions are
        decoded only when their bytes hold a pattern's literal)."""
        if cfg is None:
            return []
        hit = self._shaped.get(id(cfg))
        if hit is None:
            raw = bytes(cfg.expressions)
            hit = self._shaped[id(cfg)] = (  # the top-level keys only: the expressions are not decoded
                [k for k in _keys(raw) if self.shapes.matches(k)] if may_hold(raw, self._literals) else _NONE)
        return hit

    def targets(self, instance: str, path: str, refs: list[str], trace: tuple[str, ...] = (),
                depth: int = 0) -> tuple[list[Target], list[str]]:
        """Resource instances that ``refs`` (written in module ``instance``, whose path
        without keys is ``path``) lead to, and the references that lead to none."""
        found: list[Target] = []
        unfollowed: list[str] = []
        by_target = self.by_target
        if depth > 16:
            return found, list(refs)
        specific = [r for r in refs if not any(o != r and o.startswith((r + ".", r + "[")) for o in refs)]
        for ref in specific:
            steps = split_reference(ref)
            head = steps[0][0] if steps else ""
            hop = trace + (ref,)
            if head == "var" and len(steps) >= 2 and path:
                parent_path, call = self.reader.calls.get(path, ("", None))
                arg = (call.expressions or {}).get(steps[1][0]) if call is not None else None
                sub: list[str] = []
                if arg is not None:
                    _collect(arg, sub, True)
                parent = next((p for inst, p in self.module_instances.get(path, []) if inst == instance), "")
                got, lost = self.targets(parent, parent_path, sub, hop, depth + 1) if sub else ([], [ref])
                found += got
                unfollowed += lost
            elif head == "module" and len(steps) >= 2:
                name, key = steps[1]
                child = f"{path}.module.{name}" if path else f"module.{name}"
                module = self.reader.modules.get(child)
                outputs = ([steps[2][0]] if len(steps) >= 3 else sorted(module.outputs)) if module is not None else []
                sub = []
                for out in outputs:
                    o = module.outputs.get(out) if module is not None else None
                    if o is not None:
                        _collect(o.expression, sub, True)
                want = f"module.{name}" + (f"[{key}]" if key is not None else "")
                kids = [inst for inst, parent in self.module_instances.get(child, []) if parent == instance
                        and (key is None or inst.endswith(want))]
                if not sub or not kids:
                    unfollowed.append(ref)
                for kid in kids if sub else ():
                    got, lost = self.targets(kid, child, sub, hop, depth + 1)
                    found += got
                    unfollowed += lost
            elif head in NOT_RESOURCES or len(steps) < 2:
                unfollowed.append(ref)
            else:
                key = f"{head}.{steps[1][0]}"
                hits = by_target.get(f"{instance}.{key}" if instance else key, [])
                if not hits:
                    unfollowed.append(ref)
                found += [Target(i, hop) for i in hits]
        unique: dict[int, Target] = {}
        for t in found:
            unique.setdefault(t.index, t)
        return list(unique.values()), list(dict.fromkeys(unfollowed))


class PlanSubjects(Sequence["PlanSubject"]):
    """The plan's instances as flow subjects, each built when first asked for."""

    def __init__(self, made: list[tuple[PlanInstance, Any]], graph: PlanGraph) -> None:
        self._made = made
        self._graph = graph
        self._built: dict[int, PlanSubject] = {}

    def __len__(self) -> int:
        return len(self._made)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        hit = self._built.get(i)
        if hit is None:
            inst, sens = self._made[i]
            hit = self._built[i] = PlanSubject(inst, sens, self._graph)
        return hit


class PlanSubject:
    """One plan resource instance seen by :func:`~sovpolicy.sources.flows.follow`."""

    __slots__ = ("_inst", "_sens", "_flows")

    def __init__(self, inst: PlanInstance, sens: Any, flows: PlanGraph) -> None:
        self._inst = inst
        self._sens = sens
        self._flows = flows

    @property
    def address(self) -> str:
        return self._inst.rc_address

    @property
    def type(self) -> str:
        return self._inst.type

    @property
    def placement(self) -> Placement:
        return self._inst.placement or UNPLACED

    @property
    def provider_config(self) -> str | None:
        return self._flows.reader.provider_config(self._inst)

    def names(self) -> Sequence[str]:
        shaped = self._flows.shaped_names(self._inst.config)
        set_here = self._flows.set_here(self._inst.fields)
        return list(dict.fromkeys(set_here + shaped)) if set_here or shaped else shaped

    def value(self, path: Any) -> Any:
        if path and isinstance(path[0], str) and path[0] not in self._flows.decoded:
            return self._configured(path[0]) if len(path) == 1 else None
        node, unknown, sensitive = self._inst.fields, self._inst.unknown, self._sens
        if len(path) == 1 and type(path[0]) is str:  # one attribute of the resource: most questions
            if unknown is True:
                return UNKNOWN
            if sensitive is True:
                return SENSITIVE
            if unknown is not None and _child(unknown, path[0]) is True:
                return UNKNOWN
            if sensitive is not None and _child(sensitive, path[0]) is True:
                return SENSITIVE
            return _child(node, path[0])
        if unknown is None and sensitive is None:  # nothing marked: the value alone
            for step in path:
                node = _child(node, step)
            return node
        for step in path:
            if unknown is True:
                return UNKNOWN
            if sensitive is True:
                return SENSITIVE
            node, unknown, sensitive = _child(node, step), _child(unknown, step), _child(sensitive, step)
        if unknown is True:
            return UNKNOWN
        if sensitive is True:
            return SENSITIVE
        return node

    def _configured(self, name: str) -> Any:
        """An attribute the decoder did not keep, as the configuration sets it: its literal,
        a block's list, or :data:`UNKNOWN` (an expression with references); None when unset."""
        node = self._flows.reader.config_expressions(self._inst.config).get(name)
        if isinstance(node, dict) and "constant_value" in node and not node.get("references"):
            return node["constant_value"]
        if isinstance(node, list) or node is None:
            return node
        return UNKNOWN

    def refs(self, path: Any, deep: bool = False) -> Refs | None:
        cfg = self._inst.config
        if cfg is None or (path and isinstance(path[0], str) and not may_hold(bytes(cfg.expressions), (f'"{path[0]}"'.encode(),))):
            return None  # not set by the configuration: no need to decode it
        nodes = [self._flows.reader.config_expressions(cfg)]
        for step in path:
            nxt: list[Any] = []
            for n in nodes:
                if isinstance(step, int):
                    child = _child(n, step)
                    if child is not None:
                        nxt.append(child)
                    continue
                for elem in (n if isinstance(n, list) else [n]):  # None, or a name: every block of a list
                    if step is None:
                        nxt.append(elem)
                    elif isinstance(elem, dict) and step in elem:
                        nxt.append(elem[step])
            nodes = nxt
        if not nodes:
            return None
        raw: list[str] = []
        constant = False
        for n in nodes:
            constant = _collect(n, raw, deep) or constant
        addr = self._inst.addr
        targets, unfollowed = self._flows.targets(addr.module_instance, addr.module_path, list(dict.fromkeys(raw)))
        return Refs(tuple(targets), constant and not raw, tuple(unfollowed))

    def where(self, path: Any) -> str:
        return f"{self._inst.evidence_root}.after.{path_text(path)}"
