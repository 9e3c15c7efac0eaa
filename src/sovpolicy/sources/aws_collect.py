"""What the live AWS scan reads in one region (and, once per account, the global
services): one collector per service, each a few paginated ``List*``/``Describe*``
calls, plus a detail call per resource only where AWS offers no list that says where
the copies are (S3 replication, DynamoDB replicas, KMS replicas, secret replicas,
backup copy rules), and the ECR registry's replication rules, read once per region.

A failed call becomes a :class:`~sovpolicy.model.Problem` naming the account, region and
call; the other collectors go on. A resource whose copies could not be read keeps an
unresolved flow (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Catalog
from ..model import Flow, FlowKind, Problem
from .aws_api import load_aws_api
from .aws_resources import copy_flow, read_flows, registry_flows, tags_of
from .aws_session import Account, Sessions, classify, merged


@dataclass
class Raw:
    """One resource as a collector saw it."""

    arn: str
    region: str | None
    evidence: str
    tf_type: str | None = None
    tags: dict[str, str] | None = None
    """None: take them from the tagging API's answer."""
    flows: list[Flow] = field(default_factory=list)


@dataclass
class Collected:
    """What one task (a region, or an account's global services) read."""

    raws: list[Raw] = field(default_factory=list)
    tagged: dict[str, tuple[dict[str, str], str]] = field(default_factory=dict)
    """ARN -> (tags, region of the tagging API call that listed it)."""
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    """(kind, call, text) of each failed call."""
    bucket_regions: dict[str, str] = field(default_factory=dict)
    """Every bucket of the account -> its region (to place replication destinations)."""
    skipped_buckets: list[str] = field(default_factory=list)
    """Buckets in regions the scan does not cover: named in a note, not read further."""


