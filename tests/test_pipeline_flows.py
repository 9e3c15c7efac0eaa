"""Data flows on the fixture plans: destinations, verdicts per flow, classification by
reference, the JSON contract and explain.

Expectations were worked out by hand from each fixture's main.tf (fixtures/plans/README.md):
five real plans (Terraform 1.11.4, hashicorp/aws 5.100.0) and two hand-written ones
(Azure, Google).
"""

from __future__ import annotations

import json

import pytest
from conftest import AS_OF, FIXTURES

from sovpolicy.cli import main
from sovpolicy.config import load_config
from sovpolicy.model import FlowKind, Origin, Status
from sovpolicy.pipeline import scan
from sovpolicy.policy import load_packs
from sovpolicy.sources.registry import file_sources

PLANS = FIXTURES / "plans"


@pytest.fixture(scope="module")
def hds():
    return load_packs(["hds"])


def run(case, catalog, policies):
    return scan(file_sources([PLANS / case / "plan.json"]), load_config(None), catalog, policies, AS_OF)


def host_of(result, address):
    res = next(x for x in result.resources if x.address == address)
    return result.host(res)


def flows_of(result, address):
    res = next(r for r in result.resources if r.address == address)
    return [(f.kind, f.to.cloud, f.to.region, f.via) for f in res.flows]


def eea(result, address):
    """SOV-HDS-002 status per destination: None for the resource itself, else the flow's
    region (``"unresolved"`` for a destination that cannot be resolved)."""
    return {(f.flow.to.region or "unresolved" if f.flow else None): f.status
            for f in result.findings if f.policy_id == "SOV-HDS-002" and f.address == address}


# --------------------------------------------------------------------------- AWS, real plans
def test_s3_replication_to_virginia_fails_and_unknown_destination_is_unknown(catalog, hds):
    r = run("s3-replication", catalog, hds)
    cfg = "aws_s3_bucket_replication_configuration.records"
    assert flows_of(r, "aws_s3_bucket.records") == [
        (FlowKind.REPLICATE, "aws", "us-east-1", f"{cfg} rule[0]"),
        (FlowKind.REPLICATE, "aws", None, f"{cfg} rule[1]"),
    ]
    assert eea(r, "aws_s3_bucket.records") == {None: Status.PASS, "us-east-1": Status.FAIL, "unresolved": Status.UNKNOWN}
    by_flow = [f for f in r.findings if f.policy_id == "SOV-HDS-002" and f.address == "aws_s3_bucket.records"]
    assert [(f.flow.via if f.flow else None, f.status, f.blocking) for f in by_flow] == [
        (None, Status.PASS, False), (f"{cfg} rule[0]", Status.FAIL, True), (f"{cfg} rule[1]", Status.UNKNOWN, True)]
    virginia = by_flow[1]
    assert "replicated from eu-west-3 to us-east-1 by aws_s3_bucket_replication_configuration.records rule[0]" in virginia.message
    provenance = [x.text for x in virginia.reasons[virginia.chain_length:virginia.chain_length + virginia.flow_reasons]]
    assert provenance[0].startswith(f"replicated from eu-west-3 to us-east-1 by {cfg} rule[0] "
                                    f"({cfg} → bucket → aws_s3_bucket.records; resource_changes[4].change.after.rule[0])")
    assert provenance[1] == ("destination aws us-east-1, read from: configuration rule[0].destination[0].bucket references "
                             "aws_s3_bucket.replica.arn (aws_s3_bucket.replica); "
                             "configuration.provider_config['aws.virginia'].expressions.region")
    assert virginia.reasons[virginia.chain_length].source.id == "aws-tf-s3-replication"
    outside = by_flow[2]
    assert outside.flow.to.origin is Origin.UNRESOLVED
    assert "an ARN without a region" in outside.flow.to.reason and "cannot tell where the copy lands" in outside.message
    # the inline (deprecated) form, to Frankfurt
    assert flows_of(r, "aws_s3_bucket.archive") == [
        (FlowKind.REPLICATE, "aws", "eu-central-1", "aws_s3_bucket.archive replication_configuration[0].rules[0]")]
    assert eea(r, "aws_s3_bucket.archive") == {None: Status.PASS, "eu-central-1": Status.PASS}


