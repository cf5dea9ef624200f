"""The backup file on disk: atomic write and a bounded read (the one door for its bytes).

The format itself (JSON, checksum, gzip, versions) is pure and lives in
``core/transfer.py``; this module only moves its bytes to and from disk.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ratings_gui.sources.base import SourceError, read_regular_file


def wants_gzip(path: str | Path) -> bool:
    return str(path).lower().endswith((".gz", ".gzip"))


def write_atomically(path: str | Path, data: bytes) -> int:
    """Write via a temp file beside it and a rename; returns the bytes written.

    A crash or a full disk leaves the old file (or none), never half a backup.
    """
    p = Path(path)
    if p.is_dir():
        raise SourceError(f"{p} is a folder; give a file name for the backup.")
    if not p.parent.exists():
        raise SourceError(f"The folder {p.parent} does not exist.")
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
        tmp = ""
    except OSError as exc:
        raise SourceError(f"{p} cannot be written ({exc.strerror or exc}).") from exc
    finally:
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return len(data)


def read_bounded(path: str | Path, max_bytes: int) -> bytes:
    """A regular file's bytes, refused with a plain message when missing, a folder or too big."""
    p = Path(path)
    try:
        if p.is_dir():
            raise SourceError(f"{p} is a folder, not a backup file.")
        size = p.stat().st_size
        if size > max_bytes:
            raise SourceError(f"{p.name or p} is {size:,} bytes: too big to be a ratings backup.")
        return read_regular_file(p, max_bytes)  # refuses /dev/zero and FIFOs at once
    except FileNotFoundError:
        raise SourceError(f"{p} does not exist.") from None
    except OSError as exc:
        raise SourceError(f"{p} cannot be read ({exc.strerror or exc}).") from None
