"""Plan an import: parsed export rows + the library index -> a Plan and a review list.

Pure: nothing is written here. Every row ends in exactly one outcome
(:data:`OUTCOMES`), so the counts the user sees add up to the rows read,
and every row that does not become a change is listed in ``plan.skipped``
with its reason for the unmatched-rows CSV.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .matching import MIN_SCORE, Match, MatchIndex, RowLike, match, normalize_title
from .plan import PLEX, Change, Plan
from .provenance import GUESSES, UNRATED, Written, whose
from .records import Item
from .scale import format_stars, same

JOB = "import"

UPDATE = "update"
UNCHANGED = "unchanged"
#: A watched-only row (no rating) when watched marks are not asked for.
NO_RATING = "no rating"
NOT_FOUND = "not found"
TYPE_FILTERED = "type filtered"
INVALID_RATING = "invalid rating"
NEEDS_REVIEW = "needs review"
#: A needs-review row the person chose to skip.
SKIPPED = "skipped"
DUPLICATE_ROW = "duplicate row"
#: The item holds a different rating you already gave: kept unless "replace".
KEPT_YOURS = "kept yours"
#: Key of a ``plan.skipped`` row the preview lists under the changes (a kept conflict).
SHOW = "show_in_preview"

#: Every outcome a row can have, in the order a summary lists them.
OUTCOMES = (
    UPDATE,
    UNCHANGED,
    KEPT_YOURS,
    NO_RATING,
    NOT_FOUND,
    TYPE_FILTERED,
    INVALID_RATING,
    NEEDS_REVIEW,
    SKIPPED,
    DUPLICATE_ROW,
)

#: A parser's problem reason -> the outcome it is counted under.
PROBLEM_OUTCOMES = {
    "duplicate row": DUPLICATE_ROW,
    "conflicting duplicate": DUPLICATE_ROW,
    "invalid rating": INVALID_RATING,
    "malformed row": INVALID_RATING,
    "missing title": NOT_FOUND,
}


class SourceRowLike(RowLike, Protocol):
    """The parts of ``sources.SourceRow`` the plan reads, besides matching's."""

    line: int
    rating: float | None
    rating_raw: str
    watched_only: bool
    date: str | None
    source: str
    uri: str


class ProblemLike(Protocol):
    line: int
    reason: str
    raw: Mapping[str, str]
    detail: str
    source: str


class ParsedLike(Protocol):
    """``sources.ParseResult`` as the plan sees it."""

    format: str
    rows: Sequence[SourceRowLike]
    problems: Sequence[ProblemLike]


@dataclass
class ReviewItem:
    """A row matched too loosely to apply without the user picking the item."""

    row: Any
    candidates: list[tuple[Item, float]] = field(default_factory=list)
    how: str = ""
    score: float = 0.0


def _row_info(row: SourceRowLike) -> dict[str, Any]:
    return {
        "line": row.line,
        "title": row.title,
        "year": row.year,
        "rating": row.rating,
        "rating_raw": row.rating_raw,
        "kind": row.kind_hint or "",
        "show": row.show_title or "",
        "season": row.season,
        "episode": row.episode,
        "imdb": row.ids.get("imdb") or row.show_ids.get("imdb", ""),
        "tmdb": row.ids.get("tmdb") or row.show_ids.get("tmdb", ""),
        "tvdb": row.ids.get("tvdb") or row.show_ids.get("tvdb", ""),
        "date": row.date or "",
        "source": row.source,
        "uri": row.uri,
    }


def _problem_info(p: ProblemLike) -> dict[str, Any]:
    raw = {k.casefold(): v for k, v in p.raw.items()}

    def pick(*keys: str) -> str:
        return next((raw[k] for k in keys if raw.get(k)), "")

    return {
        "line": p.line,
        "title": pick("title", "name"),
        "year": pick("year", "release date"),
        "rating": None,
        "rating_raw": pick("your rating", "rating"),
        "imdb": pick("const", "imdb id"),
        "tmdb": pick("tmdb id"),
        "source": p.source,
        "detail": p.detail,
    }


def _labels(cands: Iterable[tuple[Item, float]]) -> str:
    return " | ".join(f"{it.label} [{it.kind}, {s:.2f}]" for it, s in cands)


