"""A fake Azure tenant behind a local HTTPS endpoint (127.0.0.1 only) for the Azure tests.

It serves ARM and Resource Graph responses shaped as Azure returns them (subscriptions,
resource groups, resource lists with ``nextLink`` pages, resources read by ID, SQL failover
groups, Resource Graph pages with ``$skipToken``), answers one 429 with ``Retry-After``
and a 403 for one subscription, and records every request (method and path). The
certificate is made here with ``cryptography``, for 127.0.0.1, and trusted through
``REQUESTS_CA_BUNDLE``. No request goes anywhere else.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TENANT = "99999999-0000-4000-8000-000000000009"
SUB_A = "11111111-0000-4000-8000-000000000001"  # hds-prod: France, West Europe, East US, global
SUB_B = "22222222-0000-4000-8000-000000000002"  # analytics: its resource list is throttled once
SUB_C = "33333333-0000-4000-8000-000000000003"  # forbidden: 403
SUB_D = "44444444-0000-4000-8000-00000000000d"  # disabled: never read

HEALTH = {"data_classification": "health"}


def _rg(sub: str, name: str, location: str, tags: dict[str, str] | None = None) -> dict[str, Any]:
    return {"id": f"/subscriptions/{sub}/resourceGroups/{name}", "name": name, "type": "Microsoft.Resources/resourceGroups",
            "location": location, "tags": tags or {}, "properties": {"provisioningState": "Succeeded"}}


def _res(sub: str, rg: str, rtype: str, name: str, location: str | None, tags: dict[str, str] | None = None,
         **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{rtype}/{name}",
                           "name": name.split("/")[-1], "type": rtype}
    if location is not None:
        out["location"] = location
    if tags is not None:
        out["tags"] = tags
    out.update(extra)
    return out


def rid(sub: str, rg: str, rtype: str, name: str) -> str:
    """A resource ID of the fake tenant."""
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{rtype}/{name}"


SQL_FR = rid(SUB_A, "rg-health", "Microsoft.Sql/servers", "sqlfr")
SQL_US = rid(SUB_A, "rg-health", "Microsoft.Sql/servers", "sqlus")
DB_PATIENTS = f"{SQL_FR}/databases/patients"
FAILOVER_GROUP = f"{SQL_FR}/failoverGroups/fg-patients"
ST_GRS = rid(SUB_A, "rg-health", "Microsoft.Storage/storageAccounts", "sthealthgrs")
ST_WEU = rid(SUB_A, "rg-web", "Microsoft.Storage/storageAccounts", "strecordsweu")
ST_US = rid(SUB_A, "rg-health", "Microsoft.Storage/storageAccounts", "stanalyticsus")
COSMOS = rid(SUB_A, "rg-health", "Microsoft.DocumentDB/databaseAccounts", "cosmosfhir")
VAULT = rid(SUB_A, "rg-health", "Microsoft.RecoveryServices/vaults", "rsvhealth")
KEYVAULT = rid(SUB_A, "rg-health", "Microsoft.KeyVault/vaults", "kvhealth")
FRONTDOOR = rid(SUB_A, "rg-web", "Microsoft.Cdn/profiles", "fdhealth")
WIDGET = rid(SUB_A, "rg-health", "Contoso.Widgets/widgets", "w1")
VM_B = rid(SUB_B, "rg-analytics", "Microsoft.Compute/virtualMachines", "vmanalytics")

GROUPS = {
    SUB_A: [_rg(SUB_A, "rg-health", "francecentral", HEALTH), _rg(SUB_A, "rg-web", "westeurope")],
    SUB_B: [_rg(SUB_B, "rg-analytics", "westeurope")],
}
RESOURCES = {
    SUB_A: [
        _res(SUB_A, "rg-health", "Microsoft.Storage/storageAccounts", "sthealthgrs", "francecentral", HEALTH,
             sku={"name": "Standard_GRS", "tier": "Standard"}, kind="StorageV2"),
        _res(SUB_A, "rg-web", "Microsoft.Storage/storageAccounts", "strecordsweu", "West Europe", HEALTH,
             sku={"name": "Standard_RAGRS", "tier": "Standard"}, kind="StorageV2"),
        _res(SUB_A, "rg-health", "Microsoft.Storage/storageAccounts", "stanalyticsus", "eastus", HEALTH,
             sku={"name": "Standard_LRS", "tier": "Standard"}, kind="StorageV2"),
        _res(SUB_A, "rg-health", "Microsoft.Sql/servers", "sqlfr", "francecentral", {}, kind="v12.0"),
        _res(SUB_A, "rg-health", "Microsoft.Sql/servers", "sqlus", "eastus", {}, kind="v12.0"),
        _res(SUB_A, "rg-health", "Microsoft.Sql/servers", "sqlfr/databases/patients", "francecentral", HEALTH,
             type="Microsoft.Sql/servers/databases", sku={"name": "GP_Gen5", "tier": "GeneralPurpose"}, kind="v12.0,user"),
        _res(SUB_A, "rg-health", "Microsoft.DocumentDB/databaseAccounts", "cosmosfhir", "France Central", HEALTH,
             kind="GlobalDocumentDB"),
        _res(SUB_A, "rg-health", "Microsoft.RecoveryServices/vaults", "rsvhealth", "francecentral", HEALTH,
             sku={"name": "RS0", "tier": "Standard"}),
        _res(SUB_A, "rg-health", "Microsoft.KeyVault/vaults", "kvhealth", "FranceCentral", HEALTH),
        _res(SUB_A, "rg-web", "Microsoft.Cdn/profiles", "fdhealth", "Global", HEALTH,
             sku={"name": "Standard_AzureFrontDoor"}),
        _res(SUB_A, "rg-health", "Contoso.Widgets/widgets", "w1", None, HEALTH),
    ],
    SUB_B: [
        _res(SUB_B, "rg-analytics", "Microsoft.Compute/virtualMachines", "vmanalytics", "westeurope", HEALTH),
    ],
}
# what a GET by ID adds (the list responses carry no properties)
PROPERTIES = {
    DB_PATIENTS.lower(): {"requestedBackupStorageRedundancy": "Local", "currentBackupStorageRedundancy": "Local",
                          "status": "Online"},
    COSMOS.lower(): {"locations": [{"locationName": "France Central", "failoverPriority": 0},
                                   {"locationName": "Germany West Central", "failoverPriority": 1}],
                     "backupPolicy": {"type": "Periodic", "periodicModeProperties": {"backupStorageRedundancy": "Local"}},
                     "connectionStrings": "AccountKey=CANARY-COSMOS-KEY"},
    VAULT.lower(): {"redundancySettings": {"standardTierStorageRedundancy": "GeoRedundant", "crossRegionRestore": "Enabled"}},
    KEYVAULT.lower(): {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"}},
}
FAILOVER_GROUPS = {
    SQL_FR.lower(): [{
        "id": FAILOVER_GROUP, "name": "fg-patients", "type": "Microsoft.Sql/servers/failoverGroups",
        "location": "France Central",
        "properties": {"replicationRole": "Primary",
                       "partnerServers": [{"id": SQL_US, "location": "East US", "replicationRole": "Secondary"}],
                       "databases": [DB_PATIENTS]}}],
    SQL_US.lower(): [],
}
SUBSCRIPTIONS = [
    {"id": f"/subscriptions/{SUB_A}", "subscriptionId": SUB_A, "tenantId": TENANT, "displayName": "hds-prod", "state": "Enabled"},
    {"id": f"/subscriptions/{SUB_B}", "subscriptionId": SUB_B, "tenantId": TENANT, "displayName": "analytics", "state": "Enabled"},
    {"id": f"/subscriptions/{SUB_C}", "subscriptionId": SUB_C, "tenantId": TENANT, "displayName": "forbidden", "state": "Enabled"},
    {"id": f"/subscriptions/{SUB_D}", "subscriptionId": SUB_D, "tenantId": TENANT, "displayName": "closed", "state": "Disabled"},
]


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1 (PEM files in ``directory``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class FakeAzure:
    """The fake tenant's HTTPS endpoint. ``requests`` lists ``(method, path)`` of every request."""

    def __init__(self, directory: Path, throttle: int = 1) -> None:
        self.cert, key = make_certificate(directory)
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[dict[str, Any]] = []
        self.throttle_left = throttle
        self.graph_bad_row = False
        self.deny_failover_groups = False
        self.graph_table = False  # answer Resource Graph in the table format whatever is asked
        self.hidden: set[str] = set()  # resource IDs deleted from the tenant
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                with fake.lock:
                    fake.requests.append((method, self.path))
                    if body:
                        fake.bodies.append(body)
                status, headers, payload = fake.route(method, self.path, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def do_PUT(self) -> None:
                self._answer("PUT")

            def do_DELETE(self) -> None:
                self._answer("DELETE")

            def do_PATCH(self) -> None:
                self._answer("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ routes
    def route(self, method: str, raw: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(raw)
        path = "/" + parts.path.strip("/")
        query = parse_qs(parts.query)
        low = path.lower()
        if method == "POST" and low == "/providers/microsoft.resourcegraph/resources":
            return self.graph(body)
        if method != "GET":
            return 405, {}, {"error": {"code": "MethodNotAllowed", "message": "read-only fake"}}
        if low == "/subscriptions":
            return 200, {}, {"value": SUBSCRIPTIONS}
        segs = path.split("/")
        sub = segs[2] if len(segs) > 2 else ""
        if sub == SUB_C:
            return 403, {}, {"error": {"code": "AuthorizationFailed", "message":
                             f"The client does not have authorization to perform action over scope '/subscriptions/{sub}'."}}
        if len(segs) == 4 and segs[3].lower() == "resourcegroups":
            return 200, {}, {"value": GROUPS.get(sub, [])}
        if len(segs) == 4 and segs[3].lower() == "resources":
            return self.resource_list(sub, query)
        if low.endswith("/failovergroups") and self.deny_failover_groups:
            return 403, {}, {"error": {"code": "AuthorizationFailed", "message": "no read access to failover groups"}}
        if low.endswith("/failovergroups"):
            return 200, {}, {"value": FAILOVER_GROUPS.get(low[: -len("/failovergroups")], [])}
        for items in RESOURCES.values():
            for r in items:
                if r["id"].lower() == low:
                    return 200, {}, {**r, "properties": PROPERTIES.get(low, {})}
        return 404, {}, {"error": {"code": "ResourceNotFound", "message": f"{path} not found"}}

    def resource_list(self, sub: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        if sub == SUB_B:
            with self.lock:
                if self.throttle_left > 0:
                    self.throttle_left -= 1
                    return 429, {"Retry-After": "1"}, {"error": {"code": "TooManyRequests", "message": "throttled"}}
        items = [r for r in RESOURCES.get(sub, []) if r["id"] not in self.hidden]
        half = (len(items) + 1) // 2
        if "$skiptoken" in query:
            return 200, {}, {"value": items[half:]}
        api = query.get("api-version", [""])[0]
        nxt = f"{self.url}/subscriptions/{sub}/resources?api-version={api}&$skiptoken=page2"
        return 200, {}, {"value": items[:half], "nextLink": nxt} if half < len(items) else {"value": items}

    def graph_rows(self, subs: list[str]) -> list[dict[str, Any]]:
        rows = []
        for sub in subs:
            rows.append({"id": f"/subscriptions/{sub}", "name": sub, "type": "microsoft.resources/subscriptions",
                         "subscriptionId": sub, "tags": {}, "properties": {"state": "Enabled"}})
            for g in GROUPS.get(sub, []):
                rows.append({**g, "type": "microsoft.resources/subscriptions/resourcegroups",
                             "resourceGroup": g["name"], "subscriptionId": sub})
            for r in RESOURCES.get(sub, []):
                if r["id"] in self.hidden:
                    continue
                rows.append({**r, "type": r["type"].lower(), "subscriptionId": sub,
                             "resourceGroup": r["id"].split("/")[4], "properties": PROPERTIES.get(r["id"].lower(), {})})
        return sorted(rows, key=lambda r: r["id"])

    def graph(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        subs = [s for s in body.get("subscriptions") or [s["subscriptionId"] for s in SUBSCRIPTIONS] if s in (SUB_A, SUB_B)]
        rows = self.graph_rows(subs)
        if self.graph_bad_row:
            rows[-1] = {**rows[-1], "id": 7}
        opts = body.get("options") or {}
        start = int(opts.get("$skipToken") or 0)
        page = max(1, (len(rows) + 1) // 2)
        chunk = rows[start:start + page]
        out: dict[str, Any] = {"totalRecords": len(rows), "count": len(chunk), "resultTruncated": "false",
                               "facets": [], "data": chunk}
        if opts.get("resultFormat") == "table" or self.graph_table:
            cols = ["id", "name", "type", "location", "resourceGroup", "subscriptionId", "tags", "sku", "kind", "properties"]
            out["data"] = {"columns": [{"name": c, "type": "string"} for c in cols],
                           "rows": [[r.get(c) for c in cols] for r in chunk]}
        if start + page < len(rows):
            out["$skipToken"] = str(start + page)
        return 200, {}, out
