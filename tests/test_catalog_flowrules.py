"""flows.yaml: schema, sourced facts, Azure pairs and location groups from the reference,
and the errors a bad override gets (unknown provider, type, region, country, source)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from sovpolicy.catalog import load_catalog, resolve_host
from sovpolicy.catalog.load import DATA_DIR, read_documents
from sovpolicy.errors import CatalogError
from sovpolicy.model import FlowKind, Origin, Placement


def test_every_rule_is_sourced_and_typed(catalog):
    fc = catalog.flows
    rules = [r for rs in fc.rules.values() for r in rs]
    props = [p for ps in fc.propagation.values() for p in ps]
    assert len(rules) >= 16 and len(props) >= 13
    for r in rules + props:
        assert r.source.id in catalog.sources and r.source.url.startswith("https://")
    assert {r.resolve for r in rules} == {"region", "arn", "reference", "paired", "members", "global"}
    s3 = fc.rules["aws_s3_bucket_replication_configuration"][0]
    assert (s3.kind, s3.each, s3.when, s3.when_in, s3.attribute) == (
        FlowKind.REPLICATE, ("rule",), ("status",), frozenset({"enabled"}), ("destination", "bucket"))
    sql = fc.rules["azurerm_mssql_database"][0]
    assert (sql.when_default, sql.resolve) == ("Geo", "paired")
    replica = fc.propagation["aws_db_instance"][0]
    assert (replica.attribute, replica.inbound, replica.kind) == (("replicate_source_db",), True, FlowKind.REPLICATE)
    selection = {p.id: p for p in fc.propagation["aws_backup_selection"]}
    assert selection["aws-backup-selection-resources"].inbound is True
    assert selection["aws-backup-selection-plan"].inbound is False  # plan_id: the plan receives the selection's data


def test_azure_pairs_follow_the_reference(catalog):
    pairs = catalog.flows.pairs
    assert len(pairs) == 55 and len(catalog.flows.unpaired) == 12
    assert pairs[("azure", "francecentral")].secondary == "francesouth"
    assert pairs[("azure", "brazilsouth")].secondary == "southcentralus"  # leaves the geography
    assert pairs[("azure", "westus3")].secondary == "eastus" and pairs[("azure", "eastus")].secondary == "westus"
    assert ("azure", "italynorth") in catalog.flows.unpaired
    assert pairs[("azure", "northeurope")].source.id == "azure-regions-paired"


@pytest.mark.parametrize("cloud, code, countries, eea, group", [
    ("google", "EU", (), True, "multi-region"),
    ("google", "eu", (), True, "multi-region"),          # Google locations ignore case
    ("google", "EUR4", ("FI", "NL"), True, "dual-region"),
    ("google", "EUR8", ("DE", "CH"), False, "dual-region"),
    ("google", "ASIA", (), False, "multi-region"),
    ("aws", "global", (), False, "global"),
    ("azure", "global", (), False, "global"),
])
def test_location_groups_resolve_to_hosts(catalog, cloud, code, countries, eea, group):
    host = resolve_host(catalog, Placement(cloud, code, Origin.RESOURCE), "x")
    assert (host.countries, host.eea, host.group, host.known_region) == (countries, eea, group, True)
    assert host.operator is not None and host.region_source is not None


def test_global_edge_is_covered_by_no_certificate(catalog):
    host = resolve_host(catalog, Placement("aws", "global", Origin.CATALOG), "aws_cloudfront_distribution")
    assert host.certifications == () and host.unlisted == ()  # AWS's unlisted HDS regions are regions, not edges


def _override(tmp_path, doc):
    d = tmp_path / "cat"
    d.mkdir()
    (d / "flows.yaml").write_text(yaml.safe_dump({"schema_version": 1, **doc}))
    return d


RULE = {"id": "acme-replica", "type": "aws_dynamodb_table", "provider": "hashicorp/aws", "kind": "replicate",
        "each": "replica", "destination": {"resolve": "region", "attribute": "region_name"},
        "meaning": "test", "source": "aws-tf-dynamodb-table", "as_of": "2026-11-30"}


@pytest.mark.parametrize("change, message", [
    ({"provider": "acme/cloud"}, "unknown provider 'acme/cloud'"),
    ({"type": "azurerm_storage_account"}, "is not a resource type of provider 'hashicorp/aws'"),
    ({"source": "no-such-source"}, "unknown source 'no-such-source'"),
    ({"kind": "teleport"}, "'teleport' is not one of"),
    ({"destination": {"resolve": "paired", "attribute": "x"}}, "should not be valid"),
])
def test_bad_flow_rule_is_an_error(tmp_path, change, message):
    d = _override(tmp_path, {"flows": [{**RULE, **change}]})
    with pytest.raises(CatalogError) as err:
        load_catalog([d])
    assert message in str(err.value)


def test_unknown_region_or_country_in_pairs_and_groups_is_an_error(tmp_path):
    d = _override(tmp_path, {"region_pairs": [{"cloud": "azure", "source": "azure-regions-paired", "as_of": "2025-01-13",
                                               "pairs": [{"region": "francecentral", "secondary": "marscentral"}]}]})
    with pytest.raises(CatalogError, match="region 'marscentral' is not a region of cloud 'azure'"):
        load_catalog([d])
    group = {"cloud": "google", "code": "EUR9", "kind": "dual-region", "name": "x", "regions": ["europe-west9"],
             "countries": ["FR", "CH"], "eea": True, "source": "gcs-locations-relay", "as_of": "2024-01-01"}
    (tmp_path / "b").mkdir()
    with pytest.raises(CatalogError, match="eea: True contradicts countries FR, CH"):
        load_catalog([_override(tmp_path / "b", {"location_groups": [group]})])


def test_override_replaces_a_rule_by_id(tmp_path):
    d = _override(tmp_path, {"flows": [{**RULE, "id": "aws-dynamodb-replica", "kind": "copy"}]})
    cat = load_catalog([d])
    assert [r.kind for r in cat.flows.rules["aws_dynamodb_table"]] == [FlowKind.COPY]


def test_builtin_flows_file_is_schema_valid():
    docs = read_documents([DATA_DIR], validate=True)
    assert any(kind == "flows" for _, kind, _ in docs)


def test_catalog_check_validates_flows(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(DATA_DIR, d)
    text = (d / "flows.yaml").read_text().replace("    source: aws-tf-backup-plan\n", "", 1)
    (d / "flows.yaml").write_text(text)
    with pytest.raises(CatalogError, match="'source' is a required property"):
        read_documents([d], validate=True)
