"""`sovpolicy scan` on Terraform source: detection, exit codes, problems, the parse cache."""

from __future__ import annotations

import json

from conftest import EXAMPLE_PLAN

from sovpolicy.cli import main
from sovpolicy.sources.parsecache import ParseCache

AS_OF = ["--as-of", "2026-11-30"]
PARIS = 'provider "aws" {\n  region = "eu-west-3"\n}\n'


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_example_module_blocks_like_its_plan(capsys, tmp_path):
    module = EXAMPLE_PLAN.parent
    code, out, err = run(capsys, "scan", str(module), "--cache-dir", str(tmp_path), *AS_OF)
    assert code == 1, err
    block = out.split("BLOCKING aws_s3_bucket.analytics_exports (health, personal, sensitive)")[1].split("\n\n")[0]
    assert f"[{module}/main.tf:" in out.split("BLOCKING aws_s3_bucket.analytics_exports")[1].split("\n")[0]
    assert f'region aws us-east-1 from a literal in its provider configuration ({module}/main.tf:20 provider "aws" (alias "virginia") region)' in block
    assert "example-only-not-a-secret" not in out + err


def test_a_file_is_scanned_with_its_whole_module(capsys, tmp_path):
    (tmp_path / "providers.tf").write_text(PARIS)
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  tags = { data_classification = "health" }\n}\n')
    code, out, _ = run(capsys, "scan", str(tmp_path / "main.tf"), "--no-cache", "--format", "json", *AS_OF)
    report = json.loads(out)
    (res,) = report["resources"]
    assert (res["source"], res["placement"]["region"], res["location"]) == ("hcl", "eu-west-3", {"path": f"{tmp_path}/main.tf", "line": 1})
    assert code == 1  # AWS: CLOUD Act exposure and unlisted HDS scope block


def test_parse_error_only_is_exit_3_with_file_and_line(capsys, tmp_path):
    (tmp_path / "main.tf").write_text(PARIS + 'resource "aws_s3_bucket" "ok" {}\n')
    (tmp_path / "bad.tf").write_text('locals {\n  a = [1, 2\n}\n')
    code, out, err = run(capsys, "scan", str(tmp_path), "--no-cache", *AS_OF)
    assert code == 3, out + err
    assert "PROBLEM parse-error: syntax error: unexpected" in out and f"({tmp_path}/bad.tf:3:1)" in out
    assert "Traceback" not in out + err


def test_parse_error_and_blocking_finding_is_exit_1(capsys, tmp_path):
    (tmp_path / "main.tf").write_text('provider "aws" {}\nresource "aws_s3_bucket" "b" {\n  tags = { data_classification = "health" }\n}\n')
    (tmp_path / "bad.tf").write_text('resource "x" {\n')
    code, out, _ = run(capsys, "scan", str(tmp_path), "--no-cache", "--format", "json", *AS_OF)
    report = json.loads(out)
    assert code == 1 and report["summary"]["exit_code"] == 1
    assert [p["kind"] for p in report["problems"]] == ["parse-error"]
    assert {f["status"] for f in report["findings"]} == {"unknown"}


def test_plans_and_modules_in_one_scan_and_unknown_inputs(capsys, tmp_path):
    (tmp_path / "main.tf").write_text(PARIS + 'resource "aws_s3_bucket" "extra" {}\n')
    code, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), str(tmp_path), "--no-cache", "--format", "json", *AS_OF)
    sources = {r["address"]: r["source"] for r in json.loads(out)["resources"]}
    assert sources["aws_s3_bucket.extra"] == "hcl" and sources["aws_s3_bucket.analytics_exports"] == "plan"
    (tmp_path / "notes.txt").write_text("x")
    code, _, err = run(capsys, "scan", str(tmp_path / "notes.txt"))
    assert code == 2 and ".tf/.tf.json/.tfvars files or a module directory" in err
    code, _, err = run(capsys, "scan", str(tmp_path), "--var-file", str(tmp_path / "missing.tfvars"))
    assert code == 2 and "variable file not found" in err


def test_explain_on_source(capsys):
    code, out, _ = run(capsys, "explain", "aws_s3_bucket.analytics_exports", str(EXAMPLE_PLAN.parent), "--no-cache", *AS_OF)
    assert code == 0
    assert 'provider "aws" (alias "virginia") region' in out and "FAIL (blocking) SOV-HDS-002" in out


def test_second_run_reads_the_cache_and_a_changed_file_is_parsed_again(tmp_path):
    cache_dir = tmp_path / "cache"
    first = ParseCache(cache_dir)
    data = PARIS.encode()
    parsed = first.parse(data, "main.tf")
    assert (first.hits, first.misses) == (0, 1)
    second = ParseCache(cache_dir)
    assert second.parse(data, "renamed.tf") == parsed
    assert second.parse(data + b"\n", "main.tf").body == parsed.body
    assert (second.hits, second.misses) == (1, 1)
    for entry in cache_dir.rglob("*"):
        if entry.is_file():
            entry.write_bytes(b"garbage")
    third = ParseCache(cache_dir)
    assert third.parse(data, "main.tf") == parsed and third.misses == 1


def test_cli_uses_the_cache_dir(capsys, tmp_path):
    module = tmp_path / "m"
    module.mkdir()
    (module / "main.tf").write_text(PARIS + 'resource "aws_s3_bucket" "b" {}\n')
    cache = tmp_path / ".sovpolicy-cache"
    run(capsys, "scan", str(module), "--cache-dir", str(cache), *AS_OF)
    files = sorted(p.relative_to(cache).parts[0] for p in cache.rglob("*") if p.is_file())
    # the module's whole read, the whole scan, the loaded catalog+policies, one parsed file
    assert len(files) == 4 and files[:3] == ["modules", "scans", "setup"] and files[3].startswith("v")


def test_inline_waiver_in_the_source_applies_to_the_hook_scan(capsys, tmp_path):
    (tmp_path / "main.tf").write_text(PARIS + (
        '# sovpolicy:waive SOV-EXT-001 expires=2027-06-30 reason="CNIL authorisation, ticket 42"\n'
        'resource "aws_s3_bucket" "records" {\n  tags = { data_classification = "health" }\n}\n'))
    code, out, _ = run(capsys, "scan", str(tmp_path), "--no-cache", "--format", "json", *AS_OF)
    by_policy = {f["policy_id"]: f for f in json.loads(out)["findings"]}
    assert by_policy["SOV-EXT-001"]["status"] == "waived"
    assert by_policy["SOV-EXT-001"]["waiver"]["reason"] == "CNIL authorisation, ticket 42"
