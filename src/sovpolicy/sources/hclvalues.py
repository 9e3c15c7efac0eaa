"""Values of Terraform expressions evaluated from source, and their provenance.

Values are plain Python: ``str``, ``int``/``float``, ``bool``, ``None``, ``list`` (tuples
and sets), ``dict`` (objects and maps), plus two markers: :class:`Unknown` (the value
cannot be known from source, with the reason) and :class:`Sensitive` (derived from a
``sensitive`` variable, printed as ``(sensitive)``). A :class:`Step` is one hop of a
value's provenance (a variable, a local, a module argument), so a placement can name
where its region was set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REDACTED = "(sensitive)"


@dataclass(frozen=True)
class Unknown:
    """A value the source alone cannot tell, and why (``error``: Terraform would reject it)."""

    reason: str
    error: bool = False


@dataclass(frozen=True)
class Sensitive:
    """A value derived from a sensitive variable."""

    value: Any


@dataclass(frozen=True)
class Step:
    """One hop of a value's provenance.

    Attributes:
        kind: ``variable`` (a root variable), ``module`` (a module call's argument),
            ``local``, ``resource`` (another resource's attribute), ``default`` (a
            variable's default), ``tfvars`` (a variables file).
        where: ``file:line`` and what was read there.
        default: the value is a variable's declared default (not set by the caller).
    """

    kind: str
    where: str
    default: bool = False


def unknown_in(*values: Any) -> Unknown | None:
    """The first Unknown among ``values`` (not looking inside collections), else None."""
    for v in values:
        if isinstance(v, Unknown):
            return v
    return None


def plain(value: Any) -> tuple[Any, bool]:
    """Unwrap a :class:`Sensitive`: ``(value, was_sensitive)``."""
    if isinstance(value, Sensitive):
        return value.value, True
    return value, False


def redact(value: Any) -> Any:
    """The value with every sensitive part replaced by ``(sensitive)`` (for reports)."""
    if isinstance(value, Sensitive):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def to_string(value: Any) -> str | Unknown:
    """Terraform's string conversion of a primitive (``true``, ``3``, ``1.5``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    if value is None:
        return Unknown("a null value cannot be used in a string template", error=True)
    return Unknown(f"a {type(value).__name__} cannot be used as a string", error=True)