def test_replication_configuration_is_classified_through_its_bucket(catalog, hds):
    r = run("s3-replication", catalog, hds)
    cfg = next(x for x in r.resources if x.address == "aws_s3_bucket_replication_configuration.records")
    assert [(c.data_class, c.reason) for c in cfg.classifications][:1] == [(
        "health", "classified health via aws_s3_bucket_replication_configuration.records → bucket → aws_s3_bucket.records "
                  "(tag data_classification=health)")]
    assert eea(r, cfg.address) == {None: Status.PASS, "us-east-1": Status.FAIL, "unresolved": Status.UNKNOWN}
    replica = next(x for x in r.resources if x.address == "aws_s3_bucket.replica")
    assert replica.data_classes == frozenset()  # a destination is not classified by being one


def test_dynamodb_replicas_and_function_reading_the_table(catalog, hds):
    r = run("dynamodb-global-table", catalog, hds)
    assert flows_of(r, "aws_dynamodb_table.records") == [
        (FlowKind.REPLICATE, "aws", "eu-central-1", "aws_dynamodb_table.records replica[0]"),
        (FlowKind.REPLICATE, "aws", "us-east-1", "aws_dynamodb_table.records replica[1]")]
    assert eea(r, "aws_dynamodb_table.records") == {None: Status.PASS, "eu-central-1": Status.PASS, "us-east-1": Status.FAIL}
    assert flows_of(r, "aws_dynamodb_table.sessions") == [
        (FlowKind.REPLICATE, "aws", "us-east-1", "aws_dynamodb_table_replica.sessions_virginia global_table_arn")]
    replica = next(x for x in r.resources if x.address == "aws_dynamodb_table_replica.sessions_virginia")
    assert (replica.placement.region, replica.data_classes) == ("us-east-1", frozenset({"health", "personal", "sensitive"}))
    assert eea(r, replica.address) == {None: Status.FAIL}
    fn = next(x for x in r.resources if x.address == "aws_lambda_function.reader")
    assert fn.classifications[0].reason == ("classified health via aws_lambda_function.reader → environment → "
                                            "aws_dynamodb_table.records (tag data_classification=health)")
    assert fn.flows == ()


def test_rds_cross_region_replica_and_backup_replication(catalog, hds):
    r = run("rds-cross-region-replica", catalog, hds)
    assert flows_of(r, "aws_db_instance.primary") == [
        (FlowKind.REPLICATE, "aws", "us-east-1", "aws_db_instance.replica replicate_source_db"),
        (FlowKind.COPY, "aws", "eu-central-1", "aws_db_instance_automated_backups_replication.primary source_db_instance_arn")]
    assert eea(r, "aws_db_instance.primary") == {None: Status.PASS, "us-east-1": Status.FAIL, "eu-central-1": Status.PASS}
    assert eea(r, "aws_db_instance.replica") == {None: Status.FAIL}


def test_backup_copy_actions_reach_the_selected_database(catalog, hds):
    r = run("backup-copy-action", catalog, hds)
    expected = [(FlowKind.COPY, "aws", "eu-central-1", "aws_backup_plan.daily rule[0].copy_action[0]"),
                (FlowKind.COPY, "aws", "us-east-1", "aws_backup_plan.daily rule[0].copy_action[1]")]
    assert flows_of(r, "aws_backup_plan.daily") == expected
    assert flows_of(r, "aws_db_instance.ehr") == expected
    db = next(x for x in r.resources if x.address == "aws_db_instance.ehr")
    assert db.flows[1].evidence[:2] == ("aws_backup_selection.ehr → resources → aws_db_instance.ehr",
                                        "aws_backup_selection.ehr → plan_id → aws_backup_plan.daily")
    assert db.flows[0].to.evidence == (
        "resource_changes[0].change.after.rule[0].copy_action[0].destination_vault_arn (region field of the ARN)",)
    assert eea(r, "aws_db_instance.ehr") == {None: Status.PASS, "eu-central-1": Status.PASS, "us-east-1": Status.FAIL}
    plan = next(x for x in r.resources if x.address == "aws_backup_plan.daily")
    assert plan.classifications[0].reason == (
        "classified health via aws_backup_plan.daily ← plan_id ← aws_backup_selection.ehr → resources → "
        "aws_db_instance.ehr (tag data_classification=health)")


