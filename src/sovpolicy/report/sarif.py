"""SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps, IDE viewers).

One ``reportingDescriptor`` (rule) per policy that produced a finding, one ``result`` per
FAIL, UNKNOWN or WAIVED finding (PASS findings are only counted in the run's
properties). A result's level is ``error`` when it blocks, else ``warning``; a WAIVED
finding carries an accepted ``suppression`` with the waiver's reason as justification.

Locations: the input file as ``artifactLocation`` (relative to the current directory
when below it, so that GitHub maps it to the repository), a ``region`` only when the
resource has a line (``.tf`` sources; plan JSON has none worth pointing at) and the
resource address as a ``logicalLocation``. Problems that made the scan incomplete
(level ``error``) and warnings (an expiring or unused waiver: ``warning``) are
``toolExecutionNotifications``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import msgspec

from ..model import Enforcement, Finding, ScanResult, Severity, Status
from . import uploadlimits as limits
from .common import REPORTED, ReportContext, display_path, finding_location, squash

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

#: GitHub code scanning reads ``security-severity`` (0.0-10.0, CVSS-like bands:
#: > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "0.0"}


def _pascal(title: str) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in title).split()
    return "".join(w[:1].upper() + w[1:].lower() for w in words)


def _help(f: Finding) -> dict[str, str]:
    refs_text = "\n".join(f"- {title}: {url}" for title, url in f.references)
    refs_md = "\n".join(f"- [{title}]({url})" for title, url in f.references)
    description, fix = squash(f.description or f.title), squash(f.remediation)
    text = f"{description}\n\nRemediation: {fix}" + (f"\n\nReferences:\n{refs_text}" if refs_text else "")
    md = f"{description}\n\n**Remediation:** {fix}" + (f"\n\n**References:**\n\n{refs_md}" if refs_md else "")
    return {"text": text, "markdown": md}


def _rule(f: Finding) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": f.policy_id,
        "name": _pascal(f.title),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": squash(f.description or f.title)},
        "help": _help(f),
        "defaultConfiguration": {"level": "warning" if f.enforcement is Enforcement.ADVISORY else "error"},
        "properties": {
            "security-severity": SECURITY_SEVERITY[f.severity],
            "tags": ["security", "compliance", "data-sovereignty", f.pack],
            "severity": f.severity.value,
            "enforcement": f.enforcement.value,
            "pack": f.pack,
        },
    }
    if f.references:
        rule["helpUri"] = f.references[0][1]
    return rule


def _uri(path: str) -> dict[str, str]:
    if path.startswith("/"):
        return {"uri": "file://" + quote(path)}
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}


def _physical(path: str, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _uri(path)}
    if line:
        physical["region"] = {"startLine": line}
    return physical


def _location(f: Finding) -> dict[str, Any]:
    path, line = finding_location(f)
    loc: dict[str, Any] = {} if path is None else {"physicalLocation": _physical(path, line)}
    loc["logicalLocations"] = [{"fullyQualifiedName": f.address, "kind": "resource"}]
    return loc


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    fingerprint = hashlib.sha256(f"{f.policy_id}\0{display_path(f.resource.input)}\0{f.subject}".encode()).hexdigest()
    result: dict[str, Any] = {
        "ruleId": f.policy_id,
        "ruleIndex": rule_index,
        "level": "error" if f.blocking else "warning",
        "message": {"text": f.message},
        "locations": [_location(f)],
        "partialFingerprints": {"sovpolicy/policyAddress/v1": fingerprint},
        "properties": {
            "status": f.status.value,
            "blocking": f.blocking,
            "input": display_path(f.resource.input),
            "reasons": [r.text for r in f.reasons],
        },
    }
    if f.status is Status.WAIVED:
        result["suppressions"] = [_suppression(f)]
    return result


def _suppression(f: Finding) -> dict[str, Any]:
    """An accepted suppression; ``inSource`` for a waiver written in a ``.tf`` file, else ``external``."""
    w = f.waiver
    if w is None:
        return {"kind": "external", "status": "accepted"}
    path, _, line = w.origin.rpartition(":")
    if not line.isdigit():
        path, line = w.origin, ""
    return {
        "kind": "inSource" if path.endswith(".tf") else "external",
        "status": "accepted",
        "justification": w.describe(),
        "location": {"physicalLocation": _physical(display_path(path), int(line) if line else None)},
    }


def _priority(item: tuple[int, Finding]) -> tuple[int, int, int, int]:
    """Most severe first: blocking, then severity, then fail before unknown before waived."""
    i, f = item
    return (not f.blocking, -f.severity.rank, _STATUS_ORDER[f.status], i)


_STATUS_ORDER = {Status.FAIL: 0, Status.UNKNOWN: 1, Status.WAIVED: 2, Status.PASS: 3}
_SENTINEL = "\0sovpolicy-results\0"
_INDENT = b"\n" + b" " * 8  # a result's place in runs[0].results


def _run(result: ScanResult, rules: dict[str, tuple[int, dict[str, Any]]], notifications: list[dict[str, Any]],
         results: list[Any]) -> dict[str, Any]:
    from .. import __version__

    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sovpolicy",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [rule for _, rule in rules.values()],
            }},
            "invocations": [invocation],
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {
                "catalog": {"version": result.catalog_version, "as_of": result.catalog_as_of.isoformat()},
                "as_of": result.as_of.isoformat(),
                "inputs": list(result.inputs),
                "summary": {**result.counts(), "exit_code": result.exit_code},
            },
        }],
    }


def _cut_notice(kept: int, total: int, left_blocking: int, full_report: str | None) -> str:
    where = (f"the full report is {full_report}" if full_report else
             "write the full report with --format json:FILE (or junit)")
    return (f"{total - kept} of {total} results left out ({left_blocking} of them blocking): GitHub code scanning "
            f"rejects a run over {limits.RESULTS_PER_RUN:,} results or a gzip file over 10 MB "
            f"({limits.DOCS}); this log holds the {kept} most severe; {where}")


def iter_sarif(result: ScanResult, ctx: ReportContext | None = None) -> Iterator[bytes]:
    """The SARIF 2.1.0 log as UTF-8 chunks, cut to what GitHub code scanning accepts.

    When every result fits (:mod:`~sovpolicy.report.uploadlimits`), results are in
    finding order. Otherwise the most severe come first and as many as fit are written;
    the run's notifications and ``ctx.notices`` (printed on the terminal) say how many
    were left out and where the full report is (``ctx.full_report``).
    """
    rules: dict[str, tuple[int, dict[str, Any]]] = {}
    for f in result.findings:
        if f.policy_id not in rules:
            rules[f.policy_id] = (len(rules), _rule(f))
    notifications = [{"level": "error", "message": {"text": f"{p.kind}: {p.message}" + (f" ({p.where})" if p.where else "")}}
                     for p in result.problems]
    notifications += [{"level": "warning", "message": {"text": w}} for w in result.warnings]
    notifications += [{"level": "note", "message": {"text": n}} for n in result.notes]
    reported = [(i, f) for i, f in enumerate(result.findings) if f.status in REPORTED]
    full_report = ctx.full_report if ctx is not None else None
    worst_notice = {"level": "warning", "message": {"text": _cut_notice(len(reported), len(reported), len(reported), full_report)}}
    head, _, tail = _split(_run(result, rules, [*notifications, worst_notice], [_SENTINEL]))
    budget = limits.Budget(reserve=len(head) + len(tail))
    kept: list[tuple[int, bytes]] = []
    encode, fmt = msgspec.json.encode, msgspec.json.format
    for i, f in sorted(reported, key=_priority):
        chunk = fmt(encode(_result(f, rules[f.policy_id][0])), indent=2).replace(b"\n", _INDENT)
        if not budget.add(chunk):
            break
        kept.append((i, chunk))
    if len(kept) == len(reported):
        kept.sort()
    else:
        left = {i for i, _ in reported} - {i for i, _ in kept}
        left_blocking = sum(1 for i, f in reported if i in left and f.blocking)
        text = _cut_notice(len(kept), len(reported), left_blocking, full_report)
        notifications.append({"level": "warning", "message": {"text": text}})
        if ctx is not None:
            ctx.notices.append(f"SARIF: {text}")
    head, empty, tail = _split(_run(result, rules, notifications, [_SENTINEL] if kept else []))
    if empty:
        yield head + b"[]" + tail
        return
    yield head
    sep = b"[" + _INDENT
    for _, chunk in kept:
        yield sep + chunk
        sep = b"," + _INDENT
    yield tail


def _split(doc: dict[str, Any]) -> tuple[bytes, bool, bytes]:
    """The indented log before and after its results (``True`` when it has none)."""
    text = msgspec.json.format(msgspec.json.encode(doc), indent=2) + b"\n"
    marker = msgspec.json.encode(_SENTINEL)
    at = text.find(marker)
    if at < 0:
        at = text.index(b'"results": []') + len(b'"results": ')
        return text[:at], True, text[at + 2:]
    start = text.rindex(b"[", 0, at)
    end = text.index(b"]", at + len(marker))
    return text[:start], False, b"\n      ]" + text[end + 1:]


def render_sarif(result: ScanResult, ctx: ReportContext | None = None) -> str:
    """Render the SARIF 2.1.0 log (2-space indented JSON, deterministic order)."""
    return b"".join(iter_sarif(result, ctx)).decode("utf-8")
