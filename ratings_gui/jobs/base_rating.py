"""Base rating: a chosen rating for every track nobody has rated yet.

Plexamp's radios and Guest DJ pass over unrated tracks, so a base rating
makes them playable there. The rating is not the user's: the journal marks
it with the job name ``base-rating``, inference ignores it as evidence, and
Reset removes only these ratings. The user's own ratings are never touched
unless a second, explicit option says so.

Flow as every job: bulk read -> :func:`~ratings_gui.core.baserating.plan_base_rating` (pure) -> preview
-> journaled apply -> undo from History. :func:`watch` keeps rating tracks
the server adds while it runs.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ratings_gui.core.baserating import (
    JOB,
    REPLACES_MINE,  # noqa: F401 (the Base rating tab names it from the job)
    RESET_JOB,
    STYLE_NAMES,  # noqa: F401 (the Base rating tab names it from the job)
    STYLES,  # noqa: F401 (the Base rating tab names it from the job)
    check_value,
    plan_base_rating,
    plan_reset,
)
from ratings_gui.core.plan import Plan, Report
from ratings_gui.core.provenance import BASE
from ratings_gui.core.records import TYPE_IDS, Item
from ratings_gui.core.registry import JobSpec, declare
from ratings_gui.jobs.base import PlanJob, rating_provenance, require_connection, server_time
from ratings_gui.jobs.runner import JobApp, JobContext
from ratings_gui.journal import Provenance
from ratings_gui.journal.writeloop import Writer
from ratings_gui.plex.alerts import wake_on_library_change
from ratings_gui.plex.bulk import BulkRatingWriter
from ratings_gui.plex.connection import PlexError
from ratings_gui.plex.http import PlexHttp
from ratings_gui.plex.snapshot import find_section, iter_listing

log = logging.getLogger(__name__)

SPEC = declare(
    JobSpec(JOB, sets=BASE, title="Base rating", command="base-rating", tab="base_rating")
)
#: A reset puts "unrated" back: a value no one owns.
RESET_SPEC = declare(
    JobSpec(
        RESET_JOB, sets="", title="Reset base ratings", command="base-rating", tab="base_rating"
    )
)


#: ``--since-last-run`` looks this far before the last run, for clock skew between
#: this computer and the server (a track rated twice is skipped, so it is harmless).
SINCE_MARGIN_SECONDS = 120
#: Statuses of a run that count as "the last run" for ``--since-last-run``.
FINISHED = ("done", "done with errors")
DEFAULT_INTERVAL = 20.0


def last_run_start(journal: Any, library: str, job: str = JOB) -> float | None:
    """When the last finished base-rating run on ``library`` read the library."""
    last = journal.started_at_of_last(job, FINISHED, library)
    if last is None:
        return None
    started, options = last
    return float(options.get("read_at") or started)


# --- the job ----------------------------------------------------------------------------


@dataclass
class BaseRatingOptions:
    """Everything the user chose; plain values so the GUI reads widgets before starting."""

    library: str
    value: float
    style: str = "whole"
    override_program: bool = False
    override_user: bool = False
    newest: int | None = None
    since_last_run: bool = False
    #: Ignored: writes are always grouped (kept so saved settings and old callers still work).
    grouped: bool = False
    workers: int = 3
    extra: dict[str, Any] = field(default_factory=dict)


class BaseRatingRead(NamedTuple):
    """What a base-rating plan is made from."""

    tracks: list[Item]
    read_at: float  #: when the read began
    provenance: dict[str, Provenance]  #: the program's standing values, for whose()
    since: float | None  #: only tracks added after this (the since-last-run floor)


class BaseRatingJob(PlanJob):
    """A PlanJob: read the tracks, plan the base ratings (or ``reset`` them), write them."""

    name = JOB
    read_kinds = ("track",)

    def __init__(self, app: JobApp, opts: BaseRatingOptions, *, reset: bool = False) -> None:
        super().__init__(app)
        self.opts = opts
        self.library = opts.library
        self.reset = reset

    def read(self, ctx: JobContext) -> BaseRatingRead:
        """The tracks, when they were read, the program's values, and the since-last-run floor."""
        started = time.time()
        tracks = super().read(ctx).of_kind("track")
        read_at = server_time(self.app, started)  # compared with addedAt by the next run
        prov = rating_provenance(self.app)
        since = None
        if self.opts.since_last_run and not self.reset:
            last = last_run_start(self.app.journal, self.opts.library)
            if last is None:
                ctx.log("no earlier base-rating run: every track is in scope")
            else:
                since = last - SINCE_MARGIN_SECONDS
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(last))
                ctx.log(f"tracks added since the last run ({when})")
        return BaseRatingRead(tracks, read_at, prov, since)

    def plan(self, snapshot: BaseRatingRead) -> Plan:
        tracks, read_at, prov, since = snapshot
        if self.reset:
            plan = plan_reset(tracks, prov)
        else:
            plan = plan_base_rating(
                tracks,
                prov,
                value=check_value(self.opts.value, self.opts.style),
                override_program=self.opts.override_program,
                override_user=self.opts.override_user,
                newest=self.opts.newest,
                since=since,
            )
            plan.options["style"] = self.opts.style
        plan.options.update(
            library=self.opts.library,
            section_id=self.section_id,
            read_at=read_at,
            grouped=self.opts.grouped,
        )
        return plan

    def log_plan(self, ctx: JobContext, plan: Plan) -> None:
        ctx.log(f"plan: {len(plan):,} tracks to change")

    def writer(self, ctx: JobContext, plan: Plan) -> Writer | None:
        """Grouped multi-edits (item by item where the server refuses them), same journaling.

        ``opts.grouped`` is no longer a choice: every run groups its writes.
        """

        conn = require_connection(self.app)
        section_id = plan.options.get("section_id")
        return BulkRatingWriter(
            conn, int(section_id) if section_id is not None else None, cancel=ctx.cancel_event
        )


