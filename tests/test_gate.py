"""The one gate: status x enforcement x --fail-on x waivers x --soft-fail."""

from __future__ import annotations

import pytest
from conftest import AS_OF, EXAMPLE_PLAN

from sovpolicy.cli import main
from sovpolicy.gate import Gate, blocks
from sovpolicy.model import Enforcement, Severity, Status

S, H, A = Enforcement.SOFT_MANDATORY, Enforcement.HARD_MANDATORY, Enforcement.ADVISORY


@pytest.mark.parametrize(("status", "enforcement", "severity", "gate", "warn", "want"), [
    (Status.FAIL, S, Severity.HIGH, Gate(), False, True),
    (Status.UNKNOWN, H, Severity.CRITICAL, Gate(), False, True),
    (Status.PASS, H, Severity.CRITICAL, Gate(), False, False),
    (Status.WAIVED, S, Severity.HIGH, Gate(), False, False),
    (Status.FAIL, A, Severity.CRITICAL, Gate(), False, False),
    (Status.UNKNOWN, S, Severity.HIGH, Gate(), True, False),   # unresolved: warn
    (Status.FAIL, S, Severity.HIGH, Gate(), True, True),        # warn concerns unknowns only
    (Status.FAIL, S, Severity.HIGH, Gate(fail_on=Severity.CRITICAL), False, False),
    (Status.FAIL, H, Severity.CRITICAL, Gate(fail_on=Severity.CRITICAL), False, True),
    (Status.FAIL, S, Severity.HIGH, Gate(soft_fail=True), False, True),  # soft-fail keeps the verdict
])
def test_blocks(status, enforcement, severity, gate, warn, want):
    assert blocks(status, enforcement, severity, gate, unresolved_warn=warn) is want


def test_soft_fail_reports_blocking_but_exits_0(capsys):
    assert main(["scan", str(EXAMPLE_PLAN), "--soft-fail", "--as-of", AS_OF.isoformat(), "--no-cache"]) == 0
    assert "BLOCKING aws_s3_bucket.analytics_exports" in capsys.readouterr().out


def test_hard_mandatory_cannot_be_lowered_by_the_project(tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_bytes(EXAMPLE_PLAN.read_bytes())
    (tmp_path / ".sovpolicy.yaml").write_text("packs: [hds]\nenforcement:\n  SOV-HDS-004: soft-mandatory\n  SOV-HDS-002: advisory\n")
    assert main(["scan", str(plan), "--no-cache"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{tmp_path / '.sovpolicy.yaml'}:4" in err[0] and "SOV-HDS-002 is hard-mandatory" in err[0]
    # raising an advisory policy is fine
    (tmp_path / ".sovpolicy.yaml").write_text("packs: [hds]\nenforcement:\n  SOV-HDS-004: soft-mandatory\n")
    assert main(["scan", str(plan), "--no-cache", "--as-of", AS_OF.isoformat()]) == 1
