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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, XMLParser

from ratings_gui.core.guids import ids_from_guid
from ratings_gui.core.records import KINDS_BY_SECTION, TYPE_IDS, Item, Snapshot
from ratings_gui.plex.connection import Connection, LibraryInfo, PlexError
from ratings_gui.plex.http import PlexHttp, container_total

log = logging.getLogger(__name__)

PAGE_SIZE = 2000
MIN_PAGE_SIZE = 100
#: Keys per ``/library/metadata/k1,k2,...`` read: 500 keys of up to 7 digits keep the
#: URL near 4 KB, well under common 8 KB limits.
KEYS_PER_REQUEST = 500

ProgressFn = Callable[[int, int, str], None]


class BadItem(ValueError):
    """An item element whose key or rating the server sent malformed: skipped and counted."""


def _int(v: str | None) -> int | None:
    if not v:
        return None
    try:
        return int(v)  # the common case: plain digits
    except ValueError:
        pass
    try:
        num = float(v)
    except ValueError:
        return None
    return int(num) if math.isfinite(num) else None


def _float(v: str | None) -> float | None:
    if not v:
        return None
    try:
        num = float(v)
    except ValueError:
        return None
    return num if math.isfinite(num) else None


def _key(v: str | None) -> int | None:
    """A ratingKey: digits only ("123x" is malformed, not 123)."""
    if not v:
        return None
    if not v.strip().isdigit():
        raise BadItem(f"ratingKey {v!r} is not a number")
    return int(v)


def _rating(v: str | None, name: str) -> float | None:
    """A 0-10 rating; NaN, infinities and values outside 0-10 are malformed."""
    if not v:
        return None
    try:
        num = float(v)
    except ValueError:
        raise BadItem(f"{name} {v!r} is not a number") from None
    if not 0 <= num <= 10:  # NaN fails both comparisons, infinities one
        raise BadItem(f"{name} {v!r} is not a rating from 0 to 10")
    return num


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


def _guids(found: Iterable[str], guid: str) -> tuple[str, ...]:
    """Every id of an item: its ``<Guid>`` children, then what its ``guid`` attribute names."""
    out: dict[str, None] = dict.fromkeys(found)
    for gid in ids_from_guid(guid):
        out.setdefault(gid, None)
    return tuple(out)


def item_guids(el: Element) -> tuple[str, ...]:
    """Every id of an item: its ``<Guid>`` children, then what its ``guid`` attribute names."""
    found = (gid for g in el.iter("Guid") if (gid := (g.get("id") or "").strip()))
    return _guids(found, el.get("guid", ""))


#: Strings many items repeat (an album's title on each of its tracks) are kept once.
Strings = dict[str, str]


def _item(
    a: Mapping[str, str],
    guids: tuple[str, ...],
    files: tuple[str, ...],
    moods: tuple[str, ...],
    strings: Strings,
) -> Item | None:
    """An item's attributes -> :class:`Item` (None if not an item); BadItem when malformed."""
    key = _key(a.get("ratingKey"))
    kind = a.get("type")
    if key is None or not kind:
        return None
    get = a.get
    once = strings.setdefault
    # positional, in the record's field order: a frozen dataclass's keywords cost more
    return Item(
        key,
        once(kind, kind),
        get("title", ""),
        _int(get("parentRatingKey")),
        _int(get("grandparentRatingKey")),
        once(v, v) if (v := get("parentTitle", "")) else "",
        once(v, v) if (v := get("grandparentTitle", "")) else "",
        once(v, v) if (v := get("originalTitle", "")) else "",
        _int(get("year")),
        _int(get("index")),
        _int(get("parentIndex")),
        _int(get("duration")),
        _rating(get("userRating"), "userRating"),
        _float(get("rating")),
        _float(get("audienceRating")),
        _int(get("lastRatedAt")),
        _int(get("addedAt")),
        _int(get("viewCount")) or 0,
        guids,
        files,
        moods,
        get("guid", ""),
    )


def item_from_xml(el: Element) -> Item | None:
    """One ``<Track>``/``<Directory>``/``<Video>`` element -> :class:`Item` (None if not an item).

    Raises BadItem for a malformed ratingKey or rating, so the caller can count it.
    """
    a = el.attrib
    files = tuple(f for p in el.iter("Part") if (f := p.get("file", "")))
    moods = tuple(t for m in el.iter("Mood") if (t := m.get("tag", "")))
    return _item(a, item_guids(el), files, moods, {})


