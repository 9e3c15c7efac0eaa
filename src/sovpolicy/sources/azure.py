"""Live Azure scan (``sovpolicy scan --azure``): subscriptions, resource groups and resources
read through the Azure SDK, as a source behind the sources door.

Scope: ``--subscription ID`` (repeatable), else every subscription the identity can read
(``--tenant`` keeps those of one tenant); ``--management-group ID`` queries Resource Graph
over a management group. Two paths read the inventory:

* **arm**: per subscription, the resource group and resource lists, then each resource
  whose flows need properties the list does not return (Cosmos DB, SQL databases,
  Recovery Services vaults), and each SQL server's failover groups;
* **graph**: one Azure Resource Graph query over every subscription at once, paged by skip
  token, properties included; then the SQL servers' failover groups.

``auto`` (the default) takes Resource Graph above :data:`GRAPH_ABOVE` subscriptions or for a
management group. The report's notes say which path was used and how many requests it
took. A subscription that cannot be read is a problem naming it; the scan goes on.
Credentials: ``DefaultAzureCredential`` (Azure CLI login, environment, workload and managed
identity); the Reader role suffices (every call reads).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..catalog import Catalog
from ..errors import UsageError
from ..model import Problem, Resource, SourceKind
from ..progress import progress_bar
from .azure_arm import CLOUD, RESOURCE_GROUP_TYPES, ArmObject, AzureReader
from .liveflags import GRAPH_ABOVE

T = TypeVar("T")
R = TypeVar("R")
SUBSCRIPTION_TYPE = "microsoft.resources/subscriptions"


@dataclass(frozen=True)
class AzureOptions:
    """What to scan and how."""

    subscriptions: tuple[str, ...] = ()
    tenant: str | None = None
    management_groups: tuple[str, ...] = ()
    environment: str = "AzureCloud"
    inventory: str = "auto"
    arm_endpoint: str | None = None
    concurrency: int = 8


def sources_from_args(args: argparse.Namespace) -> list[AzureSource]:
    """One Azure source when ``--azure`` (or a scope flag) is given, else none."""
    subs = tuple(getattr(args, "subscription", None) or ())
    mgs = tuple(getattr(args, "management_group", None) or ())
    if not (getattr(args, "azure", False) or subs or mgs):
        return []
    concurrency = getattr(args, "azure_concurrency", 8)
    if concurrency < 1:
        raise UsageError("--azure-concurrency must be at least 1")
    return [AzureSource(AzureOptions(subs, getattr(args, "tenant", None), mgs, getattr(args, "cloud", "AzureCloud"),
                                     getattr(args, "azure_inventory", "auto"), getattr(args, "arm_endpoint", None),
                                     concurrency))]


def scope_label(opts: AzureOptions) -> str:
    """``azure:<subscription>[,<subscription>...]``, ``azure:mg:<id>``, ``azure:tenant:<id>`` or ``azure:*``."""
    if opts.subscriptions:
        return "azure:" + ",".join(sorted(s.lower() for s in opts.subscriptions))
    if opts.management_groups:
        return "azure:mg:" + ",".join(sorted(opts.management_groups))
    return f"azure:tenant:{opts.tenant}" if opts.tenant else "azure:*"


@dataclass
class LiveScan:
    """The outcome of one live read, before it becomes a ``SourceOutput``."""

    resources: list[Resource]
    problems: list[Problem]
    notes: list[str]
    path: str
    requests: dict[str, int] = field(default_factory=dict)


@dataclass
class AzureSource:
    """A live scan of Azure subscriptions.

    ``credential`` is for callers that bring their own token credential (any object with
    ``get_token``); by default ``DefaultAzureCredential`` signs in.
    """

    options: AzureOptions
    credential: Any = None
    kind: SourceKind = SourceKind.AZURE

    @property
    def input(self) -> str:
        """The label stamped on every resource (also the history scope)."""
        return scope_label(self.options)

    def read(self, ctx: Any) -> Any:
        from .base import SourceOutput, cycle_collector_on

        with cycle_collector_on():
            out = scan(self.options, ctx.catalog, self.credential, progress=bool(getattr(ctx, "progress", False)))
        return SourceOutput(resources=out.resources, problems=out.problems, notes=out.notes, scope=self.input)


def _environment(catalog: Catalog, name: str, endpoint: str | None) -> tuple[str, str, str | None]:
    """``(environment id, SDK cloud setting, token scope)`` for ``--cloud``: the SDK's
    scope for its environments, ``<endpoint>/.default`` for one it does not know (Bleu)."""
    lt = catalog.live_types.get(CLOUD)
    envs = lt.environments if lt else {}
    hit = next((e for e in envs.values() if e.id.lower() == name.lower()), None)
    if hit is None:
        raise UsageError(f"--cloud {name}: expected one of {', '.join(envs) or 'AzureCloud'}")
    if hit.sdk is None:
        if not endpoint:
            raise UsageError(f"--cloud {hit.id}: the Azure SDK has no endpoints for {hit.name}: give --arm-endpoint URL")
        return hit.id, "AZURE_PUBLIC_CLOUD", endpoint.rstrip("/") + "/.default"
    return hit.id, hit.sdk, None


def scan(opts: AzureOptions, catalog: Catalog, credential: Any = None, *, progress: bool = False) -> LiveScan:
    """Read the inventory in scope and turn it into resources (see the module doc)."""
    from . import azure_sdk as sdk

    env, setting, scope = _environment(catalog, opts.environment, opts.arm_endpoint)
    counter = sdk.Counter()
    cred = credential if credential is not None else sdk.default_credential(setting, opts.tenant)
    if credential is not None and opts.tenant:
        cred = sdk.TenantCredential(credential, opts.tenant)
    clients = sdk.Clients(cred, setting, opts.arm_endpoint, counter, scope)
    problems: list[Problem] = []
    label = scope_label(opts)

    subs = list(opts.subscriptions)
    if not subs and not opts.management_groups:
        try:
            listed = sdk.list_subscriptions(clients)
        except sdk.AzureCallError as e:
            problems.append(Problem("access", f"azure: cannot list subscriptions: {e}", label))
            listed = []
        subs = [s.id for s in listed if (not opts.tenant or (s.tenant or "").lower() == opts.tenant.lower())
                and (s.state or "Enabled") not in ("Disabled", "Deleted")]
        if not subs and not problems:
            problems.append(Problem("scope", "azure: the identity can read no enabled subscription", label))
    use_graph = opts.inventory == "graph" or bool(opts.management_groups) or (
        opts.inventory == "auto" and len(subs) > GRAPH_ABOVE)
    if opts.management_groups and opts.inventory == "arm":
        raise UsageError("--management-group is read through Resource Graph: drop --azure-inventory arm")

    objects: list[ArmObject] = []
    if use_graph:
        path = "Azure Resource Graph"
        _read_graph(clients, subs, list(opts.management_groups), objects, problems, label)
    else:
        path = "per-subscription ARM lists"

        def one(sub: str) -> list[ArmObject] | Problem:
            try:
                return sdk.list_subscription(clients, sub)
            except sdk.AzureCallError as e:
                return Problem("access", f"azure: subscription {sub} cannot be read: {e}", f"azure:{sub}")

        with progress_bar(len(subs), "azure subscriptions", progress) as bar:
            for got in _in_pool(one, subs, opts.concurrency):
                if isinstance(got, Problem):
                    problems.append(got)
                else:
                    objects += got
                bar.update()
    unread: dict[str, str] = {}
    objects = _details(clients, catalog, objects, problems, unread, read_properties=not use_graph, progress=progress,
                       concurrency=opts.concurrency)
    reader = AzureReader(catalog, kind=SourceKind.AZURE, input=label, environment=env)
    resources, more = reader.read(objects, unread)
    scope = (f"management group(s) {', '.join(opts.management_groups)}" if opts.management_groups
             else f"{len(subs)} subscription(s)")
    note = (f"azure: inventory from {path} ({env}; {scope}; {len(resources)} resources, "
            f"{counter.total} requests)")
    return LiveScan(resources, problems + more, [note], path, dict(counter.by_method))


def _read_graph(clients: Any, subs: list[str], mgs: list[str], objects: list[ArmObject], problems: list[Problem],
                label: str) -> None:
    from . import azure_sdk as sdk

    try:
        size = sdk.GRAPH_SUBSCRIPTIONS
        for batch in [subs[i:i + size] for i in range(0, len(subs), size)] or [[]]:
            total: int | None = None
            got = 0
            for page, reported in sdk.graph_pages(clients, batch, mgs):
                objects += page
                got += len(page)
                total = reported
            if total is not None and total > got:
                problems.append(Problem("incomplete", f"azure: Resource Graph reported {total} records but returned "
                                        f"{got}", label))
        seen = {str(o.obj["id"]).lower() for o in objects if str(o.obj.get("type", "")).lower() == SUBSCRIPTION_TYPE}
        for sub in subs:
            if f"/subscriptions/{sub}".lower() not in seen:
                problems.append(Problem("access", f"azure: subscription {sub} cannot be read: Resource Graph returned "
                                        "nothing for it (no read access, or not in this tenant)", f"azure:{sub}"))
        objects[:] = [o for o in objects if str(o.obj.get("type", "")).lower() != SUBSCRIPTION_TYPE]
    except sdk.AzureCallError as e:
        problems.append(Problem("access", f"azure: Resource Graph query failed: {e}", label))


def _in_pool(fn: Callable[[T], R], items: list[T], workers: int) -> Iterator[R]:
    """``fn`` over ``items``, at most ``workers`` at once, results in the items' order (the SDK's
    clients are thread-safe)."""
    if workers <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        yield from pool.map(fn, items)


def _details(clients: Any, catalog: Catalog, objects: list[ArmObject], problems: list[Problem], unread: dict[str, str],
             *, read_properties: bool, progress: bool, concurrency: int = 1) -> list[ArmObject]:
    """Read what the lists lack: properties of the types that need them (ARM path) and child
    collections (SQL failover groups), ``concurrency`` resources at once. A read that fails
    leaves the list's object and a problem."""
    from . import azure_sdk as sdk

    lt = catalog.live_types.get(CLOUD)
    if lt is None:
        return objects
    todo = []
    for o in objects:
        live = lt.get(str(o.obj.get("type") or ""))
        read = bool(live and live.read_api_version and read_properties and "properties" not in o.obj
                    and str(o.obj.get("type", "")).lower() not in RESOURCE_GROUP_TYPES)
        todo.append((o, live, read))

    def one(item: tuple[ArmObject, Any, bool]) -> tuple[ArmObject, list[ArmObject], list[Problem], dict[str, str], int]:
        o, live, read = item
        rid = str(o.obj["id"])
        got: list[ArmObject] = []
        fails: list[Problem] = []
        missing: dict[str, str] = {}
        if read and live is not None and live.read_api_version:
            try:
                o = sdk.read_resource(clients, rid, live.read_api_version)
            except sdk.AzureCallError as e:
                fails.append(Problem("access", f"azure: {rid}: properties not read: {e}", rid))
        for child in live.children if live is not None else ():
            try:
                got += sdk.list_children(clients, rid, child.segment, child.api_version)
            except sdk.AzureCallError as e:
                fails.append(Problem("access", f"azure: {rid}: {child.segment} not read: {e}", rid))
                missing[rid.lower()] = f"the {child.segment} of {rid} could not be read"
        return o, got, fails, missing, int(read) + len(live.children if live is not None else ())

    out: list[ArmObject] = []
    children: list[ArmObject] = []
    calls = sum(r + len(live.children if live else ()) for _, live, r in todo)
    busy = [i for i, (_, live, read) in enumerate(todo) if read or (live is not None and live.children)]
    done: dict[int, tuple[ArmObject, list[ArmObject], list[Problem], dict[str, str], int]] = {}
    with progress_bar(calls, "azure resource details", progress and calls > 0) as bar:
        for i, result in zip(busy, _in_pool(one, [todo[i] for i in busy], concurrency)):
            done[i] = result
            bar.update(result[4])
    for i, item in enumerate(todo):
        if i not in done:
            out.append(item[0])
            continue
        o, got, fails, missing, _ = done[i]
        out.append(o)
        children += got
        problems += fails
        unread.update(missing)
    return out + children
