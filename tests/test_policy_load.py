"""Packs, enforcement overrides, adequacy, CEL, organisation packs and `policies test`."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from conftest import EXAMPLE_PLAN, ROOT

from sovpolicy.cli import main
from sovpolicy.errors import PolicyError
from sovpolicy.policy import available_packs, load_packs, load_policy, pack_roots

DAY = ["--as-of", "2026-11-30"]


def test_policies_test_passes_on_the_shipped_fixtures(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["policies", "test"]) == 0
    out = capsys.readouterr().out
    policies = sorted((ROOT / "policies").glob("*/*.yaml"))
    cases = sum(len(yaml.safe_load((ROOT / "fixtures" / "policies" / p.stem / "expected.yaml").read_text())) for p in policies)
    assert cases >= 40  # every shipped policy has its fixtures, each case counted once
    assert f"{len(policies)} policies, {cases} cases: {cases} passed, 0 failed" in out


def test_policies_test_fails_for_a_policy_without_fixtures(tmp_path, capsys):
    org = tmp_path / "org" / "acme"
    org.mkdir(parents=True)
    shutil.copy(ROOT / "policies" / "hds" / "SOV-HDS-002.yaml", org / "ACME-EEA-001.yaml")
    (org / "ACME-EEA-001.yaml").write_text((org / "ACME-EEA-001.yaml").read_text().replace("SOV-HDS-002", "ACME-EEA-001"))
    code = main(["policies", "test", "--policy-dir", str(tmp_path / "org"), "--fixtures", str(ROOT / "fixtures" / "policies")])
    out = capsys.readouterr().out
    assert code == 1 and "ERROR ACME-EEA-001: no fixtures" in out


def test_wrong_expectation_fails_the_run(tmp_path, capsys):
    fx = tmp_path / "fx"
    shutil.copytree(ROOT / "fixtures" / "policies", fx)
    exp = fx / "SOV-HDS-002" / "expected.yaml"
    exp.write_text(exp.read_text().replace("pass_aws_paris: pass", "pass_aws_paris: fail"))
    assert main(["policies", "test", "--fixtures", str(fx)]) == 1
    out = capsys.readouterr().out
    assert "FAIL SOV-HDS-002 pass_aws_paris: expected fail, got pass" in out
    assert "pass_aws_paris expects fail but its name does not start with fail_" in out


def test_organisation_pack_id_clash_is_an_error(tmp_path):
    org = tmp_path / "org" / "acme"
    org.mkdir(parents=True)
    shutil.copy(ROOT / "policies" / "hds" / "SOV-HDS-002.yaml", org / "SOV-HDS-002.yaml")
    roots = pack_roots([tmp_path / "org"])
    with pytest.raises(PolicyError) as err:
        load_packs(sorted(available_packs(roots)), roots)
    assert "SOV-HDS-002 is defined twice" in str(err.value)


def test_default_packs_are_hds_and_extraterritorial(capsys):
    main(["scan", str(EXAMPLE_PLAN), "--format", "json", *DAY])
    assert {f["pack"] for f in json.loads(capsys.readouterr().out)["findings"]} == {"hds", "extraterritorial"}


def test_enforcement_override_makes_a_policy_advisory(tmp_path, capsys):
    cfg = tmp_path / ".sovpolicy.yaml"
    cfg.write_text("packs: [extraterritorial]\nenforcement: {SOV-EXT-001: {level: advisory, reason: DPO decision 42}}\n")
    code = main(["scan", str(EXAMPLE_PLAN), "--config", str(cfg), "--format", "json", *DAY])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {(f["status"], f["enforcement"], f["blocking"]) for f in report["findings"]} == {("fail", "advisory", False)}
    assert report["warnings"][0] == (f"SOV-EXT-001 is advisory by {cfg} (its pack says blocking): DPO decision 42")


def test_lowering_a_soft_mandatory_policy_needs_a_reason(tmp_path, capsys):
    cfg = tmp_path / ".sovpolicy.yaml"
    cfg.write_text("packs: [extraterritorial]\nenforcement: {SOV-EXT-001: advisory}\n")
    assert main(["scan", str(EXAMPLE_PLAN), "--config", str(cfg), *DAY]) == 2
    assert f"{cfg}:2: $.enforcement.SOV-EXT-001: lowering soft-mandatory SOV-EXT-001 to advisory needs a reason" in capsys.readouterr().err
    assert main(["config", "check", str(cfg)]) == 2


def test_enforcement_override_of_unknown_policy_is_an_error(tmp_path, capsys):
    cfg = tmp_path / ".sovpolicy.yaml"
    cfg.write_text("enforcement: {SOV-NOPE-001: advisory}\n")
    assert main(["scan", str(EXAMPLE_PLAN), "--config", str(cfg)]) == 2
    assert "SOV-NOPE-001" in capsys.readouterr().err


def test_us_cannot_be_accepted_by_adequacy(tmp_path, capsys):
    cfg = tmp_path / ".sovpolicy.yaml"
    cfg.write_text("packs: [eea-residency]\nresidency: {adequacy: [US]}\n")
    assert main(["scan", str(EXAMPLE_PLAN), "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "US cannot be accepted by country" in err and "Data Privacy Framework" in err


def test_adequacy_country_passes_residency(tmp_path, capsys):
    cfg = tmp_path / ".sovpolicy.yaml"
    cfg.write_text("packs: [eea-residency]\nresidency: {adequacy: [CH, GB]}\n")
    main(["scan", str(EXAMPLE_PLAN), "--config", str(cfg), "--format", "json", *DAY])
    report = json.loads(capsys.readouterr().out)
    statuses = {f["address"]: f["status"] for f in report["findings"]}
    assert statuses["aws_s3_bucket.analytics_exports"] == "fail" and statuses["aws_s3_bucket.patient_records"] == "pass"


CEL_POLICY = """id: ORG-CEL-001
title: Health buckets are only created in Paris
severity: medium
enforcement: soft-mandatory
applies_to: {data_classes: [health]}
when: resource.type.startsWith("aws_s3_")
require:
  - cel:
      expr: host.region == "eu-west-3"
      message: the bucket is in Paris
