"""The one journaled write loop, and the :class:`Writer` every job's apply drives.

Every write the program makes goes through :func:`write_journaled`: a
chunk of changes is recorded ``pending`` in the journal BEFORE it is sent,
each unit (one item, or one grouped request) is sent, the outcomes are
settled and marked ``applied``/``failed`` in one transaction per chunk.
Cancel stops between units; a failure that says every further write would
fail the same way (HTTP 401) stops the run and reports the rest "not
sent". A writer only says how to group changes into units and how to send
one; the Plex per-item writer, the grouped multi-edits, the mood tags and
the rating tags in files all share this loop, so a fix here fixes them all.

Hooks a writer may fill in besides ``send``: ``before`` (read the target
first, e.g. a file's exact tag fields for undo), ``read_current`` (what the
targets hold now: the after-write check, and settling rows a crashed run
left pending) and ``verify`` (re-read and rewrite what did not stick).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ratings_gui.core.plan import Change
from ratings_gui.core.provenance import CHANGED_DURING_RUN
from ratings_gui.journal import APPLIED, FAILED, LEFT_ALONE, PENDING, Journal

ProgressFn = Callable[[int, int, str], None]
LogFn = Callable[[str], None]
Key = tuple[str, str, str]

#: Error text of a change the user's Cancel kept from being sent.
CANCELLED = "cancelled"
#: Prefix of the error of a change not sent because the run stopped.
NOT_SENT = "not sent"
#: Changes journaled together (one transaction for pending, one for the outcomes).
CHUNK = 200
#: Failure reason of a write that could not reach the server (after its retries).
UNREACHABLE = "unreachable"
#: Writes in a row that could not reach the server before the run stops (the rest "not sent").
STOP_AFTER_UNREACHABLE = 3
#: After Cancel, how long a write already on the wire may take before the loop stops
#: waiting for it (its journal row stays ``pending`` and is settled on the next run).
CANCEL_GRACE = 1.0
#: Error text of a change whose write was on the wire when the run stopped.
IN_FLIGHT = "stopped while being sent: settled against the server on the next run"

#: A unit in flight: its changes, their journal ids, the send's future outcome.
Sent = tuple[list[Change], list[int | None], "Future[Failure | None]"]


@dataclass
class WriteResult:
    """Per-change outcome of an apply: what reached the target, and failures with reasons."""

    applied: list[Change]
    failed: list[tuple[Change, str]]
    cancelled: bool = False
    requests: int = 0
    #: Short failure categories (a file's "read_only", "changed since"...) for the report.
    reasons: Counter[str] = field(default_factory=Counter)
    #: Why the loop stopped early ("" when it did not), e.g. the server stopped answering.
    stopped: str = ""
    #: Targets someone else changed during the run (before the write: not sent; after it:
    #: not written again), with why. Never written over.
    left_alone: list[tuple[Change, str]] = field(default_factory=list)

    def add(self, other: WriteResult) -> WriteResult:
        """Fold another writer's outcome into this one (writers that share a plan)."""
        self.applied.extend(other.applied)
        self.failed.extend(other.failed)
        self.left_alone.extend(other.left_alone)
        self.cancelled = self.cancelled or other.cancelled
        self.requests += other.requests
        self.reasons.update(other.reasons)
        self.stopped = self.stopped or other.stopped
        return self


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one unit was not written."""

    message: str
    #: A short category counted in the report ("" for none).
    reason: str = ""
    #: Every further write would fail the same way (e.g. HTTP 401): stop the run.
    stop: bool = False


@runtime_checkable
class Writer(Protocol):
    """What a job's apply hands its plan to: says which changes it takes, and writes them."""

    def accepts(self, change: Change) -> bool: ...

    def apply(
        self,
        changes: Sequence[Change],
        *,
        journal: Journal | None = None,
        run_id: int | None = None,
        progress: ProgressFn | None = None,
        log_line: LogFn | None = None,
    ) -> WriteResult: ...


