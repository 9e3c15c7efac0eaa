"""A real Terraform state (applied against moto by scripts/make_plans.sh): the deployed truth."""

from __future__ import annotations

import json

from conftest import AS_OF, FIXTURES

from sovpolicy.cli import main
from sovpolicy.config import load_config
from sovpolicy.model import Origin, SourceKind, Status
from sovpolicy.pipeline import scan
from sovpolicy.policy import load_packs
from sovpolicy.sources.registry import file_sources

STATE = FIXTURES / "states" / "deployed" / "state.json"


def _scan(catalog):
    return scan(file_sources([STATE]), load_config(None), catalog, load_packs(["hds"]), AS_OF)


def test_state_resources_are_placed_from_their_recorded_attributes(catalog):
    result = _scan(catalog)
    got = {r.address: (r.source, r.action, r.placement.cloud, r.placement.region, r.placement.origin) for r in result.resources}
    assert got == {
        "aws_s3_bucket.records": (SourceKind.STATE, "deployed", "aws", "eu-west-3", Origin.RESOURCE),
        "aws_s3_bucket.exports": (SourceKind.STATE, "deployed", "aws", "us-east-1", Origin.RESOURCE),
        # DynamoDB records no region attribute (provider v5): its ARN says where it is
        "aws_dynamodb_table.visits": (SourceKind.STATE, "deployed", "aws", "eu-west-3", Origin.RESOURCE),
    }
    visits = next(r for r in result.resources if r.address == "aws_dynamodb_table.visits")
    assert visits.placement.evidence == (f"{STATE}:$.values.root_module.resources[0].values.arn",)
    records = next(r for r in result.resources if r.address == "aws_s3_bucket.records")
    assert "planned_values" not in " ".join(records.placement.evidence)


def test_state_verdicts(catalog):
    result = _scan(catalog)
    eea = {f.address: f.status for f in result.findings if f.policy_id == "SOV-HDS-002"}
    assert eea == {"aws_s3_bucket.records": Status.PASS, "aws_s3_bucket.exports": Status.FAIL,
                   "aws_dynamodb_table.visits": Status.PASS}


def test_state_scan_from_the_command_line(capsys):
    code = main(["scan", str(STATE), "--pack", "hds", "--format", "json", "--as-of", AS_OF.isoformat(), "--no-cache"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {r["source"] for r in report["resources"]} == {"state"}
    assert {r["input"] for r in report["resources"]} == {str(STATE)}
