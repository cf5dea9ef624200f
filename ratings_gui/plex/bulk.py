"""Grouped multi-edit writes: one request per value (or mood tag) and chunk of ids.

``PUT /library/sections/{id}/all?type=10&id=a,b,c&userRating.value=v`` sets
the same rating on many tracks at once (the edit-dialog path plexapi's
``multiEdit`` uses). Without ``id=`` Plex edits EVERY item of that type in
the section, so an empty id list is refused here before anything is sent.

Clearing a rating through this path is not documented, so changes to
"unrated" are sent item by item through ``/:/rate``. The journaling, cancel
and the stop on 401 are :func:`~ratings_gui.writeloop.write_journaled`'s,
as for every writer; what did not stick is written once more item by item.
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
from ratings_gui.plex.connection import Connection, PlexError
from ratings_gui.plex.http import PlexHttp
from ratings_gui.plex.writer import MOOD, RatingWriter, plex_failure, screen_ratings
from ratings_gui.writeloop import (
    NOT_SENT,
    Failure,
    JournaledWriter,
    Key,
    LogFn,
    ProgressFn,
    WriteResult,
)

log = logging.getLogger(__name__)

#: Ids per multi-edit request: keeps the URL well under common 8 KB limits.
IDS_PER_REQUEST = 200
#: Kinds in the order their grouped edits are sent.
KIND_ORDER = ("artist", "album", "track")


class EmptyIdList(PlexError):
    """A multi-edit with no ids would edit every item of the section."""


def multi_edit_params(kind: str, ids: Sequence[int | str], value: float) -> dict[str, str]:
    """The query of one grouped rating edit; raises on an empty id list (the hard guard)."""
    id_text = ",".join(str(int(k)) for k in ids)
    if not ids or not id_text:
        raise EmptyIdList("refusing a multi-edit without ids: Plex would edit every item")
    return {
        "type": str(TYPE_IDS[kind]),
        "id": id_text,
        "userRating.value": f"{normalize(value):g}",
        "userRating.locked": "1",
    }


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


class BulkRatingWriter(JournaledWriter):
    """Write ``userRating`` changes to one section with grouped multi-edits.

    ``kinds`` maps ratingKey -> artist/album/track when the plan holds more
    than one kind (a multi-edit needs the item type); else every item is
    ``kind``. ``sections`` maps ratingKey -> section id when the plan spans
    libraries (a restore); else every item is in ``section_id``. With
    ``verify=False`` the job checks the writes itself (one listing re-read
    instead of a read per 200 items).
    """

    phase = "writing (grouped)"
    workers = 3  # clears go item by item; grouped edits still go one at a time

    def __init__(
        self,
        conn: Connection,
        section_id: int,
        *,
        kind: str = "track",
        kinds: Mapping[int, str] | None = None,
        sections: Mapping[int, int] | None = None,
        chunk: int = IDS_PER_REQUEST,
        retries: int = 6,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
        verify: bool = True,
    ) -> None:
        self.conn = conn
        self.section_id = int(section_id)
        self.kind = kind
        self.kinds = dict(kinds or {})
        self.sections = dict(sections or {})
        self.group_size = max(1, chunk)
        self.cancel = cancel or threading.Event()
        self.http = PlexHttp(conn, retries=retries, timeout=timeout, cancel=self.cancel)
        # The per-item path for clears and for rewrites after verification.
        self.single = RatingWriter(conn, cancel=self.cancel, verify=verify, http=self.http)
        self._one_group = threading.Lock()

    def accepts(self, change: Change) -> bool:
        return change.target_kind == PLEX and change.field == "userRating"

    def kind_of(self, change: Change) -> str:
        return self.kinds.get(int(change.target), self.kind)

    def section_of(self, change: Change) -> int:
        return self.sections.get(int(change.target), self.section_id)

    def units(self, changes: Sequence[Change]) -> list[list[Change]]:
        """Sets grouped by (section, kind, value) in chunks of ids, then the clears one by one."""
        for ch in changes:
            if not self.accepts(ch):
                raise PlexError(f"{ch.label or ch.target}: only Plex ratings can be grouped")
        sets = [c for c in changes if normalize(c.new) is not None]
        groups: dict[tuple[int, str, float], list[Change]] = defaultdict(list)
        for ch in sets:
            value = float(normalize(ch.new))  # type: ignore[arg-type]
            groups[(self.section_of(ch), self.kind_of(ch), value)].append(ch)
        out: list[list[Change]] = []
        for _key, group in sorted(
            groups.items(), key=lambda kv: (kv[0][0], _kind_rank(kv[0][1]), kv[0][2])
        ):
            out.extend(
                group[i : i + self.group_size] for i in range(0, len(group), self.group_size)
            )
        out.extend([c] for c in changes if normalize(c.new) is None)
        return out

    def send_group(
        self,
        ids: Sequence[int | str],
        value: float,
        kind: str | None = None,
        section_id: int | None = None,
    ) -> None:
        """One multi-edit request (guarded against an empty id list)."""
        params = multi_edit_params(kind or self.kind, ids, value)
        section = self.section_id if section_id is None else section_id
        with self._one_group:  # Plex's database is single-writer: one grouped edit at a time
            self.http.request("PUT", f"/library/sections/{section}/all", params=params)

    def send(self, unit: list[Change]) -> None:
        value = normalize(unit[0].new)
        if value is None:
            self.single.write_one(unit[0])
        else:
            first = unit[0]
            self.send_group(
                [c.target for c in unit], value, self.kind_of(first), self.section_of(first)
            )

    def failure(self, exc: Exception) -> Failure | None:
        return plex_failure(exc)

    def failure_line(self, unit: list[Change], message: str) -> str:
        value = normalize(unit[0].new)
        if value is None:
            return super().failure_line(unit, message)
        return f"failed: {len(unit)} ratings of {format_both(value)}: {message}"

    def requests(self) -> int:
        return self.http.sent

    def read_current(self, changes: Sequence[Change]) -> Mapping[Key, Any] | None:
        return self.single.read_current(changes)

    def screen(self, changes: Sequence[Change], since: float | None) -> dict[Key, str]:
        return screen_ratings(self.conn, changes, since, self.http)

    def verify(
        self, applied: Sequence[Change], progress: ProgressFn | None, log_line: LogFn | None
    ) -> list[tuple[Change, str]]:
        # the per-item writer's check: bulk re-read, rewrite one by one what did not stick
        return self.single.verify(applied, None, log_line)


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
