"""Runs background work on worker threads and talks to the window only through events.

Tk is not thread-safe: a worker never touches a widget. It puts small
immutable events on one queue; the window drains the queue from ``after()``.
Two shapes share that queue: a job (:meth:`JobRunner.start`, one at a time,
with progress, log and cancel) and a task (:meth:`JobRunner.run_task`,
Picard's ``run_task(func, then)``: a short listing or a long watch beside
the job, whose end comes back as ``then(Finished)`` on the draining thread).
The CLI uses the same :class:`JobContext` with a callback instead.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ratings_gui.core.plan import Cancelled, Report

if TYPE_CHECKING:
    from ratings_gui.journal import Journal
    from ratings_gui.plex.connection import Connection
    from ratings_gui.settings import Paths, Settings, TokenStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Progress:
    done: int
    total: int
    phase: str
    eta_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Log:
    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Finished:
    """The job's end: a report, or a plain-language error (never both)."""

    report: Report | None = None
    error: str | None = None
    result: Any = None
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Call:
    """``fn()`` to run on the thread that drains the events (a task's ``then``, or its news)."""

    fn: Callable[[], None]


Event = Progress | Log | Finished | Call


class JobApp(Protocol):
    """What a job uses of the program's context (``ratings_gui.context.AppContext``): the
    journal, settings and folders, the token store and the connection (a Plex Home member's,
    when one is chosen). Jobs see this much of it and do not import it."""

    journal: Journal
    settings: Settings
    paths: Paths
    tokens: TokenStore
    connection: Connection | None
    library: str | None
    account_token: str

    def as_user(self, user: str, pin: str | None = None) -> JobApp: ...


class JobContext:
    """What a job gets: progress/log reporting with ETA, and the cancel flag."""

    def __init__(
        self,
        emit: Callable[[Event], None],
        cancel: threading.Event | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._emit = emit
        self.cancel_event = cancel or threading.Event()
        self.logger = logger or log
        self._phase = ""
        #: The phase's first report: (time, done). The rate is measured from it.
        self._phase_start = time.monotonic()
        self._phase_done = 0

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check_cancel(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()

    def progress(self, done: int, total: int, phase: str) -> None:
        """``done`` of ``total`` in ``phase``, with the time left from the rate measured so far.

        The rate counts from the phase's first report, not from zero: a phase
        whose first report already says 200 done (a chunk settled) has no
        measured rate yet, so no time left is guessed from it.
        """
        now = time.monotonic()
        if phase != self._phase or done < self._phase_done:
            self._phase, self._phase_start, self._phase_done = phase, now, done
        self._emit(Progress(done, total, phase, self.time_left(done, total, now)))

    def time_left(self, done: int, total: int, now: float) -> float | None:
        """Seconds left at the measured rate; None before there is a rate to measure."""
        step = done - self._phase_done
        spent = now - self._phase_start
        if not 0 < done < total or step <= 0 or spent <= 0:
            return None
        return spent / step * (total - done)

    def log(self, text: str, level: int = logging.INFO) -> None:
        self.logger.log(level, text)
        self._emit(Log(level, text))


#: After Cancel, a job still busy this long (e.g. waiting on a server that does not
#: answer) is reported cancelled and left to end on its own; its late events are dropped.
CANCEL_ABANDON_SECONDS = 1.5


def _finish(
    work: Callable[[], Any], describe_error: Callable[[BaseException], str] | None, name: str
) -> Finished:
    """Run ``work`` and say how it ended, as a job's or a task's one last event."""
    try:
        result = work()
    except Cancelled:
        return Finished(error="Cancelled.", cancelled=True)
    except Exception as exc:  # noqa: BLE001 - reported as one plain message
        log.exception("%s failed", name)
        return Finished(error=describe_error(exc) if describe_error else str(exc))
    return Finished(report=result if isinstance(result, Report) else None, result=result)


class JobRunner:
    """One job at a time on a daemon thread, tasks beside it; all events go to :attr:`events`."""

    def __init__(self) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        self.cancel_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._cancel_at: float | None = None
        self._abandoned = False
        #: Which job may still put events: a late one of an abandoned job is dropped.
        self._generation = 0
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        alive = self._thread is not None and self._thread.is_alive()
        return alive and not self._abandoned

    def start(
        self,
        work: Callable[[JobContext], Any],
        *,
        describe_error: Callable[[BaseException], str] | None = None,
        name: str = "job",
    ) -> None:
        """Run ``work(ctx)``; its return (a Report or anything) ends as :class:`Finished`."""
        if self.busy:
            raise RuntimeError("a job is already running")
        self.cancel_event = threading.Event()
        self._cancel_at = None
        with self._lock:
            self._generation += 1
            self._abandoned = False
        generation = self._generation

        def emit(ev: Event) -> None:
            with self._lock:  # an abandoned or replaced job says nothing more
                if generation == self._generation and not self._abandoned:
                    self.events.put(ev)

        ctx = JobContext(emit, self.cancel_event)

        def target() -> None:
            emit(_finish(lambda: work(ctx), describe_error, f"job {name}"))

        self._thread = threading.Thread(target=target, name=f"ratings-{name}", daemon=True)
        self._thread.start()

    def run_task(
        self,
        func: Callable[[], Any],
        then: Callable[[Finished], None],
        *,
        describe_error: Callable[[BaseException], str] | None = None,
        name: str = "task",
    ) -> threading.Thread:
        """Run ``func()`` on its own daemon thread, beside any job (Picard's ``run_task``).

        Its return or error comes back as ``then(Finished(...))`` through
        :attr:`events`, on the thread that drains them; ``func`` never
        touches the window. Returns the thread (a long task is joined on close).
        """

        def target() -> None:
            ended = _finish(func, describe_error, f"task {name}")
            self.post(lambda: then(ended))

        thread = threading.Thread(target=target, name=f"ratings-{name}", daemon=True)
        thread.start()
        return thread

    def post(self, fn: Callable[[], None]) -> None:
        """From any thread: ``fn()`` runs on the draining thread at its next drain."""
        self.events.put(Call(fn))

    def cancel(self) -> None:
        self.cancel_event.set()
        if self._cancel_at is None:
            self._cancel_at = time.monotonic()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def drain(self, max_events: int = 500) -> list[Event]:
        """Take pending events, keeping only the newest Progress (one redraw per tick)."""
        out: list[Event] = []
        if (
            self._cancel_at is not None
            and not self._abandoned
            and self._thread is not None
            and self._thread.is_alive()
            and time.monotonic() - self._cancel_at >= CANCEL_ABANDON_SECONDS
        ):
            # Cancel must answer within 2 s: a request stuck on an unreachable server is
            # left to time out on its own (what it wrote is journaled; the next run settles it).
            with self._lock:
                self._abandoned = True
            while True:
                try:
                    ev = self.events.get_nowait()
                except queue.Empty:
                    break
                if not isinstance(ev, Progress | Finished):
                    out.append(ev)
            out.append(Finished(error="Cancelled.", cancelled=True))
            return out
        last_progress: Progress | None = None
        for _ in range(max_events):
            try:
                ev = self.events.get_nowait()
            except queue.Empty:
                break
            if isinstance(ev, Progress):
                last_progress = ev
            else:
                out.append(ev)
        if last_progress is not None:
            out.insert(0, last_progress)
        return out
