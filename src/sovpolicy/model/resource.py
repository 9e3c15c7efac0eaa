"""Resources as every source hands them over: where they land (``Placement``), where
their data is copied (``Flow``), why they hold which data (``Classification``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from ..lazy import cached
from .facts import SourceRef


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
    """One reason a resource holds a data class: ``health`` because ``tag data_classification=health``.

    ``unknown``: the class is assumed because the resource's classification cannot be
    read (a sensitive or computed tag); every policy on it is then UNKNOWN, never PASS.
    """

    data_class: str
    reason: str
    unknown: bool = False


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
    tags_unread: Mapping[str, str] = field(default_factory=dict)
    """Tags the source could not read -> why, never their value: ``{"*": "tags is
    sensitive"}`` for the whole map, ``{"data_classification": "known only after apply"}``
    for one key. A classification key among them makes the data classes unknown."""

    @property
    def key(self) -> tuple[str, str]:
        """The resource's identity: ``(input, address)``."""
        return (self.input, self.address)

    @cached
    def data_classes(self) -> frozenset[str]:
        """The set of data classes the resource holds."""
        return frozenset(c.data_class for c in self.classifications)

    @cached
    def module_path(self) -> str:
        """Module part of the address without instance keys (``module.a.module.b``), or ``""``.

        The source's own ``module`` when it gave one; else read from a Terraform address;
        ``""`` for an address that is not a Terraform address (an ARN, an Azure ID).
        """
        if self.module is not None:
            return self.module
        from ..address import parse_address
        from ..errors import InputError

        try:
            return parse_address(self.address).module_path
        except InputError:
            return ""