# --- watch -------------------------------------------------------------------------------


@dataclass
class WatchStats:
    polls: int = 0
    seen: int = 0
    rated: int = 0
    failed: int = 0
    runs: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "polls": self.polls,
            "new_tracks": self.seen,
            "rated": self.rated,
            "failed": self.failed,
            "runs": self.runs,
        }


def _newest_tracks(http: Any, section_id: int, floor: int, page: int) -> list[Item]:
    """Tracks added at or after ``floor``, newest first; pages on only while they are all new."""

    out: list[Item] = []
    for it in iter_listing(
        http, section_id, TYPE_IDS["track"], page_size=page, params={"sort": "addedAt:desc"}
    ):
        if (it.added_at or 0) < floor:
            break
        out.append(it)
    return out


def _first_page(http: Any, section_id: int, page: int) -> list[Item]:
    """The newest ``page`` tracks (one request)."""

    listing = iter_listing(
        http, section_id, TYPE_IDS["track"], page_size=page, params={"sort": "addedAt:desc"}
    )
    return list(itertools.islice(listing, page))


def watch(
    app: JobApp,
    opts: BaseRatingOptions,
    ctx: JobContext,
    *,
    interval: float = DEFAULT_INTERVAL,
    seconds: float | None = None,
    page: int = 200,
    alerts: bool = True,
    on_batch: Callable[[Report], None] | None = None,
) -> WatchStats:
    """Rate tracks added to the library while this runs, until cancelled or ``seconds`` pass.

    Each poll asks for the first page of the ``addedAt:desc`` listing. A
    track counts as new when it was not in the listing at the start and
    was added no earlier than the newest track then (the server's own
    clock, so a skewed local clock does not matter). Notifications, when
    plexapi's AlertListener can run, only wake the poll early.
    """

    conn = require_connection(app)
    job = BaseRatingJob(app, opts)
    value = check_value(opts.value, opts.style)
    http = PlexHttp(conn, cancel=ctx.cancel_event)
    sec = _music_section(http, opts.library, conn.name)
    head = _first_page(http, sec.id, page)
    floor = (head[0].added_at or 0) if head else 0
    known = {t.key for t in head}
    stats = WatchStats()
    wake = threading.Event()
    listener = wake_on_library_change(conn, wake) if alerts else None
    how = "notifications and polling" if listener else "polling"
    ctx.log(f"watching {opts.library} for new tracks every {interval:g} s ({how})")
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while not ctx.cancel_event.is_set():
            left = interval if deadline is None else deadline - time.monotonic()
            _wait(ctx, wake, min(interval, left))
            if ctx.cancel_event.is_set():
                break
            stats.polls += 1
            polled_at = time.time()
            new = [t for t in _newest_tracks(http, sec.id, floor, page) if t.key not in known]
            polled_at = conn.server_time(polled_at)
            if new:
                known.update(t.key for t in new)
                stats.seen += len(new)
                _rate_new(app, job, opts, sec.id, new, value, polled_at, ctx, stats, on_batch)
            if deadline is not None and time.monotonic() >= deadline:
                break
    finally:
        if listener is not None:
            try:
                listener.stop()
            except Exception:  # noqa: BLE001
                pass
    ctx.log(f"watch ended: {stats.rated} track(s) rated in {stats.polls} polls")
    return stats


def _music_section(http: PlexHttp, library: str, server: str) -> Any:
    """The music library to watch; a plain error for any other kind."""
    sec = find_section(http, library, server)
    if sec.type != "artist":
        raise PlexError(f"{library} is not a music library.")
    return sec


def _wait(ctx: JobContext, wake: threading.Event, seconds: float) -> None:
    """One wait between polls that either the cancel flag or a notification ends."""
    if seconds <= 0:
        return
    end = time.monotonic() + seconds
    while time.monotonic() < end and not ctx.cancel_event.is_set():
        if wake.wait(min(0.1, max(0.0, end - time.monotonic()))):
            wake.clear()
            return


def _rate_new(
    app: JobApp,
    job: BaseRatingJob,
    opts: BaseRatingOptions,
    section_id: int,
    new: list[Item],
    value: float,
    polled_at: float,
    ctx: JobContext,
    stats: WatchStats,
    on_batch: Callable[[Report], None] | None,
) -> None:
    """The base rating for one poll's new tracks: planned and applied as a run of its own."""
    prov = rating_provenance(app, [str(t.key) for t in new])
    plan = plan_base_rating(new, prov, value=value, override_program=opts.override_program)
    # a track someone rates after this poll is left alone, as in every run
    plan.read_at = polled_at
    plan.options.update(library=opts.library, section_id=section_id, read_at=polled_at, watch=True)
    ctx.log(f"{len(new)} new track(s); {len(plan)} to rate")
    if plan.changes:
        report = job.apply(ctx, plan)
        stats.rated += report.changes
        stats.failed += len(report.failed)
        if report.run_id is not None:
            stats.runs.append(report.run_id)
        if on_batch is not None:
            on_batch(report)
