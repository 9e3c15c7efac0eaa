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
