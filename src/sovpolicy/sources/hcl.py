"""Read Terraform source (a root module directory) into resources, as ``terraform plan`` would place them.

A module directory is read as Terraform reads it (:mod:`.hclmodule`): every ``.tf`` and
``.tf.json`` file, override files merged last, variable defaults, ``terraform.tfvars``,
``*.auto.tfvars(.json)`` then ``--var-file`` files; ``locals``; provider blocks with
``alias``; ``provider =`` on resources; local module calls recursively, with their
arguments and ``providers`` maps; ``count`` and ``for_each`` (one instance per key when
the keys are known, else one ``[*]`` instance) (:mod:`.hclinstance`). Values are computed
by :mod:`.hcleval`; what it cannot compute (a computed attribute, a data source, an
unsupported function, a remote module) is unresolved with the reason.

Each resource instance becomes a :class:`~sovpolicy.model.Resource` with ``source=hcl``,
its ``Location(file, line)``, its module path, and a placement by the one ladder of
:mod:`.placement`, to which this reader hands evaluated values: its own region/zone
attribute, the region (or zone) of the provider configuration that serves it (through a
root variable or a module argument: ``variable``/``module``; a variable's default is
marked as such), its referenced parents. The evidence names the file and line of every
hop (``providers.tf:14 provider "aws" (alias "dr") region``, then ``terraform.tfvars:6
sets var.dr_region``). Data flows are read by :mod:`.hclflows`.

Files that do not parse are :class:`~sovpolicy.model.Problem`\\ s naming the file, line
and column; the rest of the module is still read. Inline waivers are read from the
comments of the files parsed (:mod:`.inlinewaivers`), once per module path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import Catalog, ProviderInfo
from ..catalog.providers import DEFAULT_TAG_ATTRIBUTES
from ..model import Location, Origin, Placement, Problem, Resource, SourceKind, Waiver
from .flows import follow
from .hcleval import Step, Unknown, describe, plain, redact, references
from .hclflows import HclRefs, HclSubject
from .hclinstance import ModuleInstance, ResourceInstance
from .hclmodule import At, Loader, display, key_text, literal, provider_ref, tfvars_files
from .hcltree import Attr, Body
from .hclvalues import holds_sensitive, shown
from .inlinewaivers import shown_path, waivers_in_file
from .parsecache import ParseCache
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
from .tagshapes import tag_map

HOW = "source files do not show"
SENSITIVE_REASON = "the region comes from a sensitive value: sovpolicy does not read sensitive values"
#: provider blocks' tags applied to every resource: provider source -> (nested block, attribute) or attribute
_DEFAULT_TAGS: dict[str, tuple[str | None, str]] = {
    "hashicorp/aws": ("default_tags", "tags"),
    "hashicorp/google": (None, "default_labels"),
    "hashicorp/google-beta": (None, "default_labels"),
}


@dataclass
class HclScan:
    """What :func:`read_module` returns.

    Attributes:
        resources: one per managed resource instance, in file and module order.
        problems: unparsable files, remote or missing modules.
        waivers: the inline ``# sovpolicy:waive`` waivers of every ``.tf`` file read.
        module_dirs: module path without instance keys (``""``, ``module.a.module.b``) ->
            the directory of its files, for every module read.
        files: every file read (configuration and variables) -> (bytes, SHA-256).
    """

    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    module_dirs: dict[str, Path] = field(default_factory=dict)
    files: dict[str, tuple[int, str]] = field(default_factory=dict)


def _nothing(path: tuple[str, ...]) -> Value | None:
    return None


class _Reader:
    def __init__(self, catalog: Catalog, loader: Loader) -> None:
        self.catalog = catalog
        self.loader = loader
        self.problems: list[Problem] = []
        self.placeholders: list[Resource] = []
        self.module_dirs: dict[str, Path] = {}

    # ---------------------------------------------------------------- walk
    def walk(self, module: ModuleInstance, out: list[ResourceInstance], depth: int = 0, path: str = "") -> None:
        self.module_dirs.setdefault(path, module.defn.dir)
        for (rtype, name), at in module.defn.resources.items():
            exp = module.expansion(at, f"{rtype}.{name}")
            for key, bindings in exp.instances:
                addr = module.prefix(f"{rtype}.{name}" + ("" if key is None else f"[{key_text(key)}]"))
                inst = ResourceInstance(module, at, rtype, name, addr, bindings)
                if exp.note:
                    inst.notes.append(exp.note)
                out.append(inst)
        for name, at in module.defn.calls.items():
            source = literal(at.block.body.attrs.get("source"))
            kids = module.children(name)
            if isinstance(kids, Unknown):
                self._unread_module(module, name, at, source)
                continue
            if depth > 32:
                self.problems.append(Problem("module-depth", "local modules nest more than 32 levels", at.where()))
                continue
            for child in kids.values():
                self.walk(child, out, depth + 1, f"{path}.module.{name}" if path else f"module.{name}")

    def _unread_module(self, module: ModuleInstance, name: str, at: At, source: Any) -> None:
        addr = module.prefix(f"module.{name}")
        if isinstance(source, str) and source.startswith(("./", "../")):
            reason = f"local module source {source!r} is not a directory"
            self.problems.append(Problem("module-missing", f"module {addr}: {reason}", at.where()))
        else:
            reason = f"module {addr} comes from {source!r}, which sovpolicy does not read (remote module)"
            self.problems.append(Problem("remote-module", f"{reason}: its resources are not checked", at.where()))
        tags, _ = self._tag_map(module, at.block.body.attrs.get("tags"), {}, [])
        for key, _b in module.expansion(at, name).instances:
            address = addr + ("" if key is None else f"[{key_text(key)}]")
            self.placeholders.append(Resource(
                address=address, type="module", source=SourceKind.HCL,
                placement=Placement(None, None, Origin.UNRESOLVED, (at.where(),), reason),
                tags=tags, location=Location(at.path, at.block.line),
                notes=("stands for every resource of a module whose source is not read",),
                module=f"{module.path}.module.{name}" if module.path else f"module.{name}"))

    # ---------------------------------------------------------------- placement
    def provider_of(self, inst: ResourceInstance) -> None:
        attr = inst.at.block.body.attrs.get("provider")
        ref = provider_ref(attr.expr) if attr is not None else None
        key = ref or (inst.rtype.split("_", 1)[0], None)
        inst.provider_key = key
        inst.provider = inst.module.providers.get(key)

    def resolve(self, inst: ResourceInstance) -> None:
        self.provider_of(inst)
        source = inst.module.defn.source_of(inst.provider_key[0])
        inst.info, inst.placement = place(self.catalog, source, inst.rtype, (inst.at.where(),),
                                          lambda info: self._attribute(inst, info), lambda: self._provider_settings(inst))

    def _attribute(self, inst: ResourceInstance, info: ProviderInfo) -> Callable[[str], Value | None]:
        """A resource's own attributes, evaluated from source, as ladder values."""
        attrs = inst.at.block.body.attrs

        def attribute(name: str) -> Value | None:
            attr = attrs.get(name)
            if attr is None:
                return None
            trace: list[Step] = []
            value, secret = plain(inst.module.eval(attr.expr, trace, inst.bindings))
            if name in info.resource_regions:
                return Value.given(value, (inst.at.where(attr.line),)) if isinstance(value, list) else None
            evidence = [f"{inst.at.where(attr.line)} {inst.address} {name}"] + [s.where for s in trace]
            if secret:
                return Value.unresolved(SENSITIVE_REASON, evidence, sensitive=True)
            if isinstance(value, str) and value:
                inst.attributes[name] = value
                return Value.given(value, evidence, default=any(s.default for s in trace))
            if value is None:  # null is unset
                return None
            why = value.reason if isinstance(value, Unknown) else f"it is {shown(value)}"
            return Value.unresolved(f"{name} = {describe(attr.expr)} is not known from source: {why}", evidence)

        return attribute

    def _provider_settings(self, inst: ResourceInstance) -> ProviderSettings:
        """The provider configuration that serves ``inst`` (its block), as the ladder reads it."""
        cfg = inst.provider
        name, alias = inst.provider_key
        label = f"{name}.{alias}" if alias else name
        if cfg is None:
            missing = f"provider configuration {label} is not declared for {inst.module.address or 'the root module'}"
            return ProviderSettings(f"{label!r} (no provider block)", (inst.at.where(),), HOW, _nothing,
                                    missing if alias else None)
        body = cfg.at.block.body
        head = f'provider "{cfg.name}"' + (f' (alias "{cfg.alias}")' if cfg.alias else "")

        def setting(path: tuple[str, ...]) -> Value | None:
            node: Body | None = body
            for step in path[:-1]:
                nested = node.blocks_of(step) if node is not None else []
                node = nested[0].body if nested else None
            attr = node.attrs.get(path[-1]) if node is not None else None
            if attr is None:
                return None
            trace: list[Step] = []
            value, secret = plain(cfg.module.eval(attr.expr, trace))
            evidence = [f"{cfg.at.where(attr.line)} {head} {'.'.join(path)}"] + [s.where for s in trace]
            if secret:
                return Value.unresolved(SENSITIVE_REASON, evidence, sensitive=True)
            if isinstance(value, str) and value:
                kinds = {s.kind for s in trace}
                origin = Origin.MODULE if "module" in kinds else Origin.VARIABLE if "variable" in kinds else Origin.PROVIDER
                return Value.given(value, evidence, origin, default=any(s.default for s in trace))
            why = value.reason if isinstance(value, Unknown) else f"it is {shown(value)}"
            return Value.unresolved(f"the region {describe(attr.expr)} is not known from source: {why}", evidence)

        return ProviderSettings(repr(cfg.label), (f"{cfg.at.where()} {head}",), HOW, setting)

    def resolve_parent(self, inst: ResourceInstance, placed: dict[str, list[ResourceInstance]]) -> None:
        info = inst.info
        assert info is not None
        attrs = inst.at.block.body.attrs

        def links() -> Iterator[tuple[str, list[Placement]]]:
            for attr_name in parent_attributes(info, attrs):
                attr = attrs.get(attr_name)
                for ref in references(attr.expr) if attr is not None else []:
                    if len(ref) < 2 or ref[0] in NOT_RESOURCES:
                        continue
                    target = inst.module.prefix(f"{ref[0]}.{ref[1]}")
                    assert attr is not None
                    yield (f"{inst.at.where(attr.line)} {attr_name} -> {'.'.join(ref)}",
                           [c.placement for c in placed.get(target, []) if c is not inst and c.placement is not None])

        names = "/".join(info.resource_region) or "region"
        inst.placement = parent_placement(info, links(), (inst.at.where(),),
                                          f"{inst.rtype} has no {names} known from source and no placed parent resource")

    # ---------------------------------------------------------------- tags
    def _tag_map(self, module: ModuleInstance, attr: Attr | None, bindings: dict[str, Any],
                 notes: list[str], shape: str = "map", unread: dict[str, str] | None = None,
                 name: str = "tags") -> tuple[dict[str, str], bool]:
        """One tag attribute's tags; what cannot be read goes to ``unread`` (why, never a value)."""
        unread = unread if unread is not None else {}
        if attr is None:
            return {}, True
        value = module.eval(attr.expr, [], bindings)
        value, sensitive = plain(value)
        if isinstance(value, Unknown):
            notes.append(f"{name} not known from source ({value.reason})")
            unread["*"] = f"{name} = {describe(attr.expr)} is not known from source"
            return {}, False
        if sensitive:  # a sensitive map hides its keys too
            notes.append(f"{name} is sensitive: not read")
            unread["*"] = f"{name} is sensitive"
            return {}, True
        if shape != "map":
            items = value if isinstance(value, list) else []
            if any(isinstance(plain(i)[0], Unknown) or holds_sensitive(i) for i in items):
                unread["*"] = f"{name} is not known from source or sensitive"
            return tag_map([plain(i)[0] for i in items if not holds_sensitive(i)], shape), True
        if not isinstance(value, dict):
            return {}, True
        tags: dict[str, str] = {}
        unknown_keys = []
        for k, v in value.items():
            v, s = plain(v)
            if isinstance(v, Unknown):
                unknown_keys.append(k)
                unread[k] = f"tag {k} is not known from source"
            elif s:
                tags[k] = "(sensitive)"
            elif isinstance(v, (str, int, float, bool)):
                tags[k] = v if isinstance(v, str) else json.dumps(v)
        if unknown_keys:
            notes.append(f"{name} not known from source ({', '.join(sorted(unknown_keys))})")
        return tags, True

    def _tag_blocks(self, inst: ResourceInstance, name: str, unread: dict[str, str]) -> dict[str, str]:
        """``tags { key = ... value = ... }`` blocks (key-value-list shape in source); a
        ``dynamic`` block of them is not expanded: its tags are unread."""
        body = inst.at.block.body
        items: list[Any] = []
        for blk in body.blocks_of(name):
            key = plain(inst.module.eval(blk.body.attrs["key"].expr, [], inst.bindings)) if "key" in blk.body.attrs else None
            val = plain(inst.module.eval(blk.body.attrs["value"].expr, [], inst.bindings)) if "value" in blk.body.attrs else None
            if key is None or val is None or isinstance(key[0], Unknown) or isinstance(val[0], Unknown) or key[1] or val[1]:
                unread["*"] = f"a {name} block is not known from source or sensitive"
                continue
            items.append({"key": key[0], "value": val[0]})
        if any(d.labels[:1] == [name] for d in body.blocks_of("dynamic")):
            unread["*"] = f'dynamic "{name}" blocks are not expanded'
        return tag_map(items, "key-value-list")

    def tags(self, inst: ResourceInstance, unread: dict[str, str]) -> dict[str, str]:
        """The resource's tags (provider default tags first), in the attributes and shapes
        its provider uses (``tag_attributes`` in the catalog); what cannot be read goes to
        ``unread``."""
        tags: dict[str, str] = {}
        if inst.info is not None and inst.provider is not None:
            spec = _DEFAULT_TAGS.get(inst.info.source)
            if spec is not None:
                block_name, attr_name = spec
                body = inst.provider.at.block.body
                if block_name is not None:
                    nested = body.blocks_of(block_name)
                    body = nested[0].body if nested else Body()
                found, _ = self._tag_map(inst.provider.module, body.attrs.get(attr_name), {}, inst.notes,
                                         unread=unread, name=f"provider {attr_name}")
                tags.update(found)
        shapes = inst.info.tag_attributes if inst.info is not None else DEFAULT_TAG_ATTRIBUTES
        for name, shape in shapes:
            found, _ = self._tag_map(inst.module, inst.at.block.body.attrs.get(name), inst.bindings, inst.notes,
                                     shape, unread, name)
            tags.update(found)
            if shape == "key-value-list":
                tags.update(self._tag_blocks(inst, name, unread))
        return tags


