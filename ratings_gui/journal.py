"""The journal: every change the program made, so any run can be undone.

SQLite in the user data folder. A change row is written as ``pending``
before the write is sent and marked ``applied``/``failed`` after, so a
crash leaves a record of what may have been written. Provenance ("is this
rating one the program set?") is answered from the same rows.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ratings_gui.core.plan import Change
from ratings_gui.core.provenance import BASE, GUESSES, INFERRED, YOURS
from ratings_gui.core.registry import default_whose
from ratings_gui.runlock import RunBusy, RunLock, describe_holder, holders

PENDING = "pending"
APPLIED = "applied"
FAILED = "failed"
UNDONE = "undone"

#: The outcomes every view names a run's changes by (the run's result, History, the CLI).
WRITTEN = "written"
NOT_SENT = "not sent"
LEFT_ALONE = "left alone"
#: Error texts the write loop gives a change it never sent (``writeloop.CANCELLED`` and
#: ``writeloop.NOT_SENT``): the row says ``failed`` but the change is "not sent".
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


#: ``format`` of a recovery file (what a run changed, written when its journal was lost).
RECOVERY_FORMAT = "ratings_gui-recovery"
RECOVERY_VERSION = 1


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


class Journal:
    """Thread-safe access to the journal database (one connection, one lock)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.lock_dir = self.path.parent / "locks"
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="ratings-locks-")
            self.lock_dir = Path(self._tmp.name)
        self._lock = threading.RLock()
        #: Run locks this journal holds, by run id (released by finish_run and close).
        self._held: dict[int, RunLock] = {}
        self._db = self._connect()
        self._migrate()
        self._db.commit()
        #: (st_dev, st_ino) of the file opened: a run notices the file deleted or replaced.
        self._identity = self._stat()

    def _connect(self) -> _Guarded:
        """Open the database; a read-only file or a full disk is one plain sentence."""
        try:
            raw = sqlite3.connect(str(self.path), check_same_thread=False, timeout=BUSY_TIMEOUT)
        except sqlite3.OperationalError as exc:
            raise self._unwritable_error(exc) or exc from None
        db = _Guarded(raw, self._busy_error, self._unwritable_error)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
        except BaseException:
            raw.close()
            raise
        return db

    def _unwritable_error(self, exc: BaseException) -> JournalUnwritable | None:
        reason = unwritable_reason(exc)
        if reason is None:
            return None
        return JournalUnwritable(self.path, reason)

    def _stat(self) -> tuple[int, int] | None:
        if str(self.path) == ":memory:":
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def lost(self) -> str:
        """Why writing to this journal no longer records anything ("" while it is fine).

        SQLite goes on writing to a deleted (or replaced) file, so a run would
        end "done" with nothing in History: each chunk of the write loop asks.
        """
        if self._identity is None:
            return ""
        now = self._stat()
        if now == self._identity:
            return ""
        what = "deleted" if now is None else "replaced"
        return f"the history database ({self.path}) was {what} while the run was writing"

    def reopen(self) -> None:
        """After :meth:`lost`: a fresh journal at the same path (the runs that follow are kept)."""
        with self._lock:
            old = self._db
            self._db = self._connect()
            self._migrate()
            self._db.commit()
            self._identity = self._stat()
        old.close()

    def _migrate(self) -> None:
        """Journals from before whose/user were stored: add the columns, fill ``whose`` once."""
        have = {r[1] for r in self._db.execute("PRAGMA table_info(runs)").fetchall()}
        if "user" not in have:
            self._db.execute("ALTER TABLE runs ADD COLUMN user TEXT NOT NULL DEFAULT ''")
        if "user_name" not in have:
            self._db.execute("ALTER TABLE runs ADD COLUMN user_name TEXT NOT NULL DEFAULT ''")
        if "whose" not in have:
            self._db.execute("ALTER TABLE runs ADD COLUMN whose TEXT NOT NULL DEFAULT ''")
            self._db.executemany(
                "UPDATE runs SET whose=? WHERE job=?",
                [(w, job) for job, w in _LEGACY_RUN_WHOSE.items()],
            )
        have = {r[1] for r in self._db.execute("PRAGMA table_info(changes)").fetchall()}
        if "whose" not in have:
            self._db.execute("ALTER TABLE changes ADD COLUMN whose TEXT NOT NULL DEFAULT ''")
            self._db.executemany(
                "UPDATE changes SET whose=? WHERE reason=?",
                [(w, reason) for reason, w in _LEGACY_REASON_WHOSE.items()],
            )

    def _busy_error(self) -> JournalBusy:
        others = [h for h in holders(self.lock_dir) if h.get("pid") != os.getpid()]
        who = "; ".join(describe_holder(h) for h in others)
        where = f" {who} is using it." if who else " Another program is using it."
        return JournalBusy(
            f"The history database ({self.path}) is busy:{where} Nothing was written. "
            "Try again when that run has finished."
        )

    def close(self) -> None:
        with self._lock:
            for lock in self._held.values():
                lock.release()
            self._held.clear()
            self._db.close()

    # --- runs ---------------------------------------------------------------

    def start_run(
        self,
        job: str,
        options: dict[str, Any] | None = None,
        *,
        server: str = "",
        library: str = "",
        dry_run: bool = False,
        undo_of: int | None = None,
        user: str = "",
        whose: str | None = None,
        user_name: str = "",
    ) -> int:
        """Record a new run; RunBusy when the same job is already running on this library.

        The run holds its lock until :meth:`finish_run` (or its process ends).
        ``user`` is the Plex user the run writes as (``user_name`` their name,
        for History; both "" for the account that signed in); ``whose`` the default
        owner of its values (the job's declaration when not given).
        """
        if whose is None:
            whose = "" if undo_of is not None else default_whose(job)
        lock = None
        if not dry_run:
            lock = RunLock(self.lock_dir, job, server, library)
            if not lock.acquire():
                held = describe_holder(lock.holder())
                raise RunBusy(
                    f"Another {job} run is already working on {library or server}: {held}. "
                    "Wait for it to finish (or stop it), then try again."
                )
        try:
            with self._lock, self._db:
                cur = self._db.execute(
                    "INSERT INTO runs(job, options, started_at, server, library, dry_run, undo_of,"
                    " user, whose, user_name) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        job,
                        _dump(options or {}),
                        time.time(),
                        server,
                        library,
                        int(dry_run),
                        undo_of,
                        user,
                        whose,
                        user_name,
                    ),
                )
                run_id = int(cur.lastrowid)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        if lock is not None:
            lock.record(run_id)
            with self._lock:
                self._held[run_id] = lock
        return run_id

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any] | None = None) -> None:
        try:
            with self._lock, self._db:
                self._db.execute(
                    "UPDATE runs SET status=?, finished_at=?, summary=? WHERE id=?",
                    (status, time.time(), _dump(summary or {}), run_id),
                )
        finally:
            with self._lock:
                lock = self._held.pop(run_id, None)
            if lock is not None:
                lock.release()

    def reap_interrupted(self) -> list[int]:
        """Runs that say ``running`` but whose process is gone become ``interrupted``.

        A live run holds its lock (in this process or another); a killed one
        lost it. Returns the ids marked.
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT id, job, server, library FROM runs WHERE status='running' AND dry_run=0"
            ).fetchall()
            mine = set(self._held)
        gone: list[int] = []
        for run_id, job, server, library in rows:
            if run_id in mine:
                continue
            probe = RunLock(self.lock_dir, job, server, library)
            if not probe.acquire():
                continue  # its run is alive
            probe.release()
            gone.append(int(run_id))
        if gone:
            with self._lock, self._db:
                self._db.executemany(
                    "UPDATE runs SET status=? WHERE id=? AND status='running'",
                    [(INTERRUPTED, rid) for rid in gone],
                )
        return gone

    def runs_with_pending(self) -> list[int]:
        """Ids of runs that have changes never settled (newest first)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT run_id FROM changes WHERE status='pending' ORDER BY run_id DESC"
            ).fetchall()
        return [int(r[0]) for r in rows]

    def undone_by(self, run_id: int) -> list[int]:
        """The runs that undid run ``run_id`` (oldest first): a run's result says it was undone."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM runs WHERE undo_of=? AND dry_run=0 ORDER BY id", (run_id,)
            ).fetchall()
        return [int(r[0]) for r in rows]

    def is_running(self, run_id: int) -> bool:
        """True while the run's process is alive and working (its lock is held; ``runs()`` reaps)."""
        run = self.run(run_id)
        return run is not None and run.status == "running"

    def set_run_status(self, run_id: int, status: str) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE runs SET status=? WHERE id=?", (status, run_id))

    def run(self, run_id: int) -> RunRow | None:
        rows = self.runs(run_ids=[run_id])
        return rows[0] if rows else None

    def runs(self, limit: int = 500, run_ids: Sequence[int] | None = None) -> list[RunRow]:
        """Newest first, with counts of applied, failed, undone and pending changes.

        Runs whose process died are shown ``interrupted``, not ``running``.
        """
        self.reap_interrupted()
        sql = (
            "SELECT r.id, r.job, r.options, r.started_at, r.finished_at, r.status, r.server,"
            " r.library, r.dry_run, r.summary, r.undo_of, r.user, r.user_name,"
            " COALESCE(SUM(c.status='applied'),0), COALESCE(SUM(c.status='failed'),0),"
            " COALESCE(SUM(c.status='undone'),0), COALESCE(SUM(c.status='pending'),0),"
            f" COALESCE(SUM(c.status='failed' AND {_NOT_SENT_SQL}),0)"
            " FROM runs r LEFT JOIN changes c ON c.run_id = r.id"
        )
        args: list[Any] = []
        if run_ids is not None:
            sql += f" WHERE r.id IN ({','.join('?' * len(run_ids))})"
            args.extend(run_ids)
        sql += " GROUP BY r.id ORDER BY r.id DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [
            RunRow(
                id=r[0],
                job=r[1],
                options=_load(r[2]) or {},
                started_at=r[3],
                finished_at=r[4],
                status=r[5],
                server=r[6],
                library=r[7],
                dry_run=bool(r[8]),
                summary=_load(r[9]) or {},
                undo_of=r[10],
                user=r[11] or "",
                user_name=r[12] or "",
                applied=int(r[13]),
                failed=int(r[14]) - int(r[17]),
                undone=int(r[15]),
                pending=int(r[16]),
                not_sent=int(r[17]),
            )
            for r in rows
        ]

    # --- changes -------------------------------------------------------------

    def record_pending(self, run_id: int, changes: Iterable[Change]) -> list[int]:
        """Write the intended changes as ``pending`` BEFORE they are sent; returns their ids."""
        now = time.time()
        ids: list[int] = []
        with self._lock, self._db:
            for ch in changes:
                cur = self._db.execute(
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
                        PENDING,
                        now,
                        ch.whose,
                    ),
                )
                ids.append(int(cur.lastrowid))
        return ids

    def mark(self, change_ids: Iterable[int], status: str, error: str | None = None) -> None:
        """Record the outcome AFTER the write (batched: one transaction for many ids)."""
        now = time.time()
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE changes SET status=?, error=?, updated_at=? WHERE id=?",
                [(status, _text(error), now, cid) for cid in change_ids],
            )

    def mark_many(self, outcomes: Iterable[tuple[int, str, str | None]]) -> None:
        """``(change_id, status, error)`` rows in one transaction."""
        now = time.time()
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE changes SET status=?, error=?, updated_at=? WHERE id=?",
                [(st, _text(err), now, cid) for cid, st, err in outcomes],
            )

    def changes(
        self, run_id: int, statuses: Sequence[str] | None = None, limit: int | None = None
    ) -> list[ChangeRow]:
        """A run's changes, newest first (at most ``limit``: History shows the first rows)."""
        sql = (
            "SELECT id, run_id, target_kind, target, field, old, new, reason, label, status,"
            " error, updated_at, whose FROM changes WHERE run_id=?"
        )
        args: list[Any] = [run_id]
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            args.extend(statuses)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [
            ChangeRow(
                id=r[0],
                run_id=r[1],
                change=Change(
                    r[2], _str(r[3]), r[4], _load(r[5]), _load(r[6]), _str(r[7]), _str(r[8]), r[12]
                ),
                status=r[9],
                error=None if r[10] is None else _str(r[10]),
                updated_at=r[11],
            )
            for r in rows
        ]

    # --- provenance -----------------------------------------------------------

    def standing_writes(
        self,
        target_kind: str,
        field: str = "userRating",
        targets: Iterable[str] | None = None,
        server: str | None = None,
        user: str | None = None,
    ) -> dict[str, Provenance]:
        """The program's latest standing write per target, whatever the job, with whose it was.

        Undo restores someone else's value, so undo runs do not count; an
        undone change no longer stands. With ``server``, only runs on that
        server (or naming none) count: ratingKeys are per server, and a new
        server numbers its items from 1 again. With ``user``, only runs made
        as that Plex user count: each person's ratings are their own.
        """
        scope = ""
        args: list[Any] = [target_kind, field]
        if server:
            scope += " AND r2.server IN (?, '')"
            args.append(server)
        if user is not None:
            scope += " AND r2.user = ?"
            args.append(user)
        sql = (
            "SELECT c.target, c.new, r.job, r.id, c.reason, COALESCE(NULLIF(c.whose, ''), r.whose)"
            " FROM changes c JOIN runs r ON r.id = c.run_id"
            " WHERE c.target_kind=? AND c.field=? AND c.status='applied'"
            " AND c.id = (SELECT MAX(c2.id) FROM changes c2 JOIN runs r2 ON r2.id = c2.run_id"
            "   WHERE c2.target_kind=c.target_kind AND c2.field=c.field AND c2.target=c.target"
            f"   AND c2.status='applied' AND r2.undo_of IS NULL{scope})"
        )
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        wanted = set(targets) if targets is not None else None
        return {
            _str(t): Provenance(_load(v), job, rid, _str(reason), w or YOURS)
            for t, v, job, rid, reason, w in rows
            if wanted is None or _str(t) in wanted
        }

    def program_values(
        self,
        target_kind: str,
        field: str = "userRating",
        targets: Iterable[str] | None = None,
        server: str | None = None,
        user: str | None = None,
    ) -> dict[str, Provenance]:
        """The standing writes that were the program's guesses (base, inferred).

        Whether an item's current value is still one of them is
        ``core.provenance.whose``'s answer, not this list's.
        """
        return {
            t: p
            for t, p in self.standing_writes(target_kind, field, targets, server, user).items()
            if p.whose in GUESSES
        }

    # --- recovery files (a run whose journal was lost) -------------------------------

    def run_whose(self, run_id: int) -> tuple[str, str]:
        """The run's Plex user and default whose (what a recovery file must keep)."""
        with self._lock:
            row = self._db.execute("SELECT user, whose FROM runs WHERE id=?", (run_id,)).fetchone()
        return (row[0] or "", row[1] or "") if row else ("", "")

    def write_recovery(self, run_id: int, path: Path, why: str) -> int:
        """What run ``run_id`` changed (applied, and pending: may have landed) -> JSON ``path``.

        Read from the connection still open on the lost file. Returns how many
        changes the file holds. ``undo --from FILE`` takes them back.
        """
        run = self.run(run_id)
        if run is None:
            raise ValueError(f"no run {run_id}")
        user, whose = self.run_whose(run_id)
        rows = list(reversed(self.changes(run_id, statuses=[APPLIED, PENDING])))
        doc = {
            "format": RECOVERY_FORMAT,
            "version": RECOVERY_VERSION,
            "why": why,
            "journal": str(self.path),
            "written_at": time.time(),
            "run": {
                "id": run.id,
                "job": run.job,
                "options": run.options,
                "started_at": run.started_at,
                "server": run.server,
                "library": run.library,
                "user": user,
                "whose": whose,
            },
            "changes": [
                {
                    "target_kind": r.change.target_kind,
                    "target": r.change.target,
                    "field": r.change.field,
                    "old": r.change.old,
                    "new": r.change.new,
                    "reason": r.change.reason,
                    "label": r.change.label,
                    "whose": r.change.whose,
                    "status": r.status,
                    "server": run.server,
                    "user": user,
                }
                for r in rows
            ],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(_dump(doc), encoding="utf-8")
        os.replace(tmp, path)
        return len(rows)

    def record_recovered(self, rec: Recovery, status: str = "recovered") -> tuple[int, list[int]]:
        """Put a recovery file's run back into the history (once): its new run id and change ids.

        A file taken back twice finds the run it was recorded as the first time.
        """
        key = rec.key
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM runs WHERE job=? AND started_at=? AND server=? ORDER BY id DESC",
                (rec.job, rec.started_at, rec.server),
            ).fetchall()
        for (rid,) in rows:
            run = self.run(int(rid))
            if run is not None and run.options.get("recovered_from") == key:
                ids = [r.id for r in reversed(self.changes(int(rid)))]
                if len(ids) == len(rec.rows):
                    return int(rid), ids
        now = time.time()
        with self._lock, self._db:
            cur = self._db.execute(
                "INSERT INTO runs(job, options, started_at, finished_at, status, server, library,"
                " summary, user, whose) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    rec.job,
                    _dump({**rec.options, "recovered_from": key}),
                    rec.started_at,
                    now,
                    status,
                    rec.server,
                    rec.library,
                    _dump({"recovered_from": str(rec.path)}),
                    rec.user,
                    rec.whose,
                ),
            )
            run_id = int(cur.lastrowid)
            ids: list[int] = []
            for ch, st in rec.rows:
                cur = self._db.execute(
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
                        st,
                        now,
                        ch.whose,
                    ),
                )
                ids.append(int(cur.lastrowid))
        return run_id, ids


