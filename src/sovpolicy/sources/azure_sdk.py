"""The Azure SDK calls of the live scan: the only module that talks to Azure.

Read-only calls only, all through the SDK's clients (azure-mgmt-resource,
azure-mgmt-resource-subscriptions, azure-mgmt-resourcegraph), whose pipeline retries
throttling (HTTP 429 with ``Retry-After``) and transient errors by its retry policy and
whose pagers follow ``nextLink``. Resource Graph pages are followed by skip token.
Every call is GET except the Resource Graph query, which is a POST that reads.

The SDK is imported inside functions: importing sovpolicy never needs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .azure_arm import ArmObject

#: one query for every resource and every resource group, in a stable order for paging
#: (the subscriptions themselves come too: one the query names but Graph does not return was not read)
GRAPH_QUERY = ("Resources | union (ResourceContainers | where type in~ ('microsoft.resources/subscriptions/resourcegroups', "
               "'microsoft.resources/subscriptions')) "
               "| project id, name, type, location, resourceGroup, subscriptionId, tags, sku, kind, properties "
               "| order by id asc")
GRAPH_PAGE = 1000
#: subscriptions one Resource Graph request may name (Microsoft Learn, "Troubleshoot errors using Azure
#: Resource Graph", too many subscriptions, as of 2026-12-02): more are queried in batches of this many
GRAPH_SUBSCRIPTIONS = 1000


class AzureCallError(Exception):
    """A call Azure refused or failed, with what it was (never the token or a secret)."""

    def __init__(self, call: str, status: int | None, message: str) -> None:
        super().__init__(f"{call}: {message}")
        self.call = call
        self.status = status


@dataclass
class Counter:
    """Counts the HTTP requests the SDK sends (retries included), by method, from any thread."""

    by_method: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def hook(self, request: Any) -> None:
        method = request.http_request.method
        with self.lock:
            self.by_method[method] = self.by_method.get(method, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.by_method.values())


@dataclass
class Clients:
    """SDK clients for one environment (endpoints from the SDK's cloud setting, or a given
    management endpoint for Azure Stack Hub and tests)."""

    credential: Any
    cloud_setting: str
    base_url: str | None
    counter: Counter
    scope: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _kwargs(self) -> dict[str, Any]:
        from azure.core import AzureClouds

        kw: dict[str, Any] = {"cloud_setting": AzureClouds[self.cloud_setting], "raw_request_hook": self.counter.hook}
        if self.base_url:
            kw["base_url"] = self.base_url
        if self.scope:
            kw["credential_scopes"] = [self.scope]
        return kw

    def subscriptions(self) -> Any:
        if "subs" not in self._cache:
            from azure.mgmt.resource.subscriptions import SubscriptionClient

            self._cache["subs"] = SubscriptionClient(self.credential, **self._kwargs())
        return self._cache["subs"]

    def resources(self, subscription: str) -> Any:
        key = f"arm:{subscription}"
        with self._lock:  # one client per subscription, whichever thread asks first
            if key not in self._cache:
                from azure.mgmt.resource.resources import ResourceManagementClient

                self._cache[key] = ResourceManagementClient(self.credential, subscription, **self._kwargs())
            return self._cache[key]

    def graph(self) -> Any:
        if "graph" not in self._cache:
            from azure.mgmt.resourcegraph import ResourceGraphClient

            self._cache["graph"] = ResourceGraphClient(self.credential, **self._kwargs())
        return self._cache["graph"]


def _guard(call: str, fn: Callable[[], Any]) -> Any:
    """Run one SDK call; an HTTP or authentication error becomes :class:`AzureCallError`."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    try:
        return fn()
    except ClientAuthenticationError as e:
        raise AzureCallError(call, getattr(e, "status_code", None), f"authentication failed: {_short(e)}") from None
    except HttpResponseError as e:
        code = getattr(getattr(e, "error", None), "code", None)
        raise AzureCallError(call, e.status_code, f"HTTP {e.status_code}" + (f" {code}" if code else "")
                             + f": {_short(e)}") from None
    except ServiceRequestError as e:
        raise AzureCallError(call, None, f"cannot reach Azure: {_short(e)}") from None


def _short(e: Exception) -> str:
    err = getattr(e, "error", None)
    text = getattr(err, "message", None) or getattr(e, "message", None) or str(e)
    return str(text).splitlines()[0][:300]


@dataclass(frozen=True)
class Subscription:
    id: str
    name: str
    tenant: str | None
    state: str | None


def list_subscriptions(clients: Clients) -> list[Subscription]:
    """Every subscription the identity can read (paged)."""
    def run() -> list[Subscription]:
        return [Subscription(s.subscription_id, s.display_name or s.subscription_id, s.tenant_id,
                             None if s.state is None else str(getattr(s.state, "value", s.state)))
                for s in clients.subscriptions().subscriptions.list() if s.subscription_id]
    return _guard("GET /subscriptions", run)


