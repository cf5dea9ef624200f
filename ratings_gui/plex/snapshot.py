"""One paged bulk read of a library into plain records.

A listing page already carries every attribute the jobs need (ratings,
parents, durations, file paths, guids with ``includeGuids=1``), so a
50,000-track library is about 30 requests at 2,000 items a page, and no
request is ever made per item. Reading raw XML attributes also sidesteps
plexapi's auto-reload, which would fetch each unrated item again.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from ratings_gui.core.guids import ids_from_guid
from ratings_gui.core.records import KINDS_BY_SECTION, TYPE_IDS, Item, Snapshot
from ratings_gui.plex.connection import Connection, PlexError
from ratings_gui.plex.http import PlexHttp

log = logging.getLogger(__name__)

PAGE_SIZE = 2000
MIN_PAGE_SIZE = 100
KEYS_PER_REQUEST = 200

ProgressFn = Callable[[int, int, str], None]


class BadItem(ValueError):
    """An item element whose key or rating the server sent malformed: skipped and counted."""


def _int(v: str | None) -> int | None:
    if v is None or v == "":
        return None
    try:
        num = float(v)
    except ValueError:
        return None
    return int(num) if math.isfinite(num) else None


def _float(v: str | None) -> float | None:
    if v is None or v == "":
        return None
    try:
        num = float(v)
    except ValueError:
        return None
    return num if math.isfinite(num) else None


def _key(v: str | None) -> int | None:
    """A ratingKey: digits only ("123x" is malformed, not 123)."""
    if v is None or v == "":
        return None
    if not v.strip().isdigit():
        raise BadItem(f"ratingKey {v!r} is not a number")
    return int(v)


def _rating(v: str | None, name: str) -> float | None:
    """A 0-10 rating; NaN, infinities and values outside 0-10 are malformed."""
    if v is None or v == "":
        return None
    try:
        num = float(v)
    except ValueError:
        raise BadItem(f"{name} {v!r} is not a number") from None
    if not math.isfinite(num) or not 0 <= num <= 10:
        raise BadItem(f"{name} {v!r} is not a rating from 0 to 10")
    return num


def container_total(root: Element) -> int | None:
    """A listing's totalSize (else size); None when missing or not a count (e.g. "-7")."""
    for name in ("totalSize", "size"):
        value = root.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return None


def items_of(root: Element, bad: list[str] | None = None) -> Iterator[Item]:
    """The items of a listing; malformed ones are skipped and described in ``bad``."""
    for el in root:
        try:
            it = item_from_xml(el)
        except BadItem as exc:
            if bad is not None:
                bad.append(f"{el.get('title') or el.tag}: {exc}")
            continue
        if it is not None:
            yield it


def item_guids(el: Element) -> tuple[str, ...]:
    """Every id of an item: its ``<Guid>`` children, then what its ``guid`` attribute names."""
    out: dict[str, None] = {}
    for g in el.iter("Guid"):
        gid = (g.get("id") or "").strip()
        if gid:
            out[gid] = None
    for gid in ids_from_guid(el.get("guid", "")):
        out.setdefault(gid, None)
    return tuple(out)


def item_from_xml(el: Element) -> Item | None:
    """One ``<Track>``/``<Directory>``/``<Video>`` element -> :class:`Item` (None if not an item).

    Raises BadItem for a malformed ratingKey or rating, so the caller can count it.
    """
    a = el.attrib
    key = _key(a.get("ratingKey"))
    kind = a.get("type")
    if key is None or not kind:
        return None
    guids = item_guids(el)
    files = tuple(p.get("file", "") for p in el.iter("Part") if p.get("file"))
    return Item(
        key=key,
        kind=kind,
        title=a.get("title", ""),
        parent_key=_int(a.get("parentRatingKey")),
        grandparent_key=_int(a.get("grandparentRatingKey")),
        parent_title=a.get("parentTitle", ""),
        grandparent_title=a.get("grandparentTitle", ""),
        original_title=a.get("originalTitle", ""),
        year=_int(a.get("year")),
        index=_int(a.get("index")),
        parent_index=_int(a.get("parentIndex")),
        duration=_int(a.get("duration")),
        user_rating=_rating(a.get("userRating"), "userRating"),
        critic_rating=_float(a.get("rating")),
        audience_rating=_float(a.get("audienceRating")),
        last_rated_at=_int(a.get("lastRatedAt")),
        added_at=_int(a.get("addedAt")),
        view_count=_int(a.get("viewCount")) or 0,
        guids=guids,
        files=files,
        moods=tuple(m.get("tag", "") for m in el.iter("Mood") if m.get("tag")),
        plex_guid=a.get("guid", ""),
    )