remediation: Use eu-west-3.
references:
  - {title: Internal rule, url: https://example.org/rules/cel}
"""


def test_cel_when_and_require(tmp_path, capsys):
    org = tmp_path / "org" / "acme"
    org.mkdir(parents=True)
    (org / "ORG-CEL-001.yaml").write_text(CEL_POLICY)
    main(["scan", str(EXAMPLE_PLAN), "--policy-dir", str(tmp_path / "org"), "--pack", "acme", "--format", "json", *DAY])
    report = json.loads(capsys.readouterr().out)
    got = {f["address"]: f["status"] for f in report["findings"]}
    # the RDS instance is not an S3 resource: `when` is false, no finding
    assert got == {"aws_s3_bucket.analytics_exports": "fail", "aws_s3_bucket.patient_records": "pass",
                   "module.archive.aws_s3_bucket.this": "pass"}
    exports = next(f for f in report["findings"] if f["address"] == "aws_s3_bucket.analytics_exports")
    assert report["chains"][exports["chain"]][-1]["text"] == "the bucket is in Paris: not met"


def test_cel_error_is_unknown_not_pass(tmp_path, capsys):
    org = tmp_path / "org" / "acme"
    org.mkdir(parents=True)
    (org / "ORG-CEL-001.yaml").write_text(CEL_POLICY.replace('host.region == "eu-west-3"', "host.region + 1 == 2"))
    main(["scan", str(EXAMPLE_PLAN), "--policy-dir", str(tmp_path / "org"), "--pack", "acme", "--format", "json", *DAY])
    report = json.loads(capsys.readouterr().out)
    assert {f["status"] for f in report["findings"]} == {"unknown"}
    assert all(f["blocking"] for f in report["findings"])


def test_invalid_cel_names_file_and_line(tmp_path):
    p = tmp_path / "ORG-CEL-001.yaml"
    p.write_text(CEL_POLICY.replace('host.region == "eu-west-3"', 'host.region == '))
    with pytest.raises(PolicyError) as err:
        load_policy(p, "acme")
    assert err.value.where == f"{p}:9" and "$.require[0].cel.expr: invalid CEL" in err.value.message


def test_packs_from_an_installed_plugin_entry_point(tmp_path, monkeypatch):
    """A distribution declaring `sovpolicy.packs` adds its packs (a real entry point, found by importlib.metadata)."""
    site = tmp_path / "site"
    pkg = site / "acme_packs"
    (pkg / "packs" / "acme").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pathlib import Path\n\ndef packs():\n    return Path(__file__).parent / 'packs'\n")
    (pkg / "packs" / "acme" / "ORG-CEL-001.yaml").write_text(CEL_POLICY)
    dist = site / "acme_packs-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-packs\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[sovpolicy.packs]\nacme = acme_packs:packs\n")
    monkeypatch.syspath_prepend(str(site))
    packs = available_packs(pack_roots())
    assert packs["acme"] == pkg / "packs" / "acme"
    assert [p.id for p in load_packs(["acme"], pack_roots())] == ["ORG-CEL-001"]
