"""The HCL reader on the shared corpus module trees (../shared/corpus/hcl, see its README).

Expected values are the corpus README's, restricted to what the source alone can tell;
where sovpolicy deliberately says less (unresolved) the reason is checked instead.
"""

from __future__ import annotations

import pytest
from conftest import corpus_dir

from sovpolicy.sources.hcl import read_module

EXPECTED = {
    "hospital-ehr-aws": {
        'module.records_store["prod"].aws_s3_bucket.this': ("aws", "eu-west-3", "variable"),
        'module.records_store["preprod"].aws_s3_bucket.this': ("aws", "eu-west-3", "variable"),
        'module.records_dr["prod"].aws_s3_bucket.replica': ("aws", "eu-central-1", "variable"),
        'module.records_store["prod"].aws_s3_bucket_replication_configuration.this[0]': ("aws", "eu-west-3", "variable"),
        "module.patient_db.aws_db_instance.primary": ("aws", "eu-west-3", "variable"),
        "module.patient_db.aws_db_instance.replica[0]": ("aws", "eu-central-1", "variable"),
        "module.backup.aws_backup_vault.primary": ("aws", "eu-west-3", "variable"),
        "module.backup.aws_backup_vault.copy": ("aws", "eu-south-2", "resource"),
        "aws_kms_key.records_dr": ("aws", "eu-central-1", "variable"),
        "aws_cloudwatch_log_group.dr_runbook[0]": ("aws", "eu-central-1", "resource"),
        "aws_s3_bucket.access_logs": ("aws", "eu-west-3", "variable"),
    },
    "health-data-hub-azure": {
        "azurerm_resource_group.warehouse": ("azure", "francecentral", "resource"),
        "azurerm_storage_account.raw": ("azure", "francecentral", "resource"),
        "azurerm_mssql_server.secondary": ("azure", "francesouth", "resource"),
        "azurerm_mssql_database.cohorts": ("azure", "francecentral", "parent"),
        "azurerm_cosmosdb_account.pathways": ("azure", "francecentral", "resource"),
        'module.private_endpoint["sql"].azurerm_private_endpoint.this': ("azure", "francecentral", "resource"),
        'module.research_workspace["diab-2031"].azurerm_storage_account.project': ("azure", "francecentral", "resource"),
        'module.research_workspace["diab-2031"].azurerm_databricks_workspace.this[0]': ("azure", "francecentral", "resource"),
        "module.training_sandbox.azurerm_storage_account.project": ("azure", "westeurope", "resource"),
    },
    "sovereign-outscale-ovh": {
        "module.app_server[1].outscale_volume.data": ("outscale", "cloudgouv-eu-west-1", "resource"),
        "ovh_cloud_project_storage.letters": ("ovh", "GRA", "resource"),
        "ovh_cloud_project_kube_nodepool.integration": ("ovh", "GRA11", "parent"),
        "scaleway_rdb_instance.reporting": ("scaleway", "fr-par", "provider"),
        "scaleway_instance_server.bastion": ("scaleway", "fr-par", "resource"),
        "module.offsite_backup.scaleway_object_bucket.this": ("scaleway", "nl-ams", "provider"),
    },
    "s3ns-gcp-fhir": {
        "google_storage_bucket.portal_assets": ("google", "europe-west9", "resource"),
        "module.research_extracts.google_storage_bucket.this": ("google", "EU", "resource"),
        "google_sql_database_instance.consents": ("s3ns", "u-france-east1", "variable"),  # universe_domain = "s3nsapis.fr"
    },
    "landing-zone-multi": {
        'module.workload["portail-patient"].module.storage.module.primary_bucket.aws_s3_bucket.this': ("aws", "eu-west-3", "variable"),
        'module.workload["portail-patient"].module.storage.module.replica_bucket[0].aws_s3_bucket.this': ("aws", "eu-central-1", "provider"),
        'module.workload["intranet-rh"].module.storage.module.primary_bucket.aws_s3_bucket.this': ("aws", "eu-west-3", "variable"),
        'aws_cloudwatch_log_group.vpc_flow["portail-patient/eu-central-1"]': ("aws", "eu-central-1", "resource"),
        "aws_s3_bucket.log_archive": ("aws", "eu-west-3", "variable"),
        "aws_s3_bucket.pilot_exports": ("aws", "eu-west-3", "variable"),
        'module.azure_spoke["recherche"].azurerm_storage_account.data': ("azure", "francecentral", "resource"),
        'module.azure_spoke["reprise"].azurerm_storage_account.data': ("azure", "francesouth", "resource"),
        "azurerm_storage_account.lz_archive": ("azure", "francecentral", "resource"),
        "google_compute_subnetwork.shared": ("google", "europe-west9", "variable"),
        "module.bastion.aws_instance.bastion": ("aws", "eu-west-3", "variable"),
    },
    "broken-and-edge": {
        "aws_s3_bucket.lab_scans": ("aws", "eu-west-3", "resource"),
        "aws_sqs_queue.inbound": ("aws", None, "unresolved"),
        'aws_sqs_queue.results["eu-west-3"]': ("aws", "eu-west-3", "resource"),
        'aws_sqs_queue.results["eu-north-1"]': ("aws", "eu-north-1", "resource"),
        "aws_sqs_queue.conditional": ("aws", "eu-west-3", "resource"),
        "aws_sns_topic.from_file": ("aws", None, "unresolved"),
        "aws_s3_bucket.by_var": ("aws", None, "unresolved"),
        "module.tagged.aws_s3_bucket.this": ("aws", "eu-west-3", "provider"),
        "module.lab_archive_bucket": (None, None, "unresolved"),
        "terraform_data.migration_marker": (None, None, "none"),
        "random_id.suffix": (None, None, "none"),
        "aws_cloudwatch_log_group.commented": ("aws", "eu-west-3", "provider"),
        "aws_cloudwatch_log_group.bom": ("aws", "eu-west-3", "provider"),
        "aws_cloudwatch_log_group.comment_before_value": ("aws", "eu-west-3", "provider"),
        "aws_cloudwatch_log_group.crlf": ("aws", "eu-west-3", "provider"),
    },
}


