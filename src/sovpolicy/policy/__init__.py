"""Policies: load packs, the condition registry, the generated schema, and evaluation."""

from .evaluate import applies, evaluate
from .load import Policy, available_packs, builtin_policy_dir, load_packs, load_policy

__all__ = ["Policy", "applies", "available_packs", "builtin_policy_dir", "evaluate", "load_packs", "load_policy"]
