"""The backup file on disk: atomic write and a bounded read (the one door for its bytes).

The format itself (JSON, checksum, gzip, versions) is pure and lives in
``core/backup.py``; this module only moves its bytes to and from disk.
"""

from __future__ import annotations

from pathlib import Path

from ratings_gui.sources.base import SourceError, read_regular_file
from ratings_gui.sources.files import display_path, write_bytes_atomically


def wants_gzip(path: str | Path) -> bool:
    return str(path).lower().endswith((".gz", ".gzip"))


def write_atomically(path: str | Path, data: bytes) -> int:
    """Write via a temp file beside it and a rename; returns the bytes written.

    A crash or a full disk leaves the old file (or none), never half a backup;
    a device, pipe or folder given as the target is refused before anything
    is written (``backup /dev/full`` once replaced the device with a file).
    Every failure is a SourceError with one plain sentence.
    """
    return write_bytes_atomically(path, data)


def read_bounded(path: str | Path, max_bytes: int) -> bytes:
    """A regular file's bytes, refused with a plain message when missing, a folder or too big."""
    p = Path(path)
    shown = display_path(p)
    try:
        if p.is_dir():
            raise SourceError(f"{shown} is a folder, not a backup file.")
        size = p.stat().st_size
        if size > max_bytes:
            name = display_path(p.name) if p.name else shown
            raise SourceError(f"{name} is {size:,} bytes: too big to be a ratings backup.")
        return read_regular_file(p, max_bytes)  # refuses /dev/zero and FIFOs at once
    except FileNotFoundError:
        raise SourceError(f"{shown} does not exist.") from None
    except OSError as exc:
        raise SourceError(f"{shown} cannot be read ({exc.strerror or exc}).") from None