@pytest.fixture(scope="module")
def scans(catalog):
    root = corpus_dir("hcl")
    return {name: read_module(root / name, catalog) for name in EXPECTED}


@pytest.mark.parametrize("tree", sorted(EXPECTED))
def test_corpus_placements(tree, scans):
    got = {r.address: (r.placement.cloud, r.placement.region, r.placement.origin.value) for r in scans[tree].resources}
    assert {a: got.get(a) for a in EXPECTED[tree]} == EXPECTED[tree]


def test_hospital_for_each_follows_tfvars_and_optional_defaults(scans):
    addresses = {r.address for r in scans["hospital-ehr-aws"].resources}
    assert not any('["dev"]' in a or "[*]" in a for a in addresses)
    assert 'module.records_dr["preprod"].aws_s3_bucket.replica' not in addresses
    copy = next(r for r in scans["hospital-ehr-aws"].resources if r.address == "module.backup.aws_backup_vault.copy")
    assert copy.placement.evidence[-1].endswith("prod.auto.tfvars:3 sets var.backup_copy_region")


def test_hospital_classification_from_default_tags(scans):
    res = {r.address: r for r in scans["hospital-ehr-aws"].resources}
    assert res["module.patient_db.aws_db_instance.primary"].tags["data_classification"] == "health"
    assert res["aws_s3_bucket.access_logs"].tags["data_classification"] == "internal"


def test_broken_and_edge_reports_the_two_invalid_files_and_the_remote_modules(scans):
    problems = {(p.kind, p.where.split("broken-and-edge/")[1]) for p in scans["broken-and-edge"].problems}
    assert problems == {("parse-error", "zz_invalid_unclosed_block.tf:6:40"), ("parse-error", "zz_invalid_bad_token.tf:8:12"),
                        ("remote-module", "main.tf:4"), ("remote-module", "main.tf:20"), ("remote-module", "main.tf:36")}
    res = {r.address: r for r in scans["broken-and-edge"].resources}
    assert res["module.lab_archive_bucket"].tags == {"data_classification": "health"}
    assert "file() is not evaluated" in res["aws_sns_topic.from_file"].placement.reason
    assert "deployment_region" in res["aws_s3_bucket.by_var"].placement.reason
    assert "aws_dynamodb_table.sessions" not in res  # count = 0
    assert not any("lab_results" in a or "lab_archive_typo" in a for a in res)  # in the invalid files


def test_aws_provider_with_outscale_endpoint_is_never_an_aws_host(scans, catalog):
    from sovpolicy.catalog import resolve_host

    res = next(r for r in scans["sovereign-outscale-ovh"].resources if r.address == "aws_s3_bucket.consents")
    host = resolve_host(catalog, res.placement, res.type)
    assert host is None or not host.known_region
