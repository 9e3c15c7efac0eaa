"""JSON report 2.0: hosts and chains written once and referenced, findings shared by
resources placed alike, and the sliced plan decode's errors."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import AS_OF

from sovpolicy.errors import InputError
from sovpolicy.model import Classification, Status, Waiver
from sovpolicy.model.evolve import evolve
from sovpolicy.pipeline import evaluate_all
from sovpolicy.policy import applies, evaluate
from sovpolicy.report.json import render_json
from sovpolicy.sources.tfplan import read_plan
from sovpolicy.waivers import apply_waivers


def test_chains_and_hosts_expand_to_every_finding_reasons(example_result):
    report = json.loads(render_json(example_result))
    assert report["schema_version"] == "2.0"
    evidence = {(r["input"], r["address"]): r["placement"]["evidence"] for r in report["resources"]}
    for f, finding in zip(report["findings"], example_result.findings, strict=True):
        texts = [r["text"] + (f" ({evidence[(f['input'], f['address'])][0]})" if r["at"] else "")
                 for r in report["chains"][f["chain"]]]
        assert texts == [r.text for r in finding.reasons]
    # five resources on one host (one per type in memory): written once; 20 findings, fewer chains
    assert len(report["hosts"]) == 1 and {r["host"] for r in report["resources"]} == {0}
    assert report["hosts"][0]["parents"] == ["Amazon.com, Inc."]
    assert len(report["chains"]) < len(report["findings"]) == 20
    # the place the region was read is the resource's, not the chain's
    at = [r for chain in report["chains"] for r in chain if r["at"]]
    assert at and all(r["text"] == "region aws eu-west-3 from a literal in its provider configuration"
                      or r["text"] == "region aws us-east-1 from a literal in its provider configuration" for r in at)


def test_resources_placed_alike_share_one_chain(example_result):
    report = json.loads(render_json(example_result))
    by = {(f["policy_id"], f["address"]): f["chain"] for f in report["findings"]}
    # both in eu-west-3 by the default provider configuration, both tagged health
    assert by[("SOV-HDS-002", "aws_s3_bucket.patient_records")] == by[("SOV-HDS-002", "module.archive.aws_s3_bucket.this")]
    assert by[("SOV-HDS-002", "aws_s3_bucket.patient_records")] != by[("SOV-HDS-002", "aws_s3_bucket.analytics_exports")]


def test_grouped_evaluation_gives_each_resource_its_own_findings(example_scan, pinned_catalog):
    """evaluate_all shares one evaluation among resources alike: the findings are those of
    evaluating every policy on every resource on its own."""
    result, policies = example_scan
    resources = list(result.resources)
    # a sixth resource placed and classified as patient_records, read at another place
    twin = replace(resources[3], address="aws_s3_bucket.twin",
                   placement=replace(resources[3].placement, evidence=("somewhere.else.region",)))
    assert resources[3].address == "aws_s3_bucket.patient_records" and not any(r.flows for r in resources)
    resources.append(twin)
    grouped, _, _ = evaluate_all(resources, policies, pinned_catalog, AS_OF)
    alone = []
    for res in resources:
        host = result.host(resources[3]) if res is twin else result.host(res)
        for pol in policies:
            if applies(pol, res) and res.classifications:
                f = evaluate(pol, res, host, pinned_catalog, AS_OF)
                if f is not None:
                    alone.append(f)

    def view(f):
        return (f.policy_id, f.address, f.status, f.blocking, f.message, [r.text for r in f.reasons], f.resource.address)

    assert sorted(map(view, grouped)) == sorted(map(view, alone))
    mine = [f for f in grouped if f.address == "aws_s3_bucket.twin"]
    assert mine and all(f.reasons[1].text.endswith("(somewhere.else.region)") and f.message.startswith("aws_s3_bucket.twin (")
                        for f in mine)


def test_a_resource_with_flows_shares_its_own_findings_and_has_its_flows_own(example_scan, pinned_catalog):
    """A resource alike another but for its flows gets the same findings on itself (shared)
    and its own on each flow, after its own, policy by policy: as evaluating it alone does."""
    from sovpolicy.catalog import resolve_host
    from sovpolicy.model import Flow, FlowKind, Origin, Placement

    result, policies = example_scan
    resources = list(result.resources)
    to = Placement("aws", "us-east-1", Origin.RESOURCE, ("replication.rules[0].destination",))
    flow = Flow(to, FlowKind.REPLICATE, "aws_s3_bucket.z_copier replication", ("replication.rules[0]",), "test-rule")
    copier = replace(resources[3], address="aws_s3_bucket.z_copier", flows=(flow,))
    resources.append(copier)
    grouped, _, _ = evaluate_all(resources, policies, pinned_catalog, AS_OF)
    host = result.host(resources[3])
    alone = []
    for pol in policies:
        if applies(pol, copier):
            alone += [evaluate(pol, copier, host, pinned_catalog, AS_OF),
                      evaluate(pol, copier, host, pinned_catalog, AS_OF, flow=flow,
                               flow_host=resolve_host(pinned_catalog, to, copier.type))]

    def view(f):
        return (f.policy_id, f.address, f.status, f.blocking, f.message, [r.text for r in f.reasons], f.flow)

    mine = [f for f in grouped if f.address == "aws_s3_bucket.z_copier"]
    assert len(mine) == 2 * len(policies) and [view(f) for f in mine] == [view(f) for f in alone]
    assert [f.flow is flow for f in mine] == [False, True] * len(policies)
    assert any(f.status is Status.FAIL and "us-east-1" in f.message for f in mine if f.flow is flow)
    # its own findings share the chain of patient_records' (placed alike), as findings made alike do
    twin = {f.policy_id: f for f in grouped if f.address == "aws_s3_bucket.patient_records"}
    # (made from patient_records' findings, which come first: chain_like says so)
    assert all(f.chain_like is not None and f.chain_like is (twin[f.policy_id].chain_like or twin[f.policy_id].reasons)
               for f in mine if f.flow is None)


def _expanded(report):
    """Every finding's chain as the texts it stands for (``at`` put back from its resource)."""
    evidence = {(r["input"], r["address"]): r["placement"]["evidence"] for r in report["resources"]}
    return {(f["policy_id"], f["address"]): [r["text"] + (f" ({evidence[(f['input'], f['address'])][0]})" if r["at"] else "")
                                            for r in report["chains"][f["chain"]]] for f in report["findings"]}


