"""Where the policy packs are: the built-in ones, installed plugins', and directories given.

Apart from the loader (:mod:`.policy.load`, which imports YAML, the condition registry and
the evaluator): finding the packs and their files is all a scan answered by the scan cache
needs, and it reads no policy.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .errors import PolicyError


def builtin_policy_dir() -> Path:
    """The built-in packs: ``sovpolicy/_policies`` in a wheel, ``policies/`` in a checkout, or
    the pinned copy named by ``SOVPOLICY_BUILTIN_POLICIES`` (the tests' frozen packs)."""
    pinned = os.environ.get("SOVPOLICY_BUILTIN_POLICIES")
    if pinned:
        return Path(pinned)
    packaged = Path(__file__).parent / "_policies"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "policies"
    if checkout.is_dir():
        return checkout
    raise PolicyError("the built-in policy packs are missing from this installation", str(packaged))


def pack_roots(extra: Sequence[Path] = ()) -> list[Path]:
    """Directories holding packs: built-in, then installed plugins, then ``extra``.

    A plugin is a distribution with an entry point in the group ``sovpolicy.packs``
    whose object is a callable returning a directory of packs (or the directory path).
    """
    from importlib.metadata import entry_points

    roots = [builtin_policy_dir()]
    for ep in entry_points(group="sovpolicy.packs"):
        try:
            obj = ep.load()
            roots.append(Path(obj() if callable(obj) else obj))
        except Exception as exc:
            raise PolicyError(f"policy pack plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from None
    for d in extra:
        if not Path(d).is_dir():
            raise PolicyError("policy directory not found", str(d))
        roots.append(Path(d))
    return roots


def available_packs(roots: Sequence[Path] | None = None) -> dict[str, Path]:
    """Pack name -> directory, over ``roots`` (default: :func:`pack_roots`).

    Raises:
        PolicyError: when two roots define a pack of the same name.
    """
    packs: dict[str, Path] = {}
    for root in roots if roots is not None else pack_roots():
        for p in sorted(root.iterdir()):
            if p.is_dir() and any(p.glob("*.yaml")):
                if p.name in packs:
                    raise PolicyError(f"policy pack {p.name!r} is defined twice: {packs[p.name]} and {p}")
                packs[p.name] = p
    return packs
