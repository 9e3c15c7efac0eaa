"""catalog show (every fact with scope, status, dates and source, filtered), catalog diff
(what changed and which verdicts it moves), the catalog digest, and decisions as data
that waivers cite by id."""

from __future__ import annotations

import datetime as dt
import json
import shutil

from conftest import EXAMPLE_PLAN

from sovpolicy.catalog.load import DATA_DIR
from sovpolicy.cli import main
from sovpolicy.decisions import bind_decisions, decision_key
from sovpolicy.model import Waiver

AS_OF = ["--as-of", "2026-12-02"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_filters_by_cloud_scheme_and_region(capsys):
    code, out, _ = run(capsys, "catalog", "show", "--scheme", "secnumcloud", "--region", "u-france-east1")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("catalog 2026.12.02.2 (as of 2026-12-02, sha256 ")
    assert [line.split(" [")[0] for line in lines[1:]] == ["certification snc-s3ns-premi3ns"]
    assert ("qualified: secnumcloud qualified: PREMI3NS (Cloud de Confiance by S3NS): Google Cloud services run by S3NS "
            "(snc-s3ns-premi3ns), since 2025-12-17, until 2028-12-16 (derived); referential 3.2; expiry derived: "
            "3-year validity from 2025-12-17; holder s3ns") in lines[1]
    assert "[source: Generation-NT article" in lines[1] and "as of 2025-12-24]" in lines[1]
    _, out, _ = run(capsys, "catalog", "show", "--cloud", "outscale", "--region", "cloudgouv-eu-west-1")
    kinds = [line.split(" ")[0] for line in out.splitlines()[1:]]
    assert kinds == ["region", "certification", "certification"]  # the region, SecNumCloud, HDS (regions not named)
    assert "region outscale/cloudgouv-eu-west-1 [outscale: cloudgouv-eu-west-1] FR:" in out
    _, out, _ = run(capsys, "catalog", "show")
    assert "decision cnil-2023-146 ends 2026-12-20:" in out and "class health->personal implies:" in out
    assert "scheme hds 3 years: HDS" in out and "entity amazon-web-services parent_chain: Amazon Web Services EMEA SARL (LU)" in out


def test_diff_lists_changed_facts_and_the_verdicts_they_move(capsys, tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(DATA_DIR, old)
    shutil.copytree(DATA_DIR, new)
    certs = (new / "certifications.yaml").read_text()
    old_entry = '    status: qualified\n    referential: "3.2"\n    since: 2025-12-17\n'
    assert old_entry in certs
    certs = certs.replace(old_entry, '    status: in_progress\n    referential: "3.2"\n    since: 2025-12-17\n')  # as if S3NS were not yet qualified
    (new / "certifications.yaml").write_text(certs)
    code, out, _ = run(capsys, "catalog", "diff", str(old), str(new), *AS_OF)
    assert code == 0
    assert ": 1 facts changed" in out.splitlines()[0]
    assert "~ certification snc-s3ns-premi3ns" in out
    assert "    was: certification snc-s3ns-premi3ns [s3ns: u-france-east1] qualified:" in out
    assert "    now: certification snc-s3ns-premi3ns [s3ns: u-france-east1] in_progress:" in out
    moved = out.split("verdicts that move (")[1]
    assert moved.startswith("4;")  # SOV-SNC-001 on S3NS for each of the four kinds of service
    assert "  SOV-SNC-001 s3ns u-france-east1 google_storage_bucket: pass -> fail" in moved


def test_diff_of_identical_catalogs_moves_nothing(capsys):
    code, out, _ = run(capsys, "catalog", "diff", str(DATA_DIR), str(DATA_DIR), *AS_OF)
    assert code == 0 and ": 0 facts changed" in out and "verdicts that move (0;" in out and "  none" in out


def test_diff_of_a_missing_directory_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, "catalog", "diff", str(DATA_DIR), str(tmp_path / "nope"))
    assert code == 2 and "catalog directory not found" in err and "nope" in err


def test_digest_is_in_every_report_and_the_evidence_bundle(capsys, tmp_path):
    _, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--format", "json", "--evidence", str(tmp_path / "ev"), *AS_OF)
    digest = json.loads(out)["catalog"]["digest"]
    assert len(digest) == 64
    assert json.loads((tmp_path / "ev" / "catalog.json").read_text())["digest"] == digest
    _, text, _ = run(capsys, "scan", str(EXAMPLE_PLAN), *AS_OF)
    assert f"sha256 {digest[:12]}" in text.splitlines()[0]
    _, md, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--format", "markdown", *AS_OF)
    assert f"sha256 {digest[:12]}" in md


def test_decision_ids_and_their_derived_end(catalog):
    d = catalog.decisions["cnil-2023-146"]
    assert (d.decided, d.ends) == (dt.date(2023, 12, 21), dt.date(2026, 12, 20))
    assert d.end_basis == "derived: 3 years from 2023-12-21, the earliest its start can be"
    assert d.source.url == "https://www.legifrance.gouv.fr/cnil/id/CNILTEXT000049057224"
    assert decision_key("CNIL 2023-146") == "cnil-2023-146"


def _waiver(**kw):
    base = dict(policy_id="SOV-EXT-001", address="azurerm_storage_account.emc2", reason="EMC2", expires=dt.date(2027, 6, 30),
                origin=".sovpolicy.yaml:3", decision="CNIL 2023-146")
    return Waiver(**{**base, **kw})


def test_a_waiver_citing_a_decision_cannot_outlive_it(catalog):
    (w,), warnings = bind_decisions([_waiver()], catalog.decisions)
    assert (w.decision, w.decision_expires, w.end()) == ("CNIL 2023-146", dt.date(2026, 12, 20), dt.date(2026, 12, 20))
    (line,) = warnings
    assert "cites decision cnil-2023-146 (CNIL deliberation 2023-146" in line and "it ends with the decision, not on 2027-06-30" in line
    (free,), none = bind_decisions([_waiver(decision="ARS 2026-042")], catalog.decisions)
    assert free.decision == "ARS 2026-042" and free.decision_expires is None and none == []


def test_emc2_example_waiver_names_the_decision_ahead_of_its_end(capsys, tmp_path):
    (tmp_path / "main.tf").write_text(
        'provider "azurerm" {\n  features {}\n}\n'
        'resource "azurerm_storage_account" "emc2" {\n  name = "emc2"\n  location = "France Central"\n'
        '  resource_group_name = "rg"\n  account_tier = "Standard"\n  account_replication_type = "LRS"\n'
        '  tags = { data_classification = "health" }\n}\n')
    (tmp_path / ".sovpolicy.yaml").write_text(
        "waivers:\n  - policy: SOV-EXT-001\n    address: azurerm_storage_account.emc2\n"
        "    reason: EMC2 authorised on Microsoft Azure\n    expires: 2027-01-31\n    approved_by: DPO\n"
        "    decision: cnil-2023-146\n")
    code, out, _ = run(capsys, "scan", str(tmp_path), "--no-cache", "--format", "json", *AS_OF)
    report = json.loads(out)
    ext = next(f for f in report["findings"] if f["policy_id"] == "SOV-EXT-001")
    assert ext["status"] == "waived" and ext["waiver"]["decision"] == "cnil-2023-146"
    assert ext["waiver"]["decision_expires"] == "2026-12-20"
    warnings = "\n".join(report["warnings"])
    assert "expires in 18 days (2026-12-20, when decision cnil-2023-146 ends)" in warnings
    assert "it ends with the decision, not on 2027-01-31" in warnings
    hds = next(f for f in report["findings"] if f["policy_id"] == "SOV-HDS-001")
    assert hds["status"] == "unknown" and hds["blocking"] and code == 1  # Microsoft's 2018-referential certificate
    code, out, _ = run(capsys, "scan", str(tmp_path), "--no-cache", "--format", "json", "--as-of", "2026-12-21")
    report = json.loads(out)
    ext = next(f for f in report["findings"] if f["policy_id"] == "SOV-EXT-001")
    assert ext["status"] == "fail" and any("its decision cnil-2023-146 ended on 2026-12-20" in r["text"]
                                           for r in report["chains"][ext["chain"]])
