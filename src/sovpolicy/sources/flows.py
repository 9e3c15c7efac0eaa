"""Follow the data: where each resource's data is copied to, and whose data it holds.

Shared by every Terraform reader. A reader gives, for each resource instance, a
:class:`Subject`: its address, type and placement, its attribute values and the
references of its configuration. The rules are data (``catalog/data/flows.yaml``, see
:mod:`sovpolicy.catalog.flowrules`):

* a **flow rule** says how a type sends its data elsewhere (S3 replication rules,
  DynamoDB replicas, backup copy actions, geo-redundant storage to the paired region,
  multi-region locations, CDN edges) and how to find the destination: a region named by
  an attribute, an ARN, a referenced resource's placement, the paired region, the member
  regions of a location group, the cloud's global edge;
* a **propagation rule** says which references carry data (a replication configuration
  names its source bucket, a backup selection lists the databases of a plan, a function's
  environment names a table). The resource that receives the data gets a
  :class:`~sovpolicy.model.DataLink` (classification follows it), and the resource that
  holds the data gets the receiver's flows, plus a flow to the receiver's own placement
  when the receiver is itself a copy (a read replica).

Fail closed: a destination that cannot be resolved (a value known only after apply with
no reference to follow, an S3 ARN naming a bucket outside the plan, a region without a
pair) is an unresolved :class:`~sovpolicy.model.Placement`; the policies then say
UNKNOWN. A sensitive value is never read. A copy in the resource's own region is not
listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from ..catalog import Catalog
from ..catalog.flowrules import FlowRule, PropagationRule, norm_value
from ..model import DataLink, Flow, FlowKind, Origin, Placement

Step = str | int
"""A step of an attribute path: a name, or an index in a list of blocks."""


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNKNOWN = _Marker("UNKNOWN")
"""A value known only after apply."""
SENSITIVE = _Marker("SENSITIVE")
"""A value marked sensitive: never read."""


@dataclass(frozen=True)
class Target:
    """A resource instance a configuration expression references.

    Attributes:
        index: its position in the subjects passed to :func:`follow`.
        trace: the references followed to reach it, outermost first
            (``var.replication``, ``module.records_dr.bucket_arn``, ``aws_s3_bucket.replica.arn``).
    """

    index: int
    trace: tuple[str, ...]


@dataclass(frozen=True)
class Refs:
    """What the configuration says at one attribute path.

    Attributes:
        targets: the resource instances it references.
        constant: the expression is a literal (no reference at all).
        unfollowed: references that lead to no resource instance (a root variable, a data
            source, a local value, a module output sovpolicy cannot read).
    """

    targets: tuple[Target, ...] = ()
    constant: bool = False
    unfollowed: tuple[str, ...] = ()


class Subject(Protocol):
    """One resource instance as a reader exposes it for flow extraction."""

    @property
    def address(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def placement(self) -> Placement: ...

    def value(self, path: Sequence[Step]) -> Any:
        """The plain value at ``path`` (names and list indices), :data:`UNKNOWN`,
        :data:`SENSITIVE`, or None when unset."""
        ...

    def refs(self, path: Sequence[Step | None], deep: bool = False) -> Refs | None:
        """The configuration at ``path`` (a list step without index, or ``None``, means
        every element); ``deep``: every reference below it. None when the configuration
        does not set it."""
        ...

    def where(self, path: Sequence[Step]) -> str:
        """Where the value at ``path`` is read, for evidence (a plan path, ``file:line``)."""
        ...


@dataclass(frozen=True)
class Followed:
    """What :func:`follow` finds for one subject."""

    flows: tuple[Flow, ...] = ()
    data_from: tuple[DataLink, ...] = ()


NOTHING = Followed()
"""What most subjects get: no flow, no link."""


def path_text(path: Sequence[Step | None]) -> str:
    """``("rule", 0, "destination", 0, "bucket")`` -> ``rule[0].destination[0].bucket``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif step is None:
            out += "[*]"
        else:
            out += ("." if out else "") + step
    return out


def _expand(subject: Subject, base: tuple[Step, ...], names: Sequence[str]) -> list[tuple[tuple[Step, ...], Any]]:
    """Every concrete path (with list indices) reached from ``base`` along ``names``, with
    its value; lists of blocks fan out. An unknown or sensitive node ends its branch.

    The elements of a list are read through the subject (which applies the unknown and
    sensitive masks) only at the last step or when one is missing; above that, a block
    read from the list is only walked through, never used as a value."""
    out: list[tuple[tuple[Step, ...], Any]] = [(base, None)]
    last = len(names) - 1
    for k, name in enumerate(names):
        nxt: list[tuple[tuple[Step, ...], Any]] = []
        for path, _ in out:
            p = path + (name,)
            v = subject.value(p)
            if isinstance(v, list):
                nxt += [(p + (i,), subject.value(p + (i,)) if k == last or item is None else item)
                        for i, item in enumerate(v)]
            else:
                nxt.append((p, v))
        out = nxt
    return out


