#!/usr/bin/env python3
"""Benchmark the pre-commit hook (``sovpolicy scan DIR``) on Terraform source, cold and warm.

Usage::

    python bench/bench_hcl.py [--corpus ../shared/corpus/hcl] [--size 1000] [--repeat 5] [--json OUT]

Module trees: every directory of ``--corpus`` (skipped with a note when absent) and a
generated module of ``--size`` resources (``gen_module``: 20 files, two AWS provider
configurations, variables with tfvars, locals with ``merge``, ``count``, ``for_each``,
azurerm resources placed through their resource group, and a local child module called
with ``for_each`` and a ``providers`` map).

Per tree, three commands run as whole processes, interleaved, ``--repeat`` times:

  bare   python bench/bare_hcl_parse.py DIR     (python-hcl2's own hcl2.load of every file)
  cold   sovpolicy scan DIR --format json --output OUT --cache-dir <new empty dir>
  warm   sovpolicy scan DIR --format json --output OUT --cache-dir <a filled cache>

Reported: medians, and the ratios cold/bare (target <= 1.3) and warm/cold (target
<= 0.2), each computed per repetition (paired, same moment of a noisy machine) and
then the median taken. Exit status 1 when a scan crashed (exit code not 0, 1 or 3).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_plan import find_sovpolicy, log, run_measured  # noqa: E402

SCAN_OK = {0, 1, 3}


def gen_module(root: Path, n: int) -> Path:
    """Write a module directory with exactly ``n`` resource instances; return it."""
    if root.exists():
        shutil.rmtree(root)
    (root / "modules" / "store").mkdir(parents=True)
    (root / "providers.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n'
        '    azurerm = { source = "hashicorp/azurerm" }\n  }\n}\n\n'
        'provider "aws" {\n  region = var.region\n  default_tags {\n    tags = local.common_tags\n  }\n}\n\n'
        'provider "aws" {\n  alias  = "dr"\n  region = var.dr_region\n}\n\nprovider "azurerm" {\n  features {}\n}\n')
    (root / "variables.tf").write_text(
        'variable "region" {\n  type    = string\n  default = "eu-west-1"\n}\n\n'
        'variable "dr_region" {\n  type    = string\n  default = "eu-central-1"\n}\n\n'
        'variable "tenants" {\n  type = map(object({ tier = optional(string, "standard") }))\n  default = {}\n}\n')
    tenants = {f"t{i:02d}": {"tier": "gold" if i % 3 == 0 else "standard"} for i in range(5)}
    (root / "terraform.tfvars").write_text('region = "eu-west-3"\n\ntenants = ' + json.dumps(tenants, indent=2).replace('": ', '" = ') + "\n")
    (root / "locals.tf").write_text(
        'locals {\n  common_tags = merge({ managed_by = "terraform" }, { project = "bench" })\n'
        '  prefix      = "bench-${var.region}"\n  classes     = { records = "health", logs = "internal" }\n}\n')
    (root / "modules" / "store" / "main.tf").write_text(
        'variable "name" {}\nvariable "classification" {}\n\n'
        'resource "aws_s3_bucket" "this" {\n  bucket = var.name\n  tags = {\n    data_classification = var.classification\n  }\n}\n\n'
        'resource "aws_s3_bucket_versioning" "this" {\n  bucket = aws_s3_bucket.this.id\n  versioning_configuration {\n'
        '    status = "Enabled"\n  }\n}\n')
    (root / "tenants.tf").write_text(
        'module "tenant_store" {\n  source   = "./modules/store"\n  for_each = var.tenants\n\n'
        '  providers = {\n    aws = aws.dr\n  }\n\n  name           = "${local.prefix}-${each.key}"\n'
        '  classification = each.value.tier == "gold" ? "health" : "internal"\n}\n')
    count = 5 * 2  # the module instances
    (root / "azure.tf").write_text(
        'resource "azurerm_resource_group" "main" {\n  name     = "rg-bench"\n  location = "France Central"\n}\n')
    count += 1
    per_file = max(1, (n - count) // 20 + 1)
    blocks: list[list[str]] = [[] for _ in range(20)]
    i = 0
    while count < n:
        f = (i // per_file) % 20
        kind = i % 5
        if kind == 0:
            blocks[f].append(
                f'# Health data: yes.\nresource "aws_s3_bucket" "records_{i}" {{\n  bucket = "${{local.prefix}}-records-{i}"\n\n'
                f'  tags = merge(local.common_tags, {{\n    data_classification = local.classes["records"]\n    index = "{i}"\n  }})\n}}\n')
            count += 1
        elif kind == 1:
            blocks[f].append(
                f'resource "aws_db_instance" "db_{i}" {{\n  provider          = aws.dr\n  identifier        = "db-{i}"\n'
                f'  engine            = "postgres"\n  instance_class    = "db.t4g.medium"\n  allocated_storage = 20\n'
                f'  tags = {{\n    data_classification = "health"\n  }}\n}}\n')
            count += 1
        elif kind == 2 and count + 2 <= n:
            blocks[f].append(
                f'resource "aws_cloudwatch_log_group" "logs_{i}" {{\n  count             = 2\n'
                f'  name              = "/bench/{i}/${{count.index}}"\n  retention_in_days = 30\n}}\n')
            count += 2
        elif kind == 3 and count + 3 <= n:
            blocks[f].append(
                f'resource "aws_sqs_queue" "queue_{i}" {{\n  for_each = toset(["a", "b", "c"])\n'
                f'  name     = "q-{i}-${{each.key}}"\n  kms_master_key_id = "alias/aws/sqs"\n}}\n')
            count += 3
        else:
            blocks[f].append(
                f'resource "azurerm_storage_account" "sa_{i}" {{\n  name                     = "sa{i}"\n'
                f'  resource_group_name      = azurerm_resource_group.main.name\n'
                f'  location                 = azurerm_resource_group.main.location\n'
                f'  account_tier             = "Standard"\n  account_replication_type = "ZRS"\n'
                f'  tags = {{\n    DataClassification = "PHI"\n  }}\n}}\n')
            count += 1
        i += 1
    for f, items in enumerate(blocks):
        (root / f"resources_{f:02d}.tf").write_text("\n".join(items))
    return root


def measure(cmd: list[str], tmp: Path) -> dict:
    return run_measured(cmd, tmp / "stdout", tmp / "stderr", timeout=1800)


def bench_tree(name: str, tree: Path, sovpolicy: list[str], repeat: int, tmp: Path) -> dict:
    warm_cache = tmp / f"warm-{name}"
    scan = sovpolicy + ["scan", str(tree), "--as-of", "2026-11-30", "--format", "json", "--output", str(tmp / "out.json")]
    first = measure(scan + ["--cache-dir", str(warm_cache)], tmp)  # fills the warm cache
    if first["rc"] not in SCAN_OK:
        log(f"!! {name}: sovpolicy exited {first['rc']}: {(tmp / 'stderr').read_text()[-2000:]}")
        return {"tree": name, "crashed": True}
    runs: dict[str, list[float]] = {"bare": [], "cold": [], "warm": []}
    cpu: dict[str, list[float]] = {"bare": [], "cold": [], "warm": []}

    def note(kind: str, m: dict) -> None:
        runs[kind].append(m["seconds"])
        cpu[kind].append(m["cpu_seconds"])

    for r in range(repeat):
        note("bare", measure([sys.executable, str(HERE / "bare_hcl_parse.py"), str(tree)], tmp))
        cold_dir = tmp / f"cold-{name}-{r}"
        note("cold", measure(scan + ["--cache-dir", str(cold_dir)], tmp))
        shutil.rmtree(cold_dir, ignore_errors=True)
        note("warm", measure(scan + ["--cache-dir", str(warm_cache)], tmp))
    resources = len(json.loads((tmp / "out.json").read_text())["resources"])
    files = sum(1 for p in tree.rglob("*") if p.is_file() and p.name.endswith((".tf", ".tfvars", ".tf.json", ".tfvars.json")))
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {"tree": name, "files": files, "resources": resources, "runs": runs, "cpu": cpu, "median": med,
            "median_cpu": {k: statistics.median(v) for k, v in cpu.items()},
            "warm_over_cold_cpu": statistics.median(w / c for w, c in zip(cpu["warm"], cpu["cold"])),
            "cold_over_bare": statistics.median(c / b for c, b in zip(runs["cold"], runs["bare"])),
            "warm_over_cold": statistics.median(w / c for w, c in zip(runs["warm"], runs["cold"]))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=HERE.parent.parent / "shared" / "corpus" / "hcl")
    ap.add_argument("--size", type=int, default=1000, help="resources in the generated module")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sovpolicy", help="command to run instead of the console script beside this Python")
    ap.add_argument("--json", type=Path, help="write every run and the medians here")
    args = ap.parse_args(argv)
    sovpolicy, how = find_sovpolicy(sys.executable, args.sovpolicy)
    if sovpolicy is None:
        log(f"!! {how}")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="sovpolicy-bench-hcl-"))
    trees: list[tuple[str, Path]] = []
    if args.corpus.is_dir():
        trees += [(p.name, p) for p in sorted(args.corpus.iterdir()) if p.is_dir()]
    else:
        log(f"[corpus] {args.corpus} not present: only the generated module is timed")
    trees.append((f"generated-{args.size}", gen_module(tmp / f"generated-{args.size}", args.size)))
    results = []
    crashed = False
    print(f"{'tree':<26}{'files':>6}{'res':>6}{'bare s':>9}{'cold s':>9}{'warm s':>9}{'cold/bare':>11}{'warm/cold':>11}"
          f"{'cpu cold':>10}{'cpu warm':>10}{'w/c cpu':>9}")
    for name, tree in trees:
        res = bench_tree(name, tree, sovpolicy, args.repeat, tmp)
        results.append(res)
        if res.get("crashed"):
            crashed = True
            continue
        m = res["median"]
        print(f"{name:<26}{res['files']:>6}{res['resources']:>6}{m['bare']:>9.3f}{m['cold']:>9.3f}{m['warm']:>9.3f}"
              f"{res['cold_over_bare']:>11.2f}{res['warm_over_cold']:>11.2f}{res['median_cpu']['cold']:>10.3f}"
              f"{res['median_cpu']['warm']:>10.3f}{res['warm_over_cold_cpu']:>9.2f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"sovpolicy": how, "repeat": args.repeat, "results": results}, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
