"""The ``terraform show -json`` plan format, decoded into the records a scan needs.

msgspec decodes the plan into typed structs holding only the fields a scan reads: the
configuration (provider configurations, module calls, resources' expressions kept as raw
JSON slices), the variables, the resource changes, and each resource's attributes decoded
into a small struct of the placement, tag and flow fields the catalog names, so a 280 MB
plan never becomes a full Python object tree. :class:`PlanInstance` is one managed
resource instance taken from it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..address import Address
from ..catalog import Catalog
from ..errors import InputError
from ..model import Placement
from .filemap import Buffer, as_bytes

TAG_FIELDS = ("tags", "tags_all", "labels")
NULL = msgspec.Raw(b"null")


class ProviderConfig(msgspec.Struct):
    name: str = ""
    full_name: str | None = None
    alias: str | None = None
    module_address: str | None = None
    version_constraint: str | None = None
    expressions: dict[str, Any] | None = None


class ConfigResource(msgspec.Struct):
    address: str = ""
    mode: str = "managed"
    type: str = ""
    name: str = ""
    provider_config_key: str | None = None
    expressions: msgspec.Raw = NULL


class ModuleCall(msgspec.Struct):
    source: str | None = None
    expressions: dict[str, Any] | None = None
    module: ConfigModule | None = None


class _VariableDecl(msgspec.Struct):
    sensitive: bool = False


class _Output(msgspec.Struct):
    expression: Any = None


class ConfigModule(msgspec.Struct):
    resources: list[ConfigResource] = []
    module_calls: dict[str, ModuleCall] = {}
    variables: dict[str, _VariableDecl] = {}
    outputs: dict[str, _Output] = {}


class Configuration(msgspec.Struct):
    provider_config: dict[str, ProviderConfig] = {}
    root_module: ConfigModule = msgspec.field(default_factory=ConfigModule)


class _Variable(msgspec.Struct):
    value: Any = None


class PlanTypes:
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
            ("actions", list[str]), ("after", self.Fields | None, None),
            ("after_unknown", self.mask_type, None), ("after_sensitive", self.mask_type, None)])
        self.ResourceChange = msgspec.defstruct("_ResourceChange", [
            ("address", str), ("change", self.Change), ("mode", str, "managed"), ("type", str, ""), ("name", str, ""),
            ("index", int | str | None, None), ("module_address", str | None, None), ("provider_name", str, ""),
            ("deposed", str | None, None)])
        # Terraform 1.0 wrote drift entries with no address (mode, type and name only): drift
        # is information, read when it names an address, never a reason to refuse the plan
        self.Drift = msgspec.defstruct("_Drift", [("address", str | None, None)])
        self.Deferred = msgspec.defstruct("_Deferred", [("resource_change", self.ResourceChange), ("reason", str, "")])
        self.PVResource = msgspec.defstruct("_PVResource", [
            ("address", str), ("mode", str, "managed"), ("type", str, ""), ("name", str, ""),
            ("index", int | str | None, None), ("provider_name", str, ""), ("values", self.Fields | None, None),
            ("sensitive_values", self.mask_type, None)])
        pv_module = msgspec.defstruct("_PVModule", [("resources", list[self.PVResource], []),  # type: ignore[name-defined]
                                                    ("child_modules", list[Any], [])])
        self.PVModule = pv_module
        self.PlannedValues = msgspec.defstruct("_PlannedValues", [("root_module", pv_module | None, None)])
        self.Plan = self._plan("_Plan", list[self.ResourceChange])  # type: ignore[name-defined]
        # the same, with each resource change left undecoded (a slice of the file), for
        # :func:`decode_plan_sliced`
        self.SlicedPlan = self._plan("_SlicedPlan", list[msgspec.Raw])
        self.change_decoder = msgspec.json.Decoder(self.ResourceChange)
        # the sliced plan's fields, for a plan whose top-level values are slices already
        self.sliced_fields = [(f.name, f.encode_name, None if f.type is msgspec.Raw else msgspec.json.Decoder(f.type))
                              for f in msgspec.structs.fields(self.SlicedPlan)]

    def _plan(self, name: str, changes: Any) -> Any:
        return msgspec.defstruct(name, [
            ("format_version", str | None, None), ("terraform_version", str | None, None),
            ("variables", dict[str, _Variable] | None, None),
            ("resource_changes", changes | None, None),
            ("resource_drift", list[self.Drift] | None, None),  # type: ignore[name-defined]
            ("deferred_changes", list[self.Deferred] | None, None),  # type: ignore[name-defined]
            ("configuration", Configuration | None, None),
            ("planned_values", msgspec.Raw, NULL), ("values", msgspec.Raw, NULL),
            ("complete", bool | None, None), ("errored", bool | None, None)])


_TYPES: dict[tuple[str, ...], PlanTypes] = {}


def placement_fields(catalog: Catalog) -> set[str]:
    """The resource attributes some provider places resources by."""
    names: set[str] = set()
    for p in catalog.providers.values():
        names.update(p.resource_region)
        names.update(p.resource_zone)
        names.update(p.resource_regions)
    return names


def tag_fields(catalog: Catalog) -> set[str]:
    """Every attribute some provider carries tags or labels in (``tag_attributes``)."""
    return set(TAG_FIELDS) | {name for p in catalog.providers.values() for name, _ in p.tag_attributes}


def plan_types(catalog: Catalog) -> PlanTypes:
    names = tag_fields(catalog) | catalog.flows.value_attributes() | placement_fields(catalog)
    key = tuple(sorted(names))
    if key not in _TYPES:
        _TYPES[key] = PlanTypes(key)
    return _TYPES[key]


def json_position(data: bytes, message: str) -> str:
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


def decode_plan(data: bytes, path: str, types: PlanTypes) -> Any:
    """The whole plan decoded in one pass (``resource_changes`` decoded too).

    Raises:
        InputError: not JSON (with line and column), not a plan, or an unsupported format.
    """
    try:
        plan = msgspec.json.decode(data, type=types.Plan)
    except msgspec.ValidationError as exc:
        raise InputError(f"not a valid Terraform plan: {exc}", path) from None
    except msgspec.DecodeError as exc:
        msg = str(exc)
        where = path + json_position(data, msg)
        if not data.strip():
            msg = "the file is empty"
        elif "truncated" in msg:
            msg = "the JSON ends before it is complete (truncated file?)"
        raise InputError(f"not valid JSON: {msg}", where) from None
    return check_plan(plan, path)


def decode_plan_sliced(buf: Buffer, path: str, types: PlanTypes, top: Mapping[str, msgspec.Raw] | None = None
                       ) -> tuple[Any, Callable[[msgspec.Raw], Any]]:
    """The plan with each ``resource_changes`` element left as a slice of ``buf``, and the
    function that decodes one element from its slice: a reader decodes the elements one by
    one while :func:`~.filemap.release` lets the pages it has read go, so the file is never
    resident whole beside what was decoded from it.

    ``top``: the file's top-level values as slices, when a first pass found them (the
    registry's, to tell a plan): only the values the plan needs are read again, not the
    whole file (``planned_values``, as large as ``resource_changes``, is left as it is).

    Errors are those of :func:`decode_plan`, word for word with their places: whatever
    either pass refuses is decoded again whole (:func:`decode_plan`) to say why.
    """
    def whole() -> Any:
        return decode_plan(as_bytes(buf), path, types)

    try:
        if top is None:
            plan = msgspec.json.decode(buf, type=types.SlicedPlan)
        else:
            plan = types.SlicedPlan(**{name: raw if decoder is None else decoder.decode(raw)
                                       for name, key, decoder in types.sliced_fields if (raw := top.get(key)) is not None})
    except (msgspec.ValidationError, msgspec.DecodeError):
        whole()  # raises: the sliced types accept more than the whole ones
        raise AssertionError("a plan the whole decode accepts and the sliced one refuses") from None
    check_plan(plan, path)

    def change(raw: msgspec.Raw) -> Any:
        try:
            return types.change_decoder.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError):
            whole()  # raises the error a whole decode gives, with its place
            raise AssertionError("a resource change the whole plan's decode accepts") from None

    return plan, change


def check_plan(plan: Any, path: str) -> Any:
    """The plan, once its format is one sovpolicy reads.

    Raises:
        InputError: no ``format_version``, a 2.x major, or a state rather than a plan.
    """
    if plan.format_version is None:
        raise InputError("not a Terraform plan: no format_version (expected the output of `terraform show -json PLANFILE`)", path)
    major = plan.format_version.split(".", 1)[0]
    if major not in ("0", "1"):
        raise InputError(f"unsupported plan format_version {plan.format_version!r} (sovpolicy reads 0.x and 1.x)", path)
    if plan.resource_changes is None and plan.planned_values is NULL and plan.values is not NULL:
        raise InputError("this is a state (`terraform show -json` without a plan file), not a plan", path)
    return plan


def values_of(struct_type: type, names: Sequence[str]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """From ``msgspec.structs.astuple`` of a ``struct_type`` instance, the values of
    ``names``, in order, as a tuple: one look in C for two names or more."""
    at = [struct_type.__struct_fields__.index(n) for n in names]  # type: ignore[attr-defined]
    if len(at) >= 2:
        return operator.itemgetter(*at)
    return (lambda values: (values[at[0]],)) if at else (lambda values: ())


def may_hold(raw: bytes, literals: tuple[bytes, ...]) -> bool:
    """Whether JSON text may hold one of ``literals`` (a quick look before a decode): it
    does, or it has a ``\\u`` escape, since a key written ``"\\u0072egion"`` names ``region``
    all the same and must never be ruled out (no other JSON escape spells a letter)."""
    return b"\\u" in raw or any(lit in raw for lit in literals)


def plan_action(actions: list[str]) -> str:
    if "create" in actions and "delete" in actions:
        return "replace"
    if actions == ["create", "forget"]:
        return "create"
    return "-".join(actions) if actions else "no-op"


@dataclass
class PlanInstance:
    """One resource instance under resolution."""

    index: int
    rc_address: str
    addr: Address
    type: str
    provider: str
    action: str
    fields: Any
    unknown: Any
    config: ConfigResource | None
    evidence_root: str
    notes: list[str] = field(default_factory=list)
    placement: Placement | None = None
    sensitive: Any = None
    """The ``after_sensitive`` mask (None when nothing is marked)."""
