"""Grouped multi-edit writes: one request per value (or mood tag) and chunk of ids.

``PUT /library/sections/{id}/all?type=10&id=a,b,c&userRating.value=v`` sets
the same rating on many tracks at once (the edit-dialog path plexapi's
``multiEdit`` uses). Without ``id=`` Plex edits EVERY item of that type in
the section, so an empty id list is refused here before anything is sent.

Every job that writes Plex ratings writes through :class:`BulkRatingWriter`.
A grouped edit needs each item's type and library: the jobs pass what their
read knows, and the writer learns the rest from the read it makes before
each chunk anyway (the check that nobody rated the items since the plan).

Where the server refuses grouped edits (HTTP 403: a Plex Home member's
token may rate but not edit metadata) the writer says so once and writes
item by item through ``/:/rate`` for the rest of the run; a group that
fails otherwise is written item by item too.

Clears (a change to "unrated") are grouped too, sent as
``userRating.value=-1``: the value ``/:/rate`` clears with. Plex does not
document how the edit path clears a rating, so the writer probes: the first
grouped clear of a run is read back at once (one request). When every item
reads back unrated, the later grouped clears are trusted (the end-of-run
check re-reads every written item as for sets). When not (a value left, 0,
or anything but unrated), the writer says so once (:data:`NO_GROUPED_CLEAR`),
writes that group's items item by item and every later clear too.

The journaling, cancel and the stop on 401 are
:func:`~ratings_gui.journal.writeloop.write_journaled`'s, as for every writer.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ratings_gui.core.plan import PLEX, Change
from ratings_gui.core.records import TYPE_IDS
from ratings_gui.core.scale import format_both, normalize
from ratings_gui.journal import APPLIED, FAILED, Journal
from ratings_gui.journal.writeloop import (
    CANCELLED,
    NOT_SENT,
    Failure,
    InOrder,
    JournaledWriter,
    Key,
    LogFn,
    ProgressFn,
    WriteResult,
    write_journaled,
)
from ratings_gui.plex.connection import Connection, PlexError
from ratings_gui.plex.http import HttpStatusError, PlexHttp
from ratings_gui.plex.writer import (
    MOOD,
    RatingWriter,
    plex_failure,
    read_current,
    screen_ratings,
)

log = logging.getLogger(__name__)

#: Ids per multi-edit request: keeps the URL well under common 8 KB limits.
IDS_PER_REQUEST = 250
#: Changes journaled and screened (one read) per chunk: one grouped edit of one value.
GROUPED_CHUNK = 250
#: Kinds in the order their grouped edits are sent.
KIND_ORDER = ("artist", "album", "track", "show", "season", "episode", "movie")
#: What the log says once when the server refuses grouped edits.
REFUSED = (
    "this server does not accept grouped edits from this account (403): "
    "writing the ratings one by one instead"
)
#: What the log says once when a grouped clear left ratings in place (the probe).
NO_GROUPED_CLEAR = (
    "this server did not clear ratings through a grouped edit: clearing them one by one instead"
)
#: The value a grouped edit clears with (``/:/rate``'s; unverified on the edit path: probed).
CLEAR_VALUE = "-1"


class EmptyIdList(PlexError):
    """A multi-edit with no ids would edit every item of the section."""


class PartlyWritten(PlexError):
    """Item-by-item writes of a unit of which only some reached the server.

    ``written`` are the change keys that did: the writer marks them applied
    after the loop, so the journal never calls a written value failed.
    """

    def __init__(self, written: Sequence[Key], total: int, cause: Exception) -> None:
        super().__init__(
            f"{len(written)} of {total} written one by one; the rest: {cause}"
            if written
            else str(cause)
        )
        self.written = tuple(written)
        self.cause = cause


def multi_edit_params(kind: str, ids: Sequence[int | str], value: float | None) -> dict[str, str]:
    """The query of one grouped rating edit (None: clear); raises on an empty id list."""
    id_text = ",".join(str(int(k)) for k in ids)
    if not ids or not id_text:
        raise EmptyIdList("refusing a multi-edit without ids: Plex would edit every item")
    rating = normalize(value)
    return {
        "type": str(TYPE_IDS[kind]),
        "id": id_text,
        "userRating.value": CLEAR_VALUE if rating is None else f"{rating:g}",
        "userRating.locked": "1",
    }


def _kind_rank(kind: str | None) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


class BulkRatingWriter(JournaledWriter):
    """Write ``userRating`` changes with grouped multi-edits; item by item where refused.

    ``kinds`` maps ratingKey -> item type and ``sections`` ratingKey ->
    section id where the job knows them; else ``kind`` and ``section_id``
    (None: learned from the read before each chunk). With ``verify=False``
    the job checks the writes itself (a read of the written keys).
    """

    phase = "writing (grouped)"
    workers = 3  # refused groups go item by item; grouped edits one at a time
    chunk = GROUPED_CHUNK

    def __init__(
        self,
        conn: Connection,
        section_id: int | None = None,
        *,
        kind: str | None = "track",
        kinds: Mapping[int, str] | None = None,
        sections: Mapping[int, int] | None = None,
        chunk: int = IDS_PER_REQUEST,
        retries: int = 6,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
        verify: bool = True,
    ) -> None:
        self.conn = conn
        self.section_id = int(section_id) if section_id is not None else None
        self.kind = kind
        self.kinds = dict(kinds or {})
        self.sections = dict(sections or {})
        self.group_size = max(1, chunk)
        self.cancel = cancel or threading.Event()
        self.http = PlexHttp(conn, retries=retries, timeout=timeout, cancel=self.cancel)
        # The per-item path for clears, refused groups and rewrites after verification.
        self.single = RatingWriter(conn, cancel=self.cancel, verify=verify, http=self.http)
        self._one_group = threading.Lock()
        self._learned: dict[int, tuple[int, str]] = {}
        self._guard = threading.Lock()
        self._partly: set[Key] = set()
        #: The server answered 403 to a grouped edit: the rest of the run goes item by item.
        self.refused = False
        #: Grouped clears: None until the first one is read back (the probe), then whether
        #: the server cleared every item of it (False: the rest of the run's clears go
        #: item by item).
        self.clears_grouped: bool | None = None
        self._probe = threading.Lock()
        self._log_line: LogFn | None = None

    def accepts(self, change: Change) -> bool:
        return change.target_kind == PLEX and change.field == "userRating"

    def place_of(self, change: Change) -> tuple[int | None, str | None]:
        """(section id, item type) of a change's item; None where not known (yet)."""
        key = int(change.target)
        learned = self._learned.get(key)
        section = self.sections.get(key, self.section_id)
        kind = self.kinds.get(key, self.kind)
        if learned is not None:
            section = section if key in self.sections else learned[0]
            kind = kind if key in self.kinds else learned[1]
        return section, kind

    def kind_of(self, change: Change) -> str:
        return self.place_of(change)[1] or "track"

    def section_of(self, change: Change) -> int | None:
        return self.place_of(change)[0]

    def units(self, changes: Sequence[Change]) -> list[list[Change]]:
        """Grouped by (section, kind, value) in chunks of ids: the sets, then the clears."""
        for ch in changes:
            if not self.accepts(ch):
                raise PlexError(f"{ch.label or ch.target}: only Plex ratings can be grouped")
        if self.refused:
            return [[c] for c in changes if normalize(c.new) is not None] + [
                [c] for c in changes if normalize(c.new) is None
            ]
        groups: dict[tuple[int, str, float | None], list[Change]] = defaultdict(list)
        for ch in changes:
            section, kind = self.place_of(ch)
            groups[(section if section is not None else -1, kind or "", normalize(ch.new))].append(
                ch
            )

        def order(key: tuple[int, str, float | None]) -> tuple[bool, int, int, float]:
            section, kind, value = key
            return (value is None, section, _kind_rank(kind), value or 0.0)

        out: list[list[Change]] = []
        for key in sorted(groups, key=order):
            group = groups[key]
            out.extend(
                group[i : i + self.group_size] for i in range(0, len(group), self.group_size)
            )
        return out

    def send_group(
        self,
        ids: Sequence[int | str],
        value: float | None,
        kind: str | None = None,
        section_id: int | None = None,
    ) -> None:
        """One multi-edit request (None: clear; guarded against an empty id list)."""
        params = multi_edit_params(kind or self.kind or "track", ids, value)
        section = self.section_id if section_id is None else section_id
        if section is None:
            raise PlexError("a grouped edit needs the items' library")
        with self._one_group:  # Plex's database is single-writer: one grouped edit at a time
            if self.refused:
                raise HttpStatusError(403, REFUSED)
            try:
                self.http.request("PUT", f"/library/sections/{section}/all", params=params)
            except HttpStatusError as exc:
                if exc.status == 403 and not self.refused:
                    self.refused = True
                    log.info(REFUSED)
                    if self._log_line is not None:
                        self._log_line(REFUSED)
                raise

    def send(self, unit: list[Change]) -> None:
        value = normalize(unit[0].new)
        if self.refused or value is None and self.clears_grouped is False:
            self.send_one_by_one(unit)
            return
        parts: dict[tuple[int | None, str | None], list[Change]] = defaultdict(list)
        for c in unit:
            parts[self.place_of(c)].append(c)
        written: list[Key] = []
        for (section, kind), part in parts.items():
            if section is None or kind is None or self.refused:
                # an item the read before the chunk did not find: /:/rate says why
                written.extend(self._one_by_one(part, written, len(unit)))
                continue
            try:
                left = self._send_grouped(part, value, kind, section)
            except HttpStatusError as exc:
                if exc.status == 401:
                    self._raise_partly(written, len(unit), exc)
                # refused (403) or a group the server would not take: item by item
                written.extend(self._one_by_one(part, written, len(unit)))
                continue
            except PlexError as exc:  # unreachable after its retries: the loop decides
                self._raise_partly(written, len(unit), exc)
            not_done = {c.key for c in left}
            written.extend(c.key for c in part if c.key not in not_done)
            if left:  # a grouped clear that did not clear them: item by item
                written.extend(self._one_by_one(left, written, len(unit)))

    def _send_grouped(
        self, part: list[Change], value: float | None, kind: str, section: int
    ) -> list[Change]:
        """One grouped edit; returns what it did not write (only a clear the probe caught)."""
        ids = [c.target for c in part]
        if value is not None:
            self.send_group(ids, value, kind, section)
            return []
        with self._probe:  # the first grouped clear is read back before any other is sent
            if self.clears_grouped is False:
                return list(part)
            self.send_group(ids, None, kind, section)
            if self.clears_grouped:
                return []
            try:
                now = read_current(self.conn, part, self.http)
            except PlexError:  # not known yet: the next grouped clear probes; the end checks these
                return []
            # a value left (the old one, 0, or none readable): not cleared, never "changed"
            left = [c for c in part if c.key not in now or now[c.key] is not None]
            self.clears_grouped = not left
            if left:
                log.info(NO_GROUPED_CLEAR)
                if self._log_line is not None:
                    self._log_line(NO_GROUPED_CLEAR)
            return left

    def send_one_by_one(self, unit: list[Change]) -> None:
        """Write a unit through ``/:/rate``, one request per item."""
        self._one_by_one(unit, [], len(unit))

    def _one_by_one(self, part: list[Change], before: list[Key], total: int) -> list[Key]:
        """Write ``part`` item by item; on a failure, PartlyWritten names what did reach Plex."""
        done: list[Key] = []
        for c in part:
            if self.cancel.is_set():
                self._raise_partly(before + done, total, PlexError(CANCELLED))
            try:
                self.single.write_one(c)
            except PlexError as exc:
                self._raise_partly(before + done, total, exc)
            done.append(c.key)
        return done

    def _raise_partly(self, written: Sequence[Key], total: int, cause: PlexError) -> None:
        """Raise ``cause``; what was already written is remembered as written (PartlyWritten)."""
        if not written:
            raise cause
        with self._guard:
            self._partly.update(written)
        raise PartlyWritten(written, total, cause) from cause

    def failure(self, exc: Exception) -> Failure | None:
        cause = exc.cause if isinstance(exc, PartlyWritten) else exc
        if isinstance(cause, PlexError) and str(cause) == CANCELLED:
            return Failure(CANCELLED)
        f = plex_failure(cause)
        if f is None or cause is exc:
            return f
        return Failure(str(exc), f.reason, f.stop)

    def failure_line(self, unit: list[Change], message: str) -> str:
        value = normalize(unit[0].new)
        if len(unit) == 1:
            return super().failure_line(unit, message)
        if value is None:
            return f"failed: clearing {len(unit)} ratings: {message}"
        return f"failed: {len(unit)} ratings of {format_both(value)}: {message}"

    def requests(self) -> int:
        return self.http.sent

    def read_current(self, changes: Sequence[Change]) -> Mapping[Key, Any] | None:
        return self.single.read_current(changes)

    def screen(self, changes: Sequence[Change], since: float | None) -> dict[Key, str]:
        """The check before each chunk; its read also tells each item's library and type."""
        learned: dict[int, tuple[int, str]] = {}
        out = screen_ratings(self.conn, changes, since, self.http, learned)
        with self._guard:
            self._learned.update(learned)
        return out

    def verify(
        self, applied: Sequence[Change], progress: ProgressFn | None, log_line: LogFn | None
    ) -> list[tuple[Change, str]]:
        # the per-item writer's check: bulk re-read, rewrite one by one what did not stick
        return self.single.verify(applied, None, log_line)

    def apply(self, changes: Sequence[Change], **kw: Any) -> WriteResult:
        """The one loop; then what a failed unit did write item by item counts as written."""
        self._log_line = kw.get("log_line")
        with self._guard:
            self._partly.clear()
        self.clears_grouped = None  # each run probes again (the token or server may differ)
        result = write_journaled(self, changes, **kw)
        with self._guard:
            partly = set(self._partly)
        if partly:
            settle_partly(result, partly, kw.get("journal"), kw.get("run_id"))
        return result


