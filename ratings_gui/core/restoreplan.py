"""Restore, clear and copy plans, pure: backup entries matched to a library, and what to write.

A backup must survive a move to another server, where every ratingKey,
every ``local://`` guid and the library folder differ. So restore tries the
strong keys first (Plex guid, external ids, file path relative to the
library folder) and falls back to titles only when nothing stronger fits.
The file format itself is ``core.backup``; the jobs are ``jobs.transfer``
and ``jobs.copy_ratings``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .backup import (
    BASE,
    INFERRED,
    KINDS,
    PROGRAM,
    USER,
    WHOSE_OF_OWNER,
    Backup,
    BackupError,
    Entry,
    is_plex_guid,
    item_ids,
    normalize_id,
    path_key,
    relative_path,
)
from .matching import normalize_title
from .plan import PLEX, UPDATE, Change, Plan
from .provenance import YOURS, is_guess
from .records import KINDS_BY_SECTION, Item
from .scale import format_stars, normalize, same

RESTORE_JOB = "restore"
CLEAR_JOB = "clear-ratings"
COPY_JOB = "copy-ratings"


#: Journal reasons of a restore, by owner (words for the preview and History).
RESTORE_REASONS = {
    USER: "restored as own",
    BASE: "restored as base",
    INFERRED: "imported as inferred",
    PROGRAM: "restored as program's",
}


# Plan outcomes of a restore. Every backup row ends in exactly one of them, except that a
# change over another value counts as "update" (to change) and as what it replaces.
ALREADY = "already"
CONFLICT = "conflict kept"
OVERWRITE = "conflict overwritten"
#: The target holds a base or inferred value the program set; the backup has the user's own.
OVER_PROGRAM = "program value replaced"
RECORDED = "recorded whose it is"
NOT_FOUND = "not found"
AMBIGUOUS = "ambiguous"
DUPLICATE = "duplicate"
OTHER_LIBRARY = "outside the chosen libraries"
RESTORE_OUTCOMES = (
    UPDATE,
    OVER_PROGRAM,
    OVERWRITE,
    RECORDED,
    ALREADY,
    CONFLICT,
    NOT_FOUND,
    AMBIGUOUS,
    DUPLICATE,
    OTHER_LIBRARY,
)


# How an item was matched, strongest first.
BY_GUID = "Plex's own id"
BY_ID = "IMDb, TMDB, TVDB or MusicBrainz id"
BY_PATH = "file path"
BY_TITLES = "titles"
BY_KEY = "same item"
MATCH_STEPS = (BY_GUID, BY_ID, BY_PATH, BY_TITLES)


@dataclass
class TargetLibrary:
    """One library of the server restored to: its folders and its current items."""

    title: str
    type: str
    section_id: int
    locations: tuple[str, ...] = ()
    items: list[Item] = field(default_factory=list)


def _n(text: str) -> str:
    return normalize_title(text) or text.strip().casefold()


def _title_keys(
    kind: str,
    title: str,
    parent: str,
    grand: str,
    year: int | None,
    index: int | None,
    parent_index: int | None,
) -> list[tuple[Any, ...]]:
    """Title keys of an item, most specific first (shared by backup rows and targets)."""
    t = _n(title)
    if kind == "track":
        keys: list[tuple[Any, ...]] = []
        if index is not None:
            keys.append((kind, _n(grand), _n(parent), t, parent_index or 1, index))
        keys.append((kind, _n(grand), _n(parent), t))
        return keys
    if kind == "album":
        return [(kind, _n(parent), t, year), (kind, _n(parent), t)]
    if kind == "artist":
        return [(kind, t)]
    if kind == "episode":
        if index is None or parent_index is None:
            return [(kind, _n(grand), t)]
        return [(kind, _n(grand), parent_index, index)]
    if kind == "season":
        return [(kind, _n(parent), index)] if index is not None else []
    if kind == "show":
        return [(kind, t, year), (kind, t)]
    if kind == "movie":
        return [(kind, t, year)] if year is not None else [(kind, t)]
    return []


def _item_title_keys(it: Item) -> list[tuple[Any, ...]]:
    keys = _title_keys(
        it.kind, it.title, it.parent_title, it.grandparent_title, it.year, it.index, it.parent_index
    )
    if it.kind == "movie" and it.year is not None:
        keys.append((it.kind, _n(it.title)))  # found by a backup row without a year
    return keys


def _entry_title_keys(e: Entry) -> list[tuple[Any, ...]]:
    return _title_keys(
        e.kind, e.title, e.parent_title, e.grandparent_title, e.year, e.index, e.parent_index
    )


class TargetIndex:
    """The target server's items by guid, external id, relative path and titles (built once)."""

    def __init__(self, libraries: Iterable[TargetLibrary]) -> None:
        self.items: dict[int, Item] = {}
        self.section_of: dict[int, int] = {}
        self.kinds: set[str] = set()
        self.by_guid: dict[tuple[str, str], list[Item]] = defaultdict(list)
        self.by_id: dict[tuple[str, str], list[Item]] = defaultdict(list)
        self.by_path: dict[tuple[str, str], list[Item]] = defaultdict(list)
        self.by_title: dict[tuple[Any, ...], list[Item]] = defaultdict(list)
        for lib in libraries:
            self.kinds.update(KINDS_BY_SECTION.get(lib.type, ()))
            for it in lib.items:
                if it.kind not in KINDS:
                    continue
                self.items[it.key] = it
                self.section_of[it.key] = lib.section_id
                guid = getattr(it, "plex_guid", "") or ""
                if is_plex_guid(guid):
                    self.by_guid[(it.kind, guid)].append(it)
                for i in item_ids(guid, it.guids):
                    self.by_id[(it.kind, i)].append(it)
                for f in it.files:
                    rel = relative_path(f, lib.locations)
                    if rel:
                        self.by_path[(it.kind, path_key(rel))].append(it)
                for k in _item_title_keys(it):
                    self.by_title[k].append(it)


