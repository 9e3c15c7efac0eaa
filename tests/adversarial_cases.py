"""Adversarial reproducers for issue 12 (no fail-open, no leak, no crash), one per line of input.

Each :class:`Case` is a set of files written into an empty directory, a command line run
there as a real process (``python -m sovpolicy``), the exit codes that are right for it,
and whether the canary (a value Terraform marks sensitive) is planted. :func:`run_case`
runs one and says what went wrong, if anything:

* ``hang``: no exit within the time limit;
* ``internal``: exit 4 or a traceback on the terminal;
* ``leak``: the canary in standard output or error, in a report, the evidence bundle,
  the crash log or the cache directory;
* ``fail-open``: exit 0 where something must block or be refused;
* ``wrong-code``: any other exit code that is not one of the expected ones.

Used by tests/test_adversarial_cli.py and bench/adversarial.py (which counts them).
``SOVPOLICY_SRC=/path/to/other/checkout/src`` runs the cases against another version.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANARY = "CANARY-9f27c3e1"
TIMEOUT = 20.0

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------- builders
def plan(resources: list[dict[str, Any]], region: str = "eu-west-3", **top: Any) -> str:
    """A Terraform plan JSON (format 1.2) creating ``resources``, each
    ``{"type", "name", "values", "unknown", "sensitive", "provider", "actions"}``; the AWS
    provider set to ``region``."""
    changes, config = [], []
    for r in resources:
        address = f"{r['type']}.{r['name']}"
        provider = r.get("provider", "hashicorp/aws")
        change: dict[str, Any] = {"before": None, "after": r["values"], "after_unknown": r.get("unknown", {}),
                                  "before_sensitive": False, "after_sensitive": r.get("sensitive", {})}
        if r.get("actions", ["create"]) is not None:
            change["actions"] = r.get("actions", ["create"])
        changes.append({"address": address, "mode": "managed", "type": r["type"], "name": r["name"],
                        "provider_name": f"registry.terraform.io/{provider}", "change": change})
        config.append({"address": address, "mode": "managed", "type": r["type"], "name": r["name"],
                       "provider_config_key": provider.split("/")[1], "expressions": r.get("expressions", {})})
    doc: dict[str, Any] = {
        "format_version": "1.2", "terraform_version": "1.11.4", "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                                                      "expressions": {"region": {"constant_value": region}}}},
                          "root_module": {"resources": config}},
        "complete": True, "errored": False}
    doc.update(top)
    return json.dumps(doc)


HEALTH = {"data_classification": "health"}


def bucket(region_values: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    """An S3 bucket holding health data."""
    return {"type": "aws_s3_bucket", "name": "records",
            "values": {"bucket": "b", "tags": dict(HEALTH), **(region_values or {})}, **kw}


AWS_TF = 'provider "aws" {\n  region = "%s"\n}\n'


def tf_bucket(tags: str = 'tags = { data_classification = "health" }', region: str = "us-east-1", extra: str = "") -> str:
    return AWS_TF % region + f'resource "aws_s3_bucket" "records" {{\n  bucket = "b"\n  {tags}\n}}\n' + extra


ECR_REPO = 'resource "aws_ecr_repository" "r" {\n  name = "records"\n  tags = { data_classification = "health" }\n}\n'
ECR_REPLICATION = ('resource "aws_ecr_replication_configuration" "c" {\n  replication_configuration {\n    rule {\n'
                   '      destination {\n        region = "us-east-1"\n        registry_id = "111122223333"\n      }\n'
                   '%s    }\n  }\n}\n')
ECR_FILTER = '      repository_filter {\n        filter = var.prefix\n        filter_type = "PREFIX_MATCH"\n      }\n'


def nest(depth: int, leaf: str = "1", key: str | None = None) -> str:
    """JSON nested ``depth`` levels (lists, or objects under ``key``)."""
    if key is None:
        return "[" * depth + leaf + "]" * depth
    return (f'{{"{key}":') * depth + leaf + "}" * depth


# ---------------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Case:
    """One reproducer.

    Attributes:
        name: unique, short.
        klass: the issue's section: ``fail-open``, ``leak`` or ``crash``.
        files: relative path -> text (or bytes) written before the run.
        argv: the arguments after ``sovpolicy``; ``None`` with ``shell`` set.
        expect: the exit codes that are right.
        canary: the input holds :data:`CANARY` as a sensitive value: every output is
            searched, and a ``scan`` also writes every report format and an evidence bundle.
        shell: a ``bash -o pipefail`` command line instead (``$SOVPOLICY`` runs the tool).
        setup: called with the directory after the files are written (FIFOs, links).
        env: extra environment variables (paths relative to the directory are made absolute).
        needs_unprivileged: skipped as root (file permissions do not stop root).
    """

    name: str
    klass: str
    files: dict[str, str | bytes]
    argv: list[str] | None
    expect: frozenset[int]
    canary: bool = False
    shell: str | None = None
    setup: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    needs_unprivileged: bool = False


def _c(name: str, klass: str, files: dict[str, str | bytes], argv: list[str] | None, expect: set[int] | int,
       **kw: Any) -> Case:
    return Case(name, klass, files, argv, frozenset({expect} if isinstance(expect, int) else expect), **kw)


def _fifo(d: Path) -> None:
    os.mkfifo(d / "plan.json")


def _loop(d: Path) -> None:
    (d / "a.tf").symlink_to("b.tf")
    (d / "b.tf").symlink_to("a.tf")


def _dangling(d: Path) -> None:
    (d / "plan.json").symlink_to("nowhere.json")


def _dangling_beside(d: Path) -> None:
    (d / "mod" / "gone.tf").symlink_to("nowhere.tf")


def _loop_beside(d: Path) -> None:
    (d / "mod" / "x.tf").symlink_to("y.tf")
    (d / "mod" / "y.tf").symlink_to("x.tf")


def _dir_tf(d: Path) -> None:
    (d / "mod" / "weird.tf").mkdir()


def _dir_tf_input(d: Path) -> None:
    (d / "main.tf").mkdir()


def _unreadable(d: Path) -> None:
    (d / "plan.json").chmod(0)


def _devnull(d: Path) -> None:
    (d / "plan.json").symlink_to("/dev/zero")


SENS_VAR_TF = (f'variable "pw" {{\n  type = string\n  sensitive = true\n  default = "{CANARY}"\n}}\n')
SCAN_US = ["scan", "."]

CASES: list[Case] = [
    # ------------------------------------------------------------ fail-opens: tags not a map
    _c("outscale-tags-list-plan", "fail-open", {"plan.json": plan([{
        "type": "outscale_volume", "name": "v", "provider": "outscale/outscale",
        "values": {"subregion_name": "us-east-2a", "tags": [{"key": "data_classification", "value": "health"}]}}])},
        ["scan", "plan.json"], 1),
    _c("outscale-tags-block-source", "fail-open", {"main.tf": (
        'terraform {\n  required_providers {\n    outscale = { source = "outscale/outscale" }\n  }\n}\n'
        'resource "outscale_volume" "v" {\n  subregion_name = "us-east-2a"\n  size = 10\n'
        '  tags {\n    key = "data_classification"\n    value = "health"\n  }\n}\n')}, SCAN_US, 1),
    _c("outscale-dynamic-tags-source", "fail-open", {"main.tf": (
        'terraform {\n  required_providers {\n    outscale = { source = "outscale/outscale" }\n  }\n}\n'
        'resource "outscale_volume" "v" {\n  subregion_name = "us-east-2a"\n  size = 10\n'
        '  dynamic "tags" {\n    for_each = { data_classification = "health" }\n'
        '    content {\n      key = tags.key\n      value = tags.value\n    }\n  }\n}\n')}, SCAN_US, 1),
    _c("awscc-tags-list-plan", "fail-open", {"plan.json": plan([{
        "type": "awscc_s3_bucket", "name": "b", "provider": "hashicorp/awscc",
        "values": {"bucket_name": "b", "tags": [{"key": "data_classification", "value": "health"}]}}],
        region="us-east-1")}, ["scan", "plan.json"], 1),
    _c("scaleway-tags-strings-plan", "fail-open", {"plan.json": plan([{
        "type": "scaleway_instance_volume", "name": "v", "provider": "scaleway/scaleway",
        "values": {"zone": "nl-ams-1", "tags": ["data_classification=health"]}}])},
        ["scan", "plan.json"], 1),
    _c("scaleway-bare-tag-plan", "fail-open", {"plan.json": plan([{
        "type": "scaleway_instance_volume", "name": "v", "provider": "scaleway/scaleway",
        "values": {"zone": "nl-ams-1", "tags": ["prod", "health"]}}])},
        ["scan", "plan.json"], 1),
    _c("google-terraform-labels-plan", "fail-open", {"plan.json": plan([{
        "type": "google_storage_bucket", "name": "b", "provider": "hashicorp/google",
        "values": {"name": "b", "location": "US", "labels": {},
                   "terraform_labels": dict(HEALTH), "effective_labels": dict(HEALTH)}}])},
        ["scan", "plan.json"], 1),
    _c("gke-resource-labels-plan", "fail-open", {"plan.json": plan([{
        "type": "google_container_cluster", "name": "c", "provider": "hashicorp/google",
        "values": {"name": "c", "location": "us-central1", "resource_labels": dict(HEALTH)}}])},
        ["scan", "plan.json"], 1),
    # ------------------------------------------------------- fail-opens: unknown classification
    _c("classification-value-sensitive", "fail-open", {"plan.json": plan([bucket(
        sensitive={"tags": {"data_classification": True}}, unknown={})], region="us-east-1")},
        ["scan", "plan.json"], 1),
    _c("tags-wholly-sensitive", "fail-open", {"plan.json": plan([bucket(sensitive={"tags": True})], region="us-east-1")},
        ["scan", "plan.json"], 1),
    _c("tags-after-apply", "fail-open", {"plan.json": plan([{
        "type": "aws_s3_bucket", "name": "records", "values": {"bucket": "b"}, "unknown": {"tags": True}}],
        region="us-east-1")}, ["scan", "plan.json"], 1),
    _c("tags-unset-variable", "fail-open", {"main.tf": tf_bucket("tags = var.tags") + 'variable "tags" {\n  type = map(string)\n}\n'},
       SCAN_US, {1, 3}),
    _c("tags-from-data-source", "fail-open", {"main.tf": tf_bucket("tags = data.aws_default_tags.t.tags")
                                               + 'data "aws_default_tags" "t" {}\n'}, SCAN_US, {1, 3}),
    # --------------------------------------------------- fail-opens: inputs not what they claim
    _c("dir-without-terraform", "fail-open", {"empty/README.md": "nothing here\n"}, ["scan", "empty"], 2),
    _c("tree-of-root-modules", "fail-open", {"infra/envs/prod/main.tf": tf_bucket(extra='module "m" {\n  source = "../../modules/m"\n}\n'),
                                             "infra/modules/m/main.tf": 'variable "x" {\n  default = 1\n}\n'},
       ["scan", "infra"], 1),
    _c("terragrunt-folder", "fail-open", {"live/terragrunt.hcl": 'terraform {\n  source = "../modules/db"\n}\n'},
       ["scan", "live"], {2, 3}),
    _c("tofu-file", "fail-open", {"main.tofu": tf_bucket()}, SCAN_US, 1),
    _c("tofu-overrides-tf", "fail-open", {"main.tf": tf_bucket(region="eu-west-3"),
                                          "main.tofu": tf_bucket(region="us-east-1")},
       ["scan", ".", "--pack", "eea-residency"], 1),
    _c("validate-json", "fail-open", {"v.json": json.dumps({"format_version": "1.0", "valid": True, "error_count": 0,
                                                            "warning_count": 0, "diagnostics": []})}, ["scan", "v.json"], 2),
    _c("providers-schema-json", "fail-open", {"s.json": json.dumps({"format_version": "1.0", "provider_schemas": {}})},
       ["scan", "s.json"], 2),
    _c("metadata-functions-json", "fail-open", {"f.json": json.dumps({"format_version": "1.0", "function_signatures": {}})},
       ["scan", "f.json"], 2),
    _c("empty-state-json", "fail-open", {"state.json": json.dumps({"format_version": "1.0"})}, ["scan", "state.json"], 2),
    _c("plan-complete-false", "fail-open", {"plan.json": plan([], complete=False)}, ["scan", "plan.json"], {1, 3}),
    _c("plan-errored", "fail-open", {"plan.json": plan([], errored=True)}, ["scan", "plan.json"], {1, 3}),
    _c("change-without-actions", "fail-open", {"plan.json": plan([bucket(actions=None)], region="us-east-1")},
       ["scan", "plan.json"], 2),
    _c("change-empty-actions", "fail-open", {"plan.json": plan([bucket(actions=[])], region="us-east-1")},
       ["scan", "plan.json"], 2),
    _c("tf10-drift-without-address", "fail-open", {"plan.json": plan(
        [bucket()], region="us-east-1", format_version="0.2", terraform_version="1.0.0",
        resource_drift=[{"mode": "managed", "type": "aws_s3_bucket", "name": "old",
                         "provider_name": "registry.terraform.io/hashicorp/aws",
                         "change": {"actions": ["update"], "before": {}, "after": {}}}])},
       ["scan", "plan.json"], 1),
    # ---------------------------------------------------------- fail-opens: pre-commit var-file
    _c("precommit-var-file-only", "fail-open", {
        "main.tf": tf_bucket(tags="tags = var.tags", region="eu-west-3") + 'variable "region" {\n  default = "eu-west-3"\n}\n'
        'variable "tags" {\n  type = map(string)\n  default = {}\n}\n',
        "envs/prod.tfvars": 'tags = { data_classification = "health" }\n'},
       ["scan", "--var-file", "envs/prod.tfvars", "envs/prod.tfvars"], 1),
    # ------------------------------------------------------- fail-opens: configuration weakens
    _c("enforcement-lowers-hard-mandatory", "fail-open", {
        "plan.json": plan([bucket()], region="us-east-1"),
        ".sovpolicy.yaml": "enforcement:\n  SOV-HDS-002: advisory\n"},
       ["scan", "plan.json", "--pack", "eea-residency", "--pack", "hds", "--config", ".sovpolicy.yaml"], {1, 2}),
    _c("config-check-unknown-pack", "fail-open", {".sovpolicy.yaml": "packs: [no-such-pack]\n"},
       ["config", "check", ".sovpolicy.yaml"], 2),
    _c("config-check-unknown-policy", "fail-open", {".sovpolicy.yaml": "enforcement:\n  SOV-NOPE-001: advisory\n"},
       ["config", "check", ".sovpolicy.yaml"], 2),
    _c("config-check-missing-catalog", "fail-open", {".sovpolicy.yaml": "catalog: [./nowhere]\n"},
       ["config", "check", ".sovpolicy.yaml"], 2),
    _c("config-check-missing-policy-dir", "fail-open", {".sovpolicy.yaml": "policy_dirs: [./nowhere]\n"},
       ["config", "check", ".sovpolicy.yaml"], 2),
    _c("config-check-no-adequacy", "fail-open", {".sovpolicy.yaml": "residency:\n  adequacy: [US]\n"},
       ["config", "check", ".sovpolicy.yaml"], 2),
    # ------------------------------------------------------------ fail-opens: exit through pipe
    _c("broken-pipe-json", "fail-open", {"plan.json": plan([bucket()] * 1, region="us-east-1")}, None, {1, 2},
       shell="$SOVPOLICY scan plan.json --format json | head -c 10 >/dev/null"),
    _c("broken-pipe-text", "fail-open", {"plan.json": plan([bucket()], region="us-east-1")}, None, {1, 2},
       shell="$SOVPOLICY scan plan.json | head -c 1 >/dev/null"),
    _c("stdout-full", "fail-open", {"plan.json": plan([bucket()], region="us-east-1")}, None, {1, 2},
       shell="$SOVPOLICY scan plan.json >/dev/full"),
    _c("stdout-closed", "fail-open", {"plan.json": plan([bucket()], region="us-east-1")}, None, {1, 2},
       shell="$SOVPOLICY scan plan.json >&-"),
    _c("stderr-closed-input-error", "fail-open", {"plan.json": "{not json"}, None, 2,
       shell="$SOVPOLICY scan plan.json 2>&-"),
    # ------------------------------------------------------------- fail-opens: unknown copies
    _c("secretsmanager-replica", "fail-open", {"plan.json": plan([{
        "type": "aws_secretsmanager_secret", "name": "s",
        "values": {"name": "s", "tags": dict(HEALTH), "replica": [{"region": "us-east-1", "kms_key_id": None}]}}])},
       ["scan", "plan.json", "--pack", "eea-residency"], 1),
    _c("kms-multi-region-replica", "fail-open", {"plan.json": plan([{
        "type": "aws_kms_key", "name": "k", "values": {"multi_region": True, "tags": dict(HEALTH)}}, {
        "type": "aws_kms_replica_key", "name": "r",
        "values": {"primary_key_arn": "arn:aws:kms:eu-west-3:111122223333:key/mrk-1", "region": "us-east-1",
                   "tags": dict(HEALTH)}}])},
       ["scan", "plan.json", "--pack", "eea-residency"], 1),
    _c("ecr-replication", "fail-open", {"plan.json": plan([{
        "type": "aws_ecr_replication_configuration", "name": "r",
        "values": {"replication_configuration": [{"rule": [{"destination": [{"region": "us-east-1",
                                                                             "registry_id": "111122223333"}]}]}]}}, {
        "type": "aws_ecr_repository", "name": "r", "values": {"name": "r", "tags": dict(HEALTH)}}])},
       ["scan", "plan.json", "--pack", "eea-residency"], 1),
    _c("ecr-replication-source", "fail-open", {"main.tf": AWS_TF % "eu-west-3" + ECR_REPO + ECR_REPLICATION % ""},
       ["scan", ".", "--pack", "eea-residency"], 1),
    _c("ecr-replication-filter-unknown", "fail-open", {"main.tf": AWS_TF % "eu-west-3" + 'variable "prefix" {}\n' + ECR_REPO
                                                       + ECR_REPLICATION % ECR_FILTER},
       ["scan", ".", "--pack", "eea-residency"], 1),
    _c("unruled-pattern-block", "fail-open", {"plan.json": plan([{
        "type": "aws_mq_broker", "name": "b", "values": {"broker_name": "b", "tags": dict(HEALTH), "data_replication_mode": "CRDR"},
        "expressions": {"data_replication_mode": {"constant_value": "CRDR"}}}])},
       ["scan", "plan.json", "--pack", "eea-residency"], 1),
    # the same block with its name written with a JSON escape: no quick look at the bytes may rule it out
    _c("unruled-pattern-block-escaped", "fail-open", {"plan.json": plan([{
        "type": "aws_mq_broker", "name": "b", "values": {"broker_name": "b", "tags": dict(HEALTH)},
        "expressions": {"data_replication_mode": {"constant_value": "CRDR"}}}]).replace(
            '"data_replication_mode": {"constant_value"', '"data_replic\\u0061tion_mode": {"constant_value"')},
       ["scan", "plan.json", "--pack", "eea-residency"], 1),
    # a region known only after apply, set by an expression whose key is written with an escape
    _c("region-expression-escaped-key", "fail-open", {"plan.json": plan([bucket(
        unknown={"region": True}, expressions={"region": {"references": ["var.r"]}})]).replace(
            '"region": {"references"', '"\\u0072egion": {"references"')},
       ["scan", "plan.json", "--pack", "eea-residency"], 1),
    _c("unruled-replica-block", "fail-open", {"plan.json": plan([{
        "type": "aws_dynamodb_table", "name": "t",
        "values": {"name": "t", "tags": dict(HEALTH), "replica_configuration": [{"region_name": "us-east-1"}]}}])},
       ["scan", "plan.json", "--pack", "eea-residency"], 1),
    _c("two-default-providers", "fail-open", {"main.tf": AWS_TF % "eu-west-3" + AWS_TF % "us-east-1"
                                              + 'resource "aws_s3_bucket" "records" {\n  bucket = "b"\n'
                                                '  tags = { data_classification = "health" }\n}\n'},
       ["scan", ".", "--pack", "eea-residency"], {1, 2, 3}),
    # ------------------------------------------------------------------------------ leaks
    _c("leak-sensitive-region-plan", "leak", {"plan.json": plan([bucket({"region": CANARY}, sensitive={"region": True})])},
       ["scan", "plan.json"], 1, canary=True),
    _c("leak-wholly-sensitive-object", "leak", {"plan.json": plan([bucket({"region": CANARY}, sensitive=True)])},
       ["scan", "plan.json"], 1, canary=True),
    _c("leak-sensitive-location-azure", "leak", {"plan.json": plan([{
        "type": "azurerm_storage_account", "name": "s", "provider": "hashicorp/azurerm",
        "values": {"name": "s", "location": CANARY, "tags": dict(HEALTH)}, "sensitive": {"location": True}}])},
       ["scan", "plan.json"], 1, canary=True),
    _c("leak-module-variable-literal", "leak", {
        "main.tf": f'module "m" {{\n  source = "./m"\n  r = "{CANARY}"\n}}\n',
        "m/main.tf": 'variable "r" {\n  sensitive = true\n}\nprovider "aws" {\n  region = var.r\n}\n'
                     'resource "aws_s3_bucket" "b" {\n  tags = { data_classification = "health" }\n}\n'},
       SCAN_US, {1, 3}, canary=True),
    _c("leak-tonumber-error", "leak", {"main.tf": SENS_VAR_TF + tf_bucket(extra='locals {\n  n = tonumber(var.pw)\n}\n'
                                                                        'resource "aws_s3_bucket" "c" {\n  count = local.n\n}\n')},
       SCAN_US, {1, 3}, canary=True),
    _c("leak-count-error", "leak", {"main.tf": SENS_VAR_TF + tf_bucket(extra='resource "aws_s3_bucket" "c" {\n  count = var.pw\n}\n')},
       SCAN_US, {1, 3}, canary=True),
    _c("leak-for-error", "leak", {"main.tf": SENS_VAR_TF + tf_bucket(extra='resource "aws_s3_bucket" "c" {\n'
                                                                     '  for_each = { for k, v in var.pw : k => v }\n}\n')},
       SCAN_US, {1, 3}, canary=True),
    _c("leak-for-each-key", "leak", {"main.tf": SENS_VAR_TF + tf_bucket(
        extra='resource "aws_s3_bucket" "k" {\n  for_each = toset([var.pw])\n  tags = { data_classification = "health" }\n}\n')},
       SCAN_US, {1, 3}, canary=True),
    _c("leak-keys-function", "leak", {"main.tf": f'variable "m" {{\n  sensitive = true\n  default = {{ "{CANARY}" = 1 }}\n}}\n'
                                      + tf_bucket(extra='resource "aws_s3_bucket" "k" {\n  for_each = toset(keys(var.m))\n'
                                                        '  tags = { data_classification = "health" }\n}\n')},
       SCAN_US, {1, 3}, canary=True),
    _c("leak-var-file-cache", "leak", {"main.tf": 'variable "pw" {\n  sensitive = true\n}\n' + tf_bucket(),
                                       "secret.tfvars": f'pw = "{CANARY}"\n'},
       ["scan", ".", "--var-file", "secret.tfvars", "--cache-dir", "cache"], {1}, canary=True),
    # found by the HCL fuzz test: a broken variable header shifts the quoting, and the parse
    # error quoted the sensitive default as the unexpected word (on the terminal and in the cache)
    _c("leak-parse-error-word", "leak", {"main.tf": 'variable "pw${" {\n  sensitive = true\n  default = "'
                                                    + CANARY + '"\n}\n' + tf_bucket()},
       ["scan", ".", "--cache-dir", "cache"], {2, 3}, canary=True),
    _c("leak-explain-sensitive-region", "leak", {"plan.json": plan([bucket({"region": CANARY}, sensitive={"region": True})])},
       ["explain", "aws_s3_bucket.records", "--plan", "plan.json"], 0, canary=True),
    _c("leak-sensitive-tag-value", "leak", {"plan.json": plan([bucket({"tags": {**HEALTH, "owner": CANARY}},
                                                                      sensitive={"tags": {"owner": True}})])},
       ["scan", "plan.json"], 1, canary=True),
    # ---------------------------------------------------------------------- crashes and hangs
    _c("deep-plan-json", "crash", {"plan.json": '{"format_version":"1.2","resource_changes":' + nest(1000) + "}"},
       ["scan", "plan.json"], 2),
    _c("deep-plan-values", "crash", {"plan.json": plan([bucket({"x": "@DEEP"})]).replace('"@DEEP"', nest(1000))},
       ["scan", "plan.json"], {1, 2}),
    _c("deep-sensitive-mask", "crash", {"plan.json": plan([bucket({"x": "@DEEP"}, sensitive={"x": "@MASK"})]).replace(
        '"@DEEP"', nest(500)).replace('"@MASK"', nest(500, "true"))}, ["scan", "plan.json"], {1, 2}),
    _c("deep-tf-json", "crash", {"main.tf.json": '{"locals":' + nest(5000, "1", key="a") + "}"}, SCAN_US, {2, 3}),
    _c("deep-evidence-manifest", "crash", {"ev/manifest.json": '{"format":"sovpolicy-evidence/1","files":' + nest(100000) + "}"},
       ["verify", "ev"], 2),
    _c("references-as-number", "crash", {"plan.json": plan([bucket(expressions={"tags": {"references": 7}})])},
       ["scan", "plan.json"], {1, 2}),
    _c("flow-to-unknown-provider", "crash", {"plan.json": plan([{
        "type": "aws_s3_bucket", "name": "records", "provider": "example/unknowncloud",
        "values": {"bucket": "b", "tags": dict(HEALTH), "replication_configuration": [{"rules": [{"destination": [
            {"bucket": "arn:aws:s3:::other"}]}]}]}}])}, ["scan", "plan.json"], {1, 3}),
    _c("count-1e999", "crash", {"main.tf": AWS_TF % "eu-west-3" + 'resource "aws_s3_bucket" "c" {\n  count = 1e999\n}\n'}, SCAN_US, 3),
    _c("count-1e8", "crash", {"main.tf": AWS_TF % "eu-west-3" + 'resource "aws_s3_bucket" "c" {\n  count = 100000000\n}\n'}, SCAN_US, 3),
    _c("for-each-1e7", "crash", {"main.tf": tf_bucket(extra='resource "aws_s3_bucket" "c" {\n  for_each = toset([for i in range(10000000) : tostring(i)])\n}\n')},
       SCAN_US, {1, 3}),
    _c("for-each-20001-keys", "crash", {"main.tf": AWS_TF % "eu-west-3" + 'variable "big" {}\nresource "aws_s3_bucket" "c" {\n'
                                                                         '  for_each = var.big\n}\n',
                                        "terraform.tfvars.json": json.dumps({"big": {f"k{i}": i for i in range(20001)}})},
       SCAN_US, 3),
    _c("yaml-alias-bomb-config", "crash", {"plan.json": plan([bucket()]), ".sovpolicy.yaml": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
        "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n")},
       ["scan", "plan.json", "--config", ".sovpolicy.yaml"], 2),
    _c("yaml-alias-bomb-catalog", "crash", {"plan.json": plan([bucket()]), "cat/providers.yaml": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n")},
       ["scan", "plan.json", "--catalog", "cat", "--no-cache"], 2),
    _c("yaml-alias-bomb-policy", "crash", {"plan.json": plan([bucket()]), "pol/org/ORG-001.yaml": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n")},
       ["scan", "plan.json", "--policy-dir", "pol", "--pack", "org", "--no-cache"], 2),
    _c("symlink-loop-input", "crash", {}, ["scan", "a.tf"], 2, setup=_loop),
    _c("dangling-symlink-input", "crash", {}, ["scan", "plan.json"], 2, setup=_dangling),
    _c("dangling-symlink-beside", "crash", {"mod/main.tf": tf_bucket()}, ["scan", "mod"], {1, 3}, setup=_dangling_beside),
    _c("symlink-loop-beside", "crash", {"mod/main.tf": tf_bucket()}, ["scan", "mod"], {1, 3}, setup=_loop_beside),
    _c("directory-named-tf-beside", "crash", {"mod/main.tf": tf_bucket()}, ["scan", "mod"], {1, 3}, setup=_dir_tf),
    _c("directory-named-tf-input", "crash", {}, ["scan", "main.tf"], 2, setup=_dir_tf_input),
    _c("fifo-input", "crash", {}, ["scan", "plan.json"], 2, setup=_fifo),
    _c("device-input", "crash", {}, ["scan", "plan.json"], 2, setup=_devnull),
    _c("unreadable-input", "crash", {"plan.json": plan([bucket()])}, ["scan", "plan.json"], 2,
       setup=_unreadable, needs_unprivileged=True),
    _c("verify-unreadable-file", "crash", {"plan.json": plan([bucket()])}, None, {1, 2},
       shell="$SOVPOLICY scan plan.json --evidence ev >/dev/null; mkfifo ev/extra.fifo; $SOVPOLICY verify ev"),
    _c("verify-directory-in-place-of-file", "crash", {"plan.json": plan([bucket()])}, None, {1, 2},
       shell="$SOVPOLICY scan plan.json --evidence ev >/dev/null; rm ev/findings.json; mkdir ev/findings.json; "
             "$SOVPOLICY verify ev"),
    _c("verify-manifest-fifo", "crash", {}, None, 2, shell="mkdir ev && mkfifo ev/manifest.json && $SOVPOLICY verify ev"),
    _c("evidence-module-dir", "crash", {"mod/main.tf": tf_bucket()}, ["scan", "mod", "--evidence", "ev"], 1),
    _c("hcl2-shadowed", "crash", {"main.tf": tf_bucket(), "shadow/hcl2/__init__.py": "# bc-python-hcl2 stand-in\n"},
       SCAN_US + ["--no-cache"], 2, env={"PYTHONPATH": "shadow"}),
]


# --------------------------------------------------------------------------------- runner
@dataclass
class Outcome:
    """What one run did: the exit code (None on a hang) and the problem found, if any."""

    case: Case
    code: int | None
    problem: str | None  # hang, internal, leak, fail-open, wrong-code, or None when right
    detail: str = ""


def _command(case: Case, d: Path) -> tuple[list[str], list[list[str]]]:
    """The shell command to run, and for canary scans the extra commands (explain)."""
    tool = [sys.executable, "-m", "sovpolicy"]
    argv = list(case.argv or [])
    extra: list[list[str]] = []
    if case.canary and argv[:1] == ["scan"]:
        (d / "out").mkdir(exist_ok=True)
        argv += ["--format", "text", *[f"--format={f}:out/report.{f}" for f in ("json", "sarif", "junit", "markdown", "github")],
                 "--evidence", "out/evidence"]
        extra.append([*tool, "explain", "aws_s3_bucket.records", *[a for a in case.argv[1:] if a != "scan"]])
    return [*tool, *argv], extra


def run_case(case: Case, d: Path, timeout: float = TIMEOUT) -> Outcome:
    """Write the case's files into the empty directory ``d``, run it, classify the outcome."""
    for rel, content in case.files.items():
        target = d / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    if case.setup is not None:
        case.setup(d)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOVPOLICY", "PYTHON"))}
    env.update({"XDG_CACHE_HOME": str(d / ".cache"), "TMPDIR": str(d / ".tmp"), "HOME": str(d / ".home"),
                "PYTHONPATH": os.environ.get("SOVPOLICY_SRC") or str(ROOT / "src")})
    for k, v in case.env.items():
        env[k] = os.pathsep.join([str(d / v), env.get(k, "")]) if k == "PYTHONPATH" else v
    (d / ".tmp").mkdir(exist_ok=True)
    main, extra = _command(case, d)
    if case.shell is not None:
        env["SOVPOLICY"] = " ".join(main)  # word-split by the shell: no spaces in these paths
        runs = [["bash", "-o", "pipefail", "-c", case.shell]]
    else:
        runs = [main, *extra]
    outputs: list[bytes] = []
    code: int | None = None
    for i, cmd in enumerate(runs):
        try:
            proc = subprocess.run(cmd, cwd=d, env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return Outcome(case, None, "hang", f"no exit within {timeout:.0f} s")
        outputs += [proc.stdout, proc.stderr]
        if i == 0:
            code = proc.returncode
        if proc.returncode == 4 or b"Traceback (most recent call last)" in proc.stderr:
            return Outcome(case, proc.returncode, "internal", proc.stderr.decode(errors="replace")[-300:])
    leak = _leak(case, d, outputs)
    if leak:
        return Outcome(case, code, "leak", leak)
    if code not in case.expect:
        problem = "fail-open" if code == 0 else "wrong-code"
        return Outcome(case, code, problem, (outputs[1] or outputs[0]).decode(errors="replace")[-300:])
    return Outcome(case, code, None)


def _leak(case: Case, d: Path, outputs: list[bytes]) -> str:
    """Where the canary shows, or "" (only checked for canary cases)."""
    if not case.canary:
        return ""
    needle = CANARY.encode()
    if any(needle in o for o in outputs):
        return "standard output or error"
    inputs = {d / rel for rel in case.files}
    # The parse cache may hold what the .tf files hold (they are on disk in clear anyway),
    # never a value from a variables file.
    var_files = any(rel.endswith((".tfvars", ".tfvars.json")) and CANARY in str(text) for rel, text in case.files.items())
    for path in sorted(d.rglob("*")):
        if path in inputs or not path.is_file() or path.is_symlink():
            continue
        if not var_files and path.relative_to(d).parts[0] in (".cache", "cache"):
            continue
        if needle in path.read_bytes():
            return str(path.relative_to(d))
    return ""


def fresh_dir(base: Path, name: str) -> Path:
    d = base / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d
