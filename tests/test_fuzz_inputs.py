"""Issue 12: hypothesis fuzzing of plan JSON and of Terraform source, in process.

Properties, for any input generated here:

* reading and scanning it ends normally or with a :class:`~sovpolicy.errors.SovpolicyError`
  (exit 2/3 with a place), never another exception (which would be exit 4);
* the canary, planted only where Terraform marks a value sensitive (``after_sensitive`` in
  a plan, a ``sensitive = true`` variable in source), never reaches a report.

The number of examples is small in CI (a few seconds each); set ``SOVPOLICY_FUZZ_EXAMPLES``
for a longer run, e.g. ``SOVPOLICY_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz_inputs.py``.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path

import pytest
from conftest import AS_OF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovpolicy.catalog import load_catalog
from sovpolicy.config import load_config
from sovpolicy.errors import SovpolicyError
from sovpolicy.pipeline import scan
from sovpolicy.policy import load_packs
from sovpolicy.report import FORMATS, renderer
from sovpolicy.sources.registry import file_sources

CANARY = "CANARY-5e1d0b7a"
EXAMPLES = int(os.environ.get("SOVPOLICY_FUZZ_EXAMPLES", "0") or 0)


def _settings(ci: int):
    return settings(max_examples=EXAMPLES or ci, deadline=None, derandomize=not EXAMPLES,
                    suppress_health_check=list(HealthCheck), database=None)


@functools.cache
def _setup():
    """(config, catalog, policies), loaded once (not a fixture: hypothesis would print them)."""
    return load_config(None), load_catalog(), load_packs(["hds", "extraterritorial", "eea-residency"])


def _scan_and_render(path: Path) -> str:
    config, catalog, policies = _setup()
    try:
        result = scan(file_sources([path]), config, catalog, policies, AS_OF)
    except SovpolicyError:
        return ""
    except RecursionError:  # pragma: no cover - the assertion below names it
        raise AssertionError("RecursionError: nesting must be limited with a clear message") from None
    return "\n".join(renderer(fmt)(result) for fmt in FORMATS)


# ------------------------------------------------------------------------------ plan JSON
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                     st.sampled_from(["eu-west-3", "us-east-1", "health", "francecentral", "EU", "", "global", "\x00"]),
                     st.text(max_size=8))
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                     max_leaves=12)
_TYPES = ["aws_s3_bucket", "aws_db_instance", "azurerm_storage_account", "google_storage_bucket", "outscale_volume",
          "scaleway_instance_volume", "aws_secretsmanager_secret", "aws_s3_bucket_replication_configuration",
          "aws_ecr_repository", "aws_ecr_replication_configuration", "x"]
_PROVIDERS = ["hashicorp/aws", "hashicorp/azurerm", "hashicorp/google", "outscale/outscale", "scaleway/scaleway",
              "example/none", ""]
_ACTIONS = st.one_of(st.sampled_from([["create"], ["update"], ["delete", "create"], ["no-op"], ["read"], ["delete"]]),
                     st.lists(st.text(max_size=6), max_size=2), _json)


@st.composite
def _change(draw):
    rtype = draw(st.sampled_from(_TYPES))
    name = draw(st.sampled_from(["a", "b", "c"]))
    values = draw(st.dictionaries(st.sampled_from(["region", "location", "tags", "labels", "replica", "bucket",
                                                   "tags_all", "replication_configuration", "zone", "name",
                                                   "registry_id", "georeplications", "data_replication_mode"]),
                                  _json, max_size=4))
    sensitive: dict = {}
    # the canary only ever sits under a sensitive mark
    where = draw(st.sampled_from(["region", "location", "tags", "owner", "bucket", "name", "registry_id", "whole", None]))
    if where == "whole":
        values["secret"] = CANARY
        sensitive = True  # type: ignore[assignment]
    elif where == "tags" or where == "owner":
        values["tags"] = {"data_classification": "health", "owner": CANARY}
        sensitive = {"tags": True} if where == "tags" else {"tags": {"owner": True}}
    elif where is not None:
        values[where] = CANARY
        sensitive = {where: True}
    change = {"actions": draw(_ACTIONS), "before": None, "after": values,
              "after_unknown": draw(st.one_of(st.just({}), st.booleans(), _json)), "after_sensitive": sensitive}
    rc = {"address": draw(st.one_of(st.just(f"{rtype}.{name}"), st.text(max_size=10))), "mode": "managed",
          "type": rtype, "name": name, "provider_name": f"registry.terraform.io/{draw(st.sampled_from(_PROVIDERS))}",
          "change": change}
    for key in draw(st.lists(st.sampled_from(list(rc)), max_size=1)):
        rc[key] = draw(_json)  # one field of the wrong shape now and then
    return rc


@st.composite
def _plan(draw):
    doc = {"format_version": draw(st.sampled_from(["1.2", "1.0", "0.2", "2.0", 1])),
           "terraform_version": "1.11.4",
           "resource_changes": draw(st.lists(_change(), max_size=4)),
           "configuration": draw(st.one_of(st.just({}), _json, st.fixed_dictionaries({
               "provider_config": st.fixed_dictionaries({"aws": st.fixed_dictionaries({
                   "name": st.just("aws"), "expressions": st.fixed_dictionaries({"region": _json})})}),
               "root_module": st.fixed_dictionaries({"resources": st.lists(_json, max_size=2)})})))}
    for key in draw(st.lists(st.sampled_from(["complete", "errored", "resource_drift", "planned_values",
                                              "variables", "prior_state", "output_changes"]), max_size=3)):
        doc[key] = draw(_json)
    return doc


@pytest.mark.slow
@_settings(800)
@given(_plan())
def test_fuzz_plan_json(doc):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        out = _scan_and_render(path)
    assert CANARY not in out


# ------------------------------------------------------------------------------ HCL source
_idents = st.sampled_from(["a", "b", "pw", "tags", "region", "each", "count", "x"])
_atoms = st.one_of(
    st.sampled_from(['"eu-west-3"', '"us-east-1"', '"health"', "1", "0", "-1", "1e999", "true", "null", "[]", "{}",
                     "var.pw", "var.m", "var.tags", "local.a", "each.key", "each.value", "count.index",
                     "aws_s3_bucket.a.id", "data.x.y.z", "path.module", '"${var.pw}"', "var.nope", "module.m.out"]),
    st.integers(-10, 10).map(str))
_FUNCS = ["tonumber", "tostring", "keys", "values", "toset", "tolist", "length", "upper", "lookup", "merge",
          "concat", "coalesce", "jsonencode", "sensitive", "nonsensitive", "try", "range", "element", "format"]


def _expr_of(inner):
    return st.one_of(
        st.tuples(st.sampled_from(_FUNCS), st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(_idents, inner), max_size=3).map(lambda kv: "{" + ", ".join(f"{k} = {v}" for k, v in kv) + "}"),
        st.tuples(inner, st.sampled_from(["+", "==", "&&", "?", "[0]", ".x", "[*]"]), inner).map(
            lambda t: f"{t[0]} ? {t[2]} : null" if t[1] == "?" else (f"{t[0]}{t[1]}" if t[1] in ("[0]", ".x", "[*]") else f"{t[0]} {t[1]} {t[2]}")),
        st.tuples(_idents, inner).map(lambda t: f"[for {t[0]}, v in {t[1]} : v]"),
        st.tuples(_idents, inner).map(lambda t: f"{{for k, v in {t[1]} : k => v}}"),
    )


_exprs = st.recursive(_atoms, _expr_of, max_leaves=6)
_META = st.sampled_from(["count", "for_each", "region", "tags", "location", "bucket", "replica", "name",
                         "replication_configuration", "georeplications"])


@st.composite
def _module(draw):
    lines = [f'variable "pw" {{\n  sensitive = true\n  default = "{CANARY}"\n}}',
             f'variable "m" {{\n  sensitive = true\n  default = {{ "{CANARY}" = 1 }}\n}}',
             'variable "tags" {\n  default = { data_classification = "health" }\n}']
    lines.append(f'provider "aws" {{\n  region = {draw(_exprs)}\n}}')
    for i in range(draw(st.integers(1, 3))):
        attrs = draw(st.dictionaries(_META, _exprs, max_size=3))
        body = "\n".join(f"  {k} = {v}" for k, v in attrs.items())
        rtype = draw(st.sampled_from(["aws_s3_bucket", "aws_secretsmanager_secret", "azurerm_storage_account",
                                      "aws_ecr_repository", "aws_ecr_replication_configuration"]))
        lines.append(f'resource "{rtype}" "r{i}" {{\n{body}\n  tags = {{ data_classification = "health" }}\n}}')
    if draw(st.booleans()):
        lines.append(f"locals {{\n  a = {draw(_exprs)}\n}}")
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 9)) == 0:  # now and then, a cut or a stray character
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", "{", "}", '"', "${", "<<EOT\n", "\x00", "é"])) + text[cut:]
    return text


@pytest.mark.slow
@_settings(200)
@given(_module())
def test_fuzz_terraform_source(text):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "main.tf").write_text(text, encoding="utf-8")
        out = _scan_and_render(Path(tmp))
    assert CANARY not in out
