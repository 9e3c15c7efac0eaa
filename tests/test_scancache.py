"""The scan cache: a scan of root modules is answered from the cache only while nothing it
depends on changed (files, configuration, catalog, options, date)."""

from __future__ import annotations

import json
import shutil

from conftest import EXAMPLE_PLAN, ROOT
from hookmodule import MAIN as HOOK_MAIN
from hookmodule import STORE, VARIABLES, write_module

from sovpolicy.cli import main

AS_OF = ["--as-of", "2026-11-30"]

MAIN = HOOK_MAIN + '''
resource "aws_s3_bucket" "logs" {
  bucket = "logs"
}
'''
RULE = "classification:\n  rules:\n    - class: health\n      address: aws_s3_bucket.logs\n"


def _module(tmp_path):
    root = write_module(tmp_path, MAIN)
    (root / "modules" / "empty").mkdir()
    return root


def _scan(capsys, root, cache, *extra):
    code = main(["scan", str(root), "--cache-dir", str(cache), "--format", "json", *AS_OF, *extra])
    return code, json.loads(capsys.readouterr().out)


def _stamp(cache):
    """The one entry's identity: a scan answered from the cache leaves it; any other writes it anew."""
    (entry,) = sorted((cache / "scans").glob("*.pickle"))
    st = entry.stat()
    return st.st_ino, st.st_mtime_ns


def _blocked(report):
    return sorted({f["address"] for f in report["findings"] if f["blocking"]})


def test_an_unchanged_scan_is_answered_from_the_cache(tmp_path, capsys):
    root, cache = _module(tmp_path), tmp_path / "cache"
    first = _scan(capsys, root, cache)
    assert first[0] == 1 and _blocked(first[1]) == ["aws_s3_bucket.records", "module.store.aws_db_instance.db"]
    stamp = _stamp(cache)
    assert _scan(capsys, root, cache) == first and _stamp(cache) == stamp
    assert _scan(capsys, root, cache, "--no-cache") == first


def test_each_file_the_scan_read_moves_it(tmp_path, capsys):
    root, cache = _module(tmp_path), tmp_path / "cache"
    _scan(capsys, root, cache)
    stamp = _stamp(cache)

    (root / "variables.tf").write_text(VARIABLES.replace("eu-west-3", "us-east-1"))  # an edited file
    code, report = _scan(capsys, root, cache)
    regions = {r["address"]: r["placement"]["region"] for r in report["resources"]}
    assert regions["aws_s3_bucket.records"] == "us-east-1" and _stamp(cache) != stamp
    stamp = _stamp(cache)

    (root / "modules" / "store" / "extra.tf").write_text('resource "aws_s3_bucket" "more" {\n  bucket = "more"\n}\n')
    report = _scan(capsys, root, cache)[1]  # a file added in a child module
    assert "module.store.aws_s3_bucket.more" in {r["address"] for r in report["resources"]} and _stamp(cache) != stamp
    stamp = _stamp(cache)

    (root / "modules" / "empty" / "x.tf").write_text("")  # a file added in a directory the scan did not read
    assert _scan(capsys, root, cache)[1] == report and _stamp(cache) == stamp

    (root / "modules" / "store" / "extra.tf").unlink()  # a file removed
    report = _scan(capsys, root, cache)[1]
    assert "module.store.aws_s3_bucket.more" not in {r["address"] for r in report["resources"]}

    var_file = tmp_path / "prod.tfvars"
    var_file.write_text('region = "eu-west-1"\n')
    report = _scan(capsys, root, cache, "--var-file", str(var_file))[1]
    assert {r["placement"]["region"] for r in report["resources"]} == {"eu-west-1"}
    var_file.write_text('region = "eu-central-1"\n')  # the same --var-file, other bytes
    report = _scan(capsys, root, cache, "--var-file", str(var_file))[1]
    assert {r["placement"]["region"] for r in report["resources"]} == {"eu-central-1"}


