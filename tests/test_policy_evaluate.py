"""Policy files: schema from the registry, line-numbered errors, and evaluation edge cases."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT

from sovpolicy.catalog import resolve_host
from sovpolicy.errors import PolicyError
from sovpolicy.model import Classification, Origin, Placement, Resource, SourceKind, Status
from sovpolicy.policy import evaluate, load_packs, load_policy
from sovpolicy.policy.schema import policy_schema

DAY = dt.date(2026, 11, 30)


def health(rtype="aws_s3_bucket", cloud="aws", region="eu-west-3"):
    origin = Origin.PROVIDER if region else Origin.UNRESOLVED
    return Resource(f"{rtype}.x", rtype, SourceKind.PLAN, Placement(cloud, region, origin, reason=None if region else "env"),
                    classifications=(Classification("health", "tag data_classification=health"),))


def verdicts(catalog, res, day=DAY):
    host = resolve_host(catalog, res.placement, res.type)
    return {p.id: (evaluate(p, res, host, catalog, day).status.value) for p in load_packs(None)}


def test_builtin_packs_are_schema_valid():
    from sovpolicy.policy import available_packs

    pols = load_packs(sorted(available_packs()), validate=True)
    shipped = sorted((ROOT / "policies").glob("*/*.yaml"))
    assert sorted(p.id for p in pols) == sorted(f.stem for f in shipped) and len(pols) >= 8


def test_builtin_packs_load():
    pols = load_packs(None)
    assert {(p.pack, p.id) for p in pols} >= {("hds", "SOV-HDS-001"), ("hds", "SOV-HDS-002"), ("extraterritorial", "SOV-EXT-001")}
    assert all(p.references and p.remediation for p in pols)


def test_schema_is_built_from_the_registry():
    names = {next(iter(alt["properties"])) for alt in policy_schema()["properties"]["require"]["items"]["oneOf"]}
    assert names == {"certified", "region_in", "not_exposed_to", "cel"}


@pytest.mark.parametrize(("cloud", "region", "rtype", "expected"), [
    # AWS names its HDS regions (24 of the 27 of its 2024-referential certificate): Paris passes, Virginia is outside the EEA.
    ("aws", "eu-west-3", "aws_s3_bucket", {"SOV-HDS-001": "pass", "SOV-HDS-002": "pass", "SOV-HDS-003": "pass", "SOV-EXT-001": "fail"}),
    ("aws", "us-east-1", "aws_s3_bucket", {"SOV-HDS-001": "pass", "SOV-HDS-002": "fail", "SOV-EXT-001": "fail"}),
    # Microsoft's certificate is on the 2018 referential, whose transition ended on 2026-05-16.
    ("azure", "francecentral", "azurerm_storage_account", {"SOV-HDS-001": "unknown", "SOV-HDS-002": "pass", "SOV-EXT-001": "fail"}),
    ("azure", "eastus", "azurerm_storage_account", {"SOV-HDS-001": "fail", "SOV-HDS-002": "fail", "SOV-EXT-001": "fail"}),
    ("scaleway", "fr-par", "scaleway_instance_server", {"SOV-HDS-001": "pass", "SOV-HDS-002": "pass", "SOV-EXT-001": "pass"}),
    ("aws", "eusc-de-east-1", "aws_s3_bucket", {"SOV-HDS-001": "fail", "SOV-HDS-002": "pass", "SOV-EXT-001": "fail"}),
    ("outscale", "eu-west-2", "outscale_vm", {"SOV-HDS-002": "pass", "SOV-EXT-001": "pass"}),
    ("scaleway", "fr-par", "scaleway_rdb_instance", {"SOV-HDS-001": "fail", "SOV-HDS-002": "pass", "SOV-EXT-001": "pass"}),
    ("aws", None, "aws_s3_bucket", {"SOV-HDS-001": "unknown", "SOV-HDS-002": "unknown", "SOV-EXT-001": "unknown"}),
    ("aws", "xx-nowhere-1", "aws_s3_bucket", {"SOV-HDS-001": "unknown", "SOV-HDS-002": "unknown", "SOV-EXT-001": "unknown"}),
])
def test_policy_verdicts(catalog, cloud, region, rtype, expected):
    got = verdicts(catalog, health(rtype, cloud, region))
    assert {k: got[k] for k in expected} == expected


def test_certificate_expired_at_as_of_date_fails(catalog):
    res = health("azurerm_storage_account", "azure", "francecentral")
    host = resolve_host(catalog, res.placement, res.type)
    cert = next(c for c in host.certifications if c.scheme == "hds" and c.satisfies)
    pol = next(p for p in load_packs(["hds"]) if p.id == "SOV-HDS-001")
    given = replace(cert, expires=dt.date(2026, 11, 29), expiry_basis=None, transition_ends=None)
    expired = replace(host, certifications=(given,))
    f = evaluate(pol, res, expired, catalog, DAY)
    assert f.status is Status.FAIL and "expired 2026-11-29" in f.reasons[-1].text
    f = evaluate(pol, res, expired, catalog, dt.date(2026, 11, 28))
    assert f.status is Status.PASS


def test_in_progress_never_counts(catalog):
    res = health("azurerm_storage_account", "azure", "francecentral")
    host = resolve_host(catalog, res.placement, res.type)
    cert = next(c for c in host.certifications if c.scheme == "hds")
    pol = next(p for p in load_packs(["hds"]) if p.id == "SOV-HDS-001")
    f = evaluate(pol, res, replace(host, certifications=(replace(cert, status="in_progress"),)), catalog, DAY)
    assert f.status is Status.FAIL and "in progress" in f.reasons[-1].text and f.blocking


def _policy(tmp_path, text, name="ORG-X-001"):
    d = tmp_path / "org"
    d.mkdir(exist_ok=True)
    p = d / f"{name}.yaml"
    p.write_text(text)
    return p


GOOD = """id: ORG-X-001
title: Health data stays in France
severity: high
enforcement: advisory
applies_to: {data_classes: [health]}
require:
  - region_in: {countries: [FR]}
