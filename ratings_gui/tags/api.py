"""Read and write rating tags in audio files: the public entry points.

Every write is crash-safe: the file is read into memory, its tags edited
there, the result written to a temporary file in the same folder, fsynced,
re-read to verify, and only then moved over the original with
``os.replace``. A crash leaves either the old file or the new one, never a
half-written one. Only the tag region changes; the audio payload is copied
as mutagen found it.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import os
import stat
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import mutagen

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted, which protects it as well
    fcntl = None  # type: ignore[assignment]

from ratings_gui import atomic
from ratings_gui.core import scale
from ratings_gui.core.scale import Rating, RatingError

from . import ape, asf, id3, mp4, vorbis
from .base import (
    LAYOUT_KEY,
    Family,
    ReadOptions,
    TagError,
    TagRating,
    apply_rating,
    decide,
    register,
)

__all__ = [
    "FAMILIES",
    "SUPPORTED_EXTENSIONS",
    "family_for",
    "read_many",
    "read_rating",
    "restore_fields",
    "snapshot_fields",
    "write_rating",
]

log = logging.getLogger(__name__)

DEFAULT_EMAIL = "Windows Media Player 9 Series"

#: One entry per tag family module, in the order content sniffing tries them.
FAMILIES: tuple[Family, ...] = tuple(
    register(f) for f in (id3.FAMILY, vorbis.FAMILY, mp4.FAMILY, asf.FAMILY, ape.FAMILY)
)

_BY_EXT: dict[str, Family] = {ext: fam for fam in FAMILIES for ext in fam.extensions}

#: Lower-case extensions (with the dot) the tag layer reads and writes.
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_BY_EXT)

PathLike = str | os.PathLike[str]


def family_for(path: PathLike) -> Family:
    """The family that owns a file's extension; TagError('unsupported') otherwise."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    fam = _BY_EXT.get(ext)
    if fam is None:
        raise TagError(
            "unsupported",
            f"files of type {ext or '(no extension)'!r} have no supported rating tags",
            path=os.fspath(path),
        )
    return fam


def _family_of(audio: Any) -> Family | None:
    for fam in FAMILIES:
        if isinstance(audio, fam.file_types):
            return fam
    return None


def _open(path: str, filething: Any) -> tuple[Family, Any]:
    """Load with the class the extension names, else sniff the content.

    A misnamed file (an Opus stream called .ogg, an MP3 called .wav) still
    opens through mutagen's own detection, as long as a family handles it.
    """
    fam = family_for(path)
    ext = os.path.splitext(path)[1].lower()
    first: Exception | None = None
    try:
        return fam, fam.open(filething, ext)
    except Exception as exc:  # mutagen raises many types on bad data
        first = exc
    try:
        if hasattr(filething, "seek"):
            filething.seek(0)
        audio = mutagen.File(filething)
    except Exception:
        audio = None
    other = _family_of(audio) if audio is not None else None
    if audio is None or other is None:
        raise TagError(
            "unreadable",
            f"not a readable {fam.name.upper()} audio file ({_plain(first)})",
            path=path,
        )
    return other, audio


