"""Terraform JSON syntax (``.tf.json``, ``.tfvars.json``) -> the syntax tree.

``"//"`` keys are comments. Strings holding ``${`` are parsed as templates; the values of
``provider`` and ``depends_on`` as expressions (with the native parser). Lines are those of
each block's (or attribute's) key.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .hclnative import line_at, parse_expression
from .hcltree import Attr, Block, Body, Comment, Expr, Lit, Obj, ParsedFile, Raw, SyntaxProblem, Tuple

#: number of labels of each top-level block type in JSON syntax
_JSON_LABELS = {"resource": 2, "data": 2, "ephemeral": 2, "provider": 1, "variable": 1, "module": 1, "output": 1,
                "check": 1, "locals": 0, "terraform": 0, "moved": 0, "import": 0, "removed": 0}
#: attributes whose JSON string is an expression (a traversal), not a template
_JSON_TRAVERSALS = {"provider", "depends_on"}


def _json_expr(value: Any, key: str = "") -> Expr:
    if isinstance(value, str):
        if key in _JSON_TRAVERSALS:
            return parse_expression(value)
        if "${" in value or "%{" in value:
            return parse_expression(json.dumps(value))
        return Lit(value)
    if isinstance(value, dict):
        keys: list[Expr] = []
        values: list[Expr] = []
        for k, v in value.items():
            if k == "//":
                continue
            keys.append(Lit(k))
            values.append(_json_providers(v) if key == "providers" else _json_expr(v))
        return Obj(keys, values)
    if isinstance(value, list):
        return Tuple([_json_expr(v) for v in value])
    if isinstance(value, (bool, int, float)) or value is None:
        return Lit(value)
    return Raw(repr(value), "unexpected JSON value")


def _json_providers(value: Any) -> Expr:
    return parse_expression(value) if isinstance(value, str) else _json_expr(value)


class _JsonLines:
    """Approximate lines for JSON syntax: the line of a key's first occurrence after a position."""

    def __init__(self, text: str) -> None:
        self.text = text

    def find(self, key: str, start: int) -> tuple[int, int]:
        m = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(self.text, start)
        pos = m.start() if m else start
        return line_at(self.text, pos), pos


def _json_body(obj: Any, lines: _JsonLines, at: int) -> Body:
    attrs: dict[str, Attr] = {}
    if not isinstance(obj, dict):
        return Body()
    for k, v in obj.items():
        if k == "//":
            continue
        line, _ = lines.find(k, at)
        attrs[k] = Attr(_json_providers(v) if k == "providers" else _json_expr(v, k), line)
    return Body(attrs, [])


def _json_blocks(kind: str, value: Any, nlabels: int, labels: list[str], lines: _JsonLines, at: int) -> list[Block]:
    if isinstance(value, list):
        return [b for item in value for b in _json_blocks(kind, item, nlabels, labels, lines, at)]
    if len(labels) == nlabels:
        line = line_at(lines.text, at)
        return [Block(kind, labels, _json_body(value, lines, at), line, line)]
    if not isinstance(value, dict):
        return []
    out: list[Block] = []
    for label, inner in value.items():
        if label == "//":
            continue
        _, pos = lines.find(label, at)
        out += _json_blocks(kind, inner, nlabels, labels + [label], lines, pos)
    return out


def parse_json(text: str, tfvars: bool) -> ParsedFile:
    """Parse Terraform JSON syntax (``.tf.json``, or ``.tfvars.json`` when ``tfvars``).

    ``"//"`` keys are comments. Strings holding ``${`` are parsed as templates; the
    values of ``provider`` and ``depends_on`` as expressions. Lines are those of each
    block's (or attribute's) key.
    """
    try:
        return _parse_json(text, tfvars)
    except RecursionError:
        return ParsedFile(Body(), [], SyntaxProblem("nested too deeply to read", 1, 1))


def _parse_json(text: str, tfvars: bool) -> ParsedFile:
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return ParsedFile(Body(), [], SyntaxProblem(f"not valid JSON: {exc.msg}", exc.lineno, exc.colno))
    if not isinstance(doc, dict):
        return ParsedFile(Body(), [], SyntaxProblem("a Terraform JSON file must hold an object", 1, 1))
    lines = _JsonLines(text)
    comments = [Comment(lines.find("//", 0)[0], str(v)) for k, v in doc.items() if k == "//"]
    if tfvars:
        return ParsedFile(_json_body(doc, lines, 0), comments)
    blocks: list[Block] = []
    for kind, value in doc.items():
        if kind == "//":
            continue
        _, pos = lines.find(kind, 0)
        nlabels = _JSON_LABELS.get(kind, 0)
        blocks += _json_blocks(kind, value, nlabels, [], lines, pos)
    return ParsedFile(Body({}, blocks), comments)
