"""Data classes as a hierarchy held as catalog data: health implies personal and sensitive,
so the secnumcloud and eea-residency packs judge health data; a pack that applies to no
resource says so in every report."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLE_PLAN

from sovpolicy.catalog import load_catalog
from sovpolicy.catalog.legal import build_implications
from sovpolicy.classify import Classifier
from sovpolicy.cli import main
from sovpolicy.config import Config
from sovpolicy.errors import CatalogError
from sovpolicy.model import Origin, Placement, Resource, SourceKind

AS_OF = ["--as-of", "2026-11-30"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_health_implies_personal_and_sensitive_with_their_sources(catalog):
    links = {i.child: i for i in catalog.implications["health"]}
    assert set(links) == {"personal", "sensitive"}
    assert "GDPR art. 9" in links["personal"].why and links["personal"].source.url == "https://eur-lex.europa.eu/eli/reg/2016/679/oj"
    assert "cloud au centre" in links["sensitive"].why
    assert catalog.implications["sensitive"] == () and catalog.implications["personal"] == ()


def test_classifier_adds_implied_classes_with_the_reason_chain(catalog):
    res = Resource("aws_s3_bucket.x", "aws_s3_bucket", SourceKind.PLAN, Placement("aws", "eu-west-3", Origin.PROVIDER),
                   tags={"data_classification": "health"})
    (out,) = Classifier(Config(), catalog.implications).classify_all([res])
    assert [c.data_class for c in out.classifications] == ["health", "personal", "sensitive"]
    assert out.classifications[1].reason.startswith("implied by health (tag data_classification=health): data concerning health")
    # without the catalog's implications, nothing is added
    (bare,) = Classifier(Config()).classify_all([res])
    assert bare.data_classes == {"health"}


def test_a_cycle_of_implications_is_a_catalog_error(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "classes.yaml").write_text(
        "schema_version: 1\nclasses:\n"
        "  - {id: personal, name: p, implies: [{class: health, why: loop, source: gdpr, as_of: 2016-05-04}], source: gdpr, as_of: 2016-05-04}\n")
    with pytest.raises(CatalogError, match="implies itself"):
        load_catalog([extra])


def test_build_implications_accepts_a_chain():
    raw = {"a": (None, {"_where": "w", "implies": [{"class": "b", "why": "x", "source": "s", "as_of": "2020-01-01"}]}),
           "b": (None, {"_where": "w", "implies": [{"class": "c", "why": "y", "source": "s", "as_of": "2020-01-01"}]})}
    got = build_implications(raw, lambda item, where: None)  # type: ignore[arg-type,return-value]
    assert [i.child for i in got["a"]] == ["b"] and [i.child for i in got["b"]] == ["c"]


def test_secnumcloud_pack_judges_health_data(capsys):
    code, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--pack", "secnumcloud", "--format", "json", *AS_OF)
    report = json.loads(out)
    snc = [f for f in report["findings"] if f["policy_id"] == "SOV-SNC-001"]
    assert {f["address"] for f in snc} == {"aws_s3_bucket.patient_records", "aws_db_instance.ehr",
                                           "aws_s3_bucket.analytics_exports", "module.archive.aws_s3_bucket.this"}
    assert all(f["status"] == "fail" and f["blocking"] for f in snc) and code == 1
    ehr = next(r for r in report["resources"] if r["address"] == "aws_db_instance.ehr")
    assert [c["class"] for c in ehr["classified_by"]] == ["health", "personal", "sensitive"]
    assert not [n for n in report["notes"] if n.startswith("pack ")]


def test_a_pack_that_applies_to_nothing_says_so_in_every_report(capsys, tmp_path):
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = "eu-west-3"\n}\nresource "aws_s3_bucket" "logs" {}\n')
    note = ("pack secnumcloud applies to no resource of this scan: its policies target sensitive data, "
            "which no resource holds")
    code, out, _ = run(capsys, "scan", str(tmp_path), "--no-cache", "--pack", "secnumcloud", "--pack", "hds", "--format", "json", *AS_OF)
    notes = json.loads(out)["notes"]
    assert code == 0 and note in notes and "pack hds applies to no resource of this scan: its policies target health data, which no resource holds" in notes
    for fmt in ("text", "markdown", "sarif", "junit", "github"):
        _, out, _ = run(capsys, "scan", str(tmp_path), "--no-cache", "--pack", "secnumcloud", "--format", fmt, *AS_OF)
        assert "pack secnumcloud applies to no resource of this scan" in out, fmt
