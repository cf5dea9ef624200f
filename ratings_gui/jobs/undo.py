"""Undo a run: write back the old values, newest change first.

An item whose current value is no longer what the run wrote was changed
since by someone else (the user in Plex, or a later run): it is reported
and left alone, never overwritten.
"""

from __future__ import annotations

import logging
from typing import Any

from ratings_gui.core.plan import PLEX, Plan, Report
from ratings_gui.core.scale import format_both, same
from ratings_gui.jobs.apply import apply_plan
from ratings_gui.jobs.runner import JobContext
from ratings_gui.journal import APPLIED, UNDONE
from ratings_gui.plex.connection import PlexError
from ratings_gui.plex.snapshot import read_items

log = logging.getLogger(__name__)

CHANGED_SINCE = "changed since"
GONE = "no longer on the server"


def plan_undo(run_id: int, rows: list[Any], current: dict[int, Any]) -> Plan:
    """Pure: the inverse of a run's applied changes, given the items' current state.

    ``rows`` are the run's journal rows newest first; ``current`` maps
    ratingKey -> Item (absent = the item is gone).
    """
    plan = Plan("undo", options={"undo_of": run_id})
    seen: set[tuple[str, str, str]] = set()
    change_ids: dict[tuple[str, str, str], int] = {}
    for row in rows:
        ch = row.change
        if ch.key in seen:
            continue  # only the newest write to a target is undone
        seen.add(ch.key)
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
        else:
            plan.count("unsupported field")
            continue
        if not unchanged:
            plan.count(CHANGED_SINCE)
            shown = format_both(now) if ch.field == "userRating" else str(now)
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
    plan.options["change_ids"] = {"|".join(k): v for k, v in change_ids.items()}
    return plan


class UndoJob:
    """Read current values, plan the inverse changes, apply them as a new run."""

    name = "undo"

    def __init__(self, app: Any, run_id: int) -> None:
        self.app = app
        self.run_id = run_id

    def prepare(self, ctx: JobContext) -> Plan:
        run = self.app.journal.run(self.run_id)
        if run is None:
            raise PlexError(f"There is no run {self.run_id} in the history.")
        conn = self.app.connection
        if conn is None:
            raise PlexError("Not connected to a Plex server. Sign in first.")
        if run.server and conn.name and run.server != conn.name:
            raise PlexError(
                f"Run {self.run_id} changed {run.server}, but you are connected to {conn.name}."
            )
        rows = self.app.journal.changes(self.run_id, statuses=[APPLIED])
        if any(r.change.target_kind != PLEX for r in rows):
            raise PlexError(
                f"Run {self.run_id} changed files; undoing file changes is not available yet."
            )
        ctx.log(f"undo run {self.run_id} ({run.job}): {len(rows):,} applied changes")
        ctx.progress(0, len(rows), "reading current values")
        current = read_items(conn, {r.change.target for r in rows}, cancel=ctx.cancel_event)
        ctx.check_cancel()
        plan = plan_undo(self.run_id, rows, current)
        plan.options["library"] = run.library
        ctx.progress(len(rows), len(rows), "reading current values")
        for s in plan.skipped:
            ctx.log(f"left alone: {s['label'] or s['target']}: {s['reason']}", logging.WARNING)
        return plan

    def apply(self, ctx: JobContext, plan: Plan) -> Report:
        report = apply_plan(self.app, plan, ctx, undo_of=self.run_id)
        ids = plan.options.get("change_ids", {})
        done_ids = [cid for ch in report.applied if (cid := ids.get("|".join(ch.key))) is not None]
        self.app.journal.mark(done_ids, UNDONE)
        remaining = self.app.journal.changes(self.run_id, statuses=[APPLIED])
        self.app.journal.set_run_status(self.run_id, "undone" if not remaining else "partly undone")
        report.extra["undo_of"] = self.run_id
        return report
