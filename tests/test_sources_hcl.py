"""The HCL module reader on small modules written for each construct."""

from __future__ import annotations

import json
from pathlib import Path

from sovpolicy.model import Origin, SourceKind
from sovpolicy.sources.hcl import read_module
from sovpolicy.sources.hclroots import module_roots


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def scan_tree(root: Path, catalog, files: dict[str, str]):
    """Write the files and read the module."""
    return read_module(tree(root, files), catalog)


def placements(scan) -> dict:
    return {r.address: (r.placement.cloud, r.placement.region, r.placement.origin.value) for r in scan.resources}


def by_address(scan, address):
    return next(r for r in scan.resources if r.address == address)


def evidence_of(scan, address) -> tuple[str, ...]:
    return by_address(scan, address).placement.evidence


def test_alias_on_resource_and_evidence_names_the_provider_block_two_files_away(tmp_path, catalog):
    scan = scan_tree(tmp_path, catalog, {
        "providers.tf": 'provider "aws" {\n  region = "eu-west-3"\n}\n\nprovider "aws" {\n  alias  = "virginia"\n  region = "us-east-1"\n}\n',
        "variables.tf": 'variable "unused" {\n  default = 1\n}\n',
        "main.tf": 'resource "aws_s3_bucket" "paris" {}\n\nresource "aws_s3_bucket" "exports" {\n  provider = aws.virginia\n}\n',
    })
    assert placements(scan) == {"aws_s3_bucket.paris": ("aws", "eu-west-3", "provider"),
                                "aws_s3_bucket.exports": ("aws", "us-east-1", "provider")}
    exports = by_address(scan, "aws_s3_bucket.exports")
    assert exports.source is SourceKind.HCL
    assert (exports.location.path, exports.location.line) == (f"{tmp_path}/main.tf", 3)
    assert exports.placement.evidence[0] == f'{tmp_path}/providers.tf:7 provider "aws" (alias "virginia") region'
    assert exports.placement.provider == "hashicorp/aws"


def test_tfvars_precedence_and_var_file(tmp_path, catalog):
    scan = scan_tree(tmp_path, catalog, {
        "main.tf": 'variable "region" {\n  default = "eu-west-1"\n}\nprovider "aws" {\n  region = var.region\n}\nresource "aws_s3_bucket" "b" {}\n',
        "terraform.tfvars": 'region = "eu-west-2"\n',
        "terraform.tfvars.json": '{"region": "eu-central-1"}',
        "b.auto.tfvars": 'region = "eu-north-1"\n',
        "a.auto.tfvars.json": '{"region": "eu-south-1"}',
    })
    res = by_address(scan, "aws_s3_bucket.b")
    assert (res.placement.region, res.placement.origin) == ("eu-north-1", Origin.VARIABLE)  # b.auto after a.auto
    assert res.placement.evidence == (f'{tmp_path}/main.tf:5 provider "aws" region', f"{tmp_path}/b.auto.tfvars:1 sets var.region")
    extra = tree(tmp_path / "env", {"prod.tfvars": '\n\nregion = "eu-west-3"\n'}) / "prod.tfvars"
    res = by_address(read_module(tmp_path, catalog, var_files=[extra]), "aws_s3_bucket.b")
    assert res.placement.region == "eu-west-3" and res.placement.evidence[1] == f"{extra}:3 sets var.region"
    (tmp_path / "b.auto.tfvars").unlink()
    (tmp_path / "a.auto.tfvars.json").unlink()
    assert by_address(read_module(tmp_path, catalog), "aws_s3_bucket.b").placement.region == "eu-central-1"
    (tmp_path / "terraform.tfvars.json").unlink()
    assert by_address(read_module(tmp_path, catalog), "aws_s3_bucket.b").placement.region == "eu-west-2"
    (tmp_path / "terraform.tfvars").unlink()
    res = by_address(read_module(tmp_path, catalog), "aws_s3_bucket.b")
    assert res.placement.region == "eu-west-1" and res.placement.evidence[1] == f"{tmp_path}/main.tf:2 default of var.region"