@dataclass(frozen=True)
class Recovery:
    """A recovery file read back: the lost run and its changes (oldest first) with status."""

    path: Path
    run_id: int
    job: str
    options: dict[str, Any]
    started_at: float
    server: str
    library: str
    user: str
    whose: str
    rows: list[tuple[Change, str]]

    @property
    def key(self) -> str:
        """The lost run's identity (recorded once in the new journal)."""
        return f"{self.server}|{self.run_id}|{self.started_at!r}"


class RecoveryError(ValueError):
    """A file that is not a readable recovery file (its message says why, plainly)."""

    plain_message = True


def read_recovery(path: Path | str) -> Recovery:
    """A recovery file written by :meth:`Journal.write_recovery`; RecoveryError if it is not one."""
    path = Path(path)
    try:
        doc = _load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecoveryError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    except ValueError:
        raise RecoveryError(f"{path} is not a recovery file (it is not JSON).") from None
    if not isinstance(doc, dict) or doc.get("format") != RECOVERY_FORMAT:
        raise RecoveryError(f"{path} is not a recovery file written by this program.")
    if doc.get("version") != RECOVERY_VERSION:
        raise RecoveryError(f"{path} is a recovery file of another version of this program.")
    try:
        run = doc["run"]
        rows = [
            (
                Change(
                    str(c["target_kind"]),
                    str(c["target"]),
                    str(c["field"]),
                    c.get("old"),
                    c.get("new"),
                    str(c.get("reason") or ""),
                    str(c.get("label") or ""),
                    str(c.get("whose") or ""),
                ),
                APPLIED if c.get("status") == APPLIED else PENDING,
            )
            for c in doc["changes"]
        ]
        return Recovery(
            path,
            int(run["id"]),
            str(run["job"]),
            dict(run.get("options") or {}),
            float(run["started_at"]),
            str(run.get("server") or ""),
            str(run.get("library") or ""),
            str(run.get("user") or ""),
            str(run.get("whose") or ""),
            rows,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise RecoveryError(f"{path} is a damaged recovery file: a field is missing.") from None


def recovery_path(journal_path: Path, run_id: int) -> Path:
    """Where a lost run's recovery file goes: beside where the journal was."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return journal_path.parent / f"recovered-run-{run_id}-{stamp}.json"
