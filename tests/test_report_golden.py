"""Golden files: every report format of the example plan, byte for byte.

The goldens under ``tests/data/golden/`` are the reviewed output of scanning
``examples/hospital/plan.json`` with every pack on 2026-11-30 (OSCAL with a fixed
``generated_at``). After an intended change, regenerate them with
``scripts/update_goldens.sh`` (it sets ``SOVPOLICY_UPDATE_GOLDEN=1``) and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import GENERATED_AT

from sovpolicy.report import FORMATS, renderer
from sovpolicy.report.oscal import render_oscal

# Reports are checked on the pinned packs and catalog (tests/data/pinned/README.md).
pytestmark = pytest.mark.usefixtures("pinned")

GOLDEN = Path(__file__).parent / "data" / "golden"
UPDATE = os.environ.get("SOVPOLICY_UPDATE_GOLDEN") == "1"
EXTENSIONS = {"text": "txt", "json": "json", "sarif": "sarif", "junit": "xml", "markdown": "md", "github": "log",
              "summary": "summary.json"}


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run scripts/update_goldens.sh"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden: review, then run scripts/update_goldens.sh"


def test_every_format_has_a_golden():
    assert set(EXTENSIONS) == set(FORMATS)


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_format_matches_golden(example_result, fmt):
    text = renderer(fmt)(example_result)
    _check(f"hospital.{EXTENSIONS[fmt]}", text)
    assert text == renderer(fmt)(example_result)  # deterministic within a run too


def test_oscal_matches_golden(example_result):
    _check("hospital.assessment-results.json", render_oscal(example_result, GENERATED_AT))
