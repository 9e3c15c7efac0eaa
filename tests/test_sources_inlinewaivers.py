"""Inline waivers read from the comments and blocks the HCL parser already returned
(sources/inlinewaivers.py), for source inputs and for the .tf files next to a plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import FIXTURES

from sovpolicy.errors import InputError
from sovpolicy.model import Origin, Placement, Resource, SourceKind
from sovpolicy.sources.hcl import read_module
from sovpolicy.sources.hclsyntax import parse_source
from sovpolicy.sources.inlinewaivers import plan_waivers, waivers_in_file
from sovpolicy.sources.parsecache import ParseCache


def inline_waivers(tf: Path, module_path: str):
    return waivers_in_file(str(tf), parse_source(tf.read_bytes(), tf.name), module_path)


TF = '''provider "aws" { region = "eu-west-3" }

# sovpolicy:waive SOV-EXT-001 expires=2027-06-30 reason="Regulator authorisation, see ticket 42"
#   approved_by="DPO" decision="CNIL 2023-146" decision_expires=2026-12-21
resource "aws_s3_bucket" "patient_records" {
  bucket = "x"
  policy = <<-EOT
    { "Statement": [ { "Effect": "Allow" } ] }
  EOT
}

resource "aws_s3_bucket" "other" {
  # sovpolicy:waive SOV-HDS-004 expires=2027-01-31 reason="risk assessment filed"
  bucket = "y"
}
'''


def test_inline_waivers_above_and_inside_blocks(tmp_path):
    tf = tmp_path / "main.tf"
    tf.write_text(TF)
    ws = inline_waivers(tf, "")
    assert [(w.policy_id, w.address, w.origin.rsplit(":", 1)[1]) for w in ws] == [
        ("SOV-EXT-001", "aws_s3_bucket.patient_records", "3"), ("SOV-HDS-004", "aws_s3_bucket.other", "13")]
    assert ws[0].decision == "CNIL 2023-146" and ws[0].decision_expires == dt.date(2026, 12, 21)
    assert ws[0].matches("SOV-EXT-001", _res("aws_s3_bucket.patient_records"))
    assert ws[0].matches("SOV-EXT-001", _res('aws_s3_bucket.patient_records["a"]'))
    assert not ws[0].matches("SOV-EXT-001", _res("module.m.aws_s3_bucket.patient_records"))
    # the module path is the source's, not parsed from the address
    assert not ws[0].matches("SOV-EXT-001", _res("aws_s3_bucket.patient_records", module="module.m"))
    assert not ws[0].matches("SOV-EXT-001", _res("arn:aws:s3:::patient-records"))


def _res(address: str, module: str | None = None) -> Resource:
    return Resource(address=address, type="aws_s3_bucket", source=SourceKind.PLAN, module=module,
                    placement=Placement("aws", "eu-west-3", Origin.PROVIDER))


@pytest.mark.parametrize(("text", "needle"), [
    ('# sovpolicy:waive SOV-EXT-001 reason="x"\nresource "a" "b" {}\n', "needs expires="),
    ('# sovpolicy:waive SOV-EXT-001 expires=2027-01-01 reason="x" colour=red\nresource "a" "b" {}\n', "unknown inline waiver field"),
    ('# sovpolicy:waive SOV-EXT-001 expires=2027-13-01 reason="x"\nresource "a" "b" {}\n', "expected a date"),
    ('# sovpolicy:waive SOV-EXT-001 expires=2027-01-01 reason="x"\nvariable "v" {}\n', "not followed by a resource block"),
])
def test_malformed_inline_waivers(tmp_path, text, needle):
    tf = tmp_path / "main.tf"
    tf.write_text(text)
    with pytest.raises(InputError) as err:
        inline_waivers(tf, "")
    assert needle in str(err.value) and "main.tf:1" in str(err.value)




def test_waiver_in_a_heredoc_or_block_comment_is_not_a_waiver(tmp_path):
    tf = tmp_path / "main.tf"
    tf.write_text('''resource "aws_s3_bucket" "b" {
  policy = <<-EOT
    # sovpolicy:waive SOV-EXT-001 expires=2027-01-01 reason="inside a heredoc"
  EOT
}
/* sovpolicy:waive SOV-EXT-001 expires=2027-01-01 reason="a block comment" */
resource "aws_s3_bucket" "c" {}
''')
    assert inline_waivers(tf, "") == []


def test_a_file_that_does_not_parse_gives_no_waiver(tmp_path):
    tf = tmp_path / "main.tf"
    tf.write_text('# sovpolicy:waive SOV-EXT-001 expires=2027-01-01 reason="x"\nresource "a" "b" {\n')
    assert inline_waivers(tf, "") == []


def test_source_input_waivers_come_from_the_files_read(tmp_path, catalog):
    (tmp_path / "modules" / "store").mkdir(parents=True)
    (tmp_path / "main.tf").write_text('''module "store" {
  source = "./modules/store"
}
# sovpolicy:waive SOV-HDS-002 expires=2027-01-01 reason="root"
resource "aws_s3_bucket" "root" {}
''')
    (tmp_path / "modules" / "store" / "main.tf").write_text('''resource "aws_s3_bucket" "this" {
  # sovpolicy:waive SOV-EXT-001 expires=2027-02-01 reason="module"
}
''')
    (tmp_path / "unused").mkdir()
    (tmp_path / "unused" / "main.tf").write_text('# sovpolicy:waive bad\n')  # not a module of this root
    scan = read_module(tmp_path, catalog)
    assert [(w.policy_id, w.module_path, w.address, w.expires, w.origin.rsplit(":", 1)[1]) for w in scan.waivers] == [
        ("SOV-HDS-002", "", "aws_s3_bucket.root", dt.date(2027, 1, 1), "4"),
        ("SOV-EXT-001", "module.store", "aws_s3_bucket.this", dt.date(2027, 2, 1), "2")]


def test_plan_waivers_read_the_module_dirs_through_the_cache(tmp_path):
    (tmp_path / "main.tf").write_text('# sovpolicy:waive SOV-EXT-001 expires=2027-03-31 reason="x"\nresource "aws_s3_bucket" "b" {}\n')
    (tmp_path / "other.tf").write_text('resource "aws_s3_bucket" "c" {}\n')
    cache = ParseCache(tmp_path / "cache")
    got = plan_waivers({"": tmp_path, "module.gone": tmp_path / "missing"}, cache)
    assert [(w.address, w.module_path) for w in got] == [("aws_s3_bucket.b", "")]
    assert (cache.hits, cache.misses) == (0, 1)  # only the file holding a waiver is parsed
    plan_waivers({"": tmp_path}, cache)
    assert cache.hits == 1


def test_hospital_example_has_no_inline_waiver(catalog):
    assert read_module(FIXTURES.parent / "examples" / "hospital", catalog).waivers == []