class Collector:
    """Calls one account's APIs in one region, recording failures as problems."""

    def __init__(self, sessions: Sessions, account: Account, region: str, catalog: Catalog | None = None) -> None:
        self.sessions = sessions
        self.account = account
        self.region = region
        self.catalog = catalog
        self.session = sessions.session(account.credentials, region)
        self.out = Collected()
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.sessions.client(self.session, service, self.region)
        return self._clients[service]

    def action(self, service: str, op: str) -> str:
        return load_aws_api().iam_action(service, op)

    def fail(self, exc: BaseException, service: str, op: str) -> None:
        kind, text = classify(exc)
        self.out.failures.append((kind, self.action(service, op), text))

    def problems(self) -> list[Problem]:
        """The failures, one problem per kind naming every call."""
        return merged(self.out.failures, self.account.id, self.region)

    def pages(self, service: str, op: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every page of a call (botocore's paginator when it has one); on failure, a
        problem and no more pages."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self.client(service)
        method = _snake(op)
        try:
            if client.can_paginate(method):
                yield from client.get_paginator(method).paginate(**kwargs)
            else:
                yield getattr(client, method)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            self.fail(exc, service, op)

    def detail(self, service: str, op: str, missing: tuple[str, ...] = (), **kwargs: Any) -> dict[str, Any] | None:
        """One detail call: its response, ``{}`` when AWS answers one of the ``missing``
        error codes (nothing configured), None on failure (a problem is recorded)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return dict(getattr(self.client(service), _snake(op))(**kwargs))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in missing:
                return {}
            self.fail(exc, service, op)
        except BotoCoreError as exc:
            self.fail(exc, service, op)
        return None

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account.id}:{resource}"

    def add(self, arn: str, action: str, tf_type: str | None = None, tags: object = None,
            flows: list[Flow] | None = None, region: str | None = None) -> None:
        """One resource; ``region`` None: this collector's region; ``""``: not known (unresolved)."""
        where = self.region if region is None else (region or None)
        self.out.raws.append(Raw(arn, where, action, tf_type, None if tags is None else tags_of(tags), flows or []))

    def unread(self, what: str, action: str) -> list[Flow]:
        return [copy_flow(None, FlowKind.REPLICATE, what, (action,), "aws-copies-not-read",
                          f"{action} failed: where {what} is copied could not be read")]

    # --- regional collectors -------------------------------------------------------------

    def tagging(self) -> None:
        for page in self.pages("resourcegroupstaggingapi", "GetResources"):
            for m in page.get("ResourceTagMappingList", []):
                self.out.tagged[m["ResourceARN"]] = (tags_of(m.get("Tags", [])), self.region)

    def rds(self) -> None:
        for page in self.pages("rds", "DescribeDBInstances"):
            for d in page.get("DBInstances", []):
                self.add(d["DBInstanceArn"], "rds:DescribeDBInstances", "aws_db_instance", d.get("TagList", []),
                         read_flows(d, "aws_db_instance", "rds:DescribeDBInstances", self.region))
        for page in self.pages("rds", "DescribeDBClusters"):
            for c in page.get("DBClusters", []):
                self.add(c["DBClusterArn"], "rds:DescribeDBClusters", "aws_rds_cluster", c.get("TagList", []),
                         read_flows(c, "aws_rds_cluster", "rds:DescribeDBClusters", self.region))
        for page in self.pages("rds", "DescribeGlobalClusters"):
            for g in page.get("GlobalClusters", []):
                members = g.get("GlobalClusterMembers", [])
                writer = next((m["DBClusterArn"] for m in members if m.get("IsWriter")), None)
                region = writer.split(":")[3] if writer else None
                self.add(g["GlobalClusterArn"], "rds:DescribeGlobalClusters", "aws_rds_global_cluster", None,
                         read_flows(g, "aws_rds_global_cluster", "rds:DescribeGlobalClusters", region), region=region or "")

    def dynamodb(self) -> None:
        for page in self.pages("dynamodb", "ListTables"):
            for name in page.get("TableNames", []):
                d = self.detail("dynamodb", "DescribeTable", TableName=name)
                arn = d["Table"]["TableArn"] if d else self.arn("dynamodb", f"table/{name}")
                flows = (read_flows(d, "aws_dynamodb_table", "dynamodb:DescribeTable", self.region) if d
                         else self.unread(arn, "dynamodb:DescribeTable"))
                self.add(arn, "dynamodb:ListTables", "aws_dynamodb_table", None, flows)

    def ec2(self) -> None:
        for page in self.pages("ec2", "DescribeInstances"):
            for r in page.get("Reservations", []):
                for i in r.get("Instances", []):
                    self.add(self.arn("ec2", f"instance/{i['InstanceId']}"), "ec2:DescribeInstances", "aws_instance", i.get("Tags", []))
        for page in self.pages("ec2", "DescribeVolumes"):
            for v in page.get("Volumes", []):
                self.add(self.arn("ec2", f"volume/{v['VolumeId']}"), "ec2:DescribeVolumes", "aws_ebs_volume", v.get("Tags", []))
        for page in self.pages("ec2", "DescribeSnapshots", OwnerIds=["self"]):
            for s in page.get("Snapshots", []):
                self.add(self.arn("ec2", f"snapshot/{s['SnapshotId']}"), "ec2:DescribeSnapshots", "aws_ebs_snapshot", s.get("Tags", []))

    def efs(self) -> None:
        copies: dict[str, list[Flow]] = {}
        for page in self.pages("efs", "DescribeReplicationConfigurations"):
            for rep in page.get("Replications", []):
                copies.setdefault(rep.get("SourceFileSystemId", ""), []).extend(
                    read_flows(rep, "aws_efs_file_system", "elasticfilesystem:DescribeReplicationConfigurations", self.region))
        for page in self.pages("efs", "DescribeFileSystems"):
            for fs in page.get("FileSystems", []):
                self.add(fs["FileSystemArn"], "elasticfilesystem:DescribeFileSystems", "aws_efs_file_system",
                         fs.get("Tags", []), copies.get(fs["FileSystemId"], []))

    def backup(self) -> None:
        for page in self.pages("backup", "ListBackupVaults"):
            for v in page.get("BackupVaultList", []):
                self.add(v["BackupVaultArn"], "backup:ListBackupVaults", "aws_backup_vault")
        for page in self.pages("backup", "ListBackupPlans"):
            for p in page.get("BackupPlansList", []):
                d = self.detail("backup", "GetBackupPlan", BackupPlanId=p["BackupPlanId"])
                flows = (read_flows(d, "aws_backup_plan", "backup:GetBackupPlan", self.region) if d is not None
                         else self.unread(p["BackupPlanArn"], "backup:GetBackupPlan"))
                self.add(p["BackupPlanArn"], "backup:ListBackupPlans", "aws_backup_plan", None, flows)

    def kms(self) -> None:
        for page in self.pages("kms", "ListKeys"):
            for k in page.get("Keys", []):
                d = self.detail("kms", "DescribeKey", KeyId=k["KeyId"])
                flows = read_flows(d, "aws_kms_key", "kms:DescribeKey", self.region) if d else self.unread(k["KeyArn"], "kms:DescribeKey")
                self.add(k["KeyArn"], "kms:ListKeys", "aws_kms_key", None, flows)

    def secrets(self) -> None:
        for page in self.pages("secretsmanager", "ListSecrets"):
            for s in page.get("SecretList", []):
                d = self.detail("secretsmanager", "DescribeSecret", SecretId=s["ARN"])
                flows = (read_flows(d, "aws_secretsmanager_secret", "secretsmanager:DescribeSecret", self.region) if d
                         else self.unread(s["ARN"], "secretsmanager:DescribeSecret"))
                self.add(s["ARN"], "secretsmanager:ListSecrets", "aws_secretsmanager_secret", s.get("Tags", []), flows)

    def lambda_(self) -> None:
        for page in self.pages("lambda", "ListFunctions"):
            for f in page.get("Functions", []):  # only the ARN is kept: never Environment
                self.add(f["FunctionArn"], "lambda:ListFunctions", "aws_lambda_function")

    def opensearch(self) -> None:
        for page in self.pages("opensearch", "ListDomainNames"):
            for d in page.get("DomainNames", []):
                self.add(self.arn("es", f"domain/{d['DomainName']}"), "es:ListDomainNames", "aws_opensearch_domain")

    def redshift(self) -> None:
        for page in self.pages("redshift", "DescribeClusters"):
            for c in page.get("Clusters", []):
                self.add(self.arn("redshift", f"cluster:{c['ClusterIdentifier']}"), "redshift:DescribeClusters",
                         "aws_redshift_cluster", c.get("Tags", []),
                         read_flows(c, "aws_redshift_cluster", "redshift:DescribeClusters", self.region))

    def ecr(self) -> None:
        """Repositories, and the registry's replication rules (one per account and region),
        which copy every repository their filters select; tags from the tagging API."""
        registry = self.detail("ecr", "DescribeRegistry")
        rules = None if registry is None else list((registry.get("replicationConfiguration") or {}).get("rules") or [])
        flow_rules = self.catalog.flows.rules.get("aws_ecr_replication_configuration", ()) if self.catalog else ()
        scoped = next((r for r in flow_rules if r.scope is not None), None)
        for page in self.pages("ecr", "DescribeRepositories"):
            for r in page.get("repositories", []):
                arn = r["repositoryArn"]
                flows = (registry_flows(rules, str(r.get("repositoryName") or ""), self.region, scoped) if rules is not None
                         else self.unread(arn, "ecr:DescribeRegistry"))
                self.add(arn, "ecr:DescribeRepositories", "aws_ecr_repository", None, flows)

    REGIONAL: tuple[Callable[[Collector], None], ...] = (tagging, rds, dynamodb, ec2, efs, backup, kms, secrets, lambda_,
                                                          opensearch, redshift, ecr)

    # --- once per account: S3 and the global services ------------------------------------

    def s3(self, regions: frozenset[str]) -> None:
        for page in self.pages("s3", "ListBuckets"):
            for b in page.get("Buckets", []):
                name = b["Name"]
                region = b.get("BucketRegion")
                action = "s3:ListAllMyBuckets"
                if not region:
                    loc = self.detail("s3", "GetBucketLocation", Bucket=name)
                    if loc is None:
                        self.add(f"arn:aws:s3:::{name}", "s3:GetBucketLocation", "aws_s3_bucket", region="")
                        continue
                    region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(loc.get("LocationConstraint"),
                                                                                           loc.get("LocationConstraint"))
                    action = "s3:GetBucketLocation"
                self.out.bucket_regions[name] = str(region)
                if region in regions:
                    self.add(f"arn:aws:s3:::{name}", action, "aws_s3_bucket", region=str(region))
                else:
                    self.out.skipped_buckets.append(f"{name} ({region})")

    def s3_replication(self) -> None:
        for raw in self.out.raws:
            if raw.tf_type == "aws_s3_bucket" and raw.region:
                name = raw.arn.rsplit(":", 1)[-1]
                d = self.detail("s3", "GetBucketReplication", missing=("ReplicationConfigurationNotFoundError",), Bucket=name)
                raw.flows = (read_flows(d, "aws_s3_bucket", "s3:GetBucketReplication", raw.region, self.out.bucket_regions)
                             if d is not None else self.unread(raw.arn, "s3:GetReplicationConfiguration"))

    def global_services(self) -> None:
        for page in self.pages("cloudfront", "ListDistributions"):
            for d in page.get("DistributionList", {}).get("Items", []):
                self.add(d["ARN"], "cloudfront:ListDistributions", "aws_cloudfront_distribution", region="global")
        for page in self.pages("route53", "ListHostedZones"):
            for z in page.get("HostedZones", []):
                zid = z["Id"].rsplit("/", 1)[-1]
                self.add(f"arn:aws:route53:::hostedzone/{zid}", "route53:ListHostedZones", "aws_route53_zone", region="global")
        for page in self.pages("iam", "ListRoles"):
            for r in page.get("Roles", []):
                self.add(r["Arn"], "iam:ListRoles", "aws_iam_role", region="global")


def _snake(op: str) -> str:
    """botocore's method name of an operation (``DescribeDBInstances`` -> ``describe_db_instances``)."""
    from botocore import xform_name

    return str(xform_name(op))