class _Resolver:
    """Applies the catalog's flow rules to the subjects of one input."""

    def __init__(self, subjects: Sequence[Subject], catalog: Catalog) -> None:
        self.subjects = subjects
        self.catalog = catalog
        self.fc = catalog.flows

    # ------------------------------------------------------------------ placements
    def _region(self, cloud: str | None, provider: str | None, value: str) -> str:
        return self.catalog.normalise_region(cloud, value)

    def _unresolved(self, s: Subject, reason: str, evidence: Sequence[str]) -> Placement:
        return Placement(s.placement.cloud, None, Origin.UNRESOLVED, tuple(evidence), reason, s.placement.provider)

    def _referenced(self, s: Subject, path: tuple[Step, ...], why: str, unknown: bool = False) -> Placement:
        """The placement of the resource the configuration at ``path`` references.

        ``unknown``: the value is known only after apply. When the configuration at the
        same index is a literal or missing, the blocks are a set whose order in the plan
        differs from the configuration's: every block's references are considered.
        """
        here = s.where(path)
        refs = s.refs(path)
        if refs is None or (unknown and refs.constant):
            wild = tuple(None if isinstance(p, int) else p for p in path)
            refs = s.refs(wild) or refs
        if refs is None or not refs.targets:
            names = ", ".join(refs.unfollowed) if refs is not None and refs.unfollowed else ""
            tail = f" (it references {names}, which is no resource of this input)" if names else \
                " and the configuration references no resource of this input"
            return self._unresolved(s, f"{why}{tail}", (here,))
        places = {(self.subjects[t.index].placement.cloud, self.subjects[t.index].placement.region) for t in refs.targets}
        first = refs.targets[0]
        target = self.subjects[first.index]
        hop = f"configuration {path_text(path)} references {' -> '.join(first.trace)} ({target.address})"
        if len(places) != 1 or not target.placement.resolved:
            what = ", ".join(sorted(self.subjects[t.index].address for t in refs.targets))
            reason = target.placement.reason if len(places) == 1 else f"the referenced instances ({what}) are in different places"
            return self._unresolved(s, f"the destination {target.address} is unresolved: {reason}", (hop,) + target.placement.evidence)
        p = target.placement
        return Placement(p.cloud, p.region, p.origin, (hop,) + p.evidence, None, p.provider)

    def _destination(self, s: Subject, rule: FlowRule, base: tuple[Step, ...]) -> list[Placement]:
        """The destination(s) of one rule on one element."""
        own = s.placement
        if rule.resolve == "global":
            group = self.fc.global_group(own.cloud)
            assert group is not None  # checked when the catalog is loaded
            return [Placement(group.cloud, group.code, Origin.CATALOG,
                              (f"{s.type} is a global service: {group.name} (flows.yaml location_groups, {group.source.id})",),
                              None, own.provider)]
        if rule.resolve == "paired":
            if own.region is None:
                return [self._unresolved(s, f"the paired region of an unresolved region is unknown ({own.reason})", ())]
            pair = self.fc.pairs.get((own.cloud or "", own.region))
            if pair is None:
                known = (own.cloud or "", own.region) in self.fc.unpaired
                why = (f"{own.region} has no paired region, and where its geo-redundant copy goes is not sourced" if known
                       else f"the catalog has no paired region for {own.region}")
                return [self._unresolved(s, why, (f"flows.yaml region_pairs {own.cloud}",))]
            return [Placement(pair.cloud, pair.secondary, Origin.CATALOG,
                              (f"paired region of {own.region} (flows.yaml region_pairs, {pair.source.id})",),
                              None, own.provider)]
        out: list[Placement] = []
        for path, value in _expand(s, base, rule.attribute):
            here = s.where(path)
            if value is SENSITIVE:  # never read, and its block may not be the configuration's block of that index
                out.append(self._unresolved(s, f"{path_text(path)} is sensitive: sovpolicy does not read it", (here,)))
                continue
            if value is UNKNOWN or (value is None and rule.resolve in ("arn", "reference")):
                state = "known only after apply" if value is UNKNOWN else "not set"
                if rule.resolve in ("arn", "reference") or s.refs(path) is not None:
                    out.append(self._referenced(s, path, f"{path_text(path)} is {state}", value is UNKNOWN))
                continue
            if value is None:
                continue
            if rule.resolve == "region":
                out.append(Placement(own.cloud, self._region(own.cloud, own.provider, str(value)), Origin.RESOURCE,
                                     (here,), None, own.provider))
            elif rule.resolve == "arn":
                parts = str(value).split(":")
                if len(parts) >= 6 and parts[0] == "arn" and parts[3]:
                    out.append(Placement(own.cloud, parts[3], Origin.RESOURCE, (f"{here} (region field of the ARN)",),
                                         None, own.provider))
                else:
                    out.append(self._referenced(s, path, f"{path_text(path)} is an ARN without a region"))
            elif rule.resolve == "reference":
                out.append(self._referenced(s, path, f"{path_text(path)} names a resource by an id without a region"))
            else:  # members: a location (a group's members), or one region of a list
                out += self._members(s, [value] if isinstance(path[-1], int) else value, here)
        return out

    def _members(self, s: Subject, value: Any, here: str) -> list[Placement]:
        """The member regions of a location group, or each region of an explicit list."""
        own = s.placement
        out = []
        for v in value if isinstance(value, list) else [value]:
            if not isinstance(v, str):
                continue
            group = self.fc.group(own.cloud, v)
            if group is None:
                if isinstance(value, list):  # an explicit list of regions
                    out.append(Placement(own.cloud, self._region(own.cloud, own.provider, v), Origin.RESOURCE,
                                         (here,), None, own.provider))
                continue
            out += [Placement(own.cloud, member, Origin.CATALOG,
                              (here, f"member of {group.code} (flows.yaml location_groups, {group.source.id})"),
                              None, own.provider) for member in group.regions]
        return out

    def _switched_on(self, s: Subject, rule: FlowRule, base: tuple[Step, ...]) -> tuple[bool, str | None, str]:
        """Whether the rule's ``when`` holds on one element: ``(on, unresolved reason, label)``."""
        if not rule.when:
            return True, None, ""
        values = _expand(s, base, rule.when)
        label = path_text(values[0][0][len(base):]) if values else ".".join(rule.when)
        seen: list[str] = []
        for path, value in values:
            if value is UNKNOWN or value is SENSITIVE:
                if value is UNKNOWN and s.refs(path) is None:
                    continue  # computed, not set by the configuration: the default applies
                state = "known only after apply" if value is UNKNOWN else "sensitive"
                return True, f"{path_text(path)} is {state}: whether the data is copied elsewhere is unknown", label
            if isinstance(value, (str, int, float, bool)):
                seen.append(str(value))
        if not seen:
            if rule.when_default is None:
                return False, None, label
            return norm_value(rule.when_default) in rule.when_in, None, f"{label} = {rule.when_default} (default)"
        hits = [v for v in seen if norm_value(v) in rule.when_in]
        return bool(hits), None, f"{label} = {hits[0] if hits else seen[0]}"

    def declared(self, s: Subject) -> list[Flow]:
        """The flows a subject's own configuration declares."""
        out: list[Flow] = []
        for rule in self.fc.rules.get(s.type, ()):
            elements: list[tuple[Step, ...]] = [()]
            if rule.each:
                elements = []
                for path, value in _expand(s, (), rule.each):
                    if (value is UNKNOWN or value is SENSITIVE) and s.refs(path) is not None:
                        # set by the configuration but known only after apply: fail closed
                        here = s.where(path)
                        out.append(Flow(self._unresolved(s, f"{path_text(path)} is known only after apply", (here,)),
                                        rule.kind, f"{s.address} {path_text(path)}", (here,), rule.id, rule.source))
                    elif value is not None and value is not UNKNOWN and value is not SENSITIVE:
                        elements.append(path)
            for base in elements:
                on, why, label = self._switched_on(s, rule, base)
                if not on:
                    continue
                element = path_text(base) or label or path_text(rule.attribute)
                if not base and not label and rule.attribute:
                    named = s.value(rule.attribute)
                    element += f" = {named}" if isinstance(named, str) else ""
                via = f"{s.address} {element}".rstrip()
                declared_at = s.where(base or rule.when or rule.attribute) if (base or rule.when or rule.attribute) else s.address
                if why is not None:
                    out.append(Flow(self._unresolved(s, why, (s.where(base + rule.when),)), rule.kind, via,
                                    (declared_at,), rule.id, rule.source))
                    continue
                for to in self._destination(s, rule, base):
                    out.append(Flow(to, rule.kind, via, (declared_at,), rule.id, rule.source))
        return out

    def links(self, i: int, prop: PropagationRule) -> list[tuple[int, int, DataLink]]:
        """``(holder, receiver, link)`` for each resource a propagation rule connects to subject ``i``."""
        s = self.subjects[i]
        refs = s.refs(prop.attribute, deep=True)
        out = []
        for t in refs.targets if refs is not None else ():
            if t.index == i:
                continue
            holder, receiver = (t.index, i) if prop.inbound else (i, t.index)
            out.append((holder, receiver, DataLink(self.subjects[holder].address, ".".join(prop.attribute),
                                                   prop.inbound, prop.id)))
        return out


