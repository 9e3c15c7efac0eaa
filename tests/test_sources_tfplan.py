"""Region resolution on our own real plans (made by Terraform 1.11.4 + hashicorp/aws 5.100.0).

Expected values were worked out by hand from each fixture's .tf files (fixtures/plans/README.md).
"""

from __future__ import annotations

import pytest
from conftest import EXAMPLE_PLAN, FIXTURES

from sovpolicy.model import Origin
from sovpolicy.sources.tfplan import read_plan

EXPECTED = {
    "aliases-three-regions": {
        "aws_s3_bucket.paris": ("aws", "eu-west-3", "provider"),
        "aws_s3_bucket.frankfurt": ("aws", "eu-central-1", "provider"),
        "aws_s3_bucket.virginia": ("aws", "us-east-1", "provider"),
    },
    "region-from-variable": {"aws_s3_bucket.records": ("aws", "eu-west-3", "variable")},
    "module-with-providers-map": {
        "aws_s3_bucket.root": ("aws", "eu-west-3", "provider"),
        "module.records.aws_s3_bucket.this": ("aws", "us-east-2", "provider"),
    },
    "nested-modules": {"module.a.module.b.aws_s3_bucket.this": ("aws", "eu-north-1", "provider")},
    "module-region-argument": {"module.regional.aws_s3_bucket.this": ("aws", "eu-west-3", "module")},
    "no-region-anywhere": {"aws_s3_bucket.records": ("aws", None, "unresolved")},
    "count-and-for-each": {
        "aws_s3_bucket.counted[0]": ("aws", "eu-west-3", "provider"),
        "aws_s3_bucket.counted[1]": ("aws", "eu-west-3", "provider"),
        'aws_s3_bucket.keyed["imaging"]': ("aws", "eu-west-3", "provider"),
        'aws_s3_bucket.keyed["records"]': ("aws", "eu-west-3", "provider"),
    },
    # retired is deleted: it hosts nothing afterwards and is not listed.
    "replace-and-delete": {
        "aws_s3_bucket.kept": ("aws", "eu-west-3", "resource"),
        "aws_s3_bucket.renamed": ("aws", "eu-west-3", "provider"),
    },
    "unknown-region": {
        "aws_s3_bucket.records": ("aws", "eu-west-3", "provider"),
        "terraform_data.request": (None, None, "none"),
    },
    "sensitive-tags": {"aws_s3_bucket.records": ("aws", "eu-west-3", "provider")},
}


def _placements(plan_path, catalog):
    scan = read_plan(plan_path, catalog)
    return {r.address: (r.placement.cloud, r.placement.region, r.placement.origin.value) for r in scan.resources}, scan


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_fixture_plan_placements(case, catalog):
    got, _ = _placements(FIXTURES / "plans" / case / "plan.json", catalog)
    assert got == EXPECTED[case]


def test_example_plan_placements(catalog):
    got, scan = _placements(EXAMPLE_PLAN, catalog)
    assert got == {
        "aws_s3_bucket.patient_records": ("aws", "eu-west-3", "provider"),
        "aws_db_instance.ehr": ("aws", "eu-west-3", "provider"),
        "aws_s3_bucket.analytics_exports": ("aws", "us-east-1", "provider"),
        "aws_cloudwatch_log_group.app": ("aws", "eu-west-3", "provider"),
        "module.archive.aws_s3_bucket.this": ("aws", "eu-west-3", "provider"),
    }
    exports = next(r for r in scan.resources if r.address == "aws_s3_bucket.analytics_exports")
    assert exports.placement.evidence[0] == "configuration.provider_config['aws.virginia'].expressions.region"


def test_env_region_is_unresolved_with_reason(catalog):
    _, scan = _placements(FIXTURES / "plans" / "no-region-anywhere" / "plan.json", catalog)
    (res,) = scan.resources
    assert res.placement.origin is Origin.UNRESOLVED
    assert "environment" in res.placement.reason


def test_deleted_resource_hosts_nothing(catalog):
    got, _ = _placements(FIXTURES / "plans" / "replace-and-delete" / "plan.json", catalog)
    assert "aws_s3_bucket.retired" not in got


def test_replace_keeps_the_new_object(catalog):
    _, scan = _placements(FIXTURES / "plans" / "replace-and-delete" / "plan.json", catalog)
    actions = {r.address: r.action for r in scan.resources}
    assert actions == {"aws_s3_bucket.kept": "no-op", "aws_s3_bucket.renamed": "replace"}


def test_sensitive_tag_and_password_are_redacted(catalog):
    _, scan = _placements(FIXTURES / "plans" / "sensitive-tags" / "plan.json", catalog)
    (res,) = scan.resources
    assert res.tags["owner"] == "(sensitive)"
    assert res.tags["data_classification"] == "health"
    _, example = _placements(EXAMPLE_PLAN, catalog)
    assert "example-only-not-a-secret" not in repr(example.resources)


def test_unknown_tags_are_noted(catalog):
    _, scan = _placements(FIXTURES / "plans" / "unknown-region" / "plan.json", catalog)
    res = next(r for r in scan.resources if r.address == "aws_s3_bucket.records")
    assert any("tags known only after apply" in n for n in res.notes)


def test_region_from_a_sensitive_variable_is_never_read(tmp_path, catalog):
    import json

    plan = json.loads((FIXTURES / "plans" / "region-from-variable" / "plan.json").read_text())
    plan["configuration"]["root_module"]["variables"]["region"]["sensitive"] = True
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    (res,) = read_plan(path, catalog).resources
    assert (res.placement.region, res.placement.origin) == (None, Origin.UNRESOLVED)
    assert "sensitive" in res.placement.reason and "eu-west-3" not in repr(res)


def test_a_wholly_sensitive_object_is_never_read(tmp_path, catalog):
    import json

    plan = json.loads((FIXTURES / "plans" / "sensitive-tags" / "plan.json").read_text())
    rc = plan["resource_changes"][0]
    rc["change"]["after_sensitive"] = True
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    (res,) = read_plan(path, catalog).resources
    assert res.tags == {} and "tags is sensitive: not read" in res.notes
    assert "dpo@example.org" not in repr(res) and "health" not in repr(res.tags)


@pytest.mark.parametrize("key", ["region", "\\u0072egion"])
def test_a_region_set_by_an_expression_known_after_apply_is_unresolved_however_its_key_is_written(tmp_path, catalog, key):
    """The reader decodes a resource's configuration expressions only when they may name the
    attribute; a key written with JSON escapes names it too, and must not be missed (fail closed)."""
    import json

    plan = json.loads((FIXTURES / "plans" / "unknown-region" / "plan.json").read_text())
    config = next(r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == "aws_s3_bucket.records")
    config.setdefault("expressions", {})["region"] = {"references": ["terraform_data.request.output", "terraform_data.request"]}
    text = json.dumps(plan).replace('"region": {"references"', f'"{key}": {{"references"', 1)
    assert text.count(f'"{key}": {{"references"') == 1
    path = tmp_path / "plan.json"
    path.write_text(text)
    got, scan = _placements(path, catalog)
    assert got["aws_s3_bucket.records"] == ("aws", None, "unresolved")
    res = next(r for r in scan.resources if r.address == "aws_s3_bucket.records")
    assert res.placement.reason == "region is set by an expression known only after apply"
