"""Read ``terraform show -json`` plans (Terraform 0.12+ and OpenTofu, format 0.x and 1.x).

The plan is decoded with msgspec into typed structs holding only the fields a scan
needs; resource attribute objects are kept as raw JSON slices and decoded into a
small struct of placement and tag fields, so a 280 MB plan never becomes a full Python
object tree. Each managed resource instance that exists after the plan becomes a
:class:`~sovpolicy.model.Resource` whose placement says where its region came from:

1. ``resource``: its own attribute (AWS v6 ``region``, azurerm ``location``, google
   ``region``/``location``/``zone``), unless that attribute is unknown at plan time and
   set by the configuration (then unresolved), or unknown and merely computed (then
   the provider's region applies);
2. ``parent``: for providers with no provider-level region (azurerm), the resource it
   references (server, storage account, resource group) once that one is placed;
3. ``provider`` / ``variable`` / ``module``: the region in the provider configuration
   that serves it (``provider_config_key``), as a literal, a root variable's value or a
   module call's argument;
4. ``default``: a default the provider documents (Scaleway);
5. ``unresolved``, with the reason (e.g. the region came from an environment variable,
   which a plan does not record).

Deleted or forgotten objects and data sources host nothing afterwards and are left out.
Sensitive values (``after_sensitive``) are replaced by ``"(sensitive)"`` before anything
else sees them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import msgspec

from ..address import Address, parse_address, split_reference
from ..catalog import Catalog, ProviderInfo
from ..errors import InputError
from ..model import Location, Origin, Placement, Resource, SourceKind
from .flows import SENSITIVE, UNKNOWN, Refs, Step, Subject, Target, follow, path_text
from .placement import (
    UNPLACED,
    ProviderSettings,
    Value,
    early_placement,
    is_zonal,
    own_placement,
    parent_attributes,
    parent_placement,
    provider_placement,
    resolve_parents,
)

REDACTED = "(sensitive)"
_HOW = "a plan does not record"
_TAG_FIELDS = ("tags", "tags_all", "labels")
_SCALARS = (str, int, float, bool)
_NULL = msgspec.Raw(b"null")


class _ProviderConfig(msgspec.Struct):
    name: str = ""
    full_name: str | None = None
    alias: str | None = None
    module_address: str | None = None
    version_constraint: str | None = None
    expressions: dict[str, Any] | None = None


class _ConfigResource(msgspec.Struct):
    address: str = ""
    mode: str = "managed"
    type: str = ""
    name: str = ""
    provider_config_key: str | None = None
    expressions: msgspec.Raw = _NULL


class _ModuleCall(msgspec.Struct):
    source: str | None = None
    expressions: dict[str, Any] | None = None
    module: _ConfigModule | None = None


class _VariableDecl(msgspec.Struct):
    sensitive: bool = False


class _Output(msgspec.Struct):
    expression: Any = None


class _ConfigModule(msgspec.Struct):
    resources: list[_ConfigResource] = []
    module_calls: dict[str, _ModuleCall] = {}
    variables: dict[str, _VariableDecl] = {}
    outputs: dict[str, _Output] = {}


class _Configuration(msgspec.Struct):
    provider_config: dict[str, _ProviderConfig] = {}
    root_module: _ConfigModule = msgspec.field(default_factory=_ConfigModule)


class _Variable(msgspec.Struct):
    value: Any = None


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


class _Types:
    """The decode types of one catalog: resource attribute objects are decoded into a
    struct of only the fields some provider places resources by (``_Fields``), in the
    same single pass as the rest of the plan."""

    Plan: Any
    PlannedValues: Any

    def __init__(self, names: tuple[str, ...]) -> None:
        u = msgspec.UNSET
        self.Fields = msgspec.defstruct("_Fields", [(n, Any, u) for n in names], forbid_unknown_fields=False)
        self.Mask = msgspec.defstruct("_Mask", [(n, Any, u) for n in names], forbid_unknown_fields=False)
        self.mask_type = self.Mask | bool | None
        self.ALL = self.Mask(**{n: True for n in names})  # a whole object marked unknown/sensitive
        self.Change = msgspec.defstruct("_Change", [
            ("actions", list[str], []), ("after", self.Fields | None, None),
            ("after_unknown", self.mask_type, None), ("after_sensitive", self.mask_type, None)])
        self.ResourceChange = msgspec.defstruct("_ResourceChange", [
            ("address", str), ("change", self.Change), ("mode", str, "managed"), ("type", str, ""), ("name", str, ""),
            ("index", int | str | None, None), ("module_address", str | None, None), ("provider_name", str, ""),
            ("deposed", str | None, None)])
        self.Deferred = msgspec.defstruct("_Deferred", [("resource_change", self.ResourceChange), ("reason", str, "")])
        self.PVResource = msgspec.defstruct("_PVResource", [
            ("address", str), ("mode", str, "managed"), ("type", str, ""), ("name", str, ""),
            ("index", int | str | None, None), ("provider_name", str, ""), ("values", self.Fields | None, None),
            ("sensitive_values", self.mask_type, None)])
        pv_module = msgspec.defstruct("_PVModule", [("resources", list[self.PVResource], []),  # type: ignore[name-defined]
                                                    ("child_modules", list[Any], [])])
        self.PVModule = pv_module
        self.PlannedValues = msgspec.defstruct("_PlannedValues", [("root_module", pv_module | None, None)])
        self.Plan = msgspec.defstruct("_Plan", [
            ("format_version", str | None, None), ("terraform_version", str | None, None),
            ("variables", dict[str, _Variable] | None, None),
            ("resource_changes", list[self.ResourceChange] | None, None),  # type: ignore[name-defined]
            ("resource_drift", list[self.ResourceChange] | None, None),  # type: ignore[name-defined]
            ("deferred_changes", list[self.Deferred] | None, None),  # type: ignore[name-defined]
            ("configuration", _Configuration | None, None),
            ("planned_values", msgspec.Raw, _NULL), ("values", msgspec.Raw, _NULL),
            ("complete", bool | None, None), ("errored", bool | None, None)])


_TYPES: dict[tuple[str, ...], _Types] = {}


def _placement_fields(catalog: Catalog) -> set[str]:
    """The resource attributes some provider places resources by."""
    names: set[str] = set()
    for p in catalog.providers.values():
        names.update(p.resource_region)
        names.update(p.resource_zone)
        names.update(p.resource_regions)
    return names


def _types(catalog: Catalog) -> _Types:
    names = set(_TAG_FIELDS) | catalog.flows.value_attributes() | _placement_fields(catalog)
    key = tuple(sorted(names))
    if key not in _TYPES:
        _TYPES[key] = _Types(key)
    return _TYPES[key]


def _position(data: bytes, message: str) -> str:
    m = re.search(r"\(byte (\d+)\)", message)
    if m:
        offset = int(m.group(1))
    elif "truncated" in message and data:
        offset = len(data.rstrip())
    else:
        return ""
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f":{line}:{col}"


def _decode_plan(data: bytes, path: str, types: _Types) -> Any:
    try:
        plan = msgspec.json.decode(data, type=types.Plan)
    except msgspec.ValidationError as exc:
        raise InputError(f"not a valid Terraform plan: {exc}", path) from None
    except msgspec.DecodeError as exc:
        msg = str(exc)
        where = path + _position(data, msg)
        if not data.strip():
            msg = "the file is empty"
        elif "truncated" in msg:
            msg = "the JSON ends before it is complete (truncated file?)"
        raise InputError(f"not valid JSON: {msg}", where) from None
    if plan.format_version is None:
        raise InputError("not a Terraform plan: no format_version (expected the output of `terraform show -json PLANFILE`)", path)
    major = plan.format_version.split(".", 1)[0]
    if major not in ("0", "1"):
        raise InputError(f"unsupported plan format_version {plan.format_version!r} (sovpolicy reads 0.x and 1.x)", path)
    if plan.resource_changes is None and plan.planned_values is _NULL and plan.values is not _NULL:
        raise InputError("this is a state (`terraform show -json` without a plan file), not a plan", path)
    return plan


def _action(actions: list[str]) -> str:
    if "create" in actions and "delete" in actions:
        return "replace"
    if actions == ["create", "forget"]:
        return "create"
    return "-".join(actions) if actions else "no-op"


def _is_true(mask: Any) -> bool:
    return mask is True


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


@dataclass
class _Instance:
    """One resource instance under resolution."""

    index: int
    rc_address: str
    addr: Address
    type: str
    provider: str
    action: str
    fields: Any
    unknown: Any
    config: _ConfigResource | None
    evidence_root: str
    notes: list[str] = field(default_factory=list)
    placement: Placement | None = None


def _nothing(path: tuple[str, ...]) -> Value | None:
    return None


class _PlanReader:
    """Resolution state for one plan."""

    def __init__(self, plan: Any, path: str, catalog: Catalog, types: _Types) -> None:
        self.plan = plan
        self.path = path
        self.catalog = catalog
        self.types = types
        self.config = plan.configuration or _Configuration()
        self.variables = plan.variables or {}
        self.modules: dict[str, _ConfigModule] = {}
        self.calls: dict[str, tuple[str, _ModuleCall]] = {}
        self.config_index: dict[tuple[str, str, str, str], _ConfigResource] = {}
        self._index_module("", self.config.root_module)
        self._expr_cache: dict[int, dict[str, Any]] = {}
        self._provider_cache: dict[tuple[str | None, str, str, bool], Placement] = {}
        self._address_cache: dict[str, Address] = {}

    # ----------------------------------------------------------------- configuration
    def _index_module(self, path: str, module: _ConfigModule) -> None:
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

    def config_expressions(self, cfg: _ConfigResource | None) -> dict[str, Any]:
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
    def _is_stub(cfg: _ProviderConfig) -> bool:
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

    def _provider_settings(self, inst: _Instance) -> ProviderSettings:
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
    def _attribute(self, inst: _Instance, info: ProviderInfo) -> Callable[[str], Value | None]:
        """A resource's own attributes as ladder values: a known string is set; an unknown
        one set by the configuration is unresolved; one left for the provider to compute is
        absent (the provider's configuration applies)."""
        exprs: dict[str, Any] | None = None

        def attribute(name: str) -> Value | None:
            nonlocal exprs
            value = getattr(inst.fields, name, msgspec.UNSET)
            evidence = (f"{inst.evidence_root}.after.{name}",)
            if name in info.resource_regions:
                return Value.given(value, evidence) if isinstance(value, list) else None
            if isinstance(value, str) and value:
                return Value.given(value, evidence)
            unknown = getattr(inst.unknown, name, msgspec.UNSET) if inst.unknown is not None else msgspec.UNSET
            if unknown is not True:
                return None
            if exprs is None:
                exprs = self.config_expressions(inst.config)
            if name not in exprs:
                return None
            return Value.unresolved(f"{name} is set by an expression known only after apply", evidence)

        return attribute

    def resolve(self, inst: _Instance) -> None:
        info, early = early_placement(self.catalog, inst.provider, inst.type, (f"{inst.evidence_root}.provider_name",))
        if early is not None or info is None:
            inst.placement = early
            return
        own = own_placement(self.catalog, info, inst.type, self._attribute(inst, info))
        if own is not None or not info.provider_region:
            inst.placement = own  # None: a parent resource decides (resolve_parent)
            return
        zonal = is_zonal(info, inst.type)
        key = (inst.config.provider_config_key if inst.config else None, inst.addr.module_path, info.source, zonal)
        cached = self._provider_cache.get(key)
        if cached is None:
            cached = self._provider_cache[key] = provider_placement(self.catalog, info, zonal, self._provider_settings(inst))
        inst.placement = cached

    def resolve_parent(self, inst: _Instance, placed: dict[str, list[_Instance]]) -> None:
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
                    if len(parts) < 2 or parts[0] in _NOT_RESOURCES:
                        continue
                    target = f"{prefix}.{parts[0]}.{parts[1]}" if prefix else f"{parts[0]}.{parts[1]}"
                    yield (f"configuration expression {attr} -> {ref}",
                           [c.placement for c in placed.get(target, []) if c is not inst and c.placement is not None])

        inst.placement = parent_placement(
            info, links(), (f"{inst.evidence_root}.after",),
            f"{inst.type} has no known {'/'.join(info.resource_region) or 'region'} and no placed parent resource in the plan")

    def tags(self, fields: Any, unknown: Any, sensitive: Any, notes: list[str]) -> dict[str, str]:
        """Merge ``tags``, ``tags_all`` and ``labels`` (first one wins per key), redacted,
        keeping scalar values as text; note the ones known only after apply."""
        tags: dict[str, str] = {}
        # `tags` last: Terraform does not carry a tag's sensitivity over to `tags_all`, so the
        # value (and mask) of `tags` must win for every key it has.
        for name in ("labels", "tags_all", "tags"):
            value = getattr(fields, name, None)
            if type(value) is dict and value:
                mask = getattr(sensitive, name, None) if sensitive is not None else None
                if mask is True:  # the whole map is sensitive: its keys too
                    notes.append(f"{name} is sensitive: not read")
                    continue
                if mask:
                    value = _redact(value, mask)
                tags.update({k: (v if type(v) is str else str(v)) for k, v in value.items() if type(v) in _SCALARS})
        if unknown is not None:
            for name in _TAG_FIELDS:
                unk = getattr(unknown, name, None)
                if unk is True or (type(unk) is dict and True in unk.values()):
                    keys = "all" if unk is True else ", ".join(sorted(k for k, v in unk.items() if v is True))
                    notes.append(f"{name} known only after apply ({keys})")
        return tags

    def instances(self) -> Iterator[tuple[_Instance, Any]]:
        plan = self.plan
        drifted = {rc.address for rc in plan.resource_drift or []}
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
            if not actions or actions in (["delete"], ["forget"], ["read"]):
                continue
            inst = self._make(i, rc.address, rc.type, rc.provider_name, _action(actions), root,
                              rc.change.after, rc.change.after_unknown, rc.change.after_sensitive, rc.module_address)
            if note:
                inst[0].notes.append(note)
            if rc.address in drifted:
                inst[0].notes.append("changed outside Terraform since the last apply (resource_drift)")
            yield inst

    def _planned_values(self) -> Iterator[tuple[_Instance, Any]]:
        if self.plan.planned_values is _NULL:
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
              fields: Any, unk: Any, sens: Any, module_address: str | None = None) -> tuple[_Instance, Any]:
        addr = self._address(address, module_address, root)
        unk = self._mask(unk, root)
        sens = self._mask(sens, root)
        config = self.config_index.get((addr.module_path, addr.mode, addr.type or rtype, addr.name))
        inst = _Instance(i, address, addr, rtype or addr.type, provider, action, fields, unk, config, root)
        return inst, sens


