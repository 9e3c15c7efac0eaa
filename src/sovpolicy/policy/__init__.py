"""Policies: load packs, the condition registry, the generated schema, and evaluation.
Where the packs are is :mod:`sovpolicy.packs` (re-exported here)."""

from ..packs import available_packs, builtin_policy_dir, pack_roots
from .evaluate import applies, evaluate
from .load import (
    DEFAULT_PACKS,
    Policy,
    load_packs,
    load_policy,
    lowered_warnings,
    with_enforcement,
)

__all__ = ["DEFAULT_PACKS", "Policy", "pack_roots", "with_enforcement", "applies", "available_packs", "builtin_policy_dir", "evaluate", "load_packs", "load_policy", "lowered_warnings"]
