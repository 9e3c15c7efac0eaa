"""A resource is (input, address): two environments of one configuration give two results."""

from __future__ import annotations

import json

from conftest import AS_OF, FIXTURES

from sovpolicy.cli import main

CASE = FIXTURES / "plans" / "region-from-variable"
PARIS = CASE / "plan.json"          # -var region=eu-west-3
VIRGINIA = CASE / "plan-us-east-1.json"  # -var region=us-east-1, same addresses
ADDRESS = "aws_s3_bucket.records"


def _run(capsys, *extra):
    code = main(["scan", str(PARIS), str(VIRGINIA), "--pack", "hds", "--as-of", AS_OF.isoformat(), "--no-cache", *extra])
    return code, capsys.readouterr().out


def test_json_keeps_both_resources_with_their_own_host(capsys):
    code, out = _run(capsys, "--format", "json")
    report = json.loads(out)
    assert code == 1
    hosts = {(r["input"], r["address"]): (r["placement"]["region"], r["placement"]["country"]) for r in report["resources"]}
    assert hosts == {(str(PARIS), ADDRESS): ("eu-west-3", "FR"), (str(VIRGINIA), ADDRESS): ("us-east-1", "US")}
    eea = {f["input"]: (f["status"], f["blocking"]) for f in report["findings"] if f["policy_id"] == "SOV-HDS-002"}
    assert eea == {str(PARIS): ("pass", False), str(VIRGINIA): ("fail", True)}


def test_sarif_fingerprints_and_inputs_differ(capsys):
    _, out = _run(capsys, "--format", "sarif")
    results = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "SOV-HDS-002"]
    assert len(results) == 1  # only the failing one is a result
    [only] = results
    assert only["properties"]["input"].endswith("plan-us-east-1.json")
    assert "us-east-1" in only["message"]["text"]
    _, out = _run(capsys, "--format", "sarif", "--pack", "extraterritorial")
    ext = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "SOV-EXT-001"]
    prints = {r["partialFingerprints"]["sovpolicy/policyAddress/v1"] for r in ext}
    assert len(ext) == 2 and len(prints) == 2


def test_text_groups_each_input_apart(capsys):
    _, out = _run(capsys)
    virginia = out.split(f"BLOCKING {ADDRESS} (health, personal, sensitive) [{VIRGINIA}]")[1].split("\n\n")[0]
    assert "region aws us-east-1" in virginia and "FAIL (blocking)    SOV-HDS-002" in virginia
    paris = out.split(f"BLOCKING {ADDRESS} (health, personal, sensitive) [{PARIS}]")[1].split("\n\n")[0]
    assert "region aws eu-west-3" in paris and "PASS               SOV-HDS-002" in paris


def test_explain_asks_which_input(capsys):
    code = main(["explain", ADDRESS, "--plan", str(PARIS), "--plan", str(VIRGINIA), "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2 and "is in 2 inputs" in err and "--input" in err
    code = main(["explain", ADDRESS, "--plan", str(PARIS), "--plan", str(VIRGINIA), "--input", str(VIRGINIA),
                 "--no-cache", "--as-of", AS_OF.isoformat()])
    out = capsys.readouterr().out
    assert code == 0 and "region aws us-east-1" in out and "eu-west-3" not in out