@dataclass(frozen=True, slots=True)
class Found:
    """The outcome of matching one backup row: the item, or why there is none."""

    item: Item | None
    how: str
    detail: str = ""
    candidates: tuple[Item, ...] = ()


def _unique(items: list[Item]) -> list[Item]:
    return list({it.key: it for it in items}.values())


def find(entry: Entry, index: TargetIndex) -> Found:
    """Plex guid, then external ids, then the relative file path, then titles and numbers.

    A key that fits several items is passed over (the next step may settle
    it); only when no step finds exactly one item is the row not found or
    ambiguous.
    """
    ambiguous: list[Item] = []
    if is_plex_guid(entry.guid):
        hits = _unique(index.by_guid.get((entry.kind, entry.guid), []))
        if len(hits) == 1:
            return Found(hits[0], BY_GUID)
        ambiguous += hits
    id_hits: dict[int, Item] = {}
    for raw in entry.ids:
        n = normalize_id(raw) or ""
        hits = _unique(index.by_id.get((entry.kind, n), []))
        if len(hits) == 1:
            id_hits[hits[0].key] = hits[0]
        else:
            ambiguous += hits
    if len(id_hits) == 1:
        return Found(next(iter(id_hits.values())), BY_ID)
    ambiguous += id_hits.values()
    if entry.relpath:
        hits = _unique(index.by_path.get((entry.kind, path_key(entry.relpath)), []))
        if len(hits) == 1:
            return Found(hits[0], BY_PATH)
        ambiguous += hits
    for k in _entry_title_keys(entry):
        hits = _unique(index.by_title.get(k, []))
        if len(hits) == 1:
            return Found(hits[0], BY_TITLES)
        if len(hits) > 1:
            ambiguous += hits
            break
    cands = tuple(_unique(ambiguous))
    if len(cands) > 1:
        return Found(None, AMBIGUOUS, f"{len(cands)} {entry.kind}s fit; none is certain", cands)
    if len(cands) == 1:
        # a guid or id on several items of which only this one is left: still not certain
        return Found(None, AMBIGUOUS, "the ids point at more than one item", cands)
    return Found(None, NOT_FOUND, _why_not(entry))


