"""Recovery files: what a run changed, saved beside a journal lost mid-run, and read back.

``undo --from FILE`` takes such a file back and puts the run into History
once; the file format lives here, beside the journal methods that write it.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ratings_gui.core.plan import Change
from ratings_gui.journal.schema import APPLIED, PENDING, _dump, _load, insert_change

#: ``format`` of a recovery file (what a run changed, written when its journal was lost).
RECOVERY_FORMAT = "ratings_gui-recovery"
RECOVERY_VERSION = 1


class RecoveryFiles:
    """Writing a lost run to a recovery file and recording one back (mixed into the Journal)."""

    _db: Any
    _lock: threading.RLock
    path: Path

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
                ids.append(insert_change(self._db, run_id, ch, st, now))
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
