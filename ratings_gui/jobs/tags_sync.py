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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ratings_gui.core.pathmap import MappingTest, Rule, map_path
from ratings_gui.core.plan import FILE, PLEX, Change, Plan, Report
from ratings_gui.core.provenance import GUESSES, YOURS, Written, whose
from ratings_gui.core.records import Item
from ratings_gui.core.registry import JobSpec, declare
from ratings_gui.core.scale import format_stars, same
from ratings_gui.jobs.base import PlanJob, rating_provenance
from ratings_gui.jobs.runner import JobContext
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
from ratings_gui.tags.files import modified_at
from ratings_gui.tags.files import test_mapping as check_mapping
from ratings_gui.tags.scales import ScaleQuestion, is_ambiguous, settle
from ratings_gui.tags.writer import FileWriter, old_rating

log = logging.getLogger(__name__)

JOB = "tags"
#: Values copied from your files (or from Plex into them) are yours unless a change says.
SPEC = declare(
    JobSpec(JOB, sets=YOURS, title="Tags sync", command="tags", tab="tags", writes="plex+files")
)

DIRECTIONS = ("to-files", "to-plex", "both")
CONFLICTS = ("plex", "file", "newest", "fill")
DIRECTION_NAMES = {"to-files": "Plex → files", "to-plex": "files → Plex", "both": "both ways"}
CONFLICT_NAMES = {
    "plex": "Plex wins",
    "file": "file wins",
    "newest": "newest wins",
    "fill": "fill missing only",
}

# Outcomes: one per track, so they add up to the number of tracks.
IN_SYNC = "in sync"
TO_FILES = "to files"
TO_PLEX = "to Plex"
NEITHER = "no rating either side"
NOT_FOUND = "file not found"
UNREADABLE = "unreadable"
UNSUPPORTED = "unsupported"
NOT_MAPPED = "not mapped"
NOT_CLEARED = "not cleared"
KEPT_FILL = "differ, left alone (fill only)"
KEPT_NEWER = "differ, target is newer"
#: A RATING of 6-10 whose scale nothing in the library tells: the preview asks.
SCALE_UNKNOWN = "rating scale unknown"
#: Plex holds a base or inferred rating: not written into files unless asked.
GUESS_NOT_WRITTEN = "the program's guess: not written to files"
#: The file holds a guess the program wrote there: not read into Plex as yours.
FILE_GUESS = "the program's guess in the file: not read into Plex"

#: TagError reasons -> plan outcome.
ERROR_OUTCOMES = {"not_found": NOT_FOUND, "unsupported": UNSUPPORTED}


#: Key of a ``plan.skipped`` entry for a file that could not be read (listed in the
#: preview, its CSV and ``--json`` with the reason).
FILE_PROBLEM = "file_problem"


def file_problems(plan: Plan) -> list[dict[str, Any]]:
    """Each file the plan could not read: path, track and why (missing, unreadable...)."""
    return [
        {"path": s["target"], "label": s["label"], "reason": s["reason"]}
        for s in plan.skipped
        if s.get(FILE_PROBLEM)
    ]


class MappingError(ValueError):
    """The path mapping finds no files: nothing could be synced (exit code 2 in the CLI)."""


@dataclass(frozen=True, slots=True)
class FileReading:
    """One server path as seen here: the mapped local path, what its tags say, its mtime."""

    local: str | None
    result: Any = None  # TagRating | TagError | None (not mapped)
    mtime: float | None = None

    @property
    def ok(self) -> bool:
        return self.local is not None and hasattr(self.result, "rating")


def _outcome_of(reading: FileReading | None) -> tuple[str, str]:
    """(outcome, plain reason) for a file that could not be read."""
    if reading is None or reading.local is None:
        return NOT_MAPPED, "no mapping rule covers this server path"
    err = reading.result
    if is_ambiguous(err):
        return SCALE_UNKNOWN, "read it as 0-100 or 0-10? (the preview asks)"
    reason = getattr(err, "reason", "unreadable")
    return ERROR_OUTCOMES.get(reason, UNREADABLE), getattr(err, "message", str(err))


def _file_is_newer(plex_time: int | None, file_time: float | None) -> bool:
    """Newest wins: Plex lastRatedAt against the file's mtime; a missing time loses."""
    if file_time is None:
        return False
    if plex_time is None:
        return True
    return file_time > plex_time


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(ts)) if ts else "unknown"


