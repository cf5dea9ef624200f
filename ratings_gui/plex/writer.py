"""Writes planned rating changes to Plex, one request per item, through the journaled loop.

There is no multi-key ``/:/rate``: one request per item. Plex's database is
effectively single-writer, so a few workers are as fast as many and kinder
to the server. The journaling (pending before, marked after), cancel and
the stop on 401 are :func:`~ratings_gui.journal.writeloop.write_journaled`'s; this
module only sends, and at the end reads the items back in bulk and writes
once more what the server does not hold.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from ratings_gui.core.plan import PLEX, Change
from ratings_gui.core.provenance import CHANGED_DURING_RUN, CHANGED_SINCE_READ, changed_by_someone
from ratings_gui.core.scale import format_both, normalize, same
from ratings_gui.journal.writeloop import (
    UNREACHABLE,
    Failure,
    JournaledWriter,
    Key,
    LogFn,
    ProgressFn,
    WriteResult,
    count_outcomes,
)
from ratings_gui.plex.connection import Connection, PlexError
from ratings_gui.plex.http import HttpStatusError, PlexHttp, Unreachable
from ratings_gui.plex.snapshot import read_items

log = logging.getLogger(__name__)

LIBRARY_ID = "com.plexapp.plugins.library"
DEFAULT_WORKERS = 3
MOOD = "mood"

SUPPORTED_FIELDS = ("userRating", "watched")

__all__ = ["RatingWriter", "WriteResult", "count_outcomes", "plex_failure", "read_current"]


def _rating_param(value: float | None) -> str:
    if value is None:
        return "-1"
    return f"{normalize(value):g}"


def plex_failure(exc: Exception) -> Failure | None:
    """A Plex write's exception as a loop Failure: 401 stops the run (every write would fail)."""
    if isinstance(exc, HttpStatusError):
        return Failure(str(exc), stop=exc.status == 401)
    if isinstance(exc, Unreachable):  # after its retries; a few in a row stop the run
        return Failure(str(exc), UNREACHABLE)
    if isinstance(exc, PlexError):
        return Failure(str(exc))
    return None


def read_current(
    conn: Connection, changes: Sequence[Change], http: PlexHttp | None = None
) -> dict[Key, Any]:
    """What the Plex items of ``changes`` hold now per change key, from one bulk read.

    Ratings, watched state and mood tags; an item the server no longer has
    is absent. The after-write check reads through it, and it is the place
    to settle journal rows a crashed run left pending.
    """
    keys = [c.target for c in changes if c.target_kind == PLEX and c.target.isdigit()]
    items = read_items(conn, keys, http=http) if keys else {}
    out: dict[Key, Any] = {}
    for c in changes:
        it = items.get(int(c.target)) if c.target.isdigit() else None
        if it is None:
            continue
        if c.field == "userRating":
            out[c.key] = it.user_rating
        elif c.field == "watched":
            out[c.key] = it.view_count > 0
        elif c.field == MOOD:
            out[c.key] = it.has_mood(str(c.new or c.old or ""))
    return out


def screen_ratings(
    conn: Connection,
    changes: Sequence[Change],
    since: float | None,
    http: PlexHttp,
    places: dict[int, tuple[int, str]] | None = None,
) -> dict[Key, str]:
    """Rating changes whose item someone rated after the plan's read: never written over.

    One bulk read per chunk (500 keys a request). An item now holding
    another value than the plan's old one, or rated (``lastRatedAt``) after
    the snapshot was read, was rated by someone else meanwhile (in Plex, or
    by this program on another computer, whose journal this one does not
    see). ``places`` (when given) learns each item's (section id, type) from
    the same read: what a grouped edit needs.
    """
    ratings = [c for c in changes if c.field == "userRating" and c.target.isdigit()]
    if not ratings:
        return {}
    sections: dict[int, int] | None = {} if places is not None else None
    items = read_items(conn, [c.target for c in ratings], http=http, places=sections)
    if places is not None and sections is not None:
        for key, sid in sections.items():
            it = items.get(key)
            if it is not None:
                places[key] = (sid, it.kind)
    out: dict[Key, str] = {}
    for c in ratings:
        it = items.get(int(c.target))
        if it is None:
            continue  # gone: the write says so
        if (
            not same(it.user_rating, c.old)
            or since is not None
            and it.last_rated_at is not None
            and it.last_rated_at > since
        ):
            out[c.key] = CHANGED_SINCE_READ
    return out


