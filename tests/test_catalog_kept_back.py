"""The placements kept back for issue 13 get, per pack, the verdict their sources support.

One health-data resource per placement in ``fixtures/plans/kept-back`` (a hand-written plan
and the configuration it stands for), scanned end to end, plan and source alike, on
2026-12-02 with the four shipped packs. A pack's verdict is its non-advisory policies'
worst: fail, else unknown, else pass (unknown blocks like fail). Each row names the catalog
entries (and so the sources) that give it; ``sovpolicy catalog show --cloud X`` prints them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import FIXTURES

from sovpolicy.config import load_config
from sovpolicy.pipeline import scan
from sovpolicy.policy import load_packs
from sovpolicy.sources.registry import file_sources

CASE = FIXTURES / "plans" / "kept-back"
DAY = dt.date(2026, 12, 2)
PACKS = ["hds", "secnumcloud", "extraterritorial", "eea-residency"]
#: per-policy order of the detail column
ORDER = ["SOV-HDS-001", "SOV-HDS-002", "SOV-HDS-003", "SOV-SNC-001", "SOV-SNC-002", "SOV-EXT-001", "SOV-EEA-001"]

# address, (cloud, region), pack verdicts (hds secnumcloud extraterritorial eea-residency),
# then every non-advisory policy in ORDER.
KEPT = [
    # AWS Paris. HDS: hds-aws (AWS compliance page: 2024-referential certificate) carries over the 24
    # regions of hds-aws-2018 (AWS Security Blog 2025-01-15, Paris among them); France is in the EEA.
    # SecNumCloud: snc-aws-direct (US control fails the non-EU-law criteria). Extraterritorial:
    # Amazon Web Services EMEA SARL's parent Amazon.com, Inc. is reached by the CLOUD Act and FISA 702.
    ("aws_s3_bucket.paris", ("aws", "eu-west-3"), "pass fail fail pass",
     "pass pass pass fail fail fail pass"),
    # AWS London: in AWS's HDS regions, but the United Kingdom is outside the EEA, where the 2024
    # referential requires health data to be stored (AWS compliance page; HDS order of 2024-04-26).
    ("aws_s3_bucket.london", ("aws", "eu-west-2"), "fail fail fail fail",
     "pass fail pass fail fail fail fail"),
    # AWS European Sovereign Cloud: resident in Germany, run by AWS European Sovereign Cloud GmbH,
    # whose first compliance milestone (AWS Security Blog 2026-03-10) has no HDS; US-owned, so no
    # SecNumCloud (snc-aws-esc) and the CLOUD Act reaches its parent.
    ("aws_s3_bucket.esc", ("aws", "eusc-de-east-1"), "fail fail fail pass",
     "fail pass fail fail fail fail pass"),
    # Azure France Central: hds-microsoft is on the 2018 referential (Microsoft doc, 2018) and no source
    # shows the move to the 2024 one, whose transition ended on 2026-05-16: unknown. Not SecNumCloud
    # (Conseil d'Etat, 2024-11-19); Microsoft Ireland's US parent is reached by the CLOUD Act.
    ("azurerm_storage_account.france_central", ("azure", "francecentral"), "unknown fail fail pass",
     "unknown pass unknown fail fail fail pass"),
    # S3NS PREMI3NS: SecNumCloud 3.2 since 2025-12-17 (Generation-NT, 2025-12-24), derived end
    # 2028-12-16; Thales-controlled, Google a minority; no source states an S3NS HDS certificate.
    ("google_storage_bucket.s3ns", ("s3ns", "u-france-east1"), "fail pass pass pass",
     "fail pass fail pass pass pass pass"),
    # Outscale's SecNumCloud region (cloudgouv-eu-west-1, in France per a public service's technical
    # file): its 3.2 qualification of about December 2023 (InformatiqueNews, January 2024) reached its
    # earliest derived end on 2026-11-30 and no renewal is sourced: unknown. Its HDS (CEO interview,
    # 2025) names no region: unknown. Dassault Systemes, French: no non-EU law.
    ("outscale_vm.secnumcloud", ("outscale", "cloudgouv-eu-west-1"), "unknown unknown pass pass",
     "unknown pass unknown unknown pass pass pass"),
    # Scaleway Paris: HDS instances in fr-par (Scaleway docs, 2025-11), referential not sourced
    # (SOV-HDS-003 unknown); SecNumCloud only at milestone J0 (L'Informaticien, 2025-01-08): fail.
    ("scaleway_instance_server.paris", ("scaleway", "fr-par"), "unknown fail pass pass",
     "pass pass unknown fail pass pass pass"),
    # OVHcloud Public Cloud, Gravelines: HDS on the 2018 referential by OVHcloud's own page
    # (2024-10-24), regions not named, and only with the HDS option and Business or Enterprise support:
    # unknown. Public Cloud is not SecNumCloud (OVHcloud HDS-2024 tables). OVH SAS, French.
    ("ovh_cloud_project_kube.gravelines", ("ovh", "GRA7"), "unknown fail pass pass",
     "unknown pass unknown fail pass pass pass"),
    # Cloud Temple, whole footprint in France: HDS and SecNumCloud by its own pages, HDS referential
    # not sourced (unknown).
    ("cloudtemple_compute_virtual_machine.ehr", ("cloudtemple", "fr"), "unknown pass pass pass",
     "pass pass unknown pass pass pass pass"),
    # NumSpot, whole footprint in France: HDS on the 2024 referential by its own page; its SecNumCloud
    # is only reported by a third-party dataset (never satisfies): fail.
    ("numspot_postgres_cluster.ehr", ("numspot", "fr"), "pass fail pass pass",
     "pass pass pass fail pass pass pass"),
]


@pytest.fixture(scope="module", params=["plan", "source"])
def result(request, catalog, tmp_path_factory):
    cfg = tmp_path_factory.mktemp("cfg") / ".sovpolicy.yaml"
    cfg.write_text("classification:\n  default: [health]\n")
    target = CASE / "plan.json" if request.param == "plan" else CASE
    return scan(file_sources([target]), load_config(cfg), catalog, load_packs(PACKS), DAY)


def _pack_verdict(statuses):
    return "fail" if "fail" in statuses else "unknown" if "unknown" in statuses else "pass"


def test_every_resource_of_the_case_is_in_the_table(result):
    assert result.problems == ()
    assert sorted(r.address for r in result.resources) == sorted(row[0] for row in KEPT)


@pytest.mark.parametrize(("address", "place", "packs", "policies"), KEPT, ids=[row[0] for row in KEPT])
def test_kept_back_placement_gets_the_verdict_its_sources_support(result, address, place, packs, policies):
    res = next(r for r in result.resources if r.address == address)
    assert (res.placement.cloud, res.placement.region) == place
    own = [f for f in result.findings if f.address == address and f.enforcement.value != "advisory"]
    by_policy = {f.policy_id: f.status.value for f in own}
    assert [by_policy[p] for p in ORDER] == policies.split()
    by_pack = {pack: _pack_verdict([f.status.value for f in own if f.pack == pack]) for pack in PACKS}
    assert [by_pack[p] for p in PACKS] == packs.split()


def test_hds_passes_only_where_the_sources_show_every_hds_requirement_met(result):
    # the hosts a French hospital can use for health data today, on the sourced facts
    passing = sorted(row[0] for row in KEPT if row[2].split()[0] == "pass")
    assert passing == ["aws_s3_bucket.paris", "numspot_postgres_cluster.ehr"]


def test_the_bundled_example_passes_hds_in_paris_and_fails_it_in_virginia(catalog):
    from conftest import EXAMPLE_PLAN

    got = scan(file_sources([EXAMPLE_PLAN]), load_config(None), catalog, load_packs(["hds"]), DAY)
    hds = {}
    for f in got.findings:
        if f.enforcement.value != "advisory":
            hds.setdefault(f.address, []).append(f.status.value)
    assert {a: _pack_verdict(s) for a, s in hds.items()} == {
        "aws_db_instance.ehr": "pass", "aws_s3_bucket.patient_records": "pass", "module.archive.aws_s3_bucket.this": "pass",
        "aws_s3_bucket.analytics_exports": "fail"}
    virginia = {f.policy_id: f.status.value for f in got.findings if f.address == "aws_s3_bucket.analytics_exports"}
    assert virginia["SOV-HDS-002"] == "fail" and virginia["SOV-HDS-001"] == "pass"