def settle_partly(
    result: WriteResult, written: set[Key], journal: Journal | None, run_id: int | None
) -> None:
    """Changes of failed units that reached Plex one by one: applied, in the result and journal."""
    moved = [c for c, _ in result.failed if c.key in written]
    if not moved:
        return
    keys = {c.key for c in moved}
    result.failed = [(c, e) for c, e in result.failed if c.key not in keys]
    result.applied.extend(moved)
    if journal is not None and run_id is not None:
        rows = journal.changes(run_id, statuses=[FAILED])
        journal.mark([r.id for r in rows if r.change.key in keys], APPLIED)


def grouped_writer(
    conn: Connection,
    cancel: threading.Event | None = None,
    *,
    section_id: int | None = None,
    kind: str | None = None,
    kinds: Mapping[int, str] | None = None,
    sections: Mapping[int, int] | None = None,
    verify: bool = True,
) -> InOrder:
    """Every Plex write of a job: ratings grouped, watched marks item by item (``/:/scrobble``).

    What the job does not know of each item's library and type, the writer
    learns from the read before each chunk.
    """
    return InOrder(
        BulkRatingWriter(
            conn,
            section_id,
            kind=kind,
            kinds=kinds,
            sections=sections,
            cancel=cancel,
            verify=verify,
        ),
        RatingWriter(conn, cancel=cancel),
    )


