"""Find the Plex item an exported rating row is about.

Ids decide when a row has them (IMDb, TMDB, TVDB Guids on Plex items,
also those parsed from legacy agent guids); rows without ids (Letterboxd)
fall back to a normalised title plus year, and when no title is equal, to
a scored fuzzy comparison (rapidfuzz) among the items of that year, which
goes to review under the same threshold as every other loose match.
Everything is looked up in dicts built once per run, so matching 5,000
rows against 20,000 items costs milliseconds, never a search per row.

The row is duck-typed (see :class:`RowLike`) so core imports nothing
from ``sources/``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from rapidfuzz import fuzz, process

from .records import Item

#: Id schemes looked up, in the order they are trusted.
ID_SCHEMES = ("imdb", "tmdb", "tvdb")

#: Plex kinds a title-only match may land on (episodes and seasons need a show).
TITLE_KINDS = ("movie", "show")

#: Leading articles dropped before comparing titles (English and common others).
ARTICLES = frozenset(
    [
        "the",
        "a",
        "an",
        "le",
        "la",
        "les",
        "l",
        "il",
        "lo",
        "gli",
        "der",
        "die",
        "das",
        "el",
        "los",
        "las",
    ]
)

#: Letters NFKD does not split into base + accent.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_APOSTROPHES = re.compile(r"['’`´‘]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_PUNCT = re.compile(r"[^\w\s]|_", re.UNICODE)
_TRAILING_ARTICLE = re.compile(r",\s*(the|a|an)\s*$", re.IGNORECASE)

# Scores: ids are certain; titles lose confidence with each relaxation.
SCORE_ID = 1.0
SCORE_SHOW_ID_EPISODE = 0.97
SCORE_TITLE_YEAR = 0.95
SCORE_ORIGINAL_YEAR = 0.9
SCORE_SHOW_TITLE_EPISODE = 0.9
SCORE_TITLE_YEAR_NEAR = 0.86
SCORE_ORIGINAL_YEAR_NEAR = 0.82
SCORE_TITLE_NO_YEAR = 0.7
#: A match scoring at least this is applied without asking; below it goes to review.
MIN_SCORE = 0.85
#: Fuzzy title similarity (0-100, rapidfuzz ``ratio``) below this is no candidate at all.
FUZZY_CUTOFF = 80.0
#: Candidates a fuzzy search offers for review.
FUZZY_LIMIT = 5
SCORE_AMBIGUOUS = 0.5
#: Two candidates closer than this are a tie nobody should guess at.
TIE_MARGIN = 0.05


class RowLike(Protocol):
    """What matching reads from a source row (``sources.SourceRow`` fits)."""

    title: str
    year: int | None
    ids: Mapping[str, str]
    kind_hint: str | None
    season: int | None
    episode: int | None
    show_title: str | None
    original_title: str | None
    show_ids: Mapping[str, str]


def _fold(title: str) -> str:
    """Case, accents, special letters, trailing article and '&' folded away."""
    s = _TRAILING_ARTICLE.sub("", title.strip())
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s)
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.casefold().translate(_FOLD)
    return s.replace("&", " and ")


def _drop_article(words: list[str]) -> str:
    if len(words) > 1 and words[0] in ARTICLES:
        words = words[1:]
    return " ".join(words)


@lru_cache(maxsize=65536)
def _keys(title: str) -> tuple[str, str]:
    """(spaced key, squashed key) of a title, folded once."""
    if not title:
        return "", ""
    s = _fold(title)
    # "l'avventura" -> "l avventura": the elided article then drops off
    spaced = _drop_article(_NON_WORD.sub(" ", _APOSTROPHES.sub(" ", s)).split())
    return spaced, _drop_article(_PUNCT.sub("", s).split())


def normalize_title(title: str) -> str:
    """Fold a title to a comparison key: case, accents, punctuation, articles, '&'.

    Punctuation becomes a space here, so an elided article drops off
    ("L'Avventura" -> "avventura"); :func:`squash_title` is the other reading.
    """
    return _keys(title)[0]


def squash_title(title: str) -> str:
    """The key with punctuation removed instead of spaced: "Uma's Station" and
    "UMAS STATION" both give "umas station", "Spider-Man" gives "spiderman"."""
    return _keys(title)[1]


def clear_title_cache() -> None:
    """Forget the cached keys (benchmarks measure a cold index)."""
    _keys.cache_clear()


def title_keys(title: str) -> set[str]:
    """Every key a title is indexed and looked up under (one or two)."""
    spaced, squashed = _keys(title)
    return {k for k in (spaced, squashed) if k}


@dataclass(frozen=True, slots=True)
class Match:
    """The chosen item (or None), how sure we are, and the alternatives for review."""

    item: Item | None
    score: float
    how: str
    candidates: list[tuple[Item, float]] = field(default_factory=list)


NO_MATCH = Match(None, 0.0, "not found", [])


@dataclass
class MatchIndex:
    """Dicts over one library snapshot, built once per run by :func:`build_index`."""

    by_guid: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))
    by_title: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))
    by_original: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))
    #: (show key, season, episode) -> episodes
    episodes: dict[tuple[int, int, int], list[Item]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: (normalised show title, season, episode) -> episodes
    episodes_by_show_title: dict[tuple[str, int, int], list[Item]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: (normalised show title, normalised episode title) -> episodes
    episodes_by_titles: dict[tuple[str, str], list[Item]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: (show key, season number) -> seasons
    seasons: dict[tuple[int, int], list[Item]] = field(default_factory=lambda: defaultdict(list))
    #: (normalised show title, season number) -> seasons
    seasons_by_show_title: dict[tuple[str, int], list[Item]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: year -> (squashed title or original title, movie or show), for the fuzzy search
    by_year: dict[int, list[tuple[str, Item]]] = field(default_factory=lambda: defaultdict(list))
    #: (year, kind hint) -> the fuzzy search's choices for that year and the next ones (lazy)
    pools: dict[tuple[int, str | None], tuple[list[str], list[Item]]] = field(default_factory=dict)
    items: dict[int, Item] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.items)


def build_index(items: Iterable[Item]) -> MatchIndex:
    """Index movies, shows, seasons and episodes by guid, title and position."""
    idx = MatchIndex()
    for it in items:
        idx.items[it.key] = it
        for g in it.guids:
            idx.by_guid[g].append(it)
        if it.kind in TITLE_KINDS:
            keys = title_keys(it.title)
            for key in keys:
                idx.by_title[key].append(it)
            for key in title_keys(it.original_title) - keys:
                idx.by_original[key].append(it)
            if it.year is not None:
                for text in {squash_title(it.title), squash_title(it.original_title)} - {""}:
                    idx.by_year[it.year].append((text, it))
        elif it.kind == "episode":
            shows = title_keys(it.grandparent_title)
            if it.parent_index is not None and it.index is not None:
                if it.grandparent_key is not None:
                    idx.episodes[(it.grandparent_key, it.parent_index, it.index)].append(it)
                for show in shows:
                    idx.episodes_by_show_title[(show, it.parent_index, it.index)].append(it)
            for show in shows:
                for ep in title_keys(it.title):
                    idx.episodes_by_titles[(show, ep)].append(it)
        elif it.kind == "season" and it.index is not None:
            if it.parent_key is not None:
                idx.seasons[(it.parent_key, it.index)].append(it)
            for show in title_keys(it.parent_title):
                idx.seasons_by_show_title[(show, it.index)].append(it)
    return idx


def _kind_ok(item: Item, hint: str | None) -> bool:
    return hint is None or item.kind == hint


def _single(items: list[Item], score: float, how: str) -> Match:
    """One item is a match; several equal ones are a tie for the user to settle."""
    uniq = list({it.key: it for it in items}.values())
    if len(uniq) == 1:
        return Match(uniq[0], score, how, [(uniq[0], score)])
    if uniq and len({it.kind for it in uniq}) == 1 and how.endswith(" id"):
        # The same id on several items of one kind: split versions of one title.
        return Match(uniq[0], score, how, [(it, score) for it in uniq])
    return Match(None, SCORE_AMBIGUOUS, f"ambiguous {how}", [(it, SCORE_AMBIGUOUS) for it in uniq])


def _by_ids(ids: Mapping[str, str], index: MatchIndex, hint: str | None) -> Match | None:
    for scheme in ID_SCHEMES:
        value = ids.get(scheme)
        if not value:
            continue
        found = index.by_guid.get(f"{scheme}://{value}", [])
        fitting = [it for it in found if _kind_ok(it, hint)]
        if scheme == "imdb" and not fitting and hint not in ("episode", "season"):
            # IMDb ids are unique across kinds, so a guessed movie/show hint must not
            # hide the item; but an episode row's IMDb id may be its show's (TMDB).
            fitting = found
        if fitting:
            return _single(fitting, SCORE_ID, f"{scheme} id")
    return None


def _shows_by_ids(ids: Mapping[str, str], index: MatchIndex) -> list[Item]:
    for scheme in ID_SCHEMES:
        value = ids.get(scheme)
        if value:
            found = [it for it in index.by_guid.get(f"{scheme}://{value}", ()) if it.kind == "show"]
            if found:
                return found
    return []


def _child_of_show(row: RowLike, index: MatchIndex) -> Match | None:
    """Episodes and seasons: find the show by id or title, then the child by number."""
    if row.season is None:
        return None
    episode = row.kind_hint == "episode" or row.episode is not None
    if episode and row.episode is None:
        return None
    # A TMDB episode row may carry the show's ids in ``ids``: try both.
    for ids in (row.show_ids, row.ids):
        # Legacy agents name an episode by its show's id and numbers: tvdb://81189/5/14.
        numbers = f"{row.season}/{row.episode}" if episode else f"{row.season}"
        for scheme in ID_SCHEMES:
            if ids.get(scheme):
                kind = "episode" if episode else "season"
                found = [
                    it
                    for it in index.by_guid.get(f"{scheme}://{ids[scheme]}/{numbers}", ())
                    if it.kind == kind
                ]
                if found:
                    return _single(found, SCORE_SHOW_ID_EPISODE, "show id+number")
        shows = _shows_by_ids(ids, index)
        found: list[Item] = []
        for show in shows:
            if episode:
                found += index.episodes.get((show.key, row.season, row.episode or 0), [])
            else:
                found += index.seasons.get((show.key, row.season), [])
        if found:
            return _single(found, SCORE_SHOW_ID_EPISODE, "show id+number")
    for name in (row.show_title, row.title if not row.show_title else None):
        for key in sorted(title_keys(name or "")):
            if episode:
                found = index.episodes_by_show_title.get((key, row.season, row.episode or 0), [])
            else:
                found = index.seasons_by_show_title.get((key, row.season), [])
            if found:
                return _single(list(found), SCORE_SHOW_TITLE_EPISODE, "show title+number")
    return None


def _episode_by_titles(row: RowLike, index: MatchIndex) -> Match | None:
    """IMDb writes episodes as ``Show: Episode``; try every ``: `` split point."""
    candidates: list[tuple[str, str]] = []
    if row.show_title:
        candidates.append((row.show_title, row.title))
    parts = row.title.split(": ")
    for i in range(1, len(parts)):
        candidates.append((": ".join(parts[:i]), ": ".join(parts[i:])))
    for show, ep in candidates:
        found = {
            it.key: it
            for sk in title_keys(show)
            for ek in title_keys(ep)
            for it in index.episodes_by_titles.get((sk, ek), ())
        }
        if found:
            return _single(list(found.values()), SCORE_SHOW_TITLE_EPISODE, "show+episode title")
    return None


def _year_score(row_year: int | None, item_year: int | None, exact: float, near: float) -> float:
    if row_year is None or item_year is None:
        return SCORE_TITLE_NO_YEAR
    diff = abs(row_year - item_year)
    if diff == 0:
        return exact
    if diff == 1:
        return near
    return 0.0


def _by_title(row: RowLike, index: MatchIndex) -> Match | None:
    """Title (or original title) plus year, respecting the kind hint; ties stay unsure."""
    hint = row.kind_hint if row.kind_hint in TITLE_KINDS else None
    if row.kind_hint and hint is None:
        return None  # an episode or season never matches a movie or show by title
    keys = title_keys(row.title) | title_keys(row.original_title or "")
    scored: dict[int, tuple[Item, float, str]] = {}

    def consider(items: Iterable[Item], exact: float, near: float, label: str) -> None:
        for it in items:
            if not _kind_ok(it, hint):
                continue
            s = _year_score(row.year, it.year, exact, near)
            if s <= 0:
                continue
            how = label if s == exact else f"{label}±1" if s == near else label.split("+")[0]
            if it.key not in scored or scored[it.key][1] < s:
                scored[it.key] = (it, s, how)

    for key in keys:
        consider(index.by_title.get(key, ()), SCORE_TITLE_YEAR, SCORE_TITLE_YEAR_NEAR, "title+year")
    for key in keys:
        consider(
            index.by_original.get(key, ()),
            SCORE_ORIGINAL_YEAR,
            SCORE_ORIGINAL_YEAR_NEAR,
            "original title+year",
        )
    if not scored:
        _fuzzy(row, index, hint, scored)
    if not scored:
        return None
    ranked = sorted(scored.values(), key=lambda t: (-t[1], t[0].key))
    best, best_score, how = ranked[0]
    cands = [(it, s) for it, s, _ in ranked]
    if len(ranked) > 1 and best_score - ranked[1][1] < TIE_MARGIN:
        return Match(None, SCORE_AMBIGUOUS, "ambiguous title", cands)
    return Match(best, best_score, how, cands)


def _fuzzy(
    row: RowLike, index: MatchIndex, hint: str | None, scored: dict[int, tuple[Item, float, str]]
) -> None:
    """No title is equal: score the titles of the row's year (and the years next to it)
    by rapidfuzz similarity. A score is the year's score times the similarity, so only
    near-identical titles pass the review threshold; the rest are offered for review."""
    if row.year is None:
        return  # a whole library of fuzzy candidates would be noise, not help
    queries = {squash_title(row.title), squash_title(row.original_title or "")} - {""}
    if not queries:
        return
    pool = index.pools.get((row.year, hint))
    if pool is None:
        near = [
            (text, it)
            for y in (row.year - 1, row.year, row.year + 1)
            for text, it in index.by_year.get(y, ())
            if _kind_ok(it, hint)
        ]
        pool = index.pools[(row.year, hint)] = ([t for t, _ in near], [it for _, it in near])
    choices, items = pool
    if not choices:
        return
    for query in queries:
        hits = process.extract(
            query, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=FUZZY_LIMIT
        )
        for _text, similarity, i in hits:
            it = items[i]
            base = _year_score(row.year, it.year, SCORE_TITLE_YEAR, SCORE_TITLE_YEAR_NEAR)
            s = round(base * similarity / 100, 3)
            how = "fuzzy title+year" if base == SCORE_TITLE_YEAR else "fuzzy title+year±1"
            if s > 0 and (it.key not in scored or scored[it.key][1] < s):
                scored[it.key] = (it, s, how)


def match(row: RowLike, index: MatchIndex) -> Match:
    """Ids first, then show+number for episodes, then title and year."""
    hint = row.kind_hint
    m = _by_ids(row.ids, index, hint)
    if m is not None:
        return m
    if hint in ("episode", "season") or row.season is not None:
        m = _child_of_show(row, index)
        if m is not None:
            return m
    if hint in (None, "episode"):
        m = _episode_by_titles(row, index)
        if m is not None:
            return m
    m = _by_title(row, index)
    return m if m is not None else NO_MATCH
