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

A flow rule with a ``scope`` names no resource (an ECR replication configuration copies
its whole registry): its flows go to every resource of the scope's types in the same
account and region that its filters select, and where that cannot be decided, to an
unresolved place. Attributes shaped like a copy (``unruled_copies``) that no rule of the
type reads are flows to an unresolved place too.

Fail closed: a destination that cannot be resolved (a value known only after apply with
no reference to follow, an S3 ARN naming a bucket outside the plan, a region without a
pair) is an unresolved :class:`~sovpolicy.model.Placement`; the policies then say
UNKNOWN. A sensitive value is never read. A copy in the resource's own region is not
listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..catalog import Catalog
from ..catalog.flowrules import CopyShapes, FlowRule, FlowScope, PropagationRule, norm_value
from ..model import DataLink, Flow, FlowKind, Origin, Placement
from .flowsubject import NOTHING, SENSITIVE, UNKNOWN, Followed, Refs, Step, Subject, Target, expand, path_text

__all__ = ["NOTHING", "SENSITIVE", "UNKNOWN", "Followed", "Refs", "Step", "Subject", "Target", "follow", "path_text"]


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
        for path, value in expand(s, base, rule.attribute):
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
        values = expand(s, base, rule.when)
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

    def _elements(self, s: Subject, rule: FlowRule) -> tuple[list[tuple[Step, ...]], list[tuple[Step, ...]]]:
        """The elements (``each`` blocks) a rule applies to on a subject, and those set by
        the configuration but known only after apply (fail closed)."""
        if not rule.each:
            return [()], []
        elements: list[tuple[Step, ...]] = []
        later: list[tuple[Step, ...]] = []
        for path, value in expand(s, (), rule.each):
            if (value is UNKNOWN or value is SENSITIVE) and s.refs(path) is not None:
                later.append(path)
            elif value is not None and value is not UNKNOWN and value is not SENSITIVE:
                elements.append(path)
        return elements, later

    def declared(self, s: Subject) -> list[Flow]:
        """The flows a subject's own configuration declares (scoped rules aside)."""
        out: list[Flow] = []
        for rule in self.fc.rules.get(s.type, ()):
            if rule.scope is not None:
                continue
            elements, later = self._elements(s, rule)
            for path in later:
                here = s.where(path)
                out.append(Flow(self._unresolved(s, f"{path_text(path)} is known only after apply", (here,)),
                                rule.kind, f"{s.address} {path_text(path)}", (here,), rule.id, rule.source))
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

    # ------------------------------------------------------------------ scoped rules
    def scoped(self, i: int, rule: FlowRule, members: Sequence[int]) -> dict[int, list[Flow]]:
        """The flows a scoped rule of subject ``i`` (an ECR replication configuration) gives
        each resource of ``members`` it reaches: same account and region, filter matched;
        where that cannot be decided, a flow to an unresolved place (fail closed)."""
        s = self.subjects[i]
        scope = rule.scope
        assert scope is not None
        out: dict[int, list[Flow]] = {}
        elements, later = self._elements(s, rule)
        links = {j: self._same_scope(s, self.subjects[j], scope) for j in members if j != i}
        for path in later:
            for j, (same, why) in links.items():
                if same is not False:
                    t = self.subjects[j]
                    out.setdefault(j, []).append(Flow(
                        self._unresolved(t, f"{s.address} {path_text(path)} is known only after apply: which "
                                            f"repositories it copies, and where, is unknown", (s.where(path),)),
                        rule.kind, f"{s.address} {path_text(path)}", (why, s.where(path)), rule.id, rule.source))
        for base in elements:
            dests: list[Placement] | None = None
            via = f"{s.address} {path_text(base)}".rstrip()
            for j, (same, why) in links.items():
                if same is False:
                    continue
                t = self.subjects[j]
                match, because = self._filter(s, base, t, scope)
                if match is False:
                    continue
                evidence = (why, because, s.where(base)) if because else (why, s.where(base))
                if same is None or match is None:
                    reason = why if same is None else because
                    out.setdefault(j, []).append(Flow(self._unresolved(t, reason, (s.where(base),)), rule.kind, via,
                                                      evidence, rule.id, rule.source))
                    continue
                if dests is None:
                    dests = self._destination(s, rule, base)
                out.setdefault(j, []).extend(Flow(to, rule.kind, via, evidence, rule.id, rule.source) for to in dests)
        return out

    def _same_scope(self, s: Subject, t: Subject, scope: FlowScope) -> tuple[bool | None, str]:
        """Whether ``t`` is in the account and region of ``s``: True, False, or None
        (cannot tell), with the reason in words."""
        a = s.value(scope.account) if scope.account else None
        b = t.value(scope.account) if scope.account else None
        attr = ".".join(scope.account)
        account: bool | None = None
        if isinstance(a, str) and isinstance(b, str) and a and b:
            account = a == b
            if not account:
                return False, f"{t.address} {attr} differs from {s.address}'s"
            said = f"{attr} {a}"
        elif s.provider_config is not None and s.provider_config == t.provider_config:
            account, said = True, f"the same provider configuration {s.provider_config}"
        else:
            said = (f"provider configurations {s.provider_config} and {t.provider_config}"
                    if s.provider_config and t.provider_config else "no provider configuration the input tells")
        sp, tp = s.placement, t.placement
        if sp.resolved and tp.resolved:
            if (sp.cloud, sp.region) != (tp.cloud, tp.region):
                return False, f"{t.address} is in {tp.region}, {s.address} in {sp.region}"
            if account:
                return True, f"{t.address} is in the registry of {s.address} ({said}, region {sp.region})"
            return None, (f"whether {t.address} is in the account of {s.address} is unknown ({said}, "
                          f"both in {sp.region})")
        missing = s if not sp.resolved else t
        return None, (f"whether {t.address} is in the registry of {s.address} is unknown: the region of "
                      f"{missing.address} is unresolved ({missing.placement.reason})")

    def _filter(self, s: Subject, base: tuple[Step, ...], t: Subject, scope: FlowScope) -> tuple[bool | None, str]:
        """Whether one element's filters select ``t``: True, False or None (cannot tell)."""
        if not scope.filter_each:
            return True, ""
        blocks = expand(s, base, scope.filter_each)
        where = path_text(base + scope.filter_each)
        if all(v is None or v == [] for _, v in blocks):
            return True, f"{where}: none, every repository"
        name = t.value(scope.name)
        shown = ".".join(scope.name)
        unknown = ""
        for path, v in blocks:
            if v is None:
                continue
            kind, value = s.value(path + scope.filter_type), s.value(path + scope.filter_value)
            if v is UNKNOWN or v is SENSITIVE or kind is UNKNOWN or value is UNKNOWN:
                unknown = unknown or f"{path_text(path)} is known only after apply"
                continue
            if kind is SENSITIVE or value is SENSITIVE:
                unknown = unknown or f"{path_text(path)} is sensitive: sovpolicy does not read it"
                continue
            hit = scope.selects(str(kind), str(value), name if isinstance(name, str) else "")
            if hit is None:
                unknown = unknown or f"{path_text(path)} has the filter type {kind}, which sovpolicy does not know"
                continue
            if not isinstance(name, str):
                state = "sensitive" if name is SENSITIVE else "known only after apply" if name is UNKNOWN else "not set"
                unknown = unknown or f"{t.address} {shown} is {state}"
                continue
            if hit:
                return True, f"{path_text(path)} {kind} {value!r} matches {shown} {name!r}"
        if unknown:
            return None, f"whether {where} selects {t.address} is unknown: {unknown}"
        return False, ""

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
    shapes: CopyShapes = fc.copy_shapes
    out: dict[int, list[Flow]] = {}
    shaped: dict[tuple[str, str], bool] = {}
    covered: dict[str, frozenset[str]] = {}
    for i, t in enumerate(kinds):
        s = subjects[i]
        for name in s.names():
            hit = shaped.get((t, name))
            if hit is None:
                hit = shaped[(t, name)] = shapes.matches(name, t)
            if not hit:
                continue
            if t not in covered:
                covered[t] = fc.covered(t)
            if name in covered[t]:
                continue
            value = s.value((name,))
            if value is None or value is False or value == 0 or value == [] or value == {} or value == "":
                continue
            if isinstance(value, str) and value.casefold() in shapes.off_values:
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
    unruled = _unruled(subjects, kinds, fc) if fc.copy_shapes.patterns else {}
    todo = [i for i, t in enumerate(kinds) if t in fc.rules or t in fc.propagation]
    if not todo and not unruled:
        return [NOTHING] * len(subjects)
    r = _Resolver(subjects, catalog)
    declared: dict[int, list[Flow]] = {i: list(flows) for i, flows in unruled.items()}
    edges: dict[int, list[_Edge]] = {}
    data_from: dict[int, list[DataLink]] = {}
    members: dict[str, list[int]] = {}
    if fc.scoped:
        for i, t in enumerate(kinds):
            if t in fc.scoped:
                members.setdefault(t, []).append(i)
    for i in todo:
        s = subjects[i]
        if s.type in fc.rules:
            declared[i] = declared.get(i, []) + r.declared(s)
            for rule in fc.rules[s.type]:
                if rule.scope is not None:
                    reached = [j for t in sorted(rule.scope.types) for j in members.get(t, ())]
                    for j, got in r.scoped(i, rule, reached).items():
                        declared[j] = declared.get(j, []) + got
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