# ----------------------------------------------------------------------------- data flows
#: first steps of a reference that never name a managed resource
_NOT_RESOURCES = frozenset({"var", "local", "module", "data", "each", "count", "path", "self", "terraform"})


def _child(node: Any, step: Step) -> Any:
    """One step down a decoded value or mask: a struct field, a map key, a list index."""
    if node is None or node is True or node is False:
        return None
    if isinstance(step, int):
        if isinstance(node, list):
            return node[step] if step < len(node) else None
        return node if step == 0 and isinstance(node, dict) else None  # a single nested block as an object
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list):
        return None
    value = getattr(node, step, None)
    return None if value is msgspec.UNSET else value


def _collect(node: Any, out: list[str], deep: bool) -> bool:
    """Add the references of an expression (``deep``: of every expression below) to ``out``;
    True when a literal was met."""
    constant = False
    if isinstance(node, dict):
        if "references" in node or "constant_value" in node:
            out.extend(r for r in node.get("references") or () if isinstance(r, str))
            constant = "constant_value" in node
            if not deep:
                return constant
        if deep:
            for key, value in node.items():
                if key not in ("references", "constant_value"):
                    constant = _collect(value, out, True) or constant
    elif isinstance(node, list):
        for item in node:
            constant = _collect(item, out, deep) or constant
    return constant


