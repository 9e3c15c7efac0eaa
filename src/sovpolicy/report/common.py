"""What the renderers share: where a finding points in the inputs, one-line text, the summary."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import msgspec

from ..model import Finding, Resource, ScanResult, Status

#: statuses that renderers report as results or annotations (PASS is only counted)
REPORTED = (Status.FAIL, Status.UNKNOWN, Status.WAIVED)


@dataclass
class ReportContext:
    """What a report may need besides the scan, and what it has to say on the terminal.

    ``full_report`` is where this run writes a report that holds every finding (a JSON
    report's file), for a report that has to leave some out; ``notices`` collects the
    lines a renderer wants printed on standard error (what it left out, and why).
    """

    full_report: str | None = None
    notices: list[str] = field(default_factory=list)


def squash(text: str | None) -> str:
    """Collapse every run of whitespace (folded YAML, newlines) into one space; ``None`` gives ``""``."""
    return " ".join(text.split()) if text else ""


def display_path(path: str) -> str:
    """An input path as reports show it: POSIX separators, relative to the current directory when below it.

    ``examples/plan.json`` stays as is; ``/work/repo/plan.json`` run from ``/work/repo``
    gives ``plan.json``; a path outside the current directory stays absolute.
    """
    p = Path(path)
    if p.is_absolute():
        try:
            return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except (ValueError, OSError):
            return p.as_posix()
    return PurePath(os.path.normpath(path)).as_posix()


def resource_key(r: Resource) -> tuple[str, str]:
    """``(input, address)``: identifies a resource across several inputs."""
    return r.key


def finding_location(f: Finding) -> tuple[str | None, int | None]:
    """The input file (as :func:`display_path` shows it) and 1-based line a finding points at.

    Returns ``(None, None)`` for a resource without a location (live scans); the line is
    ``None`` for plan JSON, whose resources have no meaningful line.
    """
    loc = f.resource.location
    if loc is None:
        return None, None
    return display_path(loc.path), loc.line


def summary_line(result: ScanResult) -> str:
    """One sentence of counts: resources, classified, findings by outcome, exit code."""
    c = result.counts()
    classified = sum(1 for r in result.resources if r.classifications)
    return (f"{c['resources']} resources, {classified} classified; {len(result.findings)} findings: "
            f"{c['blocking']} blocking, {c['failed']} failed, {c['unknown']} unknown, {c['waived']} waived, "
            f"{c['passed']} passed. Exit code {result.exit_code}.")


def dump_json(data: Any) -> str:
    """``data`` as 2-space indented UTF-8 JSON with a final newline, keys in insertion order."""
    return msgspec.json.format(msgspec.json.encode(data), indent=2).decode("utf-8") + "\n"
