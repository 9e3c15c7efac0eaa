"""Copies the flow rules meet without a reference (issue 12, item 7): an ECR replication
configuration copies its whole registry (a scoped rule: every repository of its account
and region, filters matched), and replica-shaped attributes no rule reads are flows to an
unknown place (names and patterns of ``unruled_copies``, less the known non-copies).

The ECR expectations on the real plan ``fixtures/plans/ecr-replication`` (Terraform
1.11.4, hashicorp/aws 5.100.0) were worked out by hand from its main.tf
(fixtures/plans/README.md); the same main.tf read as source must give the same flows."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest
from conftest import AS_OF, FIXTURES

from sovpolicy.cli import main
from sovpolicy.config import load_config
from sovpolicy.model import FlowKind, Status
from sovpolicy.pipeline import scan
from sovpolicy.policy import load_packs
from sovpolicy.sources.aws_resources import registry_flows
from sovpolicy.sources.hcl import read_module
from sovpolicy.sources.registry import file_sources
from sovpolicy.sources.tfplan import read_plan

CASE = FIXTURES / "plans" / "ecr-replication"
CFG = "aws_ecr_replication_configuration.registry"
RULE0 = f"{CFG} replication_configuration[0].rule[0]"
RULE1 = f"{CFG} replication_configuration[0].rule[1]"
EXPECTED = {
    "aws_ecr_repository.records": [(FlowKind.REPLICATE, "us-east-1", RULE0), (FlowKind.REPLICATE, "eu-central-1", RULE1)],
    "aws_ecr_repository.imaging": [(FlowKind.REPLICATE, "eu-central-1", RULE1)],
    "aws_ecr_repository.dublin": [],  # eu-west-1 through aws.ireland: another registry
    CFG: [],  # the configuration holds no data of its own
}


def flows(resources):
    return {r.address: [(f.kind, f.to.region, f.via) for f in r.flows] for r in resources}


@pytest.fixture(scope="module")
def eea():
    return load_packs(["eea-residency"])


def test_real_plan_registry_replication_reaches_the_repositories_it_selects(catalog, eea):
    result = scan(file_sources([CASE / "plan.json"]), load_config(None), catalog, eea, AS_OF)
    assert flows(result.resources) == EXPECTED
    verdicts = {(f.address, f.flow.to.region if f.flow else None): f.status
                for f in result.findings if f.policy_id == "SOV-EEA-001"}
    assert verdicts == {
        ("aws_ecr_repository.records", None): Status.PASS,
        ("aws_ecr_repository.records", "us-east-1"): Status.FAIL,
        ("aws_ecr_repository.records", "eu-central-1"): Status.PASS,
        ("aws_ecr_repository.imaging", None): Status.PASS,
        ("aws_ecr_repository.imaging", "eu-central-1"): Status.PASS,
        ("aws_ecr_repository.dublin", None): Status.PASS,
    }
    records = next(r for r in result.resources if r.address == "aws_ecr_repository.records")
    virginia = records.flows[0]
    assert virginia.rule == "aws-ecr-registry-replication"
    assert virginia.source.id == "aws-tf-ecr-replication-configuration"
    assert virginia.evidence == (
        f"aws_ecr_repository.records is in the registry of {CFG} (the same provider configuration aws, region eu-west-3)",
        "replication_configuration[0].rule[0].repository_filter[0] PREFIX_MATCH 'records' matches name 'records-api'",
        "resource_changes[0].change.after.replication_configuration[0].rule[0]")
    assert virginia.to.evidence == (
        "resource_changes[0].change.after.replication_configuration[0].rule[0].destination[0].region",)


def test_real_plan_blocks_on_the_command_line(capsys):
    assert main(["scan", str(CASE / "plan.json"), "--pack", "eea-residency", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (blocking,) = [f for f in report["findings"] if f["blocking"]]
    assert (blocking["address"], blocking["flow"]["to"]["region"]) == ("aws_ecr_repository.records", "us-east-1")


def test_source_gives_the_same_flows_as_the_plan(catalog, tmp_path):
    shutil.copy(CASE / "main.tf", tmp_path / "main.tf")
    assert flows(read_module(tmp_path, catalog).resources) == EXPECTED


@pytest.mark.parametrize("registry_ids, linked", [(("111122223333", "111122223333"), True),
                                                  (("111122223333", "444455556666"), False)])
def test_known_registry_ids_decide_the_account(catalog, tmp_path, registry_ids, linked):
    plan = json.loads((CASE / "plan.json").read_text())
    for rc in plan["resource_changes"]:
        if rc["address"] in (CFG, "aws_ecr_repository.records"):
            rc["change"]["after"]["registry_id"] = registry_ids[0] if rc["address"] == CFG else registry_ids[1]
            rc["change"]["after_unknown"].pop("registry_id")
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    got = flows(read_plan(tmp_path / "plan.json", catalog).resources)
    assert [region for _, region, _ in got["aws_ecr_repository.records"]] == (["us-east-1", "eu-central-1"] if linked else [])


SOURCE = """
provider "aws" {
  region = "eu-west-3"
}
provider "aws" {
  alias  = "paris_other"
  region = "eu-west-3"
}
provider "aws" {
  alias  = "virginia"
  region = "us-east-1"
}
variable "prefix" {}
variable "later" {}
resource "aws_ecr_repository" "records" {
  name = "records-api"
  tags = { data_classification = "health" }
}
resource "aws_ecr_repository" "other_account" {
  provider = aws.paris_other
  name     = "records-other"
}
resource "aws_ecr_repository" "virginia" {
  provider = aws.virginia
  name     = "records-us"
}
"""


def _module(tmp_path, catalog, config):
    (tmp_path / "main.tf").write_text(textwrap.dedent(SOURCE + config))
    return {r.address: r for r in read_module(tmp_path, catalog).resources}


def _replication(rule_body):
    return f"""
