"""Sovereign and European clouds: placed from their own providers (plan and source alike).
The verdict each kept-back host gets per pack is in test_catalog_kept_back.py."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from sovpolicy.catalog import resolve_host
from sovpolicy.model import Origin
from sovpolicy.sources.hcl import read_module
from sovpolicy.sources.tfplan import read_plan

CASE = FIXTURES / "plans" / "sovereign-clouds"


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
