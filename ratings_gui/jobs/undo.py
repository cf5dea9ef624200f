"""Undo a run: write back the old values, newest change first.

An item whose current value is no longer what the run wrote was changed
since by someone else (the user in Plex, or a later run): it is reported
and left alone, never overwritten. File changes (the Tags job) put back
the exact raw rating fields the journal saved before the write.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ratings_gui.core.plan import FILE, PLEX, Change, Plan, Report
from ratings_gui.core.registry import JobSpec, declare, job_spec
from ratings_gui.core.scale import format_both, same
from ratings_gui.jobs.base import PlanJob, require_connection
from ratings_gui.jobs.runner import JobContext
from ratings_gui.jobs.tags_sync import count_sides, log_sides, sync_writer
from ratings_gui.journal import APPLIED, UNDONE, ChangeRow, Recovery
from ratings_gui.journal.writeloop import InOrder, Writer
from ratings_gui.plex.bulk import BulkRatingWriter, MoodWriter, mood_waits_for_rating
from ratings_gui.plex.connection import PlexError
from ratings_gui.plex.snapshot import read_items
from ratings_gui.plex.writer import RatingWriter
from ratings_gui.tags import read_many
from ratings_gui.tags.api import find_stale_temp_files, folders_of, leftover_note, sweep_temp_files
from ratings_gui.tags.base import LAYOUT_KEY
from ratings_gui.tags.writer import old_rating

log = logging.getLogger(__name__)

#: Undo puts back what was there before: no new value of anyone's.
SPEC = declare(
    JobSpec("undo", sets="", title="Undo", command="undo", tab="history", writes="plex+files")
)

MOOD = "mood"
CHANGED_SINCE = "changed since"
GONE = "no longer on the server"
FILE_GONE = "file not found"
FILE_UNREADABLE = "file unreadable"
ALREADY_UNDONE = "already as before"
_MISSING = object()


@dataclass
class UndoPayload:
    """What an undo plan carries for its own apply (never journaled)."""

    #: change key -> the journal id of the change it undoes (marked undone once written).
    change_ids: dict[tuple[str, str, str], int] = field(default_factory=dict)
    #: Journal ids whose target already holds the old value (marked undone as they are).
    already: list[int] = field(default_factory=list)
    #: path -> the exact raw tag fields to put back into that file.
    restore: dict[str, dict[str, str]] = field(default_factory=dict)


def _plan_file_undo(
    plan: Plan, run_id: int, ch: Change, reading: Any, restore: dict[str, dict[str, str]]
) -> bool:
    """One file change's inverse; False (counted, listed) when the file is gone or changed."""

    if reading is None or getattr(reading, "reason", "") == "not_found":
        plan.count(FILE_GONE)
        plan.skipped.append({"target": ch.target, "label": ch.label, "reason": FILE_GONE})
        return False
    if not hasattr(reading, "rating"):
        plan.count(FILE_UNREADABLE)
        why = getattr(reading, "message", str(reading))
        plan.skipped.append(
            {"target": ch.target, "label": ch.label, "reason": f"{FILE_UNREADABLE}: {why}"}
        )
        return False
    if not isinstance(ch.old, dict) or not isinstance(ch.old.get("fields"), dict):
        plan.count("unsupported field")
        return False
    wrote = ch.new
    if isinstance(wrote, dict) and isinstance(wrote.get("fields"), dict):
        unchanged = reading.fields == wrote["fields"]  # an undo run wrote exact fields
    else:
        unchanged = same(reading.rating, old_rating(wrote))
    if not unchanged:
        plan.count(CHANGED_SINCE)
        plan.skipped.append(
            {
                "target": ch.target,
                "label": ch.label,
                "reason": f"{CHANGED_SINCE}: the file now holds {format_both(reading.rating)}",
            }
        )
        return False
    restore[ch.target] = {str(k): str(v) for k, v in ch.old["fields"].items()}
    if ch.old.get("layout"):
        restore[ch.target][LAYOUT_KEY] = str(ch.old["layout"])
    plan.add(
        Change(
            FILE,
            ch.target,
            ch.field,
            reading.rating,
            old_rating(ch.old),
            f"undo of run {run_id}",
            ch.label,
        )
    )
    return True