def _why_not(entry: Entry) -> str:
    tried = []
    if is_plex_guid(entry.guid):
        tried.append("Plex guid")
    if entry.ids:
        tried.append("ids " + ", ".join(entry.ids[:3]))
    if entry.relpath:
        tried.append(f"file {entry.relpath}")
    tried.append("titles")
    return f"no {entry.kind} on this server has the same " + " or ".join(tried)


def _skip(
    plan: Plan,
    entry: Entry,
    reason: str,
    detail: str,
    cands: Sequence[Item] = (),
    *,
    current: float | None = None,
) -> None:
    """Count the row and list it: the unmatched CSV's columns, and ``current`` for a conflict."""
    plan.count(reason)
    row: dict[str, Any] = {
        "reason": reason,
        "kind": entry.kind,
        "title": entry.title,
        "year": entry.year,
        "rating": entry.rating,
        "rating_raw": format_stars(entry.rating, glyphs=False),
        "source": entry.owner,
        "detail": detail,
        "label": entry.label,
        "key": entry.key,
    }
    if entry.kind in ("episode", "season"):
        row["show"] = entry.grandparent_title if entry.kind == "episode" else entry.parent_title
        row["season"] = entry.parent_index if entry.kind == "episode" else entry.index
        row["episode"] = entry.index if entry.kind == "episode" else None
    elif entry.kind in ("track", "album"):
        row["artist"] = entry.grandparent_title if entry.kind == "track" else entry.parent_title
        if entry.kind == "track":
            row["album"] = entry.parent_title
    for i in entry.ids:
        scheme, _, value = i.partition("://")
        if scheme in ("imdb", "tmdb", "tvdb"):
            row.setdefault(scheme, value)
    if entry.relpath:
        row["file"] = entry.relpath
    if current is not None:
        row["current"] = current
    if cands:
        row["candidates"] = " | ".join(f"{c.label} [{c.key}]" for c in cands[:5]) + (
            f" +{len(cands) - 5} more" if len(cands) > 5 else ""
        )
    plan.skipped.append(row)


def plan_restore(
    backup: Backup | Iterable[Entry],
    targets: Iterable[TargetLibrary],
    provenance: Mapping[str, Any] | None = None,
    *,
    overwrite: bool = False,
) -> Plan:
    """Backup rows + the target's libraries + the journal -> the ratings to write.

    Matched rows whose target is unrated become changes; a target that holds
    the same value is "already" (or a same-value change when the journal
    disagrees about whose it is, so the journal records the backup's word);
    a target holding another value is a conflict, kept unless ``overwrite``,
    except that the user's own rating always replaces a base or inferred
    value the program set (the rule every job follows).
    Each target item is claimed by at most one row: the strongest match wins.
    ``provenance`` is ``journal.standing_writes(PLEX)`` (ratingKey text -> Provenance).
    """
    if isinstance(backup, Backup) and backup.is_home:
        # every member's ratings on one person would mix them: the job picks one section
        raise BackupError(
            f"This backup holds the ratings of {len(backup.members)} Plex Home members "
            f"({backup.member_names()}): restore them with 'all users', or choose one member."
        )
    entries = backup.entries if isinstance(backup, Backup) else list(backup)
    prov = provenance or {}
    plan = Plan(RESTORE_JOB)
    plan.counts.update({UPDATE: 0, ALREADY: 0, CONFLICT: 0, NOT_FOUND: 0})
    matched_by: dict[str, int] = {}
    found = _found(plan, entries, TargetIndex(targets))
    claimed: dict[int, Entry] = {}
    # strongest match first, then backup order: a title match never takes an item an id found
    for _, e, f in sorted(found, key=lambda t: t[0]):
        it = f.item
        assert it is not None
        first = claimed.get(it.key)
        if first is not None:
            _skip(plan, e, DUPLICATE, f"the same {it.kind} as {first.label!r} [{first.key}]", [it])
            continue
        claimed[it.key] = e
        matched_by[f.how] = matched_by.get(f.how, 0) + 1
        _restore_one(plan, e, it, prov.get(str(it.key)), overwrite)
    plan.options["matched_by"] = dict(sorted(matched_by.items()))
    plan.options["overwrite"] = overwrite
    # the preview lists the rows not restored (not found, ambiguous, conflicts) with the changes
    plan.options["list_skipped"] = True
    return plan


