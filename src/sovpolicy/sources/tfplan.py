"""Read ``terraform show -json`` plans (Terraform 0.12+ and OpenTofu, format 0.x and 1.x).

The plan is decoded by :mod:`.planformat`. Each managed resource instance that exists
after the plan becomes a :class:`~sovpolicy.model.Resource`, placed by the one ladder of
:mod:`.placement`, to which this reader hands the plan's values:

* a resource's own attribute (AWS v6 ``region``, azurerm ``location``, google
  ``region``/``location``/``zone``) is set when known; unknown at plan time and set by the
  configuration, it is unresolved; unknown and merely computed, it is absent (the
  provider's configuration then applies);
* the provider configuration that serves it (``provider_config_key``): its region (or
  zone) as a literal, a root variable's value or a module call's argument; a plan does
  not record the environment (``AWS_REGION``...), so a configuration without one is the
  provider's documented default or unresolved;
* for providers with no provider-level region (azurerm), the resources it references
  (server, storage account, resource group), once those are placed.

Its data flows are read by :mod:`.planflows`. Deleted or forgotten objects and data
sources host nothing afterwards and are left out. Sensitive values (``after_sensitive``)
are replaced by ``"(sensitive)"`` before anything else sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import msgspec

from ..address import Address, parse_address
from ..catalog import Catalog, ProviderInfo
from ..catalog.providers import DEFAULT_TAG_ATTRIBUTES
from ..errors import InputError
from ..model import Location, Origin, Placement, Resource, SourceKind
from .filemap import Buffer, map_fd, release
from .flows import Subject, follow
from .placement import (
    NOT_RESOURCES,
    UNPLACED,
    ProviderSettings,
    Value,
    parent_attributes,
    parent_placement,
    place,
    resolve_parents,
)
from .planflows import PlanGraph, PlanSubjects
from .planformat import (
    NULL,
    ConfigModule,
    ConfigResource,
    Configuration,
    ModuleCall,
    PlanInstance,
    PlanTypes,
    ProviderConfig,
    decode_plan_sliced,
    may_hold,
    placement_fields,
    plan_action,
    plan_types,
    tag_fields,
    values_of,
)
from .tagshapes import tag_map

REDACTED = "(sensitive)"
_HOW = "a plan does not record"
_SCALARS = (str, int, float, bool)

@dataclass(frozen=True)
class PlanInfo:
    """Facts about the plan file itself, for reports."""

    path: str
    format_version: str
    terraform_version: str | None
    resource_changes: int
    drift: int
    complete: bool | None
    errored: bool | None
    module_sources: dict[str, str] = field(default_factory=dict)
    """Module path (``module.a.module.b``) -> its call's ``source`` as written."""


@dataclass
class PlanScan:
    """What :func:`read_plan` returns: the resources and facts about the plan."""

    info: PlanInfo
    resources: list[Resource] = field(default_factory=list)




def _is_true(mask: Any) -> bool:
    return mask is True


#: tag attributes Terraform derives from the resource's own tags and the provider's default
#: tags: often computed in a plan when they add nothing, so their being unknown alone does
#: not make a classification unknown
_DERIVED_TAGS = frozenset({"tags_all", "terraform_labels", "effective_labels"})


def _holds_true(mask: Any) -> bool:
    """True when a list mask marks some element (or part of one)."""
    return any(m is True or (type(m) is dict and True in m.values()) or (type(m) is list and _holds_true(m)) for m in mask)


def _redact(value: Any, mask: Any) -> Any:
    """Replace every leaf the sensitivity mask marks by REDACTED."""
    if mask is True:
        return REDACTED
    if not mask:
        return value
    if isinstance(value, dict) and isinstance(mask, dict):
        return {k: _redact(v, mask.get(k)) for k, v in value.items()}
    if isinstance(value, list) and isinstance(mask, list):
        return [_redact(v, mask[i] if i < len(mask) else None) for i, v in enumerate(value)]
    return value



def _nothing(path: tuple[str, ...]) -> Value | None:
    return None