def iter_listing(
    http: PlexHttp,
    section_id: int,
    type_id: int,
    *,
    page_size: int = PAGE_SIZE,
    params: dict[str, str | int] | None = None,
    on_page: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    bad: list[str] | None = None,
) -> Iterator[Item]:
    """Yield every item of one type in a section, page by page.

    A page that times out is asked again at half the size (big pages are
    what a slow server chokes on); the offset never skips an item. Items
    with a malformed key or rating are skipped and described in ``bad``.
    """
    query: dict[str, str | int] = {"type": type_id, "includeGuids": 1}
    if params:
        query.update(params)
    start, total = 0, None
    size = page_size
    while total is None or start < total:
        if cancel is not None and cancel.is_set():
            return
        try:
            root = http.get_xml(
                f"/library/sections/{section_id}/all", params=query, start=start, size=size
            )
        except PlexError as exc:
            if "did not answer in time" in str(exc) and size > MIN_PAGE_SIZE:
                size = max(MIN_PAGE_SIZE, size // 2)
                log.info("page timed out; asking again with %d items", size)
                continue
            raise
        counted = container_total(root)
        skipped: list[str] = []
        got = 0
        for it in items_of(root, skipped):
            got += 1
            yield it
        got += len(skipped)  # skipped, but they took their place on this page
        if bad is not None:
            bad.extend(skipped)
        # a missing or nonsense totalSize ("-7"): read on until a page comes back empty
        total = counted if counted is not None else start + got + (1 if got else 0)
        start += got
        if on_page is not None:
            on_page(min(start, total), total)
        if got == 0:
            break


@dataclass(frozen=True)
class SectionInfo:
    id: int
    title: str
    type: str
    #: The library's folders (``<Location path>``): file paths are kept relative to them.
    locations: tuple[str, ...] = ()


def list_sections(http: PlexHttp) -> list[SectionInfo]:
    """The server's libraries in one request (plexapi's ``library`` costs two)."""
    root = http.get_xml("/library/sections")
    return [
        SectionInfo(
            int(d.get("key", "0")),
            d.get("title", ""),
            d.get("type", ""),
            tuple(loc.get("path", "") for loc in d.iter("Location") if loc.get("path")),
        )
        for d in root.iter("Directory")
        if d.get("key", "").isdigit()
    ]


TYPE_NAMES = {"artist": "music", "movie": "movie", "show": "TV show"}


def section_titles(http: PlexHttp, section_type: str) -> list[str]:
    """Titles of the libraries of one type (``artist`` = music), for the tabs' pickers."""
    return [s.title for s in list_sections(http) if s.type == section_type]


def find_section(http: PlexHttp, library: str | int, server_name: str = "") -> SectionInfo:
    """The section by title or id; PlexError naming the choices otherwise."""
    sections = list_sections(http)
    for s in sections:
        if (isinstance(library, int) and s.id == library) or s.title == library:
            return s
    names = ", ".join(s.title for s in sections) or "none"
    where = f" on {server_name}" if server_name else ""
    raise PlexError(f"No library called {library!r}{where}. Libraries: {names}.")


def read_library(
    conn: Connection,
    library: str | int | SectionInfo,
    *,
    kinds: Sequence[str] | None = None,
    page_size: int = PAGE_SIZE,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    http: PlexHttp | None = None,
    require_type: str | None = None,
) -> Snapshot:
    """Read a whole library (or only ``kinds`` of it) into a :class:`Snapshot`.

    ``require_type`` (``artist``, ``movie``, ``show``) refuses a library of
    another type before a single page is read.
    """
    http = http or PlexHttp(conn, cancel=cancel)
    sent_before = http.sent
    sec = library if isinstance(library, SectionInfo) else find_section(http, library, conn.name)
    if require_type is not None and sec.type != require_type:
        kind = TYPE_NAMES.get(require_type, require_type)
        raise PlexError(f"{sec.title} is not a {kind} library.")
    wanted = tuple(kinds) if kinds else KINDS_BY_SECTION.get(sec.type, ())
    snap = Snapshot(conn.name, sec.title, sec.id, sec.type)
    for kind in wanted:
        phase = f"reading {kind}s"

        def on_page(done: int, total: int, phase: str = phase) -> None:
            if progress is not None:
                progress(done, total, phase)

        snap.add(
            iter_listing(
                http,
                sec.id,
                TYPE_IDS[kind],
                page_size=page_size,
                on_page=on_page,
                cancel=cancel,
                bad=snap.bad,
            )
        )
    if snap.bad:
        log.warning(
            "%d items with malformed data from the server skipped, e.g. %s",
            len(snap.bad),
            snap.bad[0],
        )
    snap.requests = http.sent - sent_before
    return snap


def read_items(
    conn: Connection,
    keys: Iterable[int | str],
    *,
    http: PlexHttp | None = None,
    chunk: int = KEYS_PER_REQUEST,
    cancel: threading.Event | None = None,
) -> dict[int, Item]:
    """Current state of many items by key, a few hundred keys per request.

    Keys the server no longer has are simply absent from the result.
    """
    http = http or PlexHttp(conn, cancel=cancel)
    wanted = sorted({int(k) for k in keys})
    out: dict[int, Item] = {}
    for i in range(0, len(wanted), chunk):
        part = wanted[i : i + chunk]
        try:
            root = http.get_xml("/library/metadata/" + ",".join(map(str, part)))
        except PlexError as exc:
            if getattr(exc, "status", None) == 404:
                continue
            raise
        for it in items_of(root):
            out[it.key] = it
    return out


def read_sections(
    conn: Connection,
    libraries: Sequence[str | int] | None = None,
    *,
    kinds: Sequence[str] | None = None,
    page_size: int = PAGE_SIZE,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    http: PlexHttp | None = None,
) -> list[tuple[SectionInfo, Snapshot]]:
    """Every music, movie and TV library (or the named ones), each in one paged bulk read.

    One request lists the libraries with their folders; each kind of each
    library is then a few big pages (a 50,000-track library is about 30
    requests). Photo and other libraries hold no ratings and are skipped.
    ``kinds`` limits what is read in every library.
    """
    http = http or PlexHttp(conn, cancel=cancel)
    sections = [s for s in list_sections(http) if s.type in KINDS_BY_SECTION]
    if libraries:
        chosen: list[SectionInfo] = []
        for name in libraries:
            hit = next((s for s in sections if s.title == name or s.id == name), None)
            if hit is None:
                names = ", ".join(s.title for s in sections) or "none"
                raise PlexError(
                    f"No music, movie or TV library called {name!r} on {conn.name}. "
                    f"Libraries: {names}."
                )
            if hit not in chosen:
                chosen.append(hit)
        sections = chosen
    out: list[tuple[SectionInfo, Snapshot]] = []
    for sec in sections:
        wanted = [k for k in KINDS_BY_SECTION[sec.type] if kinds is None or k in kinds]
        if not wanted:
            continue

        def report(done: int, total: int, phase: str, title: str = sec.title) -> None:
            if progress is not None:
                progress(done, total, f"{title}: {phase}")

        snap = read_library(
            conn,
            sec,
            kinds=wanted,
            page_size=page_size,
            progress=report,
            cancel=cancel,
            http=http,
        )
        out.append((sec, snap))
    return out


def mood_filter_value(http: PlexHttp, section_id: int, kind: str, tag: str) -> str | None:
    """The value Plex's ``mood=`` filter takes for ``tag`` (its id), None when nobody carries it.

    Plex lists a section's moods per type with their ids (``key``); matching
    the name or the id without regard to case is what plexapi does too.
    """
    root = http.get_xml(f"/library/sections/{section_id}/mood", params={"type": TYPE_IDS[kind]})
    want = tag.casefold()
    for el in root:
        key, title = el.get("key", ""), el.get("title", "")
        if want in (key.casefold(), title.casefold()):
            return key or title
    return None


def keys_with_mood(
    http: PlexHttp, section_id: int, kinds: Iterable[str], tag: str, page_size: int = PAGE_SIZE
) -> set[int]:
    """The keys of the items carrying the mood ``tag``: a mood-filtered key listing per kind."""
    have: set[int] = set()
    for kind in kinds:
        value = mood_filter_value(http, section_id, kind, tag)
        if value is None:
            continue  # no item of this kind carries the tag yet
        have.update(
            it.key
            for it in iter_listing(
                http, section_id, TYPE_IDS[kind], params={"mood": value}, page_size=page_size
            )
        )
    return have