#: Kind hints with no Plex kind, and what the unmatched list says about them.
NO_PLEX_KIND = {
    "game": "the export lists it as a video game; Plex has no games",
    "podcast": "the export lists it as a podcast; Plex libraries here hold no podcasts",
}

#: Match labels that rest on the title alone (the file may name two films so).
_BY_TITLE = ("title", "original title", "fuzzy title", "ambiguous title")


def _title_key(row: SourceRowLike) -> tuple[object, ...] | None:
    """What a title-only match sees of a row; None when the row has ids to match by."""
    if any(row.ids.get(s) for s in ("imdb", "tmdb", "tvdb")):
        return None
    return (normalize_title(row.title), row.year, row.kind_hint, row.season, row.episode)


_MATCH_WORDS = {"imdb": "IMDb", "tmdb": "TMDB", "tvdb": "TVDB", "number": "episode number"}


def match_reason(how: str) -> str:
    """``title+year±1`` -> ``matched by title and year (a year off)``: the preview's words."""
    text = how.replace("±1", " (a year off)")
    parts = [" ".join(_MATCH_WORDS.get(w, w) for w in p.split(" ")) for p in text.split("+")]
    return "matched by " + " and ".join(parts)


def decide(
    current: float | None, new: float | None, written: Written | None, overwrite: bool
) -> str:
    """One rated row against the item's current value: UPDATE, UNCHANGED or KEPT_YOURS.

    Equal values are unchanged; a value the program guessed (base,
    inferred) is replaced without asking; a different rating you already
    gave is kept unless ``overwrite``.
    """
    if same(current, new):
        return UNCHANGED
    owner = whose(current, written)
    if owner == UNRATED or owner in GUESSES or overwrite:
        return UPDATE
    return KEPT_YOURS


def kept_detail(current: float | None, new: float | None, source_name: str) -> str:
    """``Plex ★★★, IMDb ★★★★``: after "kept yours", the preview's words for a kept conflict."""
    return f"Plex {format_stars(current)}, {source_name} {format_stars(new)}"


def plan_import(
    parsed: ParsedLike,
    index: MatchIndex,
    *,
    kinds: set[str] | None = None,
    min_score: float = MIN_SCORE,
    overwrite: bool = False,
    mark_watched: bool = False,
    provenance: Mapping[str, Written] | None = None,
    source_name: str = "the file",
) -> tuple[Plan, list[ReviewItem]]:
    """Match every row and decide its outcome; changes only where the value differs.

    ``kinds`` filters by the Plex kind of the matched item; a rating you
    already gave that differs from the row is kept (listed as "kept yours")
    unless ``overwrite``, while the program's guesses (``provenance``: the
    journal's standing writes) are replaced; ``mark_watched`` also marks unwatched items whose rating is
    applied as watched, and the items of watched-only rows (without it those
    count as "no rating"). Rows under ``min_score`` go to review, not to the
    plan, and so do title matches of films the file holds twice under one
    title and year (different URIs): which one Plex has is for the user to say.
    """
    plan = Plan(
        JOB,
        options={
            "format": parsed.format,
            "kinds": sorted(kinds) if kinds else None,
            "min_score": min_score,
            "overwrite": overwrite,
            "mark_watched": mark_watched,
        },
    )
    review: list[ReviewItem] = []
    _count_problems(plan, parsed.problems)
    claimed: dict[int, int] = {}  # Plex key -> line of the row that rates it
    films = _films_by_title(parsed.rows)
    for row in parsed.rows:
        rated = not row.watched_only and row.rating is not None
        if not rated and not mark_watched:
            plan.count(NO_RATING)
            continue
        m = _sure_match(plan, review, row, index, kinds, min_score, films)
        if m is None or m.item is None:
            continue
        item = m.item
        if item.key in claimed:
            _skip(plan, row, DUPLICATE_ROW, m, f"same Plex item as line {claimed[item.key]}")
            continue
        claimed[item.key] = row.line
        why = match_reason(m.how)
        if not rated:
            # A watched-only row (only here with mark_watched): the mark is its change.
            if item.view_count > 0:
                plan.count(UNCHANGED)
            else:
                plan.add(Change(PLEX, str(item.key), "watched", False, True, why, item.label))
            continue
        written = (provenance or {}).get(str(item.key))
        _plan_rating(plan, row, item, why, written, overwrite, mark_watched, source_name)
    return plan, review