class _Flows:
    """Follows references through a plan's configuration for :mod:`~sovpolicy.sources.flows`:
    a resource, a module variable (to the module call's argument), a module output (to the
    output's expression in each instance of the module)."""

    def __init__(self, reader: _PlanReader, insts: list[_Instance]) -> None:
        self.reader = reader
        self.insts = insts
        self._by_target: dict[str, list[int]] | None = None
        self.module_instances: dict[str, list[tuple[str, str]]] = {}  # module path -> [(instance, parent instance)]

    @property
    def by_target(self) -> dict[str, list[int]]:
        """``module instance + type.name`` -> indexes of its instances; built on first use,
        with the module instances, since most plans never follow a reference."""
        if self._by_target is None:
            self._by_target = {}
            seen: set[str] = set()
            for i, inst in enumerate(self.insts):
                base = inst.addr.module_instance
                self._by_target.setdefault(f"{base}.{inst.addr.type}.{inst.addr.name}" if base else
                                           f"{inst.addr.type}.{inst.addr.name}", []).append(i)
                parent = ""
                for k, (name, key) in enumerate(inst.addr.modules):
                    instance = (f"{parent}." if parent else "") + f"module.{name}" + (f"[{key}]" if key is not None else "")
                    if instance not in seen:
                        seen.add(instance)
                        path = ".".join(f"module.{m}" for m, _ in inst.addr.modules[: k + 1])
                        self.module_instances.setdefault(path, []).append((instance, parent))
                    parent = instance
        return self._by_target

    def targets(self, instance: str, path: str, refs: list[str], trace: tuple[str, ...] = (),
                depth: int = 0) -> tuple[list[Target], list[str]]:
        """Resource instances that ``refs`` (written in module ``instance``, whose path
        without keys is ``path``) lead to, and the references that lead to none."""
        found: list[Target] = []
        unfollowed: list[str] = []
        by_target = self.by_target
        if depth > 16:
            return found, list(refs)
        specific = [r for r in refs if not any(o != r and o.startswith((r + ".", r + "[")) for o in refs)]
        for ref in specific:
            steps = split_reference(ref)
            head = steps[0][0] if steps else ""
            hop = trace + (ref,)
            if head == "var" and len(steps) >= 2 and path:
                parent_path, call = self.reader.calls.get(path, ("", None))
                arg = (call.expressions or {}).get(steps[1][0]) if call is not None else None
                sub: list[str] = []
                if arg is not None:
                    _collect(arg, sub, True)
                parent = next((p for inst, p in self.module_instances.get(path, []) if inst == instance), "")
                got, lost = self.targets(parent, parent_path, sub, hop, depth + 1) if sub else ([], [ref])
                found += got
                unfollowed += lost
            elif head == "module" and len(steps) >= 2:
                name, key = steps[1]
                child = f"{path}.module.{name}" if path else f"module.{name}"
                module = self.reader.modules.get(child)
                outputs = ([steps[2][0]] if len(steps) >= 3 else sorted(module.outputs)) if module is not None else []
                sub = []
                for out in outputs:
                    o = module.outputs.get(out) if module is not None else None
                    if o is not None:
                        _collect(o.expression, sub, True)
                want = f"module.{name}" + (f"[{key}]" if key is not None else "")
                kids = [inst for inst, parent in self.module_instances.get(child, []) if parent == instance
                        and (key is None or inst.endswith(want))]
                if not sub or not kids:
                    unfollowed.append(ref)
                for kid in kids if sub else ():
                    got, lost = self.targets(kid, child, sub, hop, depth + 1)
                    found += got
                    unfollowed += lost
            elif head in _NOT_RESOURCES or len(steps) < 2:
                unfollowed.append(ref)
            else:
                key = f"{head}.{steps[1][0]}"
                hits = by_target.get(f"{instance}.{key}" if instance else key, [])
                if not hits:
                    unfollowed.append(ref)
                found += [Target(i, hop) for i in hits]
        unique: dict[int, Target] = {}
        for t in found:
            unique.setdefault(t.index, t)
        return list(unique.values()), list(dict.fromkeys(unfollowed))


