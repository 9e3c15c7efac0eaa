"""A generated organisation behind local endpoints on 127.0.0.1, for bench/bench_org.py.

It answers, in each service's own wire format (built from botocore's service models: query
and EC2 XML, REST-XML, JSON and REST-JSON), exactly the AWS API calls the live scan makes,
for an organisation of up to ``--accounts`` accounts in 17 regions, every response
generated on the fly from (account, region): no state, no storage, the same answer every
time. Over HTTPS (a self-signed certificate for 127.0.0.1) it answers the Azure calls of
the live Azure scan for the same number of subscriptions (subscription list, Resource
Graph pages with skip tokens, SQL failover groups).

It counts every request by (service, operation). Control paths (not AWS or Azure ones):
``GET /__bench/counts`` returns the counts, ``GET /__bench/peak`` the most requests answered
at once, ``GET /__bench/queries`` the Config expressions and Search queries asked,
``POST /__bench/reset`` clears them,
``POST /__bench/world`` ``{"accounts": N}`` sets the organisation's size (the first
account is the management account). Run by bench_org.py as a separate process, so the
scanner's CPU time is its own:

    python bench/org_responder.py --cert-dir DIR      # prints {"aws": URL, "azure": URL, "cert": PATH}
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

REGIONS = ("us-east-1", "eu-west-3", "eu-west-1", "eu-central-1", "eu-west-2", "eu-north-1", "us-east-2", "us-west-1",
           "us-west-2", "ca-central-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
           "ap-southeast-1", "ap-southeast-2", "sa-east-1")
"""The 17 regions every account has enabled (AWS's regions that need no opt-in)."""
NOT_ENABLED = ("af-south-1", "me-south-1")
MGMT_INDEX = 0
HEALTH = [{"Key": "data_classification", "Value": "health"}]
WHEN = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.timezone.utc)
SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
SIGNING_TO_SERVICE = {"tagging": "resourcegroupstaggingapi", "es": "opensearch", "elasticfilesystem": "efs"}
CONFIG_PAGE_DEFAULT, CONFIG_PAGE_MAX = 25, 100     # SelectAggregateResourceConfig without / with the largest Limit
CONFIG_EXPRESSION_MAX, SEARCH_QUERY_MAX = 4096, 1280  # characters AWS accepts in a Config expression, a Search query
SEARCH_LIMIT, SEARCH_PAGE_DEFAULT = 1000, 100      # Resource Explorer: at most 1,000 results per query
ORG_PAGE = 20                                      # organizations:ListAccounts MaxResults at most 20
GRAPH_PAGE_MAX = 1000


def account_id(i: int) -> str:
    return f"{100000000000 + i:012d}"


def index_of(account: str) -> int:
    return int(account) - 100000000000


# --------------------------------------------------------------------------- the generated estate

def inventory(a: str, r: str) -> list[dict[str, Any]]:
    """What one account holds in one region, as AWS Config items (the other views derive from it).

    Per account-region: 1 bucket, 1 instance, 2 volumes, 1 RDS database, 1 DynamoDB table, 1
    KMS key, 1 secret, 1 backup vault and plan, 1 Lambda function, and an SQS queue and an SNS
    topic only the tagging API lists: 14 resources, 7 of them tagged health. The bucket in
    eu-west-3 replicates to the account's bucket in us-east-1.
    """
    ri = REGIONS.index(r) if r in REGIONS else 99
    n = f"{index_of(a):04d}{ri:02d}"
    out = [
        _ci(a, r, "AWS::S3::Bucket", f"arn:aws:s3:::b-{a}-{r}", f"b-{a}-{r}", HEALTH,
            {"BucketReplicationConfiguration": {"rules": [{"destinationConfig": {"bucketARN": f"arn:aws:s3:::b-{a}-us-east-1"}}]}}
            if r == "eu-west-3" else {}),
        _ci(a, r, "AWS::EC2::Instance", f"arn:aws:ec2:{r}:{a}:instance/i-{n}", f"i-{n}", []),
        _ci(a, r, "AWS::EC2::Volume", f"arn:aws:ec2:{r}:{a}:volume/vol-{n}a", f"vol-{n}a", HEALTH),
        _ci(a, r, "AWS::EC2::Volume", f"arn:aws:ec2:{r}:{a}:volume/vol-{n}b", f"vol-{n}b", []),
        _ci(a, r, "AWS::RDS::DBInstance", f"arn:aws:rds:{r}:{a}:db:db-{n}", f"db-{n}", HEALTH),
        _ci(a, r, "AWS::DynamoDB::Table", f"arn:aws:dynamodb:{r}:{a}:table/t-{n}", f"t-{n}", HEALTH),
        _ci(a, r, "AWS::KMS::Key", f"arn:aws:kms:{r}:{a}:key/k-{n}", f"k-{n}", []),
        _ci(a, r, "AWS::SecretsManager::Secret", f"arn:aws:secretsmanager:{r}:{a}:secret:s-{n}", f"s-{n}", HEALTH),
        _ci(a, r, "AWS::Backup::BackupVault", f"arn:aws:backup:{r}:{a}:backup-vault:v-{n}", f"v-{n}", []),
        _ci(a, r, "AWS::Backup::BackupPlan", f"arn:aws:backup:{r}:{a}:backup-plan:p-{n}", f"p-{n}", []),
        _ci(a, r, "AWS::Lambda::Function", f"arn:aws:lambda:{r}:{a}:function:f-{n}", f"f-{n}", []),
        _ci(a, r, "AWS::SQS::Queue", f"arn:aws:sqs:{r}:{a}:q-{n}", f"q-{n}", HEALTH),
        _ci(a, r, "AWS::SNS::Topic", f"arn:aws:sns:{r}:{a}:n-{n}", f"n-{n}", []),
    ]
    return out


