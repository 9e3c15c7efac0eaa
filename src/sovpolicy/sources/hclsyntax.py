"""Terraform source text -> a small typed syntax tree.

Native syntax (``.tf``, ``.tfvars``) is parsed by :mod:`.hclnative` (python-hcl2), JSON
syntax (``.tf.json``, ``.tfvars.json``) by :mod:`.hcljson`; both give the structs of
:mod:`.hcltree`, re-exported here with the parsers for the rest of the readers.
"""

from __future__ import annotations

from .hcljson import parse_json
from .hclnative import heredoc_value, parse_expression, parse_native
from .hcltree import (
    IR_VERSION,
    Attr,
    BinOp,
    Block,
    Body,
    Call,
    Comment,
    Cond,
    Expr,
    For,
    GetAttr,
    Index,
    Lit,
    Obj,
    ParsedFile,
    Raw,
    Splat,
    SyntaxProblem,
    Tmpl,
    Tuple,
    UnOp,
    Var,
)

__all__ = ["IR_VERSION", "Attr", "BinOp", "Block", "Body", "Call", "Comment", "Cond", "Expr", "For", "GetAttr", "Index",
           "Lit", "Obj", "ParsedFile", "Raw", "Splat", "SyntaxProblem", "Tmpl", "Tuple", "UnOp", "Var", "heredoc_value",
           "parse_expression", "parse_json", "parse_native", "parse_source"]


def parse_source(data: bytes, name: str) -> ParsedFile:
    """Parse one file's bytes by its name (``*.json`` is JSON syntax, anything else native).

    A file that is not UTF-8 is a :class:`SyntaxProblem` naming the first bad byte.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return ParsedFile(Body(), [], SyntaxProblem(f"not UTF-8 text (byte {data[exc.start]:#04x})", line, None))
    if name.endswith(".json"):
        return parse_json(text, tfvars=name.endswith(".tfvars.json"))
    return parse_native(text)
