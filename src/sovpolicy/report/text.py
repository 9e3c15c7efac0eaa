"""The human report, grouped by resource: the chain that places it, then each policy's verdict.

Blocking resources come first, then resources with non-blocking failures or unknowns,
then a one-line summary of those that pass everything. Sources are footnotes
(``[n]``), listed once at the end with title, URL and date.
"""

from __future__ import annotations

from ..alternatives import report_lines
from ..model import Finding, ScanResult, SourceRef, Status
from .common import squash, summary_line


class Footnotes:
    """Numbers catalog sources in the order they are first cited; ``items[n - 1]`` is note ``[n]``."""

    def __init__(self) -> None:
        self.refs: dict[tuple[str, str], int] = {}
        self.items: list[SourceRef] = []

    def mark(self, source: SourceRef | None) -> str:
        """The marker to append to a line citing ``source`` (``" [3]"``), or ``""`` for no source."""
        if source is None:
            return ""
        key = (source.id, source.as_of.isoformat())
        if key not in self.refs:
            self.items.append(source)
            self.refs[key] = len(self.items)
        return f" [{self.refs[key]}]"


def history_lines(result: ScanResult) -> list[str]:
    """The history summary: this scan against the previous one of its scope, and what was resolved."""
    h = result.history
    assert h is not None
    marks = [h.mark(f) for f in result.findings]
    since = f"scan {h.previous_id} of {h.previous_at}" if h.previous_id is not None else "no previous scan of this scope"
    out = [f"HISTORY scan {h.scan_id} ({h.scope}) against {since}: {marks.count('new')} new, "
           f"{marks.count('unchanged')} unchanged, {len(h.resolved)} resolved"]
    out += [f"RESOLVED {r.policy_id} {r.subject} ({r.input}; was {r.status})" for r in h.resolved]
    return out


def render_text(result: ScanResult) -> str:
    """Render the report for a terminal or a CI log."""
    notes = Footnotes()
    digest = f", sha256 {result.catalog_digest[:12]}" if result.catalog_digest else ""
    out = [f"sovpolicy {result.tool_version} | catalog {result.catalog_version} (as of {result.catalog_as_of}{digest}) | "
           f"certifications checked on {result.as_of} | inputs: {', '.join(result.inputs)}", ""]
    by_res: dict[tuple[str, str], list[Finding]] = {}
    for f in result.findings:
        by_res.setdefault(f.key, []).append(f)
    order = {r.key: i for i, r in enumerate(result.resources)}
    several = len(result.inputs) > 1
    groups = sorted(by_res.items(), key=lambda kv: (not any(f.blocking for f in kv[1]),
                                                     all(f.status is Status.PASS for f in kv[1]), order.get(kv[0], 0)))
    passing = []
    for (_, address), findings in groups:
        if all(f.status is Status.PASS for f in findings):
            passing.append((address, findings))
            continue
        res = findings[0].resource
        head = "BLOCKING" if any(f.blocking for f in findings) else "NOT BLOCKING"
        classes = ", ".join(sorted(res.data_classes))
        out.append(f"{head} {address} ({classes}) [{res.location or res.input}]")
        chain = findings[0].reasons[: findings[0].chain_length]
        for r in chain:
            out.append(f"    {r.text}{notes.mark(r.source)}")
        by_flow: dict[int, list[Finding]] = {}
        flow_index = {id(fl): i for i, fl in enumerate(res.flows)}
        for f in findings:
            by_flow.setdefault(-1 if f.flow is None else flow_index.get(id(f.flow), len(res.flows)), []).append(f)
        for rank in sorted(by_flow):
            group = by_flow[rank]
            indent = "  "
            if rank >= 0:
                first = group[0]
                assert first.flow is not None
                head_reason, *flow_chain = first.reasons[first.chain_length: first.chain_length + first.flow_reasons]
                out.append(f"  copy: {head_reason.text}{notes.mark(head_reason.source)}")
                for r in flow_chain:
                    out.append(f"      {r.text}{notes.mark(r.source)}")
                indent = "    "
            for f in sorted(group, key=lambda f: (f.status is Status.PASS, f.policy_id)):
                label = f.status.value.upper() + (" (blocking)" if f.blocking else "")
                mark = result.history.mark(f) if result.history is not None else None
                label += f" [{mark}]" if mark else ""
                out.append(f"{indent}{label:<18} {f.policy_id} {f.title} [{f.severity.value}, {f.enforcement.value}]")
                for r in f.reasons[f.chain_length + f.flow_reasons:]:
                    out.append(f"{indent}    {r.text}{notes.mark(r.source)}")
                if f.status is not Status.PASS and f.remediation:
                    out.append(f"{indent}    fix: {squash(f.remediation)}")
        if res.key in result.alternatives:
            for line, certs in report_lines(result.alternatives[res.key]):
                out.append(f"  {line}" + "".join(notes.mark(c.source) for c in certs))
        out.append("")
    for address, findings in passing:
        host = findings[0].host
        where = f"{host.cloud} {host.region}" if host else "?"
        ids = ", ".join(sorted({f.policy_id for f in findings}))
        copies = sorted({f.flow.to.region or "?" for f in findings if f.flow is not None})
        source = f" [{findings[0].resource.input}]" if several else ""
        out.append(f"PASS {address}{source} in {where}: {ids}" + (f" (and its copies in {', '.join(copies)})" if copies else ""))
    if passing:
        out.append("")
    for w in result.warnings:
        out.append(f"WARNING {w}")
    for n in result.notes:
        out.append(f"NOTE {n}")
    if result.history is not None:
        out.extend(history_lines(result))
    for p in result.problems:
        out.append(f"PROBLEM {p.kind}: {p.message}" + (f" ({p.where})" if p.where else ""))
    out.append(summary_line(result))
    if notes.items:
        out.append("")
        out.append("Sources:")
        for i, s in enumerate(notes.items, 1):
            out.append(f"  [{i}] {s.title}, as of {s.as_of.isoformat()}: {s.url}")
    return "\n".join(out) + "\n"
