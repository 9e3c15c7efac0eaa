"""Every real public plan in ../shared/corpus/plan is read; hand-checked placements hold.

tests/data/corpus_placements.yaml was written by reading each JSON by hand, independently
of the resolver, and gives cloud, region and origin for every placeable resource of 29 plans.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import CORPUS, ROOT, corpus_dir

from sovpolicy.cli import main
from sovpolicy.errors import InputError
from sovpolicy.sources.tfplan import read_plan

PLANS = sorted((CORPUS / "plan").glob("*.json")) if (CORPUS / "plan").is_dir() else []
EXPECTED = yaml.safe_load((ROOT / "tests" / "data" / "corpus_placements.yaml").read_text())["plans"]


def test_corpus_is_present():
    corpus_dir("plan")
    assert len(PLANS) >= 90


NO_CORPUS = pytest.param(None, marks=pytest.mark.skip(reason=f"{CORPUS / 'plan'} not present: the shared corpus is only beside CI and developer checkouts"))


@pytest.mark.parametrize("path", [p for p in PLANS if not p.name.startswith("INVALID-")] or [NO_CORPUS],
                         ids=lambda p: p.name if p else "no-corpus")
def test_every_corpus_plan_is_read(path, catalog):
    scan = read_plan(path, catalog)
    assert scan.info.format_version.split(".")[0] in ("0", "1")
    for res in scan.resources:
        assert res.address and res.type
        if res.placement.region is None:
            assert res.placement.reason, f"{res.address}: unresolved without a reason"


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=str)
def test_hand_checked_placements(name, catalog):
    path = corpus_dir("plan") / name
    scan = read_plan(path, catalog)
    got = {r.address: {"cloud": r.placement.cloud, "region": r.placement.region, "origin": r.placement.origin.value}
           for r in scan.resources if r.placement.cloud is not None}
    assert got == (EXPECTED[name]["resources"] or {})


INVALID = [p for p in PLANS if p.name.startswith("INVALID-")] + sorted((ROOT / "fixtures" / "invalid").glob("INVALID-*.json"))


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_plans_exit_2_with_one_line(path, capsys):
    code = main(["scan", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and path.name in err and "Traceback" not in err


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "plan.json"
    p.write_text(text)
    return p


@pytest.mark.parametrize(("text", "needle"), [
    ('{"format_version": "1.2", "resource_changes": [', "not valid JSON"),
    ("", "empty"),
    ('{"format_version": "2.0"}', "unsupported plan format_version '2.0'"),
    ('{"resources": []}', "no format_version"),
    ('[1, 2]', "not a valid Terraform plan"),
    ('{"format_version": "1.2", "resource_changes": [{"address": 3}]}', "$.resource_changes[0].address"),
    ('{"format_version": "1.0", "values": {"root_module": {}}}', "state"),
])
def test_malformed_plans_are_input_errors(tmp_path, catalog, text, needle):
    with pytest.raises(InputError) as err:
        read_plan(_write(tmp_path, text), catalog)
    assert needle in str(err.value)


def test_json_syntax_error_names_line_and_column(tmp_path, catalog):
    p = _write(tmp_path, '{\n  "format_version": "1.2",\n  "resource_changes": [,]\n}')
    with pytest.raises(InputError) as err:
        read_plan(p, catalog)
    assert err.value.where == f"{p}:3:24"  # the comma is the 24th character of line 3


@pytest.mark.parametrize("text", [
    '{"format_version": "1.2", "resource_changes": {}}',
    '{"format_version": "1.2", "configuration": [], "resource_changes": []}',
    '{"format_version": 1.2, "resource_changes": []}',
    '{"format_version": "1.2", "resource_changes": [{"address": 3}]}',
    '{"format_version": "1.2", "resource_drift": [{"address": false}], "resource_changes": []}',
    '{"format_version": "1.2", "resource_changes": [], "format_version": "2.0"}',
])
def test_a_plan_read_from_the_registrys_slices_fails_as_a_whole_decode_does(tmp_path, catalog, text):
    # the registry finds the top-level values to tell a plan; the reader decodes only those it needs
    from sovpolicy.sources.base import ReadContext
    from sovpolicy.sources.registry import file_sources

    path = _write(tmp_path, text)
    with pytest.raises(InputError) as whole:
        read_plan(path, catalog)
    (source,) = file_sources([path])
    with pytest.raises(InputError) as sliced:
        source.read(ReadContext(catalog))
    assert (str(sliced.value), sliced.value.where) == (str(whole.value), whole.value.where)


def test_values_of_a_struct_give_a_tuple_for_any_number_of_names():
    import msgspec

    from sovpolicy.sources.planformat import values_of

    class Fields(msgspec.Struct):
        region: str = "eu-west-3"
        location: str = "francecentral"
        zone: object = msgspec.UNSET

    values = msgspec.structs.astuple(Fields())
    assert values_of(Fields, ["zone", "region"])(values) == (msgspec.UNSET, "eu-west-3")
    assert values_of(Fields, ["location"])(values) == ("francecentral",)
    assert values_of(Fields, [])(values) == ()
