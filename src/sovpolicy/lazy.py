"""``cached``: a value computed on first use and kept on the instance.

:class:`functools.cached_property` does the same, but on Python before 3.12 it takes a
lock on every first use; the scan's model objects (addresses, resources) are made by the
tens of thousands and each read once or twice, so that lock cost more than the values.
Like it, ``cached`` is a non-data descriptor: the value is stored in the instance's
``__dict__`` (frozen dataclasses included), where later reads find it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class cached(Generic[T]):
    """Decorator: the method's result, computed once per instance."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> cached[T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> T | cached[T]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value