def test_locals_merge_lookup_and_templates(tmp_path, catalog):
    tree(tmp_path, {"main.tf": '''
variable "env" {
  default = "prod"
}
locals {
  regions = { prod = "eu-west-3", dev = "eu-west-1" }
  region  = lookup(local.regions, var.env, "us-east-1")
  tags    = merge({ team = "dpi" }, { data_classification = "health" }, { env = "${var.env}-${upper(local.suffix)}" })
  suffix  = "fr"
}
provider "aws" {
  region = local.region
}
resource "aws_s3_bucket" "b" {
  tags = local.tags
}
'''})
    res = by_address(read_module(tmp_path, catalog), "aws_s3_bucket.b")
    assert (res.placement.region, res.placement.origin) == ("eu-west-3", Origin.VARIABLE)
    assert res.tags == {"team": "dpi", "data_classification": "health", "env": "prod-FR"}
    assert f"{tmp_path}/main.tf:7 local.region" in res.placement.evidence


def test_unsupported_function_is_unresolved_with_the_reason(tmp_path, catalog):
    tree(tmp_path, {"main.tf": '''
locals {
  cfg = jsondecode(file("regions.json"))
}
provider "aws" {
  region = local.cfg.primary
}
resource "aws_s3_bucket" "b" {}
'''})
    res = by_address(read_module(tmp_path, catalog), "aws_s3_bucket.b")
    assert res.placement.origin is Origin.UNRESOLVED and res.placement.region is None
    assert "function file() is not evaluated" in res.placement.reason
    assert "local.cfg.primary" in res.placement.reason


def test_local_modules_with_arguments_and_providers_map(tmp_path, catalog):
    scan = scan_tree(tmp_path, catalog, {
        "main.tf": '''
provider "aws" {
  region = "eu-west-3"
}
provider "aws" {
  alias  = "dr"
  region = "eu-central-1"
}
module "replica" {
  source    = "./modules/bucket/"
  providers = { aws = aws.dr }
  name      = "r"
}
module "own" {
  source = "./modules/regional"
  region = "eu-north-1"
}
module "inherit" {
  source = "./modules/bucket"
  name   = "i"
}
''',
        "modules/bucket/main.tf": 'variable "name" {}\nresource "aws_s3_bucket" "this" {\n  bucket = var.name\n}\n',
        "modules/regional/main.tf": 'variable "region" {}\nprovider "aws" {\n  region = var.region\n}\nresource "aws_s3_bucket" "this" {}\n',
    })
    assert placements(scan) == {
        "module.replica.aws_s3_bucket.this": ("aws", "eu-central-1", "provider"),
        "module.own.aws_s3_bucket.this": ("aws", "eu-north-1", "module"),
        "module.inherit.aws_s3_bucket.this": ("aws", "eu-west-3", "provider"),
    }
    assert evidence_of(scan, "module.own.aws_s3_bucket.this") == (
        f'{tmp_path}/modules/regional/main.tf:3 provider "aws" region', f"{tmp_path}/main.tf:16 module.own argument region")
    assert by_address(scan, "module.own.aws_s3_bucket.this").location.path == f"{tmp_path}/modules/regional/main.tf"


def test_count_and_for_each_static_keys_and_unknown_ones(tmp_path, catalog):
    scan = scan_tree(tmp_path, catalog, {"main.tf": '''
provider "aws" {
  region = "eu-west-3"
}
variable "names" {
  type    = map(object({ region = optional(string, "eu-west-3"), keep = optional(bool, true) }))
  default = { records = {}, imaging = { region = "eu-north-1" }, old = { keep = false } }
}
resource "aws_s3_bucket" "counted" {
  count = 2
}
resource "aws_s3_bucket" "none" {
  count = 0
}
resource "aws_sqs_queue" "keyed" {
  for_each = { for k, v in var.names : k => v if v.keep }
  region   = each.value.region
}
resource "aws_s3_bucket" "computed" {
  for_each = toset(aws_s3_bucket.counted[*].id)
}
'''})
    assert placements(scan) == {
        "aws_s3_bucket.counted[0]": ("aws", "eu-west-3", "provider"),
        "aws_s3_bucket.counted[1]": ("aws", "eu-west-3", "provider"),
        'aws_sqs_queue.keyed["imaging"]': ("aws", "eu-north-1", "resource"),
        'aws_sqs_queue.keyed["records"]': ("aws", "eu-west-3", "resource"),
        "aws_s3_bucket.computed[*]": ("aws", "eu-west-3", "provider"),
    }
    star = by_address(scan, "aws_s3_bucket.computed[*]")
    assert any("for_each is not known from source" in n and "splat" in n for n in star.notes)


