"""Tags sync's plan, pure: per track, which side (Plex or its files) gets which rating, and why.

The job (mapping paths, reading tags, asking the scale question, writing)
is ``jobs.tags_sync``; this is the decision its preview shows.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ratings_gui.core.plan import FILE, PLEX, Change, Plan
from ratings_gui.core.provenance import GUESSES, YOURS, Written, whose
from ratings_gui.core.records import Item
from ratings_gui.core.scale import Rating, format_stars, normalize, same

JOB = "tags"


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
#: The file holds exactly what writing Plex's rating leaves there: a WMA or a foobar2000
#: 1-5 RATING keeps whole stars (Plex's 1.5 stars is 2 there), a POPM byte half stars.
HELD = "in sync as near as the file can hold"
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


def is_ambiguous(result: object) -> bool:
    """A read that failed only because a RATING of 6-10 has no known scale (a ``TagError``)."""
    return getattr(result, "reason", None) == "invalid_value" and str(
        getattr(result, "message", "")
    ).startswith("ambiguous rating")


def file_problems(plan: Plan) -> list[dict[str, Any]]:
    """Each file the plan could not read: path, track and why (missing, unreadable...)."""
    return [
        {"path": s["target"], "label": s["label"], "reason": s["reason"]}
        for s in plan.skipped
        if s.get(FILE_PROBLEM)
    ]


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
    settled by ``conflict``. A file that holds what writing Plex's rating
    would leave there (a WMA's whole stars for Plex's half star) is in sync
    whatever the direction and rule: see :func:`_holds`.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
    if conflict not in CONFLICTS:
        raise ValueError(f"conflict rule must be one of {', '.join(CONFLICTS)}")
    plan = Plan(
        JOB, options={"direction": direction, "conflict": conflict, "allow_clear": allow_clear}
    )
    rules = _Rules(direction, conflict, allow_clear, include_guesses)
    for t in tracks:
        if t.kind == "track":
            _plan_track(plan, t, readings, provenance or {}, file_provenance or {}, rules)
    return plan


def _plan_track(
    plan: Plan,
    t: Item,
    readings: Mapping[str, FileReading],
    provenance: Mapping[str, Written],
    file_provenance: Mapping[str, Written],
    rules: _Rules,
) -> None:
    """One track: its unreadable files listed, then in sync, or which side gets which rating."""
    files = [(sp, readings.get(sp)) for sp in t.files]
    good = [(sp, r) for sp, r in files if r is not None and r.ok]
    _list_unreadable(plan, t, files, bool(good))
    if not good:
        return
    p = t.user_rating
    rated = [r for _sp, r in good if r.result.rating is not None]
    f_reading = rated[0] if rated else good[0][1]
    f = f_reading.result.rating
    if p is None and f is None:
        plan.count(NEITHER)
        return
    if all(same(r.result.rating, p) for _sp, r in good):
        plan.count(IN_SYNC)
        return
    p_owner = whose(p, provenance.get(str(t.key)))
    guess_kept_out = p_owner in GUESSES and not rules.include_guesses
    if not guess_kept_out and all(_holds(r, p) for _sp, r in good):
        # writing Plex's rating would leave each file as it is: nothing to do either way
        plan.count(HELD)
        return
    f_guess = f is not None and (whose(f, file_provenance.get(str(f_reading.local))) in GUESSES)
    to, note = _decide(t, p, f, f_reading, p_owner, f_guess, rules)
    if to == _COUNT_ONLY:
        plan.count(note)
    elif to is None:
        plan.count(note)
        plan.skipped.append(
            {
                "target": f_reading.local or "",
                "label": t.label,
                "reason": f"{note}: Plex {format_stars(p)}, file {format_stars(f)}",
            }
        )
    else:
        _add_changes(plan, t, to, note, f_reading, [r for _sp, r in good], p_owner)


@dataclass(frozen=True)
class _Rules:
    """The user's choices every track's decision follows."""

    direction: str
    conflict: str
    allow_clear: bool
    include_guesses: bool


#: :func:`_decide`'s "nothing to write, only count the outcome" (no line in the skipped list).
_COUNT_ONLY = "count only"


def _holds(reading: FileReading, p: Rating) -> bool:
    """The file holds Plex's rating ``p``, or the nearest it can: what writing ``p`` leaves.

    The file's ``stored`` (``tags.TagRating.stored``) says what it would read
    back after ``p`` is written. A value a whole star or more from ``p`` is
    no rounding but a scale the writer and the reader see differently: that
    stays a difference.
    """
    f = reading.result.rating
    if same(f, p):
        return True
    stored = getattr(reading.result, "stored", None)
    if f is None or p is None or stored is None:
        return False
    back = stored(p)
    return back is not None and same(f, back) and abs(normalize(back) - normalize(p)) < 2


def _list_unreadable(
    plan: Plan, t: Item, files: list[tuple[str, FileReading | None]], any_good: bool
) -> None:
    """Count and list the track's files that could not be read (the track, when none could)."""
    if not any_good:
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
        return
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


