"""Waivers: config and inline, expiry (dates injected), hard-mandatory, unused."""

from __future__ import annotations

import datetime as dt
import json
import shutil

from conftest import EXAMPLE_PLAN

from sovpolicy.cli import main
from sovpolicy.model import Waiver

DAY = "2026-11-30"


def scan_json(capsys, *argv):
    code = main(["scan", *argv, "--format", "json", "--as-of", DAY])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err


def config(tmp_path, body):
    cfg = tmp_path / ".sovpolicy.yaml"
    cfg.write_text(body)
    return cfg


WAIVE_EXT = """waivers:
  - policy: SOV-EXT-001
    address: {address}
    reason: CNIL authorisation for the analytics warehouse
    expires: {expires}
    approved_by: DPO
    decision: CNIL 2023-146
"""


def finding(report, policy, address):
    return next(f for f in report["findings"] if f["policy_id"] == policy and f["address"] == address)


def test_waiver_expiring_tomorrow_waives_and_warns(tmp_path, capsys):
    cfg = config(tmp_path, WAIVE_EXT.format(address="aws_s3_bucket.patient_records", expires="2026-12-01"))
    _, report, _ = scan_json(capsys, str(EXAMPLE_PLAN), "--config", str(cfg))
    f = finding(report, "SOV-EXT-001", "aws_s3_bucket.patient_records")
    assert (f["status"], f["blocking"]) == ("waived", False)
    assert f["waiver"]["decision"] == "CNIL 2023-146" and f["waiver"]["expires"] == "2026-12-01"
    assert any("expires in 1 days" in w for w in report["warnings"])
    assert report["summary"]["waived"] == 1


def test_waiver_expired_yesterday_fails_and_says_so(tmp_path, capsys):
    cfg = config(tmp_path, WAIVE_EXT.format(address="aws_s3_bucket.patient_records", expires="2026-11-29"))
    _, report, _ = scan_json(capsys, str(EXAMPLE_PLAN), "--config", str(cfg))
    f = finding(report, "SOV-EXT-001", "aws_s3_bucket.patient_records")
    assert (f["status"], f["blocking"]) == ("fail", True)
    assert "it expired on 2026-11-29" in report["chains"][f["chain"]][-1]["text"]


def test_glob_waiver_and_hard_mandatory_rejection(tmp_path, capsys):
    cfg = config(tmp_path, WAIVE_EXT.format(address="module.archive.*", expires="2027-06-30") + """  - policy: SOV-HDS-002
    address: aws_s3_bucket.analytics_exports
    reason: trying to waive a hard-mandatory policy
    expires: 2027-06-30
""")
    _, report, _ = scan_json(capsys, str(EXAMPLE_PLAN), "--config", str(cfg))
    assert finding(report, "SOV-EXT-001", "module.archive.aws_s3_bucket.this")["status"] == "waived"
    hds = finding(report, "SOV-HDS-002", "aws_s3_bucket.analytics_exports")
    assert (hds["status"], hds["blocking"]) == ("fail", True)
    assert any("SOV-HDS-002 is hard-mandatory and cannot be waived" in w for w in report["warnings"])


def test_unused_waiver_is_reported(tmp_path, capsys):
    cfg = config(tmp_path, WAIVE_EXT.format(address="aws_s3_bucket.does_not_exist", expires="2027-06-30"))
    _, report, _ = scan_json(capsys, str(EXAMPLE_PLAN), "--config", str(cfg))
    assert any("aws_s3_bucket.does_not_exist matches no finding" in w for w in report["warnings"])


def test_waiver_without_reason_is_a_config_error(tmp_path, capsys):
    cfg = config(tmp_path, "waivers:\n  - {policy: SOV-EXT-001, address: x.y, expires: 2027-01-01}\n")
    code, _, err = scan_json(capsys, str(EXAMPLE_PLAN), "--config", str(cfg))
    assert code == 2 and f"{cfg}:2" in err and "'reason' is a required property" in err


def test_decision_end_date_limits_the_waiver():
    w = Waiver("SOV-EXT-001", "a.b", "r", dt.date(2027, 1, 1), "x:1", decision="CNIL 2023-146",
               decision_expires=dt.date(2026, 12, 21))
    assert w.end() == dt.date(2026, 12, 21)


def test_inline_waiver_next_to_a_plan_applies(tmp_path, capsys):
    work = tmp_path / "hospital"
    shutil.copytree(EXAMPLE_PLAN.parent, work)
    main_tf = work / "main.tf"
    text = main_tf.read_text()
    marker = 'resource "aws_s3_bucket" "patient_records" {'
    assert marker in text
    main_tf.write_text(text.replace(marker, '# sovpolicy:waive SOV-EXT-001 expires=2027-03-31 reason="migration to a SecNumCloud host under way"\n' + marker))
    archive = work / "modules" / "archive" / "main.tf"
    atext = archive.read_text()
    amarker = 'resource "aws_s3_bucket" "this" {'
    assert amarker in atext
    archive.write_text(atext.replace(amarker, '# sovpolicy:waive SOV-EXT-001 expires=2027-03-31 reason="archive moves with the rest"\n' + amarker))
    _, report, _ = scan_json(capsys, str(work / "plan.json"))
    assert finding(report, "SOV-EXT-001", "aws_s3_bucket.patient_records")["status"] == "waived"
    assert finding(report, "SOV-EXT-001", "module.archive.aws_s3_bucket.this")["status"] == "waived"
    assert finding(report, "SOV-EXT-001", "aws_db_instance.ehr")["status"] == "fail"
    assert finding(report, "SOV-EXT-001", "aws_s3_bucket.patient_records")["waiver"]["origin"].endswith("main.tf:" + str(text[:text.index(marker)].count("\n") + 1))


def test_a_waiver_covering_a_resource_and_its_flows_warns_once(tmp_path, capsys):
    from conftest import FIXTURES

    cfg = config(tmp_path, WAIVE_EXT.format(address="aws_s3_bucket.records", expires="2026-12-21"))
    _, report, _ = scan_json(capsys, str(FIXTURES / "plans" / "s3-replication" / "plan.json"), "--config", str(cfg))
    waived = [f for f in report["findings"] if f["policy_id"] == "SOV-EXT-001" and f["address"] == "aws_s3_bucket.records"]
    assert len(waived) >= 2 and {f["status"] for f in waived} == {"waived"}  # the resource and its copies
    expiring = [w for w in report["warnings"] if "expires in 20 days (2026-12-20, when decision CNIL 2023-146 ends)" in w]
    assert len(expiring) == 1
