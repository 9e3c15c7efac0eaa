"""AWS resources in sovpolicy's model, shared by the live scan and the offline exports.

No boto3 here: this module turns what AWS says about a resource (its ARN, its type in
AWS Config's or the ARN's words, its region, its tags, the regions its data is copied
to) into a :class:`~sovpolicy.model.Resource` with a Terraform type name and an
``observed`` placement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..catalog import Catalog
from ..catalog.flowrules import FlowRule
from ..model import (
    Flow,
    FlowKind,
    Location,
    Origin,
    Placement,
    Resource,
    SourceKind,
    SourceRef,
)
from .aws_api import AwsApi, load_aws_api

CLOUD = "aws"
#: AWS Config's region names for resources that belong to no region.
GLOBAL_REGIONS = frozenset({"global", "not applicable", "aws-global"})


@dataclass(frozen=True)
class Arn:
    """The parts of an ARN: ``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``."""

    partition: str
    service: str
    region: str
    account: str
    resource_type: str
    resource_id: str

    @property
    def type_key(self) -> str:
        """``service:resource-type`` (``service`` alone when the ARN has no resource type)."""
        return f"{self.service}:{self.resource_type}" if self.resource_type else self.service


def parse_arn(text: str) -> Arn | None:
    """Split an ARN, or None when ``text`` is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[2]:
        return None
    _, partition, service, region, account, rest = parts
    if parts[2] in ("s3", "sqs", "sns") and "/" not in rest:
        return Arn(partition, service, region, account, "", rest)
    for sep in ("/", ":"):
        if sep in rest:
            rtype, _, rid = rest.partition(sep)
            return Arn(partition, service, region, account, rtype, rid)
    return Arn(partition, service, region, account, "", rest)


def terraform_type(catalog: Catalog, arn: Arn | None, config_type: str | None = None) -> tuple[str, bool]:
    """The Terraform type name (the catalog's ``live_types/aws.yaml``) and whether it is known.

    Unknown types keep a name that no Terraform type has: ``aws:SERVICE:RESOURCE-TYPE``
    from the ARN, else the Config type name (``AWS::SSM::ManagedInstanceInventory``).
    """
    live = catalog.live_types.get(CLOUD)
    for name in ((config_type,) if config_type else ()) + ((f"arn:{arn.type_key}",) if arn is not None else ()):
        entry = live.get(name) if live is not None else None
        if entry is not None:
            return entry.terraform, True
    if arn is not None:
        return f"aws:{arn.type_key}", False
    return config_type or "aws:unknown", False


def can_copy(rtype: str, api: AwsApi | None = None) -> bool:
    """True when the type's service can keep copies in other regions (``copies`` of ``aws_api.yaml``)."""
    return rtype in (api or load_aws_api()).copies


def placement(catalog: Catalog, rtype: str, region: str | None, evidence: Sequence[str]) -> Placement:
    """The observed placement: the region AWS reports, or the cloud's global edge for a
    global service (Config's ``global`` / ``Not Applicable``, or a type the catalog lists
    as global); unresolved (fail closed) when no region is known."""
    text = (region or "").strip()
    if text.casefold() in GLOBAL_REGIONS or (not text and catalog.is_global_type(CLOUD, rtype)):
        group = catalog.flows.global_group(CLOUD)
        if group is not None:
            return Placement(CLOUD, group.code, Origin.OBSERVED, tuple(evidence), provider=None)
        return Placement(CLOUD, None, Origin.UNRESOLVED, tuple(evidence), f"{rtype} is global and the catalog has no global placement")
    if not text:
        return Placement(CLOUD, None, Origin.UNRESOLVED, tuple(evidence), "AWS reported no region for it")
    return Placement(CLOUD, text.lower(), Origin.OBSERVED, tuple(evidence))


def copy_flow(region: str | None, kind: FlowKind, via: str, evidence: Sequence[str], rule: str,
              reason: str = "", source: SourceRef | None = None) -> Flow:
    """A copy of the data in ``region`` (None: the destination could not be read)."""
    to = (Placement(CLOUD, region, Origin.OBSERVED, tuple(evidence)) if region
          else Placement(CLOUD, None, Origin.UNRESOLVED, tuple(evidence), reason or "destination region not readable"))
    return Flow(to=to, kind=kind, via=via, evidence=tuple(evidence), rule=rule, source=source)


def unread_copies(rtype: str, path: str) -> Flow:
    """The copies a path that reads no configuration cannot see (fail closed)."""
    return copy_flow(None, FlowKind.REPLICATE, f"{rtype} replicas or copies", (path,), "aws-copies-not-read",
                     f"{path} does not read replication or backup copies of {rtype}")


def tags_of(raw: object) -> dict[str, str]:
    """Tags from any AWS shape: ``{"k": "v"}``, ``[{"Key": k, "Value": v}]`` or lower-case keys."""
    if isinstance(raw, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in raw.items()}
    out: dict[str, str] = {}
    if isinstance(raw, list):
        for t in raw:
            if isinstance(t, Mapping):
                k = t.get("Key", t.get("key"))
                if k is not None:
                    v = t.get("Value", t.get("value"))
                    out[str(k)] = "" if v is None else str(v)
    return out