def _found(
    plan: Plan, entries: Iterable[Entry], index: TargetIndex
) -> list[tuple[int, Entry, Found]]:
    """Every row's match with its strength (index in MATCH_STEPS); the rest skipped."""
    found: list[tuple[int, Entry, Found]] = []
    for e in entries:
        if e.kind not in index.kinds:
            plan.count(OTHER_LIBRARY)
            continue
        f = find(e, index)
        if f.item is None:
            _skip(plan, e, f.how, f.detail, f.candidates)
            continue
        found.append((MATCH_STEPS.index(f.how), e, f))
    return found


def _restore_one(plan: Plan, e: Entry, it: Item, written: Any, overwrite: bool) -> None:
    """One matched row: a change (unrated, overwrite, yours over a guess), a conflict kept,
    a same-value change that records whose it is, or already there."""
    current = normalize(it.user_rating)
    change = Change(
        PLEX,
        str(it.key),
        "userRating",
        current,
        e.rating,
        RESTORE_REASONS[e.owner],
        it.label,
        WHOSE_OF_OWNER.get(e.owner, YOURS),
    )
    if current is None:
        plan.add(change)
    elif not same(current, e.rating):
        mine_over_program = e.owner == USER and is_guess(current, written)
        if overwrite or mine_over_program:
            plan.add(change)  # counted "to change", and once more as what it replaces
            plan.count(OVER_PROGRAM if mine_over_program else OVERWRITE)
        else:
            _skip(
                plan,
                e,
                CONFLICT,
                f"the server holds {format_stars(current, glyphs=False)} (overwrite replaces it)",
                [it],
                current=current,
            )
    elif (e.owner != USER) != is_guess(current, written):
        plan.changes.append(change)
        plan.count(RECORDED)
    else:
        plan.count(ALREADY)


def restore_breakdown(counts: Mapping[str, int]) -> str:
    """``to restore 30, already 2, conflict kept 1, …``: the non-zero outcomes, in order."""
    names = {UPDATE: "to restore"}
    parts = [
        f"{names.get(o, o)} {counts.get(o, 0):,}" for o in RESTORE_OUTCOMES if counts.get(o, 0)
    ]
    return ", ".join(parts) or "nothing in the backup"


def plan_clear(items: Iterable[Item], kinds: Iterable[str] | None = None) -> Plan:
    """Every rated item (of ``kinds``) -> a change to unrated; the old value is in the journal."""
    wanted = set(kinds) if kinds else set(KINDS)
    plan = Plan(CLEAR_JOB)
    plan.counts.update({UPDATE: 0})
    order = {k: i for i, k in enumerate(KINDS)}
    for it in sorted(items, key=lambda i: (order.get(i.kind, 99), i.key)):
        if it.kind not in wanted:
            continue
        current = normalize(it.user_rating)
        if current is None:
            plan.count("unrated")
            continue
        plan.add(Change(PLEX, str(it.key), "userRating", current, None, "cleared", it.label))
        plan.count(f"{it.kind}s")
    return plan


