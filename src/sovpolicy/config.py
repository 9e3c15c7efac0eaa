"""Project configuration: ``.sovpolicy.yaml`` (classification rules, packs, catalogs).

Shape (validated against ``schemas/config.json``)::

    packs: [hds, extraterritorial]        # policy packs to run (default: every built-in pack)
    catalog: [./catalog]                  # extra catalog directories, relative to this file
    policy_dirs: [./policies]             # organisation packs: <dir>/<pack>/<ID>.yaml
    classification:
      tag_keys: [data_classification]     # tag/label keys that carry a class (replaces the defaults)
      values: {health: [health, phi]}     # class -> tag values (merged over the defaults)
      rules:                              # classify by address glob, module path or type glob
        - {class: health, module: module.ehr}
      default: [health]                   # classes every resource holds
      when_unknown: [health, personal]    # classes assumed when a classification tag cannot be read
                                          # (sensitive, known only after apply...); default: every class
    enforcement: {SOV-EXT-001: {level: advisory, reason: "DPO decision 2026-11"}}  # per-project level
                                          # (lowering a soft-mandatory policy needs a reason)
    residency: {adequacy: [CH, GB]}       # countries the eea-residency pack accepts
    expiry_warning_days: 30               # warn when a waiver ends within this many days
    confirmed: [ovh-hds-option]           # certificate scope conditions the project confirms
    waivers:
      - {policy: SOV-EXT-001, address: azurerm_storage_account.emc2, reason: ..., expires: 2026-12-21,
         approved_by: DPO, decision: CNIL 2023-146, decision_expires: 2026-12-21}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .model import Enforcement
from .waivers import Waiver, from_config
from .yamlutil import dates_to_text, json_path, line_of, load_yaml

CONFIG_NAMES = (".sovpolicy.yaml", ".sovpolicy.yml")

#: Default tag keys, compared after lower-casing and removing ``-`` and ``_``.
DEFAULT_TAG_KEYS: tuple[str, ...] = ("data_classification", "DataClassification", "data-classification", "data_class")

#: Default tag values per data class (compared lower-cased).
DEFAULT_VALUES: dict[str, tuple[str, ...]] = {
    "health": ("health", "hds", "phi", "health-data", "sante", "santé", "donnees-de-sante"),
    "personal": ("personal", "pii", "personal-data", "gdpr"),
    "sensitive": ("sensitive", "secnumcloud", "sensible"),
}


@dataclass(frozen=True)
class ClassRule:
    """Classify resources matching every given selector (address glob, module path, type glob)."""

    data_class: str
    address: str | None = None
    module: str | None = None
    type: str | None = None

    def describe(self) -> str:
        """``address=..., module=...`` for explanations."""
        parts = [f"{k}={v}" for k, v in (("address", self.address), ("module", self.module), ("type", self.type)) if v]
        return ", ".join(parts)


@dataclass(frozen=True)
class Config:
    """The parsed project configuration (defaults when there is no file)."""

    path: Path | None = None
    packs: tuple[str, ...] | None = None
    catalog_dirs: tuple[Path, ...] = ()
    policy_dirs: tuple[Path, ...] = ()
    tag_keys: tuple[str, ...] = DEFAULT_TAG_KEYS
    values: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_VALUES))
    rules: tuple[ClassRule, ...] = ()
    default_classes: tuple[str, ...] = ()
    when_unknown: tuple[str, ...] | None = None
    """Classes assumed when a classification tag cannot be read (None: every class)."""
    enforcement: dict[str, Enforcement] = field(default_factory=dict)
    enforcement_reasons: dict[str, str] = field(default_factory=dict)
    """Why a policy's level is set (``{level, reason}``): required to lower a soft-mandatory one."""
    enforcement_where: dict[str, str] = field(default_factory=dict)
    """Where each ``enforcement:`` entry is written (``file:line``)."""
    adequacy: tuple[str, ...] = ()
    adequacy_where: dict[str, str] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    warn_days: int = 30
    confirmed: tuple[str, ...] = ()
    """Scope conditions of certificates the project confirms (catalog ``schemes.yaml``: ``conditions``)."""