class ListingParser:
    """An XML parser target that turns a listing into Items as it parses: no tree is built.

    ``feed`` the answer's bytes (in one piece or as they arrive), then
    ``close``: ``items`` holds the page's items in order, ``container`` the
    MediaContainer's attributes (its totalSize), ``skipped`` how many
    malformed items were left out (described in ``bad``). A page costs
    about what building its element tree would, and its memory is the
    Items alone.
    """

    def __init__(self, bad: list[str] | None = None, strings: Strings | None = None) -> None:
        self.items: list[Item] = []
        self.container: dict[str, str] = {}
        self.bad = bad
        self.skipped = 0
        self.strings: Strings = strings if strings is not None else {}
        self._depth = 0
        self._cur: dict[str, str] | None = None
        self._tag = ""
        self._guids: list[str] = []
        self._files: list[str] = []
        self._moods: list[str] = []
        self._parser = XMLParser(target=self)

    # -- the parser's callbacks --
    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self._depth += 1
        depth = self._depth
        if depth == 2:
            self._cur, self._tag = attrib, tag
            self._guids, self._files, self._moods = [], [], []
        elif depth == 1:
            self.container = attrib
        elif self._cur is not None:
            if tag == "Part":
                if f := attrib.get("file"):
                    self._files.append(f)
            elif tag == "Guid" and (gid := (attrib.get("id") or "").strip()):
                self._guids.append(gid)
            elif tag == "Mood" and (t := attrib.get("tag")):
                self._moods.append(t)

    def end(self, tag: str) -> None:
        if self._depth == 2 and self._cur is not None:
            a = self._cur
            self._cur = None
            try:
                it = _item(
                    a,
                    _guids(self._guids, a.get("guid", "")),
                    tuple(self._files),
                    tuple(self._moods),
                    self.strings,
                )
            except BadItem as exc:
                self.skipped += 1
                if self.bad is not None:
                    self.bad.append(f"{a.get('title') or self._tag}: {exc}")
            else:
                if it is not None:
                    self.items.append(it)
        self._depth -= 1

    def data(self, text: str) -> None:
        pass

    def close(self) -> ListingParser:
        return self

    # -- what the caller uses --
    def feed(self, data: bytes) -> None:
        self._parser.feed(data)

    def finish(self) -> ListingParser:
        try:
            self._parser.close()
        finally:
            self.release()
        return self

    def release(self) -> None:
        """Drop the expat parser: it and this target point at each other, and that cycle kept
        each page's parser buffers (about 3.5 MB a page) alive until a cyclic collection,
        which the jobs hold off while they read (500,000 tracks: 1.2 GB instead of 0.7)."""
        self._parser = None  # type: ignore[assignment]


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
    strings: Strings = {}  # one copy of the titles the pages repeat
    while total is None or start < total:
        if cancel is not None and cancel.is_set():
            return
        try:
            page = read_page(
                http, f"/library/sections/{section_id}/all", query, start, size, bad, strings
            )
        except PlexError as exc:
            if "did not answer in time" in str(exc) and size > MIN_PAGE_SIZE:
                size = max(MIN_PAGE_SIZE, size // 2)
                log.info("page timed out; asking again with %d items", size)
                continue
            raise
        counted = container_total(page.container)
        got = len(page.items) + page.skipped  # skipped, but they took their place on this page
        yield from page.items
        page.items = []
        # a missing or nonsense totalSize ("-7"): read on until a page comes back empty
        total = counted if counted is not None else start + got + (1 if got else 0)
        start += got
        if on_page is not None:
            on_page(min(start, total), total)
        if got == 0:
            break


def read_page(
    http: PlexHttp,
    path: str,
    params: Mapping[str, str | int],
    start: int,
    size: int,
    bad: list[str] | None = None,
    strings: Strings | None = None,
) -> ListingParser:
    """One page of a listing, parsed straight into Items (no element tree)."""
    headers = {"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": str(size)}
    resp = http.request("GET", path, params=params, headers=headers)
    page = ListingParser(bad, strings)
    try:
        page.feed(resp.content)
        return page.finish()
    except ParseError as exc:
        page.release()
        raise PlexError(f"The Plex server sent an unreadable answer to {path}: {exc}") from None


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
    places: dict[int, int] | None = None,
) -> dict[int, Item]:
    """Current state of many items by key, a few hundred keys per request.

    Keys the server no longer has are simply absent from the result.
    ``places`` (when given) receives each item's library section id
    (``librarySectionID``): what a grouped edit needs besides the type.
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
        if places is not None:
            section = _int(root.get("librarySectionID"))
            for el in root:
                key = el.get("ratingKey") or ""
                sid = _int(el.get("librarySectionID")) or section
                if key.isdigit() and sid is not None:
                    places[int(key)] = sid
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


def floor_read(
    url: str, token: str, section_id: int, type_id: int, page_size: int = PAGE_SIZE
) -> tuple[int, int]:
    """The floor a read is measured against: the same pages over bare urllib, parsed by
    ``ElementTree.fromstring``, nothing kept. Returns (pages, bytes). Benchmarks only.
    """
    import urllib.request
    from xml.etree import ElementTree

    pages = size = start = 0
    while True:
        req = urllib.request.Request(
            f"{url}/library/sections/{section_id}/all?type={type_id}&includeGuids=1",
            headers={
                "X-Plex-Token": token,
                "X-Plex-Container-Start": str(start),
                "X-Plex-Container-Size": str(page_size),
            },
        )
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - a benchmark's own server
            data = resp.read()
        root = ElementTree.fromstring(data)
        pages += 1
        size += len(data)
        got = len(root)
        start += got
        total = container_total(root) or 0
        if not got or start >= total:
            return pages, size


def list_libraries(conn: Connection) -> list[LibraryInfo]:
    """Every library with its type and main item count (one size-0 query each)."""
    http = PlexHttp(conn)
    out: list[LibraryInfo] = []

    def label(n: int | None, what: str) -> str:
        return f"{n:,} {what}" if n is not None else f"? {what} (the server gave no count)"

    for sec in list_sections(http):
        sid = sec.id
        if sec.type == "artist":
            n = http.total(sid, TYPE_IDS["track"])
            text = label(n, "tracks")
        elif sec.type == "movie":
            n = http.total(sid, TYPE_IDS["movie"])
            text = label(n, "movies")
        elif sec.type == "show":
            n = http.total(sid, TYPE_IDS["show"])
            eps = http.total(sid, TYPE_IDS["episode"])
            text = f"{label(n, 'shows')}, {label(eps, 'episodes')}"
        else:
            n = http.total(sid, None)
            text = label(n, "items")
        out.append(LibraryInfo(sec.title, sec.type, n or 0, sid, text))
    return out
