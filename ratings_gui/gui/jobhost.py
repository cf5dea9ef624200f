"""The window's side of background work: one job at a time, its events drained on the Tk thread.

A part of :class:`~ratings_gui.gui.app.App` (a mixin). Work runs on the
runner's worker; its progress, log lines, calls and its end come back as
events that :meth:`JobHost._poll` drains from ``after()``: no widget is
touched from another thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ratings_gui.gui.widgets import is_dark, style_treeviews
from ratings_gui.jobs.runner import Call, Finished, JobContext, Log, Progress
from ratings_gui.logsetup import redact
from ratings_gui.plex.connection import describe_error

log = logging.getLogger(__name__)

#: How often the window drains the runner's events (ms).
POLL_MS = 50
#: A job's progress within one phase is shown at most this often (the newest, always).
PROGRESS_EVERY_S = 0.2


def describe_job_error(exc: BaseException) -> str:
    """Plain, token-free text for a failed job (the plex module knows Plex's errors best)."""
    try:
        return redact(describe_error(exc))
    except Exception:  # noqa: BLE001 - never let error text itself fail
        return redact(str(exc) or type(exc).__name__)


class JobHost:
    """start_job / run_task / cancel, and the event drain; the window supplies the widgets."""

    runner: Any
    progress: Any
    tab_objects: dict[str, Any]
    close_dialog: Any
    _job_active: bool
    _job_name: str
    _job_writes: bool
    _on_done: Callable[[Finished], None] | None
    _closing: bool
    _dark: bool
    _poll_id: Any
    #: The newest progress not shown yet, the phase last shown, and when the next may show.
    _progress: Progress | None = None
    _progress_phase: str | None = None
    _progress_due: float = 0.0
    #: What a job's end shows after its first Tk turn (the backup offer, the reports,
    #: the results that follow the journal), one part per turn.
    _later: deque[Callable[[], None]]
    _later_due: bool = False
    after: Any
    log_line: Any
    log_lines: Any
    show_error: Any
    follow_journal: Any

    @property
    def busy(self) -> bool:
        """A job runs, or its end is still being shown (part by part, see :meth:`later`)."""
        return self._job_active or bool(self._later)

    @property
    def job_running(self) -> bool:
        """A job runs now (its end may still be showing when this is False)."""
        return self._job_active

    def later(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in a Tk turn of its own, after the parts asked for before it.

        A job's end showed the plan or result, set every tab's buttons, offered
        a backup, filled reports: all in one turn, that was 50-70 ms on a 50k
        library with the job's threads still busy, the window not answering.
        The outcome and the buttons come first; the rest part by part, each
        turn short and the window answering between them. The window counts
        as busy until the last part has run (a new job may start meanwhile).
        """
        self._later.append(fn)
        if not self._later_due:
            self._next_later()

    def _next_later(self) -> None:
        """The next part once the window has drawn what came before (its idle work), in a
        turn of its own (a timer: the idle work and the part are not one long turn)."""
        self._later_due = True
        self.after_idle(lambda: self.after(1, self._run_later))

    def _run_later(self) -> None:
        self._later_due = False
        if self._closing:
            self._later.clear()
            return
        if not self._later:
            return
        fn = self._later.popleft()
        if self._later:
            self._next_later()
        try:
            fn()
        except Exception:  # noqa: BLE001 - one failing part must not stop the others
            log.exception("a part of a job's end failed")

    def start_job(
        self,
        work: Callable[[JobContext], Any],
        *,
        name: str,
        phase: str = "",
        on_done: Callable[[Finished], None] | None = None,
        writes: bool = False,
    ) -> bool:
        """Run ``work`` on the worker; its end comes back to ``on_done`` on this thread.

        ``writes``: the job changes ratings or files, so closing the window asks first.

        Returns False (and says so) while another job runs: one job at a time.
        """
        if self._job_active:
            self.log_line("Another job is still running; wait for it or press Cancel.")
            return False
        if self.runner.busy:
            # Finished was delivered but the thread is still returning: it ends at once.
            self.runner.join(1.0)
        self._job_active = True
        self._job_name = name
        self._job_writes = writes
        self._on_done = on_done
        self._set_busy(True, phase)
        try:
            self.runner.start(work, describe_error=describe_job_error, name=name)
        except RuntimeError as exc:
            self._job_active = False
            self._set_busy(False, "")
            self.log_line(str(exc))
            return False
        return True

    def run_task(
        self, func: Callable[[], Any], then: Callable[[Finished], None], *, name: str
    ) -> threading.Thread:
        """Run ``func`` beside the job (a listing, a watch); ``then(Finished)`` on this thread."""
        return self.runner.run_task(func, then, describe_error=describe_job_error, name=name)

    def cancel_job(self) -> None:
        if self._job_active:
            self.runner.cancel()
            self.progress.phase.configure(text="Cancelling…")

    @property
    def cancel_requested(self) -> bool:
        """The user pressed Cancel (or closed the window) during the current job."""
        return self.runner.cancel_event.is_set()

    def set_status(self, text: str) -> None:
        """The line beside the progress bar, after a job (a run's outcome)."""
        self.progress.phase.configure(text=text, text_color=("gray10", "gray90"))

    def _set_busy(self, busy: bool, phase: str) -> None:
        self.progress.set_busy(busy, phase)
        for tab in self.tab_objects.values():
            if tab.built:  # a tab built later takes the state then
                tab.set_busy(busy)

    def _poll(self) -> None:
        """Drain the runner's events (main thread); reschedule first so one bad event cannot stop it."""
        if self._closing:
            return
        self._poll_id = self.after(POLL_MS, self._poll)
        if is_dark() != self._dark:
            self._dark = is_dark()
            style_treeviews(self)
        lines: list[str] = []  # a job's log lines since the last poll go in at once
        for ev in self.runner.drain():
            if isinstance(ev, Log):
                lines.append(("" if ev.level < logging.WARNING else "Warning: ") + ev.text)
                continue
            if lines:
                self.log_lines(lines)
                lines = []
            self._handle(ev)
        if lines:
            self.log_lines(lines)
        self._show_progress()

    def _show_progress(self) -> None:
        """The newest progress, at most every :data:`PROGRESS_EVERY_S` within a phase.

        A showing is a dozen Tcl calls, and while a job's threads read files each
        call waits its turn for the interpreter lock: fewer showings, shorter stalls.
        A new phase and the last item show at once.
        """
        ev = self._progress
        if ev is None:
            return
        t = time.monotonic()
        first = ev.phase != self._progress_phase or ev.done >= ev.total
        if not (first or t >= self._progress_due):
            return
        self._progress, self._progress_phase = None, ev.phase
        self._progress_due = t + PROGRESS_EVERY_S
        self.progress.show(ev.done, ev.total, ev.phase, ev.eta_seconds)

    def _handle(self, ev: Any) -> None:
        if isinstance(ev, Call):
            try:
                ev.fn()
            except Exception:  # noqa: BLE001 - one failing callback must not stop the others
                log.exception("a background task's callback failed")
        elif isinstance(ev, Progress):
            self._progress = ev  # shown by _show_progress, at the end of the poll
        elif isinstance(ev, Finished):
            self._progress = None  # the end says what happened
            self._progress_phase = None
            on_done = self._on_done
            self._job_active = False
            self._job_writes = False
            self._on_done = None
            # the buttons first: what on_done shows can be used at once
            if ev.error:
                self._set_busy(False, "Cancelled.")
                if ev.cancelled:
                    self.log_line(ev.error)
                else:
                    self.show_error(ev.error)
            elif self.cancel_requested:
                # The job stopped early but returned what it did: not "Done".
                self._set_busy(False, "Cancelled.")
            else:
                self._set_busy(False, "Done")
                self.progress.bar.set(1)
            self._write_ended()
            if on_done is not None:
                on_done(ev)
            self.later(self._follow_journal_when_free)

    def _follow_journal_when_free(self) -> None:
        if not self._job_active:
            self.follow_journal()

    def _write_ended(self) -> None:
        """The question "a write is running: stop and close?" is gone once the write is."""
        dialog, self.close_dialog = self.close_dialog, None
        if dialog is None:
            return
        try:
            if dialog.winfo_exists():
                dialog.destroy()
        except Exception:  # noqa: BLE001 - already gone
            pass
        self.log_line("The write has ended; the window can be closed now.")
