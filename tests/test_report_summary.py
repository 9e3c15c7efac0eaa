"""The summary format: counts per policy, pack, cloud, region and input for dashboards."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import FIXTURES, ROOT

from sovpolicy.cli import main

AS_OF = ["--as-of", "2026-11-30"]

# Counts are checked on the pinned packs and catalog (tests/data/pinned/README.md).
pytestmark = pytest.mark.usefixtures("pinned")


def test_summary_counts_match_the_full_report_and_place_copies_at_their_destination(tmp_path, capsys):
    plan = FIXTURES / "plans" / "s3-replication" / "plan.json"
    full, summary = tmp_path / "full.json", tmp_path / "summary.json"
    code = main(["scan", str(plan), "--pack", "hds", *AS_OF, "--format", f"json:{full}", "--format", f"summary:{summary}"])
    capsys.readouterr()
    report, s = json.loads(full.read_text()), json.loads(summary.read_text())
    assert code == 1 == s["totals"]["exit_code"]
    assert s["totals"] == {**report["summary"], "findings": 32, "problems": 0}
    placed = {(r["input"], r["address"]): r["placement"] for r in report["resources"]}
    where: Counter = Counter()
    for f in report["findings"]:
        to = f["flow"]["to"] if f["flow"] else placed[(f["input"], f["address"])]
        where[(to["cloud"], to["region"], f["status"])] += 1
    rows = {(r["cloud"], r["region"]): r for r in s["by_region"]}
    for (cloud, region, status), n in where.items():
        assert rows[(cloud, region)][{"fail": "failed", "pass": "passed"}.get(status, status)] == n
    # the replica bucket's copies land in us-east-1; four unresolved destinations (the
    # replication of a bucket whose destination is not known) are counted under null
    assert rows[("aws", "us-east-1")] == {"cloud": "aws", "region": "us-east-1", "resources": 1, "blocking": 2,
                                          "failed": 4, "unknown": 0, "waived": 0, "passed": 4}
    assert rows[("aws", None)]["resources"] == 0 and rows[("aws", None)]["unknown"] == 8
    assert sum(r["resources"] for r in s["by_region"]) == len(report["resources"]) == 6
    assert [p["pack"] for p in s["by_pack"]] == ["hds"]
    by_policy = {p["policy_id"]: p for p in s["by_policy"]}
    assert sum(p["blocking"] for p in by_policy.values()) == report["summary"]["blocking"] == 8
    assert by_policy["SOV-HDS-002"]["severity"] == "critical"
    assert s["by_input"] == [{"input": str(plan), "resources": 6, "blocking": 8, "failed": 8, "unknown": 8,
                              "waived": 0, "passed": 16}]


@pytest.mark.slow
def test_a_scan_over_the_upload_limit_says_on_the_terminal_what_sarif_left_out(tmp_path, capsys):
    import gzip
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import gen_plan
    finally:
        sys.path.pop(0)
    plan = tmp_path / "plan.json"
    gen_plan.generate(25_000, str(plan), 0)  # about 26,800 results on the pinned catalog
    sarif, full = tmp_path / "out.sarif", tmp_path / "full.json"
    code = main(["scan", str(plan), *AS_OF, "--format", f"sarif:{sarif}", "--format", f"json:{full}",
                 "--format", "summary"])
    out, err = capsys.readouterr()
    totals = json.loads(out)["totals"]
    reported = totals["failed"] + totals["unknown"] + totals["waived"]
    assert code == 1 and reported > 25_000
    log = json.loads(sarif.read_text())
    kept = len(log["runs"][0]["results"])
    assert kept == 25_000 and len(gzip.compress(sarif.read_bytes(), 1)) <= 7_500_000
    line = (f"sovpolicy: sarif report {sarif}: SARIF: {reported - kept} of {reported} results left out")
    assert err.startswith(line) and f"the full report is {full}" in err and err.count("\n") == 1
    (note,) = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert err.split("SARIF: ", 1)[1].strip() == note["message"]["text"]
    assert len(json.loads(full.read_text())["findings"]) == totals["findings"]
