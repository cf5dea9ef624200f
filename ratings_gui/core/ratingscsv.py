"""Ratings CSV import's plan, pure: rows of the file matched to the library, with whose they are.

The file's row (:class:`RatingRow`) and its vocabulary live here too, so the
reader (``sources.ratings_csv``) and the job (``jobs.ratings_csv``) share them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ratings_gui.core.matching import normalize_title
from ratings_gui.core.plan import PLEX, UPDATE, Change, Plan
from ratings_gui.core.provenance import GUESSES, UNRATED, YOURS, whose
from ratings_gui.core.provenance import INFERRED as INFERRED_VALUE
from ratings_gui.core.records import Item
from ratings_gui.core.scale import format_stars, same

JOB = "ratings-import"
KINDS = ("artist", "album", "track")
OWN = "own"
INFERRED = "inferred"
#: What the ``source`` column may say (case-insensitive); blank means the user's own.
SOURCES = {"": OWN, "own": OWN, "manual": OWN, "inferred": INFERRED, "program": INFERRED}
# Row problems: plan outcomes of rows that cannot be used.
NO_STARS = "no stars"
INVALID_STARS = "invalid stars"
UNKNOWN_KIND = "unknown kind"
UNKNOWN_SOURCE = "unknown source"
MISSING_TITLE = "missing title"
MALFORMED = "malformed row"


@dataclass(frozen=True, slots=True)
class RatingRow:
    """One line of a ratings CSV, already read; ``problem`` names why it cannot be used."""

    line: int
    kind: str
    title: str
    stars_raw: str = ""
    rating: float | None = None
    source: str = OWN
    key: int | None = None
    artist: str = ""
    album: str = ""
    problem: str = ""
    detail: str = ""


#: Journal reasons: an own row is the user's value, an inferred row stays the program's.
OWN_REASON = "imported as own"
INFERRED_REASON = "imported as inferred"
#: A row that differs from a rating you already gave: kept unless overwrite.
KEPT_YOURS = "kept yours"


# Outcomes: every row ends in exactly one, so the counts add up to the rows read.
RECORDED_OWN = "recorded as own"
RECORDED_INFERRED = "recorded as inferred"
ALREADY = "already"
NOT_FOUND = "not found"
AMBIGUOUS = "ambiguous"
DUPLICATE = "duplicate row"
OUTCOMES = (
    UPDATE,
    RECORDED_OWN,
    RECORDED_INFERRED,
    ALREADY,
    KEPT_YOURS,
    NO_STARS,
    INVALID_STARS,
    UNKNOWN_KIND,
    UNKNOWN_SOURCE,
    MISSING_TITLE,
    MALFORMED,
    NOT_FOUND,
    AMBIGUOUS,
    DUPLICATE,
)


#: Candidates named in a skipped row (the rest are counted).
CANDIDATES_SHOWN = 5


def _norm(text: str) -> str:
    """Comparison key; names made only of punctuation ("!!!") keep their characters."""
    return normalize_title(text) or text.strip().casefold()


def _artists(it: Item) -> set[str]:
    """Names an artist cell may give for this item (a compilation track's own artist too)."""
    if it.kind == "track":
        return {_norm(n) for n in (it.grandparent_title, it.original_title) if n}
    if it.kind == "album":
        return {_norm(it.parent_title)} if it.parent_title else set()
    return {_norm(it.title)}


class _Index:
    """The library by ratingKey and by (kind, normalised title), built once per plan."""

    def __init__(self, items: Iterable[Item]) -> None:
        self.by_key: dict[int, Item] = {}
        self.by_title: dict[tuple[str, str], list[Item]] = defaultdict(list)
        for it in items:
            if it.kind in KINDS:
                self.by_key[it.key] = it
                self.by_title[(it.kind, _norm(it.title))].append(it)

    def find(self, row: RatingRow) -> tuple[Item | None, str, str, list[Item]]:
        """(item, outcome, detail, candidates); outcome is "" when found.

        A key counts only while it names an item of this kind and title (a file
        from another server must not rate whatever holds the same number there);
        else kind + title, narrowed by artist and album.
        """
        title = _norm(row.title)
        stale = ""
        if row.key is not None:
            it = self.by_key.get(row.key)
            if it is not None and it.kind == row.kind and _norm(it.title) == title:
                return it, "", "key", [it]
            stale = (
                f"key {row.key} is now {it.kind} {it.label!r}; "
                if it is not None
                else f"key {row.key} is not in the library; "
            )
        cands = self.by_title.get((row.kind, title), [])
        if row.artist and row.kind != "artist":
            artist = _norm(row.artist)
            cands = [c for c in cands if artist in _artists(c)]
        if row.album and row.kind == "track":
            album = _norm(row.album)
            cands = [c for c in cands if _norm(c.parent_title) == album]
        if len(cands) == 1:
            return cands[0], "", stale + "title", cands
        if not cands:
            return None, NOT_FOUND, stale + f"no {row.kind} with this title", []
        hint = "the album column" if row.kind == "track" else "the artist column"
        return (
            None,
            AMBIGUOUS,
            stale + f"{len(cands)} {row.kind}s fit; add the key or {hint}",
            cands,
        )


def _skip(
    plan: Plan, row: RatingRow, outcome: str, detail: str, cands: Sequence[Item] = ()
) -> None:
    """Count the row and list it in the shape ``write_unmatched_csv`` takes."""
    plan.count(outcome)
    info: dict[str, Any] = {
        "line": row.line,
        "reason": outcome,
        "title": row.title,
        "rating": row.rating,
        "rating_raw": row.stars_raw,
        "kind": row.kind,
        "source": row.source,
        "detail": detail,
    }
    for k, v in (("artist", row.artist), ("album", row.album), ("key", row.key)):
        if v not in (None, ""):
            info[k] = v
    if cands:
        more = len(cands) - CANDIDATES_SHOWN
        info["candidates"] = " | ".join(
            f"{c.label} [{c.key}]" for c in cands[:CANDIDATES_SHOWN]
        ) + (f" +{more} more" if more > 0 else "")
    plan.skipped.append(info)


def plan_ratings_import(
    rows: Iterable[RatingRow],
    items: Iterable[Item],
    provenance: Mapping[str, Any],
    *,
    overwrite: bool = False,
) -> Plan:
    """Rows + library snapshot + the journal's provenance -> the changes to write.

    ``provenance`` is ``journal.standing_writes(PLEX)`` or ``program_values``
    (ratingKey text -> Provenance). A differing value is an update; an equal
    value whose provenance disagrees with the row is a same-value change so
    the journal records whose it is; an agreeing one is "already".
    """
    plan = Plan(JOB)
    plan.counts.update({UPDATE: 0, ALREADY: 0})  # the rest appear when they happen
    index = _Index(items)
    claimed: dict[int, RatingRow] = {}
    for row in rows:
        if row.problem:
            _skip(plan, row, row.problem, row.detail)
            continue
        item, outcome, how, cands = index.find(row)
        if item is None:
            _skip(plan, row, outcome, how, cands)
            continue
        first = claimed.get(item.key)
        if first is not None:
            agree = same(first.rating, row.rating) and first.source == row.source
            _skip(
                plan,
                row,
                DUPLICATE,
                f"same {item.kind} as line {first.line}"
                + ("" if agree else f", which is used ({first.stars_raw}, {first.source})"),
                [item],
            )
            continue
        claimed[item.key] = row
        _import_one(plan, row, item, provenance.get(str(item.key)), overwrite)
    return plan


def _import_one(plan: Plan, row: RatingRow, item: Item, written: Any, overwrite: bool) -> None:
    """One matched row: an update, your differing rating kept, a same-value change that
    records whose it is, or already there."""
    current = item.user_rating
    inferred_row = row.source == INFERRED
    owner = whose(current, written)
    program = owner in GUESSES
    change = Change(
        PLEX,
        str(item.key),
        "userRating",
        current,
        row.rating,
        INFERRED_REASON if inferred_row else OWN_REASON,
        item.label,
        INFERRED_VALUE if inferred_row else YOURS,
    )
    if not same(current, row.rating):
        if owner not in (UNRATED, *GUESSES) and (inferred_row or not overwrite):
            _skip(
                plan,
                row,
                KEPT_YOURS,
                f"Plex {format_stars(current)}, file {format_stars(row.rating)}",
                [item],
            )
            plan.skipped[-1].update(
                current=current, key=item.key, label=item.label, show_in_preview=True
            )
            return
        plan.add(change)
    elif row.source == INFERRED and not program:
        plan.changes.append(change)
        plan.count(RECORDED_INFERRED)
    elif row.source == OWN and program:
        plan.changes.append(change)
        plan.count(RECORDED_OWN)
    else:
        plan.count(ALREADY)


def breakdown(counts: Mapping[str, int]) -> str:
    """``update 3, recorded as own 1, already 40, …``: the non-zero outcomes in order."""
    parts = [f"{o} {counts.get(o, 0):,}" for o in OUTCOMES if counts.get(o, 0)]
    return "breakdown: " + (", ".join(parts) or "no rows")
