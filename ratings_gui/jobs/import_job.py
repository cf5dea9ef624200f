"""Import job: an IMDb / Letterboxd / TMDB / Trakt export -> Plex ratings, and the way back.

The steps are the program's usual ones: parse the file, read the chosen
libraries in a few paged listings (never a search per row), plan purely,
let the user settle the loose matches, apply through the journaled writer,
and leave a CSV of every row that did not make it, with the reason.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ratings_gui import sources
from ratings_gui.core import importplan
from ratings_gui.core.importplan import (
    NEEDS_REVIEW,
    OUTCOMES,
    UPDATE,
    ReviewItem,
)
from ratings_gui.core.matching import MIN_SCORE, build_index
from ratings_gui.core.plan import Change, Plan, Report
from ratings_gui.core.provenance import YOURS
from ratings_gui.core.records import KINDS_BY_SECTION, Item
from ratings_gui.core.registry import JobSpec, declare
from ratings_gui.core.scale import format_both
from ratings_gui.jobs.base import PlanJob, rating_provenance, require_connection
from ratings_gui.jobs.import_review import ImportInputError, ReviewAnswers
from ratings_gui.jobs.runner import JobApp, JobContext
from ratings_gui.journal.writeloop import Writer
from ratings_gui.plex.bulk import grouped_writer
from ratings_gui.plex.http import PlexHttp
from ratings_gui.plex.snapshot import SectionInfo, list_sections, read_library
from ratings_gui.plex.writer import RatingWriter

log = logging.getLogger(__name__)

#: An export is your own ratings: what it writes is yours.
SPEC = declare(JobSpec(importplan.JOB, sets=YOURS, title="Import", command="import", tab="import"))

#: Library types an import reads; music libraries hold nothing these exports rate.
VIDEO_TYPES = ("movie", "show")
#: Media-type choices the user gets (seasons come along with shows: Trakt rates them).
KIND_CHOICES = ("movie", "show", "episode")
#: Change lines logged in full; the rest go to the log file only.
LOG_LINES = 200
MARKED_WATCHED = "marked watched"
WRITE_FAILED = "write failed"


def unmatched_path(source: Path, folder: Path | None = None, now: float | None = None) -> Path:
    """``<input name>-unmatched-YYYYmmdd-HHMMSS.csv`` next to the input or in ``folder``."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    where = folder if folder is not None else source.resolve().parent
    return where / f"{source.stem}-unmatched-{stamp}.csv"


def choose_sections(
    sections: Sequence[SectionInfo], library: str | None, all_libraries: bool
) -> list[SectionInfo]:
    """The movie/TV libraries to read; ImportInputError naming the choices otherwise."""
    video = [s for s in sections if s.type in VIDEO_TYPES]
    if all_libraries:
        if not video:
            raise ImportInputError("This server has no movie or TV library to import into.")
        return video
    names = ", ".join(s.title for s in video) or "none"
    if not library:
        raise ImportInputError(
            f"Choose a movie or TV library (or all of them). Libraries: {names}."
        )
    sec = next((s for s in sections if s.title == library), None)
    if sec is None:
        raise ImportInputError(f"No library called {library!r}. Movie and TV libraries: {names}.")
    if sec.type not in VIDEO_TYPES:
        raise ImportInputError(
            f"{library} is not a movie or TV library; ratings exports rate films and shows. "
            f"Choose one of: {names} (or all of them)."
        )
    return [sec]


def change_line(ch: Change) -> str:
    """``Inception (2010): 8 (4★)``, with the value it replaces when there is one."""
    if ch.field == "watched":
        return f"{ch.label}: mark as watched"
    was = f" (was {format_both(ch.old)})" if ch.old is not None else ""
    return f"{ch.label}: {format_both(ch.new)}{was}"


def review_line(r: ReviewItem) -> str:
    """One needs-review row: what the file says -> what it might be."""
    row = r.row
    year = f" ({row.year})" if row.year else ""
    best = r.candidates[0] if r.candidates else None
    guess = f"{best[0].label} [{best[0].kind}, {best[1]:.2f}]" if best else "no candidate"
    more = f" +{len(r.candidates) - 1} more" if len(r.candidates) > 1 else ""
    return f"line {row.line}: {row.title}{year} -> {guess}{more}"


