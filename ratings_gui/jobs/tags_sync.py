"""Tags: Plex track ratings <-> the rating tags inside the music files.

Flow as every job: one bulk read of the library (no per-track requests),
the mapped files' tags read on a thread pool, :func:`plan_tags_sync`
(pure) decides per track, the preview shows it, and
:func:`sync_writer` writes Plex and files under ONE journal run so History can undo both sides.

A side with no rating never erases the other one unless the user asks
(``allow_clear``): an unrated track in Plex usually means "not rated yet",
not "remove my stars from the file".

Whose rating it is (``core.provenance``): the program's guesses (base and
inferred ratings) are not written into files, where they would pass for
yours, unless the user asks (``include_guesses``); a file value the program
itself wrote there as a guess is never read back into Plex as yours.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ratings_gui.core.pathmap import MappingTest, Rule, map_path
from ratings_gui.core.plan import FILE, PLEX, Plan, Report, old_rating
from ratings_gui.core.provenance import YOURS, Written
from ratings_gui.core.records import Item
from ratings_gui.core.registry import JobSpec, declare
from ratings_gui.core.tagsplan import (
    CONFLICT_NAMES,  # noqa: F401 (the Tags tab names it from the job)
    DIRECTION_NAMES,  # noqa: F401 (the Tags tab names it from the job)
    JOB,
    FileReading,
    plan_tags_sync,
)
from ratings_gui.jobs.base import PlanJob, rating_provenance
from ratings_gui.jobs.runner import JobApp, JobContext
from ratings_gui.journal.writeloop import InOrder, Writer
from ratings_gui.plex.bulk import grouped_writer
from ratings_gui.tags import read_many
from ratings_gui.tags.api import (
    DEFAULT_EMAIL,
    find_stale_temp_files,
    folders_of,
    leftover_note,
    sweep_temp_files,
)
from ratings_gui.tags.base import TEN
from ratings_gui.tags.files import modified_at, readers_for
from ratings_gui.tags.files import test_mapping as check_mapping
from ratings_gui.tags.scales import ScaleQuestion, settle
from ratings_gui.tags.writer import FileWriter

log = logging.getLogger(__name__)

#: Values copied from your files (or from Plex into them) are yours unless a change says.
SPEC = declare(
    JobSpec(JOB, sets=YOURS, title="Tags sync", command="tags", tab="tags", writes="plex+files")
)


class MappingError(ValueError):
    """The path mapping finds no files: nothing could be synced (exit code 2 in the CLI)."""


# --- reading -----------------------------------------------------------------------------


def scan_files(
    tracks: Sequence[Item],
    rules: Sequence[Rule],
    ctx: JobContext,
    *,
    workers: int = 8,
    popm_email: str = "",
    vorbis_zero_to_ten: bool = False,
    leftovers: list[str] | None = None,
) -> dict[str, FileReading]:
    """Map every track's server paths and read the files' tags on a thread pool.

    Temp files a killed run left beside the files are counted (and added to
    ``leftovers``), not deleted: reading must not write (a dry run reads too).
    """

    readings: dict[str, FileReading] = {}
    local_to_server: dict[str, list[str]] = {}
    for t in tracks:
        for sp in t.files:
            local = map_path(sp, rules)
            if local is None:
                readings[sp] = FileReading(None)
            else:
                local_to_server.setdefault(local, []).append(sp)
    total = len(local_to_server)

    found = find_stale_temp_files(folders_of(local_to_server))
    if found:
        ctx.log(leftover_note(len(found)), logging.WARNING)
    if leftovers is not None:
        leftovers.extend(found)
    phase = "reading tags"
    ctx.progress(0, total, phase)
    opts = {"popm_email": popm_email or DEFAULT_EMAIL, "vorbis_zero_to_ten": vorbis_zero_to_ten}
    scan = read_many(list(local_to_server), workers=workers, **opts)
    for done, (local, result) in enumerate(scan, 1):
        ctx.check_cancel()
        mtime = modified_at(str(local)) if hasattr(result, "rating") else None
        for sp in local_to_server[str(local)]:
            readings[sp] = FileReading(str(local), result, mtime)
        if done % 200 == 0 or done == total:
            ctx.progress(done, total, phase)
    return readings


def settle_scales(
    readings: dict[str, FileReading], answer: str | None, popm_email: str = ""
) -> tuple[dict[str, FileReading], Any, str | None]:
    """Files whose RATING was ambiguous, read on the scale the library (or ``answer``) gives;
    returns the readings, the question left for the user (None when none is open) and
    the scale used (None when none was, or fields were read on different ones)."""
    results = {r.local: r.result for r in readings.values() if r.local is not None}
    settled, used, question = settle(results, answer=answer, popm_email=popm_email)
    out = {
        sp: (FileReading(r.local, settled[r.local], r.mtime) if r.local is not None else r)
        for sp, r in readings.items()
    }
    scales = set(used.values())
    return out, question, (scales.pop() if len(scales) == 1 else None)


# --- the job -------------------------------------------------------------------------------


@dataclass
class TagsOptions:
    """Everything the user chose; plain values so the GUI reads its widgets before starting."""

    library: str
    rules: list[Rule]
    direction: str = "both"
    conflict: str = "fill"
    allow_clear: bool = False
    popm_email: str = ""
    keep_mtime: bool = False
    vorbis_zero_to_ten: bool = False
    #: The user's answer for RATING values the library leaves undecided: percent / ten.
    rating_scale: str | None = None
    #: Files read at once; None: by where they are (few from this computer's disks,
    #: more from a network share: :func:`~ratings_gui.tags.files.readers_for`).
    workers: int | None = None
    #: Also write the program's guesses (base, inferred) into files.
    include_guesses: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def sync_writer(
    app: JobApp,
    ctx: JobContext,
    *,
    popm_email: str = "",
    keep_mtime: bool = False,
    restore: Mapping[str, dict[str, str]] | None = None,
    rating_scale: str | None = None,
) -> Writer:
    """Plex ratings (grouped), then rating tags in files: one writer, so one journal run holds both."""

    plex = None
    if app.connection is not None:
        plex = grouped_writer(app.connection, ctx.cancel_event)
    files = FileWriter(
        popm_email=popm_email,
        keep_mtime=keep_mtime,
        cancel=ctx.cancel_event,
        restore=restore,
        rating_scale=rating_scale,
    )
    return InOrder(plex, files)


@dataclass(frozen=True)
class TagsPlanInfo:
    """What a tags plan carries besides its changes (never journaled)."""

    #: The scale question no one answered: those files are counted, not written.
    question: ScaleQuestion | None = None


def open_question(plan: Plan) -> ScaleQuestion | None:
    """The scale question a tags plan left open (None when there is none)."""
    info = plan.payload
    return info.question if isinstance(info, TagsPlanInfo) else None


def file_provenance(app: JobApp) -> dict[str, Written]:
    """The program's standing writes to files (path -> value, whose), any server or user.

    Files are this computer's: what the program wrote into one stays the
    program's whoever's Plex rating it came from.
    """

    out: dict[str, Written] = {}
    for path, prov in app.journal.standing_writes(FILE, "rating").items():
        out[path] = dataclasses.replace(prov, value=old_rating(prov.value))
    return out


def log_sides(ctx: JobContext, plan: Plan) -> None:
    """How many files and Plex ratings a plan holding files writes."""
    files = sum(1 for c in plan.changes if c.target_kind == FILE)
    if files:
        ctx.log(f"{files:,} files and {len(plan.changes) - files:,} Plex ratings to write")


def count_sides(report: Report) -> None:
    """The report's figures of files and Plex items written."""
    report.extra["files_written"] = sum(1 for c in report.applied if c.target_kind == FILE)
    report.extra["plex_written"] = sum(1 for c in report.applied if c.target_kind == PLEX)


