"""Sovereign and European clouds: placed from their own providers (plan and source alike),
and the verdict the catalog's sources support for each host people actually use, per pack."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import FIXTURES

from sovpolicy.catalog import resolve_host
from sovpolicy.model import Classification, Origin, Placement, Resource, SourceKind
from sovpolicy.policy import evaluate, load_packs
from sovpolicy.sources.hcl import read_module
from sovpolicy.sources.tfplan import read_plan

CASE = FIXTURES / "plans" / "sovereign-clouds"
DAY = dt.date(2026, 12, 2)


def _read(kind, catalog):
    resources = read_plan(CASE / "plan.json", catalog).resources if kind == "plan" else read_module(CASE, catalog).resources
    return {r.address: r.placement for r in resources}


@pytest.mark.parametrize("kind", ["plan", "hcl"])
def test_google_provider_in_the_s3ns_universe_is_s3ns(kind, catalog):
    got = _read(kind, catalog)
    bucket = got["google_storage_bucket.s3ns_records"]
    assert (bucket.cloud, bucket.region, bucket.origin) == ("s3ns", "u-france-east1", Origin.RESOURCE)
    assert bucket.evidence[-1] == "provider universe_domain = 's3nsapis.fr' selects cloud s3ns"
    env = got["google_sql_database_instance.s3ns_env_db"]  # universe from the environment: the region says S3NS
    assert (env.cloud, env.region, env.origin) == ("s3ns", "u-france-east1", Origin.PROVIDER)
    assert "u-france-east1 is a region of s3ns" in env.evidence[-1]
    paris = got["google_sql_database_instance.google_paris_db"]
    assert (paris.cloud, paris.region) == ("google", "europe-west9")


@pytest.mark.parametrize("kind", ["plan", "hcl"])
def test_a_universe_known_only_after_apply_is_unresolved_never_google(kind, catalog):
    p = _read(kind, catalog)["google_storage_bucket.computed_universe"]
    assert (p.cloud, p.region, p.origin) == (None, None, Origin.UNRESOLVED)
    assert "universe_domain is known only after apply" in (p.reason or "") and "cannot be told" in (p.reason or "")


@pytest.mark.parametrize("kind", ["plan", "hcl"])
@pytest.mark.parametrize(("address", "cloud"), [("cloudtemple_compute_virtual_machine.ehr", "cloudtemple"),
                                                ("numspot_vm.app", "numspot")])
def test_providers_without_regions_are_placed_on_their_whole_footprint(kind, address, cloud, catalog):
    p = _read(kind, catalog)[address]
    assert (p.cloud, p.region, p.origin) == (cloud, "fr", Origin.FOOTPRINT)
    assert "places no resource in a region: its whole footprint" in p.evidence[-1] and "FR)" in p.evidence[-1]
    host = resolve_host(catalog, p, address.split(".")[0])
    assert host.country == "FR" and host.eea is True and host.operator.country == "FR"


def verdicts(catalog, cloud, region, rtype):
    res = Resource(f"{rtype}.x", rtype, SourceKind.PLAN, Placement(cloud, region, Origin.PROVIDER),
                   classifications=tuple(Classification(c, "test") for c in ("health", "sensitive", "personal")))
    host = resolve_host(catalog, res.placement, rtype)
    packs = load_packs(["hds", "secnumcloud", "extraterritorial", "eea-residency"])
    return {p.id: evaluate(p, res, host, catalog, DAY).status.value for p in packs}


# The placements kept back for issue 13, each with the verdict its sources support on 2026-12-02.
KEPT = [
    # AWS Paris: in AWS's named HDS regions, in the EEA, US-owned.
    ("aws", "eu-west-3", "aws_s3_bucket", "pass pass pass fail fail fail fail pass"),
    # AWS London: in AWS's HDS scope but outside the EEA.
    ("aws", "eu-west-2", "aws_s3_bucket", "pass fail pass fail fail fail fail fail"),
    # AWS European Sovereign Cloud: resident in Germany, run by another entity than AWS's HDS holder, US-owned.
    ("aws", "eusc-de-east-1", "aws_s3_bucket", "fail pass fail fail fail fail fail pass"),
    # Azure France Central: Microsoft's HDS certificate is on the 2018 referential (transition ended 2026-05-16).
    ("azure", "francecentral", "azurerm_storage_account", "unknown pass unknown fail fail fail fail pass"),
    # S3NS PREMI3NS: SecNumCloud 3.2 since 2025-12-17, no sourced HDS certificate.
    ("s3ns", "u-france-east1", "google_storage_bucket", "fail pass fail pass pass pass pass pass"),
    # Outscale's SecNumCloud region: qualification's derived end (2026-11-30) passed, HDS regions not named.
    ("outscale", "cloudgouv-eu-west-1", "outscale_vm", "unknown pass unknown pass unknown pass pass pass"),
    # Scaleway Paris: HDS (referential not sourced), SecNumCloud in progress.
    ("scaleway", "fr-par", "scaleway_instance_server", "pass pass unknown pass fail pass pass pass"),
    # OVHcloud Gravelines: HDS on the 2018 referential, regions not named; Public Cloud not SecNumCloud.
    ("ovh", "GRA7", "ovh_cloud_project_database", "unknown pass unknown pass fail pass pass pass"),
    # Cloud Temple: HDS and SecNumCloud on its whole footprint in France.
    ("cloudtemple", "fr", "cloudtemple_compute_virtual_machine", "pass pass unknown pass pass pass pass pass"),
    # NumSpot: HDS on the 2024 referential; its SecNumCloud is reported, not verified.
    ("numspot", "fr", "numspot_vm", "pass pass pass pass fail pass pass pass"),
]
ORDER = ["SOV-HDS-001", "SOV-HDS-002", "SOV-HDS-003", "SOV-EXT-001", "SOV-SNC-001", "SOV-SNC-002", "SOV-HDS-004", "SOV-EEA-001"]


@pytest.mark.parametrize(("cloud", "region", "rtype", "expected"), KEPT, ids=[f"{c}-{r}" for c, r, _, _ in KEPT])
def test_kept_back_placements_get_the_verdict_their_sources_support(catalog, cloud, region, rtype, expected):
    got = verdicts(catalog, cloud, region, rtype)
    assert [got[p] for p in ORDER] == expected.split()