def test_a_waived_finding_made_alike_keeps_its_own_chain(example_scan, pinned_catalog):
    """Findings made alike share their template's chain in the report, until a waiver adds a
    reason to one of them: then that one's chain is its own (it holds the waiver)."""
    result, policies = example_scan
    resources = list(result.resources)
    twin = replace(resources[3], address="aws_s3_bucket.twin",
                   placement=replace(resources[3].placement, evidence=("somewhere.else.region",)))
    resources.append(twin)
    findings, hosts, flow_hosts = evaluate_all(resources, policies, pinned_catalog, AS_OF)
    shared = [f for f in findings if f.address == "aws_s3_bucket.twin"]
    assert shared and all(f.chain_like is not None for f in shared)
    failing = next(f for f in shared if f.status is Status.FAIL)
    waiver = Waiver(failing.policy_id, "aws_s3_bucket.twin", "moving it", AS_OF.replace(year=AS_OF.year + 1), "test:1")
    findings, _ = apply_waivers(findings, [waiver], AS_OF, 0)
    waived = next(f for f in findings if f.address == "aws_s3_bucket.twin" and f.policy_id == failing.policy_id)
    assert waived.status is Status.WAIVED and waived.chain_like is None
    report = json.loads(render_json(replace(result, resources=tuple(resources), findings=tuple(findings),
                                            hosts=hosts, flow_hosts=flow_hosts)))
    chains = _expanded(report)
    for f in findings:
        assert chains[(f.policy_id, f.address)] == [r.text for r in f.reasons]
    assert chains[(failing.policy_id, "aws_s3_bucket.twin")][-1] == waiver.describe()
    assert chains[(failing.policy_id, "aws_s3_bucket.patient_records")][-1] != waiver.describe()


