"""The placement ladder (sources/placement.py), once for every reader.

The fixture ``fixtures/plans/placement-rungs`` holds three rungs that were wrong before the
ladder was shared (each checked by hand in fixtures/plans/README.md): a Google bucket whose
location is written upper-case, a zonal Google resource whose provider configuration sets a
zone in another region than its region, and global Azure types in a located resource group.
The plan and the source must both give the right value.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from sovpolicy.model import Origin
from sovpolicy.sources.hcl import read_module
from sovpolicy.sources.placement import (
    How,
    ProviderSettings,
    Value,
    is_zonal,
    own_placement,
    parent_placement,
    provider_placement,
)
from sovpolicy.sources.tfplan import read_plan

CASE = FIXTURES / "plans" / "placement-rungs"


def _read(kind, catalog):
    resources = read_plan(CASE / "plan.json", catalog).resources if kind == "plan" else read_module(CASE, catalog).resources
    return {r.address: r.placement for r in resources}


@pytest.mark.parametrize("kind", ["plan", "hcl"])
def test_upper_case_google_location_resolves(kind, catalog):
    p = _read(kind, catalog)["google_storage_bucket.paris"]
    assert (p.cloud, p.region, p.origin) == ("google", "europe-west9", Origin.RESOURCE)


@pytest.mark.parametrize("kind", ["plan", "hcl"])
def test_zonal_resource_takes_the_provider_zone(kind, catalog):
    got = _read(kind, catalog)
    vm, db = got["google_compute_instance.vm"], got["google_sql_database_instance.db"]
    assert (vm.cloud, vm.region, vm.origin) == ("google", "europe-west9", Origin.PROVIDER)
    assert vm.evidence[0].endswith("zone")  # the zone setting, not the region
    assert (db.region, db.origin) == ("europe-west1", Origin.PROVIDER)  # a regional type keeps the region


@pytest.mark.parametrize("kind", ["plan", "hcl"])
@pytest.mark.parametrize("address", ["azurerm_dns_zone.public", "azurerm_traffic_manager_profile.front",
                                     "azurerm_cdn_frontdoor_profile.edge"])
def test_global_azure_type_ignores_its_resource_group(kind, address, catalog):
    got = _read(kind, catalog)
    assert got["azurerm_resource_group.health"].region == "francecentral"  # "France Central" in the source
    p = got[address]
    assert (p.cloud, p.region, p.origin) == ("azure", None, Origin.UNRESOLVED)
    assert "global service of azure" in (p.reason or "")


def _settings(values):
    return ProviderSettings("'google.x'", ("main.tf:1",), "source files do not show", values.get)


def test_provider_zone_is_read_only_for_zonal_types(catalog):
    info = catalog.provider("hashicorp/google")
    assert is_zonal(info, "google_compute_disk") and not is_zonal(info, "google_storage_bucket")
    values = {("region",): Value.given("europe-west1", ["r"], Origin.PROVIDER),
              ("zone",): Value.given("EUROPE-WEST9-B", ["z"], Origin.VARIABLE)}
    zonal = provider_placement(catalog, info, True, _settings(values))
    assert (zonal.region, zonal.origin, zonal.evidence) == ("europe-west9", Origin.VARIABLE, ("z",))
    regional = provider_placement(catalog, info, False, _settings(values))
    assert (regional.region, regional.evidence) == ("europe-west1", ("r",))


def test_unresolved_provider_zone_fails_closed(catalog):
    info = catalog.provider("hashicorp/google")
    values = {("region",): Value.given("europe-west9", ["r"], Origin.PROVIDER),
              ("zone",): Value.unresolved("var.zone has no value", ["z"])}
    p = provider_placement(catalog, info, True, _settings(values))
    assert (p.region, p.origin, p.reason) == (None, Origin.UNRESOLVED, "var.zone has no value")


def test_provider_rungs_default_then_unresolved(catalog):
    scw, aws = catalog.provider("scaleway/scaleway"), catalog.provider("hashicorp/aws")
    p = provider_placement(catalog, scw, False, _settings({}))
    assert (p.region, p.origin) == ("fr-par", Origin.DEFAULT)
    p = provider_placement(catalog, aws, False, _settings({}))
    assert (p.region, p.origin) == (None, Origin.UNRESOLVED)
    assert "sets no region" in (p.reason or "")
    missing = ProviderSettings("'aws.eu'", ("e",), "x", {}.get, "provider configuration aws.eu is not declared")
    p = provider_placement(catalog, aws, False, missing)
    assert (p.region, p.reason) == (None, "provider configuration aws.eu is not declared")


def test_own_attribute_rungs(catalog):
    azure, aws = catalog.provider("hashicorp/azurerm"), catalog.provider("hashicorp/aws")
    # a display name is spelled as the catalog does
    p = own_placement(catalog, azure, "azurerm_storage_account", {"location": Value.given("West Europe", ["l"])}.get)
    assert (p.region, p.origin) == ("westeurope", Origin.RESOURCE)
    # an unknown location defers to the parent for a provider without provider-level region
    assert own_placement(catalog, azure, "azurerm_storage_account", {"location": Value.unresolved("later", ["l"])}.get) is None
    # ...but a sensitive one never does
    p = own_placement(catalog, azure, "azurerm_storage_account",
                      {"location": Value.unresolved("secret", ["l"], sensitive=True)}.get)
    assert (p.region, p.reason) == (None, "secret")
    # several locations at once: no single region
    p = own_placement(catalog, azure, "azurerm_monitor_log_profile",
                      {"locations": Value.given(["westeurope", "francecentral"], ["l"])}.get)
    assert p.region is None and "spans several locations" in (p.reason or "")
    # an unknown AWS availability zone lies in the provider's region: the rungs below decide
    assert own_placement(catalog, aws, "aws_ebs_volume", {"availability_zone": Value.unresolved("later", ["z"])}.get) is None
    p = own_placement(catalog, aws, "aws_ebs_volume", {"availability_zone": Value.given("eu-west-3b", ["z"])}.get)
    assert p.region == "eu-west-3"


def test_value_kinds():
    assert Value.given("x", ["e"], default=True).how is How.DEFAULT
    assert Value.given("x", ["e"]).how is How.SET
    assert not Value.unresolved("why", ["e"]).known


def test_parent_rung_needs_one_region(catalog):
    from sovpolicy.model import Placement

    azure = catalog.provider("hashicorp/azurerm")
    a = Placement("azure", "francecentral", Origin.RESOURCE, ("rg",), None, azure.source)
    b = Placement("azure", "westeurope", Origin.RESOURCE, ("rg2",), None, azure.source)
    p = parent_placement(azure, [("x -> two", [a, b]), ("y -> one", [a])], ("self",), "no parent")
    assert (p.region, p.origin, p.evidence) == ("francecentral", Origin.PARENT, ("y -> one", "rg"))
    p = parent_placement(azure, [("x -> none", [])], ("self",), "no parent")
    assert (p.region, p.reason, p.evidence) == (None, "no parent", ("self",))


def test_place_climbs_once_and_shares_provider_placements(catalog):
    from sovpolicy.sources.placement import place

    calls = []

    def settings():
        calls.append(1)
        return _settings({("region",): Value.given("eu-west-3", ["providers.tf:2"], Origin.PROVIDER)})

    memo: dict = {}
    info, a = place(catalog, "hashicorp/aws", "aws_s3_bucket", ["main.tf:1"], lambda i: {}.get, settings, memo, "aws")
    _, b = place(catalog, "hashicorp/aws", "aws_db_instance", ["main.tf:9"], lambda i: {}.get, settings, memo, "aws")
    assert info is catalog.provider("hashicorp/aws")
    assert (a.region, a.origin) == ("eu-west-3", Origin.PROVIDER) and a is b and len(calls) == 1
    # its own region wins and asks nothing of the provider configuration
    _, own = place(catalog, "hashicorp/aws", "aws_s3_bucket", ["main.tf:1"],
                   lambda i: {"region": Value.given("eu-central-1", ["main.tf:3"])}.get, settings, memo, "aws")
    assert (own.region, own.origin) == ("eu-central-1", Origin.RESOURCE) and len(calls) == 1
    # rung 0: no catalog entry is handed back; a provider-less-region resource waits for its parent
    assert place(catalog, "hashicorp/random", "random_id", [], lambda i: {}.get, settings) == (None, own.__class__(
        None, None, Origin.NONE, (), "provider hashicorp/random hosts no data", "hashicorp/random"))
    azure, waiting = place(catalog, "hashicorp/azurerm", "azurerm_storage_account", [], lambda i: {}.get, settings)
    assert azure is catalog.provider("hashicorp/azurerm") and waiting is None
