"""The registry of sources: which module reads which input.

File inputs are recognised by content, not by name: a JSON document is a Terraform plan,
a Terraform state, or one of the inventory exports below, decided by :attr:`FileKind.sniff`
in the order of :data:`FILE_KINDS`. Terraform source (``.tf``, ``.tf.json``, ``.tfvars``,
``.tfvars.json`` files and directories) is recognised by name, as Terraform itself does,
and mapped to the root modules to scan. Live clouds are asked for by flags
(the modules named by :data:`.liveflags.FLAGS`, with their flags).

Adding a source is one new module (a class with ``kind``, ``input`` and
``read(ctx) -> SourceOutput``, see :mod:`.base`) plus one line here (for a live source, one
entry of :data:`.liveflags.FLAGS`, its flags).
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import importlib
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import msgspec

from ..errors import InputError, UsageError
from ..model import SourceKind
from .base import ReadContext, Source, SourceOutput
from .filemap import Buffer, as_bytes, map_fd, release
from .hclnames import CONFIG_SUFFIXES, TFVARS_SUFFIXES
from .liveflags import asked

_NON_SPACE = re.compile(rb"\S")
HCL_SUFFIXES = (*CONFIG_SUFFIXES, *TFVARS_SUFFIXES)


class Peek:
    """One JSON input file, mapped once (:mod:`.filemap`), for the sniffers.

    ``buf``: the mapped file; ``data``: its bytes, copied only when asked for (small
    exports, error messages). ``keys``: its top-level keys when it is an object (a fast
    pass that decodes no value; ``top`` holds the values as slices), else None. ``doc``:
    the whole document decoded (only sniffers of small exports ask).
    """

    def __init__(self, path: Path, buf: Buffer) -> None:
        self.path = path
        self.buf = buf
        first = _NON_SPACE.search(buf)  # found in place: bytes.lstrip() would copy a whole plan
        self.start = buf[first.start():first.start() + 1] if first else b""
        """The first non-space byte (``b"{"`` for an object), ``b""`` for a blank file."""

    @cached_property
    def data(self) -> bytes:
        return as_bytes(self.buf)

    @cached_property
    def keys(self) -> frozenset[str] | None:
        return None if self.top is None else frozenset(self.top)

    @cached_property
    def top(self) -> dict[str, msgspec.Raw] | None:
        """The top-level values of an object, each a slice of ``buf`` (not decoded)."""
        if self.start != b"{":
            return None
        try:
            return msgspec.json.decode(self.buf, type=dict[str, msgspec.Raw])
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise _json_error(self.path, self.data, exc) from None
        except RecursionError:
            raise InputError(_TOO_DEEP, str(self.path)) from None
        finally:
            release(self.buf)

    @cached_property
    def doc(self) -> Any:
        try:
            return msgspec.json.decode(self.buf)
        except msgspec.DecodeError as exc:
            raise _json_error(self.path, self.data, exc) from None
        except RecursionError:
            raise InputError(_TOO_DEEP, str(self.path)) from None


_TOO_DEEP = "not a valid input: JSON nested too deeply to read"


def _json_error(path: Path, data: bytes, exc: Exception) -> InputError:
    from .planformat import json_position

    msg = str(exc)
    if not data.strip():
        return InputError("not valid JSON: the file is empty", str(path))
    if "truncated" in msg:
        msg = "the JSON ends before it is complete (truncated file?)"
    return InputError(f"not valid JSON: {msg}", str(path) + json_position(data, str(exc)))


def _tf_keys(peek: Peek) -> frozenset[str]:
    return peek.keys or frozenset()


def _is_plan(peek: Peek) -> bool:
    keys = _tf_keys(peek)
    return "format_version" in keys and bool(keys & {"planned_values", "resource_changes", "prior_state",
                                                     "configuration", "resource_drift"})


def _is_state(peek: Peek) -> bool:
    keys = _tf_keys(peek)
    return "format_version" in keys and "values" in keys


def _plan_source(path: Path, peek: Peek) -> Source:
    from .terraform import PlanSource

    return PlanSource(path, peek.buf, peek.top)


def _state_source(path: Path, peek: Peek) -> Source:
    from .tfstate import StateSource

    return StateSource(path, peek.data)


def _aws_tagging(peek: Peek) -> bool:
    from .aws_export import sniff_tagging

    return sniff_tagging(peek)


def _aws_config(peek: Peek) -> bool:
    from .aws_export import sniff_config

    return sniff_config(peek)


def _aws_export(path: Path, peek: Peek) -> Source:
    from .aws_export import make

    return make(path, peek)


@dataclass(frozen=True)
class FileKind:
    """One kind of JSON input.

    Attributes:
        name: short name (``plan``, ``state``, ``aws-tagging``...).
        describe: what it is and how it is made, for the error naming what was expected.
        sniff: True when the file is of this kind.
        make: builds the source for the file.
    """

    name: str
    describe: str
    sniff: Callable[[Peek], bool]
    make: Callable[[Path, Peek], Source]


def _azure_source(path: Path, peek: Peek) -> Source:
    from .azure_export import source_for

    return source_for(path, peek.doc)


def _azure(fmt: str) -> Callable[[Peek], bool]:
    def sniff(peek: Peek) -> bool:
        from .azure_export import sniff_peek

        return sniff_peek(fmt, peek.keys, lambda: peek.doc)
    return sniff


FILE_KINDS: list[FileKind] = [
    FileKind("plan", "a Terraform plan (`terraform show -json PLANFILE > plan.json`)", _is_plan, _plan_source),
    FileKind("state", "a Terraform state (`terraform show -json > state.json`)", _is_state, _state_source),
    FileKind("aws-tagging", "an AWS tagging API export (`aws resourcegroupstaggingapi get-resources`)", _aws_tagging, _aws_export),
    FileKind("aws-config", "AWS Config configuration items (`aws configservice select-resource-config`, "
             "`get-resource-config-history`, `list-discovered-resources`, or items saved as JSON)", _aws_config, _aws_export),
    FileKind("azure-arm", "an Azure ARM list response (`{\"value\": [...]}`)", _azure("azure-arm"), _azure_source),
    FileKind("azure-graph", "an Azure Resource Graph result (`az graph query -q ...`)", _azure("azure-graph"), _azure_source),
    FileKind("azure-cli", "`az resource list` output", _azure("azure-cli"), _azure_source),
    FileKind("azure-powershell", "`Get-AzResource | ConvertTo-Json` output", _azure("azure-powershell"), _azure_source),
]

#: Terraform's other JSON outputs, named when given as an input.
_OTHER_TERRAFORM = {
    "provider_schemas": "`terraform providers schema -json` output",
    "function_signatures": "`terraform metadata functions -json` output",
    "diagnostics": "`terraform validate -json` output",
}


def detect(path: Path) -> tuple[FileKind, Peek]:
    """The kind of a JSON input file.

    Raises:
        UsageError: the file cannot be read.
        InputError: not valid JSON, or JSON of no known kind (naming what was expected).
    """
    peek = Peek(path, map_regular(path))
    if peek.start not in (b"{", b"["):
        if not peek.start:
            raise InputError("not valid JSON: the file is empty", str(path))
        raise InputError("not JSON: " + _expected(), str(path))
    for kind in FILE_KINDS:
        if kind.sniff(peek):
            return kind, peek
    keys = _tf_keys(peek)
    if "format_version" in keys:
        what = next((v for k, v in _OTHER_TERRAFORM.items() if k in keys), "Terraform JSON with neither a plan nor state values")
        raise InputError(f"this is {what}, not an input sovpolicy scans: " + _expected(), str(path))
    raise InputError("not an input sovpolicy knows: " + _expected(), str(path))


def _expected() -> str:
    kinds = "; ".join(k.describe for k in FILE_KINDS)
    return f"expected one of: {kinds}; or .tf/.tf.json/.tfvars files or a module directory"


def check_path(path: Path, what: str = "input") -> os.stat_result:
    """``stat`` of an input path given on the command line, following links.

    Raises:
        UsageError: it does not exist, is a dangling link or a loop of links, cannot be
            looked at, or is neither a regular file nor a directory (a FIFO or a device
            would block the scan or never end).
    """
    try:
        st = path.stat()
    except OSError as exc:
        if path.is_symlink():
            if exc.errno == errno.ELOOP:
                raise UsageError(f"{what} is a loop of symbolic links", str(path)) from None
            raise UsageError(f"{what} is a symbolic link to a missing file", str(path)) from None
        if exc.errno == errno.ENOENT:
            raise UsageError("no such file or directory" if what == "input" else f"{what} not found", str(path)) from None
        raise UsageError(f"cannot read {what}: {exc.strerror}", str(path)) from None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise UsageError(f"{what} is {kind}: give a regular file or a directory", str(path))
    return st


def read_regular(path: Path, what: str = "input") -> bytes:
    """The bytes of a regular file, read once; never blocks on a FIFO or a device.

    Raises:
        UsageError: not a regular file (see :func:`check_path`), a directory, or unreadable.
    """
    return as_bytes(map_regular(path, what))


def map_regular(path: Path, what: str = "input") -> Buffer:
    """A regular file mapped into memory (:mod:`.filemap`); never blocks on a FIFO or a device.

    Raises:
        UsageError: not a regular file (see :func:`check_path`), a directory, or unreadable.
    """
    if stat.S_ISDIR(check_path(path, what).st_mode):
        raise UsageError(f"{what} is a directory, expected a file", str(path))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the check
                raise UsageError(f"{what} is not a regular file", str(path))
            return map_fd(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise UsageError(f"cannot read {what}: {exc.strerror}", str(path)) from None


def is_hcl(path: Path) -> bool:
    """Terraform source: a directory or a file named as Terraform reads it."""
    return path.is_dir() or path.name.lower().endswith(HCL_SUFFIXES)


def file_sources(paths: Sequence[Path], digests: bool = True) -> list[Source]:
    """The sources for the given files and directories, in order (Terraform source files
    mapped to their root modules, each root once, where the first of its files stands).

    ``digests``: each JSON input is digested (SHA-256) as it is read, for the evidence
    bundle's list of inputs; without one, nothing asks for it (a second pass over a
    275 MB plan).

    Raises:
        UsageError: a path that does not exist or cannot be read.
        InputError: a file of no known kind, or malformed JSON.
    """
    from .hclroots import fed_module, module_roots, tree_roots
    from .terraform import HclSource

    out: list[Source] = []
    seen_roots: set[Path] = set()
    for path in paths:
        st = check_path(path)
        if stat.S_ISDIR(st.st_mode) or is_hcl(path):
            roots, under = ([fed_module(path)], None) if not stat.S_ISDIR(st.st_mode) else tree_roots(path)
            for root in module_roots(roots):
                key = root.resolve()
                if key not in seen_roots:
                    seen_roots.add(key)
                    out.append(HclSource(root, found_under=under))
            continue
        kind, peek = detect(path)
        if not digests:
            out.append(kind.make(path, peek))
            continue
        digest = (len(peek.buf), hashlib.sha256(peek.buf).hexdigest())
        release(peek.buf)
        out.append(_Digested(kind.make(path, peek), str(path), digest))
    return out


@dataclass
class _Digested:
    """A file source whose bytes were digested as the registry read them (once): its
    output lists that file, for the evidence bundle."""

    inner: Source
    path: str
    digest: tuple[int, str]

    @property
    def kind(self) -> SourceKind:
        return self.inner.kind

    @property
    def input(self) -> str:
        return self.inner.input

    def read(self, ctx: ReadContext) -> SourceOutput:
        out = self.inner.read(ctx)
        out.files.setdefault(self.path, self.digest)
        return out


def live_sources(args: argparse.Namespace) -> list[Source]:
    """The live sources the flags ask for. A live source's module is imported only when one
    of its flags is given (:func:`.liveflags.asked`): it then makes its sources, or refuses
    the flags (``--profile`` without ``--aws``)."""
    out: list[Source] = []
    for name in asked(args):
        out.extend(importlib.import_module(name).sources_from_args(args))
    return out