def make_resource(catalog: Catalog, *, address: str, input_label: str, source: SourceKind, region: str | None,
                  evidence: Sequence[str], tags: Mapping[str, str] | None = None, config_type: str | None = None,
                  tf_type: str | None = None, flows: Iterable[Flow] = (), account: str | None = None,
                  location: Location | None = None, notes: Sequence[str] = ()) -> Resource:
    """One AWS resource, addressed by its ARN (or the identifier AWS gave)."""
    arn = parse_arn(address)
    known = True
    if tf_type is None:
        tf_type, known = terraform_type(catalog, arn, config_type)
    region = region if region else (arn.region if arn else None)
    attrs: dict[str, object] = {}
    if account or (arn and arn.account):
        attrs["account_id"] = account or (arn.account if arn else "")
    if config_type:
        attrs["aws_type"] = config_type
    what = config_type or (arn.type_key if arn else "?")
    extra = () if known else (f"type {what} is not in the AWS type mapping; reported under its AWS name",)
    return Resource(address=address, type=tf_type, source=source, placement=placement(catalog, tf_type, region, evidence),
                    tags=dict(tags or {}), attributes=attrs, location=location, notes=tuple(notes) + extra,
                    flows=tuple(flows), input=input_label, module="")


def walk(doc: object, path: Sequence[str]) -> list[object]:
    """The values at a dotted path (``a.b[].c``: ``[]`` walks every element); empty ones left out."""
    current = [doc]
    for part in path:
        many = part.endswith("[]")
        name = part[:-2] if many else part
        found: list[object] = []
        for node in current:
            if isinstance(node, Mapping) and name in node:
                value = node[name]
                if many:
                    found.extend(value if isinstance(value, list) else [])
                else:
                    found.append(value)
        current = found
    return [v for v in current if v not in (None, "", [], {})]


def read_flows(doc: object, rtype: str, read: str, own_region: str | None,
               bucket_regions: Mapping[str, str] | None = None, api: AwsApi | None = None) -> list[Flow]:
    """The copies of a resource's data that ``aws.yaml`` says are in ``doc`` (the resource's
    element of the ``read`` call's response, or its Config configuration item)."""
    flows: list[Flow] = []
    for fp in (api or load_aws_api()).flow_paths(rtype, read):
        kind = FlowKind(fp.kind)
        dotted = ".".join(fp.path)
        for value in walk(doc, fp.path):
            text = str(value)
            evidence = (f"{read} {dotted} = {text}",)
            arn = parse_arn(text)
            reason = ""
            if fp.value == "region":
                region: str | None = text.lower()
            elif arn is not None:
                region = arn.region or None
                if region is None and arn.service == "s3":
                    region = (bucket_regions or {}).get(arn.resource_id)
                    reason = f"the bucket ARN holds no region and bucket {arn.resource_id} was not read in this scan"
            elif fp.value == "identifier":
                region = own_region
            else:
                region, reason = None, f"{text} is not an ARN"
            if region is not None and region == own_region:
                continue  # a copy in the resource's own region is on the same host
            flows.append(copy_flow(region, kind, text, evidence, fp.id, reason, fp.source))
    return flows


def registry_flows(rules: Sequence[object], name: str, own_region: str | None, rule: FlowRule | None) -> list[Flow]:
    """The copies of an ECR repository named ``name`` that its registry's replication
    ``rules`` (``ecr:DescribeRegistry``) make: each rule whose repository filters select
    it (none: every repository) copies it to each destination region. The filter types and
    how they match are the catalog's (``flows.yaml``, rule ``aws-ecr-registry-replication``);
    a filter type it does not know leaves the copy's destination unresolved (fail closed)."""
    read = "ecr:DescribeRegistry"
    scope = rule.scope if rule is not None else None
    source = rule.source if rule is not None else None
    rid = rule.id if rule is not None else "aws-ecr-registry-replication"
    out: list[Flow] = []
    for i, r in enumerate(rules):
        if not isinstance(r, Mapping):
            continue
        filters = [f for f in r.get("repositoryFilters") or [] if isinstance(f, Mapping)]
        selected, unknown = not filters, ""
        for f in filters:
            hit = scope.selects(str(f.get("filterType") or ""), str(f.get("filter") or ""), name) if scope else None
            if hit is None:
                unknown = unknown or f"repository filter type {f.get('filterType')!r} is not one sovpolicy knows"
            elif hit:
                selected = True
        if not selected and not unknown:
            continue
        via = f"registry replication rule {i}"
        for k, d in enumerate(r.get("destinations") or []):
            region = str(d.get("region") or "") if isinstance(d, Mapping) else ""
            evidence = (f"{read} replicationConfiguration.rules[{i}].destinations[{k}].region = {region}",)
            if selected and region and region == own_region:
                continue  # another account's registry in the same region: the same place
            reason = "" if selected else f"whether rule {i} copies {name} is unknown: {unknown}"
            out.append(copy_flow(region if selected and region else None, FlowKind.REPLICATE, via, evidence, rid,
                                 reason or "the destination region is not given", source))
    return out
