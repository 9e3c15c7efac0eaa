"""Shared fixtures: paths to the project's fixtures and to ../shared/corpus (CI has it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
EXAMPLE_PLAN = ROOT / "examples" / "hospital" / "plan.json"
CORPUS = ROOT.parent / "shared" / "corpus"
AS_OF = dt.date(2026, 11, 30)


def corpus_dir(name: str) -> Path:
    """A corpus folder, or skip with the reason when ../shared is not beside the checkout."""
    path = CORPUS / name
    if not path.is_dir():
        pytest.skip(f"{path} not present: the shared corpus is only beside CI and developer checkouts")
    return path


@pytest.fixture(scope="session")
def catalog():
    from sovpolicy.catalog import load_catalog

    return load_catalog(validate=True)
