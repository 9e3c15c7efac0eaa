"""Azure Resource Manager objects -> :class:`~sovpolicy.model.Resource`, shared by the live
scan and the offline exports (no SDK import here).

An ARM object is a dict shaped as the management API and Azure Resource Graph return it
(``id``, ``type``, ``location``, ``tags``, ``sku``, ``properties``...). The resource ID is
the address. The ARM type maps to a Terraform type through the catalog's
``live_types/azure.yaml``; an unmapped type keeps its ARM name and a note, it is never
dropped. Locations are normalised (``France Central`` = ``francecentral``); ``global`` is a
placement of its own; a resource without a location takes its parent's (an extension or
child resource: the resource its ID is under; then its resource group) with origin
``parent``, and with nothing to inherit it is unresolved.

Data flows are those of plans: the catalog fills the Terraform attributes the flow rules
read from the ARM properties (``account_replication_type`` from ``sku.name``), and
:func:`sovpolicy.sources.flows.follow` applies ``flows.yaml``. A reference (a failover
group's partner server, its databases) is an Azure resource ID, followed to the resource
with that ID in the same input; an ID outside it leaves the destination unresolved.
Only mapped attributes are kept: no other property of the live object (keys, connection
strings) is stored or printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Catalog
from ..catalog.livetypes import AttributeMap, LiveTypes
from ..model import Flow, FlowKind, Location, Origin, Placement, Problem, Resource, SourceKind
from .flows import Refs, Step, Target, follow, path_text

CLOUD = "azure"
RESOURCE_GROUP_TYPES = frozenset({"microsoft.resources/resourcegroups", "microsoft.resources/subscriptions/resourcegroups"})


@dataclass(frozen=True)
class ArmObject:
    """One ARM object as read, with where it was read (an API call, ``file.json:$.value[3]``)."""

    obj: Mapping[str, Any]
    where: str


def table_rows(data: Mapping[str, Any], where: str) -> list[tuple[dict[str, Any], str]]:
    """Resource Graph's table format (``columns`` + ``rows``) as objects, each with its place.

    Raises:
        TypeError: a column or a row of the wrong shape (message names the place).
    """
    columns = data.get("columns")
    rows = data.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise TypeError(f"{where}: a table needs lists 'columns' and 'rows'")
    names = []
    for i, c in enumerate(columns):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise TypeError(f"{where}.columns[{i}]: a column needs a 'name'")
        names.append(c["name"])
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(names):
            raise TypeError(f"{where}.rows[{i}]: expected a list of {len(names)} values")
        out.append((dict(zip(names, row)), f"{where}.rows[{i}]"))
    return out


def parent_id(resource_id: str) -> str | None:
    """The ID of the resource this one lives under: an extension resource's target, a
    child's parent, a top-level resource's group (None for a group or a subscription)."""
    rid = resource_id.rstrip("/")
    low = rid.lower()
    cut = low.rfind("/providers/")
    if cut < 0:
        return None
    tail = rid[cut + len("/providers/"):].split("/")
    if len(tail) > 3:  # namespace/type/name/childtype/childname...
        return rid[:cut + len("/providers/")] + "/".join(tail[:-2])
    return rid[:cut] if rid[:cut] else None


def resource_group_id(resource_id: str) -> str | None:
    """``/subscriptions/S/resourceGroups/G`` of an ID, or None."""
    parts = resource_id.split("/")
    if len(parts) >= 5 and parts[1].lower() == "subscriptions" and parts[3].lower() == "resourcegroups":
        return "/".join(parts[:5])
    return None


def subscription_of(resource_id: str) -> str | None:
    """The subscription ID of a resource ID, or None."""
    parts = resource_id.split("/")
    return parts[2] if len(parts) >= 3 and parts[1].lower() == "subscriptions" else None


def _get(obj: Any, dotted: str) -> Any:
    for step in dotted.split("."):
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(step)
    return obj


def _fill(obj: Mapping[str, Any], amap: AttributeMap, region: Any) -> tuple[Any, str] | None:
    """The value of one mapped attribute (nested as the Terraform path), and the ARM path read."""
    def convert(v: Any) -> Any:
        if isinstance(v, str) and amap.after and amap.after in v:
            v = v.split(amap.after, 1)[1]
        if isinstance(v, str) and amap.region:
            v = region(v)
        return v

    for src in amap.sources:
        if "[]" not in src:
            v = _get(obj, src)
            if v is not None:
                return _nest(amap.terraform, convert(v)), src
            continue
        head, tail = src.split("[].", 1) if "[]." in src else (src.replace("[]", ""), "")
        items = _get(obj, head)
        if not isinstance(items, list):
            continue
        t_head, t_tail = amap.terraform.split("[].", 1) if "[]." in amap.terraform else (amap.terraform.replace("[]", ""), "")
        blocks = []
        for item in items:
            v = convert(_get(item, tail) if tail else item)
            blocks.append(_nest(t_tail, v) if t_tail else v)
        return _nest(t_head, blocks), src
    return None


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cur = out
    steps = dotted.split(".")
    for step in steps[:-1]:
        cur = cur.setdefault(step, {})
    cur[steps[-1]] = value
    return out


def _merge(into: dict[str, Any], add: Mapping[str, Any]) -> None:
    for k, v in add.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into.setdefault(k, v)


@dataclass
class _Subject:
    """One resource as :func:`~sovpolicy.sources.flows.follow` sees it."""

    address: str
    type: str
    placement: Placement
    attrs: dict[str, Any]
    read_from: dict[str, str]
    where_read: str
    index: Mapping[str, int] = field(repr=False, default_factory=dict)
    provider_config: str | None = None  # live resources: no Terraform provider configuration

    def names(self) -> Sequence[str]:
        return list(self.attrs)

    def value(self, path: Sequence[Step]) -> Any:
        cur: Any = self.attrs
        for step in path:
            if isinstance(step, int):
                cur = cur[step] if isinstance(cur, list) and step < len(cur) else None
            elif isinstance(cur, Mapping):
                cur = cur.get(step)
            elif isinstance(cur, list) and len(cur) == 1 and isinstance(cur[0], Mapping):
                cur = cur[0].get(step)  # a single nested block, as Terraform lists it
            else:
                cur = None
            if cur is None:
                return None
        return cur

    def _values(self, path: Sequence[Step | None]) -> list[Any]:
        found: list[Any] = [self.attrs]
        for step in path:
            nxt: list[Any] = []
            for cur in found:
                if step is None:
                    nxt += cur if isinstance(cur, list) else []
                elif isinstance(step, int):
                    if isinstance(cur, list) and step < len(cur):
                        nxt.append(cur[step])
                elif isinstance(cur, Mapping) and cur.get(step) is not None:
                    nxt.append(cur[step])
            found = nxt
        return found

    def refs(self, path: Sequence[Step | None], deep: bool = False) -> Refs | None:
        values = self._values(path)
        if not values:
            return None
        ids: list[str] = []

        def collect(v: Any) -> None:
            if isinstance(v, str) and v.lower().startswith("/subscriptions/"):
                ids.append(v)
            elif isinstance(v, list):
                for x in v:
                    collect(x)
            elif deep and isinstance(v, Mapping):
                for x in v.values():
                    collect(x)

        for v in values:
            collect(v)
        targets = tuple(Target(self.index[i.lower()], (i,)) for i in ids if i.lower() in self.index)
        unfollowed = tuple(i for i in ids if i.lower() not in self.index)
        return Refs(targets, constant=not ids, unfollowed=unfollowed)

    def where(self, path: Sequence[Step]) -> str:
        top = next((s for s in path if isinstance(s, str)), "")
        arm = self.read_from.get(top)
        return f"{self.where_read} {path_text(path)}" + (f" (ARM {arm})" if arm else "")


class AzureReader:
    """Turns ARM objects of one input into resources (one instance per input)."""

    def __init__(self, catalog: Catalog, *, kind: SourceKind, input: str, location: Location | None = None,
                 environment: str | None = None) -> None:
        self.catalog = catalog
        self.input = input
        self.types: LiveTypes = catalog.live_types.get(CLOUD) or LiveTypes(CLOUD)
        self.kind = kind
        self.location = location
        self.env = environment
        env = self.types.environments.get(environment or "")
        regions = frozenset(catalog.clouds[env.cloud].regions) if env and env.cloud in catalog.clouds else frozenset()
        self.env_regions = self.types.environment_regions(env.id, regions) if env else None

    def region(self, text: str) -> str:
        """A location as the catalog spells it (``France Central`` -> ``francecentral``)."""
        return self.catalog.normalise_region(CLOUD, text.strip())

    def _located(self, by_id: Mapping[str, ArmObject]) -> dict[str, Placement]:
        """Placements of resources named with their location (``locates``) but not in the input."""
        out: dict[str, Placement] = {}
        for o in by_id.values():
            live = self.types.get(str(o.obj.get("type") or ""))
            for loc in live.locates if live else ():
                head, id_tail = loc.id.split("[].", 1)
                loc_tail = loc.location.split("[].", 1)[1]
                items = _get(o.obj, head)
                for i, item in enumerate(items if isinstance(items, list) else []):
                    rid, where = _get(item, id_tail), _get(item, loc_tail)
                    if isinstance(rid, str) and rid.lower() not in by_id and isinstance(where, str) and where.strip():
                        region = self.region(where)
                        out.setdefault(rid.lower(), Placement(self.types.cloud_of(region), region, Origin.OBSERVED, (
                            f"{o.where} {head}[{i}].{loc_tail} = {where} ({rid} is not in this input)",)))
        return out

    def _children_missing(self, by_id: Mapping[str, ArmObject]) -> dict[str, str]:
        """Resources whose child collections (``children``) have no entry in the input: an
        export may have left them out, so what they would say is unknown."""
        out: dict[str, str] = {}
        for key, o in by_id.items():
            live = self.types.get(str(o.obj.get("type") or ""))
            for child in live.children if live else ():
                prefix = f"{key}/{child.segment.lower()}/"
                if not any(k.startswith(prefix) for k in by_id):
                    out[key] = f"no {child.segment} of {o.obj['id']} are in this input"
        return out

    def read(self, objects: Iterable[ArmObject],
             unread: Mapping[str, str] | None = None) -> tuple[list[Resource], list[Problem]]:
        """The resources of ``objects`` (each ID once, first read wins), with their flows.

        ``unread``: resource ID (lower case) -> why its child collections were not read (a
        live scan's failed calls); None to take every collection absent from the input as
        unread (exports). The resource and those under it then get an unresolved flow.
        """
        problems: list[Problem] = []
        by_id: dict[str, ArmObject] = {}
        for o in objects:
            by_id.setdefault(str(o.obj["id"]).lower(), o)
        unread = self._children_missing(by_id) if unread is None else unread
        placements: dict[str, Placement] = {}

        def place(key: str, seen: frozenset[str] = frozenset()) -> Placement:
            if key in placements:
                return placements[key]
            o = by_id[key]
            loc = o.obj.get("location")
            rid = str(o.obj["id"])
            if isinstance(loc, str) and loc.strip():
                region = self.region(loc)
                p = Placement(self.types.cloud_of(region), region, Origin.OBSERVED, (f"{o.where} location = {loc}",))
                if self.env_regions is not None and region != "global" and region not in self.env_regions:
                    problems.append(Problem("region", f"{rid}: location {loc!r} is not a region of {self.env} in the catalog", o.where))
            else:
                parent = parent_id(rid)
                while parent is not None and parent.lower() not in by_id:
                    parent = parent_id(parent)
                if parent is None or parent.lower() in seen:
                    p = Placement(CLOUD, None, Origin.UNRESOLVED, (o.where,),
                                  "no location, and neither its parent resource nor its resource group is in this input")
                else:
                    up = place(parent.lower(), seen | {key})
                    p = Placement(up.cloud, up.region, Origin.PARENT if up.resolved else Origin.UNRESOLVED,
                                  (f"{o.where} has no location: that of {by_id[parent.lower()].obj['id']}",) + up.evidence,
                                  up.reason)
            placements[key] = p
            return p

        subjects: list[_Subject] = []
        notes: list[tuple[str, ...]] = []
        index = {k: i for i, k in enumerate(by_id)}
        stand_ins = self._located(by_id)
        for k in stand_ins:
            index[k] = len(index)
        for key, o in by_id.items():
            arm_type = str(o.obj.get("type") or "")
            live = self.types.get(arm_type)
            attrs: dict[str, Any] = {}
            read_from: dict[str, str] = {}
            for amap in live.attributes if live else ():
                got = _fill(o.obj, amap, self.region)
                if got is not None:
                    _merge(attrs, got[0])
                    read_from[amap.terraform.split(".")[0].split("[")[0]] = got[1]
            subjects.append(_Subject(str(o.obj["id"]), live.terraform if live else arm_type, place(key),
                                     attrs, read_from, o.where, index))
            notes.append(() if live else (f"ARM type {arm_type} has no Terraform type in the catalog (live_types/azure.yaml): reported under its ARM type",))
        subjects += [_Subject(k, "", p, {}, {}, "", index) for k, p in stand_ins.items()]
        followed = follow(subjects, self.catalog)[: len(by_id)]
        resources = []
        for s, f, note, o in zip(subjects, followed, notes, by_id.values()):
            tags = o.obj.get("tags")
            live = self.types.get(s.type) or self.types.get(str(o.obj.get("type") or ""))
            flows = f.flows
            if live is not None and live.read_api_version and not isinstance(o.obj.get("properties"), Mapping):
                flows += (Flow(Placement(CLOUD, None, Origin.UNRESOLVED, (o.where,),
                                         f"the properties of this {live.live} are not in this input: where it copies its data is unknown"),
                               FlowKind.REPLICATE, f"{s.address} properties", (o.where,), "azure-properties-unread"),)
            low = s.address.lower()
            for parent, why in unread.items():
                if low == parent or low.startswith(parent + "/"):
                    flows += (Flow(Placement(CLOUD, None, Origin.UNRESOLVED, (o.where,),
                                             f"{why}: where the data is replicated (a SQL failover group) is unknown"),
                                   FlowKind.REPLICATE, f"{by_id[parent].obj['id']} children", (o.where,),
                                   "azure-children-unread"),)
            resources.append(Resource(
                address=s.address, type=s.type, source=self.kind, placement=s.placement, input=self.input, module="",
                tags={str(k): "" if v is None else str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {},
                attributes=s.attrs, location=self.location, notes=note, flows=flows, data_from=f.data_from))
        return resources, problems