def plan_tags_sync(
    tracks: Iterable[Item],
    readings: Mapping[str, FileReading],
    *,
    direction: str = "both",
    conflict: str = "fill",
    allow_clear: bool = False,
    provenance: Mapping[str, Written] | None = None,
    file_provenance: Mapping[str, Written] | None = None,
    include_guesses: bool = False,
) -> Plan:
    """Pure: per track, which side gets which rating, and why the others stay.

    ``provenance`` (ratingKey text -> the journal's standing write) and
    ``file_provenance`` (local path -> the same for files) say whose a value
    is: a guess of the program in Plex goes into files only with
    ``include_guesses``, and a file's value the program wrote as a guess
    never goes to Plex. A file value of yours replaces a guess in Plex.

    ``readings`` maps each server path to its :class:`FileReading`. One-way
    directions copy the source side, except: ``fill`` only fills an
    unrated target, ``newest`` only overwrites an older target, and an
    unrated source clears the target only with ``allow_clear``. Both ways:
    the unrated side is filled from the rated one and a disagreement is
    settled by ``conflict``.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
    if conflict not in CONFLICTS:
        raise ValueError(f"conflict rule must be one of {', '.join(CONFLICTS)}")
    plan = Plan(
        JOB, options={"direction": direction, "conflict": conflict, "allow_clear": allow_clear}
    )
    for t in tracks:
        if t.kind != "track":
            continue
        files = [(sp, readings.get(sp)) for sp in t.files]
        good = [(sp, r) for sp, r in files if r is not None and r.ok]
        if not good:
            outcome, why = _outcome_of(files[0][1] if files else None)
            if not files:
                why = "the track has no file"
            plan.count(outcome)
            where = files[0][1].local if files and files[0][1] and files[0][1].local else ""
            plan.skipped.append(
                {
                    "target": where or (files[0][0] if files else str(t.key)),
                    "label": t.label,
                    "reason": f"{outcome}: {why}",
                    FILE_PROBLEM: True,
                }
            )
            continue
        for sp, r in files:  # a track's other copies that could not be read: listed too
            if r is None or not r.ok:
                outcome, why = _outcome_of(r)
                plan.count(outcome)
                plan.skipped.append(
                    {
                        "target": (r.local if r is not None and r.local else sp),
                        "label": t.label,
                        "reason": f"{outcome}: {why}",
                        FILE_PROBLEM: True,
                    }
                )
        p = t.user_rating
        rated = [r for _sp, r in good if r.result.rating is not None]
        f_reading = rated[0] if rated else good[0][1]
        f = f_reading.result.rating
        newer_file = _file_is_newer(t.last_rated_at, f_reading.mtime)
        stale = [r for _sp, r in good if not same(r.result.rating, p)]
        if p is None and f is None:
            plan.count(NEITHER)
            continue
        if not stale:
            plan.count(IN_SYNC)
            continue
        p_owner = whose(p, (provenance or {}).get(str(t.key)))
        f_guess = f is not None and (
            whose(f, (file_provenance or {}).get(str(f_reading.local))) in GUESSES
        )

        to: str | None  # "files", "plex" or None
        note = ""
        if p_owner in GUESSES and not include_guesses:
            # a guess stays out of the files; a file value of yours replaces it in Plex
            if f is not None and not f_guess and direction != "to-files" and not same(p, f):
                to, note = "plex", "replaces the program's guess"
            else:
                plan.count(GUESS_NOT_WRITTEN)
                continue
        elif direction == "to-files":
            to, note = _one_way(p, f, conflict, allow_clear, not newer_file, "Plex")
        elif direction == "to-plex":
            to, note = _one_way(f, p, conflict, allow_clear, newer_file, "file")
            to = {"files": "plex"}.get(to or "", to)
        elif p is None:
            to, note = "plex", "Plex unrated"
        elif f is None:
            to, note = "files", "file unrated"
        elif conflict == "plex":
            to, note = "files", "Plex wins"
        elif conflict == "file":
            to, note = "plex", "file wins"
        elif conflict == "newest":
            if newer_file:
                to, note = "plex", f"file is newer ({_when(f_reading.mtime)})"
            else:
                to, note = "files", f"Plex is newer ({_when(t.last_rated_at)})"
        else:
            to, note = None, KEPT_FILL

        if to == "plex" and f_guess:
            plan.count(FILE_GUESS)
            continue
        if to is None:
            plan.count(note)
            plan.skipped.append(
                {
                    "target": f_reading.local or "",
                    "label": t.label,
                    "reason": f"{note}: Plex {format_stars(p)}, file {format_stars(f)}",
                }
            )
            continue
        if to == "files":
            plan.count(TO_FILES)
            for _sp, r in good:
                if not same(r.result.rating, p):
                    plan.add(
                        Change(
                            FILE,
                            str(r.local),
                            "rating",
                            r.result.rating,
                            p,
                            f"Plex {format_stars(p)} → file ({note})",
                            t.label,
                            p_owner if p_owner in GUESSES else YOURS,
                        )
                    )
        else:
            if same(p, f):
                # Plex already agrees with the first rated file; only other files differ
                plan.count(IN_SYNC)
                continue
            plan.count(TO_PLEX)
            plan.add(
                Change(
                    PLEX,
                    str(t.key),
                    "userRating",
                    p,
                    f,
                    f"file {format_stars(f)} → Plex ({note})",
                    t.label,
                )
            )
    return plan


def _one_way(
    src: float | None,
    dst: float | None,
    conflict: str,
    allow_clear: bool,
    src_newer: bool,
    src_name: str,
) -> tuple[str | None, str]:
    """A one-way copy's decision; ``"files"`` stands for "write the target side"."""
    if src is None:
        if not allow_clear:
            return None, NOT_CLEARED
        return "files", f"{src_name} unrated: cleared (allow clear)"
    if dst is None:
        return "files", "target unrated"
    if conflict == "fill":
        return None, KEPT_FILL
    if conflict == "newest" and not src_newer:
        return None, KEPT_NEWER
    return "files", f"{src_name} rating copied"


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
    workers: int = 8
    #: Also write the program's guesses (base, inferred) into files.
    include_guesses: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def sync_writer(
    app: Any,
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


def file_provenance(app: Any) -> dict[str, Written]:
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


class TagsSyncJob(PlanJob):
    """A PlanJob: read tracks and the mapped files' tags, plan both ways, write Plex and files."""

    name = JOB
    read_kinds = ("track",)

    def __init__(
        self,
        app: Any,
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

    def read(self, ctx: JobContext) -> tuple[list[Item], dict[str, FileReading], Any]:
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
            workers=self.opts.workers,
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
        return tracks, readings, (question, used)

    def plan(self, snapshot: tuple[list[Item], dict[str, FileReading], Any]) -> Plan:
        tracks, readings, (question, used) = snapshot
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
        if used:
            # the scale the plan read the ambiguous RATINGs on: the writer reads and keeps it
            plan.options["rating_scale"] = used
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