def _decide(
    t: Item,
    p: float | None,
    f: float | None,
    f_reading: FileReading,
    p_owner: str,
    f_guess: bool,
    rules: _Rules,
) -> tuple[str | None, str]:
    """Which side a differing track writes ("files" or "plex") and why; None and the
    outcome when neither is (listed), :data:`_COUNT_ONLY` and the outcome (counted only)."""
    if p_owner in GUESSES and not rules.include_guesses:
        # a guess stays out of the files; a file value of yours replaces it in Plex
        if f is not None and not f_guess and rules.direction != "to-files" and not same(p, f):
            return "plex", "replaces the program's guess"
        return _COUNT_ONLY, GUESS_NOT_WRITTEN
    newer_file = _file_is_newer(t.last_rated_at, f_reading.mtime)
    to: str | None  # "files", "plex" or None
    if rules.direction == "to-files":
        to, note = _one_way(p, f, rules.conflict, rules.allow_clear, not newer_file, "Plex")
    elif rules.direction == "to-plex":
        to, note = _one_way(f, p, rules.conflict, rules.allow_clear, newer_file, "file")
        to = {"files": "plex"}.get(to or "", to)
    else:
        to, note = _both_ways(p, f, rules.conflict, newer_file, f_reading.mtime, t.last_rated_at)
    if to == "plex" and f_guess:
        return _COUNT_ONLY, FILE_GUESS
    return to, note


def _both_ways(
    p: float | None,
    f: float | None,
    conflict: str,
    newer_file: bool,
    file_time: float | None,
    plex_time: int | None,
) -> tuple[str | None, str]:
    """Both ways: the unrated side is filled from the rated one, a disagreement settled by
    ``conflict`` (``fill`` leaves it)."""
    if p is None:
        return "plex", "Plex unrated"
    if f is None:
        return "files", "file unrated"
    if conflict == "plex":
        return "files", "Plex wins"
    if conflict == "file":
        return "plex", "file wins"
    if conflict == "newest":
        if newer_file:
            return "plex", f"file is newer ({_when(file_time)})"
        return "files", f"Plex is newer ({_when(plex_time)})"
    return None, KEPT_FILL


def _add_changes(
    plan: Plan,
    t: Item,
    to: str,
    note: str,
    f_reading: FileReading,
    good: list[FileReading],
    p_owner: str,
) -> None:
    """The track's changes: Plex's rating into each file that differs (not one that holds
    the nearest it can), or the file's into Plex."""
    p = t.user_rating
    f = f_reading.result.rating
    if to == "files":
        plan.count(TO_FILES)
        for r in good:
            if not _holds(r, p):
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
        return
    if _holds(f_reading, p):
        # Plex already agrees with the first rated file (as near as it holds); others differ
        plan.count(IN_SYNC)
        return
    plan.count(TO_PLEX)
    plan.add(
        Change(
            PLEX, str(t.key), "userRating", p, f, f"file {format_stars(f)} → Plex ({note})", t.label
        )
    )


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
