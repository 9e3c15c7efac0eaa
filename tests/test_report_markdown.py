"""Markdown pull-request comment: verdict, summary table, chains, details, and the size limit."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from conftest import variant

from sovpolicy.model import Problem, Status
from sovpolicy.report.markdown import MAX_BYTES, render_markdown

# Reports are checked on the pinned packs and catalog (tests/data/pinned/README.md).
pytestmark = pytest.mark.usefixtures("pinned")

MORE = re.compile(r"… (\d+) more findings? not shown \(see the full report\)")
ROW = re.compile(r"^\| (fail|unknown|waived|pass) \|", re.M)
VERDICT = re.compile(r"^\*\*(❌|❓) (FAIL|UNKNOWN) ", re.M)


def shown(text: str) -> int:
    return len(VERDICT.findall(text)) + len(ROW.findall(text))


def multiply(result, copies: int, status: Status | None = None):
    """``result`` with each finding repeated on ``copies`` generated resources (``name[i]``)."""
    findings, resources = [], []
    for i in range(copies):
        for f in result.findings:
            res = replace(f.resource, address=f"{f.address}[{i}]")
            changes = {"status": status, "blocking": False} if status else {}
            findings.append(replace(f, address=res.address, resource=res, **changes))
            resources.append(res)
    findings.sort(key=lambda f: (f.policy_id, f.address))
    unique = list({r.address: r for r in resources}.values())
    return replace(result, findings=tuple(findings), resources=tuple(unique),
                   hosts={r.key: result.hosts.get((r.input, r.address.rsplit("[", 1)[0])) for r in unique})


def test_example_comment(example_result):
    md = render_markdown(example_result)
    assert md.startswith("## ❌ sovpolicy: 5 blocking findings\n")
    assert "| 5 | 4 | 0 | 0 | 11 |" in md
    block = md.split("#### `aws_s3_bucket.analytics_exports` (health, personal, sensitive)")[1].split("#### ")[0]
    assert "1. holds health data: tag data_classification=health" in block
    assert "3. us-east-1 (US East (N. Virginia)) is in United States, outside the EEA [1]" in block
    assert "**❌ FAIL SOV-HDS-002**" in block and "- United States (US) is not in the EEA [" in block
    assert "<details><summary>15 other findings: 4 failed and 0 unknown (not blocking), 0 waived, 11 passed</summary>" in md
    assert shown(md) == len(example_result.findings) and not MORE.search(md)
    assert "<details><summary>Sources</summary>" in md and "https://www.gdprsummary.com/gdpr-definitions/european-economic-area/" in md


def test_title_says_nothing_blocking_or_incomplete(example_result):
    passed = variant(example_result, status=Status.PASS)
    assert render_markdown(passed).startswith("## ✅ sovpolicy: nothing blocking\n")
    md = render_markdown(replace(passed, problems=(Problem("plan-errored", "partial plan", "plan.json"),)))
    assert md.startswith("## ⚠️ sovpolicy: incomplete scan") and "- plan-errored: partial plan (`plan.json`)" in md


def test_text_is_escaped(example_result):
    nasty = variant(example_result, address='aws_s3_bucket.x["a|b"]', blocking=False)
    f = nasty.findings[0]
    nasty = replace(nasty, findings=(replace(f, message="<script>alert(1)</script> *bold* [link](x)"),))
    md = render_markdown(nasty)
    assert "\\<script\\>" in md and "\\*bold\\*" in md and "\\[link\\](x)" in md
    assert '`aws_s3_bucket.x["a\\|b"]`' in md  # a pipe would split the table cell


def test_large_plan_stays_under_the_comment_limit_and_says_what_it_left_out(example_result):
    big = multiply(example_result, 250)  # 5,000 findings, 1,250 of them blocking
    assert (len(big.findings), len(big.blocking)) == (5000, 1250)
    md = render_markdown(big)
    assert len(md.encode("utf-8")) <= MAX_BYTES
    (count,) = MORE.findall(md)
    assert int(count) == len(big.findings) - shown(md) > 4000
    assert "<details><summary>" not in md.split("### Blocking findings")[1].split("<details><summary>Sources")[0]


def test_truncation_inside_the_details_table_closes_it(example_result):
    passes = multiply(example_result, 400, Status.PASS)  # 8,000 passing findings
    big = replace(passes, findings=example_result.findings + passes.findings,
                  resources=example_result.resources + passes.resources)
    md = render_markdown(big)
    assert len(md.encode("utf-8")) <= MAX_BYTES
    assert len(VERDICT.findall(md)) == 5  # every blocking finding fits
    (count,) = MORE.findall(md)
    assert int(count) == len(big.findings) - shown(md) > 0
    table = md.split("<details><summary>", 1)[1]
    assert "\n</details>" in table.split("<details><summary>Sources")[0]


def test_tiny_limit_still_counts(example_result):
    md = render_markdown(example_result, max_bytes=6000)
    assert len(md.encode("utf-8")) <= 6000
    (count,) = MORE.findall(md)
    assert int(count) + shown(md) == len(example_result.findings)


def test_many_warnings_are_counted_not_listed(example_result):
    noisy = replace(example_result, warnings=tuple(f"waiver at w.yaml:{i} matches no finding" for i in range(5000)))
    md = render_markdown(noisy)
    assert len(md.encode("utf-8")) <= MAX_BYTES and md.count("matches no finding") == 20
    assert "- … 4980 more warnings not shown (see the full report)" in md
    assert shown(md) == len(example_result.findings)

