"""Offline AWS inventories: the tagging API's get-resources output and AWS Config items,
recognised by content; every AWS file of the shared corpus reads; malformed ones exit 2
naming the file and the place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import AS_OF, corpus_dir

from sovpolicy.cli import main
from sovpolicy.config import load_config
from sovpolicy.errors import CatalogError
from sovpolicy.model import Origin, SourceKind, Status
from sovpolicy.pipeline import scan
from sovpolicy.policy import load_packs
from sovpolicy.sources.aws_api import AWS_API_PATH, build_aws_api, load_aws_api
from sovpolicy.sources.registry import detect, file_sources

HEALTH_CI = {
    "version": "1.3", "accountId": "111122223333", "configurationItemCaptureTime": "2026-11-30T08:00:00.000Z",
    "configurationItemStatus": "OK", "arn": "arn:aws:s3:::hds-archive", "resourceType": "AWS::S3::Bucket",
    "resourceId": "hds-archive", "awsRegion": "eu-west-3", "tags": {"data_classification": "health"},
    "configuration": {"name": "hds-archive"},
    "supplementaryConfiguration": {"BucketReplicationConfiguration": {"roleARN": "arn:aws:iam::111122223333:role/r", "rules": [
        {"id": "r1", "status": "Enabled", "destinationConfig": {"bucketARN": "arn:aws:s3:::hds-archive-us"}}]}},
}
REPLICA_CI = {**HEALTH_CI, "arn": "arn:aws:s3:::hds-archive-us", "resourceId": "hds-archive-us", "awsRegion": "us-east-1",
              "supplementaryConfiguration": {}, "configurationItemCaptureTime": "2026-11-30T09:00:00.000Z"}


def _scan(*paths: Path):
    from sovpolicy.catalog import load_catalog

    return scan(file_sources(list(paths)), load_config(None), load_catalog(), load_packs(None), AS_OF)


def _write(tmp_path: Path, name: str, doc: object) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def test_type_mapping_is_catalog_data(catalog):
    live = catalog.live_types["aws"]
    assert live.get("AWS::RDS::DBInstance").terraform == "aws_db_instance"
    assert live.get("arn:rds:db").terraform == "aws_db_instance"
    assert live.get("arn:s3").terraform == "aws_s3_bucket"
    assert live.get("AWS::RDS::DBInstance").source.id == "aws-config-resource-types"


def test_api_facts_are_valid_data():
    api = load_aws_api()
    assert api.iam_action("s3", "ListBuckets") == "s3:ListAllMyBuckets"
    assert api.iam_action("opensearch", "ListDomainNames") == "es:ListDomainNames"
    assert {f.id for f in api.flow_paths("aws_s3_bucket", "config")} == {"aws-s3-replication"}
    assert "aws_dynamodb_table" in api.copies and "aws_lambda_function" not in api.copies


def test_api_facts_are_validated():
    import yaml

    doc = yaml.safe_load(AWS_API_PATH.read_text(encoding="utf-8"))
    doc["flows"][0]["value"] = "somewhere"
    with pytest.raises(CatalogError, match=r"\$\.flows\[0\]\.value"):
        build_aws_api(doc, "aws_api.yaml")
    doc["flows"][0]["value"] = "arn"
    doc["flows"][0]["source"] = "nowhere"
    with pytest.raises(CatalogError, match=r"\$\.flows\[0\]\.source: unknown source 'nowhere'"):
        build_aws_api(doc, "aws_api.yaml")


def test_config_items_with_replication_are_judged_at_the_destination(tmp_path):
    p = _write(tmp_path, "items.json", [HEALTH_CI, REPLICA_CI])
    assert detect(p)[0].name == "aws-config"
    result = _scan(p)
    res = {r.address: r for r in result.resources}
    src = res["arn:aws:s3:::hds-archive"]
    assert (src.type, src.source, src.input) == ("aws_s3_bucket", SourceKind.INVENTORY, str(p))
    assert (src.placement.region, src.placement.origin) == ("eu-west-3", Origin.OBSERVED)
    assert [(f.to.region, f.via, f.rule) for f in src.flows] == [("us-east-1", "arn:aws:s3:::hds-archive-us", "aws-s3-replication")]
    by = {(f.policy_id, f.address, f.flow is not None): f.status for f in result.findings}
    assert by[("SOV-HDS-002", "arn:aws:s3:::hds-archive", False)] is Status.PASS
    assert by[("SOV-HDS-002", "arn:aws:s3:::hds-archive", True)] is Status.FAIL
    assert by[("SOV-HDS-002", "arn:aws:s3:::hds-archive-us", False)] is Status.FAIL
    assert any("captured up to 2026-11-30T09:00:00.000Z" in n for n in result.notes)


def test_s3_destination_outside_the_export_is_unknown_and_blocks(tmp_path):
    p = _write(tmp_path, "one.json", HEALTH_CI)
    result = _scan(p)
    (flow,) = result.resources[0].flows
    assert flow.to.region is None and "was not read in this scan" in (flow.to.reason or "")
    unknown = [f for f in result.findings if f.flow is not None and f.policy_id == "SOV-HDS-002"]
    assert [(f.status, f.blocking) for f in unknown] == [(Status.UNKNOWN, True)]


def test_tagging_export_types_regions_and_unread_copies(tmp_path):
    doc = {"PaginationToken": "", "ResourceTagMappingList": [
        {"ResourceARN": "arn:aws:dynamodb:eu-west-3:111122223333:table/patients",
         "Tags": [{"Key": "data_classification", "Value": "health"}]},
        {"ResourceARN": "arn:aws:bedrock:eu-west-3:111122223333:provisioned-model/x", "Tags": []},
        {"ResourceARN": "arn:aws:s3:::logs", "Tags": []}]}
    p = _write(tmp_path, "tags.json", doc)
    assert detect(p)[0].name == "aws-tagging"
    result = _scan(p)
    res = {r.address: r for r in result.resources}
    table = res["arn:aws:dynamodb:eu-west-3:111122223333:table/patients"]
    assert table.type == "aws_dynamodb_table" and table.placement.region == "eu-west-3"
    # the tagging API says nothing of replicas: the table's copies are unknown, and block
    assert [f.to.region for f in table.flows] == [None]
    assert any(f.flow is not None and f.status is Status.UNKNOWN and f.blocking for f in result.findings)
    unknown_type = res["arn:aws:bedrock:eu-west-3:111122223333:provisioned-model/x"]
    assert unknown_type.type == "aws:bedrock:provisioned-model"
    assert any("not in the AWS type mapping" in n for n in unknown_type.notes)
    assert res["arn:aws:s3:::logs"].placement.region is None  # a bucket ARN holds no region: unresolved


def test_partial_tagging_page_is_a_problem(tmp_path):
    p = _write(tmp_path, "page.json", {"PaginationToken": "abc", "ResourceTagMappingList": []})
    result = _scan(p)
    assert [pr.kind for pr in result.problems] == ["aws-export-partial"] and result.exit_code == 3


@pytest.mark.parametrize(("doc", "place"), [
    ({"ResourceTagMappingList": [{"ResourceARN": "arn:aws:s3:::ok"}, {"Tags": []}]}, "$.ResourceTagMappingList[1]"),
    ({"ResourceTagMappingList": [{"ResourceARN": "not-an-arn"}]}, "$.ResourceTagMappingList[0]"),
    ([HEALTH_CI, {**HEALTH_CI, "awsRegion": 3}], "$[1].awsRegion"),
    ({"Results": ["{\"resourceId\": 1", "{}"], "QueryInfo": {}}, "$.Results[0]"),
    ({"status_code": 200, "data": {"configurationItems": [{"resourceType": "AWS::S3::Bucket"}]}},
     "$.data.configurationItems[0]"),
])
def test_malformed_exports_exit_2_naming_the_place(tmp_path, capsys, doc, place):
    p = _write(tmp_path, "bad.json", doc)
    assert main(["scan", str(p), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert f"{p}:{place}" in err and "Traceback" not in err and err.count("\n") == 1


# --- the shared corpus --------------------------------------------------------------------

EXPECTED = {  # file -> (resources, a resource address, its type, its region)
    "aws-config-ci-cloudfront-GLOBAL-rdk.json": (1, None, "aws_cloudfront_distribution", "global"),
    "aws-config-ci-iam-role-GLOBAL-rdk.json": (1, "arn:aws:iam::264683526309:role/service-role/config-role-ezcrc2", "aws_iam_role", "global"),
    "aws-config-ci-customer-gateway-REGION-NOT-APPLICABLE-rdk.json": (
        1, "arn:aws:ec2:us-east-1:264683526309:customer-gateway/cgw-5699703f", "aws_customer_gateway", "global"),
    "aws-config-ci-shield-GLOBAL-LIST-rdk.json": (1, None, "aws_shield_protection", "global"),
    "aws-config-ci-cloudtrail-apsoutheast1-rdk.json": (1, "arn:aws:cloudtrail:ap-southeast-1:123456789012:trail/APJCCloudTrail",
                                                       "aws_cloudtrail", "ap-southeast-1"),
    "aws-config-ci-rds-dbinstance-rdk.json": (1, "arn:aws:rds:us-east-1:264683526309:db:myrdstest", "aws_db_instance", "us-east-1"),
    "aws-config-ci-s3-bucket-rdk.json": (1, "arn:aws:s3:::mborch-test-bucket-config-item", "aws_s3_bucket", "us-east-1"),
    "aws-config-ci-ssm-managed-instance-inventory-rdk.json": (1, None, "aws:ssm:managed-instance-inventory", "us-east-1"),
    "aws-config-select-rds-cluster-c7n.json": (2, "arn:aws:rds:us-east-2:644160558196:cluster:test-cluster", "aws_rds_cluster", "us-east-2"),
    "aws-config-select-ecr-8-results-c7n.json": (8, "arn:aws:ecr:us-east-1:644160558196:repository/testing", "aws_ecr_repository", "us-east-1"),
    "aws-config-list-discovered-ecs-c7n.json": (2, "arn:aws:ecs:us-east-2:644160558196:service/dev/queue-processor", "aws_ecs_service", "us-east-2"),
    "aws-config-history-security-group-c7n.json": (1, None, "aws_security_group", "us-east-1"),
    "aws-tagging-getresources-bedrock-45-c7n.json": (45, None, None, None),
    "aws-tagging-getresources-rds-snapshots-c7n.json": (9, "arn:aws:rds:us-east-1:644160558196:snapshot:originb", "aws_db_snapshot", "us-east-1"),
    "aws-tagging-getresources-elasticache-useast2-c7n.json": (6, None, None, "us-east-2"),
}


@pytest.mark.slow
def test_every_aws_corpus_file_reads():
    root = corpus_dir("inventory")
    files = sorted(p for p in root.glob("*aws*.json") if not p.name.startswith("INVALID"))
    assert len(files) >= 28
    for p in files:
        result = _scan(p)
        assert result.resources, p.name
        assert all(r.placement.cloud == "aws" and r.input == str(p) for r in result.resources), p.name
        exp = EXPECTED.get(p.name)
        if exp is None:
            continue
        count, address, rtype, region = exp
        assert len(result.resources) == count, p.name
        pick = [r for r in result.resources if address is None or r.address == address]
        assert pick, p.name
        if rtype is not None:
            assert pick[0].type == rtype, p.name
        if region is not None:
            assert {r.placement.region for r in pick} == {region}, p.name


def test_redshift_snapshot_copy_from_the_corpus():
    p = corpus_dir("inventory") / "aws-config-ci-redshift-cluster-rdk.json"
    (res,) = _scan(p).resources
    assert res.placement.region == "us-west-2"
    assert [(f.to.region, f.kind.value, f.rule) for f in res.flows] == [("us-east-1", "copy", "aws-redshift-snapshot-copy")]


def test_invalid_corpus_export_exits_2_naming_file_and_line(capsys):
    p = corpus_dir("inventory") / "INVALID-aws-config-ci-eni-unclosed-rdk.json"
    assert main(["scan", str(p), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sovpolicy: error: {p}:87:") and "not valid JSON" in err
