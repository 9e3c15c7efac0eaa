"""HCL native syntax (``.tf``, ``.tfvars``) -> the syntax tree (the only importer of python-hcl2).

Native syntax is parsed with python-hcl2 8.x's Lark grammar (``hcl2.parses_to_tree``) and
the raw Lark tree is walked into the structs of :mod:`.hcltree`.

Workarounds for python-hcl2 on valid Terraform, applied before parsing by
:func:`_strip_comments` (a small scanner that knows strings, interpolations and heredocs):

* comments are blanked out (newlines kept, so line numbers do not move): python-hcl2
  fails on a block comment between ``=`` and the value and returns a block comment
  between the labels and ``{`` as a third label;
* a UTF-8 byte order mark is dropped (python-hcl2 fails on it at 1:1);
* an unclosed ``{`` is reported at the line where it opens, as Terraform does, rather
  than at the end of the file.

Heredocs are returned as strings with their markers removed (``<<-`` also removes the
common indentation); a heredoc that interpolates (``${``) is kept as :class:`Raw` text.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InputError
from .hcltree import (
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

# ----------------------------------------------------------------------------- pre-pass
_EXPR_TOKENS = re.compile(r'"|#|//|/\*|<<-?([A-Za-z_][\w.-]*)[ \t]*\r?\n|\{|\}')
_STR_TOKENS = re.compile(r'\\.|"|\$\$\{|%%\{|\$\{|%\{|\n', re.S)


def line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _strip_comments(text: str) -> tuple[str, list[Comment], tuple[int, int] | None]:
    """Blank out comments outside strings and heredocs, keeping every newline in place.

    Returns ``(text without comments, comments, (line, column) of the outermost ``{``
    left open at the end, or None)``. A block comment spanning lines in the middle of a
    line has its newlines moved to the end of the line where it closes, so the
    expression around it stays on one line and later lines keep their numbers.
    """
    comments: list[Comment] = []
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), in order
    pos = 0
    n = len(text)
    # stack of modes: ["expr", open-brace offsets] or ["str", []]; the bottom is the file
    stack: list[tuple[str, list[int]]] = [("expr", [])]
    while pos < n:
        mode, braces = stack[-1]
        if mode == "str":
            m = _STR_TOKENS.search(text, pos)
            if m is None:
                break
            tok = m.group(0)
            if tok == '"' or tok == "\n":  # end of string (a newline ends an unterminated one)
                stack.pop()
            elif tok in ("${", "%{"):
                stack.append(("expr", []))
            pos = m.end()
            continue
        m = _EXPR_TOKENS.search(text, pos)
        if m is None:
            break
        tok = m.group(0)
        if tok == '"':
            stack.append(("str", []))
            pos = m.end()
        elif tok in ("#", "//"):
            end = text.find("\n", m.start())
            end = n if end < 0 else end
            if end > m.start() and text[end - 1] == "\r":
                end -= 1
            comments.append(Comment(line_at(text, m.start()), text[m.start():end]))
            edits.append((m.start(), end, " " * (end - m.start())))
            pos = end
        elif tok == "/*":
            end = text.find("*/", m.end())
            end = n if end < 0 else end + 2
            chunk = text[m.start():end]
            comments.append(Comment(line_at(text, m.start()), chunk))
            line_start = text.rfind("\n", 0, m.start()) + 1
            if "\n" not in chunk or not text[line_start:m.start()].strip():
                edits.append((m.start(), end, re.sub(r"[^\n]", " ", chunk)))
            else:  # mid-line and multi-line: one line of blanks, newlines after this line
                edits.append((m.start(), end, " " * len(chunk)))
                nl = text.find("\n", end)
                nl = n if nl < 0 else nl
                edits.append((nl, nl, "\n" * chunk.count("\n")))
            pos = end
        elif tok.startswith("<<"):
            close = re.compile(r"^[ \t]*" + re.escape(m.group(1)) + r"[ \t]*\r?$", re.M)
            c = close.search(text, m.end())
            pos = n if c is None else c.end()
        elif tok == "{":
            braces.append(m.start())
            pos = m.end()
        else:  # "}": closes a brace, or the interpolation we are in
            if braces:
                braces.pop()
            elif len(stack) > 1:
                stack.pop()
            pos = m.end()
    if edits:
        out: list[str] = []
        last = 0
        for start, end, repl in sorted(edits, key=lambda e: (e[0], e[1])):
            if start < last:
                continue
            out.append(text[last:start])
            out.append(repl)
            last = end
        out.append(text[last:])
        text_out = "".join(out)
    else:
        text_out = text
    unclosed = None
    if stack[0][1]:
        first = stack[0][1][0]
        unclosed = (line_at(text, first), first - text.rfind("\n", 0, first))
    return text_out, comments, unclosed


# ----------------------------------------------------------------------------- strings
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.S)


def _unescape(chars: str) -> str:
    """Resolve HCL escapes in a quoted string's literal characters."""
    if "\\" not in chars:
        return chars

    def sub(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "uU" and len(esc) > 1:
            try:
                return chr(int(esc[1:], 16))
            except ValueError:
                return m.group(0)
        return _ESCAPES.get(esc, m.group(0))

    return _ESCAPE_RE.sub(sub, chars)


def heredoc_value(token: str) -> tuple[str, bool]:
    """The value of a heredoc token (``<<EOT\\n...\\nEOT\\n``) and whether it interpolates.

    ``<<-`` removes the indentation common to every non-blank line. Escaped ``$${`` and
    ``%%{`` become ``${`` and ``%{``.
    """
    lines = token.replace("\r\n", "\n").split("\n")
    trim = lines[0].startswith("<<-")
    body = lines[1:]
    while body and not body[-1].strip():
        body.pop()
    body = body[:-1]  # the closing marker
    if trim:
        indents = [len(ln) - len(ln.lstrip(" \t")) for ln in body if ln.strip()]
        cut = min(indents) if indents else 0
        body = [ln[cut:] for ln in body]
    value = "".join(ln + "\n" for ln in body)
    interpolates = re.search(r"(?<!\$)\$\{|(?<!%)%\{", value) is not None
    return value.replace("$${", "${").replace("%%{", "%{"), interpolates


# ----------------------------------------------------------------------------- the walk
class _Walker:
    """Turns python-hcl2's raw Lark tree into the structs above."""

    def __init__(self, text: str) -> None:
        self.text = text
        from lark import Token, Tree

        self.Token = Token
        self.Tree = Tree

    def kids(self, node: Any) -> list[Any]:
        return [c for c in node.children if not (isinstance(c, self.Tree) and c.data == "new_line_or_comment")]

    def trees(self, node: Any) -> list[Any]:
        return [c for c in self.kids(node) if isinstance(c, self.Tree)]

    def source(self, node: Any) -> str:
        meta = node.meta
        if getattr(meta, "empty", True):
            return ""
        return self.text[meta.start_pos:meta.end_pos]

    def body(self, node: Any) -> Body:
        attrs: dict[str, Attr] = {}
        blocks: list[Block] = []
        for child in self.trees(node):
            if child.data == "attribute":
                k = self.kids(child)
                attrs[self.name(k[0])] = Attr(self.expr(k[-1]), child.meta.line)
            elif child.data == "block":
                blocks.append(self.block(child))
        return Body(attrs, blocks)

    def block(self, node: Any) -> Block:
        k = self.kids(node)
        kind = self.name(k[0])
        labels: list[str] = []
        body = Body()
        for c in k[1:]:
            if isinstance(c, self.Tree):
                if c.data == "body":
                    body = self.body(c)
                elif c.data == "string":
                    labels.append(self.label(c))
                else:
                    labels.append(self.name(c))
        return Block(kind, labels, body, node.meta.line, node.meta.end_line)

    def name(self, node: Any) -> str:
        if isinstance(node, self.Token):
            return str(node)
        return str(node.children[0])

    def label(self, node: Any) -> str:
        expr = self.string(node)
        if isinstance(expr, Lit) and isinstance(expr.value, str):
            return expr.value
        return self.source(node).strip('"')

    def string(self, node: Any) -> Expr:
        parts: list[Expr] = []
        buf: list[str] = []
        for part in node.children:
            if isinstance(part, self.Token):  # the quotes
                continue
            inner = part.children[0]
            if isinstance(inner, self.Token):
                if inner.type == "STRING_CHARS":
                    buf.append(_unescape(str(inner)))
                else:  # ESCAPED_INTERPOLATION / ESCAPED_DIRECTIVE: $${ -> ${, %%{ -> %{
                    buf.append(str(inner)[1:])
                continue
            if inner.data == "interpolation":
                if buf:
                    parts.append(Lit("".join(buf)))
                    buf = []
                parts.append(self.expr(self.trees(inner)[0]))
            else:
                return Raw(self.source(node), "a string template with %{ } directives is not evaluated")
        if buf:
            parts.append(Lit("".join(buf)))
        if not parts:
            return Lit("")
        if len(parts) == 1:  # "${x}" is x itself, unconverted, as in Terraform
            return parts[0]
        return Tmpl(parts)

    def expr(self, node: Any) -> Expr:
        if isinstance(node, self.Token):
            return Raw(str(node), "unexpected token")
        handler = getattr(self, "x_" + str(node.data), None)
        if handler is None:
            return Raw(self.source(node), f"{node.data} expressions are not evaluated")
        return handler(node)

    # one method per grammar rule -------------------------------------------------
    def x_expr_term(self, node: Any) -> Expr:
        k = self.kids(node)
        if isinstance(k[0], self.Token) and k[0].type == "LPAR":
            return self.expr(self.trees(node)[0])
        return self.expr(k[0])

    def x_conditional(self, node: Any) -> Expr:
        c, a, b = self.trees(node)
        return Cond(self.expr(c), self.expr(a), self.expr(b))

    def x_binary_op(self, node: Any) -> Expr:
        left, term = self.trees(node)[:2]
        op_node, right = self.trees(term)[:2]
        return BinOp(str(op_node.children[0]).strip(), self.expr(left), self.expr(right))

    def x_unary_op(self, node: Any) -> Expr:
        op, operand = node.children[0], node.children[-1]
        return UnOp(str(op), self.expr(operand))

    def x_int_lit(self, node: Any) -> Expr:
        return Lit(int(str(node.children[0])))

    def x_float_lit(self, node: Any) -> Expr:
        value = float(str(node.children[0]))
        return Lit(int(value) if value.is_integer() and abs(value) < 2**53 else value)

    def x_literal_value(self, node: Any) -> Expr:
        return Lit({"true": True, "false": False, "null": None}[str(node.children[0])])

    def x_identifier(self, node: Any) -> Expr:
        return Var(str(node.children[0]))

    def x_string(self, node: Any) -> Expr:
        return self.string(node)

    def x_heredoc_template(self, node: Any) -> Expr:
        value, interpolates = heredoc_value(str(node.children[0]))
        if interpolates:
            return Raw(str(node.children[0]), "a heredoc template with interpolations is not evaluated")
        return Lit(value)

    x_heredoc_template_trim = x_heredoc_template

    def x_tuple(self, node: Any) -> Expr:
        return Tuple([self.expr(c) for c in self.trees(node)])

    def x_object(self, node: Any) -> Expr:
        keys: list[Expr] = []
        values: list[Expr] = []
        for elem in self.trees(node):
            key_node, value_node = self.trees(elem)[:2]
            keys.append(self.object_key(key_node))
            values.append(self.expr(value_node))
        return Obj(keys, values)

    def object_key(self, node: Any) -> Expr:
        inner = self.kids(node)[0]
        if isinstance(inner, self.Tree) and inner.data == "keyword":
            return Lit(str(inner.children[0]))
        if isinstance(inner, self.Tree) and inner.data == "expr_term":
            k = self.kids(inner)
            if isinstance(k[0], self.Tree) and k[0].data in ("identifier", "literal_value"):
                return Lit(str(k[0].children[0]))  # a bare name is the key itself
        return self.expr(inner)

    def x_function_call(self, node: Any) -> Expr:
        names = [str(c.children[0]) for c in node.children if isinstance(c, self.Tree) and c.data == "identifier"]
        args: list[Expr] = []
        expand = False
        for c in node.children:
            if isinstance(c, self.Tree) and c.data == "arguments":
                args = [self.expr(a) for a in self.trees(c)]
                expand = any(isinstance(t, self.Token) and t.type == "ELLIPSIS" for t in c.children)
        return Call("::".join(names), args, expand)

    def x_get_attr_expr_term(self, node: Any) -> Expr:
        base, step = self.trees(node)
        return GetAttr(self.expr(base), str(self.trees(step)[0].children[0]))

    def x_index_expr_term(self, node: Any) -> Expr:
        base, step = self.trees(node)
        if step.data == "short_index":
            return Index(self.expr(base), Lit(int(str(step.children[-1]))))
        return Index(self.expr(base), self.expr(self.trees(step)[0]))

    def x_attr_splat_expr_term(self, node: Any) -> Expr:
        return Splat(self.expr(self.trees(node)[0]), self.source(node))

    x_full_splat_expr_term = x_attr_splat_expr_term

    def x_for_tuple_expr(self, node: Any) -> Expr:
        return self.for_expr(node, is_object=False)

    def x_for_object_expr(self, node: Any) -> Expr:
        return self.for_expr(node, is_object=True)

    def for_expr(self, node: Any, is_object: bool) -> Expr:
        intro = next(c for c in node.children if isinstance(c, self.Tree) and c.data == "for_intro")
        names = [str(c.children[0]) for c in intro.children if isinstance(c, self.Tree) and c.data == "identifier"]
        coll = [c for c in self.trees(intro) if c.data != "identifier"][0]
        rest = [c for c in self.trees(node) if c.data not in ("for_intro",)]
        cond = None
        if rest and rest[-1].data == "for_cond":
            cond = self.expr(self.trees(rest[-1])[0])
            rest = rest[:-1]
        grouping = any(isinstance(t, self.Token) and t.type == "ELLIPSIS" for t in node.children)
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        if is_object:
            return For(key_var, value_var, self.expr(coll), self.expr(rest[0]), self.expr(rest[1]), cond, grouping)
        return For(key_var, value_var, self.expr(coll), None, self.expr(rest[0]), cond, False)


_TOKEN_KINDS = {"NAME": "name", "STRING_LIT": "string", "STRING_CHARS": "string", "DECIMAL": "number",
                "INT_LITERAL": "number", "NEGATIVE_DECIMAL": "number", "EXP_MARK": "number"}


def _syntax_problem(exc: Exception, unclosed: tuple[int, int] | None) -> SyntaxProblem:
    """A one-line message for a Lark error (never the exception's multi-line text)."""
    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        if unclosed is not None:
            return SyntaxProblem(f"unclosed block: the '{{' at line {unclosed[0]}, column {unclosed[1]} is never closed",
                                 unclosed[0], unclosed[1])
        return SyntaxProblem("unexpected end of file (a block, bracket or string is not closed)", line, column)
    if token is not None:
        # A syntax error can shift what is quoted, so any word of the file may be a value (a
        # sensitive variable's default): punctuation is quoted, a word is named by its kind only.
        text = str(token).strip().split("\n")[0][:40]
        kind = str(getattr(token, "type", ""))
        word = _TOKEN_KINDS.get(kind, "word")
        if text and not any(c.isalnum() for c in text):
            shown = repr(text)
        elif text and not (text[0].isascii() and (text[0].isalnum() or text[0] in "_-.\"")):
            shown = f"{text[0]!r} at the start of a {word}"  # a typographic quote, a stray character
        else:
            shown = word
        expected = sorted(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or [])
        hint = f" (expected {', '.join(expected[:6])}{', ...' if len(expected) > 6 else ''})" if expected else ""
        return SyntaxProblem(f"syntax error: unexpected {shown}{hint}", line, column)
    char = getattr(exc, "char", None)
    if char is not None:
        return SyntaxProblem(f"syntax error: invalid character {char!r}", line, column)
    return SyntaxProblem(f"syntax error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", line, column)


def _hcl2_parser() -> Any:
    """python-hcl2's ``parses_to_tree``.

    Raises:
        InputError: the module named ``hcl2`` is not python-hcl2 8.x, e.g. Checkov's
            ``bc-python-hcl2`` installed over it (both install a top-level ``hcl2``).
    """
    try:
        import hcl2

        return hcl2.parses_to_tree
    except (ImportError, AttributeError):
        import importlib.util

        spec = importlib.util.find_spec("hcl2")
        origin = spec.origin if spec is not None else None
        raise InputError("the installed module 'hcl2' is not python-hcl2 8.x (Checkov's bc-python-hcl2 installs a "
                         "module of the same name): run `pip install --force-reinstall 'python-hcl2>=8.1.4,<9'` in "
                         "sovpolicy's own environment, apart from Checkov", origin) from None


def parse_native(text: str) -> ParsedFile:
    """Parse HCL native syntax (``.tf``, ``.tfvars``).

    Returns a :class:`ParsedFile`; a syntax error is returned in ``error`` (with the
    line and column), never raised, and the body is then empty.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    clean, comments, unclosed = _strip_comments(text)
    parses_to_tree = _hcl2_parser()
    from lark.exceptions import LarkError

    try:
        tree = parses_to_tree(clean)
    except LarkError as exc:
        return ParsedFile(Body(), comments, _syntax_problem(exc, unclosed))
    except RecursionError:
        return ParsedFile(Body(), comments, SyntaxProblem("expressions nested too deeply to parse"))
    walker = _Walker(clean)
    try:
        body = walker.body(walker.trees(tree)[0])
    except RecursionError:
        return ParsedFile(Body(), comments, SyntaxProblem("expressions nested too deeply to read"))
    except (IndexError, AttributeError, ValueError, KeyError, StopIteration) as exc:
        # The grammar accepted a shape this walker does not know (a python-hcl2 change).
        return ParsedFile(Body(), comments, SyntaxProblem(
            f"sovpolicy cannot read python-hcl2's tree for this file ({type(exc).__name__}): please report it"))
    return ParsedFile(body, comments)


def parse_expression(text: str) -> Expr:
    """Parse one native-syntax expression (``var.region``, ``"${x}-y"``); a bad one is :class:`Raw`."""
    parsed = parse_native(f"x = {text}\n")
    attr = parsed.body.attrs.get("x")
    if attr is None:
        return Raw(text, f"not a valid expression: {parsed.error.message if parsed.error else 'empty'}")
    return attr.expr
