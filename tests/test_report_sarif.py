"""SARIF 2.1.0: schema-valid, one rule per policy, one result per FAIL/UNKNOWN/WAIVED finding."""

from __future__ import annotations

import json
import os

import pytest
from conftest import ROOT, variant, waiver
from schema_check import errors, sarif_validator

from sovpolicy.model import Location, Problem, Severity, Status
from sovpolicy.report.sarif import SECURITY_SEVERITY, render_sarif

# Reports are checked on the pinned packs and catalog (tests/data/pinned/README.md).
pytestmark = pytest.mark.usefixtures("pinned")


def sarif(result):
    log = json.loads(render_sarif(result))
    assert errors(sarif_validator(), log) == []
    return log


def test_example_is_schema_valid_with_rules_and_results(example_result):
    log = sarif(example_result)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["SOV-EXT-001", "SOV-HDS-001", "SOV-HDS-002", "SOV-HDS-003", "SOV-HDS-004"]
    hds = rules[1]
    assert hds["name"] == "HealthDataIsHostedByAnHdsCertifiedHostWhoseCertificateCoversTheRegion"
    assert hds["shortDescription"]["text"].startswith("Health data is hosted by an HDS-certified host")
    assert "L.1111-8" in hds["fullDescription"]["text"]
    assert "**Remediation:**" in hds["help"]["markdown"] and "legifrance.gouv.fr" in hds["help"]["markdown"]
    assert hds["properties"]["security-severity"] == "9.5" and "hds" in hds["properties"]["tags"]
    assert rules[0]["properties"]["security-severity"] == "8.0"  # SOV-EXT-001 is high
    results = run["results"]
    assert len(results) == 9  # 9 fail; the 11 passes are counted, not reported
    levels = {(r["ruleId"], r["level"]) for r in results}
    assert ("SOV-HDS-004", "warning") in levels and ("SOV-HDS-004", "error") not in levels  # advisory
    assert sum(1 for r in results if r["level"] == "error") == 5
    assert rules[4]["defaultConfiguration"]["level"] == "warning"
    assert all(r["ruleId"] == rules[r["ruleIndex"]]["id"] for r in results)
    first = results[0]["locations"][0]
    assert first["physicalLocation"] == {"artifactLocation": {"uri": "examples/hospital/plan.json", "uriBaseId": "%SRCROOT%"}}
    assert first["logicalLocations"] == [{"fullyQualifiedName": "aws_db_instance.ehr", "kind": "resource"}]
    assert run["properties"]["summary"]["blocking"] == 5


def test_security_severity_covers_every_severity():
    assert set(SECURITY_SEVERITY) == set(Severity)
    assert [float(SECURITY_SEVERITY[s]) for s in Severity] == sorted(float(v) for v in SECURITY_SEVERITY.values())


def test_waived_finding_is_a_suppressed_result(example_result):
    w = waiver(decision="ARS-2026-042", approved_by="DPO")
    log = sarif(variant(example_result, status=Status.WAIVED, waiver=w))
    (result,) = log["runs"][0]["results"]
    (sup,) = result["suppressions"]
    assert sup["kind"] == "inSource" and sup["status"] == "accepted"
    assert sup["justification"] == ("waived at main.tf:41 until 2027-06-30: ARS authorisation 2026-042 for the migration "
                                    "period; approved by DPO; decision ARS-2026-042")
    assert sup["location"]["physicalLocation"] == {"artifactLocation": {"uri": "main.tf", "uriBaseId": "%SRCROOT%"},
                                                   "region": {"startLine": 41}}
    assert result["level"] == "warning" and result["properties"]["status"] == "waived"


def test_waiver_from_configuration_is_external(example_result):
    w = waiver(origin=".sovpolicy.yaml:12")
    (result,) = sarif(variant(example_result, status=Status.WAIVED, waiver=w))["runs"][0]["results"]
    assert result["suppressions"][0]["kind"] == "external"


def test_hcl_location_gives_a_region_and_non_blocking_is_a_warning(example_result):
    log = sarif(variant(example_result, location=Location("modules/ehr/main.tf", 17), blocking=False))
    (result,) = log["runs"][0]["results"]
    assert result["level"] == "warning"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "modules/ehr/main.tf", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 17}}


def test_absolute_paths_are_relative_to_the_current_directory_when_below_it(example_result, monkeypatch, tmp_path):
    inside = variant(example_result, location=Location(str(ROOT / "examples" / "hospital" / "plan.json")))
    monkeypatch.chdir(ROOT)
    uri = sarif(inside)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "examples/hospital/plan.json", "uriBaseId": "%SRCROOT%"}
    monkeypatch.chdir(tmp_path)
    uri = sarif(inside)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "file://" + (ROOT / "examples" / "hospital" / "plan.json").as_posix()}
    assert os.getcwd() == str(tmp_path)


def test_problems_are_tool_notifications(example_result):
    from dataclasses import replace

    log = sarif(replace(example_result, problems=(Problem("plan-errored", "Terraform reported errors", "plan.json"),)))
    (inv,) = log["runs"][0]["invocations"]
    assert inv["toolExecutionNotifications"][0]["message"]["text"] == "plan-errored: Terraform reported errors (plan.json)"


