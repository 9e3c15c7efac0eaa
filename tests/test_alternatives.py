"""Qualified alternatives: the catalog hosts that would satisfy every policy that blocked a
resource (and every other one it was judged by), for the same kind of service, nearest
first, with their certificates, dates and sources; and the plain answer when none does."""

from __future__ import annotations

import datetime as dt
import json
import shutil

from conftest import EXAMPLE_PLAN

from sovpolicy.alternatives import Finder, report_lines
from sovpolicy.catalog import load_catalog
from sovpolicy.catalog.load import DATA_DIR
from sovpolicy.cli import main
from sovpolicy.policy import load_packs

DAY = dt.date(2026, 12, 2)
AS_OF = ["--as-of", "2026-12-02"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _find(catalog, rtype, packs, classes=("health",), near="FR"):
    return Finder(catalog, DAY).find(rtype, None, classes, load_packs(packs), near)


def test_secnumcloud_object_storage_is_s3ns_only_with_its_dated_source(catalog):
    alts = _find(catalog, "aws_s3_bucket", ["secnumcloud"])
    good = [a for a in alts if a.qualified]
    assert [(a.cloud, a.region, a.type, a.service) for a in good] == [("s3ns", "u-france-east1", "google_storage_bucket", "object storage")]
    (cert,) = good[0].certifications
    assert (cert.id, cert.since, cert.expires, cert.expiry_basis) == (
        "snc-s3ns-premi3ns", dt.date(2025, 12, 17), dt.date(2028, 12, 16), "derived: 3-year validity from 2025-12-17")
    assert cert.source.url.startswith("https://www.generation-nt.com/")


def test_hds_and_secnumcloud_together_list_only_hosts_holding_both(catalog):
    # On the sourced facts no host is shown to hold both for object storage (the EMC2 answer) ...
    assert not [a for a in _find(catalog, "aws_s3_bucket", ["hds", "secnumcloud"]) if a.qualified]
    # ... and for VMs Cloud Temple holds both, but its HDS referential is not sourced: unconfirmed, with why.
    vm = _find(catalog, "aws_instance", ["hds", "secnumcloud"])
    assert not [a for a in vm if a.qualified]
    ct = next(a for a in vm if a.cloud == "cloudtemple")
    assert ct.unconfirmed == ("SOV-HDS-003: IaaS/PaaS hosting and backup (activities 2, 3, 4, 6) and outsourced operation "
                              "(activity 5) (hds-cloudtemple) does not say which hds referential it is on (not sourced), "
                              "so it cannot show the 2024 one",)


KINDS = ["aws_s3_bucket", "aws_db_instance", "aws_instance", "aws_eks_cluster"]


def _holds_both(alt):
    held = {c.scheme for c in alt.certifications if c.satisfies and c.expires is not None and c.expires >= DAY}
    return {"hds", "secnumcloud"} <= held and all(c.source.url.startswith("https://") for c in alt.certifications)


def test_hds_and_secnumcloud_qualified_hosts_hold_both_for_every_kind(catalog):
    # On the built-in catalog no host qualifies for any kind (asserted above for two kinds); whatever
    # a catalog says, a host listed as qualified holds both, each certificate with its source.
    for rtype in KINDS:
        alts = _find(catalog, rtype, ["hds", "secnumcloud"])
        assert all(_holds_both(a) for a in alts if a.qualified), rtype
        assert not [a for a in alts if a.qualified]


def _override(tmp_path, cert_id, old, new):
    extra = tmp_path / "extra"
    extra.mkdir(exist_ok=True)
    text = (DATA_DIR / "certifications.yaml").read_text()
    start = text.index(f"  - id: {cert_id}\n")
    end = text.index("  - id: ", start + 10)
    entry = text[start:end]
    assert old in entry
    (extra / "certifications.yaml").write_text("schema_version: 1\ncertifications:\n" + entry.replace(old, new))
    return extra


def test_once_numspot_secnumcloud_is_sourced_it_qualifies_for_every_kind_it_offers(tmp_path, capsys):
    # A reviewer who finds NumSpot on the ANSSI list turns its entry to qualified: NumSpot then
    # holds both (HDS on the 2024 referential by its own page), for each kind of service its
    # provider documents, and the command cites both sources.
    extra = _override(tmp_path, "snc-numspot", "    status: reported_unverified\n", "    status: qualified\n")
    cat = load_catalog([extra])
    got = {}
    for rtype in KINDS:
        good = [a for a in _find(cat, rtype, ["hds", "secnumcloud"]) if a.qualified]
        assert all(_holds_both(a) for a in good)
        got[rtype] = [(a.cloud, a.type) for a in good]
    assert got == {"aws_s3_bucket": [("numspot", "numspot_bucket")], "aws_db_instance": [("numspot", "numspot_postgres_cluster")],
                   "aws_instance": [("numspot", "numspot_vm")], "aws_eks_cluster": [("numspot", "numspot_kubernetes_cluster")]}
    code, out, _ = run(capsys, "alternatives", "--catalog", str(extra), "--pack", "hds", "--pack", "secnumcloud",
                       "--type", "aws_db_instance", *AS_OF)
    assert code == 0 and "managed database: 1 qualified host, nearest first:" in out
    assert "numspot fr (FR), NumSpot SAS, numspot_postgres_cluster: " in out
    assert "      source: NumSpot certification page: HDS (https://numspot.com/" in out
    assert "      source: LeMagIT article on NumSpot and SecNumCloud physical security (https://www.lemagit.fr/" in out


def test_the_examples_paris_database_and_buckets_could_go_to_numspot(catalog, capsys):
    # hds + extraterritorial (the example's packs): the only catalog host with HDS on the 2024
    # referential and no non-EU law above it that offers a managed database and object storage.
    for rtype, etype in [("aws_db_instance", "numspot_postgres_cluster"), ("aws_s3_bucket", "numspot_bucket")]:
        good = [a for a in _find(catalog, rtype, ["hds", "extraterritorial"]) if a.qualified]
        assert [(a.cloud, a.region, a.type) for a in good] == [("numspot", "fr", etype)]
        (cert,) = good[0].certifications
        assert (cert.id, cert.referential, cert.expires) == ("hds-numspot", "2024", dt.date(2027, 5, 15))
    _, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), *AS_OF)
    block = out[out.index("BLOCKING aws_db_instance.ehr"):out.index("BLOCKING aws_s3_bucket.analytics_exports")]
    assert "    numspot fr (FR), NumSpot SAS, numspot_postgres_cluster: hds certified: NumSpot cloud services platform" in block


