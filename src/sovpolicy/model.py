"""Core types: frozen dataclasses and enums shared by every stage of the pipeline.

sources -> ``Resource`` (with a ``Placement``) -> catalog -> ``Host`` -> classify ->
policies -> ``Finding`` -> reporters -> ``ScanResult``. Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any


class Origin(str, Enum):
    """Where a resource's region came from, most specific first."""

    RESOURCE = "resource"
    """The resource's own attribute (AWS v6 ``region``, azurerm ``location``, google ``zone``...)."""
    PROVIDER = "provider"
    """A literal in the provider configuration (alias included) that serves the resource."""
    VARIABLE = "variable"
    """A root-module variable's value, referenced by the provider configuration."""
    MODULE = "module"
    """A module call's argument, referenced by a provider configuration inside the module."""
    PARENT = "parent"
    """Its parent resource (an Azure resource group, server, storage account)."""
    DEFAULT = "default"
    """A default the provider documents (Scaleway: fr-par)."""
    OBSERVED = "observed"
    """Read from a live cloud API."""
    FOOTPRINT = "footprint"
    """The provider's whole footprint: its resources carry no region (Cloud Temple), so the
    catalog's place for the whole provider, with its sourced country, is the placement."""
    CATALOG = "catalog"
    """Derived from another placement by a catalog fact: the paired region of an Azure region,
    the member regions of a Google multi-region, a global service's worldwide edge."""
    NONE = "none"
    """The provider hosts no data (null, random, local...): no placement applies."""
    UNRESOLVED = "unresolved"
    """sovpolicy cannot tell where the resource lands."""


class SourceKind(str, Enum):
    """Which reader produced a resource."""

    PLAN = "plan"
    STATE = "state"
    HCL = "hcl"
    AWS = "aws"
    AZURE = "azure"
    INVENTORY = "inventory"


class Status(str, Enum):
    """Outcome of one policy on one resource."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    WAIVED = "waived"


class Severity(str, Enum):
    """Severity of a policy, lowest first (ordering used by ``--fail-on``)."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info up to 4 for critical."""
        return list(Severity).index(self)


class Enforcement(str, Enum):
    """Enforcement levels, as in HashiCorp Sentinel."""

    ADVISORY = "advisory"
    """Reported, never blocks."""
    SOFT_MANDATORY = "soft-mandatory"
    """Blocks unless waived."""
    HARD_MANDATORY = "hard-mandatory"
    """Blocks and cannot be waived."""


@dataclass(frozen=True)
class SourceRef:
    """The provenance of one catalog fact.

    Attributes:
        id: key in the catalog's ``sources.yaml``.
        title: what the source is.
        url: where it can be read.
        as_of: the date of the fact in that source.
    """

    id: str
    title: str
    url: str
    as_of: dt.date

    def cite(self) -> str:
        """Short citation: ``title (url, as of YYYY-MM-DD)``."""
        return f"{self.title} ({self.url}, as of {self.as_of.isoformat()})"


@dataclass(frozen=True)
class Law:
    """A law that can compel a provider to disclose data (catalog ``laws.yaml``)."""

    id: str
    name: str
    jurisdiction: str
    non_eu: bool
    compels: str
    source: SourceRef


@dataclass(frozen=True)
class Adequacy:
    """An EU adequacy decision for a country (catalog ``countries.yaml``).

    ``scope`` is ``full`` or ``partial`` (only some recipients, e.g. the US Data Privacy
    Framework): a partial decision never makes a country acceptable by itself.
    """

    country: str
    decision: str
    scope: str
    source: SourceRef
    note: str | None = None


@dataclass(frozen=True)
class Entity:
    """A legal entity that operates a cloud offer (catalog ``entities.yaml``).

    ``country`` is ISO 3166-1 alpha-2, or None when no source names it.

    ``laws`` are the laws that reach this entity directly; exposure through the parent
    chain is computed by the catalog (``Host.laws``).
    """

    id: str
    name: str
    country: str | None
    parent: str | None
    laws: tuple[str, ...]
    basis: str
    source: SourceRef
    note: str | None = None


