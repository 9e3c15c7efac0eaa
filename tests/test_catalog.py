"""The catalog: schema-valid, every fact sourced, hosts resolved with their chain."""

from __future__ import annotations

import shutil

import pytest

from sovpolicy.catalog import load_catalog, resolve_host
from sovpolicy.catalog.load import DATA_DIR
from sovpolicy.cli import main
from sovpolicy.errors import CatalogError
from sovpolicy.model import Origin, Placement


def host(catalog, cloud, region, rtype="aws_s3_bucket"):
    return resolve_host(catalog, Placement(cloud, region, Origin.PROVIDER), rtype)


def test_builtin_catalog_is_schema_valid_and_complete(catalog):
    for source in ("hashicorp/aws", "hashicorp/azurerm", "hashicorp/google", "ovh/ovh", "scaleway/scaleway", "outscale/outscale"):
        assert catalog.provider(source) is not None and catalog.provider(source).cloud, source
    assert catalog.provider("registry.terraform.io/hashicorp/null").cloud is None
    assert catalog.provider("aws").cloud == "aws"  # format 0.1 plans name providers by local name
    assert {"FR", "DE", "IE", "NO", "IS", "LI"} <= catalog.eea and not {"CH", "GB", "US"} & catalog.eea


@pytest.mark.parametrize(("cloud", "region", "country", "eea"), [
    ("aws", "eu-west-3", "FR", True),
    ("aws", "us-east-1", "US", False),
    ("aws", "eu-west-2", "GB", False),
    ("aws", "eu-central-2", "CH", False),
    ("aws", "eusc-de-east-1", "DE", True),
    ("aws", "us-gov-west-1", "US", False),
    ("aws", "cn-north-1", "CN", False),
    ("azure", "francecentral", "FR", True),
    ("azure", "westeurope", "NL", True),
    ("google", "europe-west9", "FR", True),
    ("scaleway", "fr-par", "FR", True),
    ("outscale", "eu-west-2", "FR", True),
    ("outscale", "us-east-2", "US", False),
])
def test_region_country_and_eea(catalog, cloud, region, country, eea):
    h = host(catalog, cloud, region)
    assert (h.country, h.eea, h.known_region) == (country, eea, True)
    assert h.region_source is not None and h.region_source.url.startswith("http")


def test_us_parent_chain_brings_us_laws(catalog):
    h = host(catalog, "azure", "francecentral", "azurerm_storage_account")
    assert h.operator is not None
    chain = [e.country for e in h.exposure_chain()]
    assert "US" in chain
    assert {"us-cloud-act", "us-fisa-702"} <= {law.id for law in h.laws}


def test_french_operator_has_no_non_eu_law(catalog):
    h = host(catalog, "outscale", "eu-west-2", "outscale_vm")
    assert h.operator is not None and h.operator.country == "FR"
    assert not [law for law in h.laws if law.non_eu]


def test_sovereign_cloud_is_in_eu_but_us_owned(catalog):
    h = host(catalog, "aws", "eusc-de-east-1")
    assert h.eea is True and h.operator.country == "DE"
    assert any(law.non_eu for law in h.laws)


def test_hds_scope_per_region_and_offer(catalog):
    azure = host(catalog, "azure", "francecentral", "azurerm_storage_account")
    assert any(c.scheme == "hds" and c.satisfies for c in azure.certifications)
    assert not any(c.scheme == "hds" for c in host(catalog, "azure", "eastus", "azurerm_storage_account").certifications)
    scw = host(catalog, "scaleway", "fr-par", "scaleway_instance_server")
    assert any(c.scheme == "hds" and c.satisfies for c in scw.certifications)
    scw_db = host(catalog, "scaleway", "fr-par", "scaleway_rdb_instance")
    assert not any(c.scheme == "hds" and c.satisfies for c in scw_db.certifications)
    # AWS names 24 HDS regions (2025-01-13); its 2024-referential certificate covers 27, 3 unnamed.
    paris = host(catalog, "aws", "eu-west-3", "aws_s3_bucket")
    assert sorted(c.id for c in paris.certifications if c.scheme == "hds") == ["hds-aws", "hds-aws-2018"]
    assert not paris.unlisted
    spain = host(catalog, "aws", "eu-south-2", "aws_s3_bucket")
    assert not [c for c in spain.certifications if c.scheme == "hds"]
    assert [c.id for c in spain.unlisted if c.scheme == "hds"] == ["hds-aws"]
    # the European Sovereign Cloud is run by another entity: outside AWS's certificate, not "maybe covered"
    esc = host(catalog, "aws", "eusc-de-east-1", "aws_s3_bucket")
    assert not [c for c in (*esc.certifications, *esc.unlisted) if c.scheme == "hds"]


