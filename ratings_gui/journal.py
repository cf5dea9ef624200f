"""The journal: every change the program made, so any run can be undone.

SQLite in the user data folder. A change row is written as ``pending``
before the write is sent and marked ``applied``/``failed`` after, so a
crash leaves a record of what may have been written. Provenance ("is this
rating one the program set?") is answered from the same rows.
"""

from __future__ import annotations

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
    failed: int = 0
    undone: int = 0
    #: Changes journaled but never settled (the run was interrupted mid-write).
    pending: int = 0
    #: The Plex user the run wrote as ("" for the account that signed in).
    user: str = ""


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


class _Guarded:
    """The sqlite connection, with "database is locked" turned into :class:`JournalBusy`."""

    def __init__(self, db: sqlite3.Connection, busy: Any) -> None:
        self._db = db
        self._busy = busy

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise self._busy() from None
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
        raw = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT)
        self._db = _Guarded(raw, self._busy_error)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._migrate()
        self._db.commit()

    def _migrate(self) -> None:
        """Journals from before whose/user were stored: add the columns, fill ``whose`` once."""
        have = {r[1] for r in self._db.execute("PRAGMA table_info(runs)").fetchall()}
        if "user" not in have:
            self._db.execute("ALTER TABLE runs ADD COLUMN user TEXT NOT NULL DEFAULT ''")
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
    ) -> int:
        """Record a new run; RunBusy when the same job is already running on this library.

        The run holds its lock until :meth:`finish_run` (or its process ends).
        ``user`` is the Plex user the run writes as; ``whose`` the default
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
                    " user, whose) VALUES (?,?,?,?,?,?,?,?,?)",
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
            " r.library, r.dry_run, r.summary, r.undo_of, r.user,"
            " COALESCE(SUM(c.status='applied'),0), COALESCE(SUM(c.status='failed'),0),"
            " COALESCE(SUM(c.status='undone'),0), COALESCE(SUM(c.status='pending'),0)"
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
                applied=int(r[12]),
                failed=int(r[13]),
                undone=int(r[14]),
                pending=int(r[15]),
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
