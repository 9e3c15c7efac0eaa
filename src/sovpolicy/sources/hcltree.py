"""The typed syntax tree of Terraform source, shared by the native and JSON parsers.

Every expression is kept (nothing is evaluated here), with the 1-based line of every block
and attribute, and every comment with its line. The structs are msgspec structs so the
parse cache stores them compactly (:mod:`.parsecache`); bump :data:`IR_VERSION` when they
change.
"""

from __future__ import annotations

from typing import Union

import msgspec

#: bump when the structs, the walk or the wording of parse problems change: cached trees of
#: other versions are ignored
IR_VERSION = 2


# ----------------------------------------------------------------------------- the tree
class Lit(msgspec.Struct, tag="lit", array_like=True, frozen=True):
    """A literal: string, number, bool or null."""

    value: str | int | float | bool | None


class Tmpl(msgspec.Struct, tag="tmpl", array_like=True, frozen=True):
    """A string template: literal parts (:class:`Lit`) and interpolated expressions."""

    parts: list[Expr]


class Var(msgspec.Struct, tag="var", array_like=True, frozen=True):
    """A bare name at the root of a traversal: ``var``, ``local``, ``aws_s3_bucket``, ``each``."""

    name: str


class GetAttr(msgspec.Struct, tag="attr", array_like=True, frozen=True):
    """``base.name``."""

    base: Expr
    name: str


class Index(msgspec.Struct, tag="index", array_like=True, frozen=True):
    """``base[key]`` (and the legacy ``base.0``)."""

    base: Expr
    key: Expr


class Splat(msgspec.Struct, tag="splat", array_like=True, frozen=True):
    """``base[*].x`` or ``base.*.x``: kept for its references, never evaluated."""

    base: Expr
    text: str


class Call(msgspec.Struct, tag="call", array_like=True, frozen=True):
    """A function call; ``name`` may be provider-defined (``provider::aws::arn_parse``)."""

    name: str
    args: list[Expr]
    expand: bool = False


class Tuple(msgspec.Struct, tag="tuple", array_like=True, frozen=True):
    """``[a, b]``."""

    items: list[Expr]


class Obj(msgspec.Struct, tag="obj", array_like=True, frozen=True):
    """``{k = v}``; a bare-name key is a :class:`Lit` string, as in Terraform."""

    keys: list[Expr]
    values: list[Expr]


class Cond(msgspec.Struct, tag="cond", array_like=True, frozen=True):
    """``cond ? yes : no``."""

    cond: Expr
    yes: Expr
    no: Expr


class BinOp(msgspec.Struct, tag="bin", array_like=True, frozen=True):
    """``left op right`` with op one of ``== != < > <= >= + - * / % && ||``."""

    op: str
    left: Expr
    right: Expr


class UnOp(msgspec.Struct, tag="un", array_like=True, frozen=True):
    """``-x`` or ``!x``."""

    op: str
    operand: Expr


class For(msgspec.Struct, tag="for", array_like=True, frozen=True):
    """``[for k, v in coll : value if cond]`` or ``{for k, v in coll : key => value... if cond}``."""

    key_var: str | None
    value_var: str
    coll: Expr
    key: Expr | None
    value: Expr
    cond: Expr | None
    grouping: bool = False


class Raw(msgspec.Struct, tag="raw", array_like=True, frozen=True):
    """An expression kept as source text, with why it is not evaluated."""

    text: str
    why: str


Expr = Union[Lit, Tmpl, Var, GetAttr, Index, Splat, Call, Tuple, Obj, Cond, BinOp, UnOp, For, Raw]  # noqa: UP007 (msgspec decodes this tagged union)


class Attr(msgspec.Struct, array_like=True, frozen=True):
    """An attribute's expression and the 1-based line where it starts."""

    expr: Expr
    line: int


class Block(msgspec.Struct, array_like=True, frozen=True):
    """A block: ``type "label" ... { body }`` with its first and last line."""

    type: str
    labels: list[str]
    body: Body
    line: int
    end_line: int


class Body(msgspec.Struct, array_like=True, frozen=True):
    """Attributes by name (source order) and nested blocks (source order)."""

    attrs: dict[str, Attr] = {}
    blocks: list[Block] = []

    def blocks_of(self, kind: str) -> list[Block]:
        """The nested blocks of one type."""
        return [b for b in self.blocks if b.type == kind]


class Comment(msgspec.Struct, array_like=True, frozen=True):
    """A comment (``#``, ``//`` or ``/* */``) with the line it starts on, markers included."""

    line: int
    text: str


class SyntaxProblem(msgspec.Struct, array_like=True, frozen=True):
    """Why a file could not be parsed: a message and the 1-based line and column."""

    message: str
    line: int | None = None
    column: int | None = None


class ParsedFile(msgspec.Struct, array_like=True, frozen=True):
    """One file: its body (empty when it failed), its comments, and the error if any."""

    body: Body
    comments: list[Comment] = []
    error: SyntaxProblem | None = None
