"""Policies: load packs, the condition registry, the generated schema, and evaluation."""

from .evaluate import applies, evaluate
from .load import (
    DEFAULT_PACKS,
    Policy,
    available_packs,
    builtin_policy_dir,
    load_packs,
    load_policy,
    lowered_warnings,
    pack_roots,
    with_enforcement,
)

__all__ = ["DEFAULT_PACKS", "Policy", "pack_roots", "with_enforcement", "applies", "available_packs", "builtin_policy_dir", "evaluate", "load_packs", "load_policy", "lowered_warnings"]