class JournaledWriter:
    """Base of every writer: ``apply`` is the one loop; subclasses fill in the hooks."""

    #: Progress phase shown while this writer sends.
    phase = "writing"
    #: Units sent at once (a small pool: Plex's database is single-writer).
    workers = 1
    #: Changes journaled per chunk; two chunks are in flight so workers never idle.
    chunk = CHUNK
    cancel: threading.Event

    def accepts(self, change: Change) -> bool:
        raise NotImplementedError

    def units(self, changes: Sequence[Change]) -> list[list[Change]]:
        """The changes grouped into what one ``send`` writes (default: one change each)."""
        return [[c] for c in changes]

    def before(self, unit: list[Change]) -> tuple[list[Change], Failure | None]:
        """The unit as journaled (e.g. with the target's exact old value), or why it must wait."""
        return unit, None

    #: Set by writers that override :meth:`before` (it then runs on the pool per chunk).
    reads_before = False

    def screen(self, changes: Sequence[Change], since: float | None) -> dict[Key, str]:
        """Changes whose target someone changed after the plan's read (key -> why): not sent.

        ``since`` is when the plan's snapshot was read. One bulk read per chunk.
        """
        return {}

    def send(self, unit: list[Change]) -> None:
        """Write one unit; raise on failure (``failure`` classifies the exception)."""
        raise NotImplementedError

    def failure(self, exc: Exception) -> Failure | None:
        """A send's exception as a Failure; None re-raises it (a bug, not a write failure)."""
        return None

    def failure_line(self, unit: list[Change], message: str) -> str:
        """The log line of a failed unit."""
        ch = unit[0]
        if len(unit) == 1:
            return f"failed: {ch.label or ch.target}: {message}"
        return f"failed: {len(unit)} changes: {message}"

    def read_current(self, changes: Sequence[Change]) -> Mapping[Key, Any] | None:
        """What each change's target holds now, by change key (absent: the target is gone).

        None when this writer cannot tell. The after-write check uses it, and
        so can settling the rows a crashed run left ``pending``.
        """
        return None

    def verify(
        self,
        applied: Sequence[Change],
        progress: ProgressFn | None,
        log_line: LogFn | None,
    ) -> list[tuple[Change, str]]:
        """The applied changes that did not stick (after any rewrite), with why.

        A target someone else changed during the run comes back with the reason
        ``CHANGED_DURING_RUN``: it is left alone, not written again.
        """
        return []

    def requests(self) -> int:
        """Requests sent so far (the report shows the difference per apply)."""
        return 0

    def apply(self, changes: Sequence[Change], **kw: Any) -> WriteResult:
        """The one loop (``kw``: journal, run_id, progress, log_line)."""
        return write_journaled(self, changes, **kw)


def quiet(message: str) -> bool:
    """Cancelled and not-sent changes are counted, not logged one by one."""
    return message == CANCELLED or message.startswith(NOT_SENT)


def _chunks(units: list[list[Change]], size: int) -> list[list[list[Change]]]:
    """Consecutive units gathered until a chunk holds ``size`` changes."""
    out: list[list[list[Change]]] = []
    cur: list[list[Change]] = []
    n = 0
    for u in units:
        cur.append(u)
        n += len(u)
        if n >= size:
            out.append(cur)
            cur, n = [], 0
    if cur:
        out.append(cur)
    return out


def write_journaled(
    writer: JournaledWriter,
    changes: Sequence[Change],
    *,
    journal: Journal | None = None,
    run_id: int | None = None,
    progress: ProgressFn | None = None,
    log_line: LogFn | None = None,
    since: float | None = None,
) -> WriteResult:
    """Screen -> record pending -> send -> settle -> mark, chunk by chunk; verify.

    See the module doc. ``since``: when the plan's snapshot was read; a
    target changed after it is left alone (:meth:`JournaledWriter.screen`).
    """
    run = _Run(writer, changes, journal, run_id, progress, log_line, since)
    run.send_all()
    if run.applied and not writer.cancel.is_set() and not run.stop:
        run.verify()  # stopped: the check could not run either
    return run.result()


