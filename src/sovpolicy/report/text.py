"""The human report: blocking findings first with their whole chain of reasons."""

from __future__ import annotations

from ..model import Finding, ScanResult, Status

_LABEL = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.UNKNOWN: "UNKNOWN", Status.WAIVED: "WAIVED"}


def _finding(f: Finding, full: bool) -> list[str]:
    label = "BLOCKING " + _LABEL[f.status] if f.blocking else _LABEL[f.status]
    lines = [f"{label:<16} {f.policy_id} [{f.severity.value}, {f.enforcement.value}] {f.message}"]
    if full:
        for r in f.reasons:
            lines.append(f"    - {r.text}")
            if r.source is not None:
                lines.append(f"        source: {r.source.cite()}")
        if f.status is not Status.PASS and f.remediation:
            lines.append(f"    fix: {' '.join(f.remediation.split())}")
    return lines


def render_text(result: ScanResult) -> str:
    """Render the report: blocking findings (full chain), other failures and unknowns, passes, summary."""
    out = [f"sovpolicy {result.tool_version} | catalog {result.catalog_version} (as of {result.catalog_as_of}) | "
           f"certifications checked on {result.as_of} | inputs: {', '.join(result.inputs)}", ""]
    blocking = [f for f in result.findings if f.blocking]
    others = [f for f in result.findings if not f.blocking and f.status is not Status.PASS]
    passes = [f for f in result.findings if f.status is Status.PASS]
    for group, full in ((blocking, True), (others, True), (passes, False)):
        for f in group:
            out += _finding(f, full)
            if full:
                out.append("")
    for p in result.problems:
        out.append(f"PROBLEM {p.kind}: {p.message}" + (f" ({p.where})" if p.where else ""))
    c = result.counts()
    classified = sum(1 for r in result.resources if r.classifications)
    out.append(f"{c['resources']} resources, {classified} classified; {len(result.findings)} findings: "
               f"{c['blocking']} blocking, {c['failed']} failed, {c['unknown']} unknown, {c['waived']} waived, "
               f"{c['passed']} passed. Exit code {result.exit_code}.")
    return "\n".join(out) + "\n"