def _rest(model: Any) -> dict[str, Any]:
    """An SDK model as the REST API spells it (``id``, ``type``, ``location``, ``properties``...)."""
    out = model.serialize(keep_readonly=True)
    return out if isinstance(out, dict) else {}


def list_subscription(clients: Clients, subscription: str) -> list[ArmObject]:
    """The resource groups and resources of one subscription (paged)."""
    arm = clients.resources(subscription)
    groups = _guard(f"GET /subscriptions/{subscription}/resourcegroups",
                    lambda: [ArmObject(_rest(g), f"GET /subscriptions/{subscription}/resourcegroups")
                             for g in arm.resource_groups.list()])
    items = _guard(f"GET /subscriptions/{subscription}/resources",
                   lambda: [ArmObject(_rest(r), f"GET /subscriptions/{subscription}/resources")
                            for r in arm.resources.list()])
    return [o for o in groups + items if isinstance(o.obj.get("id"), str)]


def read_resource(clients: Clients, resource_id: str, api_version: str) -> ArmObject:
    """One resource with its properties."""
    from .azure_arm import subscription_of

    arm = clients.resources(subscription_of(resource_id) or "")
    call = f"GET {resource_id}?api-version={api_version}"
    return ArmObject(_guard(call, lambda: _rest(arm.resources.get_by_id(resource_id, api_version))), call)


def list_children(clients: Clients, resource_id: str, segment: str, api_version: str) -> list[ArmObject]:
    """A child collection of a resource (``<id>/failoverGroups``), as the API returns it."""
    from .azure_arm import subscription_of

    arm = clients.resources(subscription_of(resource_id) or "")
    call = f"GET {resource_id}/{segment}?api-version={api_version}"

    def run() -> Any:
        return arm.resources.get_by_id(f"{resource_id}/{segment}", api_version,
                                       cls=lambda response, _model, _headers: response.http_response.json())
    body = _guard(call, run)
    values = body.get("value") if isinstance(body, dict) else None
    if not isinstance(values, list):
        raise AzureCallError(call, None, "expected a list response ({\"value\": [...]})")
    if body.get("nextLink"):
        raise AzureCallError(call, None, "the list has more pages than sovpolicy reads")
    return [ArmObject(v, call) for v in values if isinstance(v, dict) and isinstance(v.get("id"), str)]


def graph_pages(clients: Clients, subscriptions: list[str], management_groups: list[str]) -> Iterator[tuple[list[ArmObject], int | None]]:
    """Resource Graph results, page by page (skip tokens), objects format; with each page the
    total record count Azure reports."""
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    graph = clients.graph()
    token: str | None = None
    page = 0
    while True:
        request = QueryRequest(
            subscriptions=subscriptions or None, management_groups=management_groups or None, query=GRAPH_QUERY,
            options=QueryRequestOptions(result_format="objectArray", top=GRAPH_PAGE, skip_token=token))
        call = f"POST /providers/Microsoft.ResourceGraph/resources (page {page + 1})"
        response = _guard(call, _bind(graph.resources, request))
        data = response.data
        if isinstance(data, dict):  # the table format, should the service answer with it
            from .azure_arm import table_rows

            try:
                rows = table_rows(data, "data")
            except TypeError as e:
                raise AzureCallError(call, None, f"unexpected table: {e}") from None
        elif isinstance(data, list):
            rows = [(o, f"data[{i}]") for i, o in enumerate(data)]
        else:
            raise AzureCallError(call, None, "unexpected result shape")
        yield [ArmObject(o, f"{call} {w}") for o, w in rows if isinstance(o, dict) and isinstance(o.get("id"), str)], \
            response.total_records
        token = response.skip_token
        page += 1
        if not token:
            return


def _bind(fn: Callable[[Any], Any], arg: Any) -> Callable[[], Any]:
    return lambda: fn(arg)


def default_credential(cloud_setting: str, tenant: str | None) -> Any:
    """``DefaultAzureCredential`` for the environment's sign-in host (CLI login, environment,
    workload and managed identity), limited to ``tenant`` when given."""
    from azure.identity import AzureAuthorityHosts, DefaultAzureCredential

    authority = {"AZURE_PUBLIC_CLOUD": AzureAuthorityHosts.AZURE_PUBLIC_CLOUD,
                 "AZURE_US_GOVERNMENT": AzureAuthorityHosts.AZURE_GOVERNMENT,
                 "AZURE_CHINA_CLOUD": AzureAuthorityHosts.AZURE_CHINA}.get(cloud_setting)
    kw: dict[str, Any] = {"authority": authority} if authority else {}
    if tenant:
        kw["additionally_allowed_tenants"] = [tenant]
    credential = DefaultAzureCredential(**kw)
    return TenantCredential(credential, tenant) if tenant else credential


class TenantCredential:
    """Asks a credential for tokens of one tenant (``--tenant``)."""

    def __init__(self, inner: Any, tenant: str) -> None:
        self.inner = inner
        self.tenant = tenant

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        kwargs.setdefault("tenant_id", self.tenant)
        return self.inner.get_token(*scopes, **kwargs)
