"""The sources door: inputs recognised by content, and what is refused, naming what was expected."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import EXAMPLE_PLAN, FIXTURES

from sovpolicy.cli import main
from sovpolicy.errors import InputError, UsageError
from sovpolicy.model import SourceKind
from sovpolicy.sources.registry import FILE_KINDS, detect, file_sources

STATE = FIXTURES / "states" / "deployed" / "state.json"


def test_a_plan_is_recognised_by_content_whatever_its_name(tmp_path, capsys):
    odd = tmp_path / "plan.out"  # not *.json
    shutil.copy(EXAMPLE_PLAN, odd)
    kind, _ = detect(odd)
    assert kind.name == "plan"
    assert main(["scan", str(odd), "--as-of", "2026-11-30", "--no-cache"]) == 1
    assert "aws_s3_bucket.analytics_exports" in capsys.readouterr().out


def test_a_state_is_a_state_not_a_plan():
    kind, _ = detect(STATE)
    assert kind.name == "state"
    [source] = file_sources([STATE])
    assert source.kind is SourceKind.STATE and source.input == str(STATE)


@pytest.mark.parametrize(("doc", "needle"), [
    ({"format_version": "1.0"}, "neither a plan nor state values"),
    ({"format_version": "1.0", "provider_schemas": {}}, "`terraform providers schema -json` output"),
    ({"format_version": "1.0", "function_signatures": {}}, "`terraform metadata functions -json` output"),
    ({"format_version": "1.0", "valid": True, "error_count": 0, "diagnostics": []}, "`terraform validate -json` output"),
    ({"hello": "world"}, "not an input sovpolicy knows"),
    ([1, 2, 3], "not an input sovpolicy knows"),
])
def test_other_json_is_refused_naming_what_was_expected(tmp_path, capsys, doc, needle):
    path = tmp_path / "input.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as err:
        detect(path)
    assert needle in str(err.value) and "a Terraform plan" in str(err.value) and "a Terraform state" in str(err.value)
    assert main(["scan", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0]


def test_not_json_and_bad_json_name_the_file_and_place(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(InputError, match="not JSON"):
        detect(text)
    bad = tmp_path / "broken.json"
    bad.write_text('{\n  "format_version": "1.2",\n  "resource_changes": [,]\n}')
    with pytest.raises(InputError) as err:
        detect(bad)
    assert err.value.where == f"{bad}:3:24"


def test_missing_input_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError):
        file_sources([tmp_path / "absent.json"])


def test_terraform_files_map_to_one_source_per_root_module():
    example = EXAMPLE_PLAN.parent
    sources = file_sources([example / "main.tf", example, example / "variables.tf"])
    assert [(s.kind, s.input) for s in sources] == [(SourceKind.HCL, str(example))]


def test_every_kind_describes_itself():
    assert [k.name for k in FILE_KINDS][:2] == ["plan", "state"]
    assert all(k.describe for k in FILE_KINDS)