# --- mood tags ---------------------------------------------------------------------------------


def mood_edit_params(kind: str, ids: Sequence[int | str], tag: str, *, add: bool) -> dict[str, str]:
    """The query of one grouped mood edit; raises on an empty id list (the hard guard).

    Adding sends ``mood[0].tag.tag=T`` (Plex adds it to the item's moods),
    removing ``mood[].tag.tag-=T``; other moods stay.
    """
    id_text = ",".join(str(int(k)) for k in ids)
    if not ids or not id_text:
        raise EmptyIdList("refusing a multi-edit without ids: Plex would edit every item")
    name = "mood[0].tag.tag" if add else "mood[].tag.tag-"
    return {"type": str(TYPE_IDS[kind]), "id": id_text, name: tag}


def mood_change_tag(ch: Change) -> tuple[str, bool]:
    """(tag, add?) of a mood change: ``new`` is the tag when it is added, ``old`` when removed."""
    if ch.new:
        return str(ch.new), True
    if ch.old:
        return str(ch.old), False
    raise ValueError(f"{ch.label or ch.target}: a mood change without a tag")


class MoodWriter(JournaledWriter):
    """Add or remove one mood tag on many items with grouped multi-edits, journaled per chunk.

    ``kinds`` maps ratingKey -> artist/album/track: a multi-edit needs the
    item type. There is no cheap per-item check, so the journal records
    what Plex accepted (2xx) without a re-read.
    """

    phase = "writing mood tags"

    def __init__(
        self,
        conn: Connection,
        section_id: int,
        kinds: dict[int, str],
        *,
        chunk: int = IDS_PER_REQUEST,
        retries: int = 6,
        cancel: threading.Event | None = None,
    ) -> None:
        self.section_id = int(section_id)
        self.kinds = kinds
        self.group_size = max(1, chunk)
        self.cancel = cancel or threading.Event()
        self.http = PlexHttp(conn, retries=retries, cancel=self.cancel)

    def accepts(self, change: Change) -> bool:
        return change.target_kind == PLEX and change.field == MOOD

    def units(self, changes: Sequence[Change]) -> list[list[Change]]:
        groups: dict[tuple[str, str, bool], list[Change]] = defaultdict(list)
        for ch in changes:
            if not self.accepts(ch):
                raise PlexError(f"{ch.label or ch.target}: not a mood change")
            tag, add = mood_change_tag(ch)
            groups[(self.kinds.get(int(ch.target), "track"), tag, add)].append(ch)
        return [
            group[i : i + self.group_size]
            for group in groups.values()
            for i in range(0, len(group), self.group_size)
        ]

    def send(self, unit: list[Change]) -> None:
        tag, add = mood_change_tag(unit[0])
        kind = self.kinds.get(int(unit[0].target), "track")
        params = mood_edit_params(kind, [c.target for c in unit], tag, add=add)
        self.http.request("PUT", f"/library/sections/{self.section_id}/all", params=params)

    def failure(self, exc: Exception) -> Failure | None:
        return plex_failure(exc)

    def failure_line(self, unit: list[Change], message: str) -> str:
        tag, add = mood_change_tag(unit[0])
        verb = "adding" if add else "removing"
        return f"failed: {verb} mood {tag!r} on {len(unit)} items: {message}"

    def requests(self) -> int:
        return self.http.sent


def mood_waits_for_rating(change: Change, so_far: WriteResult) -> str | None:
    """A mood added to an item whose rating failed would mark a value that is not there."""
    if change.field != MOOD or not change.new:
        return None
    if any(c.target == change.target and c.field != MOOD for c, _ in so_far.failed):
        return f"{NOT_SENT}: the rating was not written"
    return None