def test_remote_module_is_unresolved_and_a_problem(tmp_path, catalog):
    scan = scan_tree(tmp_path, catalog, {"main.tf": '''
module "lab" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "~> 4.6"
  tags    = { data_classification = "health" }
}
'''})
    (res,) = scan.resources
    assert (res.address, res.type, res.placement.origin) == ("module.lab", "module", Origin.UNRESOLVED)
    assert "remote module" in res.placement.reason and res.tags == {"data_classification": "health"}
    (problem,) = scan.problems
    assert (problem.kind, problem.where) == ("remote-module", f"{tmp_path}/main.tf:2")


def test_sensitive_variable_is_never_shown(tmp_path, catalog):
    tree(tmp_path, {"main.tf": '''
variable "owner" {
  default   = "dpo@example.org"
  sensitive = true
}
provider "aws" {
  region = "eu-west-3"
}
resource "aws_s3_bucket" "b" {
  tags = { owner = var.owner, who = "x-${var.owner}", data_classification = "health" }
}
'''})
    res = by_address(read_module(tmp_path, catalog), "aws_s3_bucket.b")
    assert res.tags == {"owner": "(sensitive)", "who": "(sensitive)", "data_classification": "health"}
    assert "dpo@example.org" not in repr(res)


def test_default_tags_classify_and_resource_tags_win(tmp_path, catalog):
    scan = scan_tree(tmp_path, catalog, {"main.tf": '''
provider "aws" {
  region = "eu-west-3"
  default_tags {
    tags = { data_classification = "health", team = "dpi" }
  }
}
resource "aws_s3_bucket" "records" {}
resource "aws_s3_bucket" "logs" {
  tags = { data_classification = "internal" }
}
'''})
    assert by_address(scan, "aws_s3_bucket.records").tags == {"data_classification": "health", "team": "dpi"}
    assert by_address(scan, "aws_s3_bucket.logs").tags["data_classification"] == "internal"


def test_override_file_replaces_the_region(tmp_path, catalog):
    tree(tmp_path, {
        "main.tf": 'provider "aws" {\n  region = "us-east-1"\n}\nresource "aws_s3_bucket" "b" {}\n',
        "region_override.tf": 'provider "aws" {\n  region = "eu-west-3"\n}\n',
    })
    res = by_address(read_module(tmp_path, catalog), "aws_s3_bucket.b")
    assert res.placement.region == "eu-west-3"
    assert res.placement.evidence[0] == f'{tmp_path}/main.tf:2 provider "aws" region'


def test_azure_parent_and_resource_reference(tmp_path, catalog):
    scan = scan_tree(tmp_path, catalog, {"main.tf": '''
resource "azurerm_resource_group" "rg" {
  name     = "rg"
  location = "France Central"
}
resource "azurerm_mssql_server" "s" {
  resource_group_name = azurerm_resource_group.rg.name
  location            = azurerm_resource_group.rg.location
}
resource "azurerm_mssql_database" "db" {
  server_id = azurerm_mssql_server.s.id
}
'''})
    assert placements(scan) == {
        "azurerm_resource_group.rg": ("azure", "francecentral", "resource"),
        "azurerm_mssql_server.s": ("azure", "francecentral", "resource"),
        "azurerm_mssql_database.db": ("azure", "francecentral", "parent"),
    }
    assert evidence_of(scan, "azurerm_mssql_server.s") == (
        f"{tmp_path}/main.tf:8 azurerm_mssql_server.s location", f"{tmp_path}/main.tf:4 azurerm_resource_group.rg.location")


