"""The journal's tables, the rows read back from them, and the journal's errors.

Shared by the journal, its provenance queries and its recovery files, so
each of those modules reads the same row types and the same outcome words.
"""

from __future__ import annotations

import errno
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ratings_gui.core.plan import Change
from ratings_gui.core.provenance import BASE, INFERRED, YOURS

PENDING = "pending"
APPLIED = "applied"
FAILED = "failed"
UNDONE = "undone"

#: The outcomes every view names a run's changes by (the run's result, History, the CLI).
WRITTEN = "written"
NOT_SENT = "not sent"
LEFT_ALONE = "left alone"
#: Error texts the write loop gives a change it never sent (``writeloop.CANCELLED``
#: and ``NOT_SENT``): the row says ``failed`` but the change is "not sent".
_CANCELLED_ERROR = "cancelled"
_NOT_SENT_SQL = "(c.error = 'cancelled' OR c.error LIKE 'not sent%')"


def never_sent(error: str | None) -> bool:
    """A failed row's error that says the change was never sent (cancelled, or the run stopped)."""
    return bool(error) and (error == _CANCELLED_ERROR or str(error).startswith(NOT_SENT))


def row_outcome(status: str, error: str | None) -> str:
    """One journal row in the outcome words: written, not sent, failed: why, undone, pending."""
    if status == APPLIED:
        return WRITTEN
    if status == FAILED:
        return NOT_SENT if never_sent(error) else f"failed: {error}" if error else FAILED
    return status


@dataclass(frozen=True)
class Outcomes:
    """A run's changes in the outcome words; the same numbers in every view.

    ``written`` counts every change that reached its target, ``undone`` how
    many of those a later undo took back. ``pending`` rows were on the wire
    when the run stopped (settled on the next run).
    """

    written: int = 0
    not_sent: int = 0
    failed: int = 0
    left_alone: int = 0
    pending: int = 0
    undone: int = 0

    @property
    def total(self) -> int:
        """Every change the run planned."""
        return self.written + self.not_sent + self.failed + self.left_alone + self.pending

    def text(self) -> str:
        """``449 written · 598 not sent · 0 failed`` (left alone and pending when there are)."""
        parts = [
            f"{self.written:,} {WRITTEN}",
            f"{self.not_sent:,} {NOT_SENT}",
            f"{self.failed:,} {FAILED}",
        ]
        if self.left_alone:
            parts.append(f"{self.left_alone:,} {LEFT_ALONE}")
        if self.pending:
            parts.append(f"{self.pending:,} {PENDING}")
        return " · ".join(parts)