class _PlanReader:
    """Resolution state for one plan."""

    def __init__(self, plan: Any, path: str, catalog: Catalog, types: PlanTypes) -> None:
        self.plan = plan
        self.path = path
        self.catalog = catalog
        self.types = types
        self.config = plan.configuration or Configuration()
        self.variables = plan.variables or {}
        self.modules: dict[str, ConfigModule] = {}
        self.calls: dict[str, tuple[str, ModuleCall]] = {}
        self.config_index: dict[tuple[str, str, str, str], ConfigResource] = {}
        self._index_module("", self.config.root_module)
        self._expr_cache: dict[int, dict[str, Any]] = {}
        self._provider_cache: dict[Hashable, Placement] = {}
        self._address_cache: dict[str, Address] = {}

    # ----------------------------------------------------------------- configuration
    def _index_module(self, path: str, module: ConfigModule) -> None:
        self.modules[path] = module
        for r in module.resources:
            r.expressions = r.expressions.copy()  # detach from the file's bytes, which read_plan frees early
            rtype, rname = r.type, r.name
            if not rtype:
                try:
                    a = parse_address(r.address)
                except InputError:
                    continue
                rtype, rname = a.type, a.name
            self.config_index[(path, r.mode, rtype, rname)] = r
        for name, call in module.module_calls.items():
            child = f"{path}.module.{name}" if path else f"module.{name}"
            self.calls[child] = (path, call)
            if call.module is not None:
                self._index_module(child, call.module)

    def config_expressions(self, cfg: ConfigResource | None) -> dict[str, Any]:
        if cfg is None:
            return {}
        key = id(cfg)
        cached = self._expr_cache.get(key)
        if cached is None:
            decoded = msgspec.json.decode(cfg.expressions)
            cached = decoded if isinstance(decoded, dict) else {}
            self._expr_cache[key] = cached
        return cached

    # ----------------------------------------------------------------- expressions
    def _expr_value(self, expr: Any, module_path: str, evidence: list[str], depth: int = 0) -> Value:
        """A region or zone expression of the plan's configuration, as a ladder value: a
        literal (``provider``), a root variable's value (``variable``) or a module call's
        argument (``module``); anything else is unresolved."""
        if isinstance(expr, list):  # nested block given as a list of block-expressions
            expr = expr[0] if expr else {}
        if not isinstance(expr, dict):
            return Value.unresolved("the region expression has an unexpected shape", evidence)
        if "constant_value" in expr:
            value = expr["constant_value"]
            if isinstance(value, str) and value:
                return Value.given(value, evidence, Origin.PROVIDER)
            return Value.unresolved(f"the region is set to {value!r}", evidence)
        refs = [r for r in expr.get("references") or [] if isinstance(r, str)]
        names = {r.split(".")[1] for r in refs if r.startswith("var.") and r.count(".") >= 1}
        if not refs:
            return Value.unresolved("the region expression has no value in the plan", evidence)
        if len(names) != 1 or any(not r.startswith("var.") for r in refs) or depth > 20:
            return Value.unresolved(f"the region comes from {', '.join(refs)}, which a plan does not evaluate", evidence)
        name = names.pop()
        if not module_path:
            var = self.variables.get(name)
            evidence.append(f"variables.{name}.value")
            decl = self.config.root_module.variables.get(name)
            if decl is not None and decl.sensitive:
                return Value.unresolved(f"root variable {name!r} is sensitive: sovpolicy does not read sensitive values",
                                        evidence, sensitive=True)
            if var is None or not isinstance(var.value, str) or not var.value:
                return Value.unresolved(f"root variable {name!r} has no value in the plan", evidence)
            return Value.given(var.value, evidence, Origin.VARIABLE)
        parent, call = self.calls.get(module_path, ("", None))
        if call is None:
            return Value.unresolved(f"module call {module_path} is not in the plan's configuration", evidence)
        arg = (call.expressions or {}).get(name)
        evidence.append(f"configuration module call {module_path} argument {name!r}")
        if arg is None:
            return Value.unresolved(f"module call {module_path} does not set {name!r}; its default is not in the plan", evidence)
        value = self._expr_value(arg, parent, evidence, depth + 1)
        return Value.given(value.value, evidence, Origin.MODULE) if value.known else value

    # ----------------------------------------------------------------- provider configs
    def _aliases_of(self, name: str) -> list[str]:
        return sorted(k for k, c in self.config.provider_config.items() if c.alias and (c.name or k.split(":")[-1].split(".")[0]) == name)

    @staticmethod
    def _is_stub(cfg: ProviderConfig) -> bool:
        """A child-module entry that only declares required_providers (no settings, no alias)."""
        return bool(cfg.module_address) and not cfg.expressions and not cfg.alias

    def _find_config(self, key: str, module_path: str) -> tuple[str | None, str | None]:
        """Map a ``provider_config_key`` to the key of the configuration that serves it.

        Returns ``(key, None)`` or ``(None, reason)``.
        """
        pc = self.config.provider_config
        mod, _, local = key.rpartition(":")
        name, _, alias = local.partition(".")
        candidates = [key]
        if mod and not mod.startswith("module."):
            candidates.append(f"module.{mod}:{local}")
        if module_path:
            candidates.append(f"{module_path}:{local}")
        found = next((k for k in candidates if k in pc), None)
        if found is not None and not self._is_stub(pc[found]):
            return found, None
        if alias:
            return None, f"provider configuration {key!r} is not in the plan"
        # Inherited default configuration: walk up the module tree.
        aliases = self._aliases_of(name)
        if aliases:
            return None, (f"the plan does not record which configuration of provider {name!r} module "
                          f"{module_path or mod} received (aliases exist: {', '.join(aliases)})")
        path = module_path or (f"module.{mod}" if mod and not mod.startswith("module.") else mod)
        while path:
            path = path.rpartition(".module.")[0] if ".module." in path else ""
            k = f"{path}:{name}" if path else name
            if k in pc and not self._is_stub(pc[k]):
                return k, None
        return None, (f"no configuration of provider {name!r} in the plan: its region came from the environment "
                      f"(e.g. AWS_REGION) or a profile, which a plan does not record")

    def provider_config(self, inst: PlanInstance) -> str | None:
        """The key of the provider configuration that serves ``inst``, or None when the
        plan does not tell."""
        key = inst.config.provider_config_key if inst.config else None
        if key is None:
            return None
        return self._find_config(key, inst.addr.module_path)[0]

    def _provider_settings(self, inst: PlanInstance) -> ProviderSettings:
        """The provider configuration that serves ``inst``, as the ladder reads it."""
        key = inst.config.provider_config_key if inst.config else None
        if key is None:
            key = f"{inst.addr.module_path}:{inst.provider.split('/')[-1]}" if inst.addr.module_path else inst.provider.split("/")[-1]
        found, reason = self._find_config(key, inst.addr.module_path)
        if found is None:
            return ProviderSettings(repr(key), (f"configuration.provider_config[{key!r}]",), _HOW, _nothing, reason)
        cfg = self.config.provider_config[found]
        exprs = cfg.expressions or {}
        base = f"configuration.provider_config[{found!r}].expressions"

        def setting(path: tuple[str, ...]) -> Value | None:
            node: Any = exprs
            for step in path:
                if isinstance(node, list):
                    node = node[0] if node else {}
                node = node.get(step) if isinstance(node, dict) else None
            if node is None:
                return None
            return self._expr_value(node, cfg.module_address or "", [base + "." + ".".join(path)])

        return ProviderSettings(repr(found), (f"configuration.provider_config[{found!r}]",), _HOW, setting)

    # ----------------------------------------------------------------- resources
    def _attribute(self, inst: PlanInstance, info: ProviderInfo) -> Callable[[str], Value | None]:
        """A resource's own attributes as ladder values: a known string is set; an unknown
        one set by the configuration is unresolved; one left for the provider to compute is
        absent (the provider's configuration applies)."""
        exprs: dict[str, Any] | None = None

        def attribute(name: str) -> Value | None:
            nonlocal exprs
            value = getattr(inst.fields, name, msgspec.UNSET)
            mask = getattr(inst.sensitive, name, None) if inst.sensitive is not None else None
            if mask and value is not msgspec.UNSET and value is not None:  # never read, never printed
                return Value.unresolved(f"{name} is marked sensitive: its value is not read",
                                        (f"{inst.evidence_root}.after.{name}",), sensitive=True)
            if name in info.resource_regions:
                return Value.given(value, (f"{inst.evidence_root}.after.{name}",)) if isinstance(value, list) else None
            if isinstance(value, str) and value:
                return Value.given(value, (f"{inst.evidence_root}.after.{name}",))
            unknown = getattr(inst.unknown, name, msgspec.UNSET) if inst.unknown is not None else msgspec.UNSET
            if unknown is not True or inst.config is None:
                return None
            if exprs is None:
                # the configuration's expressions are decoded only if they may name the attribute
                if not may_hold(bytes(inst.config.expressions), (f'"{name}"'.encode(),)):
                    return None
                exprs = self.config_expressions(inst.config)
            if name not in exprs:
                return None
            return Value.unresolved(f"{name} is set by an expression known only after apply",
                                    (f"{inst.evidence_root}.after.{name}",))

        return attribute

    def resolve(self, inst: PlanInstance) -> None:
        _, inst.placement = place(
            self.catalog, inst.provider, inst.type, (f"{inst.evidence_root}.provider_name",),
            lambda info: self._attribute(inst, info), lambda: self._provider_settings(inst),
            self._provider_cache, (inst.config.provider_config_key if inst.config else None, inst.addr.module_path))

    def resolve_parent(self, inst: PlanInstance, placed: dict[str, list[PlanInstance]]) -> None:
        """Rung 3, for providers without a provider-level region: follow references."""
        info = self.catalog.provider(inst.provider)
        assert info is not None
        exprs = self.config_expressions(inst.config)
        prefix = inst.addr.module_instance

        def links() -> Iterator[tuple[str, list[Placement]]]:
            for attr in parent_attributes(info, exprs):
                expr = exprs.get(attr)
                refs = expr.get("references") or [] if isinstance(expr, dict) else []
                for ref in refs:
                    parts = ref.split(".") if isinstance(ref, str) else []
                    if len(parts) < 2 or parts[0] in NOT_RESOURCES:
                        continue
                    target = f"{prefix}.{parts[0]}.{parts[1]}" if prefix else f"{parts[0]}.{parts[1]}"
                    yield (f"configuration expression {attr} -> {ref}",
                           [c.placement for c in placed.get(target, []) if c is not inst and c.placement is not None])

        inst.placement = parent_placement(
            info, links(), (f"{inst.evidence_root}.after",),
            f"{inst.type} has no known {'/'.join(info.resource_region) or 'region'} and no placed parent resource in the plan")

    def tags(self, inst: PlanInstance, sensitive: Any, notes: list[str], unread: dict[str, str]) -> dict[str, str]:
        """The resource's tags from the attributes and shapes its provider uses
        (``tag_attributes`` in the catalog; later ones win per key), redacted; tags that
        cannot be read (sensitive as a whole, known only after apply) go to ``unread``
        with the reason, never a value."""
        info = self.catalog.provider(inst.provider)
        fields, unknown = inst.fields, inst.unknown
        tags: dict[str, str] = {}
        for name, shape in info.tag_attributes if info is not None else DEFAULT_TAG_ATTRIBUTES:
            value = getattr(fields, name, None)
            if value is not None and value is not msgspec.UNSET and value != {} and value != []:
                mask = getattr(sensitive, name, None) if sensitive is not None else None
                if mask is True:  # the whole map is sensitive: its keys too
                    notes.append(f"{name} is sensitive: not read")
                    unread["*"] = f"{name} is sensitive"
                    continue
                if mask:
                    value = _redact(value, mask)
                if tags:
                    tags.update(tag_map(value, shape))
                else:
                    tags = tag_map(value, shape)
            unk = getattr(unknown, name, None) if unknown is not None else None
            if unk is True or (type(unk) is dict and True in unk.values()) or (type(unk) is list and _holds_true(unk)):
                keys = sorted(k for k, v in unk.items() if v is True) if type(unk) is dict else []
                notes.append(f"{name} known only after apply ({', '.join(keys) or 'all'})")
                if name in _DERIVED_TAGS:  # the resource's own tags and the provider's defaults, both read
                    continue
                for k in keys or ["*"]:
                    unread[k] = f"{name} known only after apply" if k == "*" else f"tag {k} known only after apply"
        return tags

    def instances(self) -> Iterator[tuple[PlanInstance, Any]]:
        plan = self.plan
        drifted = {rc.address for rc in plan.resource_drift or [] if rc.address}
        changes: list[tuple[str, Any, str | None]] = [
            (f"resource_changes[{i}].change", rc, None) for i, rc in enumerate(plan.resource_changes or [])]
        changes += [(f"deferred_changes[{i}].resource_change.change", d.resource_change, f"deferred by Terraform ({d.reason})")
                    for i, d in enumerate(plan.deferred_changes or [])]
        if not changes:
            yield from self._planned_values()
            return
        for i, (root, rc, note) in enumerate(changes):
            if rc.mode != "managed" or rc.deposed:
                continue
            actions = rc.change.actions
            if not actions:  # Terraform always names at least one action ("no-op")
                raise InputError(f"not a valid Terraform plan: {root}.actions is empty", self.path)
            if actions in (["delete"], ["forget"], ["read"]):
                continue
            inst = self._make(i, rc.address, rc.type, rc.provider_name, plan_action(actions), root,
                              rc.change.after, rc.change.after_unknown, rc.change.after_sensitive, rc.module_address)
            if note:
                inst[0].notes.append(note)
            if rc.address in drifted:
                inst[0].notes.append("changed outside Terraform since the last apply (resource_drift)")
            yield inst

    def _planned_values(self) -> Iterator[tuple[PlanInstance, Any]]:
        if self.plan.planned_values is NULL:
            return
        try:
            pv = msgspec.json.decode(self.plan.planned_values, type=self.types.PlannedValues)
            stack = [pv.root_module] if pv.root_module is not None else []
            i = 0
            while stack:
                mod = stack.pop(0)
                for r in mod.resources:
                    if r.mode == "managed":
                        yield self._make(i, r.address, r.type, r.provider_name, "planned",
                                         f"planned_values resource {r.address!r}", r.values, None, r.sensitive_values)
                    i += 1
                stack.extend(msgspec.convert(c, type=self.types.PVModule) for c in mod.child_modules)
        except msgspec.ValidationError as exc:
            raise InputError(f"not a valid Terraform plan: {exc} (in planned_values)", self.path) from None

    def _mask(self, mask: Any, root: str) -> Any:
        """An ``after_unknown``/``after_sensitive`` mask: None when nothing is marked, the
        all-true mask when the whole object is."""
        if mask is True:
            return self.types.ALL
        return None if mask is False or mask is None else mask

    def _address(self, address: str, module_address: str | None, root: str) -> Address:
        """Parse an instance address; the module part (``module_address``, when the plan
        gives it) is parsed once per module instance."""
        try:
            if module_address and address.startswith(module_address + "."):
                base = self._address_cache.get(module_address)
                if base is None:
                    base = self._address_cache[module_address] = parse_address(module_address)
                local = parse_address(address[len(module_address) + 1:])
                addr = Address(base.modules, local.mode, local.type, local.name, local.key)
                # share the module strings computed once for the module instance (cached_property slots)
                addr.__dict__["module_path"] = base.module_path
                addr.__dict__["module_instance"] = base.module_instance
                return addr
            return parse_address(address)
        except InputError as exc:
            raise InputError(f"{root.removesuffix('.change')}.address: {exc.message}", self.path) from None

    def _make(self, i: int, address: str, rtype: str, provider: str, action: str, root: str,
              fields: Any, unk: Any, sens: Any, module_address: str | None = None) -> tuple[PlanInstance, Any]:
        addr = self._address(address, module_address, root)
        unk = self._mask(unk, root)
        sens = self._mask(sens, root)
        config = self.config_index.get((addr.module_path, addr.mode, addr.type or rtype, addr.name))
        inst = PlanInstance(i, address, addr, rtype or addr.type, provider, action, fields, unk, config, root, sensitive=sens)
        return inst, sens