def test_unparsable_file_is_a_problem_and_the_rest_is_scanned(tmp_path, catalog):
    scan = scan_tree(tmp_path, catalog, {
        "main.tf": 'provider "aws" {\n  region = "eu-west-3"\n}\nresource "aws_s3_bucket" "ok" {}\n',
        "broken.tf": 'resource "aws_s3_bucket" "bad" {\n  bucket = "x"\n',
    })
    assert placements(scan) == {"aws_s3_bucket.ok": ("aws", "eu-west-3", "provider")}
    (problem,) = scan.problems
    assert problem.kind == "parse-error" and problem.where == f"{tmp_path}/broken.tf:1:32"


def test_json_syntax_resource_in_the_module(tmp_path, catalog):
    tree(tmp_path, {
        "main.tf": 'resource "azurerm_resource_group" "hub" {\n  location = "francecentral"\n}\n',
        "archive.tf.json": json.dumps({"resource": {"azurerm_storage_account": {"lz": {
            "location": "${azurerm_resource_group.hub.location}", "tags": {"data_classification": "health"}}}}}, indent=2),
    })
    res = by_address(read_module(tmp_path, catalog), "azurerm_storage_account.lz")
    assert (res.placement.region, res.placement.origin, res.tags) == ("francecentral", Origin.RESOURCE, {"data_classification": "health"})
    assert res.location.path.endswith("archive.tf.json") and res.location.line == 4


def test_files_map_to_the_root_that_calls_their_module(tmp_path, monkeypatch):
    tree(tmp_path, {
        ".git/HEAD": "ref: refs/heads/main\n",
        "infra/main.tf": 'module "m" {\n  source = "./modules/m"\n}\n',
        "infra/terraform.tfvars": "",
        "infra/modules/m/main.tf": 'module "n" {\n  source = "../n"\n}\n',
        "infra/modules/n/main.tf": "",
        "other/main.tf": "",
        "infra/.terraform/modules/x/main.tf": "",
    })
    monkeypatch.chdir(tmp_path)
    roots = module_roots([Path("infra/modules/n/main.tf"), Path("infra/terraform.tfvars"), Path("other/main.tf"),
                          Path("infra/.terraform/modules/x/main.tf"), Path("infra/modules/m/main.tf")])
    assert roots == [Path("infra"), Path("other")]


def test_hostile_inputs_are_problems_not_crashes(tmp_path, catalog):
    scan = scan_tree(tmp_path / "self", catalog, {"main.tf": 'module "me" {\n  source = "./"\n}\n'})
    assert [p.kind for p in scan.problems] == ["module-depth"]
    deep = "locals {\n  x = " + "(" * 3000 + "1" + ")" * 3000 + "\n}\n"
    scan = scan_tree(tmp_path / "deep", catalog, {"main.tf": deep})
    assert [(p.kind, p.message.split(";")[0]) for p in scan.problems] == [("parse-error", "expressions nested too deeply to read")]
    scan = scan_tree(tmp_path / "cycle", catalog, {"main.tf": (
        'locals {\n  a = local.b\n  b = local.a\n}\nprovider "aws" {\n  region = local.a\n}\nresource "aws_s3_bucket" "b" {}\n')})
    assert "local.a depends on itself" in scan.resources[0].placement.reason


def test_region_from_a_sensitive_variable_is_unresolved_as_in_a_plan(tmp_path, catalog):
    scan = scan_tree(tmp_path, catalog, {"main.tf": (
        'variable "region" {\n  default   = "eu-west-3"\n  sensitive = true\n}\n'
        'provider "aws" {\n  region = var.region\n}\nresource "aws_s3_bucket" "b" {}\n')})
    res = by_address(scan, "aws_s3_bucket.b")
    assert (res.placement.region, res.placement.origin.value) == (None, "unresolved")
    assert "sensitive" in res.placement.reason and "eu-west-3" not in repr(res)
