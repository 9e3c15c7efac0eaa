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


#: frozen copies of the shipped packs and catalog for the report tests (see tests/data/pinned/README.md)
PINNED = Path(__file__).parent / "data" / "pinned"
PINNED_ENV = {"SOVPOLICY_BUILTIN_POLICIES": str(PINNED / "policies"), "SOVPOLICY_BUILTIN_CATALOG": str(PINNED / "catalog")}


@pytest.fixture
def pinned(monkeypatch):
    """Run on the pinned packs and catalog: what a test asserts about reports then does not
    move when a policy is added to a shipped pack or a fact to the catalog."""
    for k, v in PINNED_ENV.items():
        monkeypatch.setenv(k, v)


@pytest.fixture(scope="session")
def catalog():
    from sovpolicy.catalog import load_catalog

    return load_catalog(validate=True)


#: the clock the evidence and OSCAL goldens are written with
GENERATED_AT = dt.datetime(2026, 11, 30, 12, 0, 0, tzinfo=dt.timezone.utc)
#: the example plan as the goldens name it (relative to the checkout)
EXAMPLE_REL = "examples/hospital/plan.json"


@pytest.fixture(scope="session")
def pinned_catalog():
    """The pinned catalog (tests/data/pinned/catalog), loaded as the built-in one."""
    import os

    from sovpolicy.catalog import load_catalog

    saved = os.environ.get("SOVPOLICY_BUILTIN_CATALOG")
    os.environ["SOVPOLICY_BUILTIN_CATALOG"] = PINNED_ENV["SOVPOLICY_BUILTIN_CATALOG"]
    try:
        return load_catalog()
    finally:
        if saved is None:
            os.environ.pop("SOVPOLICY_BUILTIN_CATALOG")
        else:
            os.environ["SOVPOLICY_BUILTIN_CATALOG"] = saved


@pytest.fixture(scope="session")
def example_scan(pinned_catalog):
    """``(result, policies)``: the example plan scanned with every pack on AS_OF, no project config.

    The input is passed relative to the checkout, as a CI job would, so the reports name it
    ``examples/hospital/plan.json`` wherever pytest runs from.
    """
    import os

    from sovpolicy.config import load_config
    from sovpolicy.pipeline import scan
    from sovpolicy.policy import load_packs
    from sovpolicy.sources.registry import file_sources

    saved = {k: os.environ.get(k) for k in PINNED_ENV}
    os.environ.update(PINNED_ENV)
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        policies = load_packs(None)
        result = scan(file_sources([Path(EXAMPLE_REL)]), load_config(None), pinned_catalog, policies, AS_OF)
    finally:
        os.chdir(here)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return result, policies


@pytest.fixture(scope="session")
def example_result(example_scan):
    """The :class:`ScanResult` of :func:`example_scan`."""
    return example_scan[0]


def variant(result, *, status=None, blocking=None, waiver=None, location=None, address=None, index=0):
    """A copy of ``result`` whose findings are only ``result.findings[index]``, altered as asked.

    Lets report tests build a WAIVED, non-blocking or ``.tf``-located finding from a real
    one without a waivers stage or an HCL reader.
    """
    from dataclasses import replace

    from sovpolicy.model import Status

    f = result.findings[index]
    res = f.resource
    if location is not None or address is not None:
        res = replace(res, location=location or res.location, address=address or res.address)
    changes = {"resource": res, "address": res.address}
    if status is not None:
        changes["status"] = status
        changes["blocking"] = False if status in (Status.WAIVED, Status.PASS) else f.blocking
    if blocking is not None:
        changes["blocking"] = blocking
    if waiver is not None:
        changes["waiver"] = waiver
    return replace(result, findings=(replace(f, **changes),), resources=(res,), hosts={res.address: f.host})


def waiver(origin="main.tf:41", reason="ARS authorisation 2026-042 for the migration period", **fields):
    """A :class:`~sovpolicy.waivers.Waiver` of the first example finding (SOV-EXT-001 on aws_db_instance.ehr)."""
    from sovpolicy.waivers import Waiver

    return Waiver(**{"policy_id": "SOV-EXT-001", "address": "aws_db_instance.ehr", "reason": reason,
                     "expires": dt.date(2027, 6, 30), "origin": origin, **fields})


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """Keep the parse and setup caches of CLI runs out of the user's cache directory."""
    import os

    old = os.environ.get("SOVPOLICY_CACHE_DIR")
    os.environ["SOVPOLICY_CACHE_DIR"] = str(tmp_path_factory.mktemp("sovpolicy-cache"))
    yield
    if old is None:
        os.environ.pop("SOVPOLICY_CACHE_DIR", None)
    else:
        os.environ["SOVPOLICY_CACHE_DIR"] = old
