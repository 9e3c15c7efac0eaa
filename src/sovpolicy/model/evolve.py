"""A fast copy of a frozen model object with some fields changed.

:func:`dataclasses.replace` runs the class's ``__init__`` again, which for a frozen
dataclass sets every field through ``object.__setattr__``: on a 50,000-resource plan the
copies a scan makes (one finding per resource alike, one resource per classification)
cost more than their evaluation. :func:`evolve` copies the instance's ``__dict__`` once and
changes the named fields. The model's classes have no ``__post_init__`` and no field with
``init=False``; values computed lazily (``cached``, ``cached_property``) are dropped, never carried to
an object whose fields differ.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import Any, TypeVar

from ..lazy import cached

T = TypeVar("T")

_SHAPES: dict[type, tuple[frozenset[str], tuple[str, ...]]] = {}


def _shape(cls: type) -> tuple[frozenset[str], tuple[str, ...]]:
    shape = _SHAPES.get(cls)
    if shape is None:
        if hasattr(cls, "__post_init__") or hasattr(cls, "__slots__"):
            raise TypeError(f"evolve() copies plain frozen dataclasses only, not {cls.__name__}")
        lazy = tuple(n for k in cls.__mro__ for n, v in vars(k).items() if isinstance(v, (cached_property, cached)))
        shape = _SHAPES[cls] = (frozenset(f.name for f in dataclasses.fields(cls)), lazy)
    return shape


def evolve(obj: T, **changes: Any) -> T:
    """``obj`` with ``changes`` (field name -> value), as :func:`dataclasses.replace` gives it.

    Raises:
        TypeError: a name that is not a field of the object's class.
    """
    cls = type(obj)
    names, cached = _shape(cls)
    for name in changes:
        if name not in names:
            raise TypeError(f"{cls.__name__} has no field {name!r}")
    new = object.__new__(cls)
    values = new.__dict__
    values.update(obj.__dict__)
    for name in cached:
        values.pop(name, None)
    values.update(changes)
    return new