@dataclass(frozen=True)
class Certification:
    """A certification or qualification of one offer (catalog ``certifications.yaml``).

    Attributes:
        scheme: ``hds``, ``secnumcloud``...
        holder: entity id.
        cloud: cloud id whose regions it covers, or None.
        regions: region codes in scope; ``("*",)`` for every region of the cloud.
        regions_unlisted: the holder states a regional scope the catalog cannot name
            (e.g. "27 regions"): on that cloud the scheme is then unknown, never met.
        resource_types: Terraform type globs the offer covers; empty = the whole cloud.
        status: ``certified``/``qualified`` satisfy a requirement; ``in_progress``,
            ``not_qualified``, ``reported_unverified`` and ``unsourced`` never do.
        referential: version of the scheme's referential, e.g. ``"2024"`` for HDS v2.
        since, expires: validity dates when known; ``expires`` may be derived from the
            scheme's validity period (then ``expiry_basis`` says how).
        expiry_basis: None when ``expires`` is given by the source (or absent), else how it
            was derived (``derived: 3-year validity from 2025-12-17``).
        transition_ends, superseded_by: for a certificate on a referential that another
            replaced, the day that referential's transition ended and its successor.
        conditions: ids of scope conditions a project must confirm (``schemes.yaml``).
    """

    id: str
    scheme: str
    holder: str
    cloud: str | None
    offer: str
    regions: tuple[str, ...]
    resource_types: tuple[str, ...]
    status: str
    regions_unlisted: bool
    referential: str | None
    since: dt.date | None
    expires: dt.date | None
    source: SourceRef
    note: str | None = None
    expiry_basis: str | None = None
    transition_ends: dt.date | None = None
    superseded_by: str | None = None
    conditions: tuple[str, ...] = ()

    SATISFYING = frozenset({"certified", "qualified"})

    @property
    def satisfies(self) -> bool:
        """True when the status is one that can satisfy a requirement."""
        return self.status in self.SATISFYING

    def valid_on(self, day: dt.date) -> bool:
        """True when ``day`` lies within ``since``..``expires`` (open ends allowed)."""
        if self.since is not None and day < self.since:
            return False
        return self.expires is None or day <= self.expires


@dataclass(frozen=True)
class Placement:
    """Where a resource lands, and how sovpolicy knows.

    Attributes:
        cloud: catalog cloud id (``aws``, ``azure``...), or None when unknown.
        region: region code as the cloud spells it, or None when unresolved.
        origin: how the region was found.
        evidence: places where the value was read, outermost last (plan JSON paths,
            file:line, API calls).
        reason: for ``unresolved`` or ``none``, why.
        provider: the Terraform provider source address (``hashicorp/aws``), if any.
    """

    cloud: str | None
    region: str | None
    origin: Origin
    evidence: tuple[str, ...] = ()
    reason: str | None = None
    provider: str | None = None

    @property
    def resolved(self) -> bool:
        """True when cloud and region are both known."""
        return self.cloud is not None and self.region is not None


class FlowKind(str, Enum):
    """How a resource's data reaches another placement."""

    REPLICATE = "replicate"
    """A continuous second copy (S3 replication, DynamoDB or RDS replicas, geo-redundant storage)."""
    COPY = "copy"
    """One-off or scheduled copies: backups and their copies."""
    CACHE = "cache"
    """Edge copies of content served by a CDN or another global service."""

    @property
    def verb(self) -> str:
        """``replicated``, ``copied`` or ``cached``."""
        return {"replicate": "replicated", "copy": "copied", "cache": "cached"}[self.value]


@dataclass(frozen=True)
class Flow:
    """One other placement a resource's data is copied to.

    Attributes:
        to: where the copy lands, with its own origin and evidence (``unresolved`` when
            sovpolicy cannot tell: the policies then say UNKNOWN).
        kind: replicate, copy (backups) or cache (CDN edges).
        via: the resource that sends the data and the element that does it, e.g.
            ``aws_s3_bucket_replication_configuration.x rule[0]`` or ``aws_db_instance.replica
            replicate_source_db``.
        evidence: where the flow was read, outermost first: the chain of references from
            the data's resource to the one that sends it (when they differ), then the
            attribute that sends it.
        rule: id of the ``flows.yaml`` rule (or propagation rule) that describes the flow.
        source: provenance of that rule (provider documentation).
    """

    to: Placement
    kind: FlowKind
    via: str
    evidence: tuple[str, ...] = ()
    rule: str = ""
    source: SourceRef | None = None

    def describe(self, origin: Placement | None = None) -> str:
        """``replicated from eu-west-3 to us-east-1 by <via>`` (``origin``: the resource's own placement)."""
        start = f" from {origin.region}" if origin is not None and origin.region else ""
        end = self.to.region if self.to.region else "an unresolved destination"
        return f"{self.kind.verb}{start} to {end} by {self.via}"


