"""Issue 12: every adversarial reproducer (tests/adversarial_cases.py) run as a real process.

Each case must exit with one of its expected codes, never 4, never hang, and never show
the canary (a value Terraform marks sensitive) in any output, report, evidence bundle,
crash log or variables-file cache. ``bench/adversarial.py`` runs the same cases and counts.

Cases listed in OPEN are known to be wrong still: they are strict xfails, so the day one
is fixed the suite fails until it is taken off the list.
"""

from __future__ import annotations

import os

import pytest
from adversarial_cases import CASES, run_case

#: reproducers not fixed yet (strict xfail: remove a name when its fix lands)
OPEN: frozenset[str] = frozenset()

pytestmark = pytest.mark.slow


def _param(case):
    marks = []
    if case.name in OPEN:
        marks.append(pytest.mark.xfail(strict=True, reason="issue 12: not fixed yet"))
    if case.needs_unprivileged and os.geteuid() == 0:
        marks.append(pytest.mark.skip(reason="runs as root: file permissions do not stop root"))
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_reproducer(case, tmp_path):
    outcome = run_case(case, tmp_path)
    assert outcome.problem is None, f"{outcome.problem}: exit {outcome.code}, expected {sorted(case.expect)}: {outcome.detail}"


def test_case_names_are_unique():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert OPEN <= set(names)
