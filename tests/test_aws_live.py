"""The live AWS scan, run for real against moto's server over HTTP on 127.0.0.1 (through a
small proxy of ours for access denied, throttling and the APIs moto lacks): findings by
ARN, regions, copies, faults, organisations, aggregated inventories, the read-only proof
against the README's IAM policy, and secrets that must never appear."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("moto")

import aws_world
from aws_fake import FakeAws, isolate_aws_env
from aws_world import CANARY, DENIED, MGMT, REGIONS
from conftest import ROOT

from sovpolicy.catalog import load_catalog
from sovpolicy.cli import build_parser
from sovpolicy.config import load_config
from sovpolicy.model import Origin, ScanResult, Status
from sovpolicy.pipeline import scan
from sovpolicy.policy import load_packs
from sovpolicy.sources.registry import live_sources

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 11, 30)
READ_VERBS = ("List", "Get", "Describe", "Search", "Select")


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    empty = tmp_path_factory.mktemp("awscfg") / "empty"
    empty.write_text("", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        fake = FakeAws()
        isolate_aws_env(mp, fake.url, empty)
        yield fake
        fake.stop()


def _standard_rules(fake: FakeAws) -> None:
    fake.deny_regions.add(DENIED)
    fake.throttle["ListTables eu-west-3"] = 2
    fake.rewrite["DescribeTable"] = aws_world.global_table
    # moto answers 500 for these; the real APIs answer an empty list when nothing is set up
    fake.canned["GET /2015-02-01/file-systems/replication-configurations"] = {"Replications": []}
    fake.canned["POST /ListIndexes"] = {"Indexes": []}


@pytest.fixture(scope="module")
def world(fake):
    fake.reset()
    w = aws_world.build()
    _standard_rules(fake)
    fake.rewrite["GetResources"] = aws_world.ecr_tags(w.arns)
    return w


def _run(*argv: str) -> tuple[ScanResult, object]:
    args = build_parser().parse_args(["scan", *argv])
    sources = live_sources(args)
    result = scan(sources, load_config(None), load_catalog(), load_packs(None), AS_OF)
    return result, sources[0]


@pytest.fixture(scope="module")
def account_scan(world, fake):
    fake.seen.clear()
    result, source = _run("--aws", "--regions", ",".join(REGIONS))
    return result, source, dict(fake.seen)


def _by_arn(result: ScanResult) -> dict[str, object]:
    return {r.address: r for r in result.resources}


def test_health_resources_block_by_arn_and_the_untagged_bucket_does_not(world, account_scan):
    result, _, _ = account_scan
    a = world.arns
    expected = {a[k] for k in ("records", "replica_bucket", "london", "db", "db_replica", "table_eu-west-3", "table_us-east-1",
                               "volume", "key", "secret", "function", "repository", "web_repository")}
    expected.add(a["secret"].replace(":eu-west-3:", ":eu-west-2:"))  # the secret's replica, tags and all
    assert {f.address for f in result.findings if f.blocking} == expected
    res = _by_arn(result)
    untagged = res[a["untagged"]]
    assert (untagged.type, untagged.placement.region, untagged.input) == ("aws_s3_bucket", "eu-west-3", f"aws:{MGMT}")
    assert not [f for f in result.findings if f.address == a["untagged"]]
    assert result.exit_code == 1  # blocking beats incomplete


def test_types_and_observed_regions(world, account_scan):
    result, _, _ = account_scan
    res = _by_arn(result)
    a = world.arns
    want = {"records": ("aws_s3_bucket", "eu-west-3", "s3:GetBucketLocation"),
            "london": ("aws_s3_bucket", "eu-west-2", "s3:GetBucketLocation"),
            "db": ("aws_db_instance", "eu-west-3", "rds:DescribeDBInstances"),
            "db_replica": ("aws_db_instance", "us-east-1", "rds:DescribeDBInstances"),
            "table_eu-west-3": ("aws_dynamodb_table", "eu-west-3", "dynamodb:ListTables"),
            "volume": ("aws_ebs_volume", "eu-west-2", "ec2:DescribeVolumes"),
            "key": ("aws_kms_key", "eu-west-3", "kms:ListKeys"),
            "secret": ("aws_secretsmanager_secret", "eu-west-3", "secretsmanager:ListSecrets"),
            "function": ("aws_lambda_function", "eu-west-3", "lambda:ListFunctions"),
            "role": ("aws_iam_role", "global", "iam:ListRoles")}
    for key, (rtype, region, evidence) in want.items():
        r = res[a[key]]
        assert (r.type, r.placement.region, r.placement.origin, r.placement.evidence) == (
            rtype, region, Origin.OBSERVED, (evidence,)), key
        assert r.tags.get("data_classification") == ("health" if key != "role" else None), key


def test_copies_in_other_regions_are_flows_judged_at_their_destination(world, account_scan):
    result, _, _ = account_scan
    res = _by_arn(result)
    a = world.arns
    keys = ("records", "db", "table_eu-west-3", "key", "secret", "backup_plan", "repository", "web_repository")
    flows = {k: [(f.to.region, f.kind.value, f.rule) for f in res[a[k]].flows] for k in keys}
    assert flows == {
        "records": [("us-east-1", "replicate", "aws-s3-replication")],
        "db": [("us-east-1", "replicate", "aws-rds-read-replica")],
        "table_eu-west-3": [("us-east-1", "replicate", "aws-dynamodb-global-table")],
        "key": [("us-east-1", "replicate", "aws-kms-multi-region")],
        "secret": [("eu-west-2", "replicate", "aws-secret-replica")],
        "backup_plan": [("us-east-1", "copy", "aws-backup-copy-action")],
        "repository": [("us-east-1", "replicate", "aws-ecr-registry-replication")],
        "web_repository": [],  # not selected by the registry's repository filter
    }
    assert [f.via for f in res[a["records"]].flows] == [a["replica_bucket"]]
    assert [f.via for f in res[a["db"]].flows] == [a["db_replica"]]
    hds2 = {(f.address, f.flow.to.region if f.flow else None): f.status for f in result.findings if f.policy_id == "SOV-HDS-002"}
    for k in ("records", "db", "table_eu-west-3", "repository"):
        assert hds2[(a[k], None)] is Status.PASS  # Paris is in the EEA...
        assert hds2[(a[k], "us-east-1")] is Status.FAIL  # ...its copy in us-east-1 is not
    assert hds2[(a["london"], None)] is Status.FAIL


def test_denied_region_is_one_problem_naming_account_region_and_calls(account_scan):
    result, _, seen = account_scan
    denied = [p for p in result.problems if p.where == f"aws:{MGMT}:{DENIED}"]
    assert [p.kind for p in denied] == ["aws-access-denied"]
    msg = denied[0].message
    assert msg.startswith(f"account {MGMT}, region {DENIED}: 19 calls failed (AccessDenied")
    for call in ("tag:GetResources", "rds:DescribeDBInstances", "dynamodb:ListTables", "kms:ListKeys"):
        assert call in msg
    assert not [r for r in result.resources if r.placement.region == DENIED]
    assert len(result.problems) == 1  # nothing else failed, nothing skipped silently
    assert seen[(DENIED, "tagging", "GetResources")] == 1  # access denied is not retried


def test_throttling_is_retried_by_botocore(world, account_scan):
    result, _, seen = account_scan
    assert seen[("eu-west-3", "dynamodb", "ListTables")] == 3  # two Throttling answers, then moto's
    assert world.arns["table_eu-west-3"] in _by_arn(result)
    assert not [p for p in result.problems if p.kind == "aws-throttled"]


def test_without_retries_throttling_is_a_problem(world, fake):
    fake.throttle["ListTables eu-west-3"] = 1
    result, _ = _run("--aws", "--regions", "eu-west-3", "--aws-max-attempts", "1")
    (p,) = [p for p in result.problems if p.kind == "aws-throttled"]
    assert p.message.startswith(f"account {MGMT}, region eu-west-3, dynamodb:ListTables: ThrottlingException")


def _readme_policy() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- aws-iam-policy -->\n```json\n(.*?)\n```", text, re.S)
    assert m, "README has no IAM policy block"
    return json.loads(m.group(1))


def _allowed(policy: dict) -> list[str]:
    out: list[str] = []
    for st in policy["Statement"]:
        assert st["Effect"] == "Allow"
        acts = st["Action"]
        out += [acts] if isinstance(acts, str) else acts
    return out


def _check_read_only(calls: dict[str, int]) -> None:
    allowed = _allowed(_readme_policy())
    for action in calls:
        assert any(fnmatch.fnmatchcase(action, pat) for pat in allowed), f"{action} is not in the README's IAM policy"
        verb = action.split(":", 1)[1]
        assert verb.startswith(READ_VERBS) or action == "sts:AssumeRole", f"{action} is not a read"


def test_every_call_is_a_read_allowed_by_the_readme_policy(account_scan):
    _, source, _ = account_scan
    calls = dict(source.sessions.log.counts)
    assert {"s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetReplicationConfiguration", "tag:GetResources",
            "rds:DescribeDBInstances", "dynamodb:DescribeTable", "ec2:DescribeRegions"} <= set(calls)
    _check_read_only(calls)


def test_api_calls_grow_with_regions_not_resources(world, fake):
    counts = {}
    for regions in ("eu-west-2", "eu-west-2,eu-west-3"):
        _, source = _run("--aws", "--regions", regions)
        counts[regions] = source.sessions.log.counts
    one, two = counts["eu-west-2"], counts["eu-west-2,eu-west-3"]
    # one more region adds its 19 list calls and one detail call per table, key and secret
    # of that region (the S3 calls are per account and already counted)
    # eu-west-3 has 2 buckets, a table, a key, a secret and a backup plan
    assert sum(two.values()) - sum(one.values()) == 19 + 2 + 4
    assert one["rds:DescribeDBInstances"] == 1 and two["rds:DescribeDBInstances"] == 2


def test_regions_not_enabled_are_skipped_and_named(world):
    result, _ = _run("--aws", "--regions", "eu-west-3,ap-east-1")
    assert f"aws: account {MGMT}: regions not enabled, skipped: ap-east-1" in result.notes
    assert (f"aws: account {MGMT}: 2 S3 buckets in regions not scanned were left out: hds-london (eu-west-2), "
            "hds-records-replica (us-east-1)") in result.notes
    assert any(n.startswith(f"aws: account {MGMT} read through the service APIs in 1 regions (eu-west-3)") for n in result.notes)


REGIONS_XML = """<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><regionInfo>
<item><regionName>eu-west-3</regionName><regionEndpoint>ec2.eu-west-3.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>
<item><regionName>eu-south-2</regionName><regionEndpoint>ec2.eu-south-2.amazonaws.com</regionEndpoint><optInStatus>opted-in</optInStatus></item>
<item><regionName>ap-east-1</regionName><regionEndpoint>ec2.ap-east-1.amazonaws.com</regionEndpoint><optInStatus>not-opted-in</optInStatus></item>
</regionInfo></DescribeRegionsResponse>"""


def test_every_enabled_region_by_default_opt_in_included(world, fake):
    fake.canned_raw["DescribeRegions"] = ("text/xml", REGIONS_XML.encode())
    try:
        result, _ = _run("--aws")
    finally:
        del fake.canned_raw["DescribeRegions"]
    assert f"aws: account {MGMT}: 1 regions not enabled, skipped: ap-east-1" in result.notes
    assert f"aws: account {MGMT} read through the service APIs in 2 regions (eu-south-2, eu-west-3)" in result.notes
    assert {r.placement.region for r in result.resources if r.type != "aws_iam_role"} == {"eu-west-3"}


def test_organization_scans_each_member_with_the_org_role(world, fake):
    fake.seen.clear()
    result, source = _run("--organization", "--org-role", "SovpolicyReadOnly", "--regions", "eu-west-3,us-east-1")
    res = _by_arn(result)
    m0, m1 = world.members
    assert res[world.arns["member0"]].input == f"aws:{m0}" and res[world.arns["member0"]].placement.region == "eu-west-3"
    assert res[world.arns["member1"]].input == f"aws:{m1}" and res[world.arns["member1"]].type == "aws_dynamodb_table"
    assert res[world.arns["records"]].input == f"aws:{MGMT}"
    blocking = {f.address for f in result.findings if f.blocking}
    assert {world.arns["member0"], world.arns["member1"]} <= blocking
    assert source.input == f"aws:organization:{MGMT}"
    assert source.sessions.log.counts["sts:AssumeRole"] == 2
    assert source.sessions.log.counts["organizations:ListAccounts"] == 1
    _check_read_only(dict(source.sessions.log.counts))
    assert any("read through the service APIs" in n and m1 in n for n in result.notes)


def test_accounts_picks_a_subset(world):
    m0, m1 = world.members
    result, source = _run("--organization", "--org-role", "SovpolicyReadOnly", "--accounts", m1, "--regions", "us-east-1")
    assert {r.input for r in result.resources} == {f"aws:{m1}"}
    assert source.sessions.log.counts["sts:AssumeRole"] == 1
    result, _ = _run("--organization", "--accounts", "999999999999", "--regions", "us-east-1")
    assert [p.kind for p in result.problems] == ["aws-account-missing"]


CONFIG_RESULTS = [
    {"accountId": "111122223333", "arn": "arn:aws:s3:::org-hds", "resourceType": "AWS::S3::Bucket", "resourceId": "org-hds",
     "awsRegion": "eu-west-3", "tags": [{"key": "data_classification", "value": "health"}],
     "configuration": {"name": "org-hds"}, "configurationItemCaptureTime": "2026-11-30T08:00:00.000Z",
     "supplementaryConfiguration": {"BucketReplicationConfiguration": {"rules": [
         {"destinationConfig": {"bucketARN": "arn:aws:s3:::org-hds-us"}}]}}},
    {"accountId": "111122223333", "arn": "arn:aws:s3:::org-hds-us", "resourceType": "AWS::S3::Bucket", "resourceId": "org-hds-us",
     "awsRegion": "us-east-1", "tags": [], "configuration": {}, "supplementaryConfiguration": {},
     "configurationItemCaptureTime": "2026-11-30T09:00:00.000Z"},
    {"accountId": "444455556666", "arn": "arn:aws:dynamodb:eu-west-3:444455556666:table/visits", "resourceType": "AWS::DynamoDB::Table",
     "resourceId": "visits", "awsRegion": "eu-west-3", "tags": [{"key": "data_classification", "value": "health"}],
     "configuration": {"tableName": "visits", "replicas": [{"regionName": "eu-west-3"}, {"regionName": "eu-central-1"}]},
     "configurationItemCaptureTime": "2026-11-29T22:00:00.000Z"},
]


def test_config_aggregator_is_used_when_it_exists(world, fake):
    import boto3

    cfg = boto3.client("config", region_name="us-east-1")
    cfg.put_configuration_aggregator(ConfigurationAggregatorName="org", OrganizationAggregationSource={
        "RoleArn": f"arn:aws:iam::{MGMT}:role/aggregator", "AllAwsRegions": True})
    fake.canned["SelectAggregateResourceConfig"] = {"Results": [json.dumps(r) for r in CONFIG_RESULTS],
                                                    "QueryInfo": {"SelectFields": []}}
    try:
        result, source = _run("--organization", "--org-role", "SovpolicyReadOnly")
    finally:
        cfg.delete_configuration_aggregator(ConfigurationAggregatorName="org")
        del fake.canned["SelectAggregateResourceConfig"]
    res = _by_arn(result)
    assert set(res) == {r["arn"] for r in CONFIG_RESULTS}
    assert res["arn:aws:s3:::org-hds"].input == "aws:111122223333"
    assert [f.to.region for f in res["arn:aws:s3:::org-hds"].flows] == ["us-east-1"]
    assert [f.to.region for f in res["arn:aws:dynamodb:eu-west-3:444455556666:table/visits"].flows] == ["eu-central-1"]
    assert ("aws: inventory from AWS Config aggregator 'org' in us-east-1: 3 resources in 2 accounts (configuration items "
            "captured 2026-11-29T22:00:00.000Z to 2026-11-30T09:00:00.000Z)") in result.notes
    calls = dict(source.sessions.log.counts)
    assert "sts:AssumeRole" not in calls and "rds:DescribeDBInstances" not in calls  # no loop over accounts
    _check_read_only(calls)


def test_resource_explorer_aggregator_index(world, fake):
    view = "arn:aws:resource-explorer-2:eu-west-3:123456789012:view/all/1"
    fake.canned["POST /ListIndexes"] = {"Indexes": [{"Arn": "arn:aws:resource-explorer-2:eu-west-3:123456789012:index/1",
                                                     "Region": "eu-west-3", "Type": "AGGREGATOR"}]}
    fake.canned["POST /GetDefaultView"] = {"ViewArn": view}
    fake.canned["POST /Search"] = {"ViewArn": view, "Count": {"Complete": True, "TotalResources": 2}, "Resources": [
        {"Arn": "arn:aws:rds:eu-west-3:111122223333:db:clinic", "OwningAccountId": "111122223333", "Region": "eu-west-3",
         "ResourceType": "rds:db", "Service": "rds", "LastReportedAt": "2026-11-30T07:00:00Z",
         "Properties": [{"Name": "tags", "LastReportedAt": "2026-11-30T07:00:00Z",
                         "Data": [{"Key": "data_classification", "Value": "health"}]}]},
        {"Arn": "arn:aws:iam::111122223333:role/ops", "OwningAccountId": "111122223333", "Region": "global",
         "ResourceType": "iam:role", "Service": "iam", "LastReportedAt": "2026-11-30T06:00:00Z", "Properties": []}]}
    try:
        result, source = _run("--organization", "--org-role", "SovpolicyReadOnly")
    finally:
        fake.canned["POST /ListIndexes"] = {"Indexes": []}
    res = _by_arn(result)
    db = res["arn:aws:rds:eu-west-3:111122223333:db:clinic"]
    assert (db.type, db.placement.region, db.tags["data_classification"]) == ("aws_db_instance", "eu-west-3", "health")
    assert [f.to.region for f in db.flows] == [None]  # copies are not read on this path: unknown, blocking
    assert any(f.address == db.address and f.flow is not None and f.status is Status.UNKNOWN and f.blocking
               for f in result.findings)
    assert res["arn:aws:iam::111122223333:role/ops"].placement.region == "global"
    assert any(n.startswith("aws: inventory from the Resource Explorer aggregator index in eu-west-3") and
               "last reported 2026-11-30T06:00:00Z to 2026-11-30T07:00:00Z" in n for n in result.notes)
    _check_read_only(dict(source.sessions.log.counts))


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sovpolicy", *argv], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, cwd=ROOT)


def test_secrets_appear_in_no_output_log_or_history(world, tmp_path):
    db = tmp_path / "history.db"
    regions = "eu-west-3,us-east-1"  # where the canaries are
    proc = _cli("scan", "--aws", "--regions", regions, "--history", str(db), "--format", "text",
                "--format", f"json:{tmp_path / 'r.json'}", "--format", f"sarif:{tmp_path / 'r.sarif'}",
                "--evidence", str(tmp_path / "evidence"))
    assert proc.returncode == 1, proc.stderr
    blobs = [proc.stdout, proc.stderr, db.read_bytes().decode("latin-1")]
    blobs += [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    assert all(CANARY not in b for b in blobs)
    assert "testing" not in proc.stdout + proc.stderr  # not the access key either
    assert f"arn:aws:lambda:eu-west-3:{MGMT}:function:ingest" in proc.stdout
    second = _cli("scan", "--aws", "--regions", regions, "--history", str(db), "--format", "json")
    report = json.loads(second.stdout)
    assert report["history"]["previous_scan_id"] == 1 and report["history"]["new"] == 0 and report["history"]["resolved"] == []
    assert {f["history"] for f in report["findings"] if f["status"] != "pass"} == {"unchanged"}


def test_no_credentials_is_exit_2(world, tmp_path):
    proc = _cli("scan", "--aws", "--regions", "eu-west-3", env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert proc.returncode == 2 and proc.stderr.startswith("sovpolicy: error: no AWS credentials found")


def test_expired_token_is_a_problem_and_exit_3(world, fake):
    fake.errors["GetCallerIdentity"] = (403, "ExpiredToken", "The security token included in the request is expired")
    try:
        result, _ = _run("--aws", "--regions", "eu-west-3")
    finally:
        del fake.errors["GetCallerIdentity"]
    assert [p.kind for p in result.problems] == ["aws-expired-token"]
    assert result.problems[0].message.startswith("account (caller), region us-east-1, sts:GetCallerIdentity: ExpiredToken")
    assert result.exit_code == 3 and result.resources == ()


def test_unreachable_endpoint_is_a_problem(world, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:9")  # nothing listens on the discard port
    result, _ = _run("--aws", "--regions", "eu-west-3", "--aws-max-attempts", "1")
    (p,) = [p for p in result.problems if p.kind == "aws-unreachable"]
    assert p.message.startswith(f"account {MGMT}, region eu-west-3, kms:ListKeys: endpoint unreachable")


def test_boto3_is_imported_only_when_a_scan_runs():
    code = "import sys, sovpolicy.cli, sovpolicy.sources.aws; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.split() == ["False", "False"]


def test_aws_flags_need_aws(capsys):
    from sovpolicy.cli import main

    assert main(["scan", "--profile", "x", str(ROOT / "examples/hospital/plan.json")]) == 2
    assert "--profile is an AWS scan flag: give --aws too" in capsys.readouterr().err
    assert main(["scan", "--aws", "--accounts", "123"]) == 2
    assert "--accounts picks member accounts of --organization" in capsys.readouterr().err
    assert main(["scan", "--organization", "--accounts", "12"]) == 2
    assert "not a 12-digit AWS account ID" in capsys.readouterr().err


def test_progress_only_on_a_terminal():
    import io

    from sovpolicy.progress import enabled

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert enabled(Tty(), {}) is True
    assert enabled(Tty(), {"CI": "true"}) is False
    assert enabled(Tty(), {"TERM": "dumb"}) is False
    assert enabled(io.StringIO(), {}) is False  # a pipe or a file



def test_role_arn_with_external_id(world):
    m0 = world.members[0]
    result, source = _run("--aws", "--role-arn", f"arn:aws:iam::{m0}:role/SovpolicyReadOnly", "--external-id", "7f3e",
                          "--regions", "eu-west-3")
    assert source.input == f"aws:{m0}"
    assert {r.input for r in result.resources} == {f"aws:{m0}"}
    assert world.arns["member0"] in _by_arn(result)
    assert source.sessions.log.counts["sts:AssumeRole"] == 1


def test_profile_from_the_shared_files(world, tmp_path, monkeypatch, capsys):
    creds = tmp_path / "credentials"
    creds.write_text("[audit]\naws_access_key_id = testing\naws_secret_access_key = testing\n", encoding="utf-8")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result, source = _run("--aws", "--profile", "audit", "--regions", "eu-west-3")
    assert source.input == f"aws:{MGMT}" and world.arns["records"] in _by_arn(result)
    from sovpolicy.cli import main

    assert main(["scan", "--aws", "--profile", "nobody", "--regions", "eu-west-3"]) == 2
    assert capsys.readouterr().err == "sovpolicy: error: --profile: no AWS profile 'nobody' in the shared config and credentials files\n"


def test_a_bucket_whose_location_is_refused_is_unresolved_and_blocks(world, fake):
    fake.errors["GET /hds-london"] = (403, "AccessDenied", "bucket policy denies the scanner")
    try:
        result, _ = _run("--aws", "--regions", "eu-west-2")  # its tags come from the tagging API there
    finally:
        del fake.errors["GET /hds-london"]
    london = _by_arn(result)[world.arns["london"]]
    assert london.placement.region is None and london.placement.origin is Origin.UNRESOLVED
    own = [f for f in result.findings if f.address == london.address and f.flow is None]
    assert own and all(f.status is Status.UNKNOWN and f.blocking for f in own if f.policy_id != "SOV-HDS-004")
    assert any("s3:GetBucketLocation: AccessDenied" in p.message for p in result.problems)