class ImportRead(NamedTuple):
    """The parsed export and the libraries' items it is matched against."""

    parsed: sources.ParseResult
    items: list[Item]


class ImportJob(ReviewAnswers, PlanJob):
    """Parse -> index -> plan -> (review) -> apply -> unmatched CSV; see the module docstring."""

    name = importplan.JOB

    def __init__(
        self,
        app: JobApp,
        path: str | Path,
        *,
        fmt: str | None = None,
        kinds: Iterable[str] | None = None,
        min_score: float = MIN_SCORE,
        overwrite: bool = False,
        mark_watched: bool = False,
        all_libraries: bool = False,
        library: str | None = None,
        unmatched_out: str | Path | None = None,
        unmatched_dir: str | Path | None = None,
        decisions: dict[int, int | None] | None = None,
        accept_above: float | None = None,
    ) -> None:
        super().__init__(app)
        self.path = Path(path)
        self.fmt = fmt or None
        wanted = set(kinds) if kinds is not None else set(KIND_CHOICES)
        if "show" in wanted:
            wanted.add("season")  # Trakt season ratings travel with the shows
        self.kinds = wanted
        self.min_score = min_score
        #: Replace ratings you already gave that differ from the file ("--overwrite").
        self.overwrite = overwrite
        self.provenance: dict[str, Any] = {}
        self.mark_watched = mark_watched
        self.all_libraries = all_libraries
        self.library = library
        self.unmatched_out = Path(unmatched_out) if unmatched_out else None
        self.unmatched_dir = Path(unmatched_dir) if unmatched_dir else None
        self.parsed: sources.ParseResult | None = None
        self.reviewed: Plan | None = None
        self.review: list[ReviewItem] = []
        #: id(review item) -> the Plex key the user chose for it
        self.decisions: dict[int, int] = {}
        #: id(review item) -> the outcome its answer had, when it wrote nothing
        self._outcomes: dict[int, str] = {}
        #: Answers given as data: file line -> the chosen Plex key, or None to skip.
        self.answers: dict[int, int | None] = dict(decisions or {})
        #: Take the best possible match of a row when it is at least this alike (0-1).
        self.accept_above = accept_above
        self._review_info: dict[int, dict[str, Any]] = {}
        self.requests = 0
        self.plan_seconds = 0.0
        self.libraries: list[str] = []

    # --- prepare --------------------------------------------------------------------

    def parse(self) -> sources.ParseResult:
        """Read the file; any problem with it is an ImportInputError with a plain message."""
        try:
            return sources.load(self.path, self.fmt)
        except sources.SourceError as exc:
            raise ImportInputError(str(exc)) from exc

    def read_items(self, ctx: JobContext) -> list[Item]:
        """One paged read per chosen library (movies, shows, seasons, episodes)."""
        conn = require_connection(self.app)
        http = PlexHttp(conn, cancel=ctx.cancel_event)
        sent = http.sent
        chosen = choose_sections(
            list_sections(http), self.library or self.app.library, self.all_libraries
        )
        items: list[Item] = []
        for sec in chosen:
            ctx.check_cancel()
            snap = read_library(
                conn,
                sec,
                kinds=KINDS_BY_SECTION[sec.type],
                progress=ctx.progress,
                cancel=ctx.cancel_event,
                http=http,
            )
            items.extend(snap)
            ctx.log(f"{sec.title}: {len(snap):,} items read")
        ctx.check_cancel()
        self.requests = http.sent - sent
        self.libraries = [s.title for s in chosen]
        return items

    def read(self, ctx: JobContext) -> ImportRead:
        """The file first (a broken one stops before any request), then the libraries."""
        ctx.progress(0, 1, f"reading {self.path.name}")
        parsed = self.parse()
        self.parsed = parsed
        fmt_name = sources.DISPLAY.get(parsed.format, parsed.format)
        ctx.log(
            f"{self.path.name}: {fmt_name} export, {len(parsed.rows):,} rows"
            + (f", {len(parsed.problems):,} unusable" if parsed.problems else "")
        )
        for note in parsed.notes:
            ctx.log(note)
        items = self.read_items(ctx)
        self.provenance = rating_provenance(self.app)
        return ImportRead(parsed, items)

    def plan(self, snapshot: ImportRead) -> Plan:
        """Match and plan; the needs-review list stays on the job for the user."""
        parsed, items = snapshot
        t0 = time.perf_counter()
        index = build_index(items)
        plan, review = importplan.plan_import(
            parsed,
            index,
            kinds=self.kinds,
            min_score=self.min_score,
            overwrite=self.overwrite,
            mark_watched=self.mark_watched,
            provenance=self.provenance,
            source_name=sources.DISPLAY.get(parsed.format, parsed.format),
        )
        self.plan_seconds = time.perf_counter() - t0
        plan.options.update(
            {
                "file": str(self.path),
                "library": ", ".join(self.libraries),
                "all_libraries": self.all_libraries,
            }
        )
        for outcome in OUTCOMES:
            plan.counts.setdefault(outcome, 0)
        self.reviewed, self.review = plan, review
        self.decisions.clear()
        self._outcomes.clear()
        self._review_info = {
            id(r): next(
                (
                    s
                    for s in plan.skipped
                    if s["reason"] == NEEDS_REVIEW and s["line"] == r.row.line
                ),
                {},
            )
            for r in review
        }
        self._decide()
        return plan

    def log_plan(self, ctx: JobContext, plan: Plan) -> None:
        self._log_plan(ctx, plan)
        ctx.progress(1, 1, "planned")

    def _log_plan(self, ctx: JobContext, plan: Plan) -> None:
        for i, ch in enumerate(plan.changes):
            if i < LOG_LINES:
                ctx.log(change_line(ch))
            else:
                log.debug(change_line(ch))
        if len(plan.changes) > LOG_LINES:
            ctx.log(f"… and {len(plan.changes) - LOG_LINES:,} more changes (in the log file)")
        for r in self.review[:LOG_LINES]:
            ctx.log(f"needs review: {review_line(r)}")
        ctx.log(breakdown(plan.counts))

    # --- review ---------------------------------------------------------------------

    # --- apply ----------------------------------------------------------------------

    def writer(self, ctx: JobContext, plan: Plan) -> Writer | None:
        """Grouped multi-edits; each item's library and type come from the read before each chunk."""

        return grouped_writer(require_connection(self.app), ctx.cancel_event)

    def to_write(self, plan: Plan) -> Plan:
        """Ratings first; the watched marks follow in :meth:`after_apply`."""
        ratings = [c for c in plan.changes if c.field != "watched"]
        return Plan(plan.job, ratings, Counter(plan.counts), dict(plan.options))

    def after_apply(self, ctx: JobContext, plan: Plan, report: Report) -> None:
        """Watched marks for the ratings that reached Plex, then the unmatched-rows CSV."""
        done = {c.target for c in report.applied}
        rated = {c.target for c in plan.changes if c.field != "watched"}
        # A mark follows its row's rating only once the rating is written; a watched-only
        # row's mark stands alone.
        marks = [
            c
            for c in plan.changes
            if c.field == "watched" and (c.target in done or c.target not in rated)
        ]
        if marks and not ctx.cancelled:
            self._mark_watched(ctx, report, marks)
        report.counts[UPDATE] = plan.counts.get(UPDATE, 0)
        for outcome in OUTCOMES:
            report.counts.setdefault(outcome, 0)
        path = self.write_unmatched(plan, report, ctx)
        if path is not None:
            report.extra["unmatched_csv"] = str(path)
        report.extra["file"] = str(self.path)
        ctx.log(breakdown(report.counts))
        if path is not None:
            ctx.log(f"unmatched rows: {path}")

    def _mark_watched(self, ctx: JobContext, report: Report, marks: list[Change]) -> None:
        """Scrobble in the same journaled run, so undo of the run unmarks them too."""
        writer = RatingWriter(self.app.connection, workers=3, cancel=ctx.cancel_event)
        result = writer.apply(
            marks,
            journal=self.app.journal,
            run_id=report.run_id,
            progress=ctx.progress,
            log_line=lambda t: ctx.log(t, logging.WARNING),
        )
        report.applied.extend(result.applied)
        report.changes += len(result.applied)
        report.failed.extend(f for f in result.failed if f[1] != "cancelled")
        report.counts[MARKED_WATCHED] = len(result.applied)
        report.extra["requests"] = report.extra.get("requests", 0) + result.requests

    def unmatched_rows(self, plan: Plan, report: Report | None = None) -> list[dict[str, Any]]:
        """Every row that did not become a written rating: plan's skipped + failed writes."""
        rows = list(plan.skipped)
        for ch, err in report.failed if report else ():
            if ch.field != "userRating":
                continue
            rows.append(
                {
                    "reason": WRITE_FAILED,
                    "title": ch.label,
                    "rating": ch.new,
                    "detail": f"Plex item {ch.target}: {err}",
                }
            )
        return rows

    def write_unmatched(
        self, plan: Plan, report: Report | None = None, ctx: JobContext | None = None
    ) -> Path | None:
        """The unmatched-rows CSV (None when every row made it, or it cannot be written)."""
        rows = self.unmatched_rows(plan, report)
        if not rows:
            return None
        path = self.unmatched_out or unmatched_path(self.path, self.unmatched_dir)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            sources.write_unmatched_csv(path, rows)
        except OSError as exc:
            # The Plex writes are done and journaled; a missing CSV must not undo that.
            text = f"the unmatched rows could not be written to {path}: {exc.strerror or exc}"
            if ctx is not None:
                ctx.log(text, logging.WARNING)
            log.warning(text)
            return None
        return path