resource "aws_ecr_replication_configuration" "r" {{
  replication_configuration {{
    rule {{
      destination {{
        region      = "us-east-1"
        registry_id = "111122223333"
      }}
      {rule_body}
    }}
  }}
}}
"""


def _unresolved(resource):
    return [(f.to.region, f.to.reason) for f in resource.flows]


def test_a_repository_of_another_provider_configuration_in_the_same_region_is_unknown(tmp_path, catalog):
    res = _module(tmp_path, catalog, _replication(""))
    assert [f.to.region for f in res["aws_ecr_repository.records"].flows] == ["us-east-1"]
    ((region, reason),) = _unresolved(res["aws_ecr_repository.other_account"])
    assert region is None and reason == (
        "whether aws_ecr_repository.other_account is in the account of aws_ecr_replication_configuration.r is unknown "
        "(provider configurations aws and aws.paris_other, both in eu-west-3)")
    assert res["aws_ecr_repository.virginia"].flows == ()  # another region: another registry


def test_a_filter_known_only_after_apply_leaves_every_repository_unknown(tmp_path, catalog):
    res = _module(tmp_path, catalog, _replication('repository_filter {\n filter = var.prefix\n filter_type = "PREFIX_MATCH"\n}'))
    ((region, reason),) = _unresolved(res["aws_ecr_repository.records"])
    assert region is None and reason.startswith(
        "whether replication_configuration[0].rule[0].repository_filter selects aws_ecr_repository.records is unknown: "
        "replication_configuration[0].rule[0].repository_filter[0] is known only after apply")


def test_a_filter_type_sovpolicy_does_not_know_is_unknown(tmp_path, catalog):
    res = _module(tmp_path, catalog, _replication('repository_filter {\n filter = "rec"\n filter_type = "WILDCARD"\n}'))
    ((region, reason),) = _unresolved(res["aws_ecr_repository.records"])
    assert region is None and "has the filter type WILDCARD, which sovpolicy does not know" in reason


def test_a_filter_that_does_not_match_gives_no_flow(tmp_path, catalog):
    res = _module(tmp_path, catalog, _replication('repository_filter {\n filter = "imaging"\n filter_type = "PREFIX_MATCH"\n}'))
    assert res["aws_ecr_repository.records"].flows == ()


def test_rules_known_only_after_apply_are_unknown(tmp_path, catalog):
    res = _module(tmp_path, catalog, """