#: Plan outcomes of a copy (besides "update", to copy, and OVER_PROGRAM / RECORDED).
COPY_SAME = "already the same"
COPY_KEPT = "kept theirs"
COPY_OVERWRITTEN = "theirs overwritten"
COPY_NOT_THEIRS = "not copied: the program's guess"
COPY_OUTCOMES = (
    UPDATE,
    OVER_PROGRAM,
    COPY_OVERWRITTEN,
    RECORDED,
    COPY_SAME,
    COPY_KEPT,
    COPY_NOT_THEIRS,
)
#: A plan row of a kept conflict is listed in the preview (``core.importplan.SHOW``).
SHOW = "show_in_preview"


def plan_copy(
    source: Iterable[Item],
    target: Iterable[Item],
    source_provenance: Mapping[str, Any] | None = None,
    target_provenance: Mapping[str, Any] | None = None,
    *,
    kinds: Iterable[str] | None = None,
    overwrite: bool = False,
    source_name: str = "",
    target_name: str = "",
) -> Plan:
    """One member's ratings onto another's items of the same server (same ratingKeys).

    The provenance rule, from both sides: only the source's own ratings are
    copied (the program's base and inferred guesses for them are not theirs
    to give); on the target an unrated item gets the value, a guess of the
    program is replaced, and the target's own differing rating is kept
    unless ``overwrite``. A copied value becomes the target's own ("yours"):
    it was copied at their request, like an import of their export.
    """
    src_prov = source_provenance or {}
    dst_prov = target_provenance or {}
    wanted = set(kinds) if kinds else set(KINDS)
    now = {it.key: it for it in target}
    order = {k: i for i, k in enumerate(KINDS)}
    plan = Plan(COPY_JOB)
    plan.counts.update({UPDATE: 0})
    reason = f"copied from {source_name}" if source_name else "copied"
    for it in sorted(source, key=lambda i: (order.get(i.kind, 99), i.key)):
        value = normalize(it.user_rating)
        if value is None or it.kind not in wanted or it.kind not in KINDS:
            continue
        if is_guess(value, src_prov.get(str(it.key))):
            plan.count(COPY_NOT_THEIRS)
            continue
        mine = now.get(it.key)
        if mine is None:  # not readable as the target (another library or no access)
            continue
        guess = is_guess(normalize(mine.user_rating), dst_prov.get(str(it.key)))
        _copy_one(plan, it, mine, value, guess, overwrite, reason, target_name)
    plan.options.update(overwrite=overwrite, kinds=sorted(wanted) if kinds else "all")
    return plan


def _copy_one(
    plan: Plan,
    it: Item,
    mine: Item,
    value: float,
    guess: bool,
    overwrite: bool,
    reason: str,
    target_name: str,
) -> None:
    """One source rating onto the target's item ``mine``: written, recorded as theirs,
    already the same, replacing a guess (or, with overwrite, their rating), or kept."""
    current = normalize(mine.user_rating)
    change = Change(PLEX, str(it.key), "userRating", current, value, reason, mine.label, YOURS)
    if current is None:
        plan.add(change)
    elif same(current, value):
        if guess:  # the same value, now the target's own: the journal records it
            plan.changes.append(change)
            plan.count(RECORDED)
        else:
            plan.count(COPY_SAME)
    elif guess or overwrite:
        plan.add(change)
        plan.count(OVER_PROGRAM if guess else COPY_OVERWRITTEN)
    else:
        plan.count(COPY_KEPT)
        plan.skipped.append(
            {
                "reason": COPY_KEPT,
                "detail": f"{target_name or 'they'} rated it "
                f"{format_stars(current, glyphs=False)} (replace overwrites it)",
                "kind": it.kind,
                "title": it.title,
                "label": mine.label,
                "key": it.key,
                "rating": value,
                "current": current,
                SHOW: True,
            }
        )


def copy_breakdown(counts: Mapping[str, int]) -> str:
    """``to copy 30, already the same 2, kept theirs 1``: the non-zero outcomes, in order."""
    names = {UPDATE: "to copy"}
    parts = [f"{names.get(o, o)} {counts.get(o, 0):,}" for o in COPY_OUTCOMES if counts.get(o, 0)]
    return ", ".join(parts) or "nothing to copy"
