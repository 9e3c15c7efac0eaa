"""Waivers: time-limited, justified exceptions to a policy for exact resources.

A waiver names a policy id, a resource address (exact, or a glob where only ``*`` is a
wildcard: ``module.ehr.*``, ``aws_s3_bucket.exports[*]``), a reason and an expiry date
(both required), and optionally who approved it and the decision that grants it (e.g. a
regulator's authorisation number and its own end date). Waivers live in
``.sovpolicy.yaml`` (``waivers:``) or as an inline comment in a ``.tf`` file, above or
inside the resource block it waives::

    # sovpolicy:waive SOV-EXT-001 expires=2026-12-21 reason="CNIL authorisation for EMC2"
    #   approved_by="DPO" decision="CNIL 2023-146" decision_expires=2026-12-21

Rules (applied by :func:`apply_waivers`): a valid waiver turns a failing or unknown
finding into WAIVED (not blocking); an expired waiver (or one whose decision has ended)
leaves the finding failing and says so; one expiring within the warning window warns
with the days left; a waiver of a hard-mandatory policy is rejected; a waiver that
matches no finding is reported.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from .errors import ConfigError, InputError
from .gate import blocks
from .model import Enforcement, Finding, Reason, Status, Waiver

INLINE_MARK = "sovpolicy:waive"
_FIELDS = {"expires", "reason", "approved_by", "decision", "decision_expires"}


def _date(value: object, where: str, error: type[Exception]) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise error(f"expected a date YYYY-MM-DD, got {value!r}", where) from None


def from_config(items: Sequence[dict[str, object]], path: str, lines: Sequence[int | None]) -> list[Waiver]:
    """Build waivers from the validated ``waivers:`` list of ``.sovpolicy.yaml``."""
    out = []
    for item, line in zip(items, lines, strict=True):
        where = f"{path}:{line}" if line else path
        out.append(Waiver(
            policy_id=str(item["policy"]), address=str(item["address"]), reason=str(item["reason"]),
            expires=_date(item["expires"], where, ConfigError), origin=where,
            approved_by=item.get("approved_by"), decision=item.get("decision"),  # type: ignore[arg-type]
            decision_expires=_date(item["decision_expires"], where, ConfigError) if item.get("decision_expires") else None))
    return out


_BLOCK = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"\s*\{')


def _code_part(line: str, state: dict[str, object]) -> str:
    """The line without strings and comments, tracking heredocs and block comments."""
    out: list[str] = []
    i = 0
    heredoc = state.get("heredoc")
    if heredoc:
        if line.strip() == heredoc:
            state["heredoc"] = None
        return ""
    while i < len(line):
        if state.get("block_comment"):
            end = line.find("*/", i)
            if end < 0:
                return "".join(out)
            state["block_comment"] = False
            i = end + 2
            continue
        c = line[i]
        if c == '"':
            i += 1
            while i < len(line) and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
            continue
        if c == "#" or line.startswith("//", i):
            break
        if line.startswith("/*", i):
            state["block_comment"] = True
            i += 2
            continue
        m = re.match(r"<<-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*$", line[i:])
        if m:
            state["heredoc"] = m.group(1)
            break
        out.append(c)
        i += 1
    return "".join(out)


def _parse_inline(text: str, where: str) -> dict[str, str]:
    try:
        tokens = shlex.split(text, comments=False, posix=True)
    except ValueError as exc:
        raise InputError(f"malformed inline waiver: {exc}", where) from None
    if not tokens:
        raise InputError("inline waiver without a policy id", where)
    fields = {"policy": tokens[0]}
    for tok in tokens[1:]:
        key, sep, value = tok.partition("=")
        if not sep or key not in _FIELDS:
            raise InputError(f"unknown inline waiver field {tok!r} (expected {', '.join(sorted(_FIELDS))})", where)
        fields[key] = value
    for key in ("expires", "reason"):
        if not fields.get(key):
            raise InputError(f"inline waiver for {fields['policy']} needs {key}=", where)
    return fields


def inline_waivers(path: Path, module_path: str) -> list[Waiver]:
    """Read ``# sovpolicy:waive`` comments of one ``.tf`` file.

    A waiver applies to the resource block it stands in, or to the next one when it
    stands above it (other comments and blank lines may come between). Continuation
    lines are comment lines right after it that start with a ``key=`` field.

    A file that cannot be read as a regular file (a directory named ``*.tf``, a dangling
    symbolic link, a loop of links) holds no waiver.

    Raises:
        InputError: a malformed waiver comment (file:line and what is wrong), or a
            waiver that is followed by no resource block.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:  # a directory named *.tf, a dangling link, a loop: no waiver (fails closed)
        return []
    if INLINE_MARK not in text:
        return []
    lines = text.splitlines()
    try:  # name the file as the user would, relative to where sovpolicy runs
        shown: Path | str = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path
    state: dict[str, object] = {}
    depth = 0
    current: tuple[str, str] | None = None
    pending: list[tuple[dict[str, str], str]] = []
    found: list[Waiver] = []

    def make(fields: dict[str, str], where: str, block: tuple[str, str]) -> Waiver:
        return Waiver(
            policy_id=fields["policy"], address=f"{block[0]}.{block[1]}", reason=fields["reason"],
            expires=_date(fields["expires"], where, InputError), origin=where,
            approved_by=fields.get("approved_by"), decision=fields.get("decision"),
            decision_expires=_date(fields["decision_expires"], where, InputError) if fields.get("decision_expires") else None,
            module_path=module_path)

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if INLINE_MARK in stripped and stripped.startswith(("#", "//")) and not state.get("heredoc"):
            where = f"{shown}:{i + 1}"
            text = stripped.lstrip("#/ ").split(INLINE_MARK, 1)[1]
            while i + 1 < len(lines) and re.match(r"^\s*(#|//)\s*[a-z_]+=", lines[i + 1]):
                i += 1
                text += " " + lines[i].strip().lstrip("#/ ")
            fields = _parse_inline(text, where)
            if current is not None and depth > 0:
                found.append(make(fields, where, current))
            else:
                pending.append((fields, where))
            i += 1
            continue
        if depth == 0:
            m = _BLOCK.match(line)
            if m:
                current = (m.group(1), m.group(2))
                found += [make(f, w, current) for f, w in pending]
                pending = []
            elif stripped and not stripped.startswith(("#", "//")) and pending:
                raise InputError("inline waiver is not followed by a resource block", pending[0][1])
        code = _code_part(line, state)
        depth += code.count("{") - code.count("}")
        if depth <= 0:
            depth = 0
            current = None
        i += 1
    if pending:
        raise InputError("inline waiver is not followed by a resource block", pending[0][1])
    return found