resource "aws_ecr_replication_configuration" "r" {
  replication_configuration {
    dynamic "rule" {
      for_each = var.later
      content {
        destination {
          region      = rule.value
          registry_id = "111122223333"
        }
      }
    }
  }
}
""")
    ((region, reason),) = _unresolved(res["aws_ecr_repository.records"])
    assert region is None and reason == (
        "aws_ecr_replication_configuration.r replication_configuration[0].rule[0] is known only after apply: which "
        "repositories it copies, and where, is unknown")


def test_an_unresolved_configuration_region_is_unknown(tmp_path, catalog):
    res = _module(tmp_path, catalog, """
provider "aws" {
  alias  = "somewhere"
  region = var.later
}
resource "aws_ecr_replication_configuration" "r" {
  provider = aws.somewhere
  replication_configuration {
    rule {
      destination {
        region      = "us-east-1"
        registry_id = "111122223333"
      }
    }
  }
}
""")
    for address in ("aws_ecr_repository.records", "aws_ecr_repository.virginia"):
        ((region, reason),) = _unresolved(res[address])
        assert region is None and reason.startswith(
            f"whether {address} is in the registry of aws_ecr_replication_configuration.r is unknown: the region of "
            "aws_ecr_replication_configuration.r is unresolved")


# ------------------------------------------------------------------------ live: DescribeRegistry
def test_registry_rules_from_the_api(catalog):
    (rule,) = catalog.flows.rules["aws_ecr_replication_configuration"]
    rules = [{"destinations": [{"region": "us-east-1", "registryId": "1"}, {"region": "eu-west-3", "registryId": "2"}],
              "repositoryFilters": [{"filter": "patients", "filterType": "PREFIX_MATCH"}]},
             {"destinations": [{"region": "eu-central-1", "registryId": "1"}]},
             {"destinations": [{"region": "ap-south-1", "registryId": "1"}],
              "repositoryFilters": [{"filter": "p*", "filterType": "WILDCARD"}]}]
    got = registry_flows(rules, "patients-api", "eu-west-3", rule)
    assert [(f.to.region, f.via, f.to.reason) for f in got] == [
        ("us-east-1", "registry replication rule 0", None),  # eu-west-3 (another account, same region) is no other place
        ("eu-central-1", "registry replication rule 1", None),
        (None, "registry replication rule 2",
         "whether rule 2 copies patients-api is unknown: repository filter type 'WILDCARD' is not one sovpolicy knows")]
    assert [f.to.region for f in registry_flows(rules[:2], "web", "eu-west-3", rule)] == ["eu-central-1"]


# ------------------------------------------------------------------------ copy-shaped names
#: top-level names of hashicorp/aws 5.100.0 resource types that the patterns match but that
#: copy nothing elsewhere (from `terraform providers schema -json`)
NOT_COPIES = [("aws_dms_replication_instance", "replication_instance_class"), ("aws_dms_replication_config", "replication_type"),
              ("aws_dms_replication_task", "start_replication_task"), ("aws_elasticache_cluster", "replication_group_id"),
              ("aws_neptunegraph_graph", "replica_count"), ("aws_db_instance", "replica_mode"),
              ("aws_opensearchserverless_collection", "standby_replicas"), ("aws_waf_geo_match_set", "geo_match_constraint"),
              ("aws_secretsmanager_secret", "force_overwrite_replica_secret"), ("aws_dax_cluster", "replication_factor"),
              ("aws_drs_replication_configuration_template", "use_dedicated_replication_server"),
              ("aws_neptune_cluster", "replication_source_identifier"), ("aws_db_instance", "replicas")]
COPIES = [("aws_cloudwatch_event_endpoint", "replication_config"), ("aws_keyspaces_keyspace", "replication_specification"),
          ("aws_msk_replicator", "replication_info_list"), ("aws_mq_broker", "data_replication_mode"),
          ("azurerm_container_registry", "georeplications"), ("azurerm_storage_account", "secondary_location"),
          ("azurerm_netapp_volume", "data_protection_replication"), ("aws_dlm_lifecycle_policy", "cross_region_copy_rule")]


def test_copy_shaped_names_and_known_non_copies(catalog):
    shapes = catalog.flows.copy_shapes
    assert [n for t, n in NOT_COPIES if shapes.matches(n, t)] == []
    assert [n for t, n in COPIES if not shapes.matches(n, t)] == []
    # a rule that reads a name, or says it covers it, takes it off the list for its type
    assert "secondary_location" in catalog.flows.covered("azurerm_storage_account")
    assert "geo_backup_enabled" in catalog.flows.covered("azurerm_mssql_database")


def _expressions(value):
    """A value as the plan's configuration writes it: blocks as lists of expressions."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [{k: _expressions(v) for k, v in block.items()} for block in value]
    return {"constant_value": value}


