"""Data flows in Terraform source: which resource instances an expression refers to.

:func:`~sovpolicy.sources.flows.follow` asks each source resource instance (an
:class:`HclSubject`) for attribute values, walking nested blocks and expanding ``dynamic``
blocks whose ``for_each`` the source tells, and for the references of the expressions that
set them, which :class:`HclRefs` follows to resource instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Placement
from .flows import SENSITIVE, UNKNOWN, Refs, Target, path_text
from .hcleval import Evaluator, Unknown, describe, plain
from .hclinstance import ModuleInstance, ResourceInstance
from .hclmodule import key_text, literal
from .hcltree import Attr, Body, Cond, Expr, GetAttr, Index, Lit, Obj, Tmpl, Var
from .placement import UNPLACED

_NO_RESOURCE = frozenset({"each", "count", "path", "terraform", "data", "self"})
_META = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"})


class HclRefs:
    """Which resource instances an expression refers to, for :mod:`~sovpolicy.sources.flows`.

    Follows a module variable to its call's argument, a local to its expression, a module
    output to its expression in the instance the key selects, and a resource reference to
    its instances; an attribute selected from an object constructor (``var.x.dest`` with
    ``x = {dest = aws_s3_bucket.b.arn}``) follows that item only, and a conditional whose
    condition is known from source follows its branch.
    """

    def __init__(self, insts: list[ResourceInstance]) -> None:
        self.insts = insts
        self.by_target: dict[str, list[int]] = {}
        for i, inst in enumerate(insts):
            self.by_target.setdefault(inst.module.prefix(f"{inst.rtype}.{inst.name}"), []).append(i)

    def origins(self, module: ModuleInstance, expr: Expr, bindings: dict[str, Any], select: tuple[str, ...] = (),
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

    def _traversal(self, module: ModuleInstance, expr: Expr, bindings: dict[str, Any], select: tuple[str, ...],
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
                want = module.prefix(f"{name}.{attrs[0]}[{key_text(key)}]")
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


class HclSubject:
    """One source resource instance seen by :func:`~sovpolicy.sources.flows.follow`:
    attribute paths walk nested blocks, ``dynamic`` blocks expanded when their ``for_each``
    is known from source (else known only after apply)."""

    __slots__ = ("_inst", "_refs", "_values")

    def __init__(self, inst: ResourceInstance, refs: HclRefs) -> None:
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

    @property
    def provider_config(self) -> str | None:
        p = self._inst.provider
        if p is None:
            return None
        return f"{p.module.address}:{p.label}" if p.module.address else p.label

    def names(self) -> Sequence[str]:
        body = self._inst.at.block.body
        out = list(body.attrs)
        out += [b.type if b.type != "dynamic" else b.labels[0] if b.labels else "" for b in body.blocks]
        return [n for n in dict.fromkeys(out) if n and n not in _META]

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
            iterator = literal(dyn.body.attrs.get("iterator")) or name
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
