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
    where = []
    if o.accounts:
        where.append(f"accountId IN ({_quoted(accounts)})")
    if o.regions:
        where.append(f"awsRegion IN ({_quoted(o.regions)})")
    query = f"SELECT {FIELDS}" + (" WHERE " + " AND ".join(where) if where else "")
    label = f"aws-config-aggregator:{name}"
    items: list[_Item] = []
    try:
        pages = client.get_paginator("select_aggregate_resource_config").paginate(
            Expression=query, ConfigurationAggregatorName=name)
        n = 0
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
    terms = [f"accountid:{a}" for a in (accounts if o.accounts else [])] + [f"region:{r}" for r in o.regions]
    found: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator("search").paginate(QueryString=" ".join(terms), ViewArn=view):
            found += page.get("Resources", [])
            count = page.get("Count") or {}
            if count.get("Complete") is False:
                problems.append(Problem("aws-partial", f"Resource Explorer found more than the {count.get('TotalResources')} "
                                        "resources it returns for one query: the rest is missing; split the scan with "
                                        "--accounts or --regions, or use --aws-inventory api", f"aws:{region}"))
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
                 "resources" + (f", last reported {times[0]} to {times[-1]}" if times else "")
                 + "; copies to other regions are not read on this path")
    return resources