def test_cloudfront_caches_the_bucket_worldwide(catalog, hds):
    r = run("cloudfront-cache", catalog, hds)
    assert flows_of(r, "aws_s3_bucket.portal") == [(FlowKind.CACHE, "aws", "global", "aws_cloudfront_distribution.portal")]
    assert eea(r, "aws_s3_bucket.portal") == {None: Status.PASS, "global": Status.FAIL}
    edge = next(f for f in r.findings if f.policy_id == "SOV-HDS-002" and f.flow is not None)
    assert edge.host.group == "global" and edge.host.eea is False
    assert "CloudFront edge locations worldwide spans places outside the EEA" in [x.text for x in edge.reasons]
    assert eea(r, "aws_cloudfront_distribution.portal") == {None: Status.UNKNOWN, "global": Status.FAIL}


# --------------------------------------------------------------------------- Azure and Google, hand-written plans
def test_azure_paired_regions_failover_cosmos_vault_and_front_door(catalog, hds):
    r = run("azure-geo-redundancy", catalog, hds)
    assert [(k, c, reg) for k, c, reg, _ in flows_of(r, "azurerm_storage_account.records")] == [
        (FlowKind.REPLICATE, "azure", "francesouth"), (FlowKind.CACHE, "azure", "global")]
    assert flows_of(r, "azurerm_storage_account.zonal") == []
    milan = next(x for x in r.resources if x.address == "azurerm_storage_account.milan").flows
    assert milan[0].to.region is None and "italynorth has no paired region" in milan[0].to.reason
    assert eea(r, "azurerm_storage_account.milan") == {None: Status.PASS, "unresolved": Status.UNKNOWN}
    assert {f.status for f in r.findings if f.address == "azurerm_storage_account.milan" and f.flow} == {Status.UNKNOWN}
    assert flows_of(r, "azurerm_mssql_database.ehr") == [
        (FlowKind.COPY, "azure", "francesouth", "azurerm_mssql_database.ehr storage_account_type = Geo"),
        (FlowKind.REPLICATE, "azure", "eastus", "azurerm_mssql_failover_group.ehr partner_server[0]")]
    assert eea(r, "azurerm_mssql_database.ehr") == {None: Status.PASS, "francesouth": Status.PASS, "eastus": Status.FAIL}
    assert flows_of(r, "azurerm_mssql_database.local") == []
    assert flows_of(r, "azurerm_cosmosdb_account.pathways") == [
        (FlowKind.REPLICATE, "azure", "westeurope", "azurerm_cosmosdb_account.pathways geo_location[1]")]
    assert flows_of(r, "azurerm_recovery_services_vault.backup") == [
        (FlowKind.COPY, "azure", "francesouth", "azurerm_recovery_services_vault.backup storage_mode_type = GeoRedundant")]
    pair = next(x for x in r.resources if x.address == "azurerm_storage_account.records").flows[0]
    assert pair.to.origin is Origin.CATALOG and "flows.yaml region_pairs, azure-regions-paired" in pair.to.evidence[0]
    assert eea(r, "azurerm_storage_account.records") == {None: Status.PASS, "francesouth": Status.PASS, "global": Status.FAIL}


def test_google_multi_and_dual_regions(catalog, hds):
    r = run("google-locations", catalog, hds)
    assert eea(r, "google_storage_bucket.eu") == {None: Status.PASS}
    assert flows_of(r, "google_storage_bucket.eu") == []
    eu_host = host_of(r, "google_storage_bucket.eu")
    assert (eu_host.country, eu_host.eea, eu_host.group) == (None, True, "multi-region")
    assert [reg for _, _, reg, _ in flows_of(r, "google_storage_bucket.eur4")] == ["europe-north1", "europe-west4"]
    assert eea(r, "google_storage_bucket.eur4") == {None: Status.PASS, "europe-north1": Status.PASS, "europe-west4": Status.PASS}
    assert host_of(r, "google_storage_bucket.eur4").countries == ("FI", "NL")
    assert eea(r, "google_storage_bucket.eur5") == {None: Status.FAIL, "europe-west1": Status.PASS, "europe-west2": Status.FAIL}
    assert eea(r, "google_storage_bucket.us") == {None: Status.FAIL}
    assert eea(r, "google_storage_bucket.asia") == {None: Status.FAIL}
    assert eea(r, "google_storage_bucket.custom") == {None: Status.PASS, "europe-west9": Status.PASS, "europe-west1": Status.PASS}


