"""A small evaluator for the subset of Terraform expressions a placement needs.

Values are plain Python plus two markers (:mod:`.hclvalues`):

* :class:`Unknown` — the value cannot be known from source (a computed attribute, a data
  source, an unsupported function, a variable without value), with the reason; an
  ``error`` Unknown is an expression Terraform itself would reject (missing attribute);
* :class:`Sensitive` — a value derived from a ``sensitive`` variable, printed as
  ``(sensitive)``.

Supported: literals, templates, references (through a :class:`Scope`), ``[...]``,
``{...}``, indexes and attributes, conditionals, operators, ``for`` expressions and the
functions in :data:`~.hclfuncs.FUNCTIONS` (``merge``, ``lookup``, ``coalesce``, ``concat``,
``lower``, ``upper``, ``try``, ``can``, ...). Anything else evaluates to an Unknown that
says why. Every variable, local or module argument a value went through is appended to
the caller's ``trace`` as a :class:`Step`, so a placement can name where its region was
set.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from .hclfuncs import BINOPS, FUNCTIONS, UNKNOWN_AWARE
from .hcltree import BinOp, Call, Cond, Expr, For, GetAttr, Index, Lit, Obj, Raw, Splat, Tmpl, Tuple, UnOp, Var
from .hclvalues import REDACTED, Sensitive, Step, Unknown, plain, redact, to_string, unknown_in

__all__ = ["REDACTED", "Evaluator", "Scope", "Sensitive", "Step", "Unknown", "apply_type", "constant", "describe",
           "plain", "redact", "references", "to_string", "unknown_in"]


class Scope(Protocol):
    """What an expression can refer to, in one module instance."""

    def variable(self, name: str, trace: list[Step]) -> Any:
        """``var.NAME``."""

    def local(self, name: str, trace: list[Step]) -> Any:
        """``local.NAME``."""

    def resource(self, rtype: str, name: str, steps: list[tuple[str, Any]], trace: list[Step]) -> tuple[Any, int]:
        """A managed resource reference; returns the value and how many steps it consumed."""

    def module_output(self, name: str, steps: list[tuple[str, Any]], trace: list[Step]) -> tuple[Any, int]:
        """``module.NAME[...].OUTPUT``; returns the value and how many steps it consumed."""

    def instance(self) -> dict[str, Any]:
        """``each`` / ``count`` bindings of the block being evaluated (``{"each": {...}}``)."""

    def path(self, which: str) -> Any:
        """``path.module``, ``path.root``, ``path.cwd``."""


def describe(expr: Expr) -> str:
    """Short source-like text of an expression (``var.region``, ``merge(...)``), for reasons."""
    if isinstance(expr, Var):
        return expr.name
    if isinstance(expr, GetAttr):
        return f"{describe(expr.base)}.{expr.name}"
    if isinstance(expr, Index):
        key = expr.key.value if isinstance(expr.key, Lit) else "..."
        return f"{describe(expr.base)}[{json.dumps(key)}]"
    if isinstance(expr, Call):
        return f"{expr.name}(...)"
    if isinstance(expr, Lit):
        return json.dumps(expr.value)
    if isinstance(expr, Raw):
        return expr.text.split("\n")[0][:40]
    return type(expr).__name__.lower()


def references(expr: Expr) -> list[list[str]]:
    """Every traversal in ``expr`` as its leading names (``[["aws_s3_bucket", "x", "arn"]]``)."""
    out: list[list[str]] = []

    def walk(e: Any) -> None:
        if isinstance(e, (Var, GetAttr, Index)):
            chain: list[str] = []
            node: Any = e
            while isinstance(node, (GetAttr, Index)):
                if isinstance(node, GetAttr):
                    chain.append(node.name)
                else:
                    walk(node.key)
                node = node.base
            if isinstance(node, Var):
                out.append([node.name] + chain[::-1])
            else:
                walk(node)
            return
        for name in getattr(e, "__struct_fields__", ()):
            child = getattr(e, name)
            if isinstance(child, list):
                for c in child:
                    walk(c)
            elif not isinstance(child, (str, int, float, bool)) and child is not None:
                walk(child)

    walk(expr)
    return out


class Evaluator:
    """Evaluates expressions in one :class:`Scope`; ``bindings`` hold ``for`` variables."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def eval(self, expr: Expr, trace: list[Step], bindings: dict[str, Any] | None = None) -> Any:
        """The value of ``expr`` (possibly :class:`Unknown`); never raises on bad input."""
        try:
            return self._eval(expr, trace, bindings or {})
        except RecursionError:
            return Unknown("the expression nests too deeply to evaluate")

    # ------------------------------------------------------------------ dispatch
    def _eval(self, e: Expr, trace: list[Step], b: dict[str, Any]) -> Any:
        if isinstance(e, Lit):
            return e.value
        if isinstance(e, Tmpl):
            return self._template(e, trace, b)
        if isinstance(e, (Var, GetAttr, Index)):
            return self._traversal(e, trace, b)
        if isinstance(e, Call):
            return self._call(e, trace, b)
        if isinstance(e, Tuple):
            return self._items([self._eval(x, trace, b) for x in e.items])
        if isinstance(e, Obj):
            return self._object(e, trace, b)
        if isinstance(e, Cond):
            return self._cond(e, trace, b)
        if isinstance(e, BinOp):
            return self._binop(e, trace, b)
        if isinstance(e, UnOp):
            return self._unop(e, trace, b)
        if isinstance(e, For):
            return self._for(e, trace, b)
        if isinstance(e, Splat):
            return Unknown(f"splat expression {e.text.strip()[:60]} is not evaluated")
        if isinstance(e, Raw):
            return Unknown(e.why)
        return Unknown(f"{type(e).__name__} is not evaluated")

    @staticmethod
    def _items(values: list[Any]) -> Any:
        return values

    def _template(self, e: Tmpl, trace: list[Step], b: dict[str, Any]) -> Any:
        out: list[str] = []
        sensitive = False
        for part in e.parts:
            v, s = plain(self._eval(part, trace, b))
            sensitive |= s
            text = v if isinstance(v, (str, Unknown)) else to_string(v)
            if isinstance(text, Unknown):
                return text
            out.append(text)
        joined = "".join(out)
        return Sensitive(joined) if sensitive else joined

    def _object(self, e: Obj, trace: list[Step], b: dict[str, Any]) -> Any:
        result: dict[str, Any] = {}
        for k, v in zip(e.keys, e.values):
            key, _ = plain(self._eval(k, trace, b))
            if isinstance(key, Unknown):
                return Unknown(f"an object key is not known: {key.reason}", key.error)
            skey = to_string(key)
            if isinstance(skey, Unknown):
                return skey
            result[skey] = self._eval(v, trace, b)
        return result

    def _cond(self, e: Cond, trace: list[Step], b: dict[str, Any]) -> Any:
        c, s = plain(self._eval(e.cond, trace, b))
        if isinstance(c, Unknown):
            yes, no = self._eval(e.yes, trace, b), self._eval(e.no, trace, b)
            if not isinstance(yes, Unknown) and yes == no:
                return yes
            return Unknown(f"the condition {describe(e.cond)} is not known: {c.reason}", c.error)
        if not isinstance(c, bool):
            return Unknown(f"a condition must be true or false, not {c!r}", error=True)
        return self._eval(e.yes if c else e.no, trace, b)

    def _binop(self, e: BinOp, trace: list[Step], b: dict[str, Any]) -> Any:
        left, s1 = plain(self._eval(e.left, trace, b))
        if e.op in ("&&", "||") and isinstance(left, bool) and left is (e.op == "||"):
            return left
        right, s2 = plain(self._eval(e.right, trace, b))
        u = unknown_in(left, right)
        if u is not None:
            return u
        try:
            result = BINOPS[e.op](left, right)
        except (KeyError, TypeError, ZeroDivisionError):
            return Unknown(f"cannot compute {left!r} {e.op} {right!r}", error=True)
        return Sensitive(result) if (s1 or s2) else result

    def _unop(self, e: UnOp, trace: list[Step], b: dict[str, Any]) -> Any:
        v, s = plain(self._eval(e.operand, trace, b))
        if isinstance(v, Unknown):
            return v
        if e.op == "!" and isinstance(v, bool):
            r: Any = not v
        elif e.op == "-" and isinstance(v, (int, float)) and not isinstance(v, bool):
            r = -v
        else:
            return Unknown(f"cannot apply {e.op} to {v!r}", error=True)
        return Sensitive(r) if s else r

    def _for(self, e: For, trace: list[Step], b: dict[str, Any]) -> Any:
        coll, s = plain(self._eval(e.coll, trace, b))
        if isinstance(coll, Unknown):
            return Unknown(f"the collection of a for expression is not known: {coll.reason}", coll.error)
        if isinstance(coll, dict):
            pairs = list(coll.items())
        elif isinstance(coll, list):
            pairs = list(enumerate(coll))
        else:
            return Unknown(f"cannot iterate over {coll!r}", error=True)
        out_list: list[Any] = []
        out_map: dict[str, Any] = {}
        for k, v in pairs:
            inner = dict(b)
            inner[e.value_var] = v
            if e.key_var:
                inner[e.key_var] = k
            if e.cond is not None:
                keep, _ = plain(self._eval(e.cond, trace, inner))
                if isinstance(keep, Unknown):
                    return Unknown(f"a for expression's condition is not known: {keep.reason}", keep.error)
                if keep is not True:
                    continue
            value = self._eval(e.value, trace, inner)
            if e.key is None:
                out_list.append(value)
                continue
            key, _ = plain(self._eval(e.key, trace, inner))
            skey = key if isinstance(key, Unknown) else to_string(key)
            if isinstance(skey, Unknown):
                return Unknown(f"a for expression's key is not known: {skey.reason}", skey.error)
            if e.grouping:
                out_map.setdefault(skey, []).append(value)
            elif skey in out_map:
                return Unknown(f"duplicate key {skey!r} in a for expression", error=True)
            else:
                out_map[skey] = value
        result: Any = out_list if e.key is None else out_map
        return Sensitive(result) if s else result

    # ------------------------------------------------------------------ references
    def _traversal(self, e: Expr, trace: list[Step], b: dict[str, Any]) -> Any:
        steps: list[tuple[str, Any]] = []
        node: Any = e
        while isinstance(node, (GetAttr, Index)):
            if isinstance(node, GetAttr):
                steps.append(("attr", node.name))
            else:
                key, _ = plain(self._eval(node.key, trace, b))
                steps.append(("index", key))
            node = node.base
        steps.reverse()
        if not isinstance(node, Var):
            value = self._eval(node, trace, b)
            return self._apply(value, steps, describe(e))
        name = node.name
        if name in b:
            return self._apply(b[name], steps, describe(e))
        if name in ("var", "local"):
            if not steps or steps[0][0] != "attr":
                return Unknown(f"{name} must be followed by a name", error=True)
            fetch = self.scope.variable if name == "var" else self.scope.local
            return self._apply(fetch(steps[0][1], trace), steps[1:], describe(e))
        if name in ("each", "count"):
            inst = self.scope.instance()
            if name not in inst:
                return Unknown(f"{name} is used outside a block with {'for_each' if name == 'each' else 'count'}", error=True)
            return self._apply(inst[name], steps, describe(e))
        if name == "path":
            if not steps or steps[0][0] != "attr":
                return Unknown("path must be followed by module, root or cwd", error=True)
            return self._apply(self.scope.path(steps[0][1]), steps[1:], describe(e))
        if name == "terraform":
            return Unknown("terraform.workspace is chosen when Terraform runs")
        if name == "data":
            return Unknown(f"{describe(e)} is a data source, read by Terraform at plan time")
        if name == "module":
            if not steps or steps[0][0] != "attr":
                return Unknown("module must be followed by a name", error=True)
            value, used = self.scope.module_output(steps[0][1], steps[1:], trace)
            return self._apply(value, steps[1 + used:], describe(e))
        if name == "self":
            return Unknown("self is only known inside provisioners")
        if steps and steps[0][0] == "attr" and "_" in name:
            value, used = self.scope.resource(name, steps[0][1], steps[1:], trace)
            return self._apply(value, steps[1 + used:], describe(e))
        return Unknown(f"unknown name {name!r}", error=True)

    @staticmethod
    def _apply(value: Any, steps: Sequence[tuple[str, Any]], what: str) -> Any:
        for kind, key in steps:
            value, s = plain(value)
            if isinstance(value, Unknown):
                return value
            if isinstance(key, Unknown):
                return key
            if isinstance(value, dict):
                skey = to_string(key)
                if isinstance(skey, Unknown) or skey not in value:
                    return Unknown(f"{what}: no {'attribute' if kind == 'attr' else 'key'} {key!r}", error=True)
                value = value[skey]
            elif isinstance(value, list) and kind == "index" and isinstance(key, int) and not isinstance(key, bool):
                if not -len(value) <= key < len(value) or key < 0:
                    return Unknown(f"{what}: index {key} out of range", error=True)
                value = value[key]
            else:
                return Unknown(f"{what}: cannot read {key!r} from {type(value).__name__}", error=True)
            if s:
                value = Sensitive(value)
        return value

    # ------------------------------------------------------------------ functions
    def _call(self, e: Call, trace: list[Step], b: dict[str, Any]) -> Any:
        if e.name.startswith("provider::"):
            return Unknown(f"provider-defined function {e.name} is not evaluated")
        if e.name in ("try", "can"):
            return self._try(e, trace, b)
        fn = FUNCTIONS.get(e.name)
        if fn is None:
            return Unknown(f"function {e.name}() is not evaluated by sovpolicy")
        args = [self._eval(a, trace, b) for a in e.args]
        sensitive = False
        plain_args = []
        for a in args:
            v, s = plain(a)
            sensitive |= s
            plain_args.append(v)
        if e.expand and plain_args:
            last = plain_args.pop()
            if isinstance(last, Unknown):
                return last
            if not isinstance(last, list):
                return Unknown(f"{e.name}(...): only a list can be expanded with ...", error=True)
            plain_args.extend(last)
        if e.name not in UNKNOWN_AWARE:
            u = unknown_in(*plain_args)
            if u is not None:
                return u
        try:
            result = fn(*plain_args)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            return Unknown(f"{e.name}(): {exc}", error=True)
        return Sensitive(result) if sensitive and not isinstance(result, Unknown) else result

    def _try(self, e: Call, trace: list[Step], b: dict[str, Any]) -> Any:
        for a in e.args:
            v = self._eval(a, trace, b)
            if isinstance(v, Unknown):
                if v.error:
                    continue
                return v
            return True if e.name == "can" else v
        return False if e.name == "can" else Unknown("try(): no argument could be evaluated", error=True)


