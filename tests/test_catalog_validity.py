"""Certificate dates: derived expiries (labelled), referential transitions, catalog check warnings."""

from __future__ import annotations

import datetime as dt

import pytest

from sovpolicy.catalog import resolve_host
from sovpolicy.catalog.check import certificate_warnings
from sovpolicy.catalog.schemes import add_years, derive_expiry
from sovpolicy.cli import main
from sovpolicy.model import Classification, Origin, Placement, Resource, SourceKind, Status
from sovpolicy.policy import evaluate, load_packs

D = dt.date


def test_add_years_keeps_the_day_and_handles_29_february():
    assert add_years(D(2025, 12, 17), 3) == D(2028, 12, 17)
    assert add_years(D(2024, 2, 29), 3) == D(2027, 2, 28)


def test_derived_expiry_from_since_follows_renewal_cycles():
    assert derive_expiry(D(2025, 12, 17), D(2025, 12, 24), 3) == (D(2028, 12, 16), "derived: 3-year validity from 2025-12-17")
    end, basis = derive_expiry(D(2018, 11, 1), D(2024, 11, 19), 3)  # first award 2018, still current in 2024: renewed twice
    assert end == D(2027, 10, 31) and "renewed 2 times by 2024-11-19" in basis


def test_derived_expiry_without_since_is_the_latest_possible_end():
    end, basis = derive_expiry(None, D(2026, 1, 1), 3)
    assert end == D(2028, 12, 31) and "latest possible end" in basis and "2026-01-01" in basis


def test_builtin_dates(catalog):
    certs = {c.id: c for c in catalog.certifications}
    s3ns = certs["snc-s3ns-premi3ns"]
    assert (s3ns.since, s3ns.expires, s3ns.expiry_basis) == (D(2025, 12, 17), D(2028, 12, 16), "derived: 3-year validity from 2025-12-17")
    aws18 = certs["hds-aws-2018"]
    assert (aws18.since, aws18.referential, aws18.transition_ends, aws18.superseded_by) == (D(2025, 1, 13), "2018", D(2026, 5, 16), "2024")
    assert len(aws18.regions) == 24 and {"eu-west-3", "us-east-1", "eu-west-2", "eu-central-2"} <= set(aws18.regions)
    assert certs["hds-aws"].regions == aws18.regions and certs["hds-aws"].referential == "2024"
    assert certs["hds-microsoft"].transition_ends == D(2026, 5, 16)
    assert certs["hds-ovhcloud"].conditions == ("ovh-hds-option",) and certs["hds-ovhcloud"].referential == "2018"
    # in-progress or not-qualified entries get no expiry: they never satisfy anything
    assert certs["snc-bleu"].expires is None and certs["snc-aws-direct"].expires is None


def test_no_certificate_in_the_catalog_lacks_a_date(catalog):
    # The rule of issue 13: every certified or qualified entry, whatever its scheme, has a given or
    # derived expiry, and every derived one says so.
    undated = [c.id for c in catalog.certifications if c.satisfies and c.expires is None]
    assert undated == []
    derived = [c for c in catalog.certifications if c.expiry_basis]
    assert derived and all(c.expiry_basis.startswith("derived: ") for c in derived)
    # ... because every scheme a certificate uses has a sourced validity period
    used = {c.scheme for c in catalog.certifications if c.satisfies}
    assert {s: catalog.schemes[s].validity_years for s in sorted(used)} == {
        "c5": 1, "ens": 2, "hds": 3, "iso27001": 3, "secnumcloud": 3}
    assert all(catalog.schemes[s].source.url.startswith("https://") for s in used)
    assert not [w for w in certificate_warnings(catalog, D(2026, 12, 2)) if "has no date" in w]


def test_c5_and_iso_dates_are_derived_from_their_sources(catalog):
    certs = {c.id: c for c in catalog.certifications}
    assert (certs["iso27001-ovhcloud-vmware"].expires, certs["c5-ovhcloud-vmware"].expires) == (D(2027, 5, 20), D(2025, 5, 20))
    assert certs["c5-aws"].expires == D(2025, 12, 31) and "1-year" in certs["c5-aws"].expiry_basis
    text = "\n".join(certificate_warnings(catalog, D(2026, 12, 2)))
    assert "c5-aws (c5, AWS services (scope not read)) is past its derived end, 2025-12-31" in text
    assert "iso27001-ovhcloud-vmware" in text and "expiry 2027-05-20 is derived" in text


def _health(cloud, region, rtype):
    return Resource(f"{rtype}.x", rtype, SourceKind.PLAN, Placement(cloud, region, Origin.PROVIDER),
                    classifications=(Classification("health", "tag"), Classification("sensitive", "tag")))


def _verdict(catalog, policy_id, cloud, region, rtype, day):
    res = _health(cloud, region, rtype)
    pol = next(p for p in load_packs(["hds", "secnumcloud"]) if p.id == policy_id)
    return evaluate(pol, res, resolve_host(catalog, res.placement, rtype), catalog, day)