def plan_undo(
    run_id: int,
    rows: list[Any],
    current: dict[int, Any],
    files: Mapping[str, Any] | None = None,
) -> Plan:
    """Pure: the inverse of a run's applied changes, given the items' current state.

    ``rows`` are the run's journal rows newest first; ``current`` maps
    ratingKey -> Item (absent = the item is gone); ``files`` maps a changed
    file's path -> its TagRating now (or the TagError reading it gave).
    """
    plan = Plan("undo", options={"undo_of": run_id})
    already: list[int] = []
    seen: set[tuple[str, str, str]] = set()
    change_ids: dict[tuple[str, str, str], int] = {}
    restore: dict[str, dict[str, str]] = {}
    for row in rows:
        ch = row.change
        if ch.key in seen:
            continue  # only the newest write to a target is undone
        seen.add(ch.key)
        if ch.target_kind == FILE:
            reading = (files or {}).get(ch.target)

            now = getattr(reading, "rating", _MISSING)
            if (
                now is not _MISSING
                and not same(now, old_rating(ch.new))
                and same(now, old_rating(ch.old))
            ):
                plan.count(ALREADY_UNDONE)
                already.append(row.id)
                continue
            if _plan_file_undo(plan, run_id, ch, reading, restore):
                change_ids[ch.key] = row.id
            continue
        item = current.get(int(ch.target))
        if item is None:
            plan.count(GONE)
            plan.skipped.append({"target": ch.target, "label": ch.label, "reason": GONE})
            continue
        if ch.field == "userRating":
            now = item.user_rating
            unchanged = same(now, ch.new)
        elif ch.field == "watched":
            now = item.view_count > 0
            unchanged = now == bool(ch.new)
        elif ch.field == MOOD:
            tag = str(ch.new or ch.old or "")
            now = item.has_mood(tag)
            unchanged = now == bool(ch.new)
        else:
            plan.count("unsupported field")
            continue
        if not unchanged and _is_old(ch, now):
            # already back to what it was (an undo cut short, or the user): nothing to write
            plan.count(ALREADY_UNDONE)
            already.append(row.id)
            continue
        if not unchanged:
            plan.count(CHANGED_SINCE)
            if ch.field == "userRating":
                shown = format_both(now)
            elif ch.field == MOOD:
                shown = "tagged" if now else "not tagged"
            else:
                shown = str(now)
            plan.skipped.append(
                {
                    "target": ch.target,
                    "label": ch.label,
                    "reason": f"{CHANGED_SINCE}: now {shown}",
                }
            )
            continue
        plan.add(ch.inverse(reason=f"undo of run {run_id}"))
        change_ids[ch.key] = row.id
    plan.payload = UndoPayload(change_ids, already, restore)
    return plan


def _is_old(ch: Change, now: Any) -> bool:
    """Does the target hold the change's old value again?"""
    if ch.field == "userRating":
        return same(now, ch.old)
    return bool(now) == bool(ch.old)


class UndoJob(PlanJob):
    """A PlanJob: read current values, plan the inverse changes, apply them as a new run."""

    name = "undo"

    def __init__(self, app: Any, run_id: int, recovery: Recovery | None = None) -> None:
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
    def from_recovery(cls, app: Any, recovery: Recovery) -> UndoJob:
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

    def read(self, ctx: JobContext) -> tuple[list[Any], dict[int, Any], dict[str, Any], str]:
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

    def _read_targets(
        self, ctx: JobContext, rows: list[Any], library: str
    ) -> tuple[list[Any], dict[int, Any], dict[str, Any], str]:
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
        return rows, current, files, library

    def plan(self, snapshot: tuple[list[Any], dict[int, Any], dict[str, Any], str]) -> Plan:
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
