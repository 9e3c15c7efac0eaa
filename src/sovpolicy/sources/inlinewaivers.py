"""Inline waivers: ``# sovpolicy:waive`` comments of ``.tf`` files, from the parsed files.

The HCL parser already keeps every comment with its line and every block with its first
and last line (:mod:`.hcltree`); a waiver is read from those, never by scanning the file
again. The HCL reader hands each file it parsed to :func:`waivers_in_file`; for a plan,
:func:`plan_waivers` parses the ``.tf`` files of the module directories next to it through
the same parse cache and the same function.

A waiver applies to the resource block it stands in, or to the next top-level block when
it stands above it, which must be a resource (other comments and blank lines may come
between). Continuation lines are comment lines right after it that start with a ``key=``
field::

    # sovpolicy:waive SOV-EXT-001 expires=2026-12-21 reason="CNIL authorisation for EMC2"
    #   approved_by="DPO" decision="CNIL 2023-146" decision_expires=2026-12-21

A file that does not parse yields no waiver (its resources are not read either; the parse
error is already a problem of the scan).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path

from ..errors import InputError
from ..model import Waiver
from ..waivers import parse_date
from .hcltree import Block, Comment, ParsedFile
from .parsecache import ParseCache

INLINE_MARK = "sovpolicy:waive"
FIELDS = frozenset({"expires", "reason", "approved_by", "decision", "decision_expires"})
_CONTINUATION = re.compile(r"^(#|//)\s*[a-z_]+=")


def shown_path(path: Path) -> str:
    """A file as the user would name it: relative to where sovpolicy runs when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _fields(text: str, where: str) -> dict[str, str]:
    try:
        tokens = shlex.split(text, comments=False, posix=True)
    except ValueError as exc:
        raise InputError(f"malformed inline waiver: {exc}", where) from None
    if not tokens:
        raise InputError("inline waiver without a policy id", where)
    fields = {"policy": tokens[0]}
    for tok in tokens[1:]:
        key, sep, value = tok.partition("=")
        if not sep or key not in FIELDS:
            raise InputError(f"unknown inline waiver field {tok!r} (expected {', '.join(sorted(FIELDS))})", where)
        fields[key] = value
    for key in ("expires", "reason"):
        if not fields.get(key):
            raise InputError(f"inline waiver for {fields['policy']} needs {key}=", where)
    return fields


def _marks(comments: list[Comment]) -> list[tuple[int, str]]:
    """``(line, text after the mark)`` of each waiver comment, continuation lines joined."""
    out: list[tuple[int, str]] = []
    by_line = {c.line: c.text.strip() for c in comments}
    for c in comments:
        text = c.text.strip()
        if INLINE_MARK not in text or not text.startswith(("#", "//")):
            continue
        body = text.lstrip("#/ ").split(INLINE_MARK, 1)[1]
        nxt = c.line + 1
        while nxt in by_line and _CONTINUATION.match(by_line[nxt]) and INLINE_MARK not in by_line[nxt]:
            body += " " + by_line[nxt].lstrip("#/ ")
            nxt += 1
        out.append((c.line, body))
    return out


def _target(line: int, blocks: list[Block]) -> Block | None:
    """The block a waiver on ``line`` belongs to: the one it stands in, else the next one."""
    for b in blocks:
        if b.line <= line <= b.end_line:
            return b
    later = [b for b in blocks if b.line > line]
    return min(later, key=lambda b: b.line) if later else None


def waivers_in_file(shown: str, parsed: ParsedFile, module_path: str) -> list[Waiver]:
    """The inline waivers of one parsed ``.tf`` file of the module at ``module_path``.

    Raises:
        InputError: a malformed waiver comment (file:line and what is wrong), or a waiver
            that stands neither in nor above a resource block.
    """
    if parsed.error is not None or not any(INLINE_MARK in c.text for c in parsed.comments):
        return []
    found: list[Waiver] = []
    for line, text in _marks(parsed.comments):
        where = f"{shown}:{line}"
        fields = _fields(text, where)
        block = _target(line, parsed.body.blocks)
        if block is None or block.type != "resource" or len(block.labels) != 2:
            raise InputError("inline waiver is not followed by a resource block", where)
        found.append(Waiver(
            policy_id=fields["policy"], address=f"{block.labels[0]}.{block.labels[1]}", reason=fields["reason"],
            expires=parse_date(fields["expires"], where, InputError), origin=where,
            approved_by=fields.get("approved_by"), decision=fields.get("decision"),
            decision_expires=parse_date(fields["decision_expires"], where, InputError) if fields.get("decision_expires") else None,
            module_path=module_path))
    return found


def plan_waivers(dirs: Mapping[str, Path], cache: ParseCache) -> list[Waiver]:
    """The inline waivers of the ``.tf`` files of a plan's module directories (module path
    -> directory, see :func:`~sovpolicy.sources.terraform.source_dirs`)."""
    found: list[Waiver] = []
    for module_path, d in sorted(dirs.items()):
        if not d.is_dir():
            continue
        for tf in sorted(d.glob("*.tf")):
            if not tf.is_file():
                continue  # a directory named *.tf, a FIFO or device, a dangling link: no waiver
            try:
                data = tf.read_bytes()
            except OSError:
                continue  # an unreadable file next to a plan is not the plan's input
            if INLINE_MARK.encode() in data:
                found.extend(waivers_in_file(shown_path(tf), cache.parse(data, tf.name), module_path))
    return found
