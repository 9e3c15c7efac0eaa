"""How each reader feeds flows: source constructs (dynamic blocks, module variables holding
objects), sensitive and unknown values in plans (fail closed, never printed), and reports
that keep one entry per flow destination."""

from __future__ import annotations

import json
import textwrap

from conftest import AS_OF, FIXTURES

from sovpolicy.cli import main
from sovpolicy.config import load_config
from sovpolicy.model import Status
from sovpolicy.pipeline import scan
from sovpolicy.policy import load_packs
from sovpolicy.sources.hcl import read_module
from sovpolicy.sources.registry import file_sources
from sovpolicy.sources.tfplan import read_plan

PROVIDERS = """
provider "aws" {
  region = "eu-west-3"
}
provider "aws" {
  alias  = "virginia"
  region = "us-east-1"
}
"""


def module(tmp_path, text, name="root"):
    d = tmp_path / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "main.tf").write_text(textwrap.dedent(text))
    return d


def regions(resource):
    return [(f.to.region, f.to.reason is not None) for f in resource.flows]


def test_dynamic_blocks_are_expanded_when_known_and_fail_closed_when_not(tmp_path, catalog):
    d = module(tmp_path, PROVIDERS + """
    variable "replicas" {
      default = ["eu-central-1", "us-east-1"]
    }
    variable "later" {}
    resource "aws_dynamodb_table" "known" {
      name = "t1"
      hash_key = "id"
      dynamic "replica" {
        for_each = var.replicas
        content {
          region_name = replica.value
        }
      }
    }
    resource "aws_dynamodb_table" "unknown" {
      name = "t2"
      hash_key = "id"
      dynamic "replica" {
        for_each = var.later
        content {
          region_name = replica.value
        }
      }
    }
    """)
    res = {r.address: r for r in read_module(d, catalog).resources}
    assert regions(res["aws_dynamodb_table.known"]) == [("eu-central-1", False), ("us-east-1", False)]
    [flow] = res["aws_dynamodb_table.unknown"].flows
    assert flow.to.region is None and flow.to.reason == "replica[0] is known only after apply"


def test_module_variable_object_item_leads_to_the_destination(tmp_path, catalog):
    module(tmp_path, """
    variable "replication" {}
    resource "aws_s3_bucket" "this" {
      bucket = "src"
      tags   = { data_classification = "health" }
    }
    resource "aws_s3_bucket_replication_configuration" "this" {
      bucket = aws_s3_bucket.this.id
      role   = var.replication.role
      rule {
        status = "Enabled"
        destination {
          bucket = var.replication.destination
        }
      }
    }
    """, "root/modules/store")
    module(tmp_path, """
    resource "aws_s3_bucket" "dr" {
      bucket = "dr"
    }
    output "arn" {
      value = aws_s3_bucket.dr.arn
    }
    """, "root/modules/dr")
    d = module(tmp_path, PROVIDERS + """
    resource "aws_kms_key" "k" {
      provider = aws.virginia
    }
    module "dr" {
      source    = "./modules/dr"
      providers = { aws = aws.virginia }
    }
    module "store" {
      source = "./modules/store"
      replication = {
        role        = "arn:aws:iam::111122223333:role/r"
        destination = module.dr.arn
        key         = aws_kms_key.k.arn
      }
    }
    """)
    res = {r.address: r for r in read_module(d, catalog).resources}
    [flow] = res["module.store.aws_s3_bucket.this"].flows
    assert flow.to.region == "us-east-1"
    assert flow.to.evidence[0] == ("configuration rule[0].destination[0].bucket references var.replication.destination -> "
                                   "module.dr.arn -> aws_s3_bucket.dr.arn (module.dr.aws_s3_bucket.dr)")


def test_sensitive_destination_is_never_read_nor_printed(tmp_path, catalog, capsys):
    plan = json.loads((FIXTURES / "plans" / "backup-copy-action" / "plan.json").read_text())
    rc = next(r for r in plan["resource_changes"] if r["address"] == "aws_backup_plan.daily")
    rc["change"]["after_sensitive"] = {"rule": [{"copy_action": [{"destination_vault_arn": True}, {}]}]}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    res = {r.address: r for r in read_plan(path, catalog).resources}
    offsite = res["aws_backup_plan.daily"].flows[0]
    assert offsite.to.region is None and "is sensitive" in offsite.to.reason
    main(["scan", str(path), "--format", "json", "--pack", "hds", "--as-of", AS_OF.isoformat()])
    out = capsys.readouterr().out
    assert "fixture-flows-offsite" not in out and "example-only-not-a-secret" not in out


def test_flow_findings_have_unique_keys_in_every_report(tmp_path, capsys):
    plan = FIXTURES / "plans" / "s3-replication" / "plan.json"
    sarif, junit, oscal_dir = tmp_path / "r.sarif", tmp_path / "r.xml", tmp_path / "ev"
    main(["scan", str(plan), "--format", f"sarif:{sarif}", "--format", f"junit:{junit}", "--evidence", str(oscal_dir),
          "--as-of", AS_OF.isoformat()])
    capsys.readouterr()
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    prints = [r["partialFingerprints"]["sovpolicy/policyAddress/v1"] for r in results]
    assert len(prints) == len(set(prints)) and len(prints) > 10
    import xml.etree.ElementTree as ET
    cases = [(c.get("classname"), c.get("name")) for c in ET.parse(junit).getroot().iter("testcase")]
    assert len(cases) == len(set(cases))
    assert ("hds.SOV-HDS-002", "aws_s3_bucket.records → aws us-east-1 (replicate by "
            "aws_s3_bucket_replication_configuration.records rule[0])") in cases
    oscal = json.loads((oscal_dir / "assessment-results.json").read_text())
    uuids = [f["uuid"] for f in oscal["assessment-results"]["results"][0]["findings"]]
    assert len(uuids) == len(set(uuids))


def test_residency_of_a_global_edge_with_and_without_adequacy_countries(tmp_path, catalog):
    plan = FIXTURES / "plans" / "cloudfront-cache" / "plan.json"
    packs = load_packs(["eea-residency"])
    plain = scan(file_sources([plan]), load_config(None), catalog, packs, AS_OF)
    edge = [f for f in plain.findings if f.address == "aws_s3_bucket.portal" and f.flow is not None]
    assert [f.status for f in edge] == [Status.FAIL]  # no adequacy country: the EEA alone decides
    cfg = tmp_path / ".sovpolicy.yaml"
    cfg.write_text("residency:\n  adequacy: [CH]\n")
    with_ch = scan(file_sources([plan]), load_config(cfg), catalog, packs, AS_OF)
    edge = [f for f in with_ch.findings if f.address == "aws_s3_bucket.portal" and f.flow is not None]
    assert [f.status for f in edge] == [Status.UNKNOWN]  # worldwide edges: cannot show they are only in EEA + CH