@dataclass(frozen=True)
class DataLink:
    """This resource holds data of another one: it copies, replicates, backs up or reads it.

    Attributes:
        source: address of the resource the data comes from (same input).
        attribute: the attribute whose reference carries the data.
        inbound: True when this resource's ``attribute`` references ``source``; False when
            ``source``'s attribute references this resource (a backup selection naming its plan).
        rule: id of the propagation rule in ``flows.yaml``.
    """

    source: str
    attribute: str
    inbound: bool
    rule: str = ""

    def hop(self, receiver: str) -> str:
        """The reference as text, from ``receiver`` (this resource) towards the source:
        ``aws_s3_bucket_replication_configuration.x → bucket → aws_s3_bucket.records``, or
        ``aws_backup_plan.p ← plan_id ← aws_backup_selection.s`` when the source references it."""
        arrow = "→" if self.inbound else "←"
        return f"{receiver} {arrow} {self.attribute} {arrow} {self.source}"


@dataclass(frozen=True)
class Location:
    """A place in an input file: path and 1-based line (None for plan JSON)."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Classification:
    """One reason a resource holds a data class: ``health`` because ``tag data_classification=health``."""

    data_class: str
    reason: str


@dataclass(frozen=True)
class Resource:
    """One resource instance from any source, in Terraform's vocabulary.

    A resource's identity is ``(input, address)``: two plans of one configuration share
    addresses.

    Attributes:
        address: Terraform resource address (ARN or Azure resource ID when live).
        type: Terraform resource type name.
        source: which reader produced it.
        placement: where it lands.
        tags: tags or labels, sensitive values replaced by ``"(sensitive)"``.
        attributes: the plain attribute values the scan read, sensitive ones redacted.
        location: the input file (and line) it came from.
        classifications: why it holds which data class (empty: not classified).
        action: the planned action (``create``, ``update``, ``replace``, ``no-op``...).
        notes: facts worth showing (unknown tags, deferred change...).
        flows: other placements its data is copied to (replicas, backups, paired regions,
            CDN edges), its own and those of the resources its data reaches.
        data_from: the resources whose data it holds through a reference (classification
            follows these links).
        input: the label of the input it was read from (the file or directory as given,
            ``aws:ACCOUNT``...), the first half of its identity.
        module: its module path (``module.a.module.b``, ``""`` for the root module and for
            live resources) as the source knows it; None when the source did not say, in
            which case it is read from a Terraform address.
    """

    address: str
    type: str
    source: SourceKind
    placement: Placement
    tags: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, object] = field(default_factory=dict)
    location: Location | None = None
    classifications: tuple[Classification, ...] = ()
    action: str | None = None
    notes: tuple[str, ...] = ()
    flows: tuple[Flow, ...] = ()
    data_from: tuple[DataLink, ...] = ()
    input: str = ""
    module: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The resource's identity: ``(input, address)``."""
        return (self.input, self.address)

    @cached_property
    def data_classes(self) -> frozenset[str]:
        """The set of data classes the resource holds."""
        return frozenset(c.data_class for c in self.classifications)

    @cached_property
    def module_path(self) -> str:
        """Module part of the address without instance keys (``module.a.module.b``), or ``""``.

        The source's own ``module`` when it gave one; else read from a Terraform address;
        ``""`` for an address that is not a Terraform address (an ARN, an Azure ID).
        """
        if self.module is not None:
            return self.module
        from .address import parse_address
        from .errors import InputError

        try:
            return parse_address(self.address).module_path
        except InputError:
            return ""


@dataclass(frozen=True)
class Host:
    """What the catalog knows about the place a resource lands.

    Attributes:
        cloud, region: as in the placement.
        region_name, city: as the catalog names them.
        country: ISO 3166-1 alpha-2, or None when unknown (or when the host spans
            several countries: see ``countries``).
        eea: whether the country is in the European Economic Area, None when unknown. For a
            host that spans several places (a multi-region, a global edge): True only when
            every place is in the EEA, False when some place is not.
        operator: the entity that operates the region, None when unknown.
        parents: the operator's parent chain, nearest first.
        laws: laws that reach the operator or a parent (non-EU compelled disclosure...).
        certifications: certifications of that cloud whose region scope covers it,
            whatever their status (policies decide which count).
        unlisted: certifications of that cloud with an unlisted region scope
            (``regions_unlisted``): they may or may not cover it.
        region_source: provenance of the region fact, None when the region is unknown
            to the catalog.
        known_region: False when the cloud is known but the region is not in the catalog.
        countries: for a location group (a multi-region or dual-region, a global edge),
            the countries it spans when the catalog can list them; empty otherwise.
        group: the kind of location group (``multi-region``, ``dual-region``, ``global``),
            None for a plain region.
    """

    cloud: str
    region: str
    region_name: str | None
    city: str | None
    country: str | None
    eea: bool | None
    operator: Entity | None
    parents: tuple[Entity, ...]
    laws: tuple[Law, ...]
    certifications: tuple[Certification, ...]
    region_source: SourceRef | None
    known_region: bool = True
    unlisted: tuple[Certification, ...] = ()
    countries: tuple[str, ...] = ()
    group: str | None = None

    def exposure_chain(self) -> tuple[Entity, ...]:
        """Operator followed by its parents."""
        return ((self.operator,) if self.operator else ()) + self.parents