#: Reason on changes the user settled in the review list.
def breakdown(counts: Counter[str] | dict[str, int]) -> str:
    """``update 12, unchanged 3, …`` in the outcome order, then what the writer did."""
    parts = [f"{o} {counts.get(o, 0):,}" for o in OUTCOMES]
    parts += [f"{k} {v:,}" for k, v in sorted(counts.items()) if k not in OUTCOMES and v]
    return "breakdown: " + ", ".join(parts)


# --- export -----------------------------------------------------------------------------

EXPORT_FORMATS = ("letterboxd", "csv")


def export_ratings(
    app: JobApp,
    ctx: JobContext,
    *,
    letterboxd: str | Path | None = None,
    plain: str | Path | None = None,
    library: str | None = None,
    all_libraries: bool = False,
) -> dict[str, int]:
    """The libraries' ratings -> Letterboxd-importable and/or plain CSV, from one read."""
    conn = require_connection(app)
    http = PlexHttp(conn, cancel=ctx.cancel_event)
    sections = list_sections(http)
    name = library or app.library
    if all_libraries:
        chosen = choose_sections(sections, name, True)
    else:
        chosen = [s for s in sections if s.title == name]
        if not chosen:
            names = ", ".join(s.title for s in sections) or "none"
            raise ImportInputError(f"No library called {name!r}. Libraries: {names}.")
    items: list[Item] = []
    for sec in chosen:
        items.extend(
            read_library(conn, sec, progress=ctx.progress, cancel=ctx.cancel_event, http=http)
        )
    ctx.check_cancel()
    out: dict[str, int] = {"items": len(items), "requests": http.sent}
    out["rated"] = sum(1 for it in items if it.user_rating is not None)
    if letterboxd:
        out["letterboxd rows"] = sources.ratings_to_letterboxd_csv(items, letterboxd)
        ctx.log(f"Letterboxd CSV: {out['letterboxd rows']:,} rated movies -> {letterboxd}")
    if plain:
        out["csv rows"] = sources.ratings_to_plain_csv(items, plain)
        ctx.log(f"plain CSV: {out['csv rows']:,} rated items -> {plain}")
    return out


__all__ = [
    "ImportInputError",
    "ImportJob",
    "breakdown",
    "export_ratings",
]
