"""Grouped multi-edit rating writes: one request per value and chunk of ids.

``PUT /library/sections/{id}/all?type=10&id=a,b,c&userRating.value=v`` sets
the same rating on many tracks at once (the edit-dialog path plexapi's
``multiEdit`` uses). Without ``id=`` Plex edits EVERY item of that type in
the section, so an empty id list is refused here before anything is sent.

Clearing a rating through this path is not documented, so changes to
"unrated" go through the per-item ``/:/rate`` writer instead. Journaling
follows :class:`~ratings_gui.plex.writer.RatingWriter`: pending before the
request, marked after, then a bulk re-read; what did not stick is written
once more item by item.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence

from ratings_gui.core.plan import PLEX, Change
from ratings_gui.core.records import TYPE_IDS
from ratings_gui.core.scale import format_both, normalize
from ratings_gui.journal import APPLIED, FAILED, Journal
from ratings_gui.plex.connection import Connection, PlexError
from ratings_gui.plex.http import HttpStatusError, PlexHttp
from ratings_gui.plex.writer import RatingWriter, WriteResult

log = logging.getLogger(__name__)

#: Ids per multi-edit request: keeps the URL well under common 8 KB limits.
IDS_PER_REQUEST = 200

ProgressFn = Callable[[int, int, str], None]
LogFn = Callable[[str], None]


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


def group_by_value(changes: Sequence[Change]) -> dict[float, list[Change]]:
    """Rating changes keyed by their (one-decimal) new value, plan order kept."""
    groups: dict[float, list[Change]] = defaultdict(list)
    for ch in changes:
        v = normalize(ch.new)
        if v is None:
            raise ValueError("clearing a rating is not a grouped edit")
        groups[v].append(ch)
    return dict(groups)


class BulkRatingWriter:
    """Write ``userRating`` changes to one section with grouped multi-edits."""

    def __init__(
        self,
        conn: Connection,
        section_id: int,
        *,
        kind: str = "track",
        chunk: int = IDS_PER_REQUEST,
        retries: int = 6,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
        verify: bool = True,
    ) -> None:
        self.conn = conn
        self.section_id = int(section_id)
        self.kind = kind
        self.chunk = max(1, chunk)
        self.cancel = cancel or threading.Event()
        self.http = PlexHttp(conn, retries=retries, timeout=timeout, cancel=self.cancel)
        self.verify = verify
        # The per-item path for clears and for rewrites after verification.
        self.single = RatingWriter(
            conn, workers=3, retries=retries, timeout=timeout, cancel=self.cancel, verify=verify
        )
        self.single.http = self.http

    def send_group(self, ids: Sequence[int | str], value: float) -> None:
        """One multi-edit request (guarded against an empty id list)."""
        params = multi_edit_params(self.kind, ids, value)
        self.http.request("PUT", f"/library/sections/{self.section_id}/all", params=params)

    def apply(
        self,
        changes: Sequence[Change],
        *,
        journal: Journal | None = None,
        run_id: int | None = None,
        progress: ProgressFn | None = None,
        log_line: LogFn | None = None,
    ) -> WriteResult:
        """Send every change; journal before and after; verify; rewrite what did not stick."""
        for ch in changes:
            if ch.target_kind != PLEX or ch.field != "userRating":
                raise PlexError(f"{ch.label or ch.target}: only Plex ratings can be grouped")
        sent_before = self.http.sent
        clears = [c for c in changes if normalize(c.new) is None]
        sets = [c for c in changes if normalize(c.new) is not None]
        applied: list[Change] = []
        failed: dict[tuple[str, str, str], tuple[Change, str]] = {}
        ids: dict[tuple[str, str, str], int] = {}
        total, done = len(changes), 0
        cancelled = False
        fatal = ""

        for value, group in sorted(group_by_value(sets).items()):
            for i in range(0, len(group), self.chunk):
                part = group[i : i + self.chunk]
                if fatal or self.cancel.is_set():
                    reason = f"not sent: {fatal}" if fatal else "cancelled"
                    cancelled = cancelled or not fatal
                    for ch in part:
                        failed[ch.key] = (ch, reason)
                    continue
                if journal is not None and run_id is not None:
                    for ch, cid in zip(part, journal.record_pending(run_id, part), strict=True):
                        ids[ch.key] = cid
                error: str | None = None
                try:
                    self.send_group([c.target for c in part], value)
                except HttpStatusError as exc:
                    error = str(exc)
                    if exc.status == 401:
                        fatal = error
                except PlexError as exc:
                    error = str(exc)
                status = APPLIED if error is None else FAILED
                for ch in part:
                    if error is None:
                        applied.append(ch)
                    else:
                        failed[ch.key] = (ch, error)
                if error and log_line:
                    log_line(f"failed: {len(part)} ratings of {format_both(value)}: {error}")
                if journal is not None:
                    journal.mark_many([(ids[c.key], status, error) for c in part if c.key in ids])
                done += len(part)
                if progress:
                    progress(done, total, "writing (grouped)")

        if self.verify and applied and not self.cancel.is_set():
            # the per-item writer's check: bulk re-read, rewrite one by one what did not stick
            self.single.verify_and_rewrite(applied, failed, ids, journal, None, log_line)
            applied = [c for c in applied if c.key not in failed]

        requests = 0
        if clears and not fatal and not self.cancel.is_set():
            res = self.single.apply(
                clears, journal=journal, run_id=run_id, progress=None, log_line=log_line
            )
            applied.extend(res.applied)
            failed.update({c.key: (c, e) for c, e in res.failed})
            cancelled = cancelled or res.cancelled
        else:
            for ch in clears:
                failed[ch.key] = (ch, f"not sent: {fatal}" if fatal else "cancelled")
        requests += self.http.sent - sent_before
        if progress:
            progress(total, total, "writing (grouped)")
        cancelled = cancelled or self.cancel.is_set()
        return WriteResult(applied, list(failed.values()), cancelled, requests)


# --- mood tags ---------------------------------------------------------------------------------

MOOD = "mood"


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


class MoodWriter:
    """Add or remove one mood tag on many items with grouped multi-edits, journaled per chunk.

    ``kinds`` maps ratingKey -> artist/album/track: a multi-edit needs the
    item type. There is no cheap per-item check, so the journal records
    what Plex accepted (2xx) without a re-read.
    """

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
        self.chunk = max(1, chunk)
        self.cancel = cancel or threading.Event()
        self.http = PlexHttp(conn, retries=retries, cancel=self.cancel)

    def apply(
        self,
        changes: Sequence[Change],
        *,
        journal: Journal | None = None,
        run_id: int | None = None,
        progress: ProgressFn | None = None,
        log_line: LogFn | None = None,
    ) -> WriteResult:
        groups: dict[tuple[str, str, bool], list[Change]] = defaultdict(list)
        for ch in changes:
            if ch.target_kind != PLEX or ch.field != MOOD:
                raise PlexError(f"{ch.label or ch.target}: not a mood change")
            tag, add = mood_change_tag(ch)
            groups[(self.kinds.get(int(ch.target), "track"), tag, add)].append(ch)
        sent_before = self.http.sent
        applied: list[Change] = []
        failed: list[tuple[Change, str]] = []
        fatal = ""
        done, total = 0, len(changes)
        for (kind, tag, add), group in groups.items():
            for i in range(0, len(group), self.chunk):
                part = group[i : i + self.chunk]
                if fatal or self.cancel.is_set():
                    failed.extend((c, f"not sent: {fatal}" if fatal else "cancelled") for c in part)
                    continue
                ids = journal.record_pending(run_id, part) if journal and run_id else []
                error: str | None = None
                try:
                    params = mood_edit_params(kind, [c.target for c in part], tag, add=add)
                    self.http.request(
                        "PUT", f"/library/sections/{self.section_id}/all", params=params
                    )
                except HttpStatusError as exc:
                    error = str(exc)
                    fatal = error if exc.status == 401 else ""
                except PlexError as exc:
                    error = str(exc)
                if error is None:
                    applied.extend(part)
                else:
                    failed.extend((c, error) for c in part)
                    if log_line:
                        verb = "adding" if add else "removing"
                        log_line(f"failed: {verb} mood {tag!r} on {len(part)} items: {error}")
                if journal is not None and ids:
                    journal.mark(ids, APPLIED if error is None else FAILED, error)
                done += len(part)
                if progress:
                    progress(done, total, "writing mood tags")
        cancelled = self.cancel.is_set()
        return WriteResult(applied, failed, cancelled, self.http.sent - sent_before)


class RatingsThenMoods:
    """One writer for a plan of ratings and mood tags: ratings first, then the moods.

    A mood added to an item whose rating failed would mark a value that is
    not there, so such adds are not sent (reported failed instead).
    """

    def __init__(self, ratings: object, moods: MoodWriter) -> None:
        self.ratings = ratings
        self.moods = moods

    def apply(self, changes: Sequence[Change], **kw: object) -> WriteResult:
        rating_part = [c for c in changes if c.field != MOOD]
        mood_part = [c for c in changes if c.field == MOOD]
        if rating_part:
            res = self.ratings.apply(rating_part, **kw)  # type: ignore[attr-defined]
        else:
            res = WriteResult([], [], False, 0)
        if not mood_part:
            return res
        if res.cancelled:
            res.failed.extend((c, "cancelled") for c in mood_part)
            return res
        lost = {c.target for c, _ in res.failed}
        send = [c for c in mood_part if not (c.new and c.target in lost)]
        res.failed.extend(
            (c, "not sent: the rating was not written")
            for c in mood_part
            if c.new and c.target in lost
        )
        if send:
            res.add(self.moods.apply(send, **kw))  # type: ignore[arg-type]
        return res
