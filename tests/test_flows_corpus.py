"""Data flows on the shared corpus, checked by hand.

Plans (../shared/corpus/plan): the only copy elsewhere in the 90 public plans is the GRS
storage account of ``azurerm-fv0.1-regula-view03.json`` (West Europe, paired with North
Europe). Plans with replication attributes that copy nothing (LRS accounts, an empty
``replica`` list, ``replicate_source_db = null``, an empty ``replication_configuration``)
have no flow. Source trees (../shared/corpus/hcl): the expectations of its README
("flow" entries): S3 replication and an RDS replica to eu-central-1 and a backup copy to
eu-south-2 (hospital-ehr-aws); GRS storage, a SQL failover group and a Cosmos DB second
location in France South (health-data-hub-azure); a configurable dual-region
europe-west9 + europe-west4 (s3ns-gcp-fhir); nested S3 replication to eu-central-1 and
GZRS storage (landing-zone-multi).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import AS_OF, corpus_dir

from sovpolicy.config import load_config
from sovpolicy.model import FlowKind, Status
from sovpolicy.pipeline import scan
from sovpolicy.policy import load_packs
from sovpolicy.sources.registry import file_sources
from sovpolicy.sources.tfplan import read_plan


def flows(resources):
    return {r.address: [(f.kind, f.to.cloud, f.to.region) for f in r.flows] for r in resources if r.flows}


def test_corpus_plans_copy_only_where_they_say_so(catalog):
    plans = sorted(p for p in corpus_dir("plan").glob("*.json") if not p.name.startswith("INVALID-"))
    found = {}
    for path in plans:
        for address, fl in flows(read_plan(path, catalog).resources).items():
            found[(path.name, address)] = fl
    assert found == {("azurerm-fv0.1-regula-view03.json", "azurerm_storage_account.main"):
                     [(FlowKind.REPLICATE, "azure", "northeurope")]}


@pytest.mark.parametrize("plan, addresses", [
    ("azurerm-storage-regula.json", ["azurerm_storage_account.validstorageaccount1"]),    # LRS
    ("aws-fv0.2-tags-variety-checkov.json", ["aws_dynamodb_table.basic-dynamodb-table"]),  # replica = []
    ("aws-55-resources-checkov.json", ["aws_db_instance.default", "aws_s3_bucket.data"]),   # null / []
    ("multi-aws-google-regula-view07.json", ["google_storage_bucket.example"]),             # location US, one country
])
def test_replication_attributes_that_copy_nothing(catalog, plan, addresses):
    res = {r.address: r for r in read_plan(corpus_dir("plan") / plan, catalog).resources}
    for a in addresses:
        assert res[a].flows == (), a


def test_geo_redundant_corpus_account_is_checked_in_the_paired_region(catalog):
    path = corpus_dir("plan") / "azurerm-fv0.1-regula-view03.json"
    config = replace(load_config(None), default_classes=("health",))  # the corpus plan has no health tag
    result = scan(file_sources([path]), config, catalog, load_packs(["hds"]), AS_OF)
    eea = {(f.flow.to.region if f.flow else None): f.status for f in result.findings
           if f.policy_id == "SOV-HDS-002" and f.address == "azurerm_storage_account.main"}
    assert eea == {None: Status.PASS, "northeurope": Status.PASS}  # Netherlands, then Ireland


def scan_tree(name, catalog):
    return scan(file_sources([corpus_dir("hcl") / name]), load_config(None), catalog, load_packs(["hds"]), AS_OF)


def test_hospital_ehr_aws_flows(catalog):
    r = scan_tree("hospital-ehr-aws", catalog)
    got = flows(r.resources)
    store = 'module.records_store["prod"]'
    assert got[f"{store}.aws_s3_bucket.this"] == [(FlowKind.REPLICATE, "aws", "eu-central-1")]
    assert got[f"{store}.aws_s3_bucket_replication_configuration.this[0]"] == [(FlowKind.REPLICATE, "aws", "eu-central-1")]
    assert got["module.patient_db.aws_db_instance.primary"] == [(FlowKind.REPLICATE, "aws", "eu-central-1"),
                                                                (FlowKind.COPY, "aws", "eu-south-2")]
    assert got["module.backup.aws_backup_plan.this"] == [(FlowKind.COPY, "aws", "eu-south-2")]
    assert 'module.records_store["preprod"].aws_s3_bucket.this' not in got  # replication count 0
    bucket = next(x for x in r.resources if x.address == f"{store}.aws_s3_bucket.this")
    hop = bucket.flows[0]
    # the destination is found through var.replication -> module.records_dr[each.key].bucket_arn -> the DR bucket
    assert "module.records_dr[\"prod\"].aws_s3_bucket.replica" in hop.to.evidence[0]
    assert {f.status for f in r.findings if f.policy_id == "SOV-HDS-002" and f.flow is not None} == {Status.PASS}


def test_health_data_hub_azure_flows(catalog):
    r = scan_tree("health-data-hub-azure", catalog)
    got = flows(r.resources)
    fs = ("azure", "francesouth")
    assert got["azurerm_storage_account.raw"] == [(FlowKind.REPLICATE, *fs)]
    assert "azurerm_storage_account.curated" not in got  # ZRS
    assert got["azurerm_mssql_database.cohorts"] == [(FlowKind.REPLICATE, *fs)]  # failover group; Zone backups stay
    assert got["azurerm_cosmosdb_account.pathways"] == [(FlowKind.COPY, *fs), (FlowKind.REPLICATE, *fs)]
    failover = next(x for x in r.resources if x.address == "azurerm_mssql_failover_group.cohorts")
    assert [d.hop(failover.address) for d in failover.data_from] == [
        "azurerm_mssql_failover_group.cohorts → databases → azurerm_mssql_database.cohorts"]


def test_s3ns_configurable_dual_region(catalog):
    r = scan_tree("s3ns-gcp-fhir", catalog)
    assert flows(r.resources) == {"google_storage_bucket.imaging_teaching": [
        (FlowKind.REPLICATE, "google", "europe-west9"), (FlowKind.REPLICATE, "google", "europe-west4")]}
    eea = {(f.flow.to.region if f.flow else None): f.status for f in r.findings
           if f.policy_id == "SOV-HDS-002" and f.address == "google_storage_bucket.imaging_teaching"}
    assert eea == {None: Status.PASS, "europe-west9": Status.PASS, "europe-west4": Status.PASS}  # EU multi-region, then FR, NL


def test_landing_zone_nested_replication_classifies_its_configuration(catalog):
    r = scan_tree("landing-zone-multi", catalog)
    storage = 'module.workload["portail-patient"].module.storage'
    got = flows(r.resources)
    assert got[f"{storage}.module.primary_bucket.aws_s3_bucket.this"] == [(FlowKind.REPLICATE, "aws", "eu-central-1")]
    assert got["azurerm_storage_account.lz_archive"] == [(FlowKind.REPLICATE, "azure", "francesouth")]  # GZRS
    cfg = next(x for x in r.resources if x.address == f"{storage}.aws_s3_bucket_replication_configuration.this[0]")
    assert cfg.classifications[0].reason.startswith(
        f"classified health via {storage}.aws_s3_bucket_replication_configuration.this[0] → bucket → "
        f"{storage}.module.primary_bucket.aws_s3_bucket.this")
