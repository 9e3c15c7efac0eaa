#!/usr/bin/env python3
"""Generate a large, format-faithful ``terraform show -json`` plan for benchmarks.

Usage::

    python bench/gen_plan.py N OUT.json [--seed S]

Writes a plan (format_version "1.2", terraform_version "1.11.4") with exactly N
resource instances in ``resource_changes``.  The shape follows the real plans in
``shared/corpus/plan`` (compact single-line JSON as Terraform writes it, with
Go's HTML escaping of ``<``, ``>`` and ``&``):

* ~60% AWS resources in the root module (default ``aws`` provider in
  eu-west-3, ~12% of them on the ``aws.virginia`` alias in us-east-1),
* ~30% azurerm resources in the root module (``location`` set, mostly EU),
* ~10% in child modules (module calls with count / for_each, nested modules),
  resources inside with count / for_each indexes,
* ``data_classification = "health"`` in tags on ~30% of resources,
* sensitive attributes (passwords, keys, env vars) and ``after_unknown`` leaves,
* ~80% create, ~9% update, ~5% no-op, ~5% replace, ~1% delete.

The file is written streaming (planned_values goes straight to OUT, the
resource_changes section to a temporary file beside it which is appended
afterwards), so memory stays small whatever N is.  Output is deterministic for
a given (N, seed).  Only the standard library is used.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
from typing import Any

TERRAFORM_VERSION = "1.11.4"
FORMAT_VERSION = "1.2"
TIMESTAMP = "2025-05-05T16:11:28Z"

AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
AZ_PROVIDER = "registry.terraform.io/hashicorp/azurerm"

REGION_BY_KEY = {"aws": "eu-west-3", "aws.virginia": "us-east-1"}
ACCOUNTS = ["111122223333", "444455556666", "777788889999"]
AZ_SUBSCRIPTION = "3f2c9a71-5be4-4d3e-9b1a-7c6f0e2d8a14"
AZ_TENANT = "8e1d4c2b-0a9f-4b7e-a3c5-6d2f1e0b9c87"

DEFAULT_TAGS = {
    "managed_by": "terraform",
    "platform": "sovereign-landing-zone",
    "repository": "git.example.internal/platform/infra-live",
}

# Azure locations, weighted to mostly EU (a sovereignty scan should still find some).
AZ_LOCATIONS = [
    ("francecentral", 40), ("westeurope", 22), ("germanywestcentral", 10),
    ("northeurope", 10), ("eastus", 8), ("uksouth", 5), ("switzerlandnorth", 5),
]
FOR_EACH_KEYS = [
    "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell",
    "cyberdyne", "soylent", "wonka", "aperture", "blue", "green", "primary",
    "secondary", "paris", "lyon", "marseille", "lille",
]
ENVS = ["prod", "staging", "dev"]
TEAMS = ["platform", "care-pathways", "imaging", "billing", "data", "identity", "research"]
CLASSIFICATIONS = ["internal", "confidential", "personal", "public"]


class U:
    """Unknown-after-apply leaf; ``v`` is the value it takes once applied."""
    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v


class S:
    """Sensitive leaf (may wrap a U)."""
    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v


_MISSING = object()


def render(x: Any, known: bool) -> tuple[Any, Any, Any]:
    """Return (value, unknown-shape, sensitive-shape) as Terraform prints them.

    ``known`` False: U leaves are omitted from the value and marked ``true`` in
    the unknown shape (a create/replace).  True: U leaves take their value.
    Shapes follow Terraform: objects keep only keys whose shape is not false,
    lists keep one entry per element, primitives are ``false``.
    """
    if isinstance(x, dict):
        val: dict = {}
        unk: dict = {}
        sen: dict = {}
        for k, v in x.items():
            a, b, c = render(v, known)
            if a is not _MISSING:
                val[k] = a
            if b is not False:
                unk[k] = b
            if c is not False:
                sen[k] = c
        return val, unk, sen
    if isinstance(x, list):
        val_l = []
        unk_l = []
        sen_l = []
        for v in x:
            a, b, c = render(v, known)
            val_l.append(a)
            unk_l.append(b)
            sen_l.append(c)
        return val_l, unk_l, sen_l
    if isinstance(x, U):
        if known:
            return x.v, False, False
        return _MISSING, True, False
    if isinstance(x, S):
        a, b, _ = render(x.v, known)
        return a, b, True
    return x, False, False


def hexs(rng: random.Random, n: int) -> str:
    return "%0*x" % (n, rng.getrandbits(4 * n))


def uuid(rng: random.Random) -> str:
    h = hexs(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def b64(rng: random.Random, nbytes: int) -> str:
    import base64
    return base64.b64encode(rng.getrandbits(8 * nbytes).to_bytes(nbytes, "little")).decode()


def pick_weighted(rng: random.Random, pairs):
    total = sum(w for _, w in pairs)
    r = rng.random() * total
    for item, w in pairs:
        r -= w
        if r < 0:
            return item
    return pairs[-1][0]


# ---------------------------------------------------------------------------
# Per-type attribute generators.  Each returns (schema_version, attrs) where
# attrs may contain U / S sentinels.  ``c`` is the instance context.
# ---------------------------------------------------------------------------

def make_tags(rng: random.Random, c: dict) -> dict:
    tags = {
        "Name": c["name"],
        "environment": c["env"],
        "owner": c["team"] + "@example.eu",
        "cost_center": "CC-%04d" % rng.randrange(10000),
        "project": c["project"],
        "application": c["app"],
        "compliance": rng.choice(["hds", "iso27001", "secnumcloud", "soc2", "none"]),
        "data_owner": c["team"] + "-lead@example.eu",
        "lifecycle": rng.choice(["managed", "ephemeral", "long-lived"]),
    }
    if c["health"]:
        tags["data_classification"] = "health"
        tags["hds_scope"] = "true"
        tags["retention"] = "20y"
    elif rng.random() < 0.7:
        tags["data_classification"] = rng.choice(CLASSIFICATIONS)
    if rng.random() < 0.5:
        tags["backup_policy"] = rng.choice(["daily-35d", "weekly-12w", "none"])
    if rng.random() < 0.3:
        tags["ticket"] = "INFRA-%05d" % rng.randrange(100000)
    return tags


def aws_tags(rng: random.Random, c: dict, attrs: dict) -> None:
    tags = make_tags(rng, c)
    tags_all = dict(DEFAULT_TAGS)
    tags_all.update(tags)
    r = rng.random()
    if r < 0.03:
        attrs["tags"] = U(tags)          # tags from a module output: unknown
        attrs["tags_all"] = U(tags_all)
    elif r < 0.15:
        attrs["tags"] = tags
        attrs["tags_all"] = U(tags_all)
    else:
        attrs["tags"] = tags
        attrs["tags_all"] = tags_all


def arn(c: dict, service: str, resource: str, region: bool = True) -> str:
    reg = c["region"] if region else ""
    acct = c["account"] if service != "s3" else ""
    return f"arn:aws:{service}:{reg}:{acct}:{resource}"


def kms_arn(rng: random.Random, c: dict) -> str:
    return f"arn:aws:kms:{c['region']}:{c['account']}:key/{uuid(rng)}"


def policy_doc(rng: random.Random, c: dict, n_statements: int) -> str:
    stmts = []
    for i in range(n_statements):
        stmts.append({
            "Sid": "Stmt%d%s" % (i, hexs(rng, 4)),
            "Effect": "Allow",
            "Action": rng.sample(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt",
                                  "kms:GenerateDataKey", "dynamodb:GetItem", "dynamodb:Query",
                                  "sqs:SendMessage", "sqs:ReceiveMessage", "logs:PutLogEvents"], 3),
            "Resource": [arn(c, "s3", c["name"] + "/*", region=False),
                         f"arn:aws:kms:{c['region']}:{c['account']}:key/{uuid(rng)}"],
            "Condition": {"StringEquals": {"aws:RequestedRegion": [c["region"]]},
                          "NumericLessThanEquals": {"aws:MultiFactorAuthAge": "3600"}},
        })
    return json.dumps({"Version": "2012-10-17", "Statement": stmts}, separators=(",", ":"))


def gen_aws_s3_bucket(rng, c):
    a: dict = {}
    name = c["name"].replace("_", "-")
    a["acceleration_status"] = U("")
    a["acl"] = U(None)
    a["arn"] = U(f"arn:aws:s3:::{name}")
    a["bucket"] = name
    a["bucket_domain_name"] = U(f"{name}.s3.amazonaws.com")
    a["bucket_prefix"] = U("")
    a["bucket_regional_domain_name"] = U(f"{name}.s3.{c['region']}.amazonaws.com")
    a["cors_rule"] = U([])
    a["force_destroy"] = False
    a["grant"] = U([{"id": hexs(rng, 64), "permissions": ["FULL_CONTROL"], "type": "CanonicalUser", "uri": ""}])
    a["hosted_zone_id"] = U("Z1CMS0P5QUZ6D5")
    a["id"] = U(name)
    a["lifecycle_rule"] = [{
        "abort_incomplete_multipart_upload_days": 7,
        "enabled": True,
        "expiration": [{"date": None, "days": rng.choice([365, 730, 3650, 7300]), "expired_object_delete_marker": False}],
        "id": "expire-" + hexs(rng, 6),
        "noncurrent_version_expiration": [{"days": 90}],
        "noncurrent_version_transition": [],
        "prefix": rng.choice(["logs/", "exports/", "", "tmp/"]),
        "tags": None,
        "transition": [{"date": None, "days": 30, "storage_class": "STANDARD_IA"},
                       {"date": None, "days": 180, "storage_class": "GLACIER"}],
    }]
    a["logging"] = [{"target_bucket": f"{c['project']}-access-logs-{c['region']}", "target_prefix": name + "/"}]
    a["object_lock_configuration"] = U([])
    a["object_lock_enabled"] = rng.random() < 0.2
    a["policy"] = U(policy_doc(rng, c, 1))
    a["region"] = U(c["region"])
    a["replication_configuration"] = U([])
    a["request_payer"] = U("BucketOwner")
    a["server_side_encryption_configuration"] = [{"rule": [{
        "apply_server_side_encryption_by_default": [{"kms_master_key_id": kms_arn(rng, c), "sse_algorithm": "aws:kms"}],
        "bucket_key_enabled": True}]}]
    aws_tags(rng, c, a)
    a["timeouts"] = None
    a["versioning"] = [{"enabled": True, "mfa_delete": False}]
    a["website"] = U([])
    a["website_domain"] = U(None)
    a["website_endpoint"] = U(None)
    return 0, a


def gen_aws_db_instance(rng, c):
    a: dict = {}
    ident = c["name"].replace("_", "-")
    engine = rng.choice(["postgres", "postgres", "mysql", "mariadb"])
    az = f"{c['region']}{rng.choice('abc')}"
    a["address"] = U(f"{ident}.c{hexs(rng, 10)}.{c['region']}.rds.amazonaws.com")
    a["allocated_storage"] = rng.choice([50, 100, 200, 500])
    a["allow_major_version_upgrade"] = None
    a["apply_immediately"] = False
    a["arn"] = U(arn(c, "rds", "db:" + ident))
    a["auto_minor_version_upgrade"] = True
    a["availability_zone"] = az if rng.random() < 0.5 else U(az)
    a["backup_retention_period"] = rng.choice([7, 14, 35])
    a["backup_target"] = U("region")
    a["backup_window"] = "02:00-03:00"
    a["blue_green_update"] = []
    a["ca_cert_identifier"] = U("rds-ca-rsa2048-g1")
    a["character_set_name"] = U(None)
    a["copy_tags_to_snapshot"] = True
    a["customer_owned_ip_enabled"] = None
    a["db_name"] = c["app"].replace("-", "_")
    a["db_subnet_group_name"] = f"{c['project']}-{c['env']}-db"
    a["dedicated_log_volume"] = False
    a["delete_automated_backups"] = True
    a["deletion_protection"] = c["env"] == "prod"
    a["domain"] = None
    a["enabled_cloudwatch_logs_exports"] = ["postgresql", "upgrade"] if engine == "postgres" else ["error", "slowquery"]
    a["endpoint"] = U(f"{ident}.c{hexs(rng, 10)}.{c['region']}.rds.amazonaws.com:5432")
    a["engine"] = engine
    a["engine_version"] = {"postgres": "16.3", "mysql": "8.0.39", "mariadb": "10.11.9"}[engine]
    a["engine_version_actual"] = U(a["engine_version"])
    a["final_snapshot_identifier"] = ident + "-final"
    a["hosted_zone_id"] = U("ZMESEXB7ZGGQ3")
    a["iam_database_authentication_enabled"] = True
    a["id"] = U("db-" + hexs(rng, 26).upper())
    a["identifier"] = ident
    a["instance_class"] = rng.choice(["db.r6g.large", "db.r6g.xlarge", "db.m6g.large", "db.t4g.medium"])
    a["iops"] = U(3000)
    a["kms_key_id"] = kms_arn(rng, c)
    a["latest_restorable_time"] = U("2025-05-05T16:00:00Z")
    a["license_model"] = U("postgresql-license")
    a["listener_endpoint"] = U([])
    a["maintenance_window"] = "sun:04:00-sun:05:00"
    a["master_user_secret"] = U([])
    a["max_allocated_storage"] = 1000
    a["monitoring_interval"] = 60
    a["monitoring_role_arn"] = arn(c, "iam", "role/rds-monitoring", region=False)
    a["multi_az"] = rng.random() < 0.6
    a["nchar_character_set_name"] = U(None)
    a["network_type"] = U("IPV4")
    a["option_group_name"] = U("default:postgres-16")
    a["parameter_group_name"] = f"{c['project']}-{engine}"
    a["password"] = S("Zq" + b64(rng, 18))
    a["performance_insights_enabled"] = True
    a["performance_insights_kms_key_id"] = U(kms_arn(rng, c))
    a["performance_insights_retention_period"] = 7
    a["port"] = U(5432)
    a["publicly_accessible"] = False
    a["replicas"] = U([])
    a["replicate_source_db"] = None
    a["resource_id"] = U("db-" + hexs(rng, 26).upper())
    a["restore_to_point_in_time"] = []
    a["s3_import"] = []
    a["skip_final_snapshot"] = False
    a["snapshot_identifier"] = U(None)
    a["status"] = U("available")
    a["storage_encrypted"] = True
    a["storage_throughput"] = U(125)
    a["storage_type"] = "gp3"
    aws_tags(rng, c, a)
    a["timeouts"] = None
    a["timezone"] = U("")
    a["upgrade_storage_config"] = None
    a["username"] = "dbadmin"
    a["vpc_security_group_ids"] = ["sg-" + hexs(rng, 17)]
    return 2, a


def gen_aws_dynamodb_table(rng, c):
    a: dict = {}
    name = c["name"]
    a["arn"] = U(arn(c, "dynamodb", "table/" + name))
    a["attribute"] = [{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}, {"name": "gsi1pk", "type": "S"}]
    a["billing_mode"] = "PAY_PER_REQUEST"
    a["deletion_protection_enabled"] = True
    a["global_secondary_index"] = [{"hash_key": "gsi1pk", "name": "gsi1", "non_key_attributes": [],
                                     "on_demand_throughput": [], "projection_type": "ALL",
                                     "range_key": "sk", "read_capacity": 0, "write_capacity": 0}]
    a["hash_key"] = "pk"
    a["id"] = U(name)
    a["import_table"] = []
    a["local_secondary_index"] = []
    a["name"] = name
    a["on_demand_throughput"] = U([])
    a["point_in_time_recovery"] = [{"enabled": True}]
    a["range_key"] = "sk"
    a["read_capacity"] = U(0)
    r = rng.random()
    if r < 0.15:
        a["replica"] = [{"arn": U(""), "consistency_mode": "EVENTUAL",
                         "kms_key_arn": U(""), "point_in_time_recovery": True, "propagate_tags": True,
                         "region_name": rng.choice(["eu-central-1", "eu-west-1", "us-east-1", "eu-south-1"]),
                         "stream_arn": U(""), "stream_label": U("")}]
    else:
        a["replica"] = []
    a["restore_date_time"] = None
    a["restore_source_name"] = None
    a["restore_source_table_arn"] = None
    a["restore_to_latest_time"] = None
    a["server_side_encryption"] = [{"enabled": True, "kms_key_arn": kms_arn(rng, c)}]
    a["stream_arn"] = U(arn(c, "dynamodb", f"table/{name}/stream/2025-05-05T16:11:28.000"))
    a["stream_enabled"] = True
    a["stream_label"] = U("2025-05-05T16:11:28.000")
    a["stream_view_type"] = "NEW_AND_OLD_IMAGES"
    a["table_class"] = "STANDARD"
    aws_tags(rng, c, a)
    a["timeouts"] = None
    a["ttl"] = [{"attribute_name": "expires_at", "enabled": True}]
    a["write_capacity"] = U(0)
    return 1, a


def gen_aws_instance(rng, c):
    a: dict = {}
    az = f"{c['region']}{rng.choice('abc')}"
    kms = kms_arn(rng, c)
    a["ami"] = "ami-" + hexs(rng, 17)
    a["arn"] = U(arn(c, "ec2", "instance/i-" + hexs(rng, 17)))
    a["associate_public_ip_address"] = False
    a["availability_zone"] = az if rng.random() < 0.6 else U(az)
    a["capacity_reservation_specification"] = U([])
    a["cpu_core_count"] = U(2)
    a["cpu_options"] = U([])
    a["cpu_threads_per_core"] = U(2)
    a["credit_specification"] = []
    a["disable_api_stop"] = False
    a["disable_api_termination"] = c["env"] == "prod"
    a["ebs_block_device"] = [{"delete_on_termination": True, "device_name": "/dev/xvdf", "encrypted": True,
                              "iops": U(3000), "kms_key_id": kms, "snapshot_id": U(""),
                              "tags": None, "tags_all": U({}), "throughput": U(125),
                              "volume_id": U("vol-" + hexs(rng, 17)), "volume_size": rng.choice([100, 200, 500]),
                              "volume_type": "gp3"}]
    a["ebs_optimized"] = True
    a["enclave_options"] = U([])
    a["ephemeral_block_device"] = U([])
    a["get_password_data"] = False
    a["hibernation"] = None
    a["host_id"] = U(None)
    a["host_resource_group_arn"] = U(None)
    a["iam_instance_profile"] = f"{c['project']}-{c['app']}-profile"
    a["id"] = U("i-" + hexs(rng, 17))
    a["instance_initiated_shutdown_behavior"] = U("stop")
    a["instance_lifecycle"] = U("")
    a["instance_market_options"] = U([])
    a["instance_state"] = U("running")
    a["instance_type"] = rng.choice(["t3.medium", "m6i.large", "m7g.xlarge", "c6i.2xlarge", "r6i.large"])
    a["ipv6_address_count"] = U(0)
    a["ipv6_addresses"] = U([])
    a["key_name"] = None
    a["launch_template"] = []
    a["maintenance_options"] = U([])
    a["metadata_options"] = [{"http_endpoint": "enabled", "http_protocol_ipv6": "disabled",
                              "http_put_response_hop_limit": 1, "http_tokens": "required",
                              "instance_metadata_tags": "disabled"}]
    a["monitoring"] = True
    a["network_interface"] = U([])
    a["outpost_arn"] = U("")
    a["password_data"] = U("")
    a["placement_group"] = U("")
    a["placement_partition_number"] = U(0)
    a["primary_network_interface_id"] = U("eni-" + hexs(rng, 17))
    a["private_dns"] = U("ip-10-0-1-10.ec2.internal")
    a["private_dns_name_options"] = U([])
    a["private_ip"] = U("10.0.1.10")
    a["public_dns"] = U("")
    a["public_ip"] = U("")
    a["root_block_device"] = [{"delete_on_termination": True, "device_name": U("/dev/xvda"), "encrypted": True,
                               "iops": U(3000), "kms_key_id": kms, "tags": None, "tags_all": U({}),
                               "throughput": U(125), "volume_id": U("vol-" + hexs(rng, 17)),
                               "volume_size": rng.choice([30, 50, 80]), "volume_type": "gp3"}]
    a["secondary_private_ips"] = U([])
    a["security_groups"] = U([])
    a["source_dest_check"] = True
    a["spot_instance_request_id"] = U("")
    a["subnet_id"] = "subnet-" + hexs(rng, 17)
    aws_tags(rng, c, a)
    a["tenancy"] = U("default")
    a["timeouts"] = None
    a["user_data"] = hexs(rng, 40)
    a["user_data_base64"] = U(None)
    a["user_data_replace_on_change"] = False
    a["volume_tags"] = None
    a["vpc_security_group_ids"] = ["sg-" + hexs(rng, 17), "sg-" + hexs(rng, 17)]
    return 1, a


def gen_aws_iam_role(rng, c):
    a: dict = {}
    name = f"{c['project']}-{c['name']}".replace("_", "-")
    a["arn"] = U(f"arn:aws:iam::{c['account']}:role/{name}")
    a["assume_role_policy"] = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Action": "sts:AssumeRole", "Effect": "Allow",
        "Principal": {"Service": rng.choice(["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"])},
        "Condition": {"StringEquals": {"aws:SourceAccount": c["account"]}}}]}, separators=(",", ":"))
    a["create_date"] = U("2025-05-05T16:11:28Z")
    a["description"] = f"Runtime role for {c['app']} ({c['env']})"
    a["force_detach_policies"] = True
    a["id"] = U(name)
    a["inline_policy"] = [{"name": "runtime-access", "policy": policy_doc(rng, c, 2)}]
    a["managed_policy_arns"] = U([])
    a["max_session_duration"] = 3600
    a["name"] = name
    a["name_prefix"] = U("")
    a["path"] = "/service/"
    a["permissions_boundary"] = f"arn:aws:iam::{c['account']}:policy/platform-boundary"
    aws_tags(rng, c, a)
    a["unique_id"] = U("AROA" + hexs(rng, 17).upper())
    return 0, a


def gen_aws_kms_key(rng, c):
    a: dict = {}
    kid = uuid(rng)
    a["arn"] = U(f"arn:aws:kms:{c['region']}:{c['account']}:key/{kid}")
    a["bypass_policy_lockout_safety_check"] = False
    a["custom_key_store_id"] = None
    a["customer_master_key_spec"] = "SYMMETRIC_DEFAULT"
    a["deletion_window_in_days"] = 30
    a["description"] = f"CMK for {c['app']} {c['env']}"
    a["enable_key_rotation"] = True
    a["id"] = U(kid)
    a["is_enabled"] = True
    a["key_id"] = U(kid)
    a["key_usage"] = "ENCRYPT_DECRYPT"
    a["multi_region"] = rng.random() < 0.1
    a["policy"] = policy_doc(rng, c, 3)
    a["rotation_period_in_days"] = 365
    aws_tags(rng, c, a)
    a["timeouts"] = None
    a["xks_key_id"] = None
    return 0, a


def gen_aws_sqs_queue(rng, c):
    a: dict = {}
    name = f"{c['project']}-{c['name']}".replace("_", "-")
    a["arn"] = U(arn(c, "sqs", name))
    a["content_based_deduplication"] = False
    a["deduplication_scope"] = U("")
    a["delay_seconds"] = 0
    a["fifo_queue"] = False
    a["fifo_throughput_limit"] = U("")
    a["id"] = U(f"https://sqs.{c['region']}.amazonaws.com/{c['account']}/{name}")
    a["kms_data_key_reuse_period_seconds"] = 300
    a["kms_master_key_id"] = kms_arn(rng, c)
    a["max_message_size"] = 262144
    a["message_retention_seconds"] = 1209600
    a["name"] = name
    a["name_prefix"] = U("")
    a["policy"] = U(policy_doc(rng, c, 1))
    a["receive_wait_time_seconds"] = 20
    a["redrive_allow_policy"] = U("")
    a["redrive_policy"] = json.dumps({"deadLetterTargetArn": arn(c, "sqs", name + "-dlq"), "maxReceiveCount": 5},
                                     separators=(",", ":"))
    a["sqs_managed_sse_enabled"] = U(False)
    aws_tags(rng, c, a)
    a["timeouts"] = None
    a["url"] = U(f"https://sqs.{c['region']}.amazonaws.com/{c['account']}/{name}")
    a["visibility_timeout_seconds"] = 60
    return 0, a


def gen_aws_lambda_function(rng, c):
    a: dict = {}
    fn = f"{c['project']}-{c['name']}".replace("_", "-")
    a["architectures"] = ["arm64"]
    a["arn"] = U(arn(c, "lambda", "function:" + fn))
    a["code_sha256"] = U(b64(rng, 32))
    a["code_signing_config_arn"] = None
    a["dead_letter_config"] = []
    a["description"] = f"{c['app']} worker"
    env = {"LOG_LEVEL": "INFO", "APP_ENV": c["env"], "TABLE_NAME": c["name"],
           "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR"}
    if rng.random() < 0.4:
        env["DB_PASSWORD"] = S("Zq" + b64(rng, 18))
    a["environment"] = [{"variables": env}]
    a["ephemeral_storage"] = [{"size": 512}]
    a["file_system_config"] = []
    a["filename"] = f"build/{c['app']}.zip"
    a["function_name"] = fn
    a["handler"] = "app.handler"
    a["id"] = U(fn)
    a["image_config"] = []
    a["image_uri"] = None
    a["invoke_arn"] = U(f"arn:aws:apigateway:{c['region']}:lambda:path/2015-03-31/functions/{fn}/invocations")
    a["kms_key_arn"] = kms_arn(rng, c)
    a["last_modified"] = U("2025-05-05T16:11:28.000+0000")
    a["layers"] = []
    a["logging_config"] = U([])
    a["memory_size"] = rng.choice([256, 512, 1024])
    a["package_type"] = "Zip"
    a["publish"] = False
    a["qualified_arn"] = U("")
    a["qualified_invoke_arn"] = U("")
    a["replace_security_groups_on_destroy"] = None
    a["replacement_security_group_ids"] = None
    a["reserved_concurrent_executions"] = -1
    a["role"] = U(f"arn:aws:iam::{c['account']}:role/{fn}")
    a["runtime"] = "python3.12"
    a["s3_bucket"] = None
    a["s3_key"] = None
    a["s3_object_version"] = None
    a["signing_job_arn"] = U("")
    a["signing_profile_version_arn"] = U("")
    a["skip_destroy"] = False
    a["snap_start"] = U([])
    a["source_code_hash"] = b64(rng, 32)
    a["source_code_size"] = U(1048576)
    aws_tags(rng, c, a)
    a["timeout"] = 30
    a["timeouts"] = None
    a["tracing_config"] = [{"mode": "Active"}]
    a["version"] = U("$LATEST")
    a["vpc_config"] = [{"ipv6_allowed_for_dual_stack": False,
                        "security_group_ids": ["sg-" + hexs(rng, 17)],
                        "subnet_ids": ["subnet-" + hexs(rng, 17), "subnet-" + hexs(rng, 17)],
                        "vpc_id": U("vpc-" + hexs(rng, 17))}]
    return 0, a


def gen_aws_cloudwatch_log_group(rng, c):
    a: dict = {}
    name = f"/{c['project']}/{c['env']}/{c['name']}"
    a["arn"] = U(arn(c, "logs", "log-group:" + name))
    a["id"] = U(name)
    a["kms_key_id"] = kms_arn(rng, c)
    a["log_group_class"] = "STANDARD"
    a["name"] = name
    a["name_prefix"] = U("")
    a["retention_in_days"] = rng.choice([90, 365, 3653])
    a["skip_destroy"] = False
    aws_tags(rng, c, a)
    return 0, a


# --- azurerm ----------------------------------------------------------------

def az_id(c: dict, provider: str, kind: str, name: str) -> str:
    return (f"/subscriptions/{AZ_SUBSCRIPTION}/resourceGroups/{c['rg']}"
            f"/providers/{provider}/{kind}/{name}")


def az_tags(rng, c, a):
    if rng.random() < 0.03:
        a["tags"] = U(make_tags(rng, c))
    else:
        a["tags"] = make_tags(rng, c)


def az_location(rng, c, a):
    # A location taken from a resource group created in the same plan is known
    # in practice; a few come from a data source / module output and are not.
    a["location"] = U(c["location"]) if rng.random() < 0.03 else c["location"]


def gen_azurerm_resource_group(rng, c):
    a: dict = {}
    a["id"] = U(f"/subscriptions/{AZ_SUBSCRIPTION}/resourceGroups/{c['name']}")
    a["location"] = c["location"]
    a["managed_by"] = None
    a["name"] = c["name"]
    az_tags(rng, c, a)
    a["timeouts"] = None
    return 0, a


def gen_azurerm_storage_account(rng, c):
    a: dict = {}
    name = ("st" + c["name"].replace("_", "").replace("-", ""))[:18] + hexs(rng, 6)
    pid = az_id(c, "Microsoft.Storage", "storageAccounts", name)
    repl = rng.choice(["LRS", "ZRS", "GRS", "RAGRS", "GZRS"])
    a["access_tier"] = "Hot"
    a["account_kind"] = "StorageV2"
    a["account_replication_type"] = repl
    a["account_tier"] = "Standard"
    a["allow_nested_items_to_be_public"] = False
    a["allowed_copy_scope"] = None
    a["azure_files_authentication"] = []
    a["blob_properties"] = [{"change_feed_enabled": True, "change_feed_retention_in_days": None,
                             "container_delete_retention_policy": [{"days": 30}], "cors_rule": [],
                             "default_service_version": U("2020-06-12"),
                             "delete_retention_policy": [{"days": 30, "permanent_delete_enabled": False}],
                             "last_access_time_enabled": False, "restore_policy": [], "versioning_enabled": True}]
    a["cross_tenant_replication_enabled"] = False
    a["custom_domain"] = []
    a["customer_managed_key"] = []
    a["default_to_oauth_authentication"] = True
    a["dns_endpoint_type"] = "Standard"
    a["edge_zone"] = None
    a["https_traffic_only_enabled"] = True
    a["id"] = U(pid)
    a["identity"] = [{"identity_ids": None, "principal_id": U(uuid(rng)), "tenant_id": U(AZ_TENANT),
                      "type": "SystemAssigned"}]
    a["immutability_policy"] = []
    a["infrastructure_encryption_enabled"] = True
    a["is_hns_enabled"] = False
    a["large_file_share_enabled"] = U(False)
    a["local_user_enabled"] = False
    az_location(rng, c, a)
    a["min_tls_version"] = "TLS1_2"
    a["name"] = name
    a["network_rules"] = [{"bypass": ["AzureServices"], "default_action": "Deny",
                           "ip_rules": ["203.0.113.%d" % rng.randrange(256)], "private_link_access": [],
                           "virtual_network_subnet_ids": [az_id(c, "Microsoft.Network", "virtualNetworks",
                                                                "vnet-" + c["env"]) + "/subnets/data"]}]
    a["nfsv3_enabled"] = False
    a["primary_access_key"] = S(U(b64(rng, 64)))
    a["primary_blob_endpoint"] = U(f"https://{name}.blob.core.windows.net/")
    a["primary_blob_host"] = U(f"{name}.blob.core.windows.net")
    a["primary_connection_string"] = S(U("DefaultEndpointsProtocol=https;AccountName=" + name))
    a["primary_location"] = U(c["location"])
    a["public_network_access_enabled"] = False
    a["queue_encryption_key_type"] = "Service"
    a["resource_group_name"] = c["rg"]
    a["routing"] = U([])
    a["sas_policy"] = []
    a["secondary_access_key"] = S(U(b64(rng, 64)))
    a["secondary_location"] = U("francesouth" if "GRS" in repl else "")
    a["sftp_enabled"] = False
    a["share_properties"] = U([])
    a["shared_access_key_enabled"] = False
    a["static_website"] = []
    a["table_encryption_key_type"] = "Service"
    az_tags(rng, c, a)
    a["timeouts"] = None
    return 4, a


def gen_azurerm_linux_virtual_machine(rng, c):
    a: dict = {}
    name = f"vm-{c['name']}".replace("_", "-")
    a["additional_capabilities"] = []
    a["admin_password"] = S(None)
    a["admin_ssh_key"] = [{"public_key": "ssh-rsa " + b64(rng, 270) + " ops@example.eu", "username": "azureuser"}]
    a["admin_username"] = "azureuser"
    a["allow_extension_operations"] = True
    a["availability_set_id"] = None
    a["boot_diagnostics"] = [{"storage_account_uri": None}]
    a["bypass_platform_safety_checks_on_user_schedule_enabled"] = False
    a["capacity_reservation_group_id"] = None
    a["computer_name"] = U(name)
    a["custom_data"] = S(b64(rng, 60))
    a["dedicated_host_group_id"] = None
    a["dedicated_host_id"] = None
    a["disable_password_authentication"] = True
    a["disk_controller_type"] = U("SCSI")
    a["edge_zone"] = None
    a["encryption_at_host_enabled"] = True
    a["eviction_policy"] = None
    a["extensions_time_budget"] = "PT1H30M"
    a["gallery_application"] = []
    a["id"] = U(az_id(c, "Microsoft.Compute", "virtualMachines", name))
    a["identity"] = [{"identity_ids": None, "principal_id": U(uuid(rng)), "tenant_id": U(AZ_TENANT),
                      "type": "SystemAssigned"}]
    a["license_type"] = None
    az_location(rng, c, a)
    a["max_bid_price"] = -1
    a["name"] = name
    a["network_interface_ids"] = U([az_id(c, "Microsoft.Network", "networkInterfaces", "nic-" + name)])
    a["os_disk"] = [{"caching": "ReadWrite", "diff_disk_settings": [], "disk_encryption_set_id": None,
                     "disk_size_gb": 64, "id": U(""), "name": U("osdisk-" + name),
                     "secure_vm_disk_encryption_set_id": None, "security_encryption_type": None,
                     "storage_account_type": "Premium_LRS", "write_accelerator_enabled": False}]
    a["os_image_notification"] = []
    a["patch_assessment_mode"] = "AutomaticByPlatform"
    a["patch_mode"] = "AutomaticByPlatform"
    a["plan"] = []
    a["platform_fault_domain"] = -1
    a["priority"] = "Regular"
    a["private_ip_address"] = U("10.1.0.4")
    a["private_ip_addresses"] = U(["10.1.0.4"])
    a["provision_vm_agent"] = True
    a["proximity_placement_group_id"] = None
    a["public_ip_address"] = U("")
    a["public_ip_addresses"] = U([])
    a["reboot_setting"] = None
    a["resource_group_name"] = c["rg"]
    a["secret"] = []
    a["secure_boot_enabled"] = True
    a["size"] = rng.choice(["Standard_D4s_v5", "Standard_E8s_v5", "Standard_B2ms"])
    a["source_image_id"] = None
    a["source_image_reference"] = [{"offer": "0001-com-ubuntu-server-jammy", "publisher": "Canonical",
                                    "sku": "22_04-lts-gen2", "version": "latest"}]
    az_tags(rng, c, a)
    a["termination_notification"] = U([])
    a["timeouts"] = None
    a["user_data"] = None
    a["virtual_machine_id"] = U(uuid(rng))
    a["virtual_machine_scale_set_id"] = None
    a["vm_agent_platform_updates_enabled"] = False
    a["vtpm_enabled"] = True
    a["zone"] = rng.choice(["1", "2", "3"])
    return 0, a


def gen_azurerm_mssql_server(rng, c):
    a: dict = {}
    name = f"sql-{c['name']}".replace("_", "-")
    a["administrator_login"] = "sqladmin"
    a["administrator_login_password"] = S("Zq" + b64(rng, 18))
    a["administrator_login_password_wo"] = None
    a["azuread_administrator"] = [{"azuread_authentication_only": True, "login_username": "sql-admins",
                                   "object_id": uuid(rng), "tenant_id": U(AZ_TENANT)}]
    a["connection_policy"] = "Default"
    a["express_vulnerability_assessment_enabled"] = False
    a["fully_qualified_domain_name"] = U(f"{name}.database.windows.net")
    a["id"] = U(az_id(c, "Microsoft.Sql", "servers", name))
    a["identity"] = []
    az_location(rng, c, a)
    a["minimum_tls_version"] = "1.2"
    a["name"] = name
    a["outbound_network_restriction_enabled"] = False
    a["primary_user_assigned_identity_id"] = U("")
    a["public_network_access_enabled"] = False
    a["resource_group_name"] = c["rg"]
    a["restorable_dropped_database_ids"] = U([])
    az_tags(rng, c, a)
    a["timeouts"] = None
    a["transparent_data_encryption_key_vault_key_id"] = None
    a["version"] = "12.0"
    return 0, a


def gen_azurerm_mssql_database(rng, c):
    a: dict = {}
    name = f"sqldb-{c['name']}".replace("_", "-")
    server = "sql-" + c["project"]
    a["auto_pause_delay_in_minutes"] = U(0)
    a["collation"] = "SQL_Latin1_General_CP1_CI_AS"
    a["create_mode"] = "Default"
    a["creation_source_database_id"] = U("")
    a["elastic_pool_id"] = None
    a["enclave_type"] = U("")
    a["geo_backup_enabled"] = True
    a["id"] = U(az_id(c, "Microsoft.Sql", "servers", server) + "/databases/" + name)
    a["identity"] = []
    a["import"] = []
    a["ledger_enabled"] = False
    a["license_type"] = U("")
    a["long_term_retention_policy"] = [{"immutable_backups_enabled": False, "monthly_retention": "P12M",
                                        "week_of_year": 1, "weekly_retention": "P4W", "yearly_retention": "P5Y"}]
    a["maintenance_configuration_name"] = "SQL_Default"
    a["max_size_gb"] = rng.choice([32, 64, 250])
    a["min_capacity"] = U(0)
    a["name"] = name
    a["read_replica_count"] = U(0)
    a["read_scale"] = False
    a["recover_database_id"] = None
    a["recovery_point_id"] = None
    a["restore_dropped_database_id"] = None
    a["restore_long_term_retention_backup_id"] = None
    a["restore_point_in_time"] = U("")
    a["sample_name"] = None
    a["secondary_type"] = U("")
    a["server_id"] = U(az_id(c, "Microsoft.Sql", "servers", server))
    a["short_term_retention_policy"] = [{"backup_interval_in_hours": 12, "retention_days": 7}]
    a["sku_name"] = rng.choice(["GP_Gen5_2", "GP_Gen5_4", "BC_Gen5_2", "S1"])
    a["storage_account_type"] = rng.choice(["Geo", "Zone", "Local"])
    az_tags(rng, c, a)
    a["threat_detection_policy"] = U([])
    a["timeouts"] = None
    a["transparent_data_encryption_enabled"] = True
    a["transparent_data_encryption_key_automatic_rotation_enabled"] = False
    a["transparent_data_encryption_key_vault_key_id"] = None
    a["zone_redundant"] = U(False)
    return 0, a


def gen_azurerm_key_vault(rng, c):
    a: dict = {}
    name = ("kv-" + c["name"].replace("_", "-"))[:18] + hexs(rng, 4)
    a["access_policy"] = U([])
    a["contact"] = []
    a["enable_rbac_authorization"] = True
    a["enabled_for_deployment"] = False
    a["enabled_for_disk_encryption"] = True
    a["enabled_for_template_deployment"] = False
    a["id"] = U(az_id(c, "Microsoft.KeyVault", "vaults", name))
    az_location(rng, c, a)
    a["name"] = name
    a["network_acls"] = [{"bypass": "AzureServices", "default_action": "Deny",
                          "ip_rules": ["203.0.113.%d/32" % rng.randrange(256)], "virtual_network_subnet_ids": []}]
    a["public_network_access_enabled"] = False
    a["purge_protection_enabled"] = True
    a["resource_group_name"] = c["rg"]
    a["sku_name"] = "premium"
    a["soft_delete_retention_days"] = 90
    az_tags(rng, c, a)
    a["tenant_id"] = AZ_TENANT
    a["timeouts"] = None
    a["vault_uri"] = U(f"https://{name}.vault.azure.net/")
    return 0, a


def gen_azurerm_postgresql_flexible_server(rng, c):
    a: dict = {}
    name = f"psql-{c['name']}".replace("_", "-")
    a["administrator_login"] = "pgadmin"
    a["administrator_password"] = S("Zq" + b64(rng, 18))
    a["administrator_password_wo"] = None
    a["authentication"] = [{"active_directory_auth_enabled": True, "password_auth_enabled": True,
                            "tenant_id": AZ_TENANT}]
    a["auto_grow_enabled"] = True
    a["backup_retention_days"] = 35
    a["create_mode"] = None
    a["customer_managed_key"] = []
    a["delegated_subnet_id"] = az_id(c, "Microsoft.Network", "virtualNetworks", "vnet-" + c["env"]) + "/subnets/psql"
    a["fqdn"] = U(f"{name}.postgres.database.azure.com")
    a["geo_redundant_backup_enabled"] = rng.random() < 0.5
    a["high_availability"] = [{"mode": "ZoneRedundant", "standby_availability_zone": "2"}]
    a["id"] = U(az_id(c, "Microsoft.DBforPostgreSQL", "flexibleServers", name))
    a["identity"] = []
    az_location(rng, c, a)
    a["maintenance_window"] = [{"day_of_week": 0, "start_hour": 2, "start_minute": 0}]
    a["name"] = name
    a["point_in_time_restore_time_in_utc"] = None
    a["private_dns_zone_id"] = az_id(c, "Microsoft.Network", "privateDnsZones", "privatelink.postgres.database.azure.com")
    a["public_network_access_enabled"] = False
    a["replication_role"] = None
    a["resource_group_name"] = c["rg"]
    a["sku_name"] = rng.choice(["GP_Standard_D4s_v3", "MO_Standard_E4ds_v5", "B_Standard_B2s"])
    a["source_server_id"] = None
    a["storage_mb"] = 131072
    a["storage_tier"] = "P30"
    az_tags(rng, c, a)
    a["timeouts"] = None
    a["version"] = "16"
    a["zone"] = "1"
    return 1, a


def gen_azurerm_cosmosdb_account(rng, c):
    a: dict = {}
    name = f"cosmos-{c['name']}".replace("_", "-")
    second = rng.choice(["francesouth", "westeurope", "germanynorth", "eastus2"])
    a["access_key_metadata_writes_enabled"] = False
    a["analytical_storage"] = U([])
    a["analytical_storage_enabled"] = False
    a["automatic_failover_enabled"] = True
    a["backup"] = [{"interval_in_minutes": 240, "retention_in_hours": 8, "storage_redundancy": "Geo",
                    "tier": U(""), "type": "Periodic"}]
    a["burst_capacity_enabled"] = False
    a["capabilities"] = [{"name": "EnableServerless"}]
    a["capacity"] = U([])
    a["consistency_policy"] = [{"consistency_level": "Session", "max_interval_in_seconds": 5,
                                "max_staleness_prefix": 100}]
    a["cors_rule"] = []
    a["create_mode"] = U("")
    a["default_identity_type"] = "FirstPartyIdentity"
    a["endpoint"] = U(f"https://{name}.documents.azure.com:443/")
    a["free_tier_enabled"] = False
    a["geo_location"] = [{"failover_priority": 0, "id": U(""), "location": c["location"], "zone_redundant": True},
                         {"failover_priority": 1, "id": U(""), "location": second, "zone_redundant": False}]
    a["id"] = U(az_id(c, "Microsoft.DocumentDB", "databaseAccounts", name))
    a["identity"] = []
    a["ip_range_filter"] = None
    a["is_virtual_network_filter_enabled"] = True
    a["key_vault_key_id"] = None
    a["kind"] = "GlobalDocumentDB"
    a["local_authentication_disabled"] = True
    az_location(rng, c, a)
    a["minimal_tls_version"] = "Tls12"
    a["multiple_write_locations_enabled"] = False
    a["name"] = name
    a["network_acl_bypass_for_azure_services"] = False
    a["network_acl_bypass_ids"] = None
    a["offer_type"] = "Standard"
    a["partition_merge_enabled"] = False
    a["primary_key"] = S(U(b64(rng, 64)))
    a["primary_readonly_key"] = S(U(b64(rng, 64)))
    a["primary_sql_connection_string"] = S(U(""))
    a["public_network_access_enabled"] = False
    a["read_endpoints"] = U([])
    a["resource_group_name"] = c["rg"]
    a["restore"] = []
    a["secondary_key"] = S(U(b64(rng, 64)))
    az_tags(rng, c, a)
    a["timeouts"] = None
    a["virtual_network_rule"] = [{"id": az_id(c, "Microsoft.Network", "virtualNetworks", "vnet-" + c["env"])
                                  + "/subnets/app", "ignore_missing_vnet_service_endpoint": False}]
    a["write_endpoints"] = U([])
    return 0, a


GENERATORS = {name[4:]: fn for name, fn in globals().items() if name.startswith("gen_")}

AWS_TYPES = [
    ("aws_s3_bucket", 20), ("aws_db_instance", 9), ("aws_dynamodb_table", 12), ("aws_instance", 14),
    ("aws_iam_role", 14), ("aws_kms_key", 8), ("aws_sqs_queue", 9), ("aws_lambda_function", 8),
    ("aws_cloudwatch_log_group", 6),
]
AZ_TYPES = [
    ("azurerm_resource_group", 10), ("azurerm_storage_account", 20), ("azurerm_linux_virtual_machine", 15),
    ("azurerm_mssql_server", 8), ("azurerm_mssql_database", 10), ("azurerm_key_vault", 12),
    ("azurerm_postgresql_flexible_server", 11), ("azurerm_cosmosdb_account", 8),
]
NAME_WORDS = {
    "aws_s3_bucket": ["patient-records", "imaging", "audit-logs", "exports", "backups", "artifacts", "reports"],
    "aws_db_instance": ["care", "billing", "appointments", "registry", "research"],
    "aws_dynamodb_table": ["sessions", "consents", "events", "appointments", "documents"],
    "aws_instance": ["app", "worker", "bastion", "gateway", "batch"],
    "aws_iam_role": ["app_runtime", "etl", "reader", "ci_deploy", "backup"],
    "aws_kms_key": ["data", "logs", "backup", "secrets"],
    "aws_sqs_queue": ["ingest", "notifications", "hl7_inbound", "jobs"],
    "aws_lambda_function": ["ingest", "anonymiser", "exporter", "notifier"],
    "aws_cloudwatch_log_group": ["app", "audit", "lambda", "vpc_flow"],
}


# ---------------------------------------------------------------------------
# Layout: blocks (resource configs) and module calls, built with small tuples
# so memory stays low for 50k+ instances.
# ---------------------------------------------------------------------------

class Block:
    __slots__ = ("bid", "rtype", "name", "pkey", "kind", "keys", "location", "project", "env", "team")

    def __init__(self, bid, rtype, name, pkey, kind, keys, location, project, env, team):
        self.bid = bid
        self.rtype = rtype
        self.name = name
        self.pkey = pkey
        self.kind = kind          # "single" | "count" | "for_each"
        self.keys = keys          # [None] | [0..n-1] | ["a", ...]
        self.location = location
        self.project = project
        self.env = env
        self.team = team


class ModDef:
    __slots__ = ("name", "source", "kind", "keys", "blocks", "children", "pkey")

    def __init__(self, name, source, kind, keys, blocks, children, pkey):
        self.name = name
        self.source = source
        self.kind = kind
        self.keys = keys
        self.blocks = blocks
        self.children = children
        self.pkey = pkey

    def per_instance(self) -> int:
        return sum(len(b.keys) for b in self.blocks) + sum(ch.total() for ch in self.children)

    def total(self) -> int:
        return len(self.keys) * self.per_instance()


class Layout:
    def __init__(self, n: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.next_bid = 0
        self.root_blocks: list[Block] = []
        self.modules: list[ModDef] = []
        n_mod_target = int(round(n * 0.10)) if n >= 20 else 0
        m_total = 0
        j = 0
        while m_total < n_mod_target:
            md = self._make_module(j, n_mod_target - m_total)
            self.modules.append(md)
            m_total += md.total()
            j += 1
        self.n_module = m_total
        self._make_root_blocks(n - m_total)

    def _block(self, rtype, pkey, kind, keys, prefix="") -> Block:
        rng = self.rng
        self.next_bid += 1
        words = NAME_WORDS.get(rtype) or [rtype.split("_", 1)[1].split("_")[0], "main", "shared", "core"]
        name = f"{prefix}{rng.choice(words).replace('-', '_')}_{self.next_bid}"
        loc = pick_weighted(rng, AZ_LOCATIONS) if rtype.startswith("azurerm") else REGION_BY_KEY[pkey]
        return Block(self.next_bid, rtype, name, pkey, kind, keys, loc,
                     rng.choice(["hds", "careplus", "medtrack", "santé-data", "eprescribe"]).replace("é", "e"),
                     pick_weighted(rng, [("prod", 6), ("staging", 3), ("dev", 1)]), rng.choice(TEAMS))

    def _kind_keys(self, lo=2, hi=5, p_single=0.7):
        rng = self.rng
        r = rng.random()
        if r < p_single:
            return "single", [None]
        if r < p_single + (1 - p_single) / 2:
            return "count", list(range(rng.randint(lo, hi)))
        return "for_each", rng.sample(FOR_EACH_KEYS, rng.randint(lo, hi))

    def _make_root_blocks(self, n_root: int) -> None:
        rng = self.rng
        made = 0
        while made < n_root:
            if rng.random() < 0.667:
                rtype = pick_weighted(rng, AWS_TYPES)
                pkey = "aws.virginia" if rng.random() < 0.12 else "aws"
            else:
                rtype = pick_weighted(rng, AZ_TYPES)
                pkey = "azurerm"
            kind, keys = self._kind_keys(2, 8, 0.7)
            if made + len(keys) > n_root:
                keys = keys[: n_root - made]
                if len(keys) == 1 and kind != "single":
                    kind, keys = "single", [None]
            self.root_blocks.append(self._block(rtype, pkey, kind, keys))
            made += len(keys)

    def _make_module(self, j: int, budget: int) -> ModDef:
        rng = self.rng
        azure = rng.random() < 0.25
        pkey = "azurerm" if azure else ("aws.virginia" if rng.random() < 0.2 else "aws")
        types = AZ_TYPES if azure else AWS_TYPES
        base = rng.choice(["tenant_data", "analytics", "landing_zone", "edge", "records", "backup_vault"])
        name = f"{base}_{j:03d}"

        def blocks(nb, p_single):
            out = []
            for _ in range(nb):
                kind, keys = self._kind_keys(2, 4, p_single)
                out.append(self._block(pick_weighted(rng, types), pkey, kind, keys))
            return out

        children = []
        if rng.random() < 0.5:
            children.append(ModDef("storage", "./modules/storage", "single", [None], blocks(rng.randint(2, 3), 0.6), [], pkey))
        kind, keys = self._kind_keys(2, 5, 0.3)
        md = ModDef(name, f"./modules/{base}", kind, keys, blocks(rng.randint(3, 6), 0.4), children, pkey)
        # Shrink to the remaining budget so small N stay close to 10%.
        while md.total() > max(budget, 1) * 1.5 and (len(md.keys) > 1 or md.children or len(md.blocks) > 1
                                                      or any(len(b.keys) > 1 for b in md.blocks)):
            if len(md.keys) > 1:
                md.keys = md.keys[:-1]
            elif md.children:
                md.children = []
            elif len(md.blocks) > 1:
                md.blocks = md.blocks[:-1]
            else:
                b = md.blocks[0]
                b.kind, b.keys = "single", [None]
        if len(md.keys) == 1 and md.kind != "single":
            md.kind, md.keys = "single", [None]
        return md


def idx_suffix(key) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return '["%s"]' % key


def dumps(obj) -> str:
    # Terraform (Go encoding/json) escapes <, > and & inside strings.
    s = json.dumps(obj, separators=(",", ":"))
    if "<" in s or ">" in s or "&" in s:
        s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return s


# ---------------------------------------------------------------------------
# Instance generation and streaming writer
# ---------------------------------------------------------------------------

class Writer:
    def __init__(self, out_path: str, seed: int) -> None:
        self.rng = random.Random(seed * 7919 + 1)
        self.out = open(out_path, "w", encoding="utf-8", buffering=1 << 20)
        self.rc_path = out_path + ".rc.tmp"
        self.rc = open(self.rc_path, "w", encoding="utf-8", buffering=1 << 20)
        self.rc_first = True
        self.count = 0

    def instance(self, block: Block, key, module_addr: str, mkey: str = "") -> str | None:
        """Write one resource_changes entry; return its planned_values entry (or None)."""
        rng = self.rng
        rtype = block.rtype
        suffix = "" if key is None else ("_%s" % key)
        c = {
            "name": block.name + mkey + suffix,
            "env": block.env,
            "team": block.team,
            "project": block.project,
            "app": block.name.rsplit("_", 1)[0].replace("_", "-"),
            "health": rng.random() < 0.30,
            "account": ACCOUNTS[block.bid % len(ACCOUNTS)],
            "region": REGION_BY_KEY.get(block.pkey, ""),
            "location": block.location,
            "rg": f"rg-{block.project}-{block.env}-{block.location}",
        }
        schema_version, attrs = GENERATORS[rtype](rng, c)
        provider = AZ_PROVIDER if rtype.startswith("azurerm") else AWS_PROVIDER
        address = (module_addr + "." if module_addr else "") + f"{rtype}.{block.name}{idx_suffix(key)}"

        r = rng.random()
        replace_paths = None
        if r < 0.80:
            actions = ["create"]
            before = None
            after, after_unknown, after_sensitive = render(attrs, False)
            before_sensitive = False
        elif r < 0.89:
            actions = ["update"]
            before, _, before_sensitive = render(attrs, True)
            tags = attrs.get("tags")
            if isinstance(tags, dict):
                tags["last_reviewed"] = "2025-05-0%d" % rng.randint(1, 5)
                if isinstance(attrs.get("tags_all"), dict):
                    attrs["tags_all"]["last_reviewed"] = tags["last_reviewed"]
            after, after_unknown, after_sensitive = render(attrs, True)
        elif r < 0.94:
            actions = ["no-op"]
            before, after_unknown, before_sensitive = render(attrs, True)
            after = before
            after_sensitive = before_sensitive
        elif r < 0.99:
            actions = ["delete", "create"]
            before, _, before_sensitive = render(attrs, True)
            after, after_unknown, after_sensitive = render(attrs, False)
            replace_paths = [["name" if "name" in after else "id"]]
        else:
            actions = ["delete"]
            before, _, before_sensitive = render(attrs, True)
            after, after_unknown, after_sensitive = None, {}, False

        rc = {"address": address}
        if module_addr:
            rc["module_address"] = module_addr
        rc["mode"] = "managed"
        rc["type"] = rtype
        rc["name"] = block.name
        if key is not None:
            rc["index"] = key
        rc["provider_name"] = provider
        change = {"actions": actions, "before": before, "after": after, "after_unknown": after_unknown,
                  "before_sensitive": before_sensitive, "after_sensitive": after_sensitive}
        if replace_paths:
            change["replace_paths"] = replace_paths
        rc["change"] = change
        if replace_paths:
            rc["action_reason"] = "replace_because_cannot_update"
        if not self.rc_first:
            self.rc.write(",")
        self.rc_first = False
        self.rc.write(dumps(rc))
        self.count += 1

        if after is None:
            return None
        pv = {"address": address, "mode": "managed", "type": rtype, "name": block.name}
        if key is not None:
            pv["index"] = key
        pv["provider_name"] = provider
        pv["schema_version"] = schema_version
        pv["values"] = after
        pv["sensitive_values"] = after_sensitive
        return dumps(pv)

    def write_resources(self, blocks, module_addr: str, mkey: str = "") -> None:
        first = True
        self.out.write('"resources":[')
        for b in blocks:
            for key in b.keys:
                s = self.instance(b, key, module_addr, mkey)
                if s is None:
                    continue
                if not first:
                    self.out.write(",")
                first = False
                self.out.write(s)
        self.out.write("]")

    def write_module_instances(self, mods, parent_addr: str, parent_key: str = "") -> None:
        first = True
        for md in mods:
            for key in md.keys:
                addr = (parent_addr + "." if parent_addr else "") + f"module.{md.name}{idx_suffix(key)}"
                if not first:
                    self.out.write(",")
                first = False
                self.out.write("{")
                mkey = parent_key + ("" if key is None else "_%s" % key)
                self.write_resources(md.blocks, addr, mkey)
                self.out.write(',"address":%s' % dumps(addr))
                if md.children:
                    self.out.write(',"child_modules":[')
                    self.write_module_instances(md.children, addr, mkey)
                    self.out.write("]")
                self.out.write("}")


# ---------------------------------------------------------------------------
# configuration section
# ---------------------------------------------------------------------------

def ref(*names: str) -> dict:
    return {"references": list(names)}


def const(v) -> dict:
    return {"constant_value": v}


def config_expressions(rng: random.Random, b: Block) -> dict:
    t = b.rtype
    tags = ref("local.common_tags", "var.data_classification", "var.environment")
    kms = ref("aws_kms_key.data.arn", "aws_kms_key.data")
    e: dict
    if t == "aws_s3_bucket":
        e = {"bucket": ref("local.name_prefix"), "force_destroy": const(False),
             "lifecycle_rule": [{"enabled": const(True), "expiration": [{"days": ref("var.retention_days")}],
                                 "id": const("expire"), "transition": [{"days": const(30), "storage_class": const("STANDARD_IA")},
                                                                       {"days": const(180), "storage_class": const("GLACIER")}]}],
             "logging": [{"target_bucket": ref("var.access_log_bucket"), "target_prefix": ref("local.name_prefix")}],
             "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [
                 {"kms_master_key_id": kms, "sse_algorithm": const("aws:kms")}], "bucket_key_enabled": const(True)}]}],
             "tags": tags, "versioning": [{"enabled": const(True)}]}
    elif t == "aws_db_instance":
        e = {"allocated_storage": ref("var.db_storage_gb"), "backup_retention_period": const(35),
             "db_subnet_group_name": ref("aws_db_subnet_group.main.name", "aws_db_subnet_group.main"),
             "deletion_protection": ref("var.environment"), "engine": const("postgres"), "engine_version": const("16.3"),
             "identifier": ref("local.name_prefix"), "instance_class": ref("var.db_instance_class"),
             "kms_key_id": kms, "multi_az": ref("var.multi_az"), "password": {},
             "storage_encrypted": const(True), "tags": tags, "username": const("dbadmin"),
             "vpc_security_group_ids": ref("aws_security_group.db.id", "aws_security_group.db")}
    elif t.startswith("aws_"):
        e = {"name": ref("local.name_prefix", "each.key") if b.kind == "for_each" else ref("local.name_prefix"),
             "kms_key_id": kms, "tags": tags, "description": const(f"{t} managed by the platform team")}
    else:
        e = {"location": ref("var.location") if rng.random() < 0.6 else
             ref("azurerm_resource_group.main.location", "azurerm_resource_group.main"),
             "name": ref("local.name_prefix"),
             "resource_group_name": ref("azurerm_resource_group.main.name", "azurerm_resource_group.main"),
             "tags": tags}
        if t == "azurerm_resource_group":
            del e["resource_group_name"]
        elif t == "azurerm_mssql_database":
            del e["location"], e["resource_group_name"]
            e["server_id"] = ref("azurerm_mssql_server.main.id", "azurerm_mssql_server.main")
            e["sku_name"] = ref("var.sql_sku")
        elif t == "azurerm_storage_account":
            e["account_replication_type"] = ref("var.replication_type")
            e["network_rules"] = [{"default_action": const("Deny"), "bypass": const(["AzureServices"])}]
    return e


def config_resource(rng: random.Random, b: Block) -> dict:
    r = {"address": f"{b.rtype}.{b.name}", "mode": "managed", "type": b.rtype, "name": b.name,
         "provider_config_key": b.pkey, "expressions": config_expressions(rng, b), "schema_version": 0}
    if b.kind == "count":
        r["count_expression"] = const(len(b.keys)) if rng.random() < 0.5 else ref("var.replica_count")
    elif b.kind == "for_each":
        r["for_each_expression"] = ref("var.tenants") if rng.random() < 0.5 else ref("local.instances")
    return r


def config_module(rng: random.Random, md: ModDef) -> dict:
    call = {"source": md.source,
            "expressions": {"name": ref("each.key") if md.kind == "for_each" else ref("var.name"),
                            "environment": ref("var.environment"), "tags": ref("local.common_tags")}}
    if md.kind == "count":
        call["count_expression"] = const(len(md.keys))
    elif md.kind == "for_each":
        call["for_each_expression"] = ref("var.tenants")
    module: dict = {"resources": [config_resource(rng, b) for b in md.blocks]}
    if md.children:
        module["module_calls"] = {ch.name: config_module(rng, ch) for ch in md.children}
    module["variables"] = {"name": {"description": "Name prefix"}, "environment": {},
                           "tags": {"default": {}, "description": "Extra tags"}}
    call["module"] = module
    return call


VARIABLES = {
    "access_log_bucket": {"value": "hds-access-logs-eu-west-3"},
    "aws_region": {"value": "eu-west-3"},
    "data_classification": {"value": "health"},
    "db_instance_class": {"value": "db.r6g.large"},
    "db_password": {"value": "not-a-real-password"},
    "db_storage_gb": {"value": 100},
    "environment": {"value": "prod"},
    "location": {"value": "francecentral"},
    "multi_az": {"value": True},
    "replica_count": {"value": 3},
    "replication_type": {"value": "GRS"},
    "retention_days": {"value": 3650},
    "sql_sku": {"value": "GP_Gen5_2"},
    "subscription_id": {"value": AZ_SUBSCRIPTION},
    "tenants": {"value": FOR_EACH_KEYS[:6]},
}


def provider_config() -> dict:
    return {
        "aws": {"name": "aws", "full_name": AWS_PROVIDER, "version_constraint": "~> 5.80",
                "expressions": {"default_tags": [{"tags": const(DEFAULT_TAGS)}],
                                "region": const("eu-west-3")}},
        "aws.virginia": {"name": "aws", "full_name": AWS_PROVIDER, "alias": "virginia",
                         "version_constraint": "~> 5.80",
                         "expressions": {"default_tags": [{"tags": const(DEFAULT_TAGS)}],
                                         "region": const("us-east-1")}},
        "azurerm": {"name": "azurerm", "full_name": AZ_PROVIDER, "version_constraint": ">= 4.0, < 5.0",
                    "expressions": {"features": [{}], "subscription_id": ref("var.subscription_id")}},
    }


def generate(n: int, out_path: str, seed: int = 0) -> int:
    layout = Layout(n, seed)
    w = Writer(out_path, seed)
    out = w.out
    try:
        out.write('{"format_version":"%s","terraform_version":"%s","variables":%s,"planned_values":{"root_module":{'
                  % (FORMAT_VERSION, TERRAFORM_VERSION, dumps(VARIABLES)))
        w.write_resources(layout.root_blocks, "")
        if layout.modules:
            out.write(',"child_modules":[')
            w.write_module_instances(layout.modules, "")
            out.write("]")
        out.write('}},"resource_changes":[')
        w.rc.close()
        with open(w.rc_path, "r", encoding="utf-8") as f:
            shutil.copyfileobj(f, out, 1 << 22)
        out.write("],")
        # configuration: one entry per resource block (not per instance), streamed too.
        crng = random.Random(seed * 31 + 2)
        out.write('"configuration":{"provider_config":%s,"root_module":{"resources":[' % dumps(provider_config()))
        for i, b in enumerate(layout.root_blocks):
            if i:
                out.write(",")
            out.write(dumps(config_resource(crng, b)))
        out.write("]")
        if layout.modules:
            out.write(',"module_calls":{')
            for i, md in enumerate(layout.modules):
                out.write("%s%s:%s" % ("," if i else "", dumps(md.name), dumps(config_module(crng, md))))
            out.write("}")
        root_vars = {k: ({"sensitive": True} if k == "db_password" else {}) for k in VARIABLES}
        out.write(',"variables":%s}},' % dumps(root_vars))
        out.write('"timestamp":"%s","applyable":true,"complete":true,"errored":false}\n' % TIMESTAMP)
    finally:
        out.close()
        if not w.rc.closed:
            w.rc.close()
        try:
            os.unlink(w.rc_path)
        except FileNotFoundError:
            pass
    if w.count != n:
        raise SystemExit(f"internal error: wrote {w.count} instances, expected {n}")
    return w.count


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, help="number of resource instances")
    p.add_argument("out", help="output plan JSON path")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.n < 0:
        p.error("N must be >= 0")
    generate(args.n, args.out, args.seed)
    size = os.path.getsize(args.out)
    print(f"wrote {args.out}: {args.n} resources, {size / 1e6:.1f} MB "
          f"({size / max(args.n, 1) / 1000:.2f} KB/resource)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