remediation: Use a French region.
references:
  - {title: Internal rule, url: https://example.org/rule}
"""


def test_custom_policy_loads(tmp_path):
    pol = load_policy(_policy(tmp_path, GOOD), "org")
    assert pol.require == (("region_in", {"countries": ["FR"]}),)


@pytest.mark.parametrize(("bad", "line", "needle"), [
    (GOOD.replace("region_in: {countries: [FR]}", "region_within: {countries: [FR]}"), 7, "$.require[0]"),
    (GOOD.replace("severity: high", "severity: huge"), 3, "$.severity"),
    (GOOD.replace("countries: [FR]", "countries: [France]"), 7, "$.require[0]"),
    (GOOD.replace("id: ORG-X-001", "id: ORG-X-002"), 1, "differs from the file name"),
])
def test_malformed_policy_names_file_line_and_problem(tmp_path, bad, line, needle):
    with pytest.raises(PolicyError) as err:
        load_policy(_policy(tmp_path, bad), "org")
    assert err.value.where.endswith(f"ORG-X-001.yaml:{line}")
    assert needle in err.value.message


@pytest.mark.slow
def test_installed_wheel_finds_its_policies(tmp_path):
    """Build the wheel, install it into a bare target dir, and load the packs from there."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = wheel_dir.glob("sovpolicy-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "sovpolicy/_policies/hds/SOV-HDS-001.yaml" in names
    assert "sovpolicy/catalog/data/clouds/aws.yaml" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    code = ("import sovpolicy.policy as p; d = p.builtin_policy_dir(); print(d); "
            "print(','.join(x.id for x in p.load_packs(None)))")
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(target), "PATH": ""},
                         capture_output=True, text=True, check=True, cwd=tmp_path).stdout.splitlines()
    assert Path(out[0]).is_relative_to(target)
    assert out[1] == "SOV-EXT-001,SOV-HDS-001,SOV-HDS-002,SOV-HDS-003,SOV-HDS-004"