# --------------------------------------------------------------------------- contract and CLI
def test_json_report_lists_flows_and_flow_findings(capsys):
    code = main(["scan", str(PLANS / "s3-replication" / "plan.json"), "--format", "json", "--pack", "hds",
                 "--as-of", AS_OF.isoformat()])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["schema_version"] == "2.0"
    bucket = next(r for r in report["resources"] if r["address"] == "aws_s3_bucket.records")
    first = bucket["flows"][0]
    assert {k: first["to"][k] for k in ("cloud", "region", "country", "eea", "origin")} == {
        "cloud": "aws", "region": "us-east-1", "country": "US", "eea": False, "origin": "provider"}
    assert (first["kind"], first["via"], first["rule"]) == (
        "replicate", "aws_s3_bucket_replication_configuration.records rule[0]", "aws-s3-replication-rule")
    assert first["evidence"][0] == "aws_s3_bucket_replication_configuration.records → bucket → aws_s3_bucket.records"
    assert first["source"]["id"] == "aws-tf-s3-replication"
    assert bucket["flows"][1]["to"]["region"] is None and bucket["flows"][1]["to"]["origin"] == "unresolved"
    mine = [f for f in report["findings"] if f["address"] == "aws_s3_bucket.records" and f["policy_id"] == "SOV-HDS-002"]
    assert [f["flow"] and f["flow"]["to"]["region"] for f in mine] == [None, "us-east-1", None]
    assert [f["status"] for f in mine] == ["pass", "fail", "unknown"]
    assert mine[0]["flow"] is None and mine[2]["flow"]["via"].endswith("rule[1]")


def test_findings_are_unique_per_policy_resource_and_destination(catalog):
    r = run("azure-geo-redundancy", catalog, load_packs(None))
    keys = [(f.policy_id, f.subject) for f in r.findings]
    assert len(keys) == len(set(keys))
    # the SQL database's geo backup and the Cosmos backup do not add a second finding for one destination
    dests = [f.flow.to.region for f in r.findings if f.address == "azurerm_mssql_database.ehr" and f.policy_id == "SOV-HDS-002"
             and f.flow]
    assert dests == ["francesouth", "eastus"]


def test_text_report_groups_findings_by_copy(capsys):
    main(["scan", str(PLANS / "rds-cross-region-replica" / "plan.json"), "--pack", "hds", "--as-of", AS_OF.isoformat()])
    out = capsys.readouterr().out
    block = out.split("BLOCKING aws_db_instance.primary (health, personal, sensitive)")[1].split("\n\n")[0]
    assert "  copy: replicated from eu-west-3 to us-east-1 by aws_db_instance.replica replicate_source_db" in block
    assert "  copy: copied from eu-west-3 to eu-central-1 by aws_db_instance_automated_backups_replication.primary" in block
    assert "    FAIL (blocking)    SOV-HDS-002" in block.split("to us-east-1")[1].split("copy:")[0]


def test_explain_shows_flows_and_the_propagation_path(capsys):
    code = main(["explain", "aws_backup_plan.daily", "--plan", str(PLANS / "backup-copy-action" / "plan.json"),
                 "--pack", "hds", "--as-of", AS_OF.isoformat()])
    out = capsys.readouterr().out
    assert code == 0
    assert "flows:\n  copied from eu-west-3 to eu-central-1 by aws_backup_plan.daily rule[0].copy_action[0] (copy)" in out
    assert "    destination aws us-east-1, read from: configuration rule[0].copy_action[1].destination_vault_arn references" in out
    assert "holds data of:\n  aws_backup_plan.daily ← plan_id ← aws_backup_selection.ehr  [propagation rule aws-backup-selection-plan]" in out
    assert "data classes: health (classified health via aws_backup_plan.daily ← plan_id ← aws_backup_selection.ehr" in out
    assert "FAIL (blocking) SOV-HDS-002: Health data is stored in the European Economic Area [copy: copied from eu-west-3 " \
           "to us-east-1 by aws_backup_plan.daily rule[0].copy_action[1]]" in out
