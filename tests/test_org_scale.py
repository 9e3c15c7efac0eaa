"""Live scans of an organisation, against bench/org_responder.py's generated organisation on
127.0.0.1 (every response made from (account, region), in each service's own wire format;
the real boto3/botocore and Azure SDK send and parse them): the number of API calls per path,
as the README gives it, and the queries of the aggregated paths kept within the clouds'
limits (Config's 4,096-character expression, Resource Explorer's 1,000 results per query,
Resource Graph's 1,000 subscriptions per request)."""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any

import pytest

pytest.importorskip("boto3")

from aws_fake import isolate_aws_env
from conftest import ROOT

from sovpolicy.catalog import load_catalog
from sovpolicy.cli import build_parser
from sovpolicy.sources.base import ReadContext
from sovpolicy.sources.registry import live_sources

sys.path.insert(0, str(ROOT / "bench"))
from org_responder import REGIONS, Responder, account_id

pytestmark = pytest.mark.slow
PER_REGION = 13  # resources the responder puts in each account and region (12 readable through the service APIs)
GLOBAL = 3  # IAM roles per account


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    empty = tmp_path_factory.mktemp("awscfg") / "empty"
    empty.write_text("", encoding="utf-8")
    responder = Responder(tmp_path_factory.mktemp("cert"))
    responder.serve()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REQUESTS_CA_BUNDLE", str(responder.cert))
        isolate_aws_env(mp, responder.aws_url, empty)
        yield responder
    responder.stop()


