"""A small root module with a child module and a variable, as the pre-commit hook scans
it: the module cache's and the scan cache's tests write it to a temporary directory."""

from __future__ import annotations

from pathlib import Path

MAIN = '''provider "aws" {
  region = var.region
}

module "store" {
  source = "./modules/store"
}

resource "aws_s3_bucket" "records" {
  bucket = "records"
  tags = {
    data_classification = "health"
  }
}
'''
VARIABLES = 'variable "region" {\n  default = "eu-west-3"\n}\n'
STORE = 'resource "aws_db_instance" "db" {\n  tags = {\n    data_classification = "health"\n  }\n}\n'


def write_module(tmp_path: Path, main: str = MAIN) -> Path:
    """The module under ``tmp_path/infra`` (``main``: its main.tf)."""
    root = tmp_path / "infra"
    (root / "modules" / "store").mkdir(parents=True)
    (root / "main.tf").write_text(main)
    (root / "variables.tf").write_text(VARIABLES)
    (root / "modules" / "store" / "main.tf").write_text(STORE)
    return root