def _plain(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text or (type(exc).__name__ if exc is not None else "unknown error")


def _check_readable(path: str) -> None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise TagError("not_found", "the file does not exist", path=path) from None
    except OSError as exc:
        raise TagError("unreadable", f"cannot open the file ({exc.strerror})", path=path) from None
    if stat.S_ISDIR(st.st_mode):
        raise TagError("unreadable", "this is a folder, not a file", path=path)
    if st.st_size == 0:
        raise TagError("unreadable", "the file is empty (0 bytes)", path=path)


def _decode(fam: Family, audio: Any, opts: ReadOptions, path: str) -> TagRating:
    fields = fam.fields(audio)
    try:
        rating, note = decide(fam.candidates(audio, opts))
    except RatingError as exc:
        ambiguous = "ambiguous" in str(exc)
        raise TagError(
            "invalid_value",
            ("ambiguous rating: " if ambiguous else "the rating tag is not a valid rating: ")
            + str(exc),
            path=path,
            fields=fields,
            family=fam.name,
        ) from None
    if audio.tags is None and not note:
        note = "no tags"
    return TagRating(rating=rating, fields=fields, family=fam.name, note=note, options=opts)


def read_rating(
    path: PathLike,
    *,
    popm_email: str = DEFAULT_EMAIL,
    vorbis_zero_to_ten: bool = False,
    with_layout: bool = False,
    rating_scale: str | None = None,
) -> TagRating:
    """The rating a file holds (None = unrated) and its raw fields.

    ``with_layout`` also records how the fields are stored (TagRating.layout),
    what a journal keeps before a write so undo restores the identical file.
    Raises TagError: missing file, unsupported type, unreadable or corrupt
    file, or a rating field that holds no valid value (an ambiguous Vorbis
    ``RATING`` 6-10 is one, unless ``rating_scale`` says ``percent`` or
    ``ten``, or ``vorbis_zero_to_ten`` says 0-10: see :mod:`.scales` for
    deciding it from the library).
    """
    p = os.fspath(path)
    family_for(p)
    _check_readable(p)
    opts = ReadOptions(
        popm_email=popm_email, vorbis_zero_to_ten=vorbis_zero_to_ten, rating_scale=rating_scale
    )
    try:
        fam, audio = _open(p, p)
        got = _decode(fam, audio, opts, p)
        if with_layout:
            got = dataclasses.replace(got, layout=fam.layout_of(p))
    except PermissionError:
        raise TagError("unreadable", "no permission to read the file", path=p) from None
    return got


def read_before_write(
    path: PathLike,
    rating: float | None,
    *,
    popm_email: str = DEFAULT_EMAIL,
    rating_scale: str | None = None,
) -> tuple[TagRating, Rating]:
    """What a file holds now (with its layout), and what it will read after writing ``rating``.

    The two differ where the container cannot hold the value: a WMA holds
    whole stars only (1.5 stars is stored as 2). The journal records what
    the file will really hold, so undo and the after-write check recognise
    the program's own write. One read, nothing written.
    """
    p = os.fspath(path)
    value = _check_value(rating, p)
    family_for(p)
    _check_readable(p)
    opts = ReadOptions(popm_email=popm_email, rating_scale=rating_scale)
    try:
        fam, audio = _open(p, p)
        got = dataclasses.replace(_decode(fam, audio, opts, p), layout=fam.layout_of(p))
    except PermissionError:
        raise TagError("unreadable", "no permission to read the file", path=p) from None
    apply_rating(fam, audio, value, popm_email, rating_scale)
    try:
        stored, _ = decide(fam.candidates(audio, opts))
    except RatingError:
        stored = value
    return got, stored


def snapshot_fields(path: PathLike) -> dict[str, str]:
    """Every rating-related raw field, as text: what undo needs to put back."""
    p = os.fspath(path)
    family_for(p)
    _check_readable(p)
    fam, audio = _open(p, p)
    return fam.fields(audio)


def read_many(
    paths: Iterable[PathLike],
    *,
    workers: int = 8,
    **opts: Any,
) -> Iterator[tuple[PathLike, TagRating | TagError]]:
    """Read many files on a thread pool; yields ``(path, result or error)``.

    Results come in completion order. At most a few times ``workers`` files
    are in flight, so a 50,000-file scan keeps memory flat. Any unexpected
    exception is turned into TagError('unreadable') so one bad file never
    stops a scan.
    """

    unknown = set(opts) - {"popm_email", "vorbis_zero_to_ten", "rating_scale"}
    if unknown:  # fail once, up front, not once per file
        raise TypeError(f"read_many() got unknown options: {', '.join(sorted(unknown))}")

    def one(p: PathLike) -> TagRating | TagError:
        try:
            return read_rating(p, **opts)
        except TagError as exc:
            return exc
        except Exception as exc:  # last line of defence for a 50k scan
            return TagError("unreadable", f"unexpected error: {_plain(exc)}", path=os.fspath(p))

    if workers <= 1:
        for p in paths:
            yield p, one(p)
        return
    window = max(1, workers) * 4
    it = iter(paths)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tags") as pool:
        pending: dict[Future[TagRating | TagError], PathLike] = {}
        for p in it:
            pending[pool.submit(one, p)] = p
            if len(pending) >= window:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                p = pending.pop(fut)
                yield p, fut.result()
            for p in it:
                pending[pool.submit(one, p)] = p
                if len(pending) >= window:
                    break


# --- writing -------------------------------------------------------------------


def _check_value(rating: Rating, path: str) -> Rating:
    if rating is None:
        return None
    try:
        value = float(rating)
    except (TypeError, ValueError):
        raise TagError("invalid_value", f"{rating!r} is not a rating", path=path) from None
    if math.isnan(value) or not 0 < value <= 10:
        raise TagError(
            "invalid_value",
            f"{rating!r} is outside 0-10 (use None to remove a rating; 0 is never written)",
            path=path,
        )
    value = scale.normalize(value)
    if value < 0.5:
        raise TagError("invalid_value", f"{rating!r} is less than half a star", path=path)
    return value


def _has_write_bit(mode: int) -> bool:
    return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _check_writable(path: str) -> os.stat_result:
    """Refuse before reading anything when the file or its folder is read-only."""
    st = os.stat(path)
    folder = os.path.dirname(path) or "."
    if not _has_write_bit(st.st_mode) or not os.access(path, os.W_OK):
        raise TagError("read_only", "the file is read-only", path=path)
    if not os.access(folder, os.W_OK | os.X_OK) or not _has_write_bit(os.stat(folder).st_mode):
        raise TagError(
            "read_only", "the folder is read-only (a safe save needs a temporary file)", path=path
        )
    return st


def _load_for_edit(path: str) -> tuple[Family, Any, io.BytesIO, bytes]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except PermissionError:
        raise TagError("locked", "the file is in use or access is denied", path=path) from None
    except OSError as exc:
        raise TagError("unreadable", f"cannot read the file ({exc.strerror})", path=path) from None
    if not data:
        raise TagError("unreadable", "the file is empty (0 bytes)", path=path)
    buf = io.BytesIO(data)
    fam, audio = _open(path, buf)
    return fam, audio, buf, data


#: Suffix of the temporary files the safe save writes (``.<name>.<random>.ratings-tmp``).
TEMP_SUFFIX = ".ratings-tmp"
_live_lock = threading.Lock()
#: Temp files this process is writing: between mkstemp() and the lock a sweep on another
#: thread would find one unlocked and take it for a leftover.
_live: set[str] = set()


def _hold(fd: int) -> None:
    """Lock a temp file while it is being written, so a sweep can tell it is alive."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


def _stale(folder: str, remove: bool) -> list[str]:
    """This program's temp files a killed run left in ``folder`` (deleted when ``remove``)."""
    found: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)):
            continue
        try:
            with _live_lock:
                if os.path.abspath(entry.path) in _live:
                    continue  # one of our own saves, not locked yet
            if not entry.is_file(follow_symlinks=False):
                continue
            if fcntl is not None:
                fd = os.open(entry.path, os.O_RDONLY)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    if remove:  # under the lock: a save starting now cannot take this name
                        os.unlink(entry.path)
                except OSError:
                    continue  # a live save holds it
                finally:
                    os.close(fd)
            elif remove:
                os.unlink(entry.path)
        except OSError:
            continue
        found.append(entry.path)
    return found