@dataclass(frozen=True)
class Reason:
    """One link of a finding's chain of reasons, with the catalog source behind it."""

    text: str
    source: SourceRef | None = None


@dataclass(frozen=True)
class Finding:
    """The outcome of one policy on one resource.

    ``reasons`` is the whole chain: its first ``chain_length`` entries place the resource
    (classification, region, country, operator, parents), the rest give the verdict.
    ``flow`` is None for the resource's own placement; for a finding about a place its
    data is copied to, it is that flow, ``host`` is the flow's destination host, the chain
    stops at the resource's placement (its own host does not decide), and the
    ``flow_reasons`` reasons right after it describe the flow (its provenance, the
    destination's placement and host) before the verdict's own reasons.
    ``description`` and ``references`` (``(title, url)`` pairs) are the policy's, for
    reporters that describe the rule (SARIF, Markdown).
    """

    policy_id: str
    pack: str
    title: str
    status: Status
    severity: Severity
    enforcement: Enforcement
    address: str
    message: str
    reasons: tuple[Reason, ...]
    blocking: bool
    resource: Resource
    host: Host | None
    remediation: str | None = None
    chain_length: int = 0
    description: str = ""
    references: tuple[tuple[str, str], ...] = ()
    waiver: Waiver | None = None
    flow: Flow | None = None
    flow_reasons: int = 0

    @property
    def key(self) -> tuple[str, str]:
        """Its resource's identity ``(input, address)``."""
        return (self.resource.input, self.address)

    @property
    def subject(self) -> str:
        """What the finding is about: the address, or for a flow ``address → destination
        (kind by via)``; unique per (policy, input, subject)."""
        if self.flow is None:
            return self.address
        f = self.flow
        return f"{self.address} → {f.to.cloud or '?'} {f.to.region or 'unresolved'} ({f.kind.value} by {f.via})"


@dataclass(frozen=True)
class Problem:
    """Why a scan is incomplete (parse error, denied region...), kept apart from findings."""

    kind: str
    message: str
    where: str | None = None


