"""Load policy packs: one YAML file per policy under ``<packs dir>/<pack>/<ID>.yaml``.

The built-in packs live in the repository's ``policies/`` and ship inside the wheel as
``sovpolicy/_policies`` (the build copies them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import PolicyError
from ..model import Enforcement, Policy, Severity
from ..packs import available_packs, builtin_policy_dir
from ..yamlutil import dates_to_text, json_path, line_of, load_yaml
from .cel import compile_expr
from .conditions import REGISTRY
from .schema import policy_schema


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(policy_schema())


def load_policy(path: Path, pack: str, validate: bool = True) -> Policy:
    """Read and validate one policy file.

    ``validate=False`` skips the JSON Schema check (the built-in packs, which the tests and
    ``sovpolicy policies validate`` check, so that a scan does not pay for it every run).

    Raises:
        PolicyError: naming ``file:line`` and what is wrong (schema error, id not equal
            to the file name).
    """
    doc, node = load_yaml(path, PolicyError)
    doc = dates_to_text(doc)
    errors = sorted(_validator().iter_errors(doc), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))) if validate else []
    if errors:
        err = max(errors, key=lambda e: len(e.absolute_path)) if not isinstance(doc, dict) else errors[-1]
        where = f"{path}:{line_of(node, list(err.absolute_path))}"
        msg = err.message if err.validator != "oneOf" else (
            f"not a known condition or invalid arguments (conditions: {', '.join(sorted(REGISTRY))})")
        raise PolicyError(f"{json_path(list(err.absolute_path))}: {msg}", where)
    if doc["id"] != path.stem:
        raise PolicyError(f"policy id {doc['id']!r} differs from the file name {path.stem!r}", f"{path}:{line_of(node, ['id'])}")
    exprs: list[tuple[list[str | int], str]] = [(["when"], doc["when"])] if "when" in doc else []
    exprs += [(["require", i, "cel", "expr"], item["cel"]["expr"]) for i, item in enumerate(doc["require"]) if "cel" in item]
    for place, expr in exprs:
        try:
            compile_expr(expr)
        except Exception as exc:
            raise PolicyError(f"{json_path(place)}: invalid CEL: {str(exc).splitlines()[0]}", f"{path}:{line_of(node, place)}") from None
    applies = doc["applies_to"]
    return Policy(
        when=doc.get("when"),
        id=doc["id"], pack=pack, title=doc["title"], description=doc.get("description", ""),
        severity=Severity(doc["severity"]), enforcement=Enforcement(doc["enforcement"]),
        data_classes=frozenset(applies["data_classes"]), types=tuple(applies.get("types") or ()),
        require=tuple((next(iter(item)), dict(next(iter(item.values())))) for item in doc["require"]),
        unresolved=doc.get("unresolved", "block"), remediation=doc["remediation"],
        references=tuple((r["title"], r["url"]) for r in doc["references"]), path=path)


DEFAULT_PACKS = ("hds", "extraterritorial")
"""Packs run when neither --pack nor the configuration names any: the ones for health data."""


def load_packs(names: Sequence[str] | None = None, roots: Sequence[Path] | None = None,
               validate: bool | None = None) -> list[Policy]:
    """Load the named packs (default: :data:`DEFAULT_PACKS`), sorted by policy id.

    ``validate``: True checks every file against the schema, None (default) all but the
    built-in packs, False none.

    Raises:
        PolicyError: an unknown pack, an invalid policy, or two policies with one id.
    """
    known = available_packs(roots)
    chosen = list(names) if names else [p for p in DEFAULT_PACKS if p in known]
    policies: dict[str, Policy] = {}
    for pack in chosen:
        if pack not in known:
            raise PolicyError(f"unknown policy pack {pack!r} (available: {', '.join(sorted(known))})")
        builtin = known[pack].parent.resolve() == builtin_policy_dir().resolve()
        for path in sorted(known[pack].glob("*.yaml")):
            pol = load_policy(path, pack, validate if validate is not None else not builtin)
            if pol.id in policies:
                raise PolicyError(f"policy id {pol.id} is defined twice: {policies[pol.id].path} and {path}", str(path))
            policies[pol.id] = pol
    return sorted(policies.values(), key=lambda p: p.id)


def lowered_warnings(policies: Sequence[Policy], reasons: Mapping[str, str], where: str | None) -> list[str]:
    """One warning per policy a project made advisory, with its reason (for every report)."""
    return [f"{p.id} is advisory by {where or 'the project configuration'} (its pack says blocking): {reasons[p.id]}"
            for p in policies if p.id in reasons and p.enforcement is Enforcement.ADVISORY]


def with_enforcement(policies: Sequence[Policy], overrides: Mapping[str, Enforcement], where: str | None = None,
                     lines: Mapping[str, str] | None = None, reasons: Mapping[str, str] | None = None) -> list[Policy]:
    """Apply per-project enforcement levels (``enforcement:`` in .sovpolicy.yaml).

    A hard-mandatory policy cannot be lowered (as in Sentinel): it is the floor the
    policy's authors set, so a project may only raise enforcement for it. Lowering a
    soft-mandatory one to advisory needs a reason (``reasons``), which every report then
    shows as a warning (:func:`lowered_warnings`).

    Raises:
        PolicyError: an override names a policy that is not loaded, or lowers a
            hard-mandatory one (naming the line, from ``lines``: policy id -> ``file:line``).
    """
    ids = {p.id for p in policies}
    unknown = sorted(set(overrides) - ids)
    if unknown:
        first = (lines or {}).get(unknown[0], where)
        raise PolicyError(f"enforcement override for unknown or unloaded policy {', '.join(unknown)}", first)
    for p in policies:
        if p.id in overrides and p.enforcement is Enforcement.HARD_MANDATORY and overrides[p.id] is not Enforcement.HARD_MANDATORY:
            raise PolicyError(f"$.enforcement.{p.id}: {p.id} is hard-mandatory and cannot be lowered to "
                              f"{overrides[p.id].value} by a project configuration", (lines or {}).get(p.id, where))
        if (p.id in overrides and p.enforcement is Enforcement.SOFT_MANDATORY and overrides[p.id] is Enforcement.ADVISORY
                and not (reasons or {}).get(p.id)):
            raise PolicyError(f"$.enforcement.{p.id}: lowering soft-mandatory {p.id} to advisory needs a reason: "
                              f"write {{level: advisory, reason: ...}}", (lines or {}).get(p.id, where))
    return [replace(p, enforcement=overrides[p.id]) if p.id in overrides else p for p in policies]
