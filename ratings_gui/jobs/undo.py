"""Undo a run: write back the old values, newest change first.

An item whose current value is no longer what the run wrote was changed
since by someone else (the user in Plex, or a later run): it is reported
and left alone, never overwritten. File changes (the Tags job) put back
the exact raw rating fields the journal saved before the write.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, NamedTuple

from ratings_gui.core.plan import FILE, PLEX, Plan, Report
from ratings_gui.core.registry import JobSpec, declare, job_spec
from ratings_gui.core.undoplan import (
    MOOD,
    UndoPayload,
    plan_undo,
)
from ratings_gui.jobs.base import PlanJob, require_connection
from ratings_gui.jobs.runner import JobApp, JobContext
from ratings_gui.jobs.tags_sync import count_sides, log_sides, sync_writer
from ratings_gui.journal import APPLIED, UNDONE, ChangeRow, Recovery
from ratings_gui.journal.writeloop import InOrder, Writer
from ratings_gui.plex.bulk import BulkRatingWriter, MoodWriter, mood_waits_for_rating
from ratings_gui.plex.connection import PlexError
from ratings_gui.plex.snapshot import read_items
from ratings_gui.plex.writer import RatingWriter
from ratings_gui.tags import read_many
from ratings_gui.tags.api import find_stale_temp_files, folders_of, leftover_note, sweep_temp_files

log = logging.getLogger(__name__)

#: Undo puts back what was there before: no new value of anyone's.
SPEC = declare(
    JobSpec("undo", sets="", title="Undo", command="undo", tab="history", writes="plex+files")
)


class UndoRead(NamedTuple):
    """The run's applied rows and what their Plex items and files hold now."""

    rows: list[Any]
    current: dict[int, Any]  #: ratingKey -> the item as read now
    files: dict[str, Any]  #: path -> the file's rating fields now
    library: str