def test_passing_only_scan_has_rules_and_no_results(example_result):
    passed = variant(example_result, status=Status.PASS)
    log = sarif(passed)
    assert log["runs"][0]["results"] == [] and len(log["runs"][0]["tool"]["driver"]["rules"]) == 1


def test_the_validator_is_not_vacuous(example_result):
    log = json.loads(render_sarif(example_result))
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    assert len(errors(sarif_validator(), log)) == 2


# --- reports that fit GitHub code scanning (issue 14) ---------------------------------------

def _generated(result, n, message=None):
    """A scan of ``n`` findings made from the example's real ones: each resource copied
    under a new address, statuses, severities and blocking as the originals."""
    from dataclasses import replace

    findings, resources = [], []
    base = [f for f in result.findings if f.status in (Status.FAIL, Status.UNKNOWN)]
    for i in range(n):
        f = base[i % len(base)]
        res = replace(f.resource, address=f"{f.resource.address}_{i:05d}")
        resources.append(res)
        findings.append(replace(f, resource=res, address=res.address, message=message(i) if message else f.message))
    return replace(result, findings=tuple(findings), resources=tuple(resources))


def _rank(r):
    return (r["level"] != "error", -float(r["properties"]["security-severity"]), r["properties"]["status"] != "fail")


@pytest.mark.slow
def test_a_30000_finding_scan_is_cut_to_the_upload_limits_most_severe_first(example_result):
    import gzip

    from sovpolicy.report import ReportContext
    from sovpolicy.report import uploadlimits as limits

    big = _generated(example_result, 30_000)
    ctx = ReportContext(full_report="out/sovpolicy.json")
    text = render_sarif(big, ctx)
    log = json.loads(text)
    run = log["runs"][0]
    results = run["results"]
    assert len(results) == 25_000 == limits.RESULTS_PER_RUN
    assert len(gzip.compress(text.encode(), 1)) <= limits.GZIP_BUDGET
    severity = {r["id"]: r["properties"]["security-severity"] for r in run["tool"]["driver"]["rules"]}
    for r in results:
        r["properties"]["security-severity"] = severity[r["ruleId"]]
    ranks = [_rank(r) for r in results]
    assert ranks == sorted(ranks)  # most severe first
    kept = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] + r["ruleId"] for r in results}
    left = [f for f in big.findings if f.address + f.policy_id not in kept]
    assert len(left) == 5_000
    worst_left = min((not f.blocking, -f.severity.rank) for f in left)
    assert all((r["level"] != "error", -float(r["properties"]["security-severity"])) <= worst_left for r in results)
    blocking_left = sum(1 for f in left if f.blocking)
    (note,) = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert note.startswith(f"5000 of 30000 results left out ({blocking_left} of them blocking)")
    assert "the full report is out/sovpolicy.json" in note and limits.DOCS in note
    assert ctx.notices == [f"SARIF: {note}"]
    assert len(run["tool"]["driver"]["rules"]) <= limits.RULES_PER_RUN and len(log["runs"]) <= limits.RUNS_PER_FILE
    assert all(len(r["locations"]) <= limits.LOCATIONS_PER_RESULT for r in results)
    assert all(len(r["properties"]["tags"]) <= limits.TAGS_PER_RULE for r in run["tool"]["driver"]["rules"])
    run["results"] = results[:50]
    assert errors(sarif_validator(), log) == []


@pytest.mark.slow
def test_results_are_cut_at_the_gzip_budget(example_result):
    import gzip
    import random

    from sovpolicy.report import ReportContext
    from sovpolicy.report import uploadlimits as limits

    rng = random.Random(14)  # incompressible messages: 8,000 x 1.6 KB of random hex is ~ 6.6 MB of gzip at best
    big = _generated(example_result, 8_000, message=lambda i: rng.randbytes(800).hex())
    ctx = ReportContext()
    data = render_sarif(big, ctx).encode()
    packed = len(gzip.compress(data, 1))
    assert packed <= limits.GZIP_BUDGET and len(gzip.compress(data, 9)) <= limits.GZIP_BUDGET
    kept = len(json.loads(data)["runs"][0]["results"])
    assert 4_000 < kept < 8_000 and packed > limits.GZIP_BUDGET * 0.9  # cut by size, near the budget
    assert ctx.notices[0].startswith(f"SARIF: {8_000 - kept} of 8000 results left out")
    assert "write the full report with --format json:FILE" in ctx.notices[0]


def test_a_scan_that_fits_keeps_finding_order_and_says_nothing(example_result):
    from sovpolicy.report import ReportContext

    ctx = ReportContext()
    log = json.loads(render_sarif(example_result, ctx))
    assert ctx.notices == [] and "toolExecutionNotifications" not in log["runs"][0]["invocations"][0]
    addresses = [r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in log["runs"][0]["results"]]
    assert addresses == [f.address for f in example_result.findings if f.status is not Status.PASS]