def test_2018_referential_counts_during_the_transition_and_is_unknown_after(catalog):
    before = _verdict(catalog, "SOV-HDS-001", "azure", "francecentral", "azurerm_storage_account", D(2026, 5, 16))
    assert before.status is Status.PASS
    after = _verdict(catalog, "SOV-HDS-001", "azure", "francecentral", "azurerm_storage_account", D(2026, 5, 17))
    assert after.status is Status.UNKNOWN
    assert "2018 hds referential, whose transition to the 2024 one ended on 2026-05-16" in after.reasons[-1].text


def test_a_passed_derived_expiry_is_unknown_not_fail(catalog):
    # Outscale's SecNumCloud 3.2 qualification (around December 2023): derived end 2026-11-30, no renewal sourced
    on_day = _verdict(catalog, "SOV-SNC-001", "outscale", "cloudgouv-eu-west-1", "outscale_vm", D(2026, 11, 30))
    assert on_day.status is Status.PASS and "(derived)" in on_day.reasons[-1].text
    after = _verdict(catalog, "SOV-SNC-001", "outscale", "cloudgouv-eu-west-1", "outscale_vm", D(2026, 12, 1))
    assert after.status is Status.UNKNOWN and "2026-11-30" in after.reasons[-1].text and "renewal" in after.reasons[-1].text


@pytest.mark.parametrize(("day", "expected"), [(D(2026, 11, 30), "pass"), (D(2028, 12, 16), "pass"), (D(2028, 12, 17), "unknown")])
def test_s3ns_qualification_holds_for_three_years(catalog, day, expected):
    assert _verdict(catalog, "SOV-SNC-001", "s3ns", "u-france-east1", "google_storage_bucket", day).status.value == expected


def test_catalog_check_warns_on_derived_near_expiry_and_past_transition(catalog, capsys):
    lines = certificate_warnings(catalog, D(2026, 12, 2), 90)
    text = "\n".join(lines)
    assert "hds-microsoft" in text and "transition to 2024 ended on 2026-05-16" in text
    assert ("snc-outscale-iaas (secnumcloud, OUTSCALE IaaS (TINA OS, AWS-compatible APIs)) is past its derived end, 2026-11-30 "
            "(derived: 3-year validity from 2023-12-01): no source shows it current") in text
    assert "ens-aws" in text and "expires on 2026-12-31, in 29 days" in text
    assert "snc-s3ns-premi3ns" in text and "is derived: 3-year validity from 2025-12-17" in text
    assert not [line for line in lines if "snc-bleu" in line]  # in progress: nothing to warn about
    assert main(["catalog", "check", "--as-of", "2026-12-02"]) == 0
    captured = capsys.readouterr()
    assert f"; {len(lines)} warnings" in captured.out and "warning: certification hds-aws-2018" in captured.err


def _ovh_project(tmp_path, confirmed: bool):
    cat = tmp_path / "cat"
    cat.mkdir(exist_ok=True)
    from sovpolicy.catalog.load import DATA_DIR

    text = (DATA_DIR / "certifications.yaml").read_text()
    start = text.index("  - id: hds-ovhcloud\n")
    entry = text[start:text.index("  - id: ", start + 10)]
    entry = (entry.replace('    referential: "2018"\n', '    referential: "2024"\n')
             .replace("    regions: []\n    regions_unlisted: true\n", "    regions: [GRA7]\n"))
    (cat / "certifications.yaml").write_text("schema_version: 1\ncertifications:\n" + entry)
    (tmp_path / "main.tf").write_text('terraform {\n  required_providers {\n    ovh = { source = "ovh/ovh" }\n  }\n}\n'
                                      'resource "ovh_cloud_project_instance" "ehr" {\n  region = "GRA7"\n'
                                      '  service_name = "p"\n  tags = { data_classification = "health" }\n}\n')
    (tmp_path / ".sovpolicy.yaml").write_text("catalog: [./cat]\n" + ("confirmed: [ovh-hds-option]\n" if confirmed else ""))


@pytest.mark.parametrize(("confirmed", "expected"), [(False, "unknown"), (True, "pass")])
def test_a_scope_condition_counts_only_once_the_project_confirms_it(tmp_path, capsys, confirmed, expected):
    import json

    _ovh_project(tmp_path, confirmed)
    main(["scan", str(tmp_path), "--no-cache", "--pack", "hds", "--format", "json", "--as-of", "2026-12-02"])
    report = json.loads(capsys.readouterr().out)
    hds = next(f for f in report["findings"] if f["policy_id"] == "SOV-HDS-001")
    assert hds["status"] == expected
    if not confirmed:
        assert any("covers it only if the OVHcloud Public Cloud project has the HDS option enabled and a Business or "
                   "Enterprise support level" in r["text"] and "`confirmed: [ovh-hds-option]`" in r["text"] for r in report["chains"][hds["chain"]])


def test_an_unknown_confirmed_condition_is_a_configuration_error(tmp_path, capsys):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    (tmp_path / ".sovpolicy.yaml").write_text("confirmed: [hds-everywhere]\n")
    assert main(["scan", str(tmp_path), "--no-cache"]) == 2
    assert "unknown scope condition 'hds-everywhere'" in capsys.readouterr().err
