"""Issue 12, in process: each mechanism behind a reproducer class, holding the right value."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from conftest import AS_OF

from sovpolicy.cli import main
from sovpolicy.config import load_config
from sovpolicy.errors import ConfigError, InputError, UsageError
from sovpolicy.evidence import verify_bundle, write_bundle
from sovpolicy.pipeline import scan
from sovpolicy.policy import load_packs
from sovpolicy.sources.hclinstance import MAX_INSTANCES
from sovpolicy.sources.hclvalues import SENSITIVE_VALUE, Sensitive, shown
from sovpolicy.sources.parsecache import ParseCache
from sovpolicy.sources.registry import check_path, file_sources, read_regular
from sovpolicy.yamlutil import MAX_NODES

PARIS = 'provider "aws" {\n  region = "eu-west-3"\n}\n'
HEALTH_BUCKET = 'resource "aws_s3_bucket" "b" {\n  tags = { data_classification = "health" }\n}\n'
SECRET = "hunter2-secret"


def _scan(paths, catalog, **kw):
    return scan(file_sources([Path(p) for p in paths]), load_config(None), catalog, load_packs(None), AS_OF, **kw)


# ------------------------------------------------------------------------------ YAML limits
def test_yaml_alias_bomb_is_refused_with_the_line(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / ".sovpolicy.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"more than {MAX_NODES:,} values" in err.value.message and str(path) == err.value.where
    assert "line 7" in err.value.message  # g: the first level over two million


def test_yaml_anchors_within_limits_still_load(tmp_path):
    path = tmp_path / ".sovpolicy.yaml"
    path.write_text("packs: &p [hds]\nclassification:\n  default: []\n")
    assert load_config(path).packs == ("hds",)


# ------------------------------------------------------------------------------ inputs
def test_non_regular_inputs_are_named(tmp_path):
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="input is a FIFO"):
        read_regular(fifo)
    (tmp_path / "loop.tf").symlink_to("loop.tf")
    with pytest.raises(UsageError, match="loop of symbolic links"):
        check_path(tmp_path / "loop.tf")
    (tmp_path / "gone.json").symlink_to("nowhere.json")
    with pytest.raises(UsageError, match="symbolic link to a missing file"):
        check_path(tmp_path / "gone.json")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    with pytest.raises(UsageError, match="input is a device"):
        file_sources([tmp_path / "zero.json"])


def test_a_tree_is_scanned_as_its_root_modules(tmp_path, catalog):
    (tmp_path / "envs" / "prod").mkdir(parents=True)
    (tmp_path / "modules" / "m").mkdir(parents=True)
    (tmp_path / "envs" / "prod" / "main.tf").write_text(
        PARIS + HEALTH_BUCKET + 'module "m" {\n  source = "../../modules/m"\n}\n')
    (tmp_path / "modules" / "m" / "main.tf").write_text('resource "aws_s3_bucket" "inner" {}\n')
    sources = file_sources([tmp_path])
    assert [s.input for s in sources] == [str(tmp_path / "envs" / "prod")]  # modules/m is called, not a root
    result = _scan([tmp_path], catalog)
    assert sorted(r.address for r in result.resources) == ["aws_s3_bucket.b", "module.m.aws_s3_bucket.inner"]
    assert result.notes == (f"{tmp_path / 'envs' / 'prod'}: root module found under {tmp_path}",)


@pytest.mark.parametrize("files, needle", [
    ({}, "No configuration files"),
    ({"terragrunt.hcl": "terraform {}\n"}, "Terragrunt configuration"),
])
def test_a_directory_without_terraform_is_an_input_error(tmp_path, files, needle):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(InputError, match=needle):
        file_sources([tmp_path])


# ------------------------------------------------------------------------------ limits
def test_count_over_the_instance_limit_is_a_problem_naming_the_block(tmp_path, catalog):
    (tmp_path / "main.tf").write_text(PARIS + 'resource "aws_s3_bucket" "many" {\n  count = 100000000\n}\n')
    result = _scan([tmp_path], catalog)
    assert [r.address for r in result.resources] == ["aws_s3_bucket.many[*]"]
    (problem,) = result.problems
    assert problem.kind == "instance-limit" and problem.where == f"{tmp_path}/main.tf:4"
    assert f"aws_s3_bucket.many: count = 1e+08 is over the limit of {MAX_INSTANCES:,}" in problem.message
    assert result.exit_code == 3


# ------------------------------------------------------------------------------ redaction
def test_shown_quotes_no_sensitive_value():
    assert shown("eu-west-3") == "'eu-west-3'"
    assert shown(SECRET, True) == SENSITIVE_VALUE
    assert shown([1, Sensitive(SECRET)]) == SENSITIVE_VALUE
    assert shown({"k": {"x": Sensitive(SECRET)}}) == SENSITIVE_VALUE


@pytest.mark.parametrize("extra, note", [
    ('locals {\n  n = tonumber(var.pw)\n}\nresource "aws_s3_bucket" "c" {\n  count = local.n\n}\n', "count"),
    ('resource "aws_s3_bucket" "c" {\n  count = var.pw\n}\n', "count is derived from a sensitive value"),
    ('resource "aws_s3_bucket" "c" {\n  for_each = toset([var.pw])\n}\n', "for_each is derived from a sensitive value"),
    ('resource "aws_s3_bucket" "c" {\n  for_each = toset(keys(var.m))\n}\n', "for_each is derived from a sensitive value"),
    ('resource "aws_s3_bucket" "c" {\n  for_each = { for k, v in var.pw : k => v }\n}\n', "for_each"),
])
def test_sensitive_values_never_reach_an_address_or_a_note(tmp_path, catalog, extra, note):
    (tmp_path / "main.tf").write_text(
        PARIS + f'variable "pw" {{\n  sensitive = true\n  default = "{SECRET}"\n}}\n'
        f'variable "m" {{\n  sensitive = true\n  default = {{ "{SECRET}" = 1 }}\n}}\n' + extra)
    result = _scan([tmp_path], catalog)
    (res,) = [r for r in result.resources if r.address.startswith("aws_s3_bucket.c")]
    assert res.address == "aws_s3_bucket.c[*]"
    assert any(note in n for n in res.notes)
    assert SECRET not in json.dumps([r.address for r in result.resources] + [n for r in result.resources for n in r.notes])


def test_variables_files_are_never_cached(tmp_path):
    cache = ParseCache(tmp_path / "cache")
    cache.parse(f'pw = "{SECRET}"\n'.encode(), "secret.tfvars")
    cache.parse(b'{"pw": "x"}', "secret.tfvars.json")
    assert not (tmp_path / "cache").exists() or not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))
    cache.parse(PARIS.encode(), "main.tf")
    assert sum(1 for p in (tmp_path / "cache").rglob("*") if p.is_file()) == 1


def test_plan_region_marked_sensitive_is_unresolved_and_never_printed(tmp_path, catalog):
    from adversarial_cases import bucket, plan

    path = tmp_path / "plan.json"
    path.write_text(plan([bucket({"region": SECRET}, sensitive={"region": True})]))
    result = _scan([path], catalog)
    (res,) = result.resources
    assert res.placement.region is None and not res.placement.resolved
    assert res.placement.reason == "region is marked sensitive: its value is not read"
    assert result.exit_code == 1


# ------------------------------------------------------------------------------ evidence
def test_bundle_digests_the_bytes_scanned_for_a_module_directory(tmp_path, catalog):
    mod = tmp_path / "mod"
    mod.mkdir()
    scanned = (PARIS + HEALTH_BUCKET).encode()
    (mod / "main.tf").write_bytes(scanned)
    (mod / "terraform.tfvars").write_text('x = "1"\n')
    result = _scan([mod], catalog)
    (mod / "main.tf").write_text("# changed after the scan\n")  # the bundle keeps what was scanned
    write_bundle(tmp_path / "ev", result, [mod], catalog, load_packs(None))
    inputs = json.loads((tmp_path / "ev" / "inputs.json").read_text())
    by_path = {i["path"]: i for i in inputs}
    main_tf = next(v for k, v in by_path.items() if k.endswith("mod/main.tf"))
    assert main_tf == {"path": main_tf["path"], "bytes": len(scanned), "sha256": hashlib.sha256(scanned).hexdigest()}
    assert any(k.endswith("mod/terraform.tfvars") for k in by_path)
    assert verify_bundle(tmp_path / "ev").intact


def test_verify_names_a_fifo_in_the_bundle(tmp_path, capsys, catalog):
    from conftest import EXAMPLE_PLAN

    assert main(["scan", str(EXAMPLE_PLAN), "--evidence", str(tmp_path / "ev"), "--format", "json:/dev/null"]) == 1
    os.mkfifo(tmp_path / "ev" / "extra")
    check = verify_bundle(tmp_path / "ev")
    assert check.problem == "extra: extra"
    (tmp_path / "ev" / "extra").unlink()
    (tmp_path / "ev" / "findings.json").unlink()
    os.mkfifo(tmp_path / "ev" / "findings.json")
    assert verify_bundle(tmp_path / "ev").problem == "changed: findings.json (not a regular file)"


def test_verify_refuses_a_deep_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text('{"format": "sovpolicy-evidence/1", "files": ' + "[" * 100000 + "]" * 100000 + "}")
    with pytest.raises(InputError, match="expected a sovpolicy-evidence/1 manifest"):
        verify_bundle(tmp_path)


# ------------------------------------------------------------------------------ config check
@pytest.mark.parametrize("text, needle", [
    ("packs: [no-such-pack]\n", "unknown policy pack 'no-such-pack'"),
    ("enforcement:\n  SOV-NOPE-001: advisory\n", "unknown or unloaded policy SOV-NOPE-001"),
    ("catalog: [./nowhere]\n", "catalog directory not found"),
    ("policy_dirs: [./nowhere]\n", "policy directory not found"),
    ("residency:\n  adequacy: [US]\n", "US cannot be accepted by country"),
])
def test_config_check_refuses_what_a_scan_refuses(tmp_path, capsys, text, needle):
    path = tmp_path / ".sovpolicy.yaml"
    path.write_text(text)
    assert main(["config", "check", str(path)]) == 2
    assert needle in capsys.readouterr().err


# ------------------------------------------------------------------------------ classification
def _one(tmp_path, catalog, resources, **top):
    from adversarial_cases import plan

    path = tmp_path / "plan.json"
    path.write_text(plan(resources, **top))
    return _scan([path], catalog)


@pytest.mark.parametrize("provider, rtype, values, reason", [
    ("outscale/outscale", "outscale_volume", {"subregion_name": "us-east-2a", "tags": [{"key": "data_classification", "value": "health"}]},
     "tag data_classification=health"),
    ("hashicorp/awscc", "awscc_s3_bucket", {"tags": [{"key": "DataClassification", "value": "phi"}]}, "tag DataClassification=phi"),
    ("scaleway/scaleway", "scaleway_instance_volume", {"zone": "nl-ams-1", "tags": ["data_classification=health"]},
     "tag data_classification=health"),
    ("scaleway/scaleway", "scaleway_instance_volume", {"zone": "nl-ams-1", "tags": ["prod", "health"]}, "tag prod,health"),
    ("hashicorp/google", "google_storage_bucket", {"location": "US", "labels": {}, "terraform_labels": {"data_classification": "health"}},
     "tag data_classification=health"),
    ("hashicorp/google", "google_container_cluster", {"location": "us-central1", "resource_labels": {"data_classification": "health"}},
     "tag data_classification=health"),
])
def test_tag_shapes_from_the_catalog(tmp_path, catalog, provider, rtype, values, reason):
    result = _one(tmp_path, catalog, [{"type": rtype, "name": "r", "provider": provider, "values": values}], region="us-east-1")
    (res,) = result.resources
    assert (res.classifications[0].data_class, res.classifications[0].reason, res.classifications[0].unknown) == (
        "health", reason, False)
    assert result.exit_code == 1


@pytest.mark.parametrize("extra, why", [
    ({"sensitive": {"tags": {"data_classification": True}}}, "tag data_classification is sensitive"),
    ({"sensitive": {"tags": True}}, "tags is sensitive"),
])
def test_unreadable_classification_assumes_every_class_unknown(tmp_path, catalog, extra, why):
    from adversarial_cases import bucket

    result = _one(tmp_path, catalog, [bucket(**extra)], region="eu-west-3")
    (res,) = result.resources
    assert [(c.data_class, c.unknown) for c in res.classifications] == [("health", True), ("personal", True), ("sensitive", True)]
    assert res.classifications[0].reason == f"its data classes cannot be read ({why}): it may hold health data"
    assert result.findings and all(f.status.value in ("unknown", "fail") for f in result.findings)
    assert any(f.blocking for f in result.findings) and result.exit_code == 1
    assert "health" not in json.dumps(res.tags) or res.tags.get("data_classification") == "(sensitive)"


def test_when_unknown_limits_the_assumed_classes(tmp_path, catalog):
    from adversarial_cases import bucket, plan

    (tmp_path / "plan.json").write_text(plan([bucket(sensitive={"tags": True})]))
    (tmp_path / "c.yaml").write_text("classification:\n  when_unknown: [health]\n")
    result = scan(file_sources([tmp_path / "plan.json"]), load_config(tmp_path / "c.yaml"), catalog,
                  load_packs(["eea-residency"]), AS_OF)
    (res,) = result.resources
    assert [(c.data_class, c.unknown) for c in res.classifications] == [
        ("health", True), ("personal", True), ("sensitive", True)]  # the two others implied by health, unknown too
    (finding,) = result.findings
    assert (finding.policy_id, finding.status.value, finding.blocking) == ("SOV-EEA-001", "unknown", True)


def test_unset_variable_tags_in_source_are_unknown(tmp_path, catalog):
    (tmp_path / "main.tf").write_text(PARIS + 'variable "tags" {\n  type = map(string)\n}\n'
                                      'resource "aws_s3_bucket" "b" {\n  tags = var.tags\n}\n')
    (res,) = _scan([tmp_path], catalog).resources
    assert res.tags_unread == {"*": "tags = var.tags is not known from source"}
    assert {c.data_class for c in res.classifications if c.unknown} == {"health", "personal", "sensitive"}


# ------------------------------------------------------------------------------ source oddities
def test_two_default_provider_blocks_are_a_problem_and_no_region(tmp_path, catalog):
    (tmp_path / "main.tf").write_text(PARIS + 'provider "aws" {\n  region = "us-east-1"\n}\n' + HEALTH_BUCKET)
    result = _scan([tmp_path], catalog)
    (problem,) = result.problems
    assert problem.kind == "duplicate-provider"
    assert problem.message.startswith(f'provider "aws" is configured twice, at {tmp_path}/main.tf:1 and {tmp_path}/main.tf:4')
    (res,) = result.resources
    assert res.placement.region is None


def test_a_tofu_file_replaces_the_tf_file_of_the_same_name(tmp_path, catalog):
    (tmp_path / "main.tf").write_text(PARIS + HEALTH_BUCKET)
    (tmp_path / "main.tofu").write_text('provider "aws" {\n  region = "us-east-1"\n}\n' + HEALTH_BUCKET)
    (res,) = _scan([tmp_path], catalog).resources
    assert (res.placement.region, res.location.path) == ("us-east-1", f"{tmp_path}/main.tofu")


def test_a_replica_block_no_rule_reads_is_a_copy_to_an_unknown_place(tmp_path, catalog):
    result = _one(tmp_path, catalog, [{"type": "aws_dynamodb_table", "name": "t", "values": {
        "tags": {"data_classification": "health"}, "replica_configuration": [{"region_name": "us-east-1"}]}}])
    (res,) = result.resources
    (flow,) = res.flows
    assert (flow.rule, flow.to.region, flow.via) == ("unruled-copy", None, "aws_dynamodb_table.t replica_configuration")
    assert "no flows.yaml rule says where aws_dynamodb_table copies it" in (flow.to.reason or "")


def test_secrets_manager_replica_is_followed(tmp_path, catalog):
    result = _one(tmp_path, catalog, [{"type": "aws_secretsmanager_secret", "name": "s", "values": {
        "tags": {"data_classification": "health"}, "replica": [{"region": "us-east-1"}]}}])
    (res,) = result.resources
    assert [(f.rule, f.to.region) for f in res.flows] == [("aws-secretsmanager-replica", "us-east-1")]


def test_a_variables_file_alone_stands_for_the_module_in_the_current_directory(tmp_path, monkeypatch, catalog):
    (tmp_path / "main.tf").write_text(PARIS + 'variable "tags" {\n  default = {}\n}\n'
                                      'resource "aws_s3_bucket" "b" {\n  tags = var.tags\n}\n')
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "prod.tfvars").write_text('tags = { data_classification = "health" }\n')
    monkeypatch.chdir(tmp_path)
    sources = file_sources([Path("envs/prod.tfvars")])
    assert [s.input for s in sources] == ["."]
    result = _scan(["envs/prod.tfvars"], catalog, var_files=[Path("envs/prod.tfvars")])
    assert [c.data_class for r in result.resources for c in r.classifications][0] == "health"