def _schema() -> dict[str, Any]:
    import json

    return json.loads((Path(__file__).parent / "schemas" / "config.json").read_text(encoding="utf-8"))


def find_config(start: Path) -> Path | None:
    """The nearest ``.sovpolicy.yaml`` for an input, or None.

    Looks in the input's directory and its parents up to the root of the git repository
    holding it (the first directory with a ``.git``); outside a repository, only in the
    input's directory. A configuration above the repository never applies by accident.
    """
    start = start.resolve()
    first = start if start.is_dir() else start.parent
    chain = [first, *first.parents]
    if not any((d / ".git").exists() for d in chain):
        chain = [first]
    for d in chain:
        for name in CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
        if (d / ".git").exists():
            break
    return None


def load_config(path: Path | None) -> Config:
    """Read and validate a configuration file; ``None`` gives the defaults.

    Raises:
        ConfigError: unreadable file, malformed YAML (with line), or a value the schema
            rejects (with its path in the file).
    """
    if path is None:
        return Config()
    doc, node = load_yaml(path, ConfigError)
    doc = dates_to_text(doc or {})
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        raise ConfigError(f"{json_path(list(err.absolute_path))}: {err.message}", f"{path}:{line_of(node, list(err.absolute_path))}")
    cls = doc.get("classification") or {}
    values = dict(DEFAULT_VALUES)
    for k, v in (cls.get("values") or {}).items():
        values[k] = tuple(v)
    known = set(values)
    for i, rule in enumerate(cls.get("rules") or []):
        if rule["class"] not in known:
            raise ConfigError(f"$.classification.rules[{i}].class: unknown data class {rule['class']!r} (known: "
                              f"{', '.join(sorted(known))}; declare a new one under classification.values)",
                              f"{path}:{line_of(node, ['classification', 'rules', i, 'class'])}")
    for key in ("default", "when_unknown"):
        for i, c in enumerate(cls.get(key) or []):
            if c not in known:
                raise ConfigError(f"$.classification.{key}[{i}]: unknown data class {c!r} (known: {', '.join(sorted(known))}; "
                                  f"declare a new one under classification.values)",
                                  f"{path}:{line_of(node, ['classification', key, i])}")
    adequacy = tuple((doc.get("residency") or {}).get("adequacy") or ())
    adequacy_where = {c: f"{path}:{line_of(node, ['residency', 'adequacy', i])}" for i, c in enumerate(adequacy)}
    waivers = doc.get("waivers") or []
    waiver_lines = [line_of(node, ["waivers", i]) for i in range(len(waivers))]
    rules = tuple(ClassRule(r["class"], r.get("address"), r.get("module"), r.get("type")) for r in cls.get("rules") or [])
    return Config(
        path=path,
        packs=tuple(doc["packs"]) if "packs" in doc else None,
        catalog_dirs=tuple((path.parent / d) for d in doc.get("catalog") or []),
        policy_dirs=tuple((path.parent / d) for d in doc.get("policy_dirs") or []),
        tag_keys=tuple(cls.get("tag_keys") or DEFAULT_TAG_KEYS),
        values=values,
        rules=rules,
        default_classes=tuple(cls.get("default") or ()),
        when_unknown=tuple(cls["when_unknown"]) if "when_unknown" in cls else None,
        enforcement={k: Enforcement(v["level"] if isinstance(v, dict) else v) for k, v in (doc.get("enforcement") or {}).items()},
        enforcement_reasons={k: v["reason"] for k, v in (doc.get("enforcement") or {}).items() if isinstance(v, dict)},
        enforcement_where={k: f"{path}:{line_of(node, ['enforcement', k])}" for k in doc.get("enforcement") or {}},
        adequacy=adequacy,
        adequacy_where=adequacy_where,
        waivers=tuple(from_config(waivers, str(path), waiver_lines)),
        warn_days=int(doc.get("expiry_warning_days", 30)),
        confirmed=tuple(doc.get("confirmed") or ()),
    )

