"""An organisation's inventory from AWS's own aggregators, instead of every account's APIs.

1. An AWS Config aggregator: ``SelectAggregateResourceConfig`` returns every account's and
   region's configuration items, paginated; copies to other regions are read from each
   item as in an offline Config export (:mod:`.aws_export`).
2. A Resource Explorer aggregator index: ``Search`` through the index's default view. It
   names and tags resources but says nothing of their copies: a resource whose service can
   copy data elsewhere gets an unresolved copy (fail closed).

The report says which path was used and how fresh its data is.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError
from ..model import Problem, Resource, SourceKind
from .aws_api import load_aws_api
from .aws_export import _config_item, _Item, items_to_resources
from .aws_resources import can_copy, make_resource, tags_of, unread_copies
from .aws_session import Sessions, problem
from .base import ReadContext

if TYPE_CHECKING:
    from .aws import AwsOptions

FIELDS = ("accountId, arn, resourceType, resourceId, resourceName, awsRegion, tags, configuration, "
          "supplementaryConfiguration, configurationItemCaptureTime")


def _iso(value: object) -> str:
    """A time botocore parsed, as ISO 8601 UTC (``2026-11-30T07:00:00Z``)."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _quoted(values: list[str] | tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "") + "'" for v in values)


def config_queries(accounts: list[str] | tuple[str, ...], regions: tuple[str, ...], max_chars: int) -> list[str]:
    """The aggregator queries for these accounts (none: every account) and regions: one, or as
    many as it takes to keep each expression within ``max_chars`` (AWS refuses longer ones), the
    accounts split between them."""
    head = f"SELECT {FIELDS}"
    where = [f"awsRegion IN ({_quoted(regions)})"] if regions else []
    if not accounts:
        return [head + (" WHERE " + " AND ".join(where) if where else "")]
    queries: list[str] = []
    chunk: list[str] = []
    for a in accounts:
        if chunk and len(head + " WHERE " + " AND ".join(where + [f"accountId IN ({_quoted(chunk + [a])})"])) > max_chars:
            queries.append(head + " WHERE " + " AND ".join(where + [f"accountId IN ({_quoted(chunk)})"]))
            chunk = []
        chunk.append(a)
    queries.append(head + " WHERE " + " AND ".join(where + [f"accountId IN ({_quoted(chunk)})"]))
    return queries


def read_aggregated(ctx: ReadContext, sessions: Sessions, home: str, o: AwsOptions, accounts: list[str],
                    problems: list[Problem], notes: list[str]) -> list[Resource] | None:
    """The organisation's resources from an aggregator, or None when there is none to use
    (the caller then reads every account's APIs)."""
    if o.inventory in ("auto", "config"):
        found = _config(ctx, sessions, home, o, accounts, problems, notes)
        if found is not None or o.inventory == "config":
            if found is None:
                raise UsageError(f"--aws-inventory config: no AWS Config aggregator found in {home}")
            return found
    found = _explorer(ctx, sessions, home, o, accounts, problems, notes)
    if found is None and o.inventory == "resource-explorer":
        raise UsageError(f"--aws-inventory resource-explorer: no Resource Explorer aggregator index found from {home}")
    return found


def _config(ctx: ReadContext, sessions: Sessions, home: str, o: AwsOptions, accounts: list[str],
            problems: list[Problem], notes: list[str]) -> list[Resource] | None:
    from botocore.exceptions import BotoCoreError, ClientError

    caller = sessions.session()
    client = sessions.client(caller, "config", home)
    try:
        aggs = [a["ConfigurationAggregatorName"] for page in
                client.get_paginator("describe_configuration_aggregators").paginate() for a in page["ConfigurationAggregators"]]
    except (ClientError, BotoCoreError) as exc:
        problems.append(problem(exc, "(organization)", home, "config:DescribeConfigurationAggregators"))
        return None
    name = o.aggregator if o.aggregator in aggs else (None if o.aggregator else (aggs[0] if aggs else None))
    if o.aggregator and name is None:
        raise UsageError(f"--config-aggregator: no aggregator {o.aggregator!r} in {home} (found: {', '.join(aggs) or 'none'})")
    if name is None:
        return None
    api = load_aws_api()
    label = f"aws-config-aggregator:{name}"
    items: list[_Item] = []
    try:
        n = 0
        for query in config_queries(accounts if o.accounts else [], o.regions, api.limit("config_expression_chars")):
            pages = client.get_paginator("select_aggregate_resource_config").paginate(
                Expression=query, ConfigurationAggregatorName=name, PaginationConfig={"PageSize": api.limit("config_select_page")})
            for page in pages:
                for text in page.get("Results", []):
                    try:
                        items.append(_config_item(label, json.loads(text), f"$.Results[{n}]", select=True))  # type: ignore[arg-type]
                    except (json.JSONDecodeError, InputError) as exc:
                        problems.append(Problem("aws-bad-item", f"aggregator {name} result {n}: {exc}", label))
                    n += 1
    except (ClientError, BotoCoreError) as exc:
        problems.append(problem(exc, "(organization)", home, "config:SelectAggregateResourceConfig"))
        return None
    by_account: dict[str, list[_Item]] = {}
    for it in items:
        by_account.setdefault(it.account or "?", []).append(it)
    resources = []
    for account, its in sorted(by_account.items()):
        resources += items_to_resources(ctx, its, label=f"aws:{account}", source=SourceKind.AWS,
                                        read="config:SelectAggregateResourceConfig",
                                        evidence_of="config:SelectAggregateResourceConfig", location=None)
    times = sorted(str(it.doc.get("configurationItemCaptureTime")) for it in items if it.doc.get("configurationItemCaptureTime"))
    notes.append(f"aws: inventory from AWS Config aggregator '{name}' in {home}: {len(resources)} resources in "
                 f"{len(by_account)} accounts" + (f" (configuration items captured {times[0]} to {times[-1]})" if times else ""))
    return resources


