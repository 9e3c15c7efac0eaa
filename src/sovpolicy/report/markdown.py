"""Markdown for a pull-request comment (GitHub, GitLab, Gitea render it alike).

Layout: a title line with the verdict, the versions and inputs, a summary table
(blocking, failed not blocking, unknown, waived, passed), the problems if the scan is
incomplete and the warnings (expiring or unused waivers), then the blocking findings
grouped by resource: the chain of reasons that places the resource once, then each blocking policy's verdict reasons and fix. Every
other finding is a row of a table inside ``<details>``. Catalog sources are footnotes
(``[n]``) listed at the end, as in the text report.

The comment stays within GitHub's limit of 65,536 characters, counted here in UTF-8
bytes (never fewer than characters or UTF-16 units): findings are shown in order until
the next one would not fit, then one line says how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..alternatives import report_lines
from ..model import Finding, Reason, ScanResult, Status
from .common import display_path, resource_key, squash, summary_line
from .text import Footnotes

#: GitHub's limit on the body of an issue or pull-request comment.
MAX_BYTES = 65_536
#: inputs, problems and warnings listed in the head before a count of the rest, so that
#: the head always leaves room for findings
MAX_LISTED = 20

_SPECIAL = re.compile(r"([\\`*\[\]<>|~]|(?<!\w)_|_(?!\w))")
_OTHER_ORDER = {Status.FAIL: 0, Status.UNKNOWN: 1, Status.WAIVED: 2, Status.PASS: 3}


def _md(text: str) -> str:
    """Escape Markdown and HTML specials in free text, on one line."""
    return _SPECIAL.sub(r"\\\1", squash(text))


def _code(text: str) -> str:
    """An inline code span that survives backticks in the text."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def truncation_line(n: int) -> str:
    """The line that replaces ``n`` findings left out."""
    return f"… {n} more finding{'s' if n != 1 else ''} not shown (see the full report)"


def _title(result: ScanResult) -> str:
    c = result.counts()
    if c["blocking"]:
        return f"## ❌ sovpolicy: {c['blocking']} blocking finding{'s' if c['blocking'] != 1 else ''}"
    if result.problems:
        return "## ⚠️ sovpolicy: incomplete scan, nothing blocking in what was read"
    return "## ✅ sovpolicy: nothing blocking"


def _head(result: ScanResult) -> str:
    c = result.counts()
    not_blocking = sum(1 for f in result.findings if f.status in (Status.FAIL, Status.UNKNOWN) and not f.blocking)
    inputs = ", ".join(_code(display_path(i)) for i in result.inputs[:MAX_LISTED])
    if len(result.inputs) > MAX_LISTED:
        inputs += f" and {len(result.inputs) - MAX_LISTED} more"
    lines = [
        _title(result), "",
        f"sovpolicy {result.tool_version} · catalog {result.catalog_version} (as of {result.catalog_as_of}{_digest(result)}) · "
        f"certifications checked on {result.as_of} · inputs: {inputs}", "",
        "| Blocking | Failed or unknown, not blocking | Unknown (all) | Waived | Passed |",
        "|---:|---:|---:|---:|---:|",
        f"| {c['blocking']} | {not_blocking} | {c['unknown']} | {c['waived']} | {c['passed']} |", "",
        _md(summary_line(result)),
    ]
    if result.problems:
        lines += ["", "**The scan is incomplete:**", ""]
        lines += _listed([f"{_md(p.kind)}: {_md(p.message)}" + (f" ({_code(p.where)})" if p.where else "")
                          for p in result.problems], "problems")
    if result.warnings:
        lines += ["", "**Warnings:**", ""]
        lines += _listed([_md(w) for w in result.warnings], "warnings")
    if result.notes:
        lines += ["", "**Notes:**", ""]
        lines += _listed([_md(n) for n in result.notes], "notes")
    return "\n".join(lines)


