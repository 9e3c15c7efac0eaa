"""``sovpolicy policies test``: run every policy against its own fixtures.

A policy ``ID`` is tested by ``<fixtures>/<ID>/resources.yaml``::

    as_of: 2026-11-30                 # the scan date (never today's clock)
    adequacy: [CH]                    # optional: countries accepted by residency.adequacy
    resources:
      - {name: pass_azure_paris, type: azurerm_storage_account, cloud: azure, region: francecentral, classes: [health]}
      - {name: unknown_no_region, type: aws_s3_bucket, cloud: aws, region: null, classes: [health]}

and ``<fixtures>/<ID>/expected.yaml`` mapping each name to ``pass``, ``fail`` or
``unknown``, or to ``{status: fail, reason: "text"}`` when the verdict must also give
that reason (a substring of one of the finding's reasons). Names start with the status they expect (``pass_``, ``fail_``,
``unknown_``), and the runner checks that too. An optional ``<fixtures>/<ID>/catalog/``
directory is a catalog override for that policy's cases (e.g. an expired certificate).
A policy without fixtures fails the run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog import Catalog, load_catalog, resolve_host
from ..errors import PolicyError
from ..model import Classification, Origin, Placement, Resource, SourceKind
from ..yamlutil import load_yaml
from .evaluate import evaluate
from .load import Policy

STATUSES = ("pass", "fail", "unknown")


@dataclass(frozen=True)
class CaseResult:
    """One fixture case: the policy, the case name, expected and actual status."""

    policy_id: str
    name: str
    expected: str
    actual: str
    message: str

    @property
    def ok(self) -> bool:
        """True when the policy gave the expected status."""
        return self.expected == self.actual


def fixture_resource(item: dict[str, Any]) -> Resource:
    """A resource from one fixture entry (address ``<type>.<name>``)."""
    region = item.get("region")
    placement = Placement(item["cloud"], region, Origin.PROVIDER if region else Origin.UNRESOLVED,
                          ("fixture",), None if region else "no region in the fixture")
    classes = tuple(Classification(c, "fixture") for c in item.get("classes") or ())
    return Resource(f"{item['type']}.{item['name']}", item["type"], SourceKind.PLAN, placement,
                    tags=item.get("tags") or {}, classifications=classes)


def run_policy_tests(policies: list[Policy], fixtures: Path, base: Catalog) -> tuple[list[CaseResult], list[str]]:
    """Run each policy on its fixture cases.

    Returns:
        The case results and the errors (policy without fixtures, a case whose name
        prefix disagrees with its expected status, a case without an expectation).

    Raises:
        PolicyError: a fixture file that cannot be read.
    """
    results: list[CaseResult] = []
    errors: list[str] = []
    for pol in policies:
        d = fixtures / pol.id
        if not (d / "resources.yaml").is_file() or not (d / "expected.yaml").is_file():
            errors.append(f"{pol.id}: no fixtures ({d}/resources.yaml and expected.yaml)")
            continue
        doc, _ = load_yaml(d / "resources.yaml", PolicyError)
        expected, _ = load_yaml(d / "expected.yaml", PolicyError)
        catalog = load_catalog([d / "catalog"]) if (d / "catalog").is_dir() else base
        as_of = doc.get("as_of")
        if not isinstance(as_of, dt.date):
            errors.append(f"{pol.id}: resources.yaml needs as_of: YYYY-MM-DD")
            continue
        adequacy = frozenset(doc.get("adequacy") or ())
        for item in doc.get("resources") or []:
            name = item["name"]
            want: Any = (expected or {}).get(name)
            reason = None
            if isinstance(want, dict):
                want, reason = want.get("status"), want.get("reason")
            if want not in STATUSES:
                errors.append(f"{pol.id}: case {name} has no expected status in expected.yaml")
                continue
            if not name.startswith(want + "_"):
                errors.append(f"{pol.id}: case {name} expects {want} but its name does not start with {want}_")
            res = fixture_resource(item)
            host = resolve_host(catalog, res.placement, res.type)
            finding = evaluate(pol, res, host, catalog, as_of, adequacy)
            actual = finding.status.value if finding else "not-applicable"
            message = finding.message if finding else "policy does not apply"
            if finding and reason and not any(reason in r.text for r in finding.reasons):
                actual = f"{actual} without the reason {reason!r}"
            results.append(CaseResult(pol.id, name, want, actual, message))
    return results, errors