def test_a_catalog_override_that_sources_the_referential_makes_cloud_temple_qualify(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    text = (DATA_DIR / "certifications.yaml").read_text()
    start = text.index("  - id: hds-cloudtemple\n")
    end = text.index("  - id: ", start + 10)
    entry = text[start:end].replace("    referential: null\n", '    referential: "2024"\n')
    (extra / "certifications.yaml").write_text("schema_version: 1\ncertifications:\n" + entry)
    cat = load_catalog([extra])
    good = [a for a in _find(cat, "aws_instance", ["hds", "secnumcloud"]) if a.qualified]
    assert [(a.cloud, a.region) for a in good] == [("cloudtemple", "fr")]
    schemes = {c.scheme for c in good[0].certifications}
    assert schemes == {"hds", "secnumcloud"} and all(c.source.url.startswith("https://") for c in good[0].certifications)


def test_nearest_first_same_country_then_eea(catalog):
    alts = [a for a in _find(catalog, "aws_s3_bucket", ["hds"]) if a.qualified]
    # France first (the resource's own cloud first), then the rest of the EEA
    assert [(a.cloud, a.region) for a in alts][:3] == [("aws", "eu-west-3"), ("numspot", "fr"), ("aws", "eu-central-1")]
    assert [a.nearness for a in alts] == sorted(a.nearness for a in alts)
    assert all(a.host.eea for a in alts)  # the 2024 referential keeps health data in the EEA: London and Zurich are out
    assert not {("aws", "eu-west-2"), ("aws", "eu-central-2"), ("aws", "us-east-1")} & {(a.cloud, a.region) for a in alts}


def test_report_lines_say_when_nothing_qualifies(catalog):
    (line, certs), = report_lines(_find(catalog, "aws_s3_bucket", ["hds", "secnumcloud"]))
    assert line.startswith("alternatives: no host in the catalog is shown to satisfy every policy that blocked it") and certs == ()


def test_cli_answers_without_a_scan(capsys):
    code, out, _ = run(capsys, "alternatives", "--pack", "secnumcloud", "--type", "aws_s3_bucket", *AS_OF)
    assert code == 0
    assert "policies asked: SOV-SNC-001, SOV-SNC-002" in out
    assert "object storage: 1 qualified host, nearest first:" in out
    assert "s3ns u-france-east1 (FR), S3NS, google_storage_bucket: secnumcloud qualified: PREMI3NS" in out
    assert "source: Generation-NT article on S3NS obtaining the ANSSI SecNumCloud qualification" in out
    code, out, _ = run(capsys, "alternatives", "--pack", "hds", "--pack", "secnumcloud", "--type", "aws_s3_bucket", *AS_OF)
    assert "object storage: no host in the catalog qualifies: none is shown to satisfy every policy asked" in out


def test_scan_reports_list_alternatives_for_blocking_resources(capsys):
    code, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--pack", "secnumcloud", "--format", "json", *AS_OF)
    report = json.loads(out)
    assert code == 1 and report["schema_version"] == "2.0" and len(report["catalog"]["digest"]) == 64
    records = next(r for r in report["resources"] if r["address"] == "aws_s3_bucket.patient_records")
    (alt,) = records["alternatives"]  # the qualified ones; the unconfirmed are counted
    assert records["alternatives_unconfirmed"] == 0
    assert (alt["cloud"], alt["region"], alt["type"], alt["country"]) == ("s3ns", "u-france-east1", "google_storage_bucket", "FR")
    assert alt["certifications"][0]["id"] == "snc-s3ns-premi3ns" and alt["certifications"][0]["expiry_derived"]
    logs = next(r for r in report["resources"] if r["address"] == "aws_cloudwatch_log_group.app")
    assert logs["alternatives"] == []  # nothing blocks it
    _, text, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--pack", "secnumcloud", *AS_OF)
    block = text.split("BLOCKING aws_s3_bucket.patient_records")[1].split("\n\n")[0]
    assert "  alternatives (catalog hosts where every policy that blocked it passes, nearest first):" in block
    assert "    s3ns u-france-east1 (FR), S3NS, google_storage_bucket: secnumcloud qualified" in block
    _, md, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--pack", "secnumcloud", "--format", "markdown", *AS_OF)
    assert "- s3ns u-france-east1 (FR), S3NS, google_storage_bucket: secnumcloud qualified" in md


def test_explain_lists_alternatives(capsys):
    code, out, _ = run(capsys, "explain", "aws_s3_bucket.patient_records", "--plan", str(EXAMPLE_PLAN), "--pack", "secnumcloud", *AS_OF)
    assert code == 0
    assert "alternatives (catalog hosts where every policy that blocked it passes, nearest first):" in out
    assert "s3ns u-france-east1 (FR), S3NS, google_storage_bucket" in out


def test_alternatives_of_a_copied_catalog_are_the_same(tmp_path, catalog):
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    assert load_catalog([copy]).digest != catalog.digest  # an overlay is part of the content


def test_one_finder_orders_the_same_places_by_each_reference_country(catalog):
    # The places are judged once per (type, classes, policies); each country asked orders them anew.
    finder = Finder(catalog, DAY)
    packs = load_packs(["hds"])
    from_fr = finder.find("aws_s3_bucket", "aws", ["health"], packs, "FR")
    from_de = finder.find("aws_s3_bucket", "aws", ["health"], packs, "DE")
    assert sorted((a.cloud, a.region) for a in from_fr) == sorted((a.cloud, a.region) for a in from_de)
    good_fr = [a for a in from_fr if a.qualified]
    good_de = [a for a in from_de if a.qualified]
    assert good_fr[0].host.country == "FR" and good_fr[0].nearness == 0
    assert good_de[0].host.country == "DE" and good_de[0].nearness == 0
    assert {a.nearness for a in good_fr if a.host.country == "DE"} == {1}
    # the same answer as a finder of its own gives
    assert from_de == Finder(catalog, DAY).find("aws_s3_bucket", "aws", ["health"], packs, "DE")