def _plan_resource(tmp_path, catalog, rtype, values, configured=True):
    from adversarial_cases import plan

    exprs = {k: _expressions(v) for k, v in values.items()} if configured else {}
    (tmp_path / "plan.json").write_text(plan([{"type": rtype, "name": "x", "expressions": exprs,
                                              "values": {"tags": {"data_classification": "health"}, **values}}]))
    (res,) = read_plan(tmp_path / "plan.json", catalog).resources
    return [(f.rule, f.via, f.to.region) for f in res.flows]


@pytest.mark.parametrize("rtype, values, found", [
    ("aws_dlm_lifecycle_policy", {"cross_region_copy_rule": [{"target": "us-east-1"}]}, ["cross_region_copy_rule"]),
    ("aws_mq_broker", {"data_replication_mode": "CRDR"}, ["data_replication_mode"]),
    ("aws_mq_broker", {"data_replication_mode": "NONE"}, []),
    ("aws_neptunegraph_graph", {"replica_count": 2}, []),
    ("aws_dms_replication_task", {"replication_task_id": "t", "start_replication_task": True}, []),
    ("aws_secretsmanager_secret", {"force_overwrite_replica_secret": True}, []),
])
def test_unruled_copies_in_a_plan(tmp_path, catalog, rtype, values, found):
    got = _plan_resource(tmp_path, catalog, rtype, values)
    assert got == [("unruled-copy", f"{rtype}.x {name}", None) for name in found]


def test_in_a_plan_a_pattern_name_counts_where_the_configuration_sets_it(tmp_path, catalog):
    values = {"cross_region_copy_rule": [{"target": "us-east-1"}]}
    assert _plan_resource(tmp_path, catalog, "aws_dlm_lifecycle_policy", values, configured=False) == []
    # a name listed as such is read from the planned values too
    assert _plan_resource(tmp_path, catalog, "aws_dynamodb_table", {"replica_configuration": [{"region_name": "us-east-1"}]},
                          configured=False) == [("unruled-copy", "aws_dynamodb_table.x replica_configuration", None)]


def test_unruled_copy_blocks_in_source_name_the_block(tmp_path, catalog):
    (tmp_path / "main.tf").write_text(textwrap.dedent("""
    provider "azurerm" {
      features {}
    }
    resource "azurerm_container_registry" "acr" {
      name                = "acr"
      location            = "francecentral"
      resource_group_name = "rg"
      sku                 = "Premium"
      tags                = { data_classification = "health" }
      georeplications {
        location = "eastus"
      }
    }
    """))
    (res,) = read_module(tmp_path, catalog).resources
    (flow,) = res.flows
    assert (flow.rule, flow.via, flow.to.region) == ("unruled-copy", "azurerm_container_registry.acr georeplications", None)
    assert flow.to.reason == ("georeplications looks like a copy to another place, and no flows.yaml rule says where "
                              "azurerm_container_registry copies it")