def _control(org: Responder, what: str, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    req = urllib.request.Request(f"{org.aws_url}/__bench/{what}", method="GET" if doc is None else "POST",
                                 data=None if doc is None else json.dumps(doc).encode())
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def _read(org: Responder, accounts: int, *argv: str, search_limit: int = 1000) -> tuple[Any, Any, dict[str, int], list[str]]:
    _control(org, "world", {"accounts": accounts, "search_limit": search_limit})
    _control(org, "reset", {})
    src = live_sources(build_parser().parse_args(["scan", "--organization", "--org-role", "SovpolicyReadOnly", *argv]))[0]
    out = src.read(ReadContext(load_catalog()))
    return src, out, _control(org, "counts"), _control(org, "queries")["queries"]


def test_per_account_loop_makes_the_calls_the_readme_formula_gives(org):
    accounts, regions = 3, 2
    src, out, counts, _ = _read(org, accounts, "--aws-inventory", "api", "--regions", ",".join(REGIONS[:regions]))
    buckets = len(REGIONS)  # each account has a bucket in each of the 17 regions, 2 of them scanned
    expected = (1 + accounts * (1 + 4 + 19 * regions) + accounts * buckets + accounts * regions + accounts * regions * 4
                + 1 + (accounts - 1))  # ListAccounts (one page), AssumeRole per member account
    assert expected == 214
    assert sum(counts.values()) == expected == src.sessions.log.total
    assert counts["aws sts:AssumeRole"] == accounts - 1 and counts["aws ec2:DescribeRegions"] == accounts
    assert counts["aws resourcegroupstaggingapi:GetResources"] == accounts * regions
    assert counts["aws s3:GetBucketLocation"] == accounts * buckets
    assert not out.problems
    # the SNS topic is untagged and has no collector: the service APIs do not see it
    assert len(out.resources) == accounts * (regions * (PER_REGION - 1) + GLOBAL)
    assert {r.input for r in out.resources} == {f"aws:{account_id(i)}" for i in range(accounts)}


@pytest.mark.parametrize("concurrency, at_once", [("1", 1), ("8", 4)])
def test_one_accounts_regions_are_read_concurrently_up_to_the_flag(org, concurrency, at_once):
    # every answer waits 0.1 s, as a round trip would: requests sent together are answered together
    _control(org, "world", {"accounts": 1, "latency_ms": 100})
    _control(org, "reset", {})
    try:
        src = live_sources(build_parser().parse_args(["scan", "--aws", "--regions", ",".join(REGIONS[:4]),
                                                      "--aws-concurrency", concurrency]))[0]
        out = src.read(ReadContext(load_catalog()))
    finally:
        _control(org, "world", {"latency_ms": 0})
    assert not out.problems
    assert _control(org, "peak")["peak"] == at_once  # 4 regions: 4 tasks at once with 8 threads, 1 with 1


def test_live_read_frees_the_sdk_garbage_while_the_scan_pauses_the_cycle_collector(org):
    import gc

    _control(org, "world", {"accounts": 2})
    src = live_sources(build_parser().parse_args(["scan", "--organization", "--org-role", "SovpolicyReadOnly",
                                                  "--aws-inventory", "api", "--regions", "us-east-1,eu-west-3"]))[0]
    catalog = load_catalog()
    gc.collect()
    gc.disable()  # as `sovpolicy scan` runs
    try:
        out = src.read(ReadContext(catalog))
        assert not gc.isenabled()  # the caller's state back
        left = gc.collect()  # unreachable objects the read left behind
    finally:
        gc.enable()
    assert not out.problems and len(out.resources) == 2 * (2 * (PER_REGION - 1) + GLOBAL)
    # botocore makes a client class per client, with its operation models and methods, all in reference
    # cycles: over 200,000 objects for these 2 accounts x 2 regions when nothing collects them
    assert left < 100


def test_config_aggregator_reads_pages_of_100(org):
    accounts = 3
    _, out, counts, queries = _read(org, accounts, "--aws-inventory", "config")
    items = accounts * (len(REGIONS) * PER_REGION + GLOBAL)
    assert len(out.resources) == items == 672
    # GetCallerIdentity, ListAccounts, DescribeConfigurationAggregators, then 7 pages (25 rows a page without a Limit: 27)
    assert counts["aws config:SelectAggregateResourceConfig"] == 7
    assert sum(counts.values()) == 10
    assert len(queries) == 7 and not out.problems


def test_config_aggregator_splits_an_expression_too_long_for_aws(org):
    accounts = list(range(1, 301))  # 300 member accounts of 400: their IDs alone are 4,800 characters
    _, out, counts, queries = _read(org, 400, "--aws-inventory", "config", "--regions", "eu-west-3",
                                    "--accounts", ",".join(account_id(i) for i in accounts))
    assert not out.problems
    assert len(out.resources) == len(accounts) * PER_REGION
    assert {r.input for r in out.resources} == {f"aws:{account_id(i)}" for i in accounts}
    expressions = list(dict.fromkeys(queries))
    assert len(expressions) == 2 and all(len(e) <= 4096 for e in expressions)
    assert "aws sts:AssumeRole" not in counts


def test_resource_explorer_splits_queries_by_account(org):
    # the responder's limit of results per query stands in for AWS's 1,000 (the same answer, smaller)
    _, out, counts, queries = _read(org, 5, "--aws-inventory", "resource-explorer", "--regions", "us-east-1,eu-west-3",
                                    search_limit=100)
    assert not out.problems
    assert len(out.resources) == 5 * 2 * PER_REGION == 130
    assert queries == ["region:us-east-1 region:eu-west-3"] + [
        f"accountid:{account_id(i)} region:us-east-1 region:eu-west-3" for i in range(5)]
    assert counts["aws resource-explorer-2:Search"] == 6
    assert any("130 resources in 6 queries" in n for n in out.notes)


def test_resource_explorer_splits_an_account_by_region(org):
    _, out, _, queries = _read(org, 2, "--aws-inventory", "resource-explorer", "--regions", "us-east-1,eu-west-3",
                               search_limit=20)
    assert not out.problems
    assert len(out.resources) == 2 * 2 * PER_REGION
    assert queries[2:4] == [f"accountid:{account_id(0)} region:us-east-1", f"accountid:{account_id(0)} region:eu-west-3"]
    assert len(queries) == 1 + 2 * 3


def test_resource_explorer_reports_what_even_a_split_query_cannot_return(org):
    # without --regions: the regions its first answer named, then one query for the others (still more than 20)
    _, out, _, queries = _read(org, 1, "--aws-inventory", "resource-explorer", search_limit=20)
    rest = [q for q in queries if "-region:" in q]
    assert len(rest) == 1
    assert [p.kind for p in out.problems] == ["aws-partial"]
    assert rest[0] in out.problems[0].message
    assert 20 < len(out.resources) < len(REGIONS) * PER_REGION + GLOBAL


def test_resource_graph_queries_more_subscriptions_than_one_request_may_name_in_batches(org, monkeypatch):
    import time

    from azure.core.credentials import AccessToken

    from sovpolicy.sources import azure_sdk
    from sovpolicy.sources.azure import AzureOptions, scan

    class Token:
        def get_token(self, *scopes: str, **kw: Any) -> AccessToken:
            return AccessToken("bench-token", int(time.time()) + 3600)

    assert azure_sdk.GRAPH_SUBSCRIPTIONS == 1000  # Resource Graph's limit per request
    # the same limit, lowered in the responder and the scanner alike, keeps the test small
    monkeypatch.setattr(azure_sdk, "GRAPH_SUBSCRIPTIONS", 40)
    subscriptions = 100
    _control(org, "world", {"subscriptions": subscriptions, "graph_subscriptions": 40})
    _control(org, "reset", {})
    try:
        out = scan(AzureOptions(arm_endpoint=org.azure_url, inventory="graph"), load_catalog(), Token())
    finally:
        _control(org, "world", {"graph_subscriptions": 1000})
    counts = _control(org, "counts")
    assert not out.problems
    assert len(out.resources) == subscriptions * 12  # 2 resource groups and 10 resources each
    # 1 subscription list; 3 batches of 40, 40 and 20 subscriptions, 13 rows each (520, 520, 260: 1 page of
    # 1,000 rows each); 1 failover-group list per SQL server
    assert counts == {"azure subscriptions:list": 1, "azure graph:resources": 3, "azure sql:failoverGroups": subscriptions}


@pytest.mark.parametrize("flag", ["--aws-concurrency", "--azure-concurrency"])
def test_concurrency_below_one_is_a_usage_error(flag):
    from sovpolicy.errors import UsageError

    cloud = "--aws" if flag.startswith("--aws") else "--azure"
    with pytest.raises(UsageError, match=f"{flag}.* at least 1"):
        live_sources(build_parser().parse_args(["scan", cloud, flag, "0"]))
