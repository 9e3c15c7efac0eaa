"""Terraform resource addresses, parsed with a real tokenizer.

``module.a["k.x"].module.b[0].data.aws_s3_bucket.x["eu"]`` -> module steps
``[("a", '"k.x"'), ("b", "0")]``, mode ``data``, type ``aws_s3_bucket``, name ``x``,
key ``'"eu"'``. Instance keys are kept as written (JSON-quoted strings or integers);
strings may hold dots, brackets and escaped quotes (Terraform's resource addressing
reference).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .errors import InputError
from .lazy import cached


@dataclass(frozen=True)
class Address:
    """A parsed resource instance address.

    Attributes:
        modules: ``(name, key or None)`` per module step, outermost first.
        mode: ``managed`` or ``data``.
        type: resource type, or ``""`` when the address names only a module.
        name: resource name, or ``""``.
        key: instance key as written (``0``, ``"eu"`` with its quotes), or None.
    """

    modules: tuple[tuple[str, str | None], ...]
    mode: str
    type: str
    name: str
    key: str | None

    @cached
    def module_path(self) -> str:
        """Module path without instance keys: ``module.a.module.b`` (``""`` for root)."""
        return ".".join(f"module.{m}" for m, _ in self.modules)

    @cached
    def module_instance(self) -> str:
        """Module path with instance keys: ``module.a["k"].module.b[0]``."""
        return ".".join(f"module.{m}" + (f"[{k}]" if k is not None else "") for m, k in self.modules)

    @property
    def config_address(self) -> str:
        """The resource's address inside its module, without instance key: ``data.aws_x.y``."""
        prefix = "data." if self.mode == "data" else ""
        return f"{prefix}{self.type}.{self.name}"


def _read_key(text: str, i: int, address: str) -> tuple[str, int]:
    """Read ``[...]`` starting at ``text[i] == "["``; return (key as written, next index)."""
    j = i + 1
    if j < len(text) and text[j] == '"':
        k = j + 1
        while k < len(text):
            if text[k] == "\\":
                k += 2
                continue
            if text[k] == '"':
                break
            k += 1
        else:
            raise InputError(f"unterminated string key in address {address!r}")
        key = text[j : k + 1]
        json.loads(key)  # validates escapes
        end = k + 1
    else:
        end = text.find("]", j)
        if end < 0:
            raise InputError(f"unterminated index in address {address!r}")
        key = text[j:end]
        if not key.lstrip("-").isdigit() and key != "*":
            raise InputError(f"index {key!r} is neither a number nor a string in address {address!r}")
    if end >= len(text) or text[end] != "]":
        raise InputError(f"expected ']' in address {address!r}")
    return key, end + 1


def _read_name(text: str, i: int) -> tuple[str, int]:
    j = i
    while j < len(text) and text[j] not in '.["':
        j += 1
    return text[i:j], j


_SIMPLE = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[(\d+|"[^"\\\[\]]*")\])?')


def parse_address(address: str) -> Address:
    """Parse an absolute resource (instance) address.

    Args:
        address: e.g. ``module.net["eu"].aws_subnet.a[0]``.

    Returns:
        The parsed :class:`Address`.

    Raises:
        InputError: when the address is malformed.
    """
    m = _SIMPLE.fullmatch(address)
    if m is not None and m.group(1) not in ("module", "data"):  # the common case: TYPE.NAME, [i] or ["key"]
        return Address((), "managed", m.group(1), m.group(2), m.group(3))
    i = 0
    modules: list[tuple[str, str | None]] = []
    text = address
    while text.startswith("module.", i):
        name, i = _read_name(text, i + len("module."))
        if not name:
            raise InputError(f"empty module name in address {address!r}")
        key = None
        if i < len(text) and text[i] == "[":
            key, i = _read_key(text, i, address)
        modules.append((name, key))
        if i < len(text):
            if text[i] != ".":
                raise InputError(f"unexpected {text[i]!r} in address {address!r}")
            i += 1
    if i >= len(text):
        return Address(tuple(modules), "managed", "", "", None)
    mode = "managed"
    if text.startswith("data.", i):
        mode = "data"
        i += len("data.")
    rtype, i = _read_name(text, i)
    if i >= len(text) or text[i] != ".":
        raise InputError(f"expected TYPE.NAME in address {address!r}")
    rname, i = _read_name(text, i + 1)
    if not rtype or not rname:
        raise InputError(f"expected TYPE.NAME in address {address!r}")
    key = None
    if i < len(text) and text[i] == "[":
        key, i = _read_key(text, i, address)
    if i != len(text):
        raise InputError(f"unexpected trailing text {text[i:]!r} in address {address!r}")
    return Address(tuple(modules), mode, rtype, rname, key)


def split_reference(ref: str) -> list[tuple[str, str | None]]:
    """Split a configuration reference into ``(name, key or None)`` steps.

    ``module.records_dr["prod"].bucket_arn`` -> ``[("module", None), ("records_dr",
    '"prod"'), ("bucket_arn", None)]``; ``aws_db_subnet_group.replica[0].name`` ->
    ``[("aws_db_subnet_group", None), ("replica", "0"), ("name", None)]``. A key that is
    not a literal (``[each.key]``) ends the split there.
    """
    steps: list[tuple[str, str | None]] = []
    i = 0
    while i < len(ref):
        name, i = _read_name(ref, i)
        key = None
        if i < len(ref) and ref[i] == "[":
            try:
                key, i = _read_key(ref, i, ref)
            except (InputError, ValueError):
                steps.append((name, None))
                return steps
        steps.append((name, key))
        if i < len(ref):
            if ref[i] != ".":
                return steps
            i += 1
    return steps