def _count_problems(plan: Plan, problems: Iterable[ProblemLike]) -> None:
    """The file's rows that could not be read: counted and listed with why."""
    for p in problems:
        outcome = PROBLEM_OUTCOMES.get(p.reason, INVALID_RATING)
        plan.count(outcome)
        plan.skipped.append({**_problem_info(p), "reason": outcome, "detail": p.detail or p.reason})


def _skip(
    plan: Plan, row: SourceRowLike, outcome: str, m: Match | None = None, detail: str = ""
) -> None:
    """Count the row and list it (with its first candidates) among the plan's skipped rows."""
    plan.count(outcome)
    info = _row_info(row)
    info["reason"] = outcome
    if m is not None and m.candidates:
        info["candidates"] = _labels(m.candidates[:5])
    if detail:
        info["detail"] = detail
    plan.skipped.append(info)


def _films_by_title(rows: Iterable[SourceRowLike]) -> dict[tuple[object, ...], set[str]]:
    """Title key -> the film URIs the file gives under it: two or more are different films."""
    films: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for row in rows:
        k = _title_key(row)
        if k is not None and row.uri:
            films[k].add(row.uri)
    return films


def _sure_match(
    plan: Plan,
    review: list[ReviewItem],
    row: SourceRowLike,
    index: MatchIndex,
    kinds: set[str] | None,
    min_score: float,
    films: Mapping[tuple[object, ...], set[str]],
) -> Match | None:
    """The row's match when it is sure enough to plan; else None, the row skipped (wrong
    kind, not found) or sent to review (a weak match, or a title two films share)."""
    m = match(row, index)
    if kinds:
        fitting = [(it, s) for it, s in m.candidates if it.kind in kinds]
        if m.item is not None and m.item.kind not in kinds or (m.candidates and not fitting):
            _skip(plan, row, TYPE_FILTERED, m, f"matched a {(m.item or m.candidates[0][0]).kind}")
            return None
        m = Match(m.item, m.score, m.how, fitting)  # review offers only wanted kinds
    if m.item is None and not m.candidates:
        _skip(plan, row, NOT_FOUND, detail=NO_PLEX_KIND.get(row.kind_hint or "", ""))
        return None
    key = _title_key(row)
    twins = len(films.get(key, ())) if key is not None else 0
    shared = twins > 1 and m.how.startswith(_BY_TITLE)
    if m.item is None or m.score < min_score or shared:
        how = f"{twins} films in the file share this title and year" if shared else m.how
        review.append(ReviewItem(row, list(m.candidates), how, m.score))
        _skip(plan, row, NEEDS_REVIEW, m, f"{how} ({m.score:.2f})")
        return None
    return m


def _plan_rating(
    plan: Plan,
    row: SourceRowLike,
    item: Item,
    why: str,
    written: Written | None,
    overwrite: bool,
    mark_watched: bool,
    source_name: str,
) -> None:
    """A matched row's rating: already there, your differing rating kept, or the change
    (with the watched mark when asked)."""
    outcome = decide(item.user_rating, row.rating, written, overwrite)
    if outcome == UNCHANGED:
        plan.count(UNCHANGED)
        return
    if outcome == KEPT_YOURS:
        _skip(plan, row, KEPT_YOURS, detail=kept_detail(item.user_rating, row.rating, source_name))
        plan.skipped[-1].update(
            current=item.user_rating, key=item.key, label=item.label, **{SHOW: True}
        )
        return
    if whose(item.user_rating, written) in GUESSES:
        why += " (replaces the program's guess)"
    plan.add(
        Change(PLEX, str(item.key), "userRating", item.user_rating, row.rating, why, item.label)
    )
    if mark_watched and item.view_count <= 0:
        # Appended directly: Plan.add would count a second 'update' for one row.
        plan.changes.append(Change(PLEX, str(item.key), "watched", False, True, why, item.label))