def remove_stale_temp_files(folder: str) -> list[str]:
    """Delete this program's temp files a killed run left in ``folder``; returns their names.

    Only ``.<name>.<random>.ratings-tmp`` regular files nobody holds: a save
    in flight keeps its temp file locked (POSIX) or open (Windows, where an
    open file cannot be deleted), so another run's write is never disturbed.
    """
    removed = [os.path.basename(p) for p in _stale(folder, remove=True)]
    if removed:
        log.info("removed %d leftover temporary files in %s", len(removed), folder)
    return removed


def find_stale_temp_files(folders: Iterable[str]) -> list[str]:
    """The leftover temp files in these folders, deleting nothing (what a dry run reports)."""
    return [p for folder in sorted(set(folders)) for p in _stale(folder, remove=False)]


def sweep_temp_files(folders: Iterable[str]) -> int:
    """Delete the leftover temp files in these folders (a file-writing job's first step)."""
    return sum(len(remove_stale_temp_files(folder)) for folder in sorted(set(folders)))


def folders_of(paths: Iterable[str]) -> list[str]:
    """The folders holding these files: where their temp files would be."""
    return sorted({os.path.dirname(os.fspath(p)) or "." for p in paths})


def leftover_note(count: int) -> str:
    """The plain sentence about leftover temp files ('' when there are none)."""
    if not count:
        return ""
    files = "file" if count == 1 else "files"
    return (
        f"{count:,} leftover temporary {files} from an interrupted run (hidden full-size "
        "copies next to your music): deleted when the changes are written; a dry run leaves them"
    )


def _replace_atomically(
    path: str, data: bytes, st: os.stat_result, keep_mtime: bool, verify: Any
) -> None:
    """Temp file in the same folder, fsync, verify, then os.replace over the original."""
    live: list[str] = []

    def created(fd: int, tmp: str) -> None:
        live.append(os.path.abspath(tmp))
        _live.add(live[0])  # under _live_lock: a sweep never takes it for a leftover
        _hold(fd)

    def finish(tmp: str) -> None:
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown"):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass  # not the owner: keep what we can
        if keep_mtime:
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        verify(tmp)

    try:
        with atomic.replacing(
            path, suffix=TEMP_SUFFIX, lock=_live_lock, created=created, finish=finish
        ) as fh:
            fh.write(data)
    except atomic.AtomicError as exc:
        raise _write_error(exc, path) from None
    finally:
        with _live_lock:
            _live.difference_update(live)