#: Whose the values of runs recorded before the journal stored it were, by job; and the
#: reasons that said otherwise for single changes. Old journals only (see ``_migrate``):
#: new runs take their default from the job's own declaration (``core.provenance``).
_LEGACY_RUN_WHOSE = {
    "base-rating": BASE,
    "infer": INFERRED,
    "infer-provenance": INFERRED,
    "import": YOURS,
    "tags": YOURS,
    "ratings-import": YOURS,
    "restore": YOURS,
}
_LEGACY_REASON_WHOSE = {
    "imported as inferred": INFERRED,
    "restored as base": BASE,
    "restored as program's": BASE,
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL DEFAULT 'running',
    server TEXT NOT NULL DEFAULT '',
    library TEXT NOT NULL DEFAULT '',
    dry_run INTEGER NOT NULL DEFAULT 0,
    summary TEXT NOT NULL DEFAULT '{}',
    undo_of INTEGER REFERENCES runs(id),
    user TEXT NOT NULL DEFAULT '',
    user_name TEXT NOT NULL DEFAULT '',
    whose TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    field TEXT NOT NULL,
    old TEXT,
    new TEXT,
    reason TEXT NOT NULL DEFAULT '',
    label TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    updated_at REAL NOT NULL,
    whose TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS changes_run ON changes(run_id);
CREATE INDEX IF NOT EXISTS changes_target ON changes(target_kind, field, target);
"""


@dataclass(frozen=True)
class RunRow:
    id: int
    job: str
    options: dict[str, Any]
    started_at: float
    finished_at: float | None
    status: str
    server: str
    library: str
    dry_run: bool
    summary: dict[str, Any]
    undo_of: int | None
    applied: int = 0
    #: Rows that failed (the write was sent and did not land); never-sent rows are ``not_sent``.
    failed: int = 0
    undone: int = 0
    #: Changes journaled but never settled (the run was interrupted mid-write).
    pending: int = 0
    #: The Plex user the run wrote as ("" for the account that signed in), and their name.
    user: str = ""
    user_name: str = ""
    #: Rows of changes the run never sent (Cancel, or the run stopped before them).
    not_sent: int = 0

    @property
    def outcomes(self) -> Outcomes:
        """The run's changes as its result said them: its rows, and what was never recorded.

        The write loop journals a chunk only when it sends it, so the changes a
        Cancel kept back (and those left alone before any write) have no row:
        the counts stored when the run ended say how many. The rows count
        what happened since (an undo, a settled row).
        """
        counts = self.summary.get("counts") or {}
        said_not_sent = _count(counts, NOT_SENT) or _count(counts, "not sent (cancelled)")
        return Outcomes(
            written=self.applied + self.undone,
            not_sent=max(self.not_sent, said_not_sent),
            failed=max(self.failed, _count(counts, FAILED)),
            left_alone=_count(counts, LEFT_ALONE),
            pending=self.pending,
            undone=self.undone,
        )


def _count(counts: Any, key: str) -> int:
    try:
        return max(0, int(counts.get(key, 0) or 0))
    except (TypeError, ValueError, AttributeError):
        return 0


@dataclass(frozen=True)
class ChangeRow:
    id: int
    run_id: int
    change: Change
    status: str
    error: str | None
    updated_at: float


@dataclass(frozen=True)
class Provenance:
    """The value the program last wrote to a target, whose it was, and by which job and run.

    ``core.provenance.whose(current, this)`` is the one rule that reads it.
    """

    value: Any
    job: str
    run_id: int
    reason: str = ""
    #: yours, base or inferred: the change's own word, else its run's job's.
    whose: str = YOURS


def insert_change(db: Any, run_id: int, ch: Change, status: str, now: float) -> int:
    """One change row (inside the caller's transaction); returns its id."""
    cur = db.execute(
        "INSERT INTO changes(run_id, target_kind, target, field, old, new, reason,"
        " label, status, updated_at, whose) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            run_id,
            ch.target_kind,
            _text(ch.target),
            ch.field,
            _dump(ch.old),
            _dump(ch.new),
            _text(ch.reason),
            _text(ch.label),
            status,
            now,
            ch.whose,
        ),
    )
    return int(cur.lastrowid)


def _dump(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if _utf8(text):
        return text
    # A path with non-UTF-8 bytes (os.fsdecode's surrogates): \udcxx escapes round-trip.
    return json.dumps(value, ensure_ascii=True)


def _load(text: str | bytes | None) -> Any:
    return None if text is None else json.loads(_str(text))


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: str | None) -> str | bytes | None:
    """A text column's value: a path with non-UTF-8 bytes is stored as those bytes (a BLOB)."""
    if value is None or _utf8(value):
        return value
    return value.encode("utf-8", "surrogateescape")


def _str(value: str | bytes | None) -> str:
    """Back from :func:`_text`: the same str the program had (surrogates and all)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value or ""


#: Seconds to wait for another process's write to the journal before saying who holds it.
BUSY_TIMEOUT = 5.0
#: A run whose process ended without finishing it (killed, crashed, power cut).
INTERRUPTED = "interrupted"


class JournalBusy(RuntimeError):
    """The journal database is locked by another process (the message says which run)."""

    plain_message = True


class JournalUnwritable(RuntimeError):
    """The journal cannot be written (a read-only file or folder, a full disk): one sentence."""

    plain_message = True

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(unwritable_message(path, reason))
        self.path = path
        #: "read-only" or "full".
        self.reason = reason

    def with_written(self, written: int) -> str:
        """The sentence for a run that had already written ``written`` changes."""
        return unwritable_message(self.path, self.reason, written)


class JournalLost(RuntimeError):
    """The journal file was deleted or replaced while a run was writing (see ``recovery``)."""

    plain_message = True

    def __init__(self, message: str, recovery: Path | None = None) -> None:
        super().__init__(message)
        #: The recovery file holding what the run changed (``undo --from FILE``), if written.
        self.recovery = recovery


def unwritable_reason(exc: BaseException) -> str | None:
    """Read-only or full, from SQLite's (or the OS's) words for a journal it cannot write."""
    text = str(exc).lower()
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "full"
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "read-only"
    if "disk is full" in text or "no space" in text:
        return "full"
    if "readonly" in text or "read-only" in text or "unable to open database" in text:
        return "read-only"
    return None


def unwritable_message(path: Path | str, reason: str, written: int = 0) -> str:
    """The one sentence the CLI and the window show for a journal that cannot be written."""
    what = (
        "nothing was written"
        if not written
        else f"the run stopped after {written:,} changes (History lists them)"
    )
    if reason == "full":
        return (
            f"The disk holding the history database ({path}) is full; {what}. "
            "Free some space and try again."
        )
    return (
        f"The history database ({path}) is read-only; {what}. "
        "Make the file and its folder writable (or choose another --data-dir) and try again."
    )


class _Guarded:
    """The sqlite connection, with "database is locked" turned into :class:`JournalBusy`."""

    def __init__(
        self, db: sqlite3.Connection, busy: Any, unwritable: Any = lambda exc: None
    ) -> None:
        self._db = db
        self._busy = busy
        self._unwritable = unwritable

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise self._busy() from None
            unwritable = self._unwritable(exc)
            if unwritable is not None:
                raise unwritable from None
            raise

    def execute(self, *args: Any) -> Any:
        return self._call(self._db.execute, *args)

    def executemany(self, *args: Any) -> Any:
        return self._call(self._db.executemany, *args)

    def executescript(self, *args: Any) -> Any:
        return self._call(self._db.executescript, *args)

    def commit(self) -> None:
        self._call(self._db.commit)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> _Guarded:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is None:
            self.commit()
        else:
            self._db.rollback()
