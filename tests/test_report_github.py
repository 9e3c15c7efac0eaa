"""GitHub Actions workflow commands: one annotation per failing finding, escaped as the toolkit does."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import variant

from sovpolicy.model import Location, Problem, Status
from sovpolicy.report.github import command, escape_data, escape_property, render_github

# Reports are checked on the pinned packs and catalog (tests/data/pinned/README.md).
pytestmark = pytest.mark.usefixtures("pinned")


def test_escaping_follows_the_actions_toolkit():
    assert escape_data("100%\r\nnext: a, b") == "100%25%0D%0Anext: a, b"
    assert escape_property("100%\r\nnext: a, b") == "100%25%0D%0Anext%3A a%2C b"
    assert command("error", "m", file="a,b.json", line=None, title="x: y") == "::error file=a%2Cb.json,title=x%3A y::m"


def test_example_blocking_findings_are_errors(example_result):
    lines = render_github(example_result).splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 5
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(warnings) == 4 and all("SOV-HDS-004 (medium%2C not blocking)" in line for line in warnings)  # advisory
    eea = next(line for line in errors if "SOV-HDS-002" in line)
    assert eea.startswith("::error file=examples/hospital/plan.json,title=SOV-HDS-002 (critical%2C blocking)%3A Health data")
    assert "::aws_s3_bucket.analytics_exports (health) in aws us-east-1" in eea
    assert "%0A- United States (US) is not in the EEA%0AFix: Choose a region" in eea
    assert ",line=" not in eea  # plan JSON has no line worth pointing at
    assert lines[-1].startswith("sovpolicy: 5 resources, 4 classified; 20 findings: 5 blocking")


def test_non_blocking_is_a_warning_with_file_and_line(example_result):
    hcl = variant(example_result, location=Location("infra/main.tf", 12), blocking=False)
    (first, _) = render_github(hcl).splitlines()
    assert first.startswith("::warning file=infra/main.tf,line=12,title=SOV-EXT-001 (high%2C not blocking)%3A ")


def test_passed_and_waived_give_no_annotation_and_problems_warn(example_result):
    for status in (Status.PASS, Status.WAIVED):
        assert render_github(variant(example_result, status=status)).startswith("sovpolicy: ")
    broken = replace(variant(example_result, status=Status.PASS), problems=(Problem("plan-errored", "partial", "p.json"),))
    assert render_github(broken).startswith("::warning title=sovpolicy%3A incomplete scan::plan-errored: partial (p.json)\n")


def test_a_message_cannot_start_a_new_command(example_result):
    f = example_result.findings[0]
    evil = replace(example_result, findings=(replace(f, message="x\n::error::forged\r\n::add-mask::y"),))
    lines = render_github(evil).splitlines()
    assert sum(1 for line in lines if line.startswith("::")) == 1 and "%0A::error::forged%0D%0A::add-mask::y" in lines[0]
