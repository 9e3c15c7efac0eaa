"""Start-up: each command imports what it runs (issue 14), checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from sovpolicy.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _modules(tmp_path, *argv):
    r = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    last = json.loads(r.stdout.strip().splitlines()[-1])
    return r.stdout, last["code"], set(last["modules"])


def test_version_imports_only_the_cli(tmp_path):
    out, code, modules = _modules(tmp_path, "--version")
    assert code == 0 and out.startswith("sovpolicy ")
    assert sorted(m for m in modules if m.startswith("sovpolicy")) == ["sovpolicy", "sovpolicy.cli", "sovpolicy.errors"]
    assert not {"yaml", "msgspec", "jsonschema"} & modules


def test_a_terraform_source_scan_imports_no_plan_reader_sdk_or_collector(tmp_path):
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "eu-west-3"\n}\n\nresource "aws_s3_bucket" "b" {\n'
                                      '  tags = { data_classification = "health" }\n}\n')
    out, code, modules = _modules(tmp_path, "scan", str(tmp_path), "--no-cache", "--as-of", "2026-11-30")
    assert code == 1 and "aws_s3_bucket.b" in out
    unneeded = {"boto3", "botocore", "azure", "sovpolicy.sources.tfplan", "sovpolicy.sources.planformat",
                "sovpolicy.sources.aws_collect", "sovpolicy.sources.aws_session", "concurrent.futures",
                "sovpolicy.report.sarif", "sovpolicy.report.junit", "sovpolicy.evidence"}
    assert unneeded & modules == set()
    assert "sovpolicy.sources.hcl" in modules  # the probe is not vacuous


def test_a_warm_hook_scan_imports_no_reader_loader_yaml_or_cloud_source(tmp_path):
    """The pre-commit hook on an unchanged module (issue 14 item 3): answered by the scan
    cache, it imports neither the Terraform reader and its parser, nor the pipeline, nor
    YAML, JSON Schema, the live sources or their SDKs; and it writes the cold run's report."""
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "eu-west-3"\n}\n\nresource "aws_s3_bucket" "b" {\n'
                                      '  tags = { data_classification = "health" }\n}\n')
    scan = ["scan", str(tmp_path), "--cache-dir", str(tmp_path / "cache"), "--as-of", "2026-11-30", "--format", "json"]
    cold_out, cold_code, cold_modules = _modules(tmp_path, *scan)
    warm_out, warm_code, warm_modules = _modules(tmp_path, *scan)
    report = warm_out.rsplit("\n", 2)[0]  # the probe's own line last
    assert warm_code == cold_code == 1 and report == cold_out.rsplit("\n", 2)[0] and '"aws_s3_bucket.b"' in report
    unneeded = {"yaml", "jsonschema", "hcl2", "lark", "sovpolicy.pipeline", "sovpolicy.sources.hcl",
                "sovpolicy.sources.hcleval", "sovpolicy.sources.hclinstance", "sovpolicy.sources.flows",
                "sovpolicy.sources.aws", "sovpolicy.sources.azure", "sovpolicy.sources.azure_arm", "boto3", "botocore",
                "azure", "sovpolicy.sources.tfplan", "sovpolicy.sources.planformat", "concurrent.futures",
                # the cached result's alternatives are plain values: not the finder, catalog or policy code
                "sovpolicy.alternatives", "sovpolicy.catalog.load", "sovpolicy.policy"}
    assert unneeded & warm_modules == set()
    assert {"sovpolicy.scancache", "sovpolicy.report.json"} <= warm_modules  # answered by the cache, not vacuous
    offered = [r for r in json.loads(report)["resources"] if r["alternatives"] or r["alternatives_unconfirmed"]]
    assert offered and "sovpolicy.model.alternative" in warm_modules  # alternatives read back from the cache
    assert {"yaml", "sovpolicy.pipeline", "sovpolicy.sources.hcl"} <= cold_modules  # the cold run did read
