"""Terraform's operators and built-in functions, as far as a placement needs them.

Each takes and returns plain values (see :mod:`.hclvalues`); a wrong argument raises
``TypeError``/``ValueError``, which the evaluator turns into an error
:class:`~.hclvalues.Unknown`. Functions not listed in :data:`FUNCTIONS` are not evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .hclvalues import Unknown, to_string


# ---------------------------------------------------------------------- operators
def _num(x: Any) -> float | int:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError("not a number")
    return x


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda a, c: op(_num(a), _num(c))


def _logic(op: str) -> Callable[[Any, Any], Any]:
    def f(a: Any, c: Any) -> bool:
        if not isinstance(a, bool) or not isinstance(c, bool):
            raise TypeError("not a bool")
        return (a and c) if op == "&&" else (a or c)
    return f


def _equal(a: Any, c: Any) -> bool:
    if isinstance(a, bool) != isinstance(c, bool):
        return False
    return a == c


BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": _equal,
    "!=": lambda a, c: not _equal(a, c),
    "<": _arith(lambda a, c: a < c), ">": _arith(lambda a, c: a > c),
    "<=": _arith(lambda a, c: a <= c), ">=": _arith(lambda a, c: a >= c),
    "+": _arith(lambda a, c: a + c), "-": _arith(lambda a, c: a - c),
    "*": _arith(lambda a, c: a * c), "/": _arith(lambda a, c: a / c), "%": _arith(lambda a, c: a % c),
    "&&": _logic("&&"), "||": _logic("||"),
}


# ---------------------------------------------------------------------- functions
def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise TypeError("merge() takes objects or maps")
        out.update(m)
    return out


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    if not isinstance(m, dict):
        raise TypeError("lookup() takes a map")
    if key in m:
        return m[key]
    if default:
        return default[0]
    raise KeyError(f"no key {key!r} and no default")


def _coalesce(*values: Any) -> Any:
    for v in values:
        if isinstance(v, Unknown):
            return v
        if v is not None and v != "":
            return v
    raise ValueError("no non-null argument")


def _concat(*lists: Any) -> Any:
    out: list[Any] = []
    for x in lists:
        if not isinstance(x, list):
            raise TypeError("concat() takes lists")
        out.extend(x)
    return out


def _str_fn(f: Callable[[str], Any]) -> Callable[[Any], Any]:
    def g(s: Any) -> Any:
        if not isinstance(s, str):
            raise TypeError("expects a string")
        return f(s)
    return g


def _toset(xs: Any) -> Any:
    if not isinstance(xs, list):
        raise TypeError("toset() takes a list")
    out: list[Any] = []
    for x in xs:
        if x not in out:
            out.append(x)
    return sorted(out, key=lambda v: str(v))


def _keys(m: Any) -> Any:
    if not isinstance(m, dict):
        raise TypeError("keys() takes a map")
    return sorted(m)


def _values(m: Any) -> Any:
    if not isinstance(m, dict):
        raise TypeError("values() takes a map")
    return [m[k] for k in sorted(m)]


def _length(x: Any) -> Any:
    if isinstance(x, (str, list, dict)):
        return len(x)
    raise TypeError("length() takes a string, list or map")


def _contains(xs: Any, v: Any) -> Any:
    if not isinstance(xs, list):
        raise TypeError("contains() takes a list")
    return v in xs


def _element(xs: Any, i: Any) -> Any:
    if not isinstance(xs, list) or not xs:
        raise TypeError("element() takes a non-empty list")
    return xs[int(_num(i)) % len(xs)]


def _join(sep: Any, *lists: Any) -> Any:
    items = [to_string(x) for xs in lists for x in xs]
    if any(isinstance(x, Unknown) for x in items):
        raise TypeError("join() takes lists of strings")
    return sep.join(items)


def _format(fmt: Any, *args: Any) -> Any:
    out: list[str] = []
    i = 0
    it = iter(args)
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            spec = fmt[i + 1]
            i += 2
            if spec == "%":
                out.append("%")
            elif spec in "sdv":
                s = to_string(next(it))
                if isinstance(s, Unknown):
                    raise TypeError(s.reason)
                out.append(s)
            else:
                raise ValueError(f"format verb %{spec} is not evaluated")
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _setproduct(*sets: Any) -> Any:
    result: list[list[Any]] = [[]]
    for s in sets:
        if not isinstance(s, list):
            raise TypeError("setproduct() takes lists")
        result = [r + [x] for r in result for x in s]
    return result


def _flatten(xs: Any) -> Any:
    out: list[Any] = []
    for x in xs:
        out.extend(_flatten(x) if isinstance(x, list) else [x])
    return out


def _zipmap(ks: Any, vs: Any) -> Any:
    return {to_string(k): v for k, v in zip(ks, vs)}


def _tomap(m: Any) -> Any:
    if not isinstance(m, dict):
        raise TypeError("tomap() takes an object")
    return m


def _tolist(xs: Any) -> Any:
    if not isinstance(xs, list):
        raise TypeError("tolist() takes a list or set")
    return xs


def _tostring(x: Any) -> Any:
    if x is None:
        return None
    s = to_string(x)
    if isinstance(s, Unknown):
        raise TypeError(s.reason)
    return s


def _tonumber(x: Any) -> Any:
    if isinstance(x, str):
        return float(x) if "." in x else int(x)
    return _num(x)


def _tobool(x: Any) -> Any:
    if x in ("true", True):
        return True
    if x in ("false", False):
        return False
    raise ValueError(f"cannot convert {x!r} to bool")


def _substr(s: Any, offset: Any, length: Any) -> Any:
    return s[offset:] if length == -1 else s[offset:offset + length]


def _replace(s: Any, old: Any, new: Any) -> Any:
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        raise ValueError("regular expressions are not evaluated")
    return s.replace(old, new)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "merge": _merge, "lookup": _lookup, "coalesce": _coalesce, "concat": _concat,
    "lower": _str_fn(str.lower), "upper": _str_fn(str.upper), "trimspace": _str_fn(str.strip),
    "title": _str_fn(str.title), "toset": _toset, "tolist": _tolist, "tomap": _tomap, "tostring": _tostring,
    "tonumber": _tonumber, "tobool": _tobool, "keys": _keys, "values": _values, "length": _length,
    "contains": _contains, "element": _element, "join": _join, "split": lambda sep, s: s.split(sep),
    "format": _format, "setproduct": _setproduct, "flatten": _flatten, "zipmap": _zipmap,
    "distinct": lambda xs: list(dict.fromkeys(xs)), "sort": lambda xs: sorted(xs),
    "compact": lambda xs: [x for x in xs if x not in (None, "")],
    "startswith": lambda s, p: s.startswith(p), "endswith": lambda s, p: s.endswith(p),
    "substr": _substr, "replace": _replace, "jsonencode": lambda v: json.dumps(v, separators=(",", ":")),
    "jsondecode": lambda s: json.loads(s), "max": lambda *xs: max(map(_num, xs)), "min": lambda *xs: min(map(_num, xs)),
}
#: functions that see Unknown arguments themselves (the others return the first Unknown)
UNKNOWN_AWARE = frozenset({"coalesce"})