def global_inventory(a: str) -> list[dict[str, Any]]:
    """Each account's IAM roles (region ``global`` in AWS Config)."""
    return [_ci(a, "global", "AWS::IAM::Role", f"arn:aws:iam::{a}:role/role-{k}", f"role-{k}", []) for k in range(3)]


def _ci(a: str, r: str, rtype: str, arn: str, name: str, tags: list[dict[str, str]],
        supplementary: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"accountId": a, "arn": arn, "resourceType": rtype, "resourceId": name, "resourceName": name, "awsRegion": r,
            "tags": [{"key": t["Key"], "value": t["Value"]} for t in tags], "configuration": {},
            "supplementaryConfiguration": supplementary or {},
            "configurationItemCaptureTime": WHEN.strftime("%Y-%m-%dT%H:%M:%S.000Z")}


def _of_type(items: list[dict[str, Any]], rtype: str) -> list[dict[str, Any]]:
    return [c for c in items if c["resourceType"] == rtype]


def _tags(ci: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": t["key"], "Value": t["value"]} for t in ci["tags"]]


# --------------------------------------------------------------------------- AWS answers

class Aws:
    """The AWS side: one method per operation, returning the response as botocore models it."""

    def __init__(self) -> None:
        import botocore.session

        self.botocore = botocore.session.get_session()
        self.models: dict[str, Any] = {}
        self.accounts = 1
        self.rest_routes: dict[str, list[tuple[str, re.Pattern[str], str]]] = {}
        self.search_limit = SEARCH_LIMIT
        self.queries: list[str] = []
        """Every Config expression and Resource Explorer query string asked, in order."""
        self.lock = threading.Lock()
        self._items: tuple[int, list[tuple[str, str, str]]] | None = None
        self._by_account: dict[str, list[tuple[str, str, str]]] = {}

    def model(self, service: str) -> Any:
        with self.lock:
            return self._model(service)

    def _model(self, service: str) -> Any:
        if service not in self.models:
            m = self.botocore.get_service_model(service)
            routes = []
            for op in m.operation_names:
                http = m.operation_model(op).http
                uri = http["requestUri"].split("?")[0].rstrip("/") or "/"
                pattern = re.sub(r"\{[^}]+\}", "[^/]+", uri)
                routes.append((http["method"], re.compile(f"^{pattern}/?$"), op))
            routes.sort(key=lambda t: (t[1].pattern.count("[^/]+"), -len(t[1].pattern)))
            self.rest_routes[service] = routes
            self.models[service] = m
        return self.models[service]

    def rest_op(self, service: str, method: str, path: str, query: str) -> str:
        self.model(service)
        if service == "s3" and path.strip("/"):
            return {"location": "GetBucketLocation", "replication": "GetBucketReplication"}.get(query.split("=")[0], "?")
        for m, pattern, op in self.rest_routes[service]:
            if m == method and pattern.match(path):
                return op
        return "?"

    # --- answers (params: the request's parameters, a: the calling account, r: the region)
    def answer(self, service: str, op: str, params: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any] | tuple[int, str, str]:
        fn: Callable[..., Any] | None = getattr(self, f"{service.replace('-', '_')}__{op}", None)
        if fn is None:
            return 400, "InvalidAction", f"{service}:{op} is not generated by the bench responder"
        return fn(params, a, r, path)  # type: ignore[no-any-return]

    def sts__GetCallerIdentity(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Account": a, "Arn": f"arn:aws:iam::{a}:user/bench", "UserId": "AIDABENCHUSER"}

    def sts__AssumeRole(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        target = str(p.get("RoleArn", "")).split(":")[4]
        return {"Credentials": {"AccessKeyId": f"ASIA{target}", "SecretAccessKey": "bench-secret", "SessionToken": "bench-token",
                                "Expiration": WHEN + dt.timedelta(days=3650)},
                "AssumedRoleUser": {"Arn": f"arn:aws:sts::{target}:assumed-role/x/bench", "AssumedRoleId": "AROABENCH:bench"}}

    def organizations__ListAccounts(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        start = int(p.get("NextToken") or 0)
        size = min(int(p.get("MaxResults") or ORG_PAGE), ORG_PAGE)
        ids = [account_id(i) for i in range(start, min(start + size, self.accounts))]
        out: dict[str, Any] = {"Accounts": [{"Id": i, "Arn": f"arn:aws:organizations::{account_id(0)}:account/o-bench/{i}",
                                             "Email": f"{i}@example.org", "Name": f"acct-{i}", "Status": "ACTIVE",
                                             "JoinedMethod": "CREATED", "JoinedTimestamp": WHEN} for i in ids]}
        if start + size < self.accounts:
            out["NextToken"] = str(start + size)
        return out

    def ec2__DescribeRegions(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Regions": [{"RegionName": x, "Endpoint": f"ec2.{x}.amazonaws.com", "OptInStatus": "opt-in-not-required"}
                            for x in REGIONS] + [{"RegionName": x, "Endpoint": f"ec2.{x}.amazonaws.com",
                                                  "OptInStatus": "not-opted-in"} for x in NOT_ENABLED]}

    def ec2__DescribeInstances(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Reservations": [{"ReservationId": f"r-{c['resourceId']}", "OwnerId": a,
                                  "Instances": [{"InstanceId": c["resourceId"], "Tags": _tags(c)}]}
                                 for c in _of_type(inventory(a, r), "AWS::EC2::Instance")]}

    def ec2__DescribeVolumes(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Volumes": [{"VolumeId": c["resourceId"], "Tags": _tags(c)} for c in _of_type(inventory(a, r), "AWS::EC2::Volume")]}

    def ec2__DescribeSnapshots(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Snapshots": []}

    def s3__ListBuckets(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Buckets": [{"Name": f"b-{a}-{x}", "CreationDate": WHEN} for x in REGIONS],
                "Owner": {"ID": "bench", "DisplayName": "bench"}}

    def s3__GetBucketLocation(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        region = path.strip("/").split("-", 2)[-1]
        return {"LocationConstraint": "" if region == "us-east-1" else region}

    def s3__GetBucketReplication(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any] | tuple[int, str, str]:
        bucket = path.strip("/")
        if not bucket.endswith("-eu-west-3"):
            return 404, "ReplicationConfigurationNotFoundError", "The replication configuration was not found"
        owner = bucket.split("-")[1]
        return {"ReplicationConfiguration": {"Role": f"arn:aws:iam::{owner}:role/replication", "Rules": [
            {"ID": "dr", "Status": "Enabled", "Priority": 1, "Destination": {"Bucket": f"arn:aws:s3:::b-{owner}-us-east-1"}}]}}

    def iam__ListRoles(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Roles": [{"Path": "/", "RoleName": c["resourceName"], "RoleId": f"AROA{k:017d}", "Arn": c["arn"],
                           "CreateDate": WHEN} for k, c in enumerate(global_inventory(a))], "IsTruncated": False}

    def cloudfront__ListDistributions(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"DistributionList": {"Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 0}}

    def route53__ListHostedZones(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"HostedZones": [], "Marker": "", "IsTruncated": False, "MaxItems": "100"}

    def resourcegroupstaggingapi__GetResources(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"ResourceTagMappingList": [{"ResourceARN": c["arn"], "Tags": _tags(c)} for c in inventory(a, r)
                                           if c["tags"] and c["resourceType"] != "AWS::S3::Bucket"]}

    def rds__DescribeDBInstances(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"DBInstances": [{"DBInstanceIdentifier": c["resourceId"], "DBInstanceArn": c["arn"], "TagList": _tags(c)}
                                for c in _of_type(inventory(a, r), "AWS::RDS::DBInstance")]}

    def rds__DescribeDBClusters(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"DBClusters": []}

    def rds__DescribeGlobalClusters(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"GlobalClusters": []}

    def redshift__DescribeClusters(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Clusters": []}

    def dynamodb__ListTables(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"TableNames": [c["resourceId"] for c in _of_type(inventory(a, r), "AWS::DynamoDB::Table")]}

    def dynamodb__DescribeTable(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        name = p["TableName"]
        return {"Table": {"TableName": name, "TableArn": f"arn:aws:dynamodb:{r}:{a}:table/{name}", "Replicas": []}}

    def efs__DescribeFileSystems(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"FileSystems": []}

    def efs__DescribeReplicationConfigurations(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Replications": []}

    def backup__ListBackupVaults(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"BackupVaultList": [{"BackupVaultName": c["resourceId"], "BackupVaultArn": c["arn"]}
                                    for c in _of_type(inventory(a, r), "AWS::Backup::BackupVault")]}

    def backup__ListBackupPlans(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"BackupPlansList": [{"BackupPlanId": c["resourceId"], "BackupPlanArn": c["arn"], "BackupPlanName": "daily"}
                                    for c in _of_type(inventory(a, r), "AWS::Backup::BackupPlan")]}

    def backup__GetBackupPlan(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        pid = path.strip("/").split("/")[-1]
        return {"BackupPlanId": pid, "BackupPlanArn": f"arn:aws:backup:{r}:{a}:backup-plan:{pid}",
                "BackupPlan": {"BackupPlanName": "daily", "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "v"}]}}

    def kms__ListKeys(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Keys": [{"KeyId": c["resourceId"], "KeyArn": c["arn"]} for c in _of_type(inventory(a, r), "AWS::KMS::Key")],
                "Truncated": False}

    def kms__DescribeKey(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        kid = p["KeyId"]
        return {"KeyMetadata": {"KeyId": kid, "Arn": f"arn:aws:kms:{r}:{a}:key/{kid}", "MultiRegion": False}}

    def secretsmanager__ListSecrets(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"SecretList": [{"ARN": c["arn"], "Name": c["resourceId"], "Tags": _tags(c)}
                               for c in _of_type(inventory(a, r), "AWS::SecretsManager::Secret")]}

    def secretsmanager__DescribeSecret(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"ARN": p["SecretId"], "Name": str(p["SecretId"]).rsplit(":", 1)[-1]}

    def lambda__ListFunctions(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Functions": [{"FunctionName": c["resourceId"], "FunctionArn": c["arn"]}
                              for c in _of_type(inventory(a, r), "AWS::Lambda::Function")]}

    def opensearch__ListDomainNames(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"DomainNames": []}

    def ecr__DescribeRegistry(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"registryId": a, "replicationConfiguration": {"rules": []}}

    def ecr__DescribeRepositories(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"repositories": []}

    # --- the organisation's aggregated inventories
    def _all_items(self) -> list[tuple[str, str, str]]:
        """Every configuration item of the organisation as (account, region, JSON text), made
        once per organisation size."""
        with self.lock:
            if self._items is None or self._items[0] != self.accounts:
                out = []
                for i in range(self.accounts):
                    a = account_id(i)
                    for c in global_inventory(a) + [c for r in REGIONS for c in inventory(a, r)]:
                        out.append((a, c["awsRegion"], json.dumps(c)))
                self._items = (self.accounts, out)
                self._by_account = {}
                for item in out:
                    self._by_account.setdefault(item[0], []).append(item)
            return self._items[1]

    def config__DescribeConfigurationAggregators(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"ConfigurationAggregators": [{"ConfigurationAggregatorName": "org",
                                              "ConfigurationAggregatorArn": f"arn:aws:config:{r}:{a}:config-aggregator/config-aggregator-bench"}]}

    def config__SelectAggregateResourceConfig(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any] | tuple[int, str, str]:
        expr = str(p.get("Expression", ""))
        with self.lock:
            self.queries.append(expr)
        if len(expr) > CONFIG_EXPRESSION_MAX:
            return 400, "ValidationException", f"Expression: length must be at most {CONFIG_EXPRESSION_MAX}"
        items = self._all_items()
        for field, key in (("accountId", 0), ("awsRegion", 1)):
            m = re.search(rf"{field} IN \(([^)]*)\)", expr)
            if m:
                wanted = {v.strip().strip("'") for v in m.group(1).split(",")}
                items = [c for c in items if c[key] in wanted]
        size = min(int(p.get("Limit") or p.get("MaxResults") or CONFIG_PAGE_DEFAULT), CONFIG_PAGE_MAX)
        start = int(p.get("NextToken") or 0)
        out: dict[str, Any] = {"Results": [c[2] for c in items[start:start + size]],
                               "QueryInfo": {"SelectFields": [{"Name": f.strip()} for f in expr[7:].split(" WHERE ")[0].split(",")]}}
        if start + size < len(items):
            out["NextToken"] = str(start + size)
        return out

    def resource_explorer_2__ListIndexes(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"Indexes": [{"Arn": f"arn:aws:resource-explorer-2:us-east-1:{a}:index/bench", "Region": "us-east-1",
                             "Type": "AGGREGATOR"}]}

    def resource_explorer_2__GetDefaultView(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any]:
        return {"ViewArn": f"arn:aws:resource-explorer-2:{r}:{a}:view/all/bench"}

    def resource_explorer_2__Search(self, p: dict[str, Any], a: str, r: str, path: str) -> dict[str, Any] | tuple[int, str, str]:
        """Filters ``accountid:`` and ``region:`` (OR within a name, AND across names, ``-`` negates),
        at most 1,000 results per query, as Resource Explorer does."""
        with self.lock:
            self.queries.append(str(p.get("QueryString") or ""))
        if len(str(p.get("QueryString") or "")) > SEARCH_QUERY_MAX:
            return 400, "ValidationException", f"QueryString: length must be at most {SEARCH_QUERY_MAX}"
        items = self._all_items()
        terms = str(p.get("QueryString") or "").split()
        accounts = [t.split(":", 1)[1] for t in terms if t.startswith("accountid:")]
        if accounts:
            items = [c for a in dict.fromkeys(accounts) for c in self._by_account.get(a, [])]
        for name, key in (("accountid", 0), ("region", 1)):
            keep = {t.split(":", 1)[1] for t in terms if t.startswith(f"{name}:")}
            drop = {t.split(":", 1)[1] for t in terms if t.startswith(f"-{name}:")}
            if keep:
                items = [c for c in items if c[key] in keep]
            if drop:
                items = [c for c in items if c[key] not in drop]
        total, limit = len(items), self.search_limit
        found = [json.loads(c[2]) for c in items[:limit]]
        size = min(int(p.get("MaxResults") or SEARCH_PAGE_DEFAULT), SEARCH_LIMIT)
        start = int(p.get("NextToken") or 0)
        out: dict[str, Any] = {
            "Resources": [{"Arn": c["arn"], "OwningAccountId": c["accountId"], "Region": c["awsRegion"],
                           "ResourceType": c["resourceType"], "Service": c["arn"].split(":")[2], "LastReportedAt": WHEN,
                           "Properties": [{"Name": "tags", "LastReportedAt": WHEN, "Data": _tags(c)}]}
                          for c in found[start:start + size]],
            "Count": {"TotalResources": min(total, limit), "Complete": total <= limit},
            "ViewArn": p.get("ViewArn", "")}
        if start + size < len(found):
            out["NextToken"] = str(start + size)
        return out


# --------------------------------------------------------------------------- wire formats

def _xml(shape: Any, value: Any, name: str) -> str:
    t = shape.type_name
    if t == "structure":
        inner = []
        for m, ms in shape.members.items():
            if m in value and value[m] is not None and not ms.serialization.get("location"):
                mname = ms.serialization.get("name", m)
                if ms.type_name == "list" and ms.serialization.get("flattened"):
                    inner += [_xml(ms.member, v, mname) for v in value[m]]
                else:
                    inner.append(_xml(ms, value[m], mname))
        return f"<{name}>{''.join(inner)}</{name}>"
    if t == "list":
        mname = shape.member.serialization.get("name", "member")
        return f"<{name}>{''.join(_xml(shape.member, v, mname) for v in value)}</{name}>"
    if t == "boolean":
        text = "true" if value else "false"
    elif t == "timestamp":
        text = value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    else:
        text = escape(str(value))
    return f"<{name}>{text}</{name}>"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return value


def render(model: Any, op: str, body: dict[str, Any]) -> tuple[str, bytes]:
    """(content type, body) of a successful response to ``op``."""
    om = model.operation_model(op)
    proto = model.protocol if model.protocol in ("query", "ec2", "rest-xml") else "json"
    if proto == "json":
        ctype = "application/json" if model.protocol == "rest-json" else f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
        return ctype, json.dumps(_plain(body)).encode()
    shape = om.output_shape
    if proto == "rest-xml":
        if op == "GetBucketLocation":
            loc = body.get("LocationConstraint") or ""
            return "application/xml", f'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{loc}</LocationConstraint>'.encode()
        payload = shape.serialization.get("payload")
        if payload:
            ms = shape.members[payload]
            return "application/xml", _xml(ms, body[payload], ms.serialization.get("name", payload)).encode()
        return "application/xml", _xml(shape, body, shape.serialization.get("name", f"{op}Result")).encode()
    inner = _xml(shape, body, shape.serialization.get("resultWrapper", f"{op}Result")) if proto == "query" else \
        _xml(shape, body, "x")[3:-4]
    meta = "<ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata>" if proto == "query" else "<requestId>bench</requestId>"
    return "text/xml", f"<{op}Response>{inner}{meta}</{op}Response>".encode()


def render_error(model: Any, status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    if model.protocol in ("json", "rest-json"):
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, \
            json.dumps({"__type": code, "message": message}).encode()
    if model.protocol == "ec2":
        xml = f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>b</RequestID></Response>"
    elif model.protocol == "rest-xml":
        xml = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>b</RequestId></Error>"
    else:
        xml = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>b</RequestId></ErrorResponse>"
    return status, {"Content-Type": "text/xml"}, xml.encode()


# --------------------------------------------------------------------------- Azure answers

def subscription_id(i: int) -> str:
    return f"{i:08d}-0000-4000-8000-{i:012d}"


AZ_TENANT = "99999999-0000-4000-8000-000000000009"
AZ_REGIONS = ("francecentral", "westeurope", "northeurope", "germanywestcentral", "eastus")


def azure_rows(i: int) -> list[dict[str, Any]]:
    """One subscription in Resource Graph's object format: the subscription, 2 resource groups
    and 10 resources (a GRS storage account, a SQL server and database, Cosmos DB, a Recovery
    Services vault, a key vault, a VM, its disk and NIC, a virtual network), 6 tagged health."""
    sub = subscription_id(i)
    loc = AZ_REGIONS[i % len(AZ_REGIONS)]
    health = {"data_classification": "health"}

    def res(rg: str, rtype: str, name: str, tags: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
        rid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{rtype}/{name}"
        return {"id": rid, "name": name.split("/")[-1], "type": rtype.lower(), "location": loc, "resourceGroup": rg,
                "subscriptionId": sub, "tags": tags or {}, "sku": extra.pop("sku", None), "kind": extra.pop("kind", None),
                "properties": extra}

    rows = [{"id": f"/subscriptions/{sub}", "name": f"sub-{i}", "type": "microsoft.resources/subscriptions", "location": None,
             "resourceGroup": "", "subscriptionId": sub, "tags": {}, "sku": None, "kind": None, "properties": {"state": "Enabled"}}]
    for rg in ("rg-data", "rg-app"):
        rows.append({"id": f"/subscriptions/{sub}/resourceGroups/{rg}", "name": rg,
                     "type": "microsoft.resources/subscriptions/resourcegroups", "location": loc, "resourceGroup": rg,
                     "subscriptionId": sub, "tags": health if rg == "rg-data" else {}, "sku": None, "kind": None, "properties": {}})
    sql = f"/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.Sql/servers/sql{i}"
    rows += [
        res("rg-data", "Microsoft.Storage/storageAccounts", f"st{i:06d}", health, sku={"name": "Standard_GRS", "tier": "Standard"}),
        res("rg-data", "Microsoft.Sql/servers", f"sql{i}"),
        res("rg-data", "Microsoft.Sql/servers", f"sql{i}/databases/patients", health, sku={"name": "GP_Gen5"},
            requestedBackupStorageRedundancy="Local", currentBackupStorageRedundancy="Local"),
        res("rg-data", "Microsoft.DocumentDB/databaseAccounts", f"cosmos{i}", health,
            locations=[{"locationName": loc, "failoverPriority": 0}]),
        res("rg-data", "Microsoft.RecoveryServices/vaults", f"rsv{i}", health, sku={"name": "RS0"},
            redundancySettings={"standardTierStorageRedundancy": "LocallyRedundant"}),
        res("rg-data", "Microsoft.KeyVault/vaults", f"kv{i}", health, tenantId=AZ_TENANT),
        res("rg-app", "Microsoft.Compute/virtualMachines", f"vm{i}"),
        res("rg-app", "Microsoft.Compute/disks", f"disk{i}"),
        res("rg-app", "Microsoft.Network/networkInterfaces", f"nic{i}"),
        res("rg-app", "Microsoft.Network/virtualNetworks", f"vnet{i}"),
    ]
    rows[3 + 2]["type"] = "microsoft.sql/servers/databases"
    assert rows[3 + 2]["id"].startswith(sql)
    return rows


class Azure:
    def __init__(self) -> None:
        self.subscriptions = 1
        self.graph_subscriptions = 1000
        """subscriptions one Resource Graph request may name (more: 400, as the REST API refuses them)"""

    def route(self, method: str, raw: str, body: dict[str, Any]) -> tuple[int, str, Any]:
        parts = urlsplit(raw)
        path = "/" + parts.path.strip("/")
        low = path.lower()
        if method == "POST" and low == "/providers/microsoft.resourcegraph/resources":
            return 200, "graph:resources", self.graph(body)
        if method != "GET":
            return 405, "refused", {"error": {"code": "MethodNotAllowed", "message": "read-only"}}
        if low == "/subscriptions":
            return 200, "subscriptions:list", {"value": [
                {"id": f"/subscriptions/{subscription_id(i)}", "subscriptionId": subscription_id(i), "tenantId": AZ_TENANT,
                 "displayName": f"sub-{i}", "state": "Enabled"} for i in range(self.subscriptions)]}
        if low.endswith("/failovergroups"):
            return 200, "sql:failoverGroups", {"value": []}
        return 404, "notfound", {"error": {"code": "ResourceNotFound", "message": f"{path} not found"}}

    def graph(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = body.get("subscriptions")
        n = self.subscriptions
        subs = [int(s.split("-")[0]) for s in wanted] if wanted else list(range(n))
        if len(subs) > self.graph_subscriptions:
            raise ValueError(f"a query names at most {self.graph_subscriptions} subscriptions")
        rows: list[dict[str, Any]] = []
        for i in sorted(s for s in subs if s < n):
            rows += azure_rows(i)
        rows.sort(key=lambda r: r["id"])
        opts = body.get("options") or {}
        top = min(int(opts.get("$top") or GRAPH_PAGE_MAX), GRAPH_PAGE_MAX)
        start = int(opts.get("$skipToken") or 0)
        chunk = rows[start:start + top]
        out: dict[str, Any] = {"totalRecords": len(rows), "count": len(chunk), "resultTruncated": "false", "facets": [],
                               "data": chunk}
        if start + top < len(rows):
            out["$skipToken"] = str(start + top)
        return out


# --------------------------------------------------------------------------- the servers

class Responder:
    """The AWS endpoint (HTTP) and, given a directory for its certificate, the Azure one (HTTPS)."""

    def __init__(self, cert_dir: Path | None) -> None:
        self.aws = Aws()
        self.azure = Azure()
        self.counts: Counter[str] = Counter()
        self.latency = 0.0
        """seconds each answer waits, as a network round trip would (0: none)"""
        self.inflight = self.peak = 0
        """requests being answered now, and the most at once since the last reset"""
        self.lock = threading.Lock()
        self.aws_server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(azure=False))
        self.aws_server.daemon_threads = True
        self.servers = [self.aws_server]
        self.aws_url = f"http://127.0.0.1:{self.aws_server.server_address[1]}"
        if cert_dir is None:
            return
        self.azure_server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(azure=True))
        self.azure_server.daemon_threads = True
        self.servers.append(self.azure_server)
        self.azure_url = f"https://127.0.0.1:{self.azure_server.server_address[1]}"
        import ssl

        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from azure_fake import make_certificate

        self.cert, key = make_certificate(cert_dir)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, key)
        self.azure_server.socket = ctx.wrap_socket(self.azure_server.socket, server_side=True)

    def count(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1

    def control(self, method: str, path: str, body: bytes) -> dict[str, Any]:
        if path == "/__bench/counts":
            with self.lock:
                return dict(self.counts)
        if path == "/__bench/queries":
            with self.aws.lock:
                return {"queries": list(self.aws.queries)}
        if path == "/__bench/peak":
            with self.lock:
                return {"peak": self.peak}
        if path == "/__bench/reset":
            with self.lock:
                self.counts.clear()
                self.peak = 0
            with self.aws.lock:
                self.aws.queries.clear()
            return {}
        if path == "/__bench/world":
            doc = json.loads(body or b"{}")
            self.aws.accounts = int(doc.get("accounts", self.aws.accounts))
            self.aws.search_limit = int(doc.get("search_limit", self.aws.search_limit))
            self.azure.subscriptions = int(doc.get("subscriptions", self.azure.subscriptions))
            self.azure.graph_subscriptions = int(doc.get("graph_subscriptions", self.azure.graph_subscriptions))
            self.latency = float(doc.get("latency_ms", self.latency * 1000)) / 1000
            return {"accounts": self.aws.accounts, "subscriptions": self.azure.subscriptions}
        return {"error": "unknown control path"}

    def _handler(self, azure: bool) -> type[BaseHTTPRequestHandler]:
        me = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                return None

            def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _all(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/__bench/"):
                    return self._send(200, {"Content-Type": "application/json"},
                                      json.dumps(me.control(self.command, self.path, body)).encode())
                with me.lock:
                    me.inflight += 1
                    me.peak = max(me.peak, me.inflight)
                try:
                    if me.latency:
                        time.sleep(me.latency)
                    if azure:
                        return self._azure(body)
                    return self._aws(body)
                finally:
                    with me.lock:
                        me.inflight -= 1

            def _azure(self, body: bytes) -> None:
                try:
                    status, key, payload = me.azure.route(self.command, self.path, json.loads(body) if body else {})
                except ValueError as e:
                    status, key, payload = 400, "graph:refused", {"error": {"code": "BadRequest", "message": str(e)}}
                me.count(f"azure {key}")
                self._send(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())

            def _aws(self, body: bytes) -> None:
                m = SCOPE.search(self.headers.get("Authorization", ""))
                if not m:
                    me.count("aws unsigned")
                    return self._send(403, {"Content-Type": "text/xml"}, b"<Error><Code>MissingAuthenticationToken</Code></Error>")
                key_id, region, signing = m.groups()
                account = key_id[4:16] if key_id.startswith("ASIA") else account_id(MGMT_INDEX)
                service = SIGNING_TO_SERVICE.get(signing, signing)
                model = me.aws.model(service)
                split = urlsplit(self.path)
                path = unquote(split.path)
                target = self.headers.get("X-Amz-Target", "")
                params: dict[str, Any]
                if target:
                    op = target.rsplit(".", 1)[-1]
                    params = json.loads(body or b"{}")
                elif model.protocol in ("query", "ec2"):
                    form = parse_qs(body.decode())
                    op = form.get("Action", ["?"])[0]
                    params = {k: v[0] for k, v in form.items()}
                else:
                    op = me.aws.rest_op(service, self.command, path, split.query)
                    params = json.loads(body) if body and model.protocol == "rest-json" else {}
                    params.update({k: v[0] for k, v in parse_qs(split.query).items()})
                me.count(f"aws {service}:{op}")
                answer = me.aws.answer(service, op, params, account, region, path)
                if isinstance(answer, tuple):
                    return self._send(*render_error(model, *answer))
                ctype, data = render(model, op, answer)
                self._send(200, {"Content-Type": ctype}, data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _all

        return Handler

    def serve(self) -> None:
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cert-dir", type=Path, required=True)
    args = ap.parse_args()
    r = Responder(args.cert_dir)
    r.serve()
    print(json.dumps({"aws": r.aws_url,
                      "azure": r.azure_url, "cert": str(r.cert)}), flush=True)
    try:
        sys.stdin.read()  # runs until the parent closes our standard input
    finally:
        r.stop()


if __name__ == "__main__":
    main()