#: how many bytes of resource changes are decoded between two releases of the file's pages
_RELEASE_EVERY = 32 << 20


def _decode_changes(plan: Any, buf: Buffer, change: Callable[[Any], Any]) -> None:
    """Decode the plan's resource changes one by one from their slices of ``buf``, letting
    the pages already read go as it goes (all are decoded before any is used, so a plan's
    errors are found in the order a whole decode finds them)."""
    raws = plan.resource_changes
    if not raws:
        return
    read = 0
    for i, raw in enumerate(raws):
        raws[i] = change(raw)
        read += len(raw)
        if read >= _RELEASE_EVERY:
            release(buf)
            read = 0
    release(buf)


def read_plan(path: Path, catalog: Catalog, data: Buffer | None = None,
              top: Mapping[str, msgspec.Raw] | None = None) -> PlanScan:
    """Read one plan file into resources with their placements.

    The file is mapped, not read (:mod:`.filemap`), and its resource changes are decoded
    one by one from their slices (:func:`~.planformat.decode_plan_sliced`), so it is
    never resident whole beside what was decoded from it.

    Args:
        path: the plan JSON (``terraform show -json PLANFILE > plan.json``).
        catalog: the loaded catalog (providers, regions).
        data: the file, when already mapped or read.
        top: its top-level values as slices of ``data``, when a first pass found them.

    Returns:
        A :class:`PlanScan` with one resource per managed instance that exists after
        the plan (creates, updates, replaces, no-ops, deferred), in plan order.

    Raises:
        InputError: unreadable file, malformed JSON (with line and column), a JSON
            document that is not a plan, or an unsupported ``format_version``.
    """
    spath = str(path)
    if data is None:
        try:
            with open(path, "rb") as fh:
                data = map_fd(fh.fileno())
        except OSError as exc:
            raise InputError(f"cannot read plan: {exc.strerror}", spath) from None
    types = plan_types(catalog)
    plan, change = decode_plan_sliced(data, spath, types, top)
    del top
    release(data)
    _decode_changes(plan, data, change)
    del data  # the decoded structs hold what the scan needs; let the file go...
    if plan.resource_changes or plan.deferred_changes:
        plan.planned_values = NULL  # ...which a raw slice of planned_values would keep alive
    plan.values = NULL
    reader = _PlanReader(plan, spath, catalog, types)
    made: list[tuple[PlanInstance, Any]] = list(reader.instances())
    by_target: dict[str, list[PlanInstance]] = {}
    for inst, _ in made:
        reader.resolve(inst)
        base = inst.addr.module_instance
        key = f"{base}.{inst.addr.type}.{inst.addr.name}" if base else f"{inst.addr.type}.{inst.addr.name}"  # parent lookups
        by_target.setdefault(key, []).append(inst)
    resolve_parents([inst for inst, _ in made if inst.placement is None], lambda i: reader.resolve_parent(i, by_target))
    insts = [inst for inst, _ in made]
    # attributes read only to follow flows are not kept on the resources (they can be large)
    skip = frozenset(tag_fields(catalog)) | (catalog.flows.value_attributes() - placement_fields(catalog))
    kept = [name for name in types.Fields.__struct_fields__ if name not in skip]
    kept_values = values_of(types.Fields, kept)
    graph = PlanGraph(reader, insts, catalog.flows.copy_shapes, types.Fields.__struct_fields__)
    followed = follow(cast(Sequence[Subject], PlanSubjects(made, graph)), catalog, [inst.type for inst in insts])
    info = PlanInfo(spath, plan.format_version or "", plan.terraform_version, len(plan.resource_changes or []),
                    len(plan.resource_drift or []), plan.complete, plan.errored,
                    {child: call.source for child, (_, call) in reader.calls.items() if call.source})
    # each instance's decoded attributes go as its resource is made, so that the two are
    # never all resident at once (the peak of a big plan's scan)
    del graph, insts
    by_target.clear()
    plan.resource_changes = plan.deferred_changes = None
    location = Location(spath)
    resources = []
    for i, fdata in enumerate(followed):
        inst, sens = made[i]
        made[i] = followed[i] = None  # type: ignore[call-overload]
        placement = inst.placement or UNPLACED
        notes = list(inst.notes)
        unread: dict[str, str] = {}
        tags = reader.tags(inst, sens, notes, unread)
        attrs: dict[str, object] = {}
        if inst.fields is not None:
            for name, value in zip(kept, kept_values(msgspec.structs.astuple(inst.fields))):
                if value is not msgspec.UNSET:
                    attrs[name] = value if sens is None else _redact(value, getattr(sens, name, None))
        resources.append(Resource(
            address=inst.rc_address, type=inst.type, source=SourceKind.PLAN, placement=placement,
            tags=tags, attributes=attrs, location=location, action=inst.action, notes=tuple(notes),
            flows=fdata.flows, data_from=fdata.data_from, input=spath, module=inst.addr.module_path,
            tags_unread=unread))
    return PlanScan(info, resources)