def _listed(items: list[str], noun: str) -> list[str]:
    """A bullet list of at most :data:`MAX_LISTED` items, then a line counting the rest."""
    shown = [f"- {item}" for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        shown.append(f"- … {len(items) - MAX_LISTED} more {noun} not shown (see the full report)")
    return shown


def _digest(result: ScanResult) -> str:
    return f", sha256 {result.catalog_digest[:12]}" if result.catalog_digest else ""


def _reason_line(r: Reason, notes: Footnotes) -> str:
    return _md(r.text) + notes.mark(r.source)


def _blocking_unit(f: Finding, first_of_resource: bool, notes: Footnotes, alternatives: Sequence[Any] | None = None) -> str:
    lines: list[str] = []
    if first_of_resource:
        res = f.resource
        where = f" in {_code(display_path(res.location.path))}" if res.location else ""
        lines += [f"#### {_code(f.address)} ({_md(', '.join(sorted(res.data_classes)))}){where}", ""]
        lines += [f"{i}. {_reason_line(r, notes)}" for i, r in enumerate(f.reasons[: f.chain_length], 1)]
        lines.append("")
        if alternatives is not None:
            head, *rest = report_lines(alternatives)
            lines += [f"**{_md(head[0].rstrip(':'))}**" + (":" if rest else ""), ""]
            lines += [f"- {_md(line.strip())}" + "".join(notes.mark(c.source) for c in certs) for line, certs in rest]
            lines += [""] if rest else []
    icon = "❓" if f.status is Status.UNKNOWN else "❌"
    lines.append(f"**{icon} {f.status.value.upper()} {f.policy_id}** {_md(f.title)} ({f.severity.value}, {f.enforcement.value})"
                 + (f" — copy: {_md(f.flow.describe(f.resource.placement))}" if f.flow is not None else ""))
    lines.append("")
    lines += [f"- {_reason_line(r, notes)}" for r in f.reasons[f.chain_length:]]
    if f.remediation:
        lines += ["", f"**Fix:** {_md(f.remediation)}"]
    return "\n".join(lines)


def _row(f: Finding) -> str:
    message = f.message
    if f.waiver is not None:
        message += f" ({f.waiver.describe()})"
    address = _code(f.subject).replace("|", "\\|")
    return f"| {f.status.value} | {f.policy_id} | {address} | {_md(message)} |"


def _details_head(others: list[Finding]) -> str:
    by = {s: sum(1 for f in others if f.status is s) for s in _OTHER_ORDER}
    summary = (f"{len(others)} other findings: {by[Status.FAIL]} failed and {by[Status.UNKNOWN]} unknown (not blocking), "
               f"{by[Status.WAIVED]} waived, {by[Status.PASS]} passed")
    return f"<details><summary>{summary}</summary>\n\n| Status | Policy | Resource | Message |\n|---|---|---|---|"


def _sources(notes: Footnotes) -> str:
    if not notes.items:
        return ""
    lines = ["<details><summary>Sources</summary>", ""]
    lines += [f"{i}. {_md(s.title)}, as of {s.as_of.isoformat()}: {s.url}" for i, s in enumerate(notes.items, 1)]
    return "\n".join(lines + ["", "</details>"])


def render_markdown(result: ScanResult, max_bytes: int = MAX_BYTES) -> str:
    """Render the pull-request comment, at most ``max_bytes`` UTF-8 bytes long.

    Findings that do not fit are counted in one explicit line
    (:func:`truncation_line`), never dropped silently; so are inputs, problems and
    warnings beyond :data:`MAX_LISTED`.

    Raises:
        ValueError: ``max_bytes`` too small for the title, summary table and sources.
    """
    blocking = sorted((f for f in result.findings if f.blocking), key=lambda f: resource_key(f.resource))  # stable: policy order kept
    others = sorted((f for f in result.findings if not f.blocking), key=lambda f: _OTHER_ORDER[f.status])

    every = Footnotes()
    for f in result.findings:
        for r in f.reasons:
            every.mark(r.source)
    reserve = (_size(_sources(every)) + _size(truncation_line(len(result.findings))) + _size("\n</details>")
               + 64)  # separators and the bold markers around the truncation line
    head = _head(result)
    budget = max_bytes - reserve
    used = _size(head)
    if used > budget:
        raise ValueError(f"max_bytes={max_bytes} leaves no room for the summary")

    notes = Footnotes()
    parts = [head]
    shown = 0
    seen: set[tuple[str, str]] = set()
    full = True
    if blocking:
        parts.append("### Blocking findings")
        used += _size(parts[-1]) + 2
    for f in blocking:
        saved = (dict(notes.refs), list(notes.items))
        unit = _blocking_unit(f, resource_key(f.resource) not in seen, notes, result.alternatives.get(f.key))
        if used + _size(unit) + 2 > budget:
            notes.refs, notes.items = saved
            full = False
            break
        parts.append(unit)
        used += _size(unit) + 2
        seen.add(resource_key(f.resource))
        shown += 1
    if full and others:
        rows = [_details_head(others)]
        used += _size(rows[0]) + 1
        for f in others:
            row = _row(f)
            if used + _size(row) + 1 > budget:
                full = False
                break
            rows.append(row)
            used += _size(row) + 1
            shown += 1
        parts.append("\n".join(rows) + "\n\n</details>")
    if shown < len(result.findings):
        parts.append(f"**{truncation_line(len(result.findings) - shown)}**")
    sources = _sources(notes)
    if sources:
        parts.append(sources)
    return "\n\n".join(parts) + "\n"