@dataclass(frozen=True)
class _Edge:
    """Data of a holder reaches ``receiver`` through ``link``; ``hop`` says so in words,
    written from the side whose attribute holds the reference."""

    receiver: int
    link: DataLink
    rule: PropagationRule
    hop: str


def _dedupe(own: Placement, flows: list[Flow]) -> tuple[Flow, ...]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for f in flows:
        if f.to.resolved and (f.to.cloud, f.to.region) == (own.cloud, own.region):
            continue  # a copy in the resource's own region adds no place
        key = (f.to.cloud, f.to.region, f.to.reason, f.kind, f.via)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return tuple(out)


def _reach(i: int, visiting: frozenset[int], subjects: Sequence[Subject], declared: dict[int, list[Flow]],
           edges: dict[int, list[_Edge]]) -> list[Flow]:
    """Subject ``i``'s own flows, then, for each resource its data reaches, a flow to that
    resource's placement when it is a copy and that resource's flows, the hop first in
    their evidence (cycles stop at a resource already on the path)."""
    out = list(declared.get(i, ()))
    for e in edges.get(i, ()):
        if e.receiver in visiting:
            continue
        recv = subjects[e.receiver]
        if e.rule.kind is not None:
            out.append(Flow(recv.placement, e.rule.kind, f"{recv.address} {e.link.attribute}", (e.hop,),
                            e.rule.id, e.rule.source))
        out += [replace(f, evidence=(e.hop,) + f.evidence)
                for f in _reach(e.receiver, visiting | {e.receiver}, subjects, declared, edges)]
    return out