def apply_waivers(findings: Iterable[Finding], waivers: Sequence[Waiver], as_of: dt.date,
                  warn_days: int = 30) -> tuple[list[Finding], list[str]]:
    """Apply waivers to findings.

    Returns:
        The findings (waived ones with status WAIVED, blocking False, ``waiver`` set;
        expired or rejected ones unchanged but with a reason saying so) and the warnings
        (expiring soon, rejected, expired, unused).
    """
    out: list[Finding] = []
    warnings: list[str] = []
    used: set[int] = set()
    for f in findings:
        idx = [i for i, w in enumerate(waivers) if w.matches(f.policy_id, f.resource)]
        used.update(idx)
        if not idx or f.status not in (Status.FAIL, Status.UNKNOWN):
            out.append(f)
            continue
        w = waivers[idx[0]]
        if f.enforcement is Enforcement.HARD_MANDATORY:
            msg = f"waiver at {w.origin} rejected: {f.policy_id} is hard-mandatory and cannot be waived"
            warnings.append(f"{msg} ({f.address})")
            out.append(replace(f, reasons=f.reasons + (Reason(msg),)))
            continue
        if as_of > w.end():
            what = f"its decision {w.decision} ended" if w.decision_expires and w.decision_expires < w.expires else "it expired"
            msg = f"waiver at {w.origin} no longer applies: {what} on {w.end().isoformat()}"
            warnings.append(f"{msg} ({f.policy_id} {f.address})")
            out.append(replace(f, reasons=f.reasons + (Reason(msg),)))
            continue
        left = (w.end() - as_of).days
        if left <= warn_days:
            why = f", when decision {w.decision} ends" if w.decision_expires and w.decision_expires < w.expires else ""
            warnings.append(f"waiver at {w.origin} for {f.policy_id} {f.address} expires in {left} days ({w.end().isoformat()}{why})")
        out.append(replace(f, status=Status.WAIVED, blocking=blocks(Status.WAIVED, f.enforcement, f.severity), waiver=w,
                           reasons=f.reasons + (Reason(w.describe()),)))
    for i, w in enumerate(waivers):
        if i not in used:
            warnings.append(f"waiver at {w.origin} for {w.policy_id} {w.address} matches no finding")
    return out, list(dict.fromkeys(warnings))  # a waiver covering several findings (flows) warns once
