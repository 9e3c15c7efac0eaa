"""Kinds of service and their Terraform types on each cloud (``services.yaml``): what the
qualified alternatives of a failing resource may be."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import CatalogError
from ..model import SourceRef


@dataclass(frozen=True)
class Service:
    """A kind of service (object storage, managed database, VM, Kubernetes) and its types
    per cloud, the first of each the one proposed."""

    id: str
    name: str
    types: Mapping[str, tuple[str, ...]]
    source: SourceRef

    def kind_of(self, rtype: str) -> bool:
        """True when ``rtype`` is this kind of service on some cloud."""
        return any(rtype in types for types in self.types.values())


def build_services(raw: Mapping[Any, tuple[Any, dict[str, Any]]], source: Callable[[dict[str, Any], str], SourceRef],
                   clouds: Mapping[str, object]) -> dict[str, Service]:
    """Services by id; a cloud missing from the catalog is an error."""
    out = {}
    for sid, (_, item) in raw.items():
        w = item["_where"]
        for cloud in item["types"]:
            if cloud not in clouds:
                raise CatalogError(f"service {sid!r} names unknown cloud {cloud!r}", w)
        out[sid] = Service(sid, item["name"], {c: tuple(ts) for c, ts in item["types"].items()}, source(item, w))
    return out
