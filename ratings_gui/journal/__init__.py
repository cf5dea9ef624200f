"""The journal: every change the program made, so any run can be undone.

SQLite in the user data folder. A change row is written as ``pending``
before the write is sent and marked ``applied``/``failed`` after, so a
crash leaves a record of what may have been written. Provenance ("is this
rating one the program set?") is answered from the same rows.

The package: the :class:`Journal` here (runs and change rows), its tables,
row types and errors in ``schema``, its provenance queries in
``provenance``, its recovery files in ``recovery``, and the one journaled
write loop every writer goes through in ``writeloop``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ratings_gui.core.plan import Change
from ratings_gui.core.registry import default_whose
from ratings_gui.journal.provenance import ProvenanceQueries
from ratings_gui.journal.recovery import (
    RECOVERY_FORMAT,
    RECOVERY_VERSION,
    Recovery,
    RecoveryError,
    RecoveryFiles,
    read_recovery,
    recovery_path,
)
from ratings_gui.journal.schema import (
    _LEGACY_REASON_WHOSE,
    _LEGACY_RUN_WHOSE,
    _NOT_SENT_SQL,
    APPLIED,
    BUSY_TIMEOUT,
    FAILED,
    INTERRUPTED,
    LEFT_ALONE,
    NOT_SENT,
    PENDING,
    SCHEMA,
    UNDONE,
    WRITTEN,
    ChangeRow,
    JournalBusy,
    JournalLost,
    JournalUnwritable,
    Outcomes,
    Provenance,
    RunRow,
    _dump,
    _Guarded,
    _load,
    _str,
    _text,
    insert_change,
    never_sent,
    row_outcome,
    unwritable_message,
    unwritable_reason,
)
from ratings_gui.runlock import RunBusy, RunLock, describe_holder, holders

#: What the journal answers to (the modules below hold the parts; their names stay here).
__all__ = [
    "APPLIED",
    "BUSY_TIMEOUT",
    "FAILED",
    "INTERRUPTED",
    "LEFT_ALONE",
    "NOT_SENT",
    "PENDING",
    "RECOVERY_FORMAT",
    "RECOVERY_VERSION",
    "SCHEMA",
    "UNDONE",
    "WRITTEN",
    "ChangeRow",
    "Journal",
    "JournalBusy",
    "JournalLost",
    "JournalUnwritable",
    "Outcomes",
    "Provenance",
    "Recovery",
    "RecoveryError",
    "RunRow",
    "never_sent",
    "read_recovery",
    "recovery_path",
    "row_outcome",
    "unwritable_message",
    "unwritable_reason",
]


class SideReader:
    """A journal's second connection, opened on first use, for reads that take a while."""

    def __init__(self, path: Path, busy: Any, unwritable: Any) -> None:
        self.path = path
        self._errors = (busy, unwritable)  # the journal's plain sentences, as on its own
        self.lock = threading.Lock()
        self.conn: _Guarded | None = None
        self.closed = False

    def connection(self) -> _Guarded | None:
        """The connection (None once the journal is closed: its reads fail as they did)."""
        with self.lock:
            if self.conn is None and not self.closed:
                raw = sqlite3.connect(str(self.path), check_same_thread=False, timeout=BUSY_TIMEOUT)
                self.conn = _Guarded(raw, *self._errors)
            return self.conn

    def close(self, *, reopen: bool = False) -> None:
        with self.lock:
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            self.closed = not reopen


class Journal(ProvenanceQueries, RecoveryFiles):
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
        #: A second connection for History's counting reads (see :meth:`_reading`).
        self._side = SideReader(self.path, self._busy_error, self._unwritable_error)

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
        self._side.close(reopen=True)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Any]:
        """The connection for long reads (History counts every change of every run).

        A second connection: in WAL mode it reads beside the writers, so a
        History refresh (0.4 s with a million changes) never holds the lock
        a running job's writes and the window's quick lookups wait for.
        """
        side = self._side.connection() if self._identity is not None and not self.lost() else None
        if side is None:
            # ":memory:" has one database per connection; a deleted file would be made anew
            # (empty) by a new connection; a closed journal says so: the writers' connection
            with self._lock:
                yield self._db
            return
        with self._side.lock:
            yield side

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
        self._side.close()

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
        with self._reading() as db:
            rows = db.execute(
                "SELECT id, job, server, library FROM runs WHERE status='running' AND dry_run=0"
            ).fetchall()
        mine = set(self._held.copy())  # one C-level copy: no lock for a look at its keys
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

    def started_at_of_last(
        self, job: str, statuses: Sequence[str], library: str = ""
    ) -> tuple[float, dict[str, Any]] | None:
        """(start time, options) of the newest real run of ``job`` that ended in ``statuses``.

        One indexed look at the runs table, no counting of changes: cheap
        enough for the window's thread.
        """
        sql = (
            "SELECT started_at, options, library FROM runs WHERE job=? AND dry_run=0"
            f" AND undo_of IS NULL AND status IN ({','.join('?' * len(statuses))})"
            " ORDER BY id DESC"
        )
        with self._lock:
            rows = self._db.execute(sql, (job, *statuses)).fetchall()
        for started, options, lib in rows:
            if not library or not lib or lib == library:
                return float(started), _load(options) or {}
        return None

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
        with self._reading() as db:
            rows = db.execute(sql, args).fetchall()
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
                ids.append(insert_change(self._db, run_id, ch, PENDING, now))
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
        with self._reading() as db:
            rows = db.execute(sql, args).fetchall()
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
