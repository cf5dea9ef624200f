"""Writes planned rating changes to Plex, journaled, retried and verified.

There is no multi-key ``/:/rate``: one request per item. Plex's database is
effectively single-writer, so a few workers are as fast as many and kinder
to the server. Each chunk of changes is recorded as ``pending`` in the
journal before it is sent and marked after; at the end the items are read
back in bulk and anything the server does not hold is written once more.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ratings_gui.core.plan import PLEX, Change
from ratings_gui.core.scale import format_both, normalize, same
from ratings_gui.journal import APPLIED, FAILED, Journal
from ratings_gui.plex.connection import Connection, PlexError
from ratings_gui.plex.http import HttpStatusError, PlexHttp
from ratings_gui.plex.snapshot import read_items

log = logging.getLogger(__name__)

LIBRARY_ID = "com.plexapp.plugins.library"
DEFAULT_WORKERS = 3
CHUNK = 200

ProgressFn = Callable[[int, int, str], None]
LogFn = Callable[[str], None]

SUPPORTED_FIELDS = ("userRating", "watched")


@dataclass
class WriteResult:
    """Per-change outcome of an apply: ids applied, and failures with reasons."""

    applied: list[Change]
    failed: list[tuple[Change, str]]
    cancelled: bool = False
    requests: int = 0

    def add(self, other: WriteResult) -> WriteResult:
        """Fold another writer's outcome into this one (writers that hand parts to others)."""
        self.applied.extend(other.applied)
        self.failed.extend(other.failed)
        self.cancelled = self.cancelled or other.cancelled
        self.requests += other.requests
        return self


def _rating_param(value: float | None) -> str:
    if value is None:
        return "-1"
    return f"{normalize(value):g}"