def test_the_configuration_the_catalog_the_options_and_the_date_move_it(tmp_path, capsys):
    root, cache = _module(tmp_path), tmp_path / "cache"
    first = _scan(capsys, root, cache)
    stamp = _stamp(cache)

    config = tmp_path / "sovpolicy.yaml"
    config.write_text(RULE)
    code, report = _scan(capsys, root, cache, "--config", str(config))
    assert "aws_s3_bucket.logs" in _blocked(report) and _stamp(cache) != stamp
    config.write_text(RULE.replace("aws_s3_bucket.logs", "aws_s3_bucket.nothing"))  # same file, other bytes
    assert _blocked(_scan(capsys, root, cache, "--config", str(config))[1]) == _blocked(first[1])

    assert _scan(capsys, root, cache, "--soft-fail")[0] == 0  # the gate
    assert _scan(capsys, root, cache)[0] == 1
    assert _scan(capsys, root, cache, "--as-of", "2026-12-01")[1]["as_of"] == "2026-12-01"  # the last --as-of wins
    assert _scan(capsys, root, cache) == first

    extra = tmp_path / "catalog"
    shutil.copytree(ROOT / "tests" / "data" / "pinned" / "catalog", extra)
    stamp = _stamp(cache)
    _scan(capsys, root, cache, "--catalog", str(extra))
    assert _stamp(cache) != stamp
    stamp = _stamp(cache)
    _scan(capsys, root, cache, "--catalog", str(extra))
    assert _stamp(cache) == stamp
    (extra / "sources.yaml").write_text((extra / "sources.yaml").read_text() + "\n")  # a catalog file's bytes
    _scan(capsys, root, cache, "--catalog", str(extra))
    assert _stamp(cache) != stamp


def test_a_scan_with_a_problem_or_of_a_plan_is_never_kept(tmp_path, capsys):
    root, cache = _module(tmp_path), tmp_path / "cache"
    shutil.rmtree(root / "modules" / "store")  # the local module is missing: a problem
    code, report = _scan(capsys, root, cache)
    assert code in (1, 3) and report["problems"] and not (cache / "scans").exists()
    (root / "modules" / "store").mkdir()
    (root / "modules" / "store" / "main.tf").write_text(STORE)  # it appears: read now
    assert "module.store.aws_db_instance.db" in {r["address"] for r in _scan(capsys, root, cache)[1]["resources"]}
    assert len(list((cache / "scans").glob("*.pickle"))) == 1

    plan_cache = tmp_path / "plan-cache"
    assert _scan(capsys, EXAMPLE_PLAN, plan_cache)[0] == 1
    assert not (plan_cache / "scans").exists()


def test_a_corrupt_entry_scans_again(tmp_path, capsys):
    root, cache = _module(tmp_path), tmp_path / "cache"
    first = _scan(capsys, root, cache)
    (entry,) = (cache / "scans").glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert _scan(capsys, root, cache) == first
    entry.write_bytes(entry.read_bytes()[:200])  # cut short
    assert _scan(capsys, root, cache) == first


def test_an_opentofu_file_is_a_dependency(tmp_path, capsys):
    """``.tofu`` files are read like ``.tf`` ones: editing one reads the module again (the
    module cache did not notice before issue 14 item 3, and kept the old region)."""
    (tmp_path / "main.tofu").write_text('provider "aws" {\n  region = "eu-west-3"\n}\n\nresource "aws_s3_bucket" "b" {\n'
                                        '  tags = { data_classification = "health" }\n}\n')
    cache = tmp_path / "cache"
    assert {r["placement"]["region"] for r in _scan(capsys, tmp_path, cache)[1]["resources"]} == {"eu-west-3"}
    (tmp_path / "main.tofu").write_text((tmp_path / "main.tofu").read_text().replace("eu-west-3", "us-east-1"))
    assert {r["placement"]["region"] for r in _scan(capsys, tmp_path, cache)[1]["resources"]} == {"us-east-1"}
    shutil.rmtree(cache / "scans")  # the module cache alone
    (tmp_path / "main.tofu").write_text((tmp_path / "main.tofu").read_text().replace("us-east-1", "eu-central-1"))
    assert {r["placement"]["region"] for r in _scan(capsys, tmp_path, cache)[1]["resources"]} == {"eu-central-1"}


def test_a_module_link_retargeted_moves_it(tmp_path, capsys):
    root, cache = _module(tmp_path), tmp_path / "cache"
    for name, bucket in (("v1", "one"), ("v2", "two")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(f'resource "aws_s3_bucket" "{bucket}" {{\n  bucket = "{bucket}"\n}}\n')
    shutil.rmtree(root / "modules" / "store")
    (root / "modules" / "store").symlink_to(tmp_path / "v1")
    assert "module.store.aws_s3_bucket.one" in {r["address"] for r in _scan(capsys, root, cache)[1]["resources"]}
    (root / "modules" / "store").unlink()
    (root / "modules" / "store").symlink_to(tmp_path / "v2")  # the same files in the root, another module
    addresses = {r["address"] for r in _scan(capsys, root, cache)[1]["resources"]}
    assert "module.store.aws_s3_bucket.two" in addresses and "module.store.aws_s3_bucket.one" not in addresses
    shutil.rmtree(cache / "scans")  # the module cache alone
    (root / "modules" / "store").unlink()
    (root / "modules" / "store").symlink_to(tmp_path / "v1")
    assert "module.store.aws_s3_bucket.one" in {r["address"] for r in _scan(capsys, root, cache)[1]["resources"]}