def _unruled(subjects: Sequence[Subject], kinds: Sequence[str], fc: Any) -> dict[int, list[Flow]]:
    """Flows to an unknown place for replica-shaped blocks no rule reads (``unruled_copies``)."""
    out: dict[int, list[Flow]] = {}
    names_of: dict[str, tuple[str, ...]] = {}
    for i, t in enumerate(kinds):
        names = names_of.get(t)
        if names is None:
            names = names_of[t] = tuple(sorted(fc.unruled(t)))
        if not names:
            continue
        s = subjects[i]
        for name in names:
            value = s.value((name,))
            if value is None or value is False or value == [] or value == {}:
                continue
            if value is UNKNOWN and s.refs((name,)) is None:  # computed by the provider, not a block set here
                continue
            here = s.where((name,))
            to = Placement(s.placement.cloud, None, Origin.UNRESOLVED, (here,),
                           f"{name} looks like a copy to another place, and no flows.yaml rule says where "
                           f"{t} copies it", s.placement.provider)
            out.setdefault(i, []).append(Flow(to, FlowKind.REPLICATE, f"{s.address} {name}", (here,), "unruled-copy"))
    return out


def follow(subjects: Sequence[Subject], catalog: Catalog, types: Sequence[str] | None = None) -> list[Followed]:
    """Find every subject's flows and data links.

    Args:
        subjects: the resource instances of one input, placements already resolved (a
            reader may build them lazily: only those with a rule and those referenced are
            touched when ``types`` is given).
        catalog: the catalog whose ``flows`` hold the rules.
        types: the subjects' types, in order, when the reader has them at hand.

    Returns:
        One :class:`Followed` per subject, in order: its flows (its own, then those of the
        resources its data reaches through propagation rules, each with the chain of
        references in its evidence) and the links to the resources whose data it holds.
    """
    fc = catalog.flows
    kinds = types if types is not None else [s.type for s in subjects]
    unruled = _unruled(subjects, kinds, fc) if fc.unruled_copies else {}
    todo = [i for i, t in enumerate(kinds) if t in fc.rules or t in fc.propagation]
    if not todo and not unruled:
        return [NOTHING] * len(subjects)
    r = _Resolver(subjects, catalog)
    declared: dict[int, list[Flow]] = {i: list(flows) for i, flows in unruled.items()}
    edges: dict[int, list[_Edge]] = {}
    data_from: dict[int, list[DataLink]] = {}
    for i in todo:
        s = subjects[i]
        if s.type in fc.rules:
            declared[i] = declared.get(i, []) + r.declared(s)
        for prop in fc.propagation.get(s.type, ()):
            for holder, receiver, link in r.links(i, prop):
                data_from.setdefault(receiver, []).append(link)
                hop = (link.hop(subjects[receiver].address) if link.inbound
                       else f"{subjects[holder].address} → {link.attribute} → {subjects[receiver].address}")
                edges.setdefault(holder, []).append(_Edge(receiver, link, prop, hop))

    results = [NOTHING] * len(subjects)
    for i in sorted(set(declared) | set(edges) | set(data_from)):
        flows = _dedupe(subjects[i].placement, _reach(i, frozenset({i}), subjects, declared, edges))
        results[i] = Followed(flows, tuple(data_from.get(i, ())))
    return results
