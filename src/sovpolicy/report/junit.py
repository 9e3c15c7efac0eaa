"""JUnit XML for CI test-report views (GitLab merge-request widget, Jenkins, Azure Pipelines).

``<testsuites>`` holds one ``<testsuite>`` per policy pack (sorted by name) and, when the
scan is incomplete, a ``sovpolicy.problems`` suite with one ``<error>`` per problem. A
``<testcase>`` is one policy on one resource: ``classname`` is ``<pack>.<policy id>``,
``name`` the resource address, ``file`` the input. Blocking FAIL and UNKNOWN findings
have a ``<failure>`` (message, then the chain of reasons and the fix); WAIVED ones are
``<skipped>`` with the waiver (where, until when, why, under which decision); PASS and non-blocking findings pass, the latter
with their message in ``<system-out>``. Each testcase has ``<properties>`` with severity,
enforcement, status and blocking. Times are 0: a policy check has no duration worth
reporting, and real durations would make the output non-deterministic.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..model import Finding, ScanResult, Status
from .common import finding_location, squash

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry at all (escaping is ElementTree's job)."""
    return _XML_INVALID.sub("", text)


def _properties(parent: ET.Element, props: dict[str, str]) -> None:
    el = ET.SubElement(parent, "properties")
    for name, value in props.items():
        ET.SubElement(el, "property", name=name, value=_x(value))


def _details(f: Finding) -> str:
    lines = [f.message, "", *(f"- {r.text}" for r in f.reasons)]
    if f.remediation:
        lines += ["", f"Fix: {squash(f.remediation)}"]
    return _x("\n".join(lines))


def _testcase(suite: ET.Element, f: Finding) -> None:
    path, line = finding_location(f)
    attrs = {"classname": f"{f.pack}.{f.policy_id}", "name": _x(f.subject), "time": "0"}
    if path:
        attrs["file"] = _x(path)
    if line:
        attrs["line"] = str(line)
    case = ET.SubElement(suite, "testcase", attrs)
    _properties(case, {"severity": f.severity.value, "enforcement": f.enforcement.value,
                       "status": f.status.value, "blocking": str(f.blocking).lower()})
    if f.status is Status.WAIVED:
        ET.SubElement(case, "skipped", message=_x(f.waiver.describe() if f.waiver else "waived"))
    elif f.blocking:
        failure = ET.SubElement(case, "failure", message=_x(f.message), type=f.status.value)
        failure.text = _details(f)
    elif f.status is not Status.PASS:
        ET.SubElement(case, "system-out").text = _details(f)


def _counts(findings: list[Finding]) -> dict[str, str]:
    failures = sum(1 for f in findings if f.blocking)  # a waived finding never blocks
    skipped = sum(1 for f in findings if f.status is Status.WAIVED)
    return {"tests": str(len(findings)), "failures": str(failures), "errors": "0", "skipped": str(skipped), "time": "0"}


def render_junit(result: ScanResult) -> str:
    """Render the JUnit XML report (UTF-8, 2-space indented, deterministic order)."""
    packs: dict[str, list[Finding]] = {}
    for f in result.findings:
        packs.setdefault(f.pack, []).append(f)
    root = ET.Element("testsuites", name="sovpolicy")
    for pack in sorted(packs):
        suite = ET.SubElement(root, "testsuite", {"name": pack, **_counts(packs[pack])})
        _properties(suite, {"sovpolicy.version": result.tool_version, "catalog.version": result.catalog_version,
                            "catalog.as_of": result.catalog_as_of.isoformat(), "as_of": result.as_of.isoformat()})
        for f in packs[pack]:
            _testcase(suite, f)
    if result.problems:
        n = str(len(result.problems))
        suite = ET.SubElement(root, "testsuite", name="sovpolicy.problems", tests=n, failures="0", errors=n,
                              skipped="0", time="0")
        for i, p in enumerate(result.problems, 1):
            case = ET.SubElement(suite, "testcase", classname="sovpolicy.problems", name=_x(f"{i}: {p.kind}"), time="0")
            ET.SubElement(case, "error", message=_x(p.message), type=p.kind).text = _x(p.where or "")
    if result.notes:  # what the scan wants read (a pack that applies to nothing...): no test, its text in system-out
        suite = ET.SubElement(root, "testsuite", name="sovpolicy.notes", tests="0", failures="0", errors="0",
                              skipped="0", time="0")
        ET.SubElement(suite, "system-out").text = _x("\n".join(result.notes))
    totals = {k: sum(int(s.get(k, "0")) for s in root) for k in ("tests", "failures", "errors", "skipped")}
    root.attrib.update({k: str(v) for k, v in totals.items()}, time="0")
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
