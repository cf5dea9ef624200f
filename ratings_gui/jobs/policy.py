"""What happens around a job's writes, the same from the window and the command line.

The automatic backup: before a run that changes Plex ratings, the ratings
it will change are kept in a backup file beside the journal (one bulk read
of those items), when the user asked for it once (the setting) or passes
``--backup-first``. A backup that cannot be written stops the run before its
first write. Jobs that make their own backup (a clear) declare so.
"""

from __future__ import annotations

from typing import Any

from ratings_gui.core.plan import PLEX, Plan, Report
from ratings_gui.core.registry import backs_up_first
from ratings_gui.jobs.runner import JobApp, JobContext
from ratings_gui.jobs.transfer import backup_before

#: The user-wide setting: True keep a backup before every run that writes, False never,
#: absent: not asked yet (the window offers it once, with the first plan that writes).
AUTO_BACKUP_KEY = "auto_backup"


def writes_ratings(plan: Plan | None) -> bool:
    """A plan the automatic backup is for: it changes Plex ratings, and its job wants one."""
    if plan is None or not backs_up_first(plan.job):
        return False
    return any(c.target_kind == PLEX and c.field == "userRating" for c in plan.changes)


def auto_backup_on(settings: Any) -> bool:
    return settings.get(AUTO_BACKUP_KEY) is True


def wants_backup(app: JobApp, plan: Plan, backup_first: bool | None = None) -> bool:
    """``backup_first`` (the command line's flag) or, when not given, the user's setting."""
    on = auto_backup_on(app.settings) if backup_first is None else backup_first
    return bool(on) and writes_ratings(plan)


def apply_job(
    app: JobApp, job: Any, plan: Plan, ctx: JobContext, *, backup_first: bool | None = None
) -> Report:
    """Write ``plan`` through ``job``: the automatic backup first when wanted, then the run."""
    if wants_backup(app, plan, backup_first):
        # as the member the job writes as (copy-ratings switches to its To member)
        backup_before(getattr(job, "app", None) or app, plan, ctx)
        ctx.check_cancel()
    return job.apply(ctx, plan)