class _Subjects(Sequence["_PlanSubject"]):
    """The plan's instances as flow subjects, each built when first asked for."""

    def __init__(self, made: list[tuple[_Instance, Any]], graph: _Flows) -> None:
        self._made = made
        self._graph = graph
        self._built: dict[int, _PlanSubject] = {}

    def __len__(self) -> int:
        return len(self._made)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        hit = self._built.get(i)
        if hit is None:
            inst, sens = self._made[i]
            hit = self._built[i] = _PlanSubject(inst, sens, self._graph)
        return hit


class _PlanSubject:
    """One plan resource instance seen by :func:`~sovpolicy.sources.flows.follow`."""

    __slots__ = ("_inst", "_sens", "_flows")

    def __init__(self, inst: _Instance, sens: Any, flows: _Flows) -> None:
        self._inst = inst
        self._sens = sens
        self._flows = flows

    @property
    def address(self) -> str:
        return self._inst.rc_address

    @property
    def type(self) -> str:
        return self._inst.type

    @property
    def placement(self) -> Placement:
        return self._inst.placement or UNPLACED

    def value(self, path: Any) -> Any:
        node, unknown, sensitive = self._inst.fields, self._inst.unknown, self._sens
        for step in path:
            if unknown is True:
                return UNKNOWN
            if sensitive is True:
                return SENSITIVE
            node, unknown, sensitive = _child(node, step), _child(unknown, step), _child(sensitive, step)
        if unknown is True:
            return UNKNOWN
        if sensitive is True:
            return SENSITIVE
        return node

    def refs(self, path: Any, deep: bool = False) -> Refs | None:
        cfg = self._inst.config
        if cfg is None or (path and isinstance(path[0], str) and f'"{path[0]}"'.encode() not in bytes(cfg.expressions)):
            return None  # not set by the configuration: no need to decode it
        nodes = [self._flows.reader.config_expressions(cfg)]
        for step in path:
            nxt: list[Any] = []
            for n in nodes:
                if isinstance(step, int):
                    child = _child(n, step)
                    if child is not None:
                        nxt.append(child)
                    continue
                for elem in (n if isinstance(n, list) else [n]):  # None, or a name: every block of a list
                    if step is None:
                        nxt.append(elem)
                    elif isinstance(elem, dict) and step in elem:
                        nxt.append(elem[step])
            nodes = nxt
        if not nodes:
            return None
        raw: list[str] = []
        constant = False
        for n in nodes:
            constant = _collect(n, raw, deep) or constant
        addr = self._inst.addr
        targets, unfollowed = self._flows.targets(addr.module_instance, addr.module_path, list(dict.fromkeys(raw)))
        return Refs(tuple(targets), constant and not raw, tuple(unfollowed))

    def where(self, path: Any) -> str:
        return f"{self._inst.evidence_root}.after.{path_text(path)}"