def read_module(directory: Path, catalog: Catalog, var_files: Sequence[Path] = (), cache: ParseCache | None = None) -> HclScan:
    """Read a root module directory into resources with their placements.

    Args:
        directory: the root module (the directory ``terraform plan`` would run in).
        catalog: the loaded catalog (providers, regions).
        var_files: extra ``-var-file`` files, applied last in the order given.
        cache: the parse cache (None: parse every file).

    Returns:
        An :class:`HclScan`: one resource per managed resource instance (plus one
        stand-in per instance of a module whose source is not read), the problems
        (unparsable files with line and column, remote or missing modules) and the
        inline waivers of every ``.tf`` file read.

    Raises:
        InputError: a malformed inline waiver.
    """
    loader = Loader(cache or ParseCache(None))
    reader = _Reader(catalog, loader)
    problems: list[Problem] = []
    defn = loader.module(directory, display(directory))
    values = loader.tfvars(tfvars_files(directory, var_files), problems)
    root = ModuleInstance(loader, defn, "", None, None, {}, values)
    insts: list[ResourceInstance] = []
    reader.walk(root, insts)
    by_target: dict[str, list[ResourceInstance]] = {}
    for inst in insts:
        reader.resolve(inst)
        by_target.setdefault(inst.module.prefix(f"{inst.rtype}.{inst.name}"), []).append(inst)
    resolve_parents([i for i in insts if i.placement is None], lambda i: reader.resolve_parent(i, by_target))
    refs = HclRefs(insts)
    followed = follow([HclSubject(inst, refs) for inst in insts], catalog, [inst.rtype for inst in insts])
    scan = HclScan()
    for inst, data in zip(insts, followed):
        placement = inst.placement or UNPLACED
        unread: dict[str, str] = {}
        tags = reader.tags(inst, unread) if placement.origin is not Origin.NONE else {}
        scan.resources.append(Resource(
            address=inst.address, type=inst.rtype, source=SourceKind.HCL, placement=placement, tags=tags,
            attributes=redact(inst.attributes), location=inst.location, notes=tuple(dict.fromkeys(inst.notes)),
            flows=data.flows, data_from=data.data_from, module=inst.module.path, tags_unread=unread))
    scan.resources.extend(reader.placeholders)
    for d in loader.defs.values():
        problems.extend(d.problems)
    for path, directory in sorted(reader.module_dirs.items()):
        files = loader.defs[directory.resolve()].files
        for f in sorted((f for f in files if f.name.endswith(".tf")), key=lambda f: f.name):
            scan.waivers += waivers_in_file(shown_path(f), files[f], path)
    scan.problems = problems + reader.problems
    scan.module_dirs = dict(reader.module_dirs)
    scan.files = dict(loader.files)
    return scan
