"""Replace a file in one rename: a temp file beside it, on disk first, then ``os.replace``.

The one implementation behind both doors that write files: ``tags`` (audio
files) and ``sources`` (exports, backups). A reader never sees a half-written
file, and a crash leaves the original whole (at worst a stray temp file,
which the callers know by its name). It imports nothing of the package, so
both layers may use it; each says its own plain message for the step that
failed (:class:`AtomicError`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

#: The steps an OSError can happen at, as :attr:`AtomicError.step` names them.
CREATE = "create"
WRITE = "write"
REPLACE = "replace"


class AtomicError(Exception):
    """An OSError of an atomic replace and the step it happened at; the target is untouched."""

    def __init__(self, step: str, error: OSError) -> None:
        super().__init__(f"{step}: {error}")
        self.step = step
        self.error = error


def sync_folder(folder: str | os.PathLike[str]) -> None:
    """Make a rename itself durable where the system allows it (not on Windows)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temp_beside(
    target: str,
    folder: str,
    suffix: str,
    created: Callable[[int, str], None] | None,
    lock: contextlib.AbstractContextManager[Any] | None,
) -> tuple[int, str]:
    """A new temp file ``.NAME.<random><suffix>`` in the target's folder (one disk: the
    rename is atomic), handed to ``created`` under ``lock``."""
    try:
        with lock if lock is not None else contextlib.nullcontext():
            fd, tmp = tempfile.mkstemp(
                prefix=f".{os.path.basename(target)}.", suffix=suffix, dir=folder
            )
            if created is not None:
                created(fd, tmp)
    except OSError as exc:
        raise AtomicError(CREATE, exc) from exc
    return fd, tmp


@contextlib.contextmanager
def replacing(
    path: str | os.PathLike[str],
    *,
    suffix: str,
    mode: str = "wb",
    created: Callable[[int, str], None] | None = None,
    lock: contextlib.AbstractContextManager[Any] | None = None,
    finish: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> Iterator[IO[Any]]:
    """A file object for the new content; on a clean exit it replaces ``path`` in one rename.

    ``created(fd, tmp)`` runs right after the temp file is made, under
    ``lock`` (a caller that sweeps stray temp files marks it live there);
    ``finish(tmp)`` runs once the data is on disk, before the rename
    (permissions, times, a check of what was written). Anything raised
    deletes the temp file and leaves ``path`` as it was; an OSError comes
    out as :class:`AtomicError` with its step, the rest as raised.
    """
    target = os.fspath(path)
    folder = os.path.dirname(target) or "."
    fd, tmp = _temp_beside(target, folder, suffix, created, lock)
    fh: IO[Any] | None = None
    try:
        try:
            fh = os.fdopen(fd, mode, **kwargs)
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            if os.name != "posix":  # Windows cannot replace a file that is still open
                fh.close()
            if finish is not None:
                finish(tmp)
        except OSError as exc:
            raise AtomicError(WRITE, exc) from exc
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise AtomicError(REPLACE, exc) from exc
        tmp = ""
        sync_folder(folder)
    finally:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if fh is not None:
            # a lock the caller holds on the temp file ends only now; a failed write's
            # buffer fails again here and must not hide the first error
            with contextlib.suppress(OSError):
                fh.close()
        elif tmp:
            with contextlib.suppress(OSError):
                os.close(fd)