def apply_type(value: Any, type_expr: Expr | None) -> Any:
    """Apply a variable's ``type`` to its value: ``optional(T, default)`` attributes that are
    missing from an object get their default (or null), recursively through ``map``,
    ``list``, ``set``, ``object`` and ``tuple``. Other conversions are left to Terraform.
    """
    if type_expr is None or not isinstance(type_expr, Call):
        return value
    if isinstance(value, Sensitive):
        return Sensitive(apply_type(value.value, type_expr))
    name, args = type_expr.name, type_expr.args
    if name in ("map", "list", "set") and len(args) == 1:
        if isinstance(value, dict) and name == "map":
            return {k: apply_type(v, args[0]) for k, v in value.items()}
        if isinstance(value, list):
            return [apply_type(v, args[0]) for v in value]
        return value
    if name == "tuple" and len(args) == 1 and isinstance(args[0], Tuple) and isinstance(value, list):
        return [apply_type(v, t) for v, t in zip(value, args[0].items)] + value[len(args[0].items):]
    if name == "object" and len(args) == 1 and isinstance(args[0], Obj) and isinstance(value, dict):
        out = dict(value)
        for k, t in zip(args[0].keys, args[0].values):
            if not isinstance(k, Lit) or not isinstance(k.value, str):
                continue
            attr = k.value
            if attr in out and out[attr] is not None:
                out[attr] = apply_type(out[attr], t.args[0] if isinstance(t, Call) and t.name == "optional" and t.args else t)
            elif isinstance(t, Call) and t.name == "optional":
                default = _CONSTANT_EVAL.eval(t.args[1], []) if len(t.args) > 1 else None
                out[attr] = apply_type(default, t.args[0] if t.args else None) if default is not None else None
        return out
    return value


class _Constants:
    """A scope with nothing in it: for defaults inside type constraints."""

    def variable(self, name: str, trace: list[Step]) -> Any:
        return Unknown(f"var.{name} cannot be used in a type", error=True)

    local = variable

    def resource(self, rtype: str, name: str, steps: list[tuple[str, Any]], trace: list[Step]) -> tuple[Any, int]:
        return Unknown("a resource cannot be used here", error=True), 0

    def module_output(self, name: str, steps: list[tuple[str, Any]], trace: list[Step]) -> tuple[Any, int]:
        return Unknown("a module output cannot be used here", error=True), 0


    def instance(self) -> dict[str, Any]:
        return {}

    def path(self, which: str) -> Any:
        return Unknown(f"path.{which} cannot be used here", error=True)


#: an evaluator for constant expressions (tfvars values, defaults): every reference is an error
_CONSTANT_EVAL = Evaluator(_Constants())


def constant(expr: Expr, trace: list[Step] | None = None) -> Any:
    """Evaluate an expression that may not refer to anything (tfvars values, defaults)."""
    return _CONSTANT_EVAL.eval(expr, trace if trace is not None else [])
