"""Mark which resources hold which data classes, and say why.

Sources of a class, in the order they are reported: tags or labels (configurable keys
and values), ``.sovpolicy.yaml`` rules (address glob, module path, type glob), and the
project-wide default. Resources whose provider hosts no data are never classified.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from fnmatch import fnmatchcase

from .config import Config
from .model import Classification, Origin, Resource


def _norm_key(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


class Classifier:
    """Applies one configuration's classification rules. Build once, call per resource."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.keys = {_norm_key(k) for k in config.tag_keys}
        self._norm: dict[str, bool] = {}  # tag key -> is it a classification key
        self.by_value: dict[str, list[str]] = {}
        for cls, values in config.values.items():
            for v in values:
                self.by_value.setdefault(v.lower(), []).append(cls)

    def classify(self, resource: Resource) -> Resource:
        """Return the resource with its classifications (unchanged when none apply)."""
        if resource.placement.origin is Origin.NONE:
            return resource
        found: list[Classification] = []
        seen: set[str] = set()

        def add(cls: str, reason: str) -> None:
            if cls not in seen:
                seen.add(cls)
                found.append(Classification(cls, reason))

        norm = self._norm
        for key, value in resource.tags.items():
            nk = norm.get(key)
            if nk is None:
                nk = norm[key] = _norm_key(key) in self.keys
            if not nk:
                continue
            for token in re.split(r"[,;/\s]+", value.strip().lower()):
                for cls in self.by_value.get(token, ()):
                    add(cls, f"tag {key}={value}")
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
        if not found:
            return resource
        return replace(resource, classifications=tuple(found))

    def classify_all(self, resources: Iterable[Resource]) -> list[Resource]:
        """Classify every resource."""
        return [self.classify(r) for r in resources]
