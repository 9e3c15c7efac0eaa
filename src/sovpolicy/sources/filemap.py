"""Input files mapped into memory instead of read: a 275 MB plan is never held whole.

The kernel brings a mapped file's pages in as they are read and :func:`release` lets them
go again (they count in the process's resident memory while mapped in), so a reader that
works through a file front to back holds only what it has decoded, plus the pages it is on.
"""

from __future__ import annotations

import mmap
import os

Buffer = bytes | mmap.mmap
"""A whole file's bytes: mapped (``mmap``), or ``bytes`` for an empty file (which cannot be mapped)."""

_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)


def map_fd(fd: int) -> Buffer:
    """The file open on ``fd``, mapped read-only (``b""`` when it is empty)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return b""
    return mmap.mmap(fd, size, access=mmap.ACCESS_READ)


def release(buf: Buffer) -> None:
    """Drop the mapped pages from the process's memory (they are read again from the page
    cache if touched again); nothing for ``bytes``."""
    if isinstance(buf, mmap.mmap) and _DONTNEED is not None and not buf.closed:
        buf.madvise(_DONTNEED)


def as_bytes(buf: Buffer) -> bytes:
    """The whole file as ``bytes`` (for the paths that need them: small inputs, error messages)."""
    return buf if isinstance(buf, bytes) else buf[:]