class RatingWriter(JournaledWriter):
    """Apply :class:`Change` objects with target kind ``plex`` to one server, item by item."""

    phase = "writing"

    def __init__(
        self,
        conn: Connection,
        *,
        workers: int = DEFAULT_WORKERS,
        retries: int = 6,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
        verify: bool = True,
        http: PlexHttp | None = None,
    ) -> None:
        self.conn = conn
        self.workers = max(1, min(workers, 8))
        self.cancel = cancel or threading.Event()
        self.http = http or PlexHttp(conn, retries=retries, timeout=timeout, cancel=self.cancel)
        self.check = verify

    def accepts(self, change: Change) -> bool:
        return change.target_kind == PLEX and change.field in SUPPORTED_FIELDS

    def requests(self) -> int:
        return self.http.sent

    def failure(self, exc: Exception) -> Failure | None:
        return plex_failure(exc)

    def send(self, unit: list[Change]) -> None:
        for change in unit:
            self.write_one(change)

    def screen(self, changes: Sequence[Change], since: float | None) -> dict[Key, str]:
        return screen_ratings(self.conn, changes, since, self.http) if self.check else {}

    # --- one write ---------------------------------------------------------------

    def write_one(self, change: Change) -> None:
        """Send one change; raises PlexError when retries are exhausted."""
        if change.target_kind != PLEX:
            raise PlexError(f"{change.label or change.target}: not a Plex item")
        key = str(int(change.target))
        if change.field == "userRating":
            self.http.request(
                "PUT",
                "/:/rate",
                params={"key": key, "identifier": LIBRARY_ID, "rating": _rating_param(change.new)},
            )
        elif change.field == "watched":
            self._write_watched(change, key)
        else:
            raise PlexError(f"cannot write field {change.field!r} to Plex")

    def _write_watched(self, change: Change, key: str) -> None:
        """A scrobble is not idempotent (each adds a play): after a failure, look before resending.

        A 500 or a dropped answer may come after the server counted the
        play; the item is read back and the scrobble sent again only when
        it did not arrive.
        """
        path = "/:/scrobble" if change.new else "/:/unscrobble"
        params = {"key": key, "identifier": LIBRARY_ID}
        last: PlexError | None = None
        for attempt in range(self.http.retries + 1):
            if attempt and self.cancel.is_set():
                break
            try:
                self.http.request("GET", path, params=params, retries=0)
                return
            except HttpStatusError as exc:
                if exc.status == 401:
                    raise
                last = exc
            except PlexError as exc:
                last = exc
            try:
                now = read_current(self.conn, [change], self.http).get(change.key)
            except PlexError:
                now = None
            if now is not None and bool(now) == bool(change.new):
                return  # it arrived although the answer said otherwise
            self.http.pause(attempt)
        raise last if last is not None else PlexError("cancelled")

    # --- after the loop ------------------------------------------------------------

    def read_current(self, changes: Sequence[Change]) -> Mapping[Key, Any] | None:
        return read_current(self.conn, changes, self.http)

    def verify(
        self,
        applied: Sequence[Change],
        progress: ProgressFn | None,
        log_line: LogFn | None,
    ) -> list[tuple[Change, str]]:
        """Read the written ratings back in bulk; rewrite once what the server does not hold."""
        ratings = [c for c in applied if c.field == "userRating"]
        if not self.check or not ratings:
            return []
        if progress:
            progress(0, len(ratings), "verifying")
        current = self.read_current(ratings) or {}
        wrong = [c for c in ratings if c.key not in current or not same(current[c.key], c.new)]
        if progress:
            progress(len(ratings), len(ratings), "verifying")
        # a value neither the old one nor ours: someone rated it during the run; it stays
        left = [
            (c, CHANGED_DURING_RUN)
            for c in wrong
            if c.key in current and changed_by_someone(current[c.key], c.old, c.new)
        ]
        if left:
            gone = {c.key for c, _ in left}
            wrong = [c for c in wrong if c.key not in gone]
            if log_line:
                log_line(
                    f"{len(left):,} ratings were changed in Plex during the run: left as they are"
                )
        if not wrong:
            return left
        if log_line:
            log_line(f"{len(wrong)} ratings did not stick; writing them again")
        errors: dict[Key, str] = {}
        for c in wrong:
            try:
                self.write_one(c)
            except PlexError as exc:
                errors[c.key] = str(exc)
        again = self.read_current(wrong) or {}
        out: list[tuple[Change, str]] = []
        for c in wrong:
            if c.key not in again:
                out.append((c, "the item is no longer on the server"))
            elif not same(again[c.key], c.new):
                out.append(
                    (
                        c,
                        f"the server holds {format_both(again[c.key])} "
                        f"instead of {format_both(c.new)}",
                    )
                )
            elif c.key in errors:
                out.append((c, errors[c.key]))
        return out + left
