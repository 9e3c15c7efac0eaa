"""Verdicts: statuses, severities, enforcement, policies and waivers, findings with their
chain of reasons, problems, the whole ``ScanResult`` and its history marks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from operator import attrgetter
from pathlib import Path
from typing import Any

from ..lazy import cached
from .facts import Host, SourceRef
from .resource import Flow, Resource


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
class Reason:
    """One link of a finding's chain of reasons, with the catalog source behind it."""

    text: str
    source: SourceRef | None = None
    at: str = ""
    """Where this resource's own value was read (a plan path), when ``text`` ends with it in
    parentheses: the JSON report leaves it out of the chains that findings share (it is the
    resource's ``placement.evidence``)."""


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

    @cached
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
            from ..address import parse_address
            from ..errors import InputError

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
    chain_like: tuple[Reason, ...] | None = None
    """For a finding made alike from another resource's (same policy, type, host, placement
    and classes): that finding's ``reasons``, which are these but for where each resource's
    own value was read (a :class:`Reason` with ``at``); the JSON report writes the chain once
    for both. None otherwise; anything that changes ``reasons`` sets it back to None."""

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
class InputFile:
    """One file a scan read: its path as shown, its size and the SHA-256 of the bytes read."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Problem:
    """Why a scan is incomplete (parse error, denied region...), kept apart from findings."""

    kind: str
    message: str
    where: str | None = None


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
    input_files: tuple[InputFile, ...] = ()
    """Every file the sources read, digested as read (the evidence bundle lists them)."""
    """This scan against the previous one of its scope (``scan --history``)."""
    alternatives: Mapping[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    """For each resource with a blocking finding, by ``(input, address)``: the catalog places
    where every policy that blocked it would pass (:class:`sovpolicy.model.alternative.Alternative`),
    qualified ones first, then unconfirmed ones."""
    catalog_digest: str = ""
    """SHA-256 of the catalog's content (every file used, in order): which facts judged the scan."""

    @cached
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
        statuses = list(map(attrgetter("status"), self.findings))  # counted in C, by identity (no Enum hash)
        by_status = {s: statuses.count(s) for s in Status}
        return {
            "resources": len(self.resources),
            "blocking": len(self.blocking),
            "failed": by_status[Status.FAIL],
            "unknown": by_status[Status.UNKNOWN],
            "waived": by_status[Status.WAIVED],
            "passed": by_status[Status.PASS],
        }
