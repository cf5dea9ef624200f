"""Settle what an interrupted run left ``pending``: read the real state, record what is there.

A change is journaled ``pending`` before it is sent and marked after. A run
killed (or stopped by Ctrl-C, or by a locked journal) between the two
leaves rows that may or may not have reached Plex or the file. Undo and
every new run settle them first: the targets are read (one bulk read for
Plex, the files' tags) and each row becomes ``applied`` when the target
holds the value the run sent, ``failed`` otherwise. Undo then undoes what
is really there, and provenance ("is this the program's rating?") counts
every write that happened.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from ratings_gui.core.plan import FILE, PLEX, Change, old_rating
from ratings_gui.core.scale import same
from ratings_gui.jobs.runner import JobApp
from ratings_gui.journal import APPLIED, FAILED, PENDING, ChangeRow
from ratings_gui.plex.http import PlexHttp
from ratings_gui.plex.writer import read_current
from ratings_gui.tags.writer import FileWriter

log = logging.getLogger(__name__)

NOT_WRITTEN = "not written: the run stopped before this change reached it"
GONE = "not written: the item is no longer on the server"
FILE_GONE = "not written: the file cannot be read now"


def _holds(ch: Change, now: Any) -> bool:
    """Does the target's current value show that this change reached it?"""
    if ch.field in ("watched", "mood"):
        return bool(now) == bool(ch.new)
    return same(now, old_rating(ch.new))  # a file undo's value carries its fields


def _plex_now(app: JobApp, changes: Sequence[Change], cancel: Any = None) -> dict[Any, Any] | None:

    conn = getattr(app, "connection", None)
    if conn is None:
        return None
    return dict(read_current(conn, changes, PlexHttp(conn, cancel=cancel)))


def settle_rows(
    app: JobApp,
    rows: Sequence[ChangeRow],
    *,
    server: str = "",
    popm_email: str = "",
    rating_scale: str | None = None,
    cancel: Any = None,
) -> tuple[int, int]:
    """Mark pending ``rows`` applied or failed from what their targets hold now.

    Plex rows are settled only when connected to the run's ``server`` (else
    they stay pending: nothing can be known). Returns (applied, failed).
    """
    plex = [r for r in rows if r.change.target_kind == PLEX]
    files = [r for r in rows if r.change.target_kind == FILE]
    outcomes: list[tuple[int, str, str | None]] = []
    conn = getattr(app, "connection", None)
    if plex and conn is not None and (not server or not conn.name or server == conn.name):
        now = _plex_now(app, [r.change for r in plex], cancel)
        if now is not None:
            for r in plex:
                ch = r.change
                if ch.key not in now:
                    outcomes.append((r.id, FAILED, GONE))
                elif _holds(ch, now[ch.key]):
                    outcomes.append((r.id, APPLIED, None))
                else:
                    outcomes.append((r.id, FAILED, NOT_WRITTEN))
    if files:
        reader = FileWriter(popm_email=popm_email, rating_scale=rating_scale)
        now = reader.read_current([r.change for r in files])
        for r in files:
            ch = r.change
            if ch.key not in now:
                outcomes.append((r.id, FAILED, FILE_GONE))
            elif _holds(ch, now[ch.key]):
                outcomes.append((r.id, APPLIED, None))
            else:
                outcomes.append((r.id, FAILED, NOT_WRITTEN))
    if outcomes:
        app.journal.mark_many(outcomes)
    applied = sum(1 for _, st, _ in outcomes if st == APPLIED)
    return applied, len(outcomes) - applied


def settle_interrupted(app: JobApp, ctx: Any = None, run_ids: Iterable[int] | None = None) -> int:
    """Settle the pending rows of every run that is no longer running (or of ``run_ids``).

    Runs whose process is alive keep their pending rows (those writes are in
    flight). Returns how many rows were settled.
    """
    journal = app.journal
    wanted = set(run_ids) if run_ids is not None else None
    total = 0
    ids = [i for i in journal.runs_with_pending() if wanted is None or i in wanted]
    for run in journal.runs(run_ids=ids) if ids else []:
        if run.status == "running":
            continue  # alive: its pending writes are in flight
        rows = journal.changes(run.id, statuses=[PENDING])
        email = str(run.options.get("popm_email") or "")
        cancel = getattr(ctx, "cancel_event", None)
        as_app = app
        conn = getattr(app, "connection", None)
        if conn is not None and run.user != (conn.user or ""):
            try:  # read as the member who made the run: their ratings, not these
                as_app = app.as_user(run.user)
            except Exception:  # noqa: BLE001 - cannot switch now (a PIN): stays pending
                continue
        applied, failed = settle_rows(
            as_app,
            rows,
            server=run.server,
            popm_email=email,
            rating_scale=run.options.get("rating_scale"),
            cancel=cancel,
        )
        if applied or failed:
            text = (
                f"run {run.id} ({run.job}) was interrupted: of its {applied + failed:,} unsettled "
                f"changes {applied:,} had been written and {failed:,} had not"
            )
            log.info(text)
            if ctx is not None:
                ctx.log(text)
        total += applied + failed
    return total
