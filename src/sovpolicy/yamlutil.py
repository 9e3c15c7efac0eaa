"""YAML reading with line numbers, so errors can name the line of a bad value.

Every YAML file the tool reads (configuration, catalog, policies, policy fixtures) goes
through :func:`load_yaml`, a safe loader with limits: a file over :data:`MAX_BYTES`, a
document that would expand (aliases counted each time they are used) to more than
:data:`MAX_NODES` values, or that nests deeper than :data:`MAX_DEPTH`, is refused with
the file and the line, before anything is built from it (a "billion laughs" alias bomb
is a few hundred bytes).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SovpolicyError

if TYPE_CHECKING:
    import yaml

# PyYAML is imported when a file is read, not with this module: a scan whose catalog and
# policies come from the setup cache reads no YAML (issue 14, the pre-commit hook's start-up).

#: largest YAML file read (bytes)
MAX_BYTES = 16 << 20
#: most values a document may expand to, each alias counted as a copy of what it names
MAX_NODES = 2_000_000
#: deepest nesting of mappings and lists
MAX_DEPTH = 200


def _check_limits(node: yaml.Node) -> str | None:
    """The first limit the composed document exceeds, as a message with its line, or None.

    Sizes are computed once per node (aliases share their anchor's node), so the walk
    is linear in the file, not in the expansion.
    """
    import yaml

    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(node, 1, False)]
    while stack:
        cur, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            return f"line {cur.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels"
        if id(cur) in size:
            continue
        children: list[yaml.Node] = []
        if isinstance(cur, yaml.SequenceNode):
            children = list(cur.value)
        elif isinstance(cur, yaml.MappingNode):
            children = [n for pair in cur.value for n in pair]
        if not done and any(id(c) not in size for c in children):
            stack.append((cur, depth, True))
            stack.extend((c, depth + 1, False) for c in children if id(c) not in size)
            continue
        total = 1 + sum(size.get(id(c), 1) for c in children)
        if total > MAX_NODES:
            return (f"line {cur.start_mark.line + 1}: expands to more than {MAX_NODES:,} values "
                    "(aliases repeated over and over: an alias bomb?)")
        size[id(cur)] = total
    return None


def load_yaml(path: Path, error: type[SovpolicyError], nodes: bool = True) -> tuple[Any, yaml.Node | None]:
    """Read a YAML file; return the document and, when ``nodes``, its node tree (for :func:`line_of`).

    Raises:
        error: (the given SovpolicyError subclass) when the file cannot be read or is
            malformed, naming ``file:line:column``.
    """
    try:
        if not path.is_file():
            raise error("cannot read: not a regular file", str(path))
        if path.stat().st_size > MAX_BYTES:
            raise error(f"cannot read: larger than {MAX_BYTES >> 20} MiB", str(path))
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read: {getattr(exc, 'strerror', None) or exc}", str(path)) from None
    import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            root = loader.get_single_node()
            if root is not None and (problem := _check_limits(root)):
                raise error(f"refused YAML: {problem}", str(path))
            doc = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
        node = root if nodes else None
    except RecursionError:
        raise error(f"refused YAML: nested deeper than {MAX_DEPTH} levels", str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise error(f"malformed YAML: {getattr(exc, 'problem', None) or exc}", where) from None
    except ValueError as exc:  # a value YAML recognises but cannot build, e.g. the date 2026-02-30
        bad = _bad_scalar(text)
        where = f"{path}:{bad[0]}" if bad else str(path)
        raise error(f"invalid value{f' {bad[1]!r}' if bad else ''}: {exc}", where) from None
    return doc, node


def _bad_scalar(text: str) -> tuple[int, str] | None:
    """Line and text of the first date-like scalar that is not a real date."""
    for n, line in enumerate(text.splitlines(), 1):
        for m in re.finditer(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", line):
            try:
                dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return n, m.group(0)
    return None


def line_of(node: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    """1-based line of the value at ``path`` (keys and list indexes), or of its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    if node is None:
        return line
    import yaml

    for step in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            nxt = node.value[step]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def json_path(path: Sequence[str | int]) -> str:
    """``$.a[0].b`` for a jsonschema error path."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def dates_to_text(value: Any) -> Any:
    """Turn the dates YAML reads (``2026-12-21``) back into ISO text, recursively."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [dates_to_text(v) for v in value]
    return value