class _Run:
    """One call of :func:`write_journaled`: its outcomes so far, and the steps that add to them.

    Sending runs on the writer's pool (:meth:`send_unit`); everything else on
    the caller's thread, so only the count of unreachable writes needs a lock.
    """

    def __init__(
        self,
        writer: JournaledWriter,
        changes: Sequence[Change],
        journal: Journal | None,
        run_id: int | None,
        progress: ProgressFn | None,
        log_line: LogFn | None,
        since: float | None,
    ) -> None:
        self.writer = writer
        self.cancel = writer.cancel
        self.units = writer.units(changes)
        self.total = sum(len(u) for u in self.units)
        self.journal = journal
        self.run_id = run_id
        self.journaling = journal is not None and run_id is not None
        self.progress = progress
        self.log_line = log_line
        self.since = since
        self.sent_before = writer.requests()
        self.applied: list[Change] = []
        self.failed: list[tuple[Change, str]] = []
        self.left_alone: list[tuple[Change, str]] = []
        self.reasons: Counter[str] = Counter()
        self.ids: dict[Key, int] = {}
        self.stop: list[str] = []
        self.unreachable = 0  # writes in a row that could not reach the server
        self.guard = threading.Lock()
        self.settling: list[list[Sent]] = []  # the batch being settled (popped from in_flight)
        self.done = 0
        self.cancelled = False

    def _count_failure(self, f: Failure, stopped_answering: str) -> None:
        """A failure that may stop the run: it says so, or too many in a row could not
        reach the server (``stopped_answering`` says so, with ``{n}``)."""
        with self.guard:
            self.unreachable = self.unreachable + 1 if f.reason == UNREACHABLE else 0
            if f.stop and not self.stop:
                self.stop.append(f.message)
            elif self.unreachable >= STOP_AFTER_UNREACHABLE and not self.stop:
                self.stop.append(
                    "the server stopped answering "
                    f"({stopped_answering.format(n=self.unreachable)}); "
                    "run the job again when it is back"
                )

    def send_unit(self, unit: list[Change], pre: Failure | None) -> Failure | None:
        """One unit's send (on the pool): None when it landed, else why not."""
        if pre is not None:
            return pre
        if self.cancel.is_set():
            return Failure(CANCELLED)
        if self.stop:
            return Failure(f"{NOT_SENT}: {self.stop[0]}")
        try:
            self.writer.send(unit)
        except Exception as exc:
            f = self.writer.failure(exc)
            if f is None:
                raise
            self._count_failure(f, "{n} writes in a row could not reach it")
            return f
        with self.guard:
            self.unreachable = 0
        return None

    def outcome(self, fut: Future[Failure | None]) -> Failure | None:
        """The unit's outcome; after Cancel, a write still on the wire is not waited for."""
        waited_since: float | None = None
        while True:
            try:
                return fut.result(timeout=0.1)
            except FutureTimeout:
                pass
            if self.cancel.is_set():
                now = time.monotonic()
                waited_since = waited_since or now
                if now - waited_since >= CANCEL_GRACE:
                    return Failure(CANCELLED) if fut.cancel() else Failure(IN_FLIGHT, "in flight")

    def settle(self, batch: list[Sent]) -> None:
        """One chunk's outcomes, marked in the journal in one transaction."""
        self.settling[:] = [batch]  # interrupted in here: its landed units are still marked
        outcomes: list[tuple[int, str, str | None]] = []
        for unit, unit_ids, fut in batch:
            f = Failure(CANCELLED) if fut.cancelled() else self.outcome(fut)
            if f is not None and f.message == IN_FLIGHT:
                # may have reached the target: the row stays pending, the next run settles it
                self.failed.extend((ch, IN_FLIGHT) for ch in unit)
                self.done += len(unit)
                continue
            for ch, cid in zip(unit, unit_ids, strict=True):
                if f is None:
                    self.applied.append(ch)
                else:
                    self.failed.append((ch, f.message))
                    if f.reason:
                        self.reasons[f.reason] += 1
                if cid is not None:
                    outcomes.append((cid, APPLIED, None) if f is None else (cid, FAILED, f.message))
            if f is not None and self.log_line and not quiet(f.message):
                self.log_line(self.writer.failure_line(unit, f.message))
            self.done += len(unit)
        if self.journal is not None and outcomes:
            self.journal.mark_many(outcomes)
        self.settling.clear()
        if self.progress:
            self.progress(self.done, self.total, self.writer.phase)

    def screened(self, chunk: list[list[Change]]) -> list[list[Change]]:
        """The chunk without the changes whose target someone changed since the read."""
        flat = [c for u in chunk for c in u]
        try:
            left = self.writer.screen(flat, self.since)
        except Exception as exc:
            f = self.writer.failure(exc)
            if f is None:
                raise
            # what the targets hold could not be read: nothing of this chunk is sent
            self.failed.extend((c, f.message) for c in flat)
            if f.reason:
                self.reasons[f.reason] += len(flat)
            self.done += len(flat)
            if self.log_line:
                self.log_line(self.writer.failure_line(flat, f.message))
            self._count_failure(f, "it could not be reached {n} times in a row")
            return []
        if not left:
            return chunk
        kept: list[list[Change]] = []
        for u in chunk:
            for c in u:
                if c.key in left:
                    self.left_alone.append((c, left[c.key]))
                    self.done += 1
            rest = [c for c in u if c.key not in left]
            if rest:
                kept.append(rest)
        return kept

    def stopped_before(self, remaining: list[list[list[Change]]]) -> bool:
        """Stop or Cancel before the ``remaining`` chunks: what was never sent is reported,
        not journaled."""
        if self.journaling and not self.stop:
            assert self.journal is not None
            lost = self.journal.lost()  # deleted under the run: SQLite would go on writing to it
            if lost:
                self.stop.append(lost)
        if not self.stop and not self.cancel.is_set():
            return False
        rest = [c for chunk in remaining for u in chunk for c in u]
        if self.stop:
            if self.log_line:
                self.log_line(f"stopped: {self.stop[0]}")
            self.failed.extend((c, f"{NOT_SENT}: {self.stop[0]}") for c in rest)
        else:
            self.cancelled = True
            self.failed.extend((c, CANCELLED) for c in rest)
        return True

    def submit(self, chunk: list[list[Change]], pool: ThreadPoolExecutor) -> list[Sent]:
        """Read before (when the writer does), record pending, hand every unit to the pool."""
        if self.writer.reads_before:
            prepared = list(pool.map(self.writer.before, chunk))
        else:
            prepared = [(u, None) for u in chunk]
        flat = [c for u, _ in prepared for c in u]
        flat_ids: list[int | None] = [None] * len(flat)
        if self.journaling:
            assert self.journal is not None and self.run_id is not None
            flat_ids = list(self.journal.record_pending(self.run_id, flat))
            for c, cid in zip(flat, flat_ids, strict=True):
                self.ids[c.key] = int(cid)  # type: ignore[arg-type]
        batch: list[Sent] = []
        i = 0
        for unit, pre in prepared:
            unit_ids = flat_ids[i : i + len(unit)]
            i += len(unit)
            batch.append((unit, unit_ids, pool.submit(self.send_unit, unit, pre)))
        return batch

    def send_all(self) -> None:
        """Every chunk in turn, two in flight (one sending while the other settles)."""
        chunks = _chunks(self.units, max(1, self.writer.chunk))
        if self.progress and self.total:
            # the phase starts now: its rate is measured from here
            self.progress(0, self.total, self.writer.phase)
        #: A writer that checks its targets before writing sends one chunk at a time.
        screens = type(self.writer).screen is not JournaledWriter.screen
        in_flight: deque[list[Sent]] = deque()
        pool = ThreadPoolExecutor(max(1, self.writer.workers), thread_name_prefix="writer")
        finished = False
        try:
            for n, chunk in enumerate(chunks):
                if screens and in_flight:
                    # the check must see the targets as they are right before this chunk's
                    # writes, after everything sent before it (a rating given meanwhile)
                    while in_flight:
                        self.settle(in_flight.popleft())
                if self.stopped_before(chunks[n:]):
                    break
                chunk = self.screened(chunk)
                if not chunk:
                    continue
                in_flight.append(self.submit(chunk, pool))
                if len(in_flight) >= 2:
                    self.settle(in_flight.popleft())
            while in_flight:
                self.settle(in_flight.popleft())
            finished = True
        except BaseException:
            # Ctrl-C or an error mid-run: what already landed is marked now, nothing is waited for
            if self.journal is not None:
                _mark_landed(self.journal, [*in_flight, *self.settling])
            raise
        finally:
            # Ctrl-C or Cancel: never wait here for a write still on the wire (its row stays
            # pending and is settled against the target on the next run).
            pool.shutdown(wait=finished and not self.cancel.is_set(), cancel_futures=True)

    def verify(self) -> None:
        """The after-write check: a target changed meanwhile is left alone, the rest failed."""
        wrong = self.writer.verify(self.applied, self.progress, self.log_line)
        self.left_alone.extend((c, e) for c, e in wrong if e == CHANGED_DURING_RUN)
        wrong = [(c, e) for c, e in wrong if e != CHANGED_DURING_RUN]
        if wrong:
            why = {c.key: err for c, err in wrong}
            self.applied = [c for c in self.applied if c.key not in why]
            self.failed.extend(wrong)
            if self.journal is not None:
                self.journal.mark_many(
                    [(self.ids[k], FAILED, e) for k, e in why.items() if k in self.ids]
                )

    def result(self) -> WriteResult:
        return WriteResult(
            self.applied,
            self.failed,
            self.cancelled or self.cancel.is_set(),
            self.writer.requests() - self.sent_before,
            self.reasons,
            self.stop[0] if self.stop else "",
            self.left_alone,
        )


