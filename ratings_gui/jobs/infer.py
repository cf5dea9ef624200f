"""Inference job: read the music library once, plan with the pure engine, write in groups.

Flow as every job: bulk read (artists, albums, tracks, and the items that
carry the mood tag: about 30 requests for 50,000 tracks) ->
:func:`~ratings_gui.core.inference.plan_inference` -> preview -> journaled
grouped apply -> undo from History.

Provenance comes from the journal: a rating is the program's while it
equals what the program last wrote; everything else is the user's and is
never written. Restart: a run that was cancelled or crashed leaves
``pending`` journal rows; the next prepare settles them against what the
server holds, so applied writes count as the program's and are not redone.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ratings_gui.core import inference as inf
from ratings_gui.core.inferplan import MOOD, plan_mood
from ratings_gui.core.plan import PLEX, Change, Plan, Report
from ratings_gui.core.provenance import GUESSES, INFERRED
from ratings_gui.core.records import Item
from ratings_gui.core.registry import JobSpec, declare
from ratings_gui.core.scale import same, stars_label, to_stars
from ratings_gui.jobs.base import (
    PlanJob,
    check_written,
    mark_failed,
    rating_provenance,
    require_connection,
)
from ratings_gui.jobs.runner import JobApp, JobContext
from ratings_gui.journal import APPLIED
from ratings_gui.journal.writeloop import InOrder, Writer
from ratings_gui.plex.bulk import BulkRatingWriter, MoodWriter, mood_waits_for_rating
from ratings_gui.plex.connection import PlexError
from ratings_gui.plex.http import PlexHttp
from ratings_gui.plex.snapshot import keys_with_mood, read_items
from ratings_gui.plex.writer import RatingWriter

log = logging.getLogger(__name__)

JOB = inf.JOB
REBUILD_JOB = "infer-provenance"
SPEC = declare(JobSpec(JOB, sets=INFERRED, title="Inference", command="infer", tab="inference"))
REBUILD_SPEC = declare(
    JobSpec(
        REBUILD_JOB,
        sets=INFERRED,
        title="Guesses recovered from the mood tag",
        command="infer",
        tab="inference",
        writes="",
        record_only=True,
    )
)
DEFAULT_MOOD = "Rating_Inferred"
SETTINGS_TAB = "inference"
REPORTS = ("coverage", "histogram", "twins", "dissenters")
#: Ids per mood multi-edit: the same URL budget as the grouped rating edits.
IDS_PER_EDIT = 200
#: Why the mood tag is off for a Plex Home member (Plex lets only the owner edit tags).
MOOD_OWNER_ONLY = (
    "The mood tag is off for {name}: tags are shared by everyone on the server and only "
    "the server's owner may change them."
)
KINDS = ("artist", "album", "track")
#: Page size of the listings read only for keys and ratings (mood members, the
#: after-write check): small rows, so big pages keep a 50,000-track run under 60 reads.
KEY_PAGE = 10_000


def saved_params(app: JobApp) -> inf.Params:
    """The parameters the Inference tab remembered (the CLI starts from them too)."""
    return inf.Params.from_text(app.settings.tab(SETTINGS_TAB).get("params", {}))


def program_map(app: JobApp) -> dict[int, float | None]:
    """The program's standing guesses (base and inferred) per ratingKey, for this server and user.

    The engine counts an item's rating as evidence only when it is not the
    value here (the provenance rule: the program's guesses are not yours).
    """
    out: dict[int, float | None] = {}
    for k, prov in rating_provenance(app).items():
        if prov.whose not in GUESSES:
            continue
        try:
            out[int(k)] = prov.value
        except ValueError:
            continue
    return out


@dataclass
class InferOptions:
    """Everything the user chose, as plain values (read from widgets before a job starts)."""

    library: str
    params: inf.Params = field(default_factory=inf.Params)
    passes: tuple[str, ...] = inf.PASSES
    mood_tag: str | None = None
    grouped: bool = True
    workers: int = 3


def verify_ratings(
    app: JobApp, library: str, kind_of: Mapping[int, str], report: Report, ctx: JobContext
) -> int:
    """Grouped edits are checked by reading back only the written items (500 keys a request).

    What the server did not keep is marked failed; returns how many.
    """

    ratings = [c for c in report.applied if c.field == "userRating" and c.target.isdigit()]
    if not ratings:
        return 0
    http = PlexHttp(app.connection, cancel=ctx.cancel_event)
    now = read_items(
        app.connection, [c.target for c in ratings], http=http, cancel=ctx.cancel_event
    )
    report.extra["verify_requests"] = report.extra.get("verify_requests", 0) + http.sent
    return check_written(app, report, ratings, now, ctx)


def kind_writer(conn: Any, section_id: int, kinds: dict[int, str], cancel: Any) -> Any:
    """Grouped multi-edits per item kind (artists, albums, tracks need their own ``type=``).

    The grouped writer's per-change re-read would cost one request per 200
    items; the job verifies with one listing re-read instead (``verify``).
    """

    return BulkRatingWriter(conn, section_id, kinds=kinds, cancel=cancel, verify=False)


class InferRead(NamedTuple):
    """The music library, the program's own values, and whose each value is (for the mood)."""

    items: list[Item]
    program: dict[int, float | None]
    provenance: Any


class InferJob(PlanJob):
    """A PlanJob; keeps the snapshot and the engine's result for the reports."""

    name = JOB

    def __init__(self, app: JobApp, opts: InferOptions) -> None:
        super().__init__(app)
        self.opts = opts
        self.library = opts.library
        self.items: list[Item] = []
        self.program: dict[int, float | None] = {}
        self.result: inf.Result | None = None
        self.mood_have: set[int] = set()
        self.plan_seconds = 0.0
        self._kinds: dict[int, str] = {}

    # --- read ---------------------------------------------------------------------------

    def read_music(self, ctx: JobContext) -> list[Item]:
        """One bulk read of the library (and of who carries the mood tag)."""
        snap, http = self.read_snapshot(ctx)
        self.mood_have = set()
        conn = require_connection(self.app)
        if self.opts.mood_tag and conn.member:
            ctx.log(MOOD_OWNER_ONLY.format(name=conn.user_title or "a Plex Home member"))
            self.opts.mood_tag = None
        if self.opts.mood_tag:
            self.mood_have = self.read_mood(http, snap.section_id)
            ctx.log(f"mood tag {self.opts.mood_tag!r} on {len(self.mood_have):,} items")
        self.read_requests = http.sent
        self.items = list(snap)
        return self.items

    def read(self, ctx: JobContext) -> InferRead:
        """The library, after settling what an interrupted run left pending; and provenance."""
        items = self.read_music(ctx)
        self.program = program_map(self.app)
        provenance = rating_provenance(self.app) if self.opts.mood_tag else {}
        return InferRead(items, self.program, provenance)

    def read_mood(self, http: Any, section_id: int, kinds: Iterable[str] = KINDS) -> set[int]:
        """The keys carrying the mood tag: a mood-filtered key listing per kind."""

        return keys_with_mood(http, section_id, kinds, self.opts.mood_tag or "", KEY_PAGE)

    def plan(self, snapshot: InferRead) -> Plan:
        items, program, provenance = snapshot
        t0 = time.perf_counter()
        plan, res = inf.plan_inference(items, program, self.opts.params, self.opts.passes)
        self.result = res
        if self.opts.mood_tag:
            moods = plan_mood(items, provenance, plan.changes, self.opts.mood_tag, self.mood_have)
            for ch in moods:
                plan.add(ch)
            plan.count("mood tag added", sum(1 for c in moods if c.new))
            plan.count("mood tag removed", sum(1 for c in moods if not c.new))
        plan.options.update(
            library=self.opts.library,
            section_id=self.section_id,
            mood_tag=self.opts.mood_tag or "",
            read_at=time.time(),
        )
        self.plan_seconds = time.perf_counter() - t0
        return plan

    def log_plan(self, ctx: JobContext, plan: Plan) -> None:
        mu = self.result.mu if self.result is not None else 0.0
        ctx.log(
            f"plan: {len(plan):,} changes to write ({self.plan_seconds:.2f} s); "
            f"your library average {stars_label(mu)}"
        )

    # --- apply ----------------------------------------------------------------------------

    def writer(self, ctx: JobContext, plan: Plan) -> Writer:
        """Grouped edits per kind (or item by item), then the mood tags."""

        conn = require_connection(self.app)
        kinds = {it.key: it.kind for it in self.items}
        ratings: Writer
        if self.opts.grouped and self.section_id is not None:
            ratings = kind_writer(conn, self.section_id, kinds, ctx.cancel_event)
        else:
            ratings = RatingWriter(conn, workers=self.opts.workers, cancel=ctx.cancel_event)
        if not any(c.field == MOOD for c in plan.changes):
            return ratings
        if self.section_id is None:
            raise PlexError("Preview first: mood tags need the library read.")
        return InOrder(
            ratings,
            MoodWriter(conn, self.section_id, kinds, cancel=ctx.cancel_event),
            hold=mood_waits_for_rating,
        )

    def after_apply(self, ctx: JobContext, plan: Plan, report: Report) -> None:
        """One listing re-read checks grouped ratings and mood tags; the run's status follows."""
        grouped = self.opts.grouped and self.section_id is not None
        if grouped and report.applied and not ctx.cancelled:
            self._verify(ctx, report)
        moods = [c for c in report.applied if c.field == MOOD]
        if moods and not ctx.cancelled:
            moods = self._verify_mood(ctx, report, moods)
        if moods:
            self.mood_have |= {int(c.target) for c in moods if c.new}
            self.mood_have -= {int(c.target) for c in moods if not c.new}
            ctx.log(
                f"mood tag {self.opts.mood_tag!r}: added to {sum(1 for c in moods if c.new):,}, "
                f"removed from {sum(1 for c in moods if not c.new):,}"
            )

    def _verify_mood(self, ctx: JobContext, report: Report, moods: list[Change]) -> list[Change]:
        """Re-read who carries the tag (a listing per kind written); mark what did not stick."""

        http = PlexHttp(self.app.connection, cancel=ctx.cancel_event)
        kinds = [k for k in KINDS if any(self._kind(c) == k for c in moods)]
        have = self.read_mood(http, self.section_id or 0, kinds)
        report.extra["verify_requests"] = report.extra.get("verify_requests", 0) + http.sent
        wrong = [c for c in moods if (int(c.target) in have) != bool(c.new)]
        if not wrong:
            return moods
        mark_failed(self.app, report, wrong, "the server did not keep this mood tag")
        ctx.log(f"{len(wrong):,} mood tag changes did not stick", logging.WARNING)
        keys = {c.key for c in wrong}
        return [c for c in moods if c.key not in keys]

    def _verify(self, ctx: JobContext, report: Report) -> None:
        verify_ratings(
            self.app, self.opts.library, {it.key: it.kind for it in self.items}, report, ctx
        )

    def _kind(self, change: Change) -> str:
        if len(self._kinds) != len(self.items):
            self._kinds = {it.key: it.kind for it in self.items}
        return self._kinds.get(int(change.target), "track")

    # --- reports, backtest, provenance rebuild ----------------------------------------------

    def backtest(self, ctx: JobContext, *, folds: int = 5, seed: int = 1) -> inf.Backtest:
        """k-fold over the user's own track ratings: both engines and two plain averages."""
        if not self.items:
            self.read_music(ctx)
            self.program = program_map(self.app)
        return inf.backtest(self.items, self.program, self.opts.params, folds=folds, seed=seed)

    def rebuild_provenance(self, ctx: JobContext) -> int:
        """A lost journal: items carrying the mood tag hold the program's ratings; record them."""
        if not self.opts.mood_tag:
            raise PlexError("Rebuilding provenance needs the mood tag's name.")
        items = self.read_music(ctx)
        program = program_map(self.app)
        rows = [
            Change(
                PLEX, str(it.key), "userRating", None, it.user_rating, "from the mood tag", it.label
            )
            for it in items
            if it.key in self.mood_have
            and it.user_rating is not None
            and not same(program.get(it.key), it.user_rating)
        ]
        j = self.app.journal
        run_id = j.start_run(
            REBUILD_JOB,
            {"rebuilt_from_mood": self.opts.mood_tag},
            server=self.app.connection.name,
            library=self.opts.library,
            user=self.app.connection.user,
        )
        j.mark(j.record_pending(run_id, rows), APPLIED)
        j.finish_run(run_id, "done", {"job": REBUILD_JOB, "rebuilt": len(rows)})
        ctx.log(f"provenance rebuilt from mood {self.opts.mood_tag!r}: {len(rows):,} items")
        return len(rows)


# --- CSV reports and exports ------------------------------------------------------------------


def report_rows(
    kind: str, items: Sequence[Item], res: inf.Result, passes: Iterable[str] = inf.PASSES
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of one report, for the tab's tables and the CSV files."""
    passes = tuple(passes)
    if kind == "coverage":
        cov = inf.coverage(items, res, passes)
        return ["level", "own", "inferred", "unrated", "other"], [
            [lvl, c["own"], c["inferred"], c["unrated"], c["other"]] for lvl, c in cov.items()
        ]
    if kind == "histogram":
        before = inf.histogram(it.user_rating for it in items if it.kind == "track")
        after_values = inf.final_values(items, res, passes)
        after = inf.histogram(
            v for it in items if it.kind == "track" for v in [after_values[it.key]]
        )
        return ["stars", "before", "after"], [
            [(i + 1) / 2, b, a] for i, (b, a) in enumerate(zip(before, after, strict=True))
        ]
    if kind == "twins":
        by_key = {it.key: it for it in items}
        rows: list[list[Any]] = []
        for n, group in enumerate(res.twins, 1):
            for k in group:
                it = by_key[k]
                own = res.manual.get(k)
                new = res.values.get(k)
                # only what the chosen passes would write (twins off: no twin mean shown)
                shown = new is not None and own is None and new.source in passes
                rows.append(
                    [
                        n,
                        k,
                        it.label,
                        round((it.duration or 0) / 1000),
                        to_stars(own) if own is not None else "",
                        to_stars(inf.round_step(new.value, res.params.rounding))
                        if shown and new is not None
                        else "",
                    ]
                )
        return ["group", "key", "track", "seconds", "own stars", "inferred stars"], rows
    if kind == "dissenters":
        return ["key", "track", "your stars", "album stars"], [
            [t.key, t.label, to_stars(r), round(a / 2, 2)] for t, r, a in inf.dissenters(items, res)
        ]
    raise ValueError(f"unknown report {kind!r}; choose from {', '.join(REPORTS)}")


def write_csv(path: str | Path, header: list[str], rows: Iterable[Sequence[Any]]) -> int:
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(r)
            n += 1
    return n


def export_ratings_csv(path: str | Path, items: Sequence[Item], res: inf.Result) -> int:
    """Every artist, album and track rating in stars, with whose it is (own/inferred/program)."""
    program_keys = {it.key for it in items if it.user_rating is not None} - set(res.manual)

    def rows() -> Iterable[list[Any]]:
        for it in items:
            if it.kind not in ("artist", "album", "track") or it.user_rating is None:
                continue
            source = "own" if it.key in res.manual else "inferred" if it.key in program_keys else ""
            yield [
                it.kind,
                it.key,
                it.grandparent_title or it.parent_title,
                it.title,
                to_stars(it.user_rating),
                source,
            ]

    return write_csv(path, ["kind", "key", "artist", "title", "stars", "source"], rows())
