"""The fake AWS estate the live-scan tests read: made through boto3 against moto's server.

Management account 123456789012 (moto's default) with health-tagged resources in
eu-west-3, eu-west-2 and us-east-1, an S3 replication and an RDS read replica into
us-east-1, a DynamoDB global table (eu-west-3 + us-east-1), an ECR registry in eu-west-3
replicating its "patients" repositories to us-east-1, an untagged bucket, a Lambda
environment variable, an RDS master password and a secret value that must never appear
anywhere (CANARY); an organisation with two member accounts, each with one health bucket
or table.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import boto3

MGMT = "123456789012"
CANARY = "CANARY-s3cr3t-7f1d9"
HEALTH = [{"Key": "data_classification", "Value": "health"}]
REGIONS = ("eu-west-3", "eu-west-2", "us-east-1", "eu-central-1")
DENIED = "eu-central-1"


@dataclass
class World:
    """ARNs of what was made, for the assertions."""

    arns: dict[str, str] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)


def _client(service: str, region: str, creds: dict[str, str] | None = None) -> Any:
    kw = {}
    if creds:
        kw = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
              "aws_session_token": creds["SessionToken"]}
    return boto3.session.Session(**kw).client(service, region_name=region)


def _bucket(name: str, region: str, tags: list[dict[str, str]] | None, creds: dict[str, str] | None = None) -> str:
    s3 = _client("s3", region, creds)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
    return f"arn:aws:s3:::{name}"


def _lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def build(with_org: bool = True) -> World:
    w = World()
    # S3: a health bucket in Paris replicated to us-east-1, one in London, an untagged one
    w.arns["records"] = _bucket("hds-records", "eu-west-3", HEALTH)
    w.arns["replica_bucket"] = _bucket("hds-records-replica", "us-east-1", HEALTH)
    w.arns["london"] = _bucket("hds-london", "eu-west-2", HEALTH)
    w.arns["untagged"] = _bucket("untagged-logs", "eu-west-3", None)
    s3 = _client("s3", "eu-west-3")
    for b in ("hds-records", "hds-records-replica"):
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket="hds-records", ReplicationConfiguration={
        "Role": f"arn:aws:iam::{MGMT}:role/replication",
        "Rules": [{"ID": "to-us", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": w.arns["replica_bucket"]}}]})
    # RDS: a health database in Paris (master password: the canary) with a read replica in us-east-1
    rds = _client("rds", "eu-west-3")
    db = rds.create_db_instance(DBInstanceIdentifier="patients-db", Engine="postgres", DBInstanceClass="db.t3.micro",
                                MasterUsername="admin", MasterUserPassword=CANARY, AllocatedStorage=20, Tags=HEALTH)
    w.arns["db"] = db["DBInstance"]["DBInstanceArn"]
    rep = _client("rds", "us-east-1").create_db_instance_read_replica(
        DBInstanceIdentifier="patients-replica", SourceDBInstanceIdentifier=w.arns["db"], DBInstanceClass="db.t3.micro",
        Tags=HEALTH)
    w.arns["db_replica"] = rep["DBInstance"]["DBInstanceArn"]
    # DynamoDB: the same table in eu-west-3 and us-east-1 (a global table; replicas added by the proxy)
    for region in ("eu-west-3", "us-east-1"):
        t = _client("dynamodb", region).create_table(
            TableName="patients", BillingMode="PAY_PER_REQUEST", Tags=HEALTH,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        w.arns[f"table_{region}"] = t["TableDescription"]["TableArn"]
    # EBS volume in London, a KMS key and a secret in Paris, a Lambda with a secret env var
    vol = _client("ec2", "eu-west-2").create_volume(AvailabilityZone="eu-west-2a", Size=10,
                                                    TagSpecifications=[{"ResourceType": "volume", "Tags": HEALTH}])
    w.arns["volume"] = f"arn:aws:ec2:eu-west-2:{MGMT}:volume/{vol['VolumeId']}"
    kms = _client("kms", "eu-west-3")
    key = kms.create_key(MultiRegion=True, Tags=[{"TagKey": "data_classification", "TagValue": "health"}])
    w.arns["key"] = key["KeyMetadata"]["Arn"]
    kms.replicate_key(KeyId=key["KeyMetadata"]["KeyId"], ReplicaRegion="us-east-1")
    sec = _client("secretsmanager", "eu-west-3").create_secret(Name="db-password", SecretString=CANARY, Tags=HEALTH,
                                                                AddReplicaRegions=[{"Region": "eu-west-2"}])
    w.arns["secret"] = sec["ARN"]
    # AWS Backup: a plan in Paris whose rule copies every recovery point to a vault in us-east-1
    _client("backup", "eu-west-3").create_backup_vault(BackupVaultName="local")
    dr = _client("backup", "us-east-1").create_backup_vault(BackupVaultName="dr")["BackupVaultArn"]
    plan = _client("backup", "eu-west-3").create_backup_plan(BackupPlan={"BackupPlanName": "daily", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": "local", "CopyActions": [{"DestinationBackupVaultArn": dr}]}]})
    w.arns["backup_plan"] = plan["BackupPlanArn"]
    # ECR: the Paris registry replicates the repositories whose name starts with "patients"
    # to us-east-1; "web" is not selected by the filter
    ecr = _client("ecr", "eu-west-3")
    for key, name in (("repository", "patients-api"), ("web_repository", "web")):
        w.arns[key] = ecr.create_repository(repositoryName=name, tags=HEALTH)["repository"]["repositoryArn"]
    ecr.put_replication_configuration(replicationConfiguration={"rules": [{
        "destinations": [{"region": "us-east-1", "registryId": MGMT}],
        "repositoryFilters": [{"filter": "patients", "filterType": "PREFIX_MATCH"}]}]})
    role = _client("iam", "us-east-1").create_role(RoleName="lambda-exec", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    w.arns["role"] = role
    fn = _client("lambda", "eu-west-3").create_function(
        FunctionName="ingest", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": _lambda_zip()}, Environment={"Variables": {"DB_PASSWORD": CANARY}}, Tags={"data_classification": "health"})
    w.arns["function"] = fn["FunctionArn"]
    if with_org:
        org = _client("organizations", "us-east-1")
        org.create_organization(FeatureSet="ALL")
        for n, (service, region) in enumerate((("s3", "eu-west-3"), ("dynamodb", "us-east-1"))):
            acct = org.create_account(Email=f"member{n}@example.org", AccountName=f"member{n}")["CreateAccountStatus"]["AccountId"]
            w.members.append(acct)
            creds = _client("sts", "us-east-1").assume_role(RoleArn=f"arn:aws:iam::{acct}:role/SovpolicyReadOnly",
                                                            RoleSessionName="setup")["Credentials"]
            if service == "s3":
                w.arns[f"member{n}"] = _bucket(f"member{n}-health", region, HEALTH, creds)
            else:
                t = _client("dynamodb", region, creds).create_table(
                    TableName="member-table", BillingMode="PAY_PER_REQUEST", Tags=HEALTH,
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
                w.arns[f"member{n}"] = t["TableDescription"]["TableArn"]
    return w


def ecr_tags(arns: dict[str, str]) -> Any:
    """What moto leaves out of the tagging API's answer: ECR repositories and their tags
    (the real GetResources lists them)."""
    repos = [arns[k] for k in ("repository", "web_repository") if k in arns]

    def rewrite(body: dict[str, Any], region: str) -> dict[str, Any]:
        listed = {m.get("ResourceARN") for m in body.get("ResourceTagMappingList", [])}
        if not any(f":{MGMT}:" in str(arn) for arn in listed):
            return body  # another account's answer (the request does not say whose)
        body.setdefault("ResourceTagMappingList", []).extend(
            {"ResourceARN": arn, "Tags": HEALTH} for arn in repos if f":{region}:" in arn and arn not in listed)
        return body

    return rewrite


def global_table(body: dict[str, Any], region: str) -> dict[str, Any]:
    """What moto leaves out of DescribeTable for a global table: its replicas."""
    if body.get("Table", {}).get("TableName") == "patients":
        body["Table"]["Replicas"] = [{"RegionName": "eu-west-3", "ReplicaStatus": "ACTIVE"},
                                     {"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"}]
    return body