def _write_error(exc: atomic.AtomicError, path: str) -> TagError:
    """The plain message for the step an atomic save failed at."""
    why = exc.error.strerror
    denied = isinstance(exc.error, PermissionError)
    if exc.step == atomic.CREATE:
        if denied:
            return TagError("read_only", "the folder is read-only", path=path)
        return TagError("write_failed", f"cannot create a temporary file ({why})", path=path)
    if exc.step == atomic.REPLACE:
        if denied:
            return TagError(
                "locked", "the file is in use by another program; nothing was changed", path=path
            )
        return TagError("write_failed", f"replacing the file failed ({why})", path=path)
    return TagError("write_failed", f"writing the new file failed ({why})", path=path)


def _edit(
    path: PathLike,
    edit: Any,
    *,
    keep_mtime: bool,
    layout: str = "",
) -> tuple[Family, dict[str, str], bytes]:
    """Load into memory, ``edit(fam, audio)``, save atomically when fields changed.

    Returns the family, the fields before and the file's bytes before.
    ``layout`` asks the family to store the fields exactly that way (undo).
    """
    p = os.path.realpath(os.fspath(path))
    family_for(os.fspath(path))
    _check_readable(p)
    st = _check_writable(p)
    fam, audio, buf, original = _load_for_edit(p)
    before = fam.fields(audio)
    edit(fam, audio)
    after = fam.fields(audio)
    if after == before and (not layout or fam.layout(original) == layout):
        return fam, before, original
    try:
        buf.seek(0)  # mutagen reads the old tag header from the current position
        fam.save(audio, buf, before=before, layout=layout)
    except Exception as exc:
        raise TagError(
            "write_failed", f"could not build the new tags ({_plain(exc)})", path=p
        ) from None

    def verify(tmp: str) -> None:
        try:
            again = fam.open(tmp, os.path.splitext(p)[1].lower())
            got = fam.fields(again)
        except Exception as exc:
            raise TagError(
                "write_failed", f"the new file did not read back ({_plain(exc)})", path=p
            ) from None
        if got != after:
            raise TagError(
                "write_failed",
                f"the new file reads back {got!r} instead of {after!r}; nothing was changed",
                path=p,
            )

    _replace_atomically(p, buf.getvalue(), st, keep_mtime, verify)
    return fam, before, original


def write_rating(
    path: PathLike,
    rating: float | None,
    *,
    popm_email: str = DEFAULT_EMAIL,
    keep_mtime: bool = False,
    rating_scale: str | None = None,
) -> TagRating:
    """Write ``rating`` (Plex 0-10; None removes it) and return what was there before.

    The returned TagRating holds the old rating and raw fields, for the
    journal and undo. A file whose fields already say the same thing is not
    rewritten. Raises TagError; on error the file is left untouched.
    ``rating_scale`` is the library's scale for a RATING of 6-10 (see
    :mod:`.scales`): the old value is read on it, and such a RATING keeps it.
    """
    p = os.fspath(path)
    value = _check_value(rating, p)
    old: dict[str, TagRating] = {}
    opts = ReadOptions(popm_email=popm_email, rating_scale=rating_scale)

    def edit(fam: Family, audio: Any) -> None:
        try:
            old["r"] = _decode(fam, audio, opts, p)
        except TagError as exc:
            old["r"] = TagRating(None, exc.fields, fam.name, note=f"was unreadable: {exc.message}")
        apply_rating(fam, audio, value, popm_email, rating_scale)

    fam, _, original = _edit(p, edit, keep_mtime=keep_mtime)
    return dataclasses.replace(old["r"], layout=fam.layout(original))


def restore_fields(
    path: PathLike, fields: dict[str, str], *, keep_mtime: bool = False, layout: str = ""
) -> None:
    """Put exactly these rating fields back (others removed): the undo of a write.

    ``layout`` (TagRating.layout read before the write; also accepted as
    ``fields[LAYOUT_KEY]``) puts them back byte for byte where the family can.
    """
    p = os.fspath(path)
    fields = dict(fields)
    layout = str(fields.pop(LAYOUT_KEY, "") or layout)

    def edit(fam: Family, audio: Any) -> None:
        try:
            fam.restore(audio, dict(fields))
        except (ValueError, TypeError) as exc:
            raise TagError(
                "invalid_value", f"the saved fields cannot be restored ({_plain(exc)})", path=p
            ) from None

    _edit(p, edit, keep_mtime=keep_mtime, layout=layout)