def _mark_landed(journal: Journal, batches: list[list[Sent]]) -> None:
    """The rows of units whose send already succeeded: ``applied`` (the rest stay pending)."""
    done: list[tuple[int, str, str | None]] = []
    for batch in batches:
        for _unit, unit_ids, fut in batch:
            landed = fut.done() and not fut.cancelled() and fut.exception() is None
            if landed and fut.result() is None:
                done.extend((cid, APPLIED, None) for cid in unit_ids if cid is not None)
    if done:
        try:
            journal.mark_many(done)
        except Exception:  # noqa: BLE001 - the rows stay pending: the next run settles them
            pass


class InOrder:
    """One writer for a plan several writers share: each change goes to the first that takes it.

    The writers run one after another in the order given (Plex ratings before
    mood tags, Plex before files). ``hold`` may keep a change from being sent
    because of what the earlier writers did (a mood tag for a rating that
    failed); it returns the reason, or None to send.
    """

    def __init__(
        self,
        *writers: Writer | None,
        hold: Callable[[Change, WriteResult], str | None] | None = None,
    ) -> None:
        self.writers = [w for w in writers if w is not None]
        self.hold = hold

    def accepts(self, change: Change) -> bool:
        return any(w.accepts(change) for w in self.writers)

    def apply(self, changes: Sequence[Change], **kw: Any) -> WriteResult:
        """Each writer's part in turn (``kw``: journal, run_id, progress, log_line)."""
        result = WriteResult([], [])
        parts: list[list[Change]] = [[] for _ in self.writers]
        for c in changes:
            n = next((i for i, w in enumerate(self.writers) if w.accepts(c)), None)
            if n is None:
                raise ValueError(f"{c.label or c.target}: no writer takes a {c.field} change")
            parts[n].append(c)
        for writer, part in zip(self.writers, parts, strict=True):
            if not part:
                continue
            if result.cancelled:
                result.failed.extend((c, CANCELLED) for c in part)
                continue
            send = part
            if self.hold is not None:
                held = [(c, why) for c in part if (why := self.hold(c, result))]
                kept = {id(c) for c, _ in held}
                result.failed.extend(held)
                send = [c for c in part if id(c) not in kept]
            if send:
                result.add(writer.apply(send, **kw))
        return result


def count_outcomes(result: WriteResult) -> Counter[str]:
    """The report's counts of an apply, in the outcome words every view uses.

    ``applied`` (written), ``failed`` (sent and refused), ``not sent``
    (Cancel, or the run stopped before them), ``left alone`` (someone
    changed the target before it was written: never sent), ``pending``
    (on the wire when the run stopped: settled on the next run). They add
    up to the changes handed to the writer. Stored with the run, they are
    what History counts for changes that have no journal row.
    """
    out: Counter[str] = Counter()
    if result.applied:
        out["applied"] = len(result.applied)
    written = {c.key for c in result.applied}
    failed_keys = {c.key for c, _ in result.failed}
    for _change, error in result.failed:
        if error == IN_FLIGHT:
            out[PENDING] += 1
        elif quiet(error):
            out[NOT_SENT] += 1
        else:
            out["failed"] += 1
    left = {c.key for c, _ in result.left_alone} - written - failed_keys
    if left:
        out[LEFT_ALONE] = len(left)
    return out
