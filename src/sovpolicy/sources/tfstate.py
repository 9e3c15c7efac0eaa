"""A Terraform state (``terraform show -json`` without a plan file, or of a state file):
the deployed truth a plan only predicts.

The state's ``values`` has the shape of a plan's ``planned_values``, so the plan reader
reads it (one placement ladder): each managed resource's own recorded attributes place it
(``region``, ``location``...). A state records no provider configuration, so a resource
whose attributes carry no region is placed by the region in its recorded ARN when it has
one (``arn:aws:rds:eu-west-3:...``), else it stays unresolved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import msgspec

from ..errors import InputError
from ..model import Origin, Placement, Resource, SourceKind
from .base import ReadContext, SourceOutput

_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov|aws-eusc):[^:]*:([a-z0-9-]+):")
_ARN_CLOUD = "aws"


def _modules(values: Any, where: str) -> list[tuple[str, Any]]:
    """Every module of ``values.root_module``, with its JSON path."""
    out: list[tuple[str, Any]] = []
    stack = [(f"{where}.root_module", values.get("root_module") if isinstance(values, dict) else None)]
    while stack:
        path, mod = stack.pop()
        if mod is None:
            continue
        if not isinstance(mod, dict):
            raise InputError("a module of a Terraform state must be an object", path)
        out.append((path, mod))
        children = mod.get("child_modules") or []
        if not isinstance(children, list):
            raise InputError("child_modules must be a list", f"{path}.child_modules")
        stack.extend((f"{path}.child_modules[{i}]", c) for i, c in enumerate(children))
    return out


def _arn_regions(doc: dict[str, Any], where: str) -> dict[str, tuple[str, str]]:
    """Resource address -> (region in its recorded ARN, JSON path of the ARN)."""
    found: dict[str, tuple[str, str]] = {}
    for path, mod in _modules(doc.get("values"), f"{where}$.values"):
        for i, r in enumerate(mod.get("resources") or []):
            vals = r.get("values") if isinstance(r, dict) else None
            arn = vals.get("arn") if isinstance(vals, dict) else None
            m = _ARN.match(arn) if isinstance(arn, str) else None
            if m and m.group(2) and isinstance(r.get("address"), str):
                found[r["address"]] = (m.group(2), f"{path}.resources[{i}].values.arn")
    return found


@dataclass
class StateSource:
    """A state JSON file (``terraform show -json`` of a state)."""

    path: Path
    data: bytes | None = None
    kind: SourceKind = SourceKind.STATE

    @property
    def input(self) -> str:
        return str(self.path)

    def read(self, ctx: ReadContext) -> SourceOutput:
        from .tfplan import read_plan

        spath = str(self.path)
        data, self.data = self.data, None
        if data is None:
            try:
                data = self.path.read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read state: {exc.strerror}", spath) from None
        try:
            doc = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise InputError(f"not valid JSON: {exc}", spath) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("values"), dict):
            raise InputError("not a Terraform state: no `values` object", spath)
        arns = _arn_regions(doc, f"{spath}:")
        as_plan = {"format_version": doc.get("format_version"), "terraform_version": doc.get("terraform_version"),
                   "planned_values": doc["values"]}
        scan = read_plan(self.path, ctx.catalog, msgspec.json.encode(as_plan))
        resources = [self._deployed(r, arns) for r in scan.resources]
        return SourceOutput(resources)

    def _deployed(self, r: Resource, arns: dict[str, tuple[str, str]]) -> Resource:
        p = r.placement
        evidence = tuple(e.replace("planned_values", "values") for e in p.evidence)
        if not p.resolved and r.address in arns and (p.provider or "").endswith("/aws"):
            region, where = arns[r.address]
            placement = Placement(_ARN_CLOUD, region, Origin.RESOURCE, (where,), None, p.provider)
        else:
            placement = replace(p, evidence=evidence) if evidence != p.evidence else p
        return replace(r, source=SourceKind.STATE, placement=placement, action="deployed")