@dataclass(frozen=True)
class ScanResult:
    """Everything a reporter renders. Findings are sorted (policy, path, address, flow:
    the resource's own placement first, then its flows in order).

    ``hosts`` maps each resource's identity ``(input, address)`` to its host;
    ``flow_hosts`` maps ``(input, address, index in resource.flows)`` to the flow
    destination's host. ``notes`` are what the sources said about how they read (the
    inventory path used and its freshness...).
    """

    resources: tuple[Resource, ...]
    hosts: Mapping[tuple[str, str], Host | None]
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]
    inputs: tuple[str, ...]
    tool_version: str
    catalog_version: str
    catalog_as_of: dt.date
    as_of: dt.date
    warnings: tuple[str, ...] = ()
    soft_fail: bool = False
    """``--soft-fail``: blocking findings are reported but do not fail the exit code."""
    flow_hosts: Mapping[tuple[str, str, int], Host | None] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    """What the live sources scanned (``aws:ACCOUNT;regions=...``): a scan history compares
    scans of the same scope."""
    history: HistoryDiff | None = None
    """This scan against the previous one of its scope (``scan --history``)."""
    alternatives: Mapping[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    """For each resource with a blocking finding, by ``(input, address)``: the catalog places
    where every policy that blocked it would pass (:class:`sovpolicy.alternatives.Alternative`),
    qualified ones first, then unconfirmed ones."""
    catalog_digest: str = ""
    """SHA-256 of the catalog's content (every file used, in order): which facts judged the scan."""

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """The findings that block."""
        return tuple(f for f in self.findings if f.blocking)

    @property
    def exit_code(self) -> int:
        """1 when something blocks (unless ``soft_fail``), else 3 when incomplete, else 0."""
        if self.blocking and not self.soft_fail:
            return 1
        return 3 if self.problems else 0

    def host(self, resource: Resource) -> Host | None:
        """The host of one of its resources."""
        return self.hosts.get(resource.key)

    def flow_host(self, resource: Resource, index: int) -> Host | None:
        """The host of one of its resource's flow destinations (``index`` in ``resource.flows``)."""
        return self.flow_hosts.get((resource.input, resource.address, index))

    def counts(self) -> dict[str, int]:
        """Summary counts: resources, blocking, failed, unknown, waived, passed."""
        by_status = {s: 0 for s in Status}
        for f in self.findings:
            by_status[f.status] += 1
        return {
            "resources": len(self.resources),
            "blocking": len(self.blocking),
            "failed": by_status[Status.FAIL],
            "unknown": by_status[Status.UNKNOWN],
            "waived": by_status[Status.WAIVED],
            "passed": by_status[Status.PASS],
        }


@dataclass(frozen=True)
class Policy:
    """One validated policy. ``require`` is a tuple of ``(condition name, arguments)``."""

    id: str
    pack: str
    title: str
    description: str
    severity: Severity
    enforcement: Enforcement
    data_classes: frozenset[str]
    types: tuple[str, ...]
    require: tuple[tuple[str, dict[str, Any]], ...]
    unresolved: str
    remediation: str
    references: tuple[tuple[str, str], ...]
    path: Path
    when: str | None = None

    @cached_property
    def has_cel(self) -> bool:
        """True when a ``require`` condition is a CEL expression (its verdict depends on the resource)."""
        return any(name == "cel" for name, _ in self.require)


@dataclass(frozen=True)
class Waiver:
    """One waiver (see :mod:`sovpolicy.waivers`). ``origin`` is where it was declared (``file:line``)."""

    policy_id: str
    address: str
    reason: str
    expires: dt.date
    origin: str
    approved_by: str | None = None
    decision: str | None = None
    decision_expires: dt.date | None = None
    module_path: str | None = None
    """For inline waivers: the module the ``.tf`` file belongs to (``""`` for root)."""
    input: str | None = None
    """For inline waivers: the input whose files hold it; it applies to that input's resources only."""

    def matches(self, policy_id: str, resource: Resource) -> bool:
        """True when the waiver names this policy and its address pattern matches the resource."""
        if policy_id != self.policy_id or (self.input is not None and self.input != resource.input):
            return False
        if self.module_path is not None:  # inline: TYPE.NAME within its module, any instance
            if resource.module_path != self.module_path:
                return False
            from .address import parse_address
            from .errors import InputError

            try:
                a = parse_address(resource.address)
            except InputError:
                return False
            return f"{a.type}.{a.name}" == self.address
        return _glob(self.address).fullmatch(resource.address) is not None

    def end(self) -> dt.date:
        """The earlier of its own expiry and its decision's end."""
        return min(self.expires, self.decision_expires) if self.decision_expires else self.expires

    def describe(self) -> str:
        """One line: who, why, until when, under which decision."""
        parts = [f"waived at {self.origin} until {self.expires.isoformat()}: {self.reason}"]
        if self.approved_by:
            parts.append(f"approved by {self.approved_by}")
        if self.decision:
            end = f" (ends {self.decision_expires.isoformat()})" if self.decision_expires else ""
            parts.append(f"decision {self.decision}{end}")
        return "; ".join(parts)


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")))
def finding_key(f: Finding) -> str:
    """A finding's identity across scans: policy, input and subject (the address, and for a
    copy of its data the flow's destination)."""
    return "\x1f".join((f.policy_id, f.resource.input, f.subject))


@dataclass(frozen=True)
class ResolvedFinding:
    """A failing, unknown or waived finding of the previous scan that this scan no longer has."""

    policy_id: str
    input: str
    address: str
    subject: str
    status: str
    message: str


@dataclass(frozen=True)
class HistoryDiff:
    """This scan against the previous scan of the same scope (``scan --history``).

    ``new``: keys (:func:`finding_key`) of this scan's failing, unknown or waived findings
    that the previous scan did not have (all of them when there is no previous scan).
    """

    scan_id: int
    scope: str
    previous_id: int | None
    previous_at: str | None
    new: frozenset[str]
    resolved: tuple[ResolvedFinding, ...]

    def mark(self, f: Finding) -> str | None:
        """``new`` or ``unchanged`` for a failing, unknown or waived finding, None for a pass."""
        if f.status is Status.PASS:
            return None
        return "new" if finding_key(f) in self.new else "unchanged"