def test_unknown_region_has_no_facts(catalog):
    h = host(catalog, "aws", "xx-nowhere-1")
    assert (h.known_region, h.country, h.operator, h.certifications) == (False, None, None, ())


def test_zone_patterns(catalog):
    aws, google, scw = (catalog.provider(p) for p in ("hashicorp/aws", "hashicorp/google", "scaleway/scaleway"))
    assert aws.zone_region("eu-west-3a") == "eu-west-3"
    assert google.zone_region("europe-west9-b") == "europe-west9"
    assert google.zone_region("US") is None
    assert scw.zone_region("fr-par-2") == "fr-par"
    assert catalog.provider("hashicorp/azurerm").zone_region("francecentral") is None


def test_region_spelling_is_data(catalog):
    """Azure display names and Google's upper-case locations become the catalog's ids;
    a location group keeps the catalog's spelling; clouds without a rule are as written."""
    assert catalog.normalise_region("azure", "France Central") == "francecentral"
    assert catalog.normalise_region("azure", "FranceCentral") == "francecentral"
    assert catalog.normalise_region("google", "EUROPE-WEST9") == "europe-west9"
    assert catalog.normalise_region("google", "eu") == "EU"
    assert catalog.normalise_region("aws", "eu-west-3") == "eu-west-3"
    assert catalog.normalise_region("ovh", "GRA") == "GRA"
    assert catalog.normalise_region(None, "x") == "x"


def _copy(tmp_path):
    dst = tmp_path / "data"
    shutil.copytree(DATA_DIR, dst)
    return dst


def test_fact_without_source_fails_check(tmp_path, capsys):
    extra = tmp_path / "extra"
    (extra / "clouds").mkdir(parents=True)
    (extra / "clouds" / "aws.yaml").write_text(
        "schema_version: 1\ncloud: aws\nname: Amazon Web Services\nregions:\n"
        "  - {code: eu-west-9, name: Nowhere, country: FR, city: null, as_of: 2026-01-01}\n")
    code = main(["catalog", "check", "--catalog", str(extra)])
    err = capsys.readouterr().err
    assert code == 2 and "aws.yaml" in err and "source" in err


def test_user_catalog_overrides_builtin(tmp_path):
    extra = tmp_path / "extra"
    (extra / "clouds").mkdir(parents=True)
    (extra / "clouds" / "aws.yaml").write_text(
        "schema_version: 1\ncloud: aws\nname: Amazon Web Services\nregions:\n"
        "  - {code: eu-west-9, name: Test, country: FR, city: Paris, source: aws-partitions, as_of: 2026-01-01}\n")
    cat = load_catalog([extra])
    assert cat.clouds["aws"].regions["eu-west-9"].country == "FR"
    assert "eu-west-3" in cat.clouds["aws"].regions  # built-in regions kept


def test_catalog_check_passes_and_warns_on_expired(tmp_path, capsys):
    assert main(["catalog", "check", "--as-of", "2026-11-30"]) == 0
    assert "files valid" in capsys.readouterr().out
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "certifications.yaml").write_text(
        "schema_version: 1\ncertifications:\n"
        "  - {id: hds-test, scheme: hds, holder: " + next(iter(load_catalog().entities)) + ", cloud: aws, offer: test, "
        "regions: [eu-west-3], status: certified, referential: '2018', since: 2020-01-01, expires: 2023-01-01, "
        "source: aws-partitions, as_of: 2023-01-01}\n")
    assert main(["catalog", "check", "--catalog", str(extra), "--as-of", "2026-11-30"]) == 0
    assert "hds-test" in capsys.readouterr().err


def test_malformed_yaml_names_line(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "laws.yaml").write_text("schema_version: 1\nlaws: [\n")
    with pytest.raises(CatalogError) as err:
        load_catalog([extra])
    assert "laws.yaml:3" in str(err.value)


def test_setup_cache_rebuilds_when_a_file_changes(tmp_path):
    from sovpolicy.setupcache import cached, files_key

    f = tmp_path / "x.yaml"
    f.write_text("a: 1\n")
    calls = []

    def build():
        calls.append(1)
        return {"v": len(calls)}

    k1 = files_key([f], "opts")
    assert cached(tmp_path / "c", k1, build) == {"v": 1}
    assert cached(tmp_path / "c", k1, build) == {"v": 1} and len(calls) == 1  # second run: from the cache
    f.write_text("a: 2\n")
    k2 = files_key([f], "opts")
    assert k2 != k1 and cached(tmp_path / "c", k2, build) == {"v": 2}
    (tmp_path / "c" / "setup" / f"{k2}.pickle").write_bytes(b"garbage")
    assert cached(tmp_path / "c", k2, build) == {"v": 3}  # a corrupt entry is rebuilt, not an error
