"""The module cache: a root module's read is reused only while no file it read changed."""

from __future__ import annotations

import json
import shutil

from conftest import ROOT
from hookmodule import STORE, VARIABLES, write_module

from sovpolicy.cli import main
from sovpolicy.sources.modulecache import ModuleCache

AS_OF = ["--as-of", "2026-11-30"]


def _scan(capsys, root, cache, *extra):
    code = main(["scan", str(root), "--cache-dir", str(cache), "--format", "json", *AS_OF, *extra])
    report = json.loads(capsys.readouterr().out)
    return code, {r["address"]: r["placement"]["region"] for r in report["resources"]}


def _entries(cache):
    return sorted((cache / "modules").glob("*.pickle"))


def test_an_unchanged_module_is_read_from_the_cache_and_every_change_reads_it_again(tmp_path, capsys):
    root, cache = write_module(tmp_path), tmp_path / "cache"
    first = _scan(capsys, root, cache)
    assert first == (1, {"aws_s3_bucket.records": "eu-west-3", "module.store.aws_db_instance.db": "eu-west-3"})
    (entry,) = _entries(cache)
    stamp = entry.stat().st_mtime_ns
    assert _scan(capsys, root, cache) == first and entry.stat().st_mtime_ns == stamp  # used, not rewritten

    (root / "variables.tf").write_text(VARIABLES.replace("eu-west-3", "us-east-1"))  # an edited file
    code, regions = _scan(capsys, root, cache)
    assert regions["aws_s3_bucket.records"] == "us-east-1" and code == 1

    (root / "region.auto.tfvars").write_text('region = "eu-central-1"\n')  # a file added
    assert _scan(capsys, root, cache)[1]["aws_s3_bucket.records"] == "eu-central-1"

    (root / "modules" / "store" / "extra.tf").write_text(  # a file added in a child module
        'resource "aws_s3_bucket" "more" {\n  bucket = "more"\n}\n')
    assert "module.store.aws_s3_bucket.more" in _scan(capsys, root, cache)[1]

    (root / "region.auto.tfvars").unlink()  # a file removed
    assert _scan(capsys, root, cache)[1]["aws_s3_bucket.records"] == "us-east-1"

    var_file = tmp_path / "prod.tfvars"
    var_file.write_text('region = "eu-west-1"\n')
    assert _scan(capsys, root, cache, "--var-file", str(var_file))[1]["aws_s3_bucket.records"] == "eu-west-1"
    var_file.write_text('region = "us-west-2"\n')  # the same --var-file, other bytes
    assert _scan(capsys, root, cache, "--var-file", str(var_file))[1]["aws_s3_bucket.records"] == "us-west-2"


def test_a_catalog_change_reads_the_module_again(tmp_path, capsys):
    root, cache = write_module(tmp_path), tmp_path / "cache"
    _scan(capsys, root, cache)
    extra = tmp_path / "catalog"
    shutil.copytree(ROOT / "tests" / "data" / "pinned" / "catalog", extra)
    _scan(capsys, root, cache, "--catalog", str(extra))
    assert len(_entries(cache)) == 2


def test_a_module_with_a_problem_is_never_cached(tmp_path, capsys):
    root, cache = write_module(tmp_path), tmp_path / "cache"
    shutil.rmtree(root / "modules")  # the local module is missing: a problem, exit 3
    code = main(["scan", str(root), "--cache-dir", str(cache), "--format", "json", *AS_OF])
    capsys.readouterr()
    assert code in (1, 3) and _entries(cache) == []
    (root / "modules" / "store").mkdir(parents=True)
    (root / "modules" / "store" / "main.tf").write_text(STORE)  # it appears: read now
    assert "module.store.aws_db_instance.db" in _scan(capsys, root, cache)[1]


def test_a_corrupt_entry_is_read_again_and_no_cache_reads_every_time(tmp_path, capsys):
    root, cache = write_module(tmp_path), tmp_path / "cache"
    first = _scan(capsys, root, cache)
    (entry,) = _entries(cache)
    entry.write_bytes(b"not a pickle")
    assert _scan(capsys, root, cache) == first
    assert ModuleCache(None).read(root, [], object(), lambda: "read", lambda v: [], lambda v: True) == "read"