class UndoJob(PlanJob):
    """A PlanJob: read current values, plan the inverse changes, apply them as a new run."""

    name = "undo"

    def __init__(self, app: JobApp, run_id: int, recovery: Recovery | None = None) -> None:
        super().__init__(app)
        self.run_id = run_id
        self.undo_of = run_id
        self.run_options: dict[str, Any] = {}
        self.kinds: dict[int, str] = {}
        self._restore: dict[str, dict[str, str]] = {}
        #: ``undo --from FILE``: the changes come from a recovery file, not the journal.
        self.recovery = recovery
        #: The Plex Home PIN of the member who made the run, when they have one.
        self.pin: str | None = None

    @classmethod
    def from_recovery(cls, app: JobApp, recovery: Recovery) -> UndoJob:
        """Undo a run whose journal was lost, from the recovery file it left."""
        return cls(app, recovery.run_id, recovery)

    def _read_recovery(self, ctx: JobContext) -> tuple[list[Any], str]:
        """The recovery file's rows (newest first, ids standing for their place in the file).

        Changes the lost run left pending may have landed: the same checks as
        for applied ones tell (the target holds the new value: undone; the old
        one: already as before; another: changed since, left alone).
        """
        rec = self.recovery
        assert rec is not None
        conn = require_connection(self.app)
        if rec.server and conn.name and rec.server != conn.name:
            raise PlexError(
                f"{rec.path.name} holds changes to {rec.server}, but you are connected to "
                f"{conn.name}."
            )
        if rec.user != (conn.user or ""):
            who = rec.user or "the account that signed in"
            raise PlexError(f"{rec.path.name} holds the ratings of {who}; sign in as them first.")
        unknown = {c.target_kind for c, _ in rec.rows} - {PLEX, FILE}
        if unknown:
            raise PlexError(f"{rec.path.name} holds changes to {', '.join(sorted(unknown))}.")
        rows = [
            ChangeRow(-(i + 1), rec.run_id, ch, st, None, rec.started_at)
            for i, (ch, st) in enumerate(rec.rows)
        ]
        self.run_options = dict(rec.options)
        ctx.log(f"undo run {rec.run_id} ({rec.job}) from {rec.path}: {len(rows):,} changes")
        return list(reversed(rows)), rec.library

    def read(self, ctx: JobContext) -> UndoRead:
        """The run's applied rows, and what their items and files hold now."""
        if self.recovery is not None:
            rows, library = self._read_recovery(ctx)
            return self._read_targets(ctx, rows, library)
        run = self.app.journal.run(self.run_id)
        if run is None:
            raise PlexError(f"There is no run {self.run_id} in the history.")
        spec = job_spec(run.job)
        if spec is not None and spec.record_only:
            raise PlexError(
                f"Run {self.run_id} only recorded which ratings are the program's; "
                "it wrote nothing, so there is nothing to undo."
            )
        conn = require_connection(self.app)
        if run.server and conn.name and run.server != conn.name:
            raise PlexError(
                f"Run {self.run_id} changed {run.server}, but you are connected to {conn.name}."
            )
        if self.app.journal.is_running(self.run_id):
            raise PlexError(f"Run {self.run_id} is still running; undo it when it has finished.")
        if run.user != (conn.user or ""):
            # a run made as another Plex Home member is undone as that member, by itself
            self.app = self.app.as_user(run.user, self.pin)
            ctx.log(
                f"run {self.run_id} was made as {self.app.connection.user_title or 'you'}: "
                "undoing it as them"
            )
        # Rows an interrupted run left pending were settled by prepare() before this read.
        rows = self.app.journal.changes(self.run_id, statuses=[APPLIED])
        unknown = {r.change.target_kind for r in rows} - {PLEX, FILE}
        if unknown:
            raise PlexError(f"Run {self.run_id} changed {', '.join(sorted(unknown))}: cannot undo.")
        self.run_options = dict(run.options)
        ctx.log(f"undo run {self.run_id} ({run.job}): {len(rows):,} applied changes")
        return self._read_targets(ctx, rows, run.library)

    def _read_targets(self, ctx: JobContext, rows: list[Any], library: str) -> UndoRead:
        """What the rows' Plex items and files hold now."""
        conn = require_connection(self.app)
        ctx.progress(0, len(rows), "reading current values")
        plex_keys = {r.change.target for r in rows if r.change.target_kind == PLEX}
        current = read_items(conn, plex_keys, cancel=ctx.cancel_event) if plex_keys else {}
        self.kinds = {k: it.kind for k, it in current.items()}
        ctx.check_cancel()
        files = self._read_files([r.change.target for r in rows if r.change.target_kind == FILE])
        self._temp_folders = self._leftover_folders(ctx)
        ctx.check_cancel()
        ctx.progress(len(rows), len(rows), "reading current values")
        return UndoRead(rows, current, files, library)

    def plan(self, snapshot: UndoRead) -> Plan:
        rows, current, files, library = snapshot
        plan = plan_undo(self.run_id, rows, current, files)
        plan.options["library"] = library
        return plan

    def log_plan(self, ctx: JobContext, plan: Plan) -> None:
        for s in plan.skipped:
            ctx.log(f"left alone: {s['label'] or s['target']}: {s['reason']}", logging.WARNING)

    def _leftover_folders(self, ctx: JobContext) -> list[str]:
        """Folders of every file the run touched (written or not) holding leftover temp files."""

        if self.recovery is not None:
            every_change = [c for c, _ in self.recovery.rows]
        else:
            every_change = [r.change for r in self.app.journal.changes(self.run_id)]
        found = find_stale_temp_files(
            folders_of(c.target for c in every_change if c.target_kind == FILE)
        )
        if found:
            ctx.log(leftover_note(len(found)), logging.WARNING)
        return folders_of(found)

    def _read_files(self, paths: list[str]) -> dict[str, Any]:
        """The changed files' ratings now (TagRating or TagError per path)."""
        if not paths:
            return {}

        email = str(self.run_options.get("popm_email") or "")
        opts: dict[str, Any] = {"popm_email": email} if email else {}
        opts["rating_scale"] = self.run_options.get("rating_scale")
        return {str(p): r for p, r in read_many(sorted(set(paths)), **opts)}

    def writer(self, ctx: JobContext, plan: Plan) -> Writer | None:
        """Files put back their exact fields; mood tags need grouped edits in the run's section."""
        if self._restore or any(c.target_kind == FILE for c in plan.changes):
            log_sides(ctx, plan)
            return sync_writer(
                self.app,
                ctx,
                popm_email=str(self.run_options.get("popm_email") or ""),
                keep_mtime=bool(self.run_options.get("keep_mtime")),
                restore=self._restore,
                rating_scale=self.run_options.get("rating_scale"),
            )

        conn = require_connection(self.app)
        section = self.run_options.get("section_id")
        # ratings grouped (library and type learned from the read before each chunk where
        # the run does not say), watched marks item by item
        ratings = BulkRatingWriter(conn, None, kind=None, kinds=self.kinds, cancel=ctx.cancel_event)
        marks = RatingWriter(conn, cancel=ctx.cancel_event)
        if not any(c.field == MOOD for c in plan.changes):
            return InOrder(ratings, marks)
        if section is None:
            raise PlexError(f"Run {self.run_id} does not say which library its mood tags are in.")
        return InOrder(
            ratings,
            marks,
            MoodWriter(conn, int(section), self.kinds, cancel=ctx.cancel_event),
            hold=mood_waits_for_rating,
        )

    def apply(self, ctx: JobContext, plan: Plan) -> Report:

        removed = sweep_temp_files(getattr(self, "_temp_folders", []))
        if removed:
            ctx.log(f"deleted {removed:,} leftover temporary files")
        payload: UndoPayload = plan.payload or UndoPayload()
        self._restore = dict(payload.restore)  # to the writer; never journaled
        if self.recovery is not None:
            plan = self._record_recovered(plan, payload)
        return super().apply(ctx, plan)

    def _record_recovered(self, plan: Plan, payload: UndoPayload) -> Plan:
        """Put the lost run back into History (once), then undo it there like any run.

        The recovery file's places become the new journal's change ids, so the
        rows are marked undone and the values are known as the program's again.
        """
        assert self.recovery is not None
        run_id, ids = self.app.journal.record_recovered(self.recovery)
        self.run_id = self.undo_of = run_id

        def real(i: int) -> int:
            return ids[-int(i) - 1]

        options = {**plan.options, "undo_of": run_id, "undo_from": str(self.recovery.path)}
        ids_now = UndoPayload(
            {k: real(v) for k, v in payload.change_ids.items()},
            [real(i) for i in payload.already],
            payload.restore,
        )
        return dataclasses.replace(plan, options=options, payload=ids_now)

    def after_apply(self, ctx: JobContext, plan: Plan, report: Report) -> None:
        """Mark the undone rows, and what is left of the run they came from."""
        if self._restore or any(c.target_kind == FILE for c in plan.changes):
            count_sides(report)
        payload: UndoPayload = plan.payload or UndoPayload()
        ids = payload.change_ids
        done_ids = [cid for ch in report.applied if (cid := ids.get(ch.key)) is not None]
        done_ids += list(payload.already)
        self.app.journal.mark(done_ids, UNDONE)
        remaining = self.app.journal.changes(self.run_id, statuses=[APPLIED])
        self.app.journal.set_run_status(self.run_id, "undone" if not remaining else "partly undone")
        report.extra["undo_of"] = self.run_id