def _explorer(ctx: ReadContext, sessions: Sessions, home: str, o: AwsOptions, accounts: list[str],
              problems: list[Problem], notes: list[str]) -> list[Resource] | None:
    from botocore.exceptions import BotoCoreError, ClientError

    caller = sessions.session()
    try:
        indexes = [i for page in sessions.client(caller, "resource-explorer-2", home).get_paginator("list_indexes")
                   .paginate(Type="AGGREGATOR") for i in page.get("Indexes", [])]
    except (ClientError, BotoCoreError) as exc:
        problems.append(problem(exc, "(organization)", home, "resource-explorer-2:ListIndexes"))
        return None
    if not indexes:
        return None
    region = indexes[0]["Region"]
    client = sessions.client(caller, "resource-explorer-2", region)
    try:
        view = client.get_default_view().get("ViewArn")
    except (ClientError, BotoCoreError) as exc:
        problems.append(problem(exc, "(organization)", region, "resource-explorer-2:GetDefaultView"))
        return None
    if not view:
        problems.append(Problem("aws-no-view", f"the Resource Explorer aggregator index in {region} has no default view: "
                                "create one, or use --aws-inventory api", f"aws:{region}"))
        return None
    try:
        found, queries = _search_all(client, view, accounts, o, region, problems)
    except (ClientError, BotoCoreError) as exc:
        problems.append(problem(exc, "(organization)", region, "resource-explorer-2:Search"))
        return None
    resources = []
    seen: set[str] = set()
    for r in found:
        arn = r.get("Arn")
        if not isinstance(arn, str) or arn in seen:
            continue
        seen.add(arn)
        tags: object = next((p.get("Data") for p in r.get("Properties", []) if p.get("Name") == "tags"), [])
        res = make_resource(ctx.catalog, address=arn, input_label=f"aws:{r.get('OwningAccountId', '?')}",
                            source=SourceKind.AWS, region=r.get("Region"), evidence=("resource-explorer-2:Search",),
                            tags=tags_of(tags), account=r.get("OwningAccountId"))
        if can_copy(res.type):
            from dataclasses import replace

            res = replace(res, flows=(unread_copies(res.type, "Resource Explorer"),))
        resources.append(res)
    times = sorted(_iso(r["LastReportedAt"]) for r in found if r.get("LastReportedAt"))
    notes.append(f"aws: inventory from the Resource Explorer aggregator index in {region} (view {view}): {len(resources)} "
                 f"resources in {queries} quer{'y' if queries == 1 else 'ies'}" + (f", last reported {times[0]} to {times[-1]}" if times else "")
                 + "; copies to other regions are not read on this path")
    return resources


def _search_all(client: Any, view: str, accounts: list[str], o: AwsOptions, region: str,
                problems: list[Problem]) -> tuple[list[dict[str, Any]], int]:
    """Every resource in scope, and the number of queries it took. Resource Explorer returns at
    most 1,000 resources per query: a query that finds more is split, by member account, then
    that account's by region (the regions asked for, else those its answer named, and one
    more query for every other region); what is still cut off is a problem (fail closed)."""
    api = load_aws_api()
    regions = [f"region:{r}" for r in o.regions]
    found: list[dict[str, Any]] = []
    queries = 0

    def search(terms: list[str]) -> tuple[list[dict[str, Any]], bool]:
        nonlocal queries
        queries += 1
        got: list[dict[str, Any]] = []
        for page in client.get_paginator("search").paginate(QueryString=" ".join(terms), ViewArn=view,
                                                            PaginationConfig={"PageSize": api.limit("explorer_page")}):
            got += page.get("Resources", [])
            if (page.get("Count") or {}).get("Complete") is False:
                return got, False  # the rest of this query's pages hold no more than its first 1,000
        return got, True

    def cut(terms: list[str]) -> None:
        problems.append(Problem("aws-partial", f"Resource Explorer found more than the {api.limit('explorer_query_results')} "
                                f"resources it returns for one query ({' '.join(terms)}): the rest is missing; split the scan "
                                "with --accounts or --regions, or use --aws-inventory api", f"aws:{region}"))

    base = [f"accountid:{a}" for a in (accounts if o.accounts else [])] + regions
    if len(" ".join(base)) <= api.limit("explorer_query_chars"):
        got, complete = search(base)
        found += got
        if complete:
            return found, queries
        if not accounts:
            cut(base)
            return found, queries
    for a in accounts:
        terms = [f"accountid:{a}", *regions]
        got, complete = search(terms)
        found += got
        if complete:
            continue
        named = list(o.regions) or sorted({str(r.get("Region")) for r in got if r.get("Region")})
        for r in named:
            got, complete = search([f"accountid:{a}", f"region:{r}"])
            found += got
            if not complete:
                cut([f"accountid:{a}", f"region:{r}"])
        if not o.regions:
            rest = [f"accountid:{a}", *(f"-region:{r}" for r in named)]
            got, complete = search(rest)
            found += got
            if not complete:
                cut(rest)
    return found, queries
