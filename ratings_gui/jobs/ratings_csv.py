"""Ratings CSV import: artist, album and track stars from a file -> Plex, with whose they are.

The file is the one ``infer --export`` writes, read by
:mod:`ratings_gui.sources.ratings_csv`. Rows are matched
by ratingKey when the key still names the same item, else by kind + artist
(+ album) + normalised title, against one bulk read of the music library.

Provenance travels with the values: an "own" row lands as yours (inference
uses it as evidence), an "inferred" row as the program's guess
(``Change.whose``). A rating you already gave is never replaced by an
inferred row, and by a differing own row only with ``overwrite``; the
program's guesses are replaced freely. When Plex already holds the value
but the journal disagrees about whose it is, the row still becomes a
(same-value) change so the journal records the file's word.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ratings_gui.core.plan import Plan, Report
from ratings_gui.core.provenance import YOURS
from ratings_gui.core.ratingscsv import (
    INFERRED,
    JOB,
    OUTCOMES,
    OWN,
    SOURCES,
    RatingRow,
    breakdown,
    plan_ratings_import,
)
from ratings_gui.core.records import Item
from ratings_gui.core.registry import JobSpec, declare
from ratings_gui.jobs.base import PlanJob, rating_provenance, require_connection
from ratings_gui.jobs.import_job import ImportInputError
from ratings_gui.jobs.infer import kind_writer, verify_ratings
from ratings_gui.jobs.runner import JobApp, JobContext
from ratings_gui.journal.writeloop import Writer
from ratings_gui.plex.connection import PlexError
from ratings_gui.sources.base import SourceError
from ratings_gui.sources.export import write_unmatched_csv
from ratings_gui.sources.ratings_csv import parse_ratings_text, read_ratings_csv

log = logging.getLogger(__name__)

SPEC = declare(
    JobSpec(JOB, sets=YOURS, title="Ratings CSV import", command="import-ratings", tab="inference")
)


# --- the job ------------------------------------------------------------------------------


class RatingsCsvRead(NamedTuple):
    """The file's rows, the library's items, and whose each current value is."""

    rows: list[RatingRow]
    items: list[Item]
    provenance: Mapping[str, Any]


class RatingsImportJob(PlanJob):
    """A PlanJob: parse the CSV, read the music library, plan, write grouped, verify."""

    name = JOB

    def __init__(
        self, app: JobApp, library: str, path: str | Path, *, overwrite: bool = False
    ) -> None:
        super().__init__(app)
        self.library = library
        self.path = Path(path)
        self.overwrite = overwrite
        self.rows: list[RatingRow] = []
        self.items: list[Item] = []

    def parse(self) -> list[RatingRow]:
        """Read the file; any problem with it is an ImportInputError with a plain message."""
        try:
            return read_ratings_csv(self.path)
        except SourceError as exc:
            raise ImportInputError(str(exc)) from exc

    def read(self, ctx: JobContext) -> RatingsCsvRead:
        """Parse first (a broken file stops before any request), then read the library."""
        require_connection(self.app)
        ctx.progress(0, 1, f"reading {self.path.name}")
        self.rows = self.parse()
        ctx.log(f"{self.path.name}: {len(self.rows):,} rows")
        self.items = list(super().read(ctx))
        return RatingsCsvRead(self.rows, self.items, rating_provenance(self.app))

    def plan(self, snapshot: RatingsCsvRead) -> Plan:
        plan = plan_ratings_import(*snapshot, overwrite=self.overwrite)
        plan.options.update(library=self.library, section_id=self.section_id, file=str(self.path))
        return plan

    def log_plan(self, ctx: JobContext, plan: Plan) -> None:
        ctx.log(breakdown(plan.counts))  # the changes themselves are in the preview
        ctx.progress(1, 1, "planned")

    def writer(self, ctx: JobContext, plan: Plan) -> Writer | None:
        """Grouped multi-edits per kind, journaled."""
        conn = require_connection(self.app)
        section_id = plan.options.get("section_id", self.section_id)
        if plan.changes and (section_id is None or not self.items):
            raise PlexError("Plan the import first: the library has not been read.")
        if not plan.changes:
            return None
        kinds = {it.key: it.kind for it in self.items}
        return kind_writer(conn, int(section_id), kinds, ctx.cancel_event)

    def after_apply(self, ctx: JobContext, plan: Plan, report: Report) -> None:
        """One listing re-read to verify, before the run's status is set."""
        report.extra["file"] = str(self.path)
        if report.applied and not ctx.cancelled:
            kinds = {it.key: it.kind for it in self.items}
            verify_ratings(self.app, self.library, kinds, report, ctx)
        ctx.log(breakdown(report.counts))

    def write_unmatched(self, plan: Plan, path: str | Path) -> int:
        """The rows that were not used, with the reason (OSError when it cannot be written)."""
        return write_unmatched_csv(path, plan.skipped)


__all__ = [
    "INFERRED",
    "JOB",
    "OUTCOMES",
    "OWN",
    "SOURCES",
    "RatingRow",
    "RatingsImportJob",
    "breakdown",
    "parse_ratings_text",
    "plan_ratings_import",
    "read_ratings_csv",
]
