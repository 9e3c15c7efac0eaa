"""What the flow rules see of one resource instance: the :class:`Subject` a reader gives
(:mod:`~sovpolicy.sources.planflows`, :mod:`~sovpolicy.sources.hclflows`, Azure's
resources), the references it follows (:class:`Refs`, :class:`Target`), the markers of a
value that cannot be read (:data:`UNKNOWN`, :data:`SENSITIVE`) and the walk of nested
blocks (:func:`expand`). No rule is applied here (:mod:`~sovpolicy.sources.flows`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..model import DataLink, Flow, Placement

Step = str | int
"""A step of an attribute path: a name, or an index in a list of blocks."""


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNKNOWN = _Marker("UNKNOWN")
"""A value known only after apply."""
SENSITIVE = _Marker("SENSITIVE")
"""A value marked sensitive: never read."""


@dataclass(frozen=True)
class Target:
    """A resource instance a configuration expression references.

    Attributes:
        index: its position in the subjects passed to :func:`follow`.
        trace: the references followed to reach it, outermost first
            (``var.replication``, ``module.records_dr.bucket_arn``, ``aws_s3_bucket.replica.arn``).
    """

    index: int
    trace: tuple[str, ...]


@dataclass(frozen=True)
class Refs:
    """What the configuration says at one attribute path.

    Attributes:
        targets: the resource instances it references.
        constant: the expression is a literal (no reference at all).
        unfollowed: references that lead to no resource instance (a root variable, a data
            source, a local value, a module output sovpolicy cannot read).
    """

    targets: tuple[Target, ...] = ()
    constant: bool = False
    unfollowed: tuple[str, ...] = ()


class Subject(Protocol):
    """One resource instance as a reader exposes it for flow extraction."""

    @property
    def address(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def placement(self) -> Placement: ...

    @property
    def provider_config(self) -> str | None:
        """Which provider configuration serves it (same one: same account), or None when
        the input does not tell."""
        ...

    def names(self) -> Sequence[str]:
        """The top-level attribute and block names its configuration or values set."""
        ...

    def value(self, path: Sequence[Step]) -> Any:
        """The plain value at ``path`` (names and list indices), :data:`UNKNOWN`,
        :data:`SENSITIVE`, or None when unset."""
        ...

    def refs(self, path: Sequence[Step | None], deep: bool = False) -> Refs | None:
        """The configuration at ``path`` (a list step without index, or ``None``, means
        every element); ``deep``: every reference below it. None when the configuration
        does not set it."""
        ...

    def where(self, path: Sequence[Step]) -> str:
        """Where the value at ``path`` is read, for evidence (a plan path, ``file:line``)."""
        ...


@dataclass(frozen=True)
class Followed:
    """What :func:`follow` finds for one subject."""

    flows: tuple[Flow, ...] = ()
    data_from: tuple[DataLink, ...] = ()


NOTHING = Followed()
"""What most subjects get: no flow, no link."""


def path_text(path: Sequence[Step | None]) -> str:
    """``("rule", 0, "destination", 0, "bucket")`` -> ``rule[0].destination[0].bucket``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif step is None:
            out += "[*]"
        else:
            out += ("." if out else "") + step
    return out


def expand(subject: Subject, base: tuple[Step, ...], names: Sequence[str]) -> list[tuple[tuple[Step, ...], Any]]:
    """Every concrete path (with list indices) reached from ``base`` along ``names``, with
    its value; lists of blocks fan out. An unknown or sensitive node ends its branch.

    The elements of a list are read through the subject (which applies the unknown and
    sensitive masks) only at the last step or when one is missing; above that, a block
    read from the list is only walked through, never used as a value."""
    out: list[tuple[tuple[Step, ...], Any]] = [(base, None)]
    last = len(names) - 1
    for k, name in enumerate(names):
        nxt: list[tuple[tuple[Step, ...], Any]] = []
        for path, _ in out:
            p = path + (name,)
            v = subject.value(p)
            if isinstance(v, list):
                nxt += [(p + (i,), subject.value(p + (i,)) if k == last or item is None else item)
                        for i, item in enumerate(v)]
            else:
                nxt.append((p, v))
        out = nxt
    return out