def test_evolve_is_replace_without_stale_cached_values(example_result):
    res = next(r for r in example_result.resources if r.classifications)
    assert res.data_classes  # computed and cached on the object
    bare = evolve(res, classifications=(Classification("internal", "test"),))
    assert bare.data_classes == frozenset({"internal"}) and bare == replace(res, classifications=bare.classifications)
    assert res.data_classes != bare.data_classes and bare.address == res.address
    with pytest.raises(TypeError, match="no field 'nope'"):
        evolve(res, nope=1)


@pytest.mark.parametrize(("text", "needle"), [
    ('{"format_version": "1.2", "resource_changes": [{"address": "a.b", "type": "a", "change": {"actions": ["create"]}},'
     ' {"address": 3}]}', "$.resource_changes[1].address"),
    ('{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": "create"}}]}',
     "$.resource_changes[0].change.actions"),
    ('{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": ["create"]}}],'
     ' "configuration": {"provider_config": 3}}', "$.configuration.provider_config"),
])
def test_a_change_decoded_from_its_slice_fails_as_a_whole_decode(tmp_path, catalog, text, needle):
    p = tmp_path / "plan.json"
    p.write_text(text)
    with pytest.raises(InputError) as err:
        read_plan(p, catalog)
    assert needle in str(err.value) and err.value.where == str(p)


def _streamed_equals_plain(result):
    """The streamed report (findings written from encoded parts) says what the plain data
    does, field for field and in the same order."""
    import msgspec

    from sovpolicy.report.json import iter_json, report_dict

    streamed = json.loads(b"".join(iter_json(result)))
    plain = json.loads(msgspec.json.encode(report_dict(result)))
    assert streamed == plain
    assert [list(f) for f in streamed["findings"]] == [list(f) for f in plain["findings"]]
    return streamed


def test_findings_written_from_encoded_parts_equal_the_plain_report(example_result, pinned_catalog):
    from conftest import FIXTURES, variant, waiver

    from sovpolicy.config import load_config
    from sovpolicy.model import Status
    from sovpolicy.pipeline import scan
    from sovpolicy.policy import load_packs
    from sovpolicy.sources.registry import file_sources

    report = _streamed_equals_plain(example_result)
    assert len(report["findings"]) == 20
    waived = _streamed_equals_plain(variant(example_result, status=Status.WAIVED, waiver=waiver()))
    assert waived["findings"][0]["waiver"]["origin"] == "main.tf:41"
    copies = scan(file_sources([FIXTURES / "plans" / "s3-replication" / "plan.json"]), load_config(None), pinned_catalog,
                  load_packs(["hds"]), AS_OF)
    flows = _streamed_equals_plain(copies)
    assert sum(1 for f in flows["findings"] if f["flow"] is not None) > 0


def test_a_report_handed_on_in_small_chunks_is_the_same_bytes(example_result, monkeypatch):
    """The buffer is reused from chunk to chunk (written over from its start): what is
    handed on is the same report, whatever the chunk size."""
    from sovpolicy.report import json as report_json

    whole = b"".join(report_json.iter_json(example_result))
    monkeypatch.setattr(report_json, "_CHUNK", 300)
    chunks = list(report_json.iter_json(example_result))
    assert b"".join(chunks) == whole
    assert sum(1 for c in chunks if len(c) >= 300) >= 10  # resources and findings in many chunks
    report = json.loads(whole)
    assert report["problems"] == [] and b'"problems": []' in whole  # an empty list, written whole
    assert len(report["findings"]) == 20 and len(report["resources"]) == len(example_result.resources)
