"""The one door for files the program writes: safe text, checked targets, atomic writes.

Paths come from the user and may not be UTF-8 (``os.fsdecode(b'\\xff.csv')``
holds a lone surrogate that no UTF-8 writer accepts); targets may be a
device, a pipe or a folder; disks fill up. Every path shown in a message or
written into a file goes through :func:`display_path` / :func:`safe_text`,
and every file goes through :func:`atomic_open`: it refuses what is not a
regular file before a byte is written, and a failure leaves the old file
(or none), never half of one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ratings_gui import atomic

from .base import SourceError, display_path, safe_text

__all__ = [
    "DISK_FULL",
    "WriteError",
    "atomic_open",
    "check_target",
    "display_path",
    "safe_text",
    "write_bytes_atomically",
    "write_error",
]

#: The one sentence for a full disk (or quota): never the raw OSError text.
DISK_FULL = "the disk is full; nothing was written"


class WriteError(SourceError, OSError):
    """A file could not be written; ``str()`` is the whole plain sentence.

    It is an OSError too, whose ``strerror`` is the plain reason alone
    (``the disk is full; nothing was written``), so callers that catch
    OSError and show ``f"{path} cannot be written ({exc.strerror})"`` keep
    working and show plain words instead of the system's.
    """

    def __init__(self, message: str, reason: str = "", code: int | None = None) -> None:
        OSError.__init__(self, code or 0, reason or message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_target(path: str | os.PathLike[str]) -> Path:
    """The real file to replace for ``path``; WriteError when it is not a regular file.

    A symlink is followed (its target is replaced, the link stays); a device
    such as ``/dev/full``, a FIFO or a folder is refused before anything is
    written, so it is never swapped for a regular file by the rename.
    """
    p = Path(path)
    shown = display_path(p)
    try:
        real = Path(os.path.realpath(p))
        st: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        st = None
    except ValueError as exc:  # a NUL byte in the name
        reason = "it is not a usable file name; nothing was written"
        raise WriteError(f"{shown} cannot be written: {reason}.", reason) from exc
    except OSError as exc:  # a symlink loop, no permission to look
        raise write_error(exc, p) from exc
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = _kind_of(st.st_mode)
        raise WriteError(
            f"{shown} is {kind}, not a file: nothing was written. Give the name of a file.",
            f"it is {kind}, not a file; nothing was written",
        )
    if not real.parent.is_dir():
        reason = f"the folder {display_path(p.parent)} does not exist; nothing was written"
        raise WriteError(
            f"The folder {display_path(p.parent)} does not exist: nothing was written.", reason
        )
    return real


def write_error(exc: OSError, path: str | os.PathLike[str]) -> WriteError:
    """An OSError of a write -> one plain sentence (a full disk says exactly that)."""
    if isinstance(exc, WriteError):
        return exc
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        reason = DISK_FULL
    elif code == errno.EFBIG:
        reason = "the file would be too big; nothing was written"
    elif code in (errno.EACCES, errno.EPERM):
        reason = "permission denied; nothing was written"
    elif code == errno.EROFS:
        reason = "the disk is read-only; nothing was written"
    else:
        what = safe_text(exc.strerror or type(exc).__name__).lower()
        reason = f"{what}; nothing was written"
    return WriteError(f"{display_path(path)} cannot be written: {reason}.", reason, code)


def _new_file_mode(target: Path) -> int:
    """The mode the replaced file had, else what a plain ``open`` would give."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temp file beside ``path``; on success it replaces ``path`` in one rename.

    Anything raised inside the block (a full disk, an encoding error, a bug)
    removes the temp file and leaves the old ``path`` untouched; an OSError
    comes out as a :class:`WriteError` with a plain message.
    """
    if "w" not in mode:
        raise ValueError("atomic_open writes; use 'w' or 'wb'")
    target = check_target(path)
    mode_after = _new_file_mode(target)
    try:
        with atomic.replacing(
            target, suffix=".tmp", mode=mode, finish=lambda tmp: os.chmod(tmp, mode_after), **kwargs
        ) as fh:
            yield fh
    except atomic.AtomicError as exc:
        raise write_error(exc.error, path) from exc.error


def write_bytes_atomically(path: str | os.PathLike[str], data: bytes) -> int:
    """``data`` to ``path`` through :func:`atomic_open`; returns the bytes written."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return len(data)