def read_plan(path: Path, catalog: Catalog, data: bytes | None = None) -> PlanScan:
    """Read one plan file into resources with their placements.

    Args:
        path: the plan JSON (``terraform show -json PLANFILE > plan.json``).
        catalog: the loaded catalog (providers, regions).
        data: the file's bytes when already read.

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
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read plan: {exc.strerror}", spath) from None
    types = _types(catalog)
    plan = _decode_plan(data, spath, types)
    del data  # the decoded structs hold what the scan needs; let the file's bytes go...
    if plan.resource_changes or plan.deferred_changes:
        plan.planned_values = _NULL  # ...which a raw slice of planned_values would keep alive
    plan.values = _NULL
    reader = _PlanReader(plan, spath, catalog, types)
    made: list[tuple[_Instance, Any]] = list(reader.instances())
    by_target: dict[str, list[_Instance]] = {}
    for inst, _ in made:
        reader.resolve(inst)
        base = inst.addr.module_instance
        key = f"{base}.{inst.addr.type}.{inst.addr.name}" if base else f"{inst.addr.type}.{inst.addr.name}"  # parent lookups
        by_target.setdefault(key, []).append(inst)
    resolve_parents([inst for inst, _ in made if inst.placement is None], lambda i: reader.resolve_parent(i, by_target))
    insts = [inst for inst, _ in made]
    # attributes read only to follow flows are not kept on the resources (they can be large)
    skip = frozenset(_TAG_FIELDS) | (catalog.flows.value_attributes() - _placement_fields(catalog))
    graph = _Flows(reader, insts)
    followed = follow(cast(Sequence[Subject], _Subjects(made, graph)), catalog, [inst.type for inst in insts])
    location = Location(spath)
    resources = []
    for (inst, sens), fdata in zip(made, followed):
        placement = inst.placement or UNPLACED
        notes = list(inst.notes)
        tags = reader.tags(inst.fields, inst.unknown, sens, notes)
        attrs: dict[str, object] = {}
        if inst.fields is not None:
            for name in inst.fields.__struct_fields__:
                value = getattr(inst.fields, name)
                if value is not msgspec.UNSET and name not in skip:
                    mask = getattr(sens, name, None) if sens is not None else None
                    attrs[name] = _redact(value, mask)
        resources.append(Resource(
            address=inst.rc_address, type=inst.type, source=SourceKind.PLAN, placement=placement,
            tags=tags, attributes=attrs, location=location, action=inst.action, notes=tuple(notes),
            flows=fdata.flows, data_from=fdata.data_from, input=spath))
    info = PlanInfo(spath, plan.format_version or "", plan.terraform_version, len(plan.resource_changes or []),
                    len(plan.resource_drift or []), plan.complete, plan.errored,
                    {child: call.source for child, (_, call) in reader.calls.items() if call.source})
    return PlanScan(info, resources)