class TagsRead(NamedTuple):
    """The tracks, every mapped file's reading, and the RATING scale's open question."""

    tracks: list[Item]
    readings: dict[str, FileReading]
    question: Any  #: the scale question left for the user (None: none open)
    scale_used: str | None  #: the scale ambiguous RATINGs were read on


class TagsSyncJob(PlanJob):
    """A PlanJob: read tracks and the mapped files' tags, plan both ways, write Plex and files."""

    name = JOB
    read_kinds = ("track",)

    def __init__(
        self,
        app: JobApp,
        opts: TagsOptions,
        *,
        ask_scale: Callable[[ScaleQuestion], str | None] | None = None,
    ) -> None:
        super().__init__(app)
        self.opts = opts
        self.library = opts.library
        #: The hook the window and the command line answer when a RATING's scale is open
        #: (beets' ImportSession habit): called on the worker, returns "percent", "ten" or
        #: None (left open: those files are counted, not written).
        self.ask_scale = ask_scale
        self.mapping: MappingTest | None = None
        self.figures: dict[str, float] = {}
        self.provenance: dict[str, Written] = {}
        self.file_provenance: dict[str, Written] = {}

    def read_tracks(self, ctx: JobContext) -> list[Item]:
        t0 = time.perf_counter()
        tracks = super().read(ctx).of_kind("track")
        self.figures["plex_seconds"] = time.perf_counter() - t0
        self.figures["plex_requests"] = self.read_requests
        return tracks

    def test_mapping(self, ctx: JobContext, tracks: Sequence[Item] | None = None) -> MappingTest:
        """Check a sample of mapped files; the result carries a suggested rule on misses."""
        if tracks is None:
            tracks = self.read_tracks(ctx)
        paths = [sp for t in tracks for sp in t.files]
        # extra["search_roots"]: a folder the user named ("my music is here") to find files in
        roots = self.opts.extra.get("search_roots")
        self.mapping = check_mapping(paths, self.opts.rules, search_roots=roots)
        ctx.log(f"mapping: {self.mapping.describe()}")
        return self.mapping

    def read(self, ctx: JobContext) -> TagsRead:
        """The tracks, then (when the mapping finds files) every mapped file's tags."""
        if not self.opts.rules:
            raise MappingError("Add a path mapping first: SERVER_FOLDER=LOCAL_FOLDER.")
        tracks = self.read_tracks(ctx)
        test = self.test_mapping(ctx, tracks)
        if test.checked and not test.found:
            hint = f" Try: {test.suggestion}" if test.suggestion else ""
            example = test.missing[0][1] or test.missing[0][0] if test.missing else ""
            raise MappingError(
                f"The path mapping finds none of the {test.checked} sample files "
                f"(e.g. {example}).{hint}"
            )
        t0 = time.perf_counter()
        self.leftovers: list[str] = []  # temp files a killed run left: deleted by apply
        readings = scan_files(
            tracks,
            self.opts.rules,
            ctx,
            leftovers=self.leftovers,
            workers=self.opts.workers or readers_for([r.local for r in self.opts.rules]),
            popm_email=self.opts.popm_email,
            vorbis_zero_to_ten=self.opts.vorbis_zero_to_ten,
        )
        readings, question, used = settle_scales(
            readings, self.opts.rating_scale, self.opts.popm_email
        )
        if question is not None and self.ask_scale is not None:
            answer = self.ask_scale(question)
            ctx.check_cancel()
            if answer:  # only the open files are read again, on the scale given
                self.opts.rating_scale = answer
                readings, question, used = settle_scales(readings, answer, self.opts.popm_email)
        self.figures["scan_seconds"] = time.perf_counter() - t0
        self.figures["files"] = len({r.local for r in readings.values() if r.local})
        self.provenance = rating_provenance(self.app)
        self.file_provenance = file_provenance(self.app)
        return TagsRead(tracks, readings, question, used)

    def plan(self, snapshot: TagsRead) -> Plan:
        tracks, readings, question, used = snapshot
        plan = plan_tags_sync(
            tracks,
            readings,
            direction=self.opts.direction,
            conflict=self.opts.conflict,
            allow_clear=self.opts.allow_clear,
            provenance=self.provenance,
            file_provenance=self.file_provenance,
            include_guesses=self.opts.include_guesses,
        )
        plan.options.update(
            library=self.opts.library,
            rules=[str(r) for r in self.opts.rules],
            popm_email=self.opts.popm_email,
            keep_mtime=self.opts.keep_mtime,
        )
        if question is not None:
            plan.payload = TagsPlanInfo(question)
        # the scale the plan read the ambiguous RATINGs on (or the old --vorbis-0-10 setting's):
        # the writer reads and keeps it, so what it writes reads back as written
        scale = used or (TEN if self.opts.vorbis_zero_to_ten else None)
        if scale:
            plan.options["rating_scale"] = scale
        return plan

    def log_plan(self, ctx: JobContext, plan: Plan) -> None:
        question = open_question(plan)
        if question is not None:
            ctx.log(question.text, logging.WARNING)
        files = sum(1 for c in plan.changes if c.target_kind == FILE)
        ctx.log(
            f"scanned {self.figures['files']:,} files in {self.figures['scan_seconds']:.1f} s; "
            f"plan: {files:,} files and {len(plan) - files:,} Plex ratings to write"
        )

    def writer(self, ctx: JobContext, plan: Plan) -> Writer:
        log_sides(ctx, plan)
        return sync_writer(
            self.app,
            ctx,
            popm_email=self.opts.popm_email,
            keep_mtime=self.opts.keep_mtime,
            rating_scale=plan.options.get("rating_scale"),
        )

    def apply(self, ctx: JobContext, plan: Plan) -> Report:
        """The leftover temp files the scan counted are deleted first (never by a dry run)."""

        removed = sweep_temp_files(folders_of(getattr(self, "leftovers", [])))
        if removed:
            ctx.log(f"deleted {removed:,} leftover temporary files")
        return super().apply(ctx, plan)

    def after_apply(self, ctx: JobContext, plan: Plan, report: Report) -> None:
        count_sides(report)