class RatingWriter:
    """Apply :class:`Change` objects with target kind ``plex`` to one server."""

    def __init__(
        self,
        conn: Connection,
        *,
        workers: int = DEFAULT_WORKERS,
        retries: int = 6,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
        verify: bool = True,
    ) -> None:
        self.conn = conn
        self.workers = max(1, min(workers, 8))
        self.cancel = cancel or threading.Event()
        self.http = PlexHttp(conn, retries=retries, timeout=timeout, cancel=self.cancel)
        self.verify = verify

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
            path = "/:/scrobble" if change.new else "/:/unscrobble"
            self.http.request("GET", path, params={"key": key, "identifier": LIBRARY_ID})
        else:
            raise PlexError(f"cannot write field {change.field!r} to Plex")

    # --- many ----------------------------------------------------------------------

    def apply(
        self,
        changes: Sequence[Change],
        *,
        journal: Journal | None = None,
        run_id: int | None = None,
        progress: ProgressFn | None = None,
        log_line: LogFn | None = None,
    ) -> WriteResult:
        """Write every change; journal before and after; verify; retry what did not stick."""
        applied: list[Change] = []
        failed: dict[tuple[str, str, str], tuple[Change, str]] = {}
        ids: dict[tuple[str, str, str], int] = {}
        total = len(changes)
        done = 0
        sent_before = self.http.sent
        cancelled = False

        fatal: list[str] = []

        def send(ch: Change) -> tuple[Change, str | None]:
            if self.cancel.is_set():
                return ch, "cancelled"
            if fatal:
                return ch, f"not sent: {fatal[0]}"
            try:
                self.write_one(ch)
                return ch, None
            except HttpStatusError as exc:
                if exc.status == 401:
                    fatal.append(str(exc))  # every further write would be refused too
                return ch, str(exc)
            except PlexError as exc:
                return ch, str(exc)

        def settle(futures: list[Future[tuple[Change, str | None]]]) -> None:
            """Collect one chunk's outcomes and mark them in the journal in one go."""
            nonlocal done
            outcomes: list[tuple[int, str, str | None]] = []
            for fut in futures:
                ch, err = fut.result()
                done += 1
                if err is None:
                    applied.append(ch)
                    failed.pop(ch.key, None)
                    status, error = APPLIED, None
                else:
                    failed[ch.key] = (ch, err)
                    status, error = FAILED, err
                    if log_line and err != "cancelled" and not err.startswith("not sent"):
                        log_line(f"failed: {ch.label or ch.target}: {err}")
                if ch.key in ids:
                    outcomes.append((ids[ch.key], status, error))
            if journal is not None and outcomes:
                journal.mark_many(outcomes)
            if progress:
                progress(done, total, "writing")

        # Two chunks in flight: workers never idle at a chunk boundary waiting
        # for one slow retry, and every change is journaled before it is sent.
        in_flight: deque[list[Future[tuple[Change, str | None]]]] = deque()
        with ThreadPoolExecutor(self.workers, thread_name_prefix="plex-writer") as pool:
            for i in range(0, total, CHUNK):
                if fatal:
                    # the server refuses us: what was not sent is reported, not journaled
                    if log_line:
                        log_line(f"stopped: {fatal[0]}")
                    for ch in changes[i:]:
                        failed[ch.key] = (ch, f"not sent: {fatal[0]}")
                    break
                if self.cancel.is_set():
                    cancelled = True
                    break
                chunk = list(changes[i : i + CHUNK])
                if journal is not None and run_id is not None:
                    for ch, cid in zip(chunk, journal.record_pending(run_id, chunk), strict=True):
                        ids[ch.key] = cid
                in_flight.append([pool.submit(send, ch) for ch in chunk])
                if len(in_flight) >= 2:
                    settle(in_flight.popleft())
            while in_flight:
                settle(in_flight.popleft())

        if self.verify and applied and not self.cancel.is_set():
            self.verify_and_rewrite(applied, failed, ids, journal, progress, log_line)
            applied = [c for c in applied if c.key not in failed]
        cancelled = cancelled or self.cancel.is_set()
        return WriteResult(applied, list(failed.values()), cancelled, self.http.sent - sent_before)

    def verify_and_rewrite(
        self,
        applied: list[Change],
        failed: dict[tuple[str, str, str], tuple[Change, str]],
        ids: dict[tuple[str, str, str], int],
        journal: Journal | None,
        progress: ProgressFn | None,
        log_line: LogFn | None,
    ) -> None:
        """Read the written items back in bulk; rewrite once what the server does not hold."""
        ratings = [c for c in applied if c.field == "userRating"]
        if not ratings:
            return
        if progress:
            progress(0, len(ratings), "verifying")
        current = read_items(self.conn, [c.target for c in ratings], http=self.http)
        wrong = [
            c
            for c in ratings
            if int(c.target) not in current or not same(current[int(c.target)].user_rating, c.new)
        ]
        if progress:
            progress(len(ratings), len(ratings), "verifying")
        if not wrong:
            return
        if log_line:
            log_line(f"{len(wrong)} ratings did not stick; writing them again")
        for c in wrong:
            try:
                self.write_one(c)
            except PlexError as exc:
                failed[c.key] = (c, str(exc))
        again = read_items(self.conn, [c.target for c in wrong], http=self.http)
        outcomes: list[tuple[int, str, str | None]] = []
        for c in wrong:
            it = again.get(int(c.target))
            if it is None:
                failed[c.key] = (c, "the item is no longer on the server")
            elif not same(it.user_rating, c.new):
                failed[c.key] = (
                    c,
                    f"the server holds {format_both(it.user_rating)} instead of {format_both(c.new)}",
                )
            if c.key in failed and c.key in ids:
                outcomes.append((ids[c.key], FAILED, failed[c.key][1]))
        if journal is not None and outcomes:
            journal.mark_many(outcomes)


def count_outcomes(result: WriteResult) -> Counter[str]:
    out: Counter[str] = Counter()
    if result.applied:
        out["applied"] = len(result.applied)
    real_failures = [f for f in result.failed if f[1] != "cancelled"]
    if real_failures:
        out["failed"] = len(real_failures)
    not_sent = len(result.failed) - len(real_failures)
    if not_sent:
        out["not sent (cancelled)"] = not_sent
    return out
