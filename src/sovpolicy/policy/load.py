"""Load policy packs: one YAML file per policy under ``<packs dir>/<pack>/<ID>.yaml``.

The built-in packs live in the repository's ``policies/`` and ship inside the wheel as
``sovpolicy/_policies`` (the build copies them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import PolicyError
from ..model import Enforcement, Severity
from ..yamlutil import json_path, line_of, load_yaml
from .schema import policy_schema


@dataclass(frozen=True)
class Policy:
    """One validated policy. ``require`` is a tuple of ``(condition name, arguments)``."""

    id: str
    pack: str
    title: str
    description: str
    severity: Severity
    enforcement: Enforcement
    data_classes: frozenset[str]
    types: tuple[str, ...]
    require: tuple[tuple[str, dict[str, Any]], ...]
    unresolved: str
    remediation: str
    references: tuple[tuple[str, str], ...]
    path: Path


def builtin_policy_dir() -> Path:
    """The built-in packs: ``sovpolicy/_policies`` in a wheel, ``policies/`` in a checkout."""
    packaged = Path(str(resources.files("sovpolicy"))) / "_policies"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "policies"
    if checkout.is_dir():
        return checkout
    raise PolicyError("the built-in policy packs are missing from this installation", str(packaged))


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(policy_schema())


def load_policy(path: Path, pack: str) -> Policy:
    """Read and validate one policy file.

    Raises:
        PolicyError: naming ``file:line`` and what is wrong (schema error, id not equal
            to the file name).
    """
    doc, node = load_yaml(path, PolicyError)
    errors = sorted(_validator().iter_errors(doc), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        err = max(errors, key=lambda e: len(e.absolute_path)) if not isinstance(doc, dict) else errors[-1]
        where = f"{path}:{line_of(node, list(err.absolute_path))}"
        msg = err.message if err.validator != "oneOf" else "not a known condition or invalid arguments (conditions: certified, not_exposed_to, region_in)"
        raise PolicyError(f"{json_path(list(err.absolute_path))}: {msg}", where)
    if doc["id"] != path.stem:
        raise PolicyError(f"policy id {doc['id']!r} differs from the file name {path.stem!r}", f"{path}:{line_of(node, ['id'])}")
    applies = doc["applies_to"]
    return Policy(
        id=doc["id"], pack=pack, title=doc["title"], description=doc.get("description", ""),
        severity=Severity(doc["severity"]), enforcement=Enforcement(doc["enforcement"]),
        data_classes=frozenset(applies["data_classes"]), types=tuple(applies.get("types") or ()),
        require=tuple((next(iter(item)), dict(next(iter(item.values())))) for item in doc["require"]),
        unresolved=doc.get("unresolved", "block"), remediation=doc["remediation"],
        references=tuple((r["title"], r["url"]) for r in doc["references"]), path=path)


def available_packs(root: Path | None = None) -> list[str]:
    """Names of the packs under ``root`` (default: the built-in ones)."""
    root = root or builtin_policy_dir()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.yaml")))


def load_packs(names: list[str] | tuple[str, ...] | None = None, root: Path | None = None) -> list[Policy]:
    """Load the named packs (default: every pack), sorted by policy id.

    Raises:
        PolicyError: an unknown pack, an invalid policy, or two policies with one id.
    """
    root = root or builtin_policy_dir()
    known = available_packs(root)
    chosen = list(names) if names else known
    policies: dict[str, Policy] = {}
    for pack in chosen:
        if pack not in known:
            raise PolicyError(f"unknown policy pack {pack!r} (available: {', '.join(known)})")
        for path in sorted((root / pack).glob("*.yaml")):
            pol = load_policy(path, pack)
            if pol.id in policies:
                raise PolicyError(f"policy id {pol.id} is defined twice: {policies[pol.id].path} and {path}", str(path))
            policies[pol.id] = pol
    return sorted(policies.values(), key=lambda p: p.id)
