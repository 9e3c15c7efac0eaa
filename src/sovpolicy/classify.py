"""Mark which resources hold which data classes, and say why.

Sources of a class, in the order they are reported: tags or labels (configurable keys
and values), ``.sovpolicy.yaml`` rules (address glob, module path, type glob), the
project-wide default, then references: a resource that copies, replicates, backs up or
reads classified data (its :attr:`~sovpolicy.model.Resource.data_from` links, found by
the propagation rules of ``flows.yaml``) holds that class too, and the reason names the
references followed (``classified health via aws_s3_bucket_replication_configuration.x →
bucket → aws_s3_bucket.records (tag data_classification=health)``). Resources whose
provider hosts no data are never classified.

A classification tag that cannot be read (its value is sensitive, known only after apply,
from an unset variable or a data source; the whole tag map sensitive or computed) makes
the resource's classes *unknown*: it is given every class of ``classification.when_unknown``
(default: every class) marked ``unknown``, and each policy on those classes is UNKNOWN for
it (and blocks like an unknown placement), never PASS; the value is never printed.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from pathlib import PurePath

from .catalog.legal import Implication
from .config import Config
from .model import Classification, Origin, Resource
from .model.evolve import evolve

#: how every reader writes a sensitive tag value
REDACTED = "(sensitive)"


def _norm_key(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


class Classifier:
    """Applies one configuration's classification rules, then the classes each class
    implies (``classes.yaml``: health implies personal and sensitive). Build once, call per
    resource."""

    def __init__(self, config: Config, implications: Mapping[str, tuple[Implication, ...]] | None = None) -> None:
        self.config = config
        self.implications = implications or {}
        self.keys = {_norm_key(k) for k in config.tag_keys}
        self._seen_keys: set[str] = set()  # the tag keys seen...
        self._class_keys: set[str] = set()  # ...and those that are classification keys
        self._tag_classes: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}  # (key, value) -> (class, reason)
        self._made: dict[tuple[tuple[str, str, bool], ...], tuple[Classification, ...]] = {}
        self.by_value: dict[str, list[str]] = {}
        for cls, values in config.values.items():
            for v in values:
                self.by_value.setdefault(v.lower(), []).append(cls)

    def classify(self, resource: Resource) -> Resource:
        """Return the resource with its classifications (unchanged when none apply)."""
        classes = self.classes(resource)
        return resource if classes is None else evolve(resource, classifications=classes)

    def classes(self, resource: Resource) -> tuple[Classification, ...] | None:
        """The resource's classifications (before references and implications are followed),
        or None when none apply (it keeps those it has)."""
        if resource.placement.origin is Origin.NONE:
            return None
        found: list[tuple[str, str, bool]] = []
        seen: set[str] = set()

        def add(cls: str, reason: str) -> None:
            if cls not in seen:
                seen.add(cls)
                found.append((cls, reason, False))

        tags = resource.tags
        if not self._seen_keys.issuperset(tags):  # each key told once ("": a bare tag, a value alone)
            self._class_keys.update(k for k in tags if k not in self._seen_keys and (k == "" or _norm_key(k) in self.keys))
            self._seen_keys.update(tags)
        unread: list[str] = []  # why a classification tag cannot be read (never its value)
        for key, value in tags.items() if not self._class_keys.isdisjoint(tags) else ():
            if key not in self._class_keys:
                continue
            if value == REDACTED:
                unread.append(f"tag {key} is sensitive")
                continue
            hits = self._tag_classes.get((key, value))
            if hits is None:  # one reading per distinct tag
                reason = f"tag {key}={value}" if key else f"tag {value}"
                hits = self._tag_classes[(key, value)] = tuple(
                    (cls, reason) for token in re.split(r"[,;/\s]+", value.strip().lower()) for cls in self.by_value.get(token, ()))
            for cls, reason in hits:
                add(cls, reason)
        for key, why in resource.tags_unread.items():
            if key == "*" or _norm_key(key) in self.keys:
                unread.append(why)
        if self.config.rules:
            module_path = resource.module_path
            for rule in self.config.rules:
                if rule.address and not fnmatchcase(resource.address, rule.address):
                    continue
                if rule.module and not (module_path == rule.module or module_path.startswith(rule.module + ".")):
                    continue
                if rule.type and not fnmatchcase(resource.type, rule.type):
                    continue
                add(rule.data_class, f"rule in {self.config.path.name if self.config.path else 'configuration'} ({rule.describe()})")
        for cls in self.config.default_classes:
            add(cls, "project-wide default in " + (self.config.path.name if self.config.path else "configuration"))
        if unread:
            assumed = self.config.when_unknown if self.config.when_unknown is not None else tuple(self.config.values)
            why = "; ".join(dict.fromkeys(unread))
            for cls in assumed:
                if cls not in seen:
                    seen.add(cls)
                    found.append((cls, f"its data classes cannot be read ({why}): it may hold {cls} data", True))
        if not found:
            return None
        made = tuple(found)
        classes = self._made.get(made)
        if classes is None:  # resources classified alike share one tuple
            classes = self._made[made] = tuple(Classification(c, why, unknown=unknown) for c, why, unknown in made)
        return classes

    def classify_all(self, resources: Iterable[Resource]) -> list[Resource]:
        """Classify every resource, follow the references that carry data, then add the
        classes each class implies (each resource copied once, with all its classes)."""
        resources = list(resources)
        found = [r.classifications if c is None else c for r, c in zip(resources, map(self.classes, resources))]
        found = propagated(resources, found)
        if self.implications:
            memo: dict[tuple[Classification, ...], tuple[Classification, ...]] = {}  # the same classes imply the same
            found = [implied_classes(c, self.implications, memo) for c in found]
        return [r if c is r.classifications else evolve(r, classifications=c) for r, c in zip(resources, found)]


def asked_classes(names: Iterable[str], implications: Mapping[str, tuple[Implication, ...]]
                  ) -> tuple[Classification, ...]:
    """The classifications of data a user asks about (``--class``, the alternatives' and
    the catalog's verdicts), in the order given, and every class they imply."""
    return implied_classes(tuple(Classification(c, "asked") for c in names), implications)


def implied_classes(classifications: tuple[Classification, ...], implications: Mapping[str, tuple[Implication, ...]],
                    memo: dict[tuple[Classification, ...], tuple[Classification, ...]] | None = None
                    ) -> tuple[Classification, ...]:
    """``classifications`` and every class they imply, transitively, each reason naming the
    class it comes from and why (``implied by health (tag data_classification=health): data
    concerning health is a special category of personal data (GDPR art. 9)``);
    ``classifications`` itself when they imply nothing more. ``memo`` keeps what each set
    of classifications comes to, for many resources."""
    if memo is not None:  # one tuple for every resource classified alike
        full = memo.get(classifications)
        if full is None:
            full = memo[classifications] = implied_classes(classifications, implications)
        return full
    have = {c.data_class: c for c in classifications}
    added: list[Classification] = []
    todo = list(classifications)
    while todo:
        c = todo.pop(0)
        for link in implications.get(c.data_class, ()):
            if link.child in have:
                continue
            # a class implied by an assumed (unknown) one is assumed too
            new = Classification(link.child, f"implied by {c.data_class} ({c.reason}): {link.why}", unknown=c.unknown)
            have[link.child] = new
            added.append(new)
            todo.append(new)
    return classifications + tuple(added) if added else classifications


def _path(r: Resource) -> str:
    return r.location.path if r.location else ""


def _source_of(r: Resource, address: str, by_address: dict[str, list[int]], resources: list[Resource]) -> int | None:
    """The resource a link of ``r`` names: the one with that address in the same input
    (same plan file; for source, the file closest to ``r``'s, i.e. the same module tree)."""
    found = by_address.get(address, [])
    if len(found) <= 1:
        return found[0] if found else None
    mine = PurePath(_path(r)).parts

    def closeness(i: int) -> int:
        theirs = PurePath(_path(resources[i])).parts
        n = 0
        while n < min(len(mine), len(theirs)) and mine[n] == theirs[n]:
            n += 1
        return n

    return max(found, key=closeness)


def propagated(resources: list[Resource], classes: list[tuple[Classification, ...]]
               ) -> list[tuple[Classification, ...]]:
    """Give each resource (whose classifications are ``classes[i]``) the classes of the
    resources whose data it holds, transitively.

    Breadth first from the classified resources, so each class comes through the
    shortest chain of references; a resource keeps its own reasons first. Links point at
    resources of the same input. Returns the classifications, in the same order.
    """
    linked = [i for i, r in enumerate(resources) if r.data_from]
    if not linked:
        return classes
    by_address: dict[str, list[int]] = {}
    for i, r in enumerate(resources):
        by_address.setdefault(r.address, []).append(i)
    receivers: dict[int, list[tuple[int, str]]] = {}  # holder -> [(receiver, hop text)]
    for i in linked:
        r = resources[i]
        for link in r.data_from:
            h = _source_of(r, link.source, by_address, resources)
            if h is not None:
                receivers.setdefault(h, []).append((i, link.hop(r.address)))
    # (resource, class) -> (chain of hops from the resource to the classified one, the original reason)
    chains: dict[tuple[int, str], tuple[str, str]] = {}
    queue: deque[tuple[int, str]] = deque()
    for i, have in enumerate(classes):
        for c in have:
            chains[(i, c.data_class)] = ("", c.reason)
            queue.append((i, c.data_class))
    added: dict[int, list[Classification]] = {}
    while queue:
        h, cls = queue.popleft()
        chain, origin = chains[(h, cls)]
        for rcv, hop in receivers.get(h, ()):
            if (rcv, cls) in chains or resources[rcv].placement.origin is Origin.NONE:
                continue
            # hop ends with the holder's address; the holder's own chain continues from there
            text = hop + chain[len(resources[h].address):] if chain else hop
            chains[(rcv, cls)] = (text, origin)
            added.setdefault(rcv, []).append(Classification(cls, f"classified {cls} via {text} ({origin})"))
            queue.append((rcv, cls))
    return [have + tuple(added[i]) if i in added else have for i, have in enumerate(classes)]
