"""GitHub Actions workflow commands: annotations on the pull request's files and in the run summary.

Each blocking finding becomes ``::error file=...,line=...,title=...::message``, each
non-blocking FAIL or UNKNOWN a ``::warning``; PASS and WAIVED findings give none. Each
problem that made the scan incomplete and each warning (an expiring or unused waiver) is
a ``::warning``. The last line is the plain
summary. Values are escaped as the Actions toolkit does (``%``, ``\\r``, ``\\n`` in the
message; also ``:`` and ``,`` in properties), so a message cannot inject a command.
"""

from __future__ import annotations

from ..model import Finding, ScanResult, Status
from .common import finding_location, squash, summary_line


def escape_data(text: str) -> str:
    """Escape a command's message: ``%`` -> ``%25``, CR -> ``%0D``, LF -> ``%0A``."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as :func:`escape_data`, plus ``:`` -> ``%3A`` and ``,`` -> ``%2C``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str | int | None) -> str:
    """One workflow command line, ``::name k=v,...::message``; ``None`` properties are left out."""
    given = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{name}{' ' + given if given else ''}::{escape_data(message)}"


def _annotation(f: Finding) -> str:
    path, line = finding_location(f)
    lines = [f.message, *(f"- {r.text}" for r in f.reasons[f.chain_length:])]
    if f.remediation:
        lines.append(f"Fix: {squash(f.remediation)}")
    title = f"{f.policy_id} ({f.severity.value}, {'blocking' if f.blocking else 'not blocking'}): {f.title}"
    return command("error" if f.blocking else "warning", "\n".join(lines), file=path, line=line, title=title)


def render_github(result: ScanResult) -> str:
    """Render workflow commands for a GitHub Actions log, one per line, then the summary."""
    out = [_annotation(f) for f in result.findings if f.status in (Status.FAIL, Status.UNKNOWN)]
    for p in result.problems:
        out.append(command("warning", f"{p.kind}: {p.message}" + (f" ({p.where})" if p.where else ""),
                           title="sovpolicy: incomplete scan"))
    out += [command("warning", w, title="sovpolicy") for w in result.warnings]
    out += [command("notice", n, title="sovpolicy") for n in result.notes]
    out.append(f"sovpolicy: {summary_line(result)}")
    return "\n".join(out) + "\n"
