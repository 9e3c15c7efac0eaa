"""The live Azure scan against a local HTTPS endpoint serving ARM and Resource Graph
responses (tests/azure_fake.py): the real SDK clients, no patched function."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("azure.mgmt.resourcegraph", reason="the azure extra is not installed")

from azure.core.credentials import AccessToken
from azure_fake import (
    COSMOS,
    DB_PATIENTS,
    FAILOVER_GROUP,
    FRONTDOOR,
    KEYVAULT,
    SQL_US,
    ST_GRS,
    ST_US,
    ST_WEU,
    SUB_A,
    SUB_B,
    SUB_C,
    SUB_D,
    TENANT,
    VAULT,
    VM_B,
    WIDGET,
    FakeAzure,
)

from sovpolicy.errors import UsageError
from sovpolicy.model import Origin, Resource
from sovpolicy.sources.azure import AzureOptions, LiveScan, scan


class TokenCredential:
    """Our own credential object handed to the SDK: records what it was asked for."""

    def __init__(self) -> None:
        self.asked: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.asked.append((scopes, kwargs))
        return AccessToken("fake-token", int(time.time()) + 3600)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzure]:
    server = FakeAzure(tmp_path, throttle=0)  # the tests of throttling ask for it
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))
    yield server
    server.close()


def run(fake: FakeAzure, catalog, **opts: Any) -> LiveScan:
    return scan(AzureOptions(arm_endpoint=fake.url, **opts), catalog, TokenCredential())


def by_id(out: LiveScan) -> dict[str, Resource]:
    return {r.address.lower(): r for r in out.resources}


def flows(r: Resource) -> list[tuple[str | None, str]]:
    return sorted((f.to.region, f.rule) for f in r.flows)


def test_arm_path_reads_every_readable_subscription(fake, catalog):
    out = run(fake, catalog, inventory="arm")
    res = by_id(out)
    assert out.path == "per-subscription ARM lists"
    # groups and resources of A and B, the failover group listed under its server; nothing of C
    assert len(out.resources) == 16
    assert not any(SUB_C in a for a in res)
    assert not any(SUB_D in p for _, p in fake.requests)  # a disabled subscription is not read
    st = res[ST_GRS.lower()]
    assert (st.type, st.placement.cloud, st.placement.region, st.placement.origin) == \
        ("azurerm_storage_account", "azure", "francecentral", Origin.OBSERVED)
    assert st.tags == {"data_classification": "health"}
    assert res[ST_WEU.lower()].placement.region == "westeurope"  # "West Europe"
    assert res[KEYVAULT.lower()].placement.region == "francecentral"  # "FranceCentral"
    assert res[COSMOS.lower()].placement.region == "francecentral"  # "France Central"
    assert res[FRONTDOOR.lower()].placement.region == "global"  # "Global"
    # no location: its resource group's, with the parent as origin
    w = res[WIDGET.lower()]
    assert (w.type, w.placement.region, w.placement.origin) == ("Contoso.Widgets/widgets", "francecentral", Origin.PARENT)
    assert "rg-health" in w.placement.evidence[0]
    assert any("no Terraform type" in n for n in w.notes)
    assert res[VM_B.lower()].type == "azurerm_virtual_machine"


def test_flows_from_properties(fake, catalog):
    res = by_id(run(fake, catalog, inventory="arm"))
    assert flows(res[ST_GRS.lower()]) == [("francesouth", "azure-storage-geo-redundancy")]
    assert flows(res[ST_WEU.lower()]) == [("northeurope", "azure-storage-geo-redundancy")]
    assert flows(res[ST_US.lower()]) == []  # LRS stays
    # the database is in a failover group whose partner server is in East US; its own backups are Local
    assert flows(res[DB_PATIENTS.lower()]) == [("eastus", "azure-sql-failover-group")]
    assert res[DB_PATIENTS.lower()].data_from == ()
    fg = res[FAILOVER_GROUP.lower()]
    assert fg.type == "azurerm_mssql_failover_group" and [d.source for d in fg.data_from] == [DB_PATIENTS]
    f = res[DB_PATIENTS.lower()].flows[0]
    assert SQL_US in " ".join(f.to.evidence)
    assert flows(res[COSMOS.lower()]) == [("germanywestcentral", "azure-cosmos-geo-location")]
    assert flows(res[VAULT.lower()]) == [("francesouth", "azure-recovery-vault-geo")]
    assert res[VAULT.lower()].attributes["cross_region_restore_enabled"] == "Enabled"
    assert flows(res[KEYVAULT.lower()]) == [("francesouth", "azure-key-vault-paired")]


def test_no_secret_property_is_kept(fake, catalog):
    out = run(fake, catalog, inventory="arm")
    assert "CANARY-COSMOS-KEY" not in repr(out.resources)
    assert by_id(out)[COSMOS.lower()].attributes == {
        "geo_location": [{"location": "francecentral"}, {"location": "germanywestcentral"}],
        "backup": {"storage_redundancy": "Local"}}


def test_only_reads(fake, catalog):
    run(fake, catalog, inventory="arm")
    assert fake.requests and {m for m, _ in fake.requests} == {"GET"}
    fake.requests.clear()
    run(fake, catalog, inventory="graph")
    posts = [p for m, p in fake.requests if m == "POST"]
    assert {m for m, _ in fake.requests} <= {"GET", "POST"}
    assert posts and all(p.lower().startswith("/providers/microsoft.resourcegraph/resources?") for p in posts)


def test_throttling_is_retried_by_the_sdk(fake, catalog):
    fake.throttle_left = 1
    out = run(fake, catalog, inventory="arm")
    listed_b = [p for m, p in fake.requests if p.startswith(f"/subscriptions/{SUB_B}/resources")]
    assert len(listed_b) == 2  # the 429, then the retry after Retry-After
    assert fake.throttle_left == 0
    assert VM_B.lower() in by_id(out)
    assert not [p for p in out.problems if SUB_B in p.message]


def test_forbidden_subscription_is_a_problem_and_the_scan_goes_on(fake, catalog):
    for inventory in ("arm", "graph"):
        out = run(fake, catalog, inventory=inventory)
        denied = [p for p in out.problems if p.kind == "access"]
        assert len(denied) == 1 and SUB_C in denied[0].message and denied[0].where == f"azure:{SUB_C}"
        assert ST_GRS.lower() in by_id(out)


def test_pages_are_followed(fake, catalog):
    out = run(fake, catalog, inventory="arm")
    assert any("$skiptoken=page2" in p for _, p in fake.requests)
    assert WIDGET.lower() in by_id(out)  # on the second page of A
    fake.requests.clear()
    fake.bodies.clear()
    out = run(fake, catalog, inventory="graph")
    graph_bodies = [b for b in fake.bodies if "query" in b]
    assert len(graph_bodies) == 2
    assert "$skipToken" not in (graph_bodies[0].get("options") or {})
    assert graph_bodies[1]["options"]["$skipToken"]
    assert graph_bodies[0]["options"]["resultFormat"] == "objectArray"


def test_graph_and_arm_paths_agree(fake, catalog):
    arm = run(fake, catalog, inventory="arm")
    graph = run(fake, catalog, inventory="graph")
    assert graph.path == "Azure Resource Graph"

    def view(out: LiveScan) -> set[tuple[str, str, str | None, tuple]]:
        return {(r.address.lower(), r.type.lower(), r.placement.region, tuple(flows(r))) for r in out.resources}

    assert view(arm) == view(graph)


def test_request_counts(fake, catalog):
    # ARM: 1 subscription list + per readable subscription 1 group list + its resource pages
    # (A: 2, B: 1 and 1 retry after the 429), C's refused group list, 3 resources read for
    # properties (database, Cosmos DB, vault), 2 SQL servers' failover groups
    fake.throttle_left = 1
    out = run(fake, catalog, inventory="arm")
    assert out.requests == {"GET": 1 + 2 + (2 + 1 + 1) + 1 + 3 + 2}
    assert "13 requests" in out.notes[0] and "per-subscription ARM lists" in out.notes[0]
    fake.requests.clear()
    # Graph: 1 subscription list, 2 query pages, 2 failover group lists
    out = run(fake, catalog, inventory="graph")
    assert out.requests == {"GET": 3, "POST": 2}
    assert len(fake.requests) == 5


def test_auto_takes_resource_graph_above_three_subscriptions(fake, catalog):
    out = run(fake, catalog, subscriptions=(SUB_A, SUB_B, SUB_C))
    assert out.path == "per-subscription ARM lists"
    extra = "44444444-0000-4000-8000-000000000004"
    out = run(fake, catalog, subscriptions=(SUB_A, SUB_B, SUB_C, extra))
    assert out.path == "Azure Resource Graph"
    assert not any(p.startswith("/subscriptions?") for _, p in fake.requests[-5:])  # given, not listed
    assert {p.where for p in out.problems} == {f"azure:{SUB_C}", f"azure:{extra}"}


def test_tenant_keeps_its_subscriptions_and_asks_tokens_for_it(fake, catalog):
    cred = TokenCredential()
    out = scan(AzureOptions(arm_endpoint=fake.url, tenant="00000000-0000-4000-8000-00000000beef", inventory="arm"),
               catalog, cred)
    assert out.resources == [] and [p.kind for p in out.problems] == ["scope"]
    assert cred.asked and all(kw.get("tenant_id") == "00000000-0000-4000-8000-00000000beef" for _, kw in cred.asked)
    out = run(fake, catalog, tenant=TENANT, inventory="arm")
    assert ST_GRS.lower() in by_id(out)


def test_sovereign_environment_picks_scopes_and_regions(fake, catalog):
    cred = TokenCredential()
    out = scan(AzureOptions(arm_endpoint=fake.url, environment="AzureUSGovernment", subscriptions=(SUB_B,),
                            inventory="arm"), catalog, cred)
    assert {s for scopes, _ in cred.asked for s in scopes} == {"https://management.core.usgovcloudapi.net/.default"}
    # westeurope is not a region of Azure Government: said, and the resource still placed
    assert any(p.kind == "region" and "AzureUSGovernment" in p.message for p in out.problems)
    assert by_id(out)[VM_B.lower()].placement.region == "westeurope"
    cred = TokenCredential()
    scan(AzureOptions(arm_endpoint=fake.url, environment="azurechinacloud", subscriptions=(SUB_B,), inventory="arm"),
         catalog, cred)
    assert {s for scopes, _ in cred.asked for s in scopes} == {"https://management.chinacloudapi.cn/.default"}
    with pytest.raises(UsageError, match="AzureUSGovernment"):
        scan(AzureOptions(arm_endpoint=fake.url, environment="Mars"), catalog, TokenCredential())


def test_management_group_is_queried_through_resource_graph(fake, catalog):
    out = run(fake, catalog, management_groups=("corp-health",))
    assert out.path == "Azure Resource Graph"
    bodies = [b for b in fake.bodies if "query" in b]
    assert bodies and all(b.get("managementGroups") == ["corp-health"] and "subscriptions" not in b for b in bodies)
    assert not any(p.startswith("/subscriptions?") for _, p in fake.requests)  # the group is the scope
    assert ST_GRS.lower() in by_id(out) and VM_B.lower() in by_id(out)
    with pytest.raises(UsageError, match="Resource Graph"):
        run(fake, catalog, management_groups=("corp-health",), inventory="arm")


def test_graph_result_short_of_its_count_is_incomplete(fake, catalog):
    fake.graph_bad_row = True  # one row without a usable id: it cannot be read
    out = run(fake, catalog, inventory="graph", subscriptions=(SUB_A, SUB_B))
    assert [p.kind for p in out.problems] == ["incomplete"]
    assert "returned" in out.problems[0].message


def test_bleu_is_its_own_cloud_reached_through_a_given_endpoint(fake, catalog):
    with pytest.raises(UsageError, match="--arm-endpoint"):
        scan(AzureOptions(environment="Bleu"), catalog, TokenCredential())
    cred = TokenCredential()
    out = scan(AzureOptions(arm_endpoint=fake.url, environment="bleu", subscriptions=(SUB_B,), inventory="arm"),
               catalog, cred)
    assert {s for scopes, _ in cred.asked for s in scopes} == {f"{fake.url}/.default"}
    # West Europe is Azure, not Bleu: said, and placed in Azure
    assert any(p.kind == "region" and "Bleu" in p.message for p in out.problems)
    assert by_id(out)[VM_B.lower()].placement.cloud == "azure"


def test_unreadable_failover_groups_leave_the_databases_unknown(fake, catalog):
    fake.deny_failover_groups = True
    out = run(fake, catalog, inventory="arm", subscriptions=(SUB_A,))
    assert {p.where for p in out.problems if "failoverGroups" in p.message} == {SQL_US, SQL_US.replace("sqlus", "sqlfr")}
    db = by_id(out)[DB_PATIENTS.lower()]
    unread = [f for f in db.flows if f.rule == "azure-children-unread"]
    assert unread and not unread[0].to.resolved and "could not be read" in (unread[0].to.reason or "")
    assert FAILOVER_GROUP.lower() not in by_id(out)


def test_resource_graph_table_format_reads_the_same(fake, catalog):
    objects = run(fake, catalog, inventory="graph")
    fake.graph_table = True
    table = run(fake, catalog, inventory="graph")
    assert {(r.address, r.type, r.placement.region, tuple(flows(r))) for r in table.resources} == \
        {(r.address, r.type, r.placement.region, tuple(flows(r))) for r in objects.resources}
    assert len(table.resources) == 16
