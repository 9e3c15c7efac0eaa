"""Offline Azure inventories: every corpus export reads, each format by content, malformed
exports name the file and the place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import corpus_dir

from sovpolicy.catalog.resolve import resolve_host
from sovpolicy.errors import InputError
from sovpolicy.model import Origin
from sovpolicy.sources.azure_export import decode, detect, read_export

SUB = "/subscriptions/11111111-0000-4000-8000-000000000001"
ST = f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1"
KV = f"{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1"

#: corpus file -> (format, resources, incomplete)
CORPUS = {
    "azure-arm-nsg-list-43-c7n.json": ("azure-arm", 43, False),
    "azure-arm-resourcegroups-list-c7n.json": ("azure-arm", 17, False),
    "azure-arm-resources-list-78-c7n.json": ("azure-arm", 78, False),
    "azure-arm-vms-same-as-graph-c7n.json": ("azure-arm", 1, False),
    "azure-get-azresource-export-keyvault-region-placeholder-psrule.json": ("azure-powershell", 5, False),
    "azure-resource-graph-storage-TABLE-format-c7n.json": ("azure-graph", 1, True),
    "azure-resource-graph-vms-TABLE-format-c7n.json": ("azure-graph", 1, True),
}


def test_every_corpus_export_reads(catalog):
    folder = corpus_dir("inventory")
    names = sorted(p.name for p in folder.glob("azure-*"))
    assert names == sorted(CORPUS)
    for name, (fmt, count, incomplete) in CORPUS.items():
        doc = json.loads((folder / name).read_text(encoding="utf-8"))
        assert detect(doc) == fmt, name
        resources, problems, notes = read_export(folder / name, doc, catalog)
        assert len(resources) == count, name
        assert [p.kind for p in problems] == (["incomplete"] if incomplete else []), name
        assert all(r.placement.cloud == "azure" for r in resources)
        assert len({r.address.lower() for r in resources}) == count


def test_corpus_resource_list_values(catalog):
    path = corpus_dir("inventory") / "azure-arm-resources-list-78-c7n.json"
    resources, _, _ = read_export(path, json.loads(path.read_text(encoding="utf-8")), catalog)
    res = {r.address: r for r in resources}
    cog = res["/subscriptions/ea42f556-5106-4743-99b0-c129bfa71a47/resourceGroups/test_cognitive-service/providers/"
               "Microsoft.CognitiveServices/accounts/cctest-cog-serv"]
    assert (cog.type, cog.placement.region, cog.placement.origin) == ("azurerm_cognitive_account", "global", Origin.OBSERVED)
    alert = [r for r in resources if r.type == "microsoft.insights/alertrules"]
    assert sorted(r.placement.region or "" for r in alert) == ["eastus", "eastus", "westus2"]
    by_type: dict[str, int] = {}
    for r in resources:
        by_type[r.type] = by_type.get(r.type, 0) + 1
    assert by_type["azurerm_storage_account"] == 8 and by_type["azurerm_mssql_database"] == 2
    # an ARM list carries no properties: where a database's backups go is the documented default (Geo)
    db = next(r for r in resources if r.type == "azurerm_mssql_database")
    assert [(f.to.region, f.rule) for f in db.flows if f.rule == "azure-sql-geo-backup"] == [("centralus", "azure-sql-geo-backup")]
    assert any(f.rule == "azure-properties-unread" and not f.to.resolved for f in db.flows)


def test_corpus_powershell_export(catalog):
    path = corpus_dir("inventory") / "azure-get-azresource-export-keyvault-region-placeholder-psrule.json"
    resources, _, _ = read_export(path, json.loads(path.read_text(encoding="utf-8")), catalog)
    vaults = [r for r in resources if r.type == "azurerm_key_vault"]
    diags = [r for r in resources if r.type == "azurerm_monitor_diagnostic_setting"]
    assert len(vaults) == 3 and len(diags) == 2
    # the placeholder location "region" is no region the catalog knows: nothing can satisfy a requirement
    host = resolve_host(catalog, vaults[0].placement, vaults[0].type)
    assert vaults[0].placement.region == "region" and host is not None and host.known_region is False
    assert all(d.placement.origin is Origin.PARENT and d.placement.region == "region" for d in diags)


def _obj(rid: str, rtype: str, location: str | None, **extra: object) -> dict[str, object]:
    return {"id": rid, "type": rtype, "location": location, "tags": {"data_classification": "health"}, **extra}


def test_formats_by_content(catalog, tmp_path):
    st = _obj(ST, "Microsoft.Storage/storageAccounts", "France Central", sku={"name": "Standard_RAGZRS"})
    kv = _obj(KV, "microsoft.keyvault/vaults", "westeurope")
    docs = {
        "azure-arm": {"value": [st, kv]},
        "azure-cli": [st, kv],
        "azure-graph": {"count": 2, "data": [st, kv], "skip_token": None, "total_records": 2},
        "azure-powershell": [{"ResourceId": ST, "ResourceType": "Microsoft.Storage/storageAccounts", "Location": "francecentral",
                              "Tags": {"data_classification": "health"}, "Sku": {"name": "Standard_RAGZRS"}},
                             {"ResourceId": KV, "ResourceType": "Microsoft.KeyVault/vaults", "Location": "westeurope"}],
    }
    cols = ["id", "type", "location", "tags", "sku"]
    docs_table = {"totalRecords": 2, "count": 2, "resultTruncated": "false",
                  "data": {"columns": [{"name": c, "type": "string"} for c in cols],
                           "rows": [[o.get(c) for c in cols] for o in (st, kv)]}}
    for fmt, doc in [*docs.items(), ("azure-graph", docs_table)]:
        assert detect(doc) == fmt
        resources, problems, notes = read_export(tmp_path / "x.json", doc, catalog)
        assert problems == []
        res = {r.address.lower(): r for r in resources}
        s = res[ST.lower()]
        assert (s.type, s.placement.region, s.attributes) == ("azurerm_storage_account", "francecentral",
                                                              {"account_replication_type": "RAGZRS"}), fmt
        assert [(f.to.region, f.rule) for f in s.flows] == [("francesouth", "azure-storage-geo-redundancy")], fmt
        assert [(f.to.region, f.rule) for f in res[KV.lower()].flows] == [("northeurope", "azure-key-vault-paired")], fmt
    single = docs["azure-powershell"][0]
    assert detect(single) == "azure-powershell" and len(read_export(tmp_path / "x.json", single, catalog)[0]) == 1


def test_pages_that_say_more_exist_are_incomplete(catalog):
    st = _obj(ST, "Microsoft.Storage/storageAccounts", "francecentral")
    _, problems, _ = read_export(Path("p.json"), {"value": [st], "nextLink": "https://management.azure.com/x"}, catalog)
    assert [(p.kind, p.where) for p in problems] == [("incomplete", "p.json:$.nextLink")]
    _, problems, _ = read_export(Path("g.json"), {"totalRecords": 5, "count": 1, "data": [st], "$skipToken": "abc"}, catalog)
    assert [(p.kind, p.where) for p in problems] == [("incomplete", "g.json:$.$skipToken")]
    _, problems, _ = read_export(Path("g.json"), {"totalRecords": 5, "count": 1, "data": [st]}, catalog)
    assert "1 of its 5" in problems[0].message


@pytest.mark.parametrize("doc, where, text", [
    ({"value": [{"id": ST, "type": "x"}, {"type": "Microsoft.Storage/storageAccounts"}]}, "inv.json:$.value[1]", "'id'"),
    ({"value": [{"id": ST, "type": "x", "tags": ["a"]}]}, "inv.json:$.value[0].tags", "'tags'"),
    ([{"id": ST, "type": "x", "location": 3}], "inv.json:$[0].location", "'location'"),
    ({"totalRecords": 1, "data": {"columns": [{"name": "id"}], "rows": [["a", "b"]]}}, "inv.json:$.data.rows[0]", "1 values"),
    ({"totalRecords": 1, "data": [{"id": ST}]}, "inv.json:$.data[0]", "'type'"),
    ({"ResourceId": ST, "ResourceType": "x", "resources": {"a": 1}}, "inv.json:$.resources", "'resources'"),
])
def test_malformed_exports_name_file_and_place(catalog, doc, where, text):
    with pytest.raises(InputError) as err:
        read_export(Path("inv.json"), doc, catalog)
    assert err.value.where == where and text in str(err.value)


def test_not_azure():
    assert detect({"ResourceTagMappingList": []}) is None
    assert detect({"format_version": "1.2", "planned_values": {}}) is None
    assert detect([{"id": "i-123", "type": "x"}]) is None
    with pytest.raises(InputError):
        decode({"value": [1]}, "x.json")


def test_partner_server_outside_the_input_is_placed_by_the_failover_group(catalog):
    server = f"{SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/sqlfr"
    db = _obj(f"{server}/databases/patients", "Microsoft.Sql/servers/databases", "francecentral",
              properties={"currentBackupStorageRedundancy": "Zone"})
    partner = "/subscriptions/22222222-0000-4000-8000-000000000002/resourceGroups/dr/providers/Microsoft.Sql/servers/sqlus"
    fg = {"id": f"{server}/failoverGroups/fg", "type": "Microsoft.Sql/servers/failoverGroups",
          "properties": {"partnerServers": [{"id": partner, "location": "East US"}], "databases": [db["id"]]}}
    resources, _, _ = read_export(Path("fg.json"), {"value": [db, fg]}, catalog)
    res = {r.address: r for r in resources}
    assert len(resources) == 2  # the partner is no resource of this input
    [flow] = res[db["id"]].flows
    assert (flow.to.region, flow.rule) == ("eastus", "azure-sql-failover-group")
    assert any("partnerServers[0].location = East US" in e and "not in this input" in e for e in flow.to.evidence)
    # the failover group has no location: its server is not in the file either, nor its group
    assert res[fg["id"]].placement.region is None
    # without a location for the partner: unresolved (policies say unknown)
    fg["properties"]["partnerServers"][0].pop("location")
    resources, _, _ = read_export(Path("fg.json"), {"value": [db, fg]}, catalog)
    [flow] = next(r for r in resources if r.address == db["id"]).flows
    assert not flow.to.resolved and partner in (flow.to.reason or "")


def test_a_bleu_location_places_the_resource_in_bleu(catalog):
    st = _obj(ST, "Microsoft.Storage/storageAccounts", "Bleu France Central", sku={"name": "Standard_GRS"})
    [r], _, _ = read_export(Path("bleu.json"), [st], catalog)
    assert (r.placement.cloud, r.placement.region) == ("bleu", "bleufrancecentral")
    host = resolve_host(catalog, r.placement, r.type)
    assert host is not None and host.known_region and host.country == "FR" and host.operator is not None
    assert host.operator.id == "bleu"
    # no region pair is catalogued for Bleu: the geo-redundant copy's place is unknown
    [flow] = r.flows
    assert flow.rule == "azure-storage-geo-redundancy" and not flow.to.resolved


def test_an_export_without_the_failover_groups_of_a_server_leaves_its_databases_unknown(catalog):
    server = _obj(f"{SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/sqlfr", "Microsoft.Sql/servers", "francecentral")
    db = _obj(f"{server['id']}/databases/patients", "Microsoft.Sql/servers/databases", "francecentral",
              properties={"currentBackupStorageRedundancy": "Local"})
    resources, _, _ = read_export(Path("g.json"), {"totalRecords": 2, "data": [server, db]}, catalog)
    flows = {r.address: [(f.rule, f.to.resolved) for f in r.flows] for r in resources}
    assert flows[db["id"]] == [("azure-children-unread", False)]
    fg = {"id": f"{server['id']}/failoverGroups/fg", "type": "Microsoft.Sql/servers/failoverGroups",
          "properties": {"partnerServers": [], "databases": []}}
    resources, _, _ = read_export(Path("g.json"), {"totalRecords": 3, "data": [server, db, fg]}, catalog)
    assert next(r for r in resources if r.address == db["id"]).flows == ()
