"""``sovpolicy scan --azure`` as a user runs it: a separate process, DefaultAzureCredential
(limited to the Azure CLI by ``AZURE_TOKEN_CREDENTIALS``, with an ``az`` of ours on PATH
that prints a token), the fake tenant of tests/azure_fake.py behind ``--arm-endpoint``;
and offline Azure exports given as files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("azure.identity", reason="the azure extra is not installed")

from azure_fake import DB_PATIENTS, FRONTDOOR, KEYVAULT, ST_GRS, ST_US, SUB_A, SUB_B, SUB_C, VM_B, FakeAzure
from conftest import corpus_dir

AZ = """#!{python}
import json, sys, time
assert sys.argv[1:4] == ["account", "get-access-token", "--output"], sys.argv
print(json.dumps({{"accessToken": "fake-cli-token", "expires_on": int(time.time()) + 3600, "tokenType": "Bearer"}}))
"""


@pytest.fixture
def tenant(tmp_path: Path) -> Iterator[tuple[FakeAzure, dict[str, str]]]:
    fake = FakeAzure(tmp_path, throttle=0)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    az = bindir / "az"
    az.write_text(AZ.format(python=sys.executable))
    az.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "MSI_", "IDENTITY_"))}
    env.update(PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}", AZURE_TOKEN_CREDENTIALS="AzureCliCredential",
               REQUESTS_CA_BUNDLE=str(fake.cert), NO_COLOR="1")
    yield fake, env
    fake.close()


def sovpolicy(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sovpolicy", "scan", *args], env=env, cwd=cwd, text=True,
                          capture_output=True, timeout=120, check=False)


def findings(report: dict[str, Any], policy: str) -> dict[tuple[str, str | None], str]:
    """(address, flow destination region or None) -> status."""
    out = {}
    for f in report["findings"]:
        if f["policy_id"] == policy:
            flow = f.get("flow")
            out[(f["address"], flow["to"]["region"] if flow else None)] = f["status"]
    return out


@pytest.mark.parametrize("inventory", ["arm", "graph"])
def test_tenant_scan_blocks_health_data_outside_the_eea(tenant, tmp_path, inventory):
    fake, env = tenant
    fake.throttle_left = 1
    proc = sovpolicy(env, "--azure", "--arm-endpoint", fake.url, "--azure-inventory", inventory,
                     "--format", "json", "--output", "out.json", "--format", "text", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    report = json.loads((tmp_path / "out.json").read_text())
    eea = findings(report, "SOV-HDS-002")
    assert eea[(ST_GRS, None)] == "pass" and eea[(ST_GRS, "francesouth")] == "pass"
    assert eea[(ST_US, None)] == "fail"
    assert eea[(DB_PATIENTS, None)] == "pass" and eea[(DB_PATIENTS, "eastus")] == "fail"
    assert eea[(KEYVAULT, "francesouth")] == "pass"
    assert eea[(FRONTDOOR, None)] == "fail"  # global: edges worldwide
    assert eea[(VM_B, None)] == "pass"
    assert {r["input"] for r in report["resources"]} == {"azure:*"}
    path = "Azure Resource Graph" if inventory == "graph" else "per-subscription ARM lists"
    assert any(path in n for n in report["notes"]) and path in proc.stdout
    assert [p["where"] for p in report["problems"]] == [f"azure:{SUB_C}"]
    assert "CANARY-COSMOS-KEY" not in proc.stdout + (tmp_path / "out.json").read_text()
    assert {m for m, _ in fake.requests} <= ({"GET", "POST"} if inventory == "graph" else {"GET"})
    if inventory == "arm":  # the 429 was answered and retried
        assert sum(p.startswith(f"/subscriptions/{SUB_B}/resources") for _, p in fake.requests) == 2


def test_unreadable_subscription_alone_is_incomplete(tenant, tmp_path):
    fake, env = tenant
    proc = sovpolicy(env, "--subscription", SUB_C, "--arm-endpoint", fake.url, cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert SUB_C in proc.stdout and "403" in proc.stdout


def test_one_subscription_with_an_export_beside_it(tenant, tmp_path):
    fake, env = tenant
    export = tmp_path / "graph.json"
    export.write_text(json.dumps({"totalRecords": 1, "count": 1, "data": [
        {"id": f"/subscriptions/{SUB_B}/resourceGroups/rg-analytics/providers/Microsoft.Storage/storageAccounts/stx",
         "type": "microsoft.storage/storageaccounts", "location": "eastus", "tags": {"data_classification": "health"},
         "sku": {"name": "Standard_LRS"}}]}))
    proc = sovpolicy(env, str(export), "--subscription", SUB_A, "--arm-endpoint", fake.url, "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert {r["input"] for r in report["resources"]} == {str(export), f"azure:{SUB_A}"}
    assert not any(SUB_B in p for _, p in fake.requests)


def test_bad_cloud_is_a_usage_error(tenant, tmp_path):
    fake, env = tenant
    proc = sovpolicy(env, "--azure", "--cloud", "Mars", "--arm-endpoint", fake.url, cwd=tmp_path)
    assert proc.returncode == 2 and "AzureUSGovernment" in proc.stderr and "Traceback" not in proc.stderr
    assert fake.requests == []


def test_corpus_exports_from_the_command_line(tmp_path):
    folder = corpus_dir("inventory")
    files = sorted(str(p) for p in folder.glob("azure-*"))
    proc = subprocess.run([sys.executable, "-m", "sovpolicy", "scan", *files, "--format", "json"], cwd=tmp_path, text=True,
                          capture_output=True, timeout=120, check=False)
    # two Resource Graph recordings hold fewer rows than their count: incomplete, nothing classified
    assert proc.returncode == 3, proc.stderr
    report = json.loads(proc.stdout)
    assert len(report["resources"]) == 43 + 17 + 78 + 1 + 5 + 1 + 1
    assert sorted(p["kind"] for p in report["problems"]) == ["incomplete", "incomplete"]


def test_malformed_export_is_exit_2_naming_file_and_place(tmp_path):
    bad = tmp_path / "inv.json"
    bad.write_text(json.dumps({"value": [{"id": f"/subscriptions/{SUB_A}/resourceGroups/rg", "type": "x"},
                                         {"id": 42, "type": "y"}]}))
    proc = subprocess.run([sys.executable, "-m", "sovpolicy", "scan", str(bad)], cwd=tmp_path, text=True,
                          capture_output=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"sovpolicy: error: {bad}:$.value[1]: a resource needs an 'id' that is an Azure resource ID (/subscriptions/...)"]


def test_history_with_the_subscription_as_scope(tenant, tmp_path):
    fake, env = tenant
    db = tmp_path / "history.db"

    def scan(sub: str) -> dict[str, Any]:
        proc = sovpolicy(env, "--subscription", sub, "--arm-endpoint", fake.url, "--history", str(db), "--format", "json",
                         cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        return json.loads(proc.stdout)

    first = scan(SUB_A)
    assert first["history"]["scope"] == f"azure:{SUB_A}" and first["history"]["previous_scan_id"] is None
    assert {f["history"] for f in first["findings"] if f["status"] != "pass"} == {"new"}
    fake.hidden.add(ST_US)  # the East US account is deleted
    second = scan(SUB_A)
    h = second["history"]
    assert h["previous_scan_id"] == first["history"]["scan_id"]
    assert ("SOV-HDS-002", ST_US) in {(r["policy_id"], r["address"]) for r in h["resolved"]}
    assert {f["history"] for f in second["findings"] if f["status"] != "pass"} == {"unchanged"}
    assert scan(SUB_B)["history"]["previous_scan_id"] is None  # another subscription: another scope
    data = db.read_bytes()
    assert b"CANARY-COSMOS-KEY" not in data and b"fake-cli-token" not in data
