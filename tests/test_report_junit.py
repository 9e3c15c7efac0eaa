"""JUnit XML, read back with junitparser as a CI server would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from conftest import variant, waiver
from junitparser import Error, Failure, JUnitXml, Skipped

from sovpolicy.model import Problem, Status
from sovpolicy.report.junit import render_junit

# Reports are checked on the pinned packs and catalog (tests/data/pinned/README.md).
pytestmark = pytest.mark.usefixtures("pinned")


def parse(result):
    return JUnitXml.fromstring(render_junit(result).encode("utf-8"))


def props(case) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in case._elem.iter("property")}


def test_example_one_suite_per_pack_one_case_per_policy_and_resource(example_result):
    xml = parse(example_result)
    suites = {s.name: s for s in xml}
    assert set(suites) == {"extraterritorial", "hds"}
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (20, 5, 0, 0)
    hds = suites["hds"]
    assert (hds.tests, hds.failures) == (16, 1)  # HDS-002 in Virginia; HDS-001/003 pass on AWS's named HDS regions
    assert {p.name: p.value for p in hds.properties()}["as_of"] == "2026-11-30"
    cases = {(c.classname, c.name): c for c in hds}
    exports = cases[("hds.SOV-HDS-002", "aws_s3_bucket.analytics_exports")]
    (failure,) = exports.result
    assert isinstance(failure, Failure) and failure.type == "fail"
    assert "SOV-HDS-002 failed: United States (US) is not in the EEA" in failure.message
    assert "- region aws us-east-1 from a literal in its provider configuration" in failure.text
    assert "Fix: Choose a region located in an EEA country" in failure.text
    assert props(exports) == {"severity": "critical", "enforcement": "hard-mandatory", "status": "fail", "blocking": "true"}
    paris = cases[("hds.SOV-HDS-002", "aws_s3_bucket.patient_records")]
    assert paris.is_passed and paris.result == []


def test_waived_is_skipped_with_its_reason(example_result):
    waived = variant(example_result, status=Status.WAIVED, waiver=waiver(reason="ARS decision 42"))
    (case,) = list(next(iter(parse(waived))))
    (skipped,) = case.result
    assert isinstance(skipped, Skipped) and skipped.message == "waived at main.tf:41 until 2027-06-30: ARS decision 42"
    assert parse(waived).skipped == 1


def test_non_blocking_failure_passes_with_its_message(example_result):
    advisory = variant(example_result, blocking=False)
    (case,) = list(next(iter(parse(advisory))))
    assert case.is_passed and "SOV-EXT-001 failed" in case.system_out
    assert props(case)["blocking"] == "false"


def test_problems_are_errors_and_invalid_xml_characters_are_dropped(example_result):
    broken = replace(example_result, problems=(Problem("plan-errored", "bad\x01 plan", "plan.json"),))
    xml = parse(broken)
    suite = next(s for s in xml if s.name == "sovpolicy.problems")
    (case,) = list(suite)
    (error,) = case.result
    assert isinstance(error, Error) and error.message == "bad plan" and xml.errors == 1
    ET.fromstring(render_junit(broken))  # well-formed
