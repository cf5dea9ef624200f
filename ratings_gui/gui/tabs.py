"""The tab registry and the base class every tab builds on.

A feature lands as one module ``ratings_gui/gui/tab_<name>.py`` that
defines a :class:`Tab` subclass and names it ``TAB = MyTab``; the window
finds it by the name in :data:`TABS`. A job tab builds its widgets, reads
its options and hands a job to :meth:`Tab.preview_job`: preview, Apply and
Discard are written here once.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import customtkinter as ctk

from ratings_gui.context import AppContext
from ratings_gui.core.plan import Change, Plan, Report
from ratings_gui.core.registry import title_of
from ratings_gui.gui.header import Header
from ratings_gui.gui.library_picker import NO_MUSIC_LIBRARY, LibraryPicking
from ratings_gui.gui.plan_preview import PlanPreview, describe_counts, preview_rows
from ratings_gui.gui.tabparts import BuiltInParts
from ratings_gui.gui.widgets import MUTED_COLOR, SECONDARY, Button, count_text, set_enabled, tip
from ratings_gui.jobs.policy import apply_job
from ratings_gui.jobs.runner import Finished, JobContext, JobRunner
from ratings_gui.journal import Outcomes
from ratings_gui.journal.writeloop import CANCELLED, quiet

#: The plan's share of a job tab never shrinks below this (about 8 rows with its buttons).
PLAN_MIN_HEIGHT = 300


@dataclass(frozen=True)
class TabEntry:
    """One tab: settings name, title, what it is for, and where it sits among the tabs."""

    name: str
    title: str
    purpose: str = ""
    #: Tabs are shown by this number, smallest first.
    order: int = 100


T = TypeVar("T")


class DuplicateTab(ValueError):
    """Two tabs registered under one name."""


_TABS: dict[str, tuple[TabEntry, type]] = {}


def register_tab(entry: TabEntry, cls: type[T]) -> type[T]:
    """A tab module declares its tab once (``TAB = register_tab(TabEntry(...), MyTab)``)."""
    old = _TABS.get(entry.name)
    if old is not None and old[1] is not cls:
        raise DuplicateTab(f"two tabs are named {entry.name!r}")
    _TABS[entry.name] = (entry, cls)
    return cls


def tab_entries() -> list[TabEntry]:
    """Every tab, in order: each ``gui/tab_*.py`` module is imported and registers itself."""
    package = importlib.import_module(__package__ or "ratings_gui.gui")
    for mod in pkgutil.iter_modules(package.__path__):
        if mod.name.startswith("tab_"):
            importlib.import_module(f"{package.__name__}.{mod.name}")
    return sorted((e for e, _ in _TABS.values()), key=lambda e: (e.order, e.name))


class Window(Protocol):
    """What a tab uses of the window (:class:`ratings_gui.gui.app.App`), which builds the tabs:
    the tabs see this much of it and do not import it."""

    app: AppContext
    header: Header
    runner: JobRunner

    @property
    def busy(self) -> bool: ...

    @property
    def cancel_requested(self) -> bool: ...

    def start_job(
        self,
        work: Callable[[JobContext], Any],
        *,
        name: str,
        phase: str = "",
        on_done: Callable[[Finished], None] | None = None,
        writes: bool = False,
    ) -> bool: ...

    def run_task(
        self, func: Callable[[], Any], then: Callable[[Finished], None], *, name: str
    ) -> threading.Thread: ...

    def cancel_job(self) -> None: ...

    def preview_shown(self, preview: PlanPreview) -> None: ...

    def connection_changed(self) -> None: ...

    def known_libraries(self) -> list[Any] | None: ...

    def log_line(self, text: str) -> None: ...

    def show_error(self, text: str) -> None: ...

    def set_status(self, text: str) -> None: ...


class Tab(BuiltInParts, LibraryPicking):
    """Base of every tab: its frame, remembered options, and jobs through the window.

    Rules a tab follows: read every widget value on the main thread BEFORE
    calling :meth:`run_job` and pass plain values into the work function;
    the work function never touches a widget. Buttons that start a job go
    in :attr:`start_buttons` so the window disables them while busy.
    """

    name = ""
    title = ""
    #: Works on one music library, picked in ``self.library_menu``.
    music_tab = False

    def __init__(self, window: Window, frame: ctk.CTkFrame, entry: TabEntry) -> None:
        self.window = window
        self.app = window.app
        self.frame = frame
        self.entry = entry
        self.name = entry.name
        self.title = entry.title
        self.start_buttons: list[Any] = []
        self.preview: PlanPreview | None = None
        #: run id -> its outcome (read from the journal) and result rows, made by its worker
        self._outcomes: dict[int | None, tuple[RunOutcome, list[Change]]] = {}
        #: The last run's result on screen (follows the journal until the next preview).
        self._result: ShownResult | None = None
        #: The job whose plan is under review, and that plan (None: nothing to apply).
        self.plan_job: Any = None
        self.plan: Plan | None = None
        self.log = logging.getLogger(f"ratings_gui.gui.{entry.name}")
        #: The widgets are built the first time the tab is shown or asked for (a window
        #: opens in a fraction of the time, and the tabs nobody opens cost nothing).
        self.built = False
        self.init_parts()

    # --- hooks for subclasses ----------------------------------------------------

    def build(self) -> Iterator[None] | None:
        """Create the widgets inside :attr:`frame`; a generator builds in parts (each
        ``yield`` ends a part: the window draws and answers before the next)."""

    def on_show(self) -> None:
        """The user switched to this tab."""

    def set_busy(self, busy: bool) -> None:
        """A job started or ended somewhere: disable or enable this tab's start buttons."""
        for b in self.start_buttons:
            try:
                set_enabled(b, not busy)
            except Exception:  # noqa: BLE001 - a widget already destroyed
                pass
        if self.preview is not None:
            self.preview.set_busy(busy)

    def on_close(self) -> None:
        """The window is closing: remember options here."""

    def restore_defaults(self) -> None:
        """Put every option of this tab back to its default (the library stays)."""

    # --- layout of a job tab ----------------------------------------------------------

    def job_layout(
        self, *, defaults: bool = True
    ) -> tuple[ctk.CTkFrame, ctk.CTkFrame, ctk.CTkFrame]:
        """The shape every job tab shares: what it is for, its options, its buttons, and
        below them the plan, which takes all the height that is left.

        Returns (options, bar, body); the tab fills them. The body keeps at
        least :data:`PLAN_MIN_HEIGHT` so a plan always shows its first rows.
        """
        f = self.frame
        f.grid_columnconfigure(0, weight=1)
        f.grid_rowconfigure(3, weight=1, minsize=PLAN_MIN_HEIGHT)
        head = ctk.CTkFrame(f, fg_color="transparent")
        head.grid(row=0, column=0, sticky="ew", padx=4)
        self.purpose_label = ctk.CTkLabel(
            head, text=self.entry.purpose, anchor="w", text_color=MUTED_COLOR, height=22
        )
        self.purpose_label.pack(side="left", fill="x", expand=True, padx=(4, 0))
        self.defaults_button = Button(
            head,
            text="Restore defaults",
            width=120,
            height=22,
            command=self.restore_defaults,
            **SECONDARY,
        )
        if defaults:
            self.defaults_button.pack(side="right")
        tip(
            "Put this tab's options back to how the program starts; nothing is written.",
            self.defaults_button,
        )
        options = ctk.CTkFrame(f)
        if defaults:  # a tab without options has no options box either
            options.grid(row=1, column=0, sticky="ew", padx=4, pady=(2, 2))
        bar = ctk.CTkFrame(f, fg_color="transparent")
        bar.grid(row=2, column=0, sticky="ew", padx=4, pady=(2, 2))
        body = ctk.CTkFrame(f, fg_color="transparent")
        body.grid(row=3, column=0, sticky="nsew")
        self.options_frame, self.bar_frame = options, bar
        body.grid_columnconfigure(0, weight=1)
        body.grid_rowconfigure(0, weight=1)
        return options, bar, body

    def option_line(self, help_text: str) -> tuple[ctk.CTkFrame, ctk.CTkOptionMenu]:
        """The first line of a music tab's options: "Library" and its menu, with help.

        Returns the line (the tab adds its next options to it) and the menu.
        """
        line = ctk.CTkFrame(self.options_frame, fg_color="transparent")
        line.pack(fill="x", padx=2, pady=(3, 0))
        caption = ctk.CTkLabel(line, text="Library")
        caption.pack(side="left", padx=(8, 4), pady=3)
        menu = ctk.CTkOptionMenu(
            line,
            values=[NO_MUSIC_LIBRARY],
            width=200,
            dynamic_resizing=False,
            command=self.library_picked,
        )
        menu.pack(side="left", padx=(8, 4), pady=3)
        tip(help_text, caption, menu)
        return line, menu

    # --- services ------------------------------------------------------------------

    def options(self) -> dict[str, Any]:
        """This tab's remembered options (a copy)."""
        return self.app.settings.tab(self.name)

    def remember(self, **options: Any) -> None:
        """Merge and save options for the next start."""
        opts = self.options()
        opts.update(options)
        self.app.settings.set_tab(self.name, opts)

    def run_job(
        self,
        work: Callable[[JobContext], Any],
        *,
        name: str,
        phase: str = "",
        on_done: Callable[[Finished], None] | None = None,
    ) -> bool:
        """Start ``work`` on the job runner; False when another job is running."""
        return self.window.start_job(work, name=name, phase=phase, on_done=on_done)

    def make_preview(self, parent: Any | None = None) -> PlanPreview:
        """This tab's plan preview, created once; packed at the bottom unless ``parent`` is given.

        :attr:`App.preview` follows whichever preview showed a plan last.
        """
        if self.preview is None and not self._building:
            self.finish_build()  # the tab's own part makes it, in its place
        if self.preview is None:
            self.preview = PlanPreview(
                parent or self.frame,
                on_show=self.window.preview_shown,
                run_job=self.run_job,
                kind_of=self.item_kind,
            )
            if parent is None:
                self.preview.pack(side="bottom", fill="both", expand=True, padx=4, pady=4)
        return self.preview

    # --- preview -> Apply / Discard, written once for every job tab -----------------

    def preview_job(
        self,
        job: Any,
        *,
        name: str,
        phase: str,
        work: Callable[[JobContext], Any] | None = None,
    ) -> bool:
        """Prepare ``job`` on the worker; its plan comes back into this tab's preview.

        ``work`` replaces ``job.prepare`` when the worker has more to do; it
        returns the plan, or an object with a ``plan`` attribute (a payload
        :meth:`planned` gets too). Apply runs ``job.apply`` on the plan shown.
        """
        self.plan_job = job
        make = work or job.prepare

        def prepare(ctx: JobContext) -> tuple[Any, list[Any] | None]:
            """The plan, and its preview's rows made here on the worker, not on the Tk thread."""
            result = make(ctx)
            plan = _plan_of(result)
            return result, preview_rows(plan) if plan is not None else None

        def done(ev: Finished) -> None:
            if ev.error or job is not self.plan_job:
                return
            result, rows = ev.result
            plan = _plan_of(result)
            if plan is not None:
                self.plan = plan
                self.show_plan(plan, rows=rows)
                self.planned(plan, result)

        return self.run_job(prepare, name=name, phase=phase, on_done=done)

    def show_plan(self, plan: Plan | None = None, *, rows: list[Any] | None = None) -> PlanPreview:
        """Show ``plan`` (again, after an edit: the one under review) with Apply and Discard;
        ``rows``: its preview rows when the worker made them."""
        self._result = None  # a run's result is shown until the next preview
        preview = self.make_preview()
        plan = plan if plan is not None else self.plan
        if plan is not None:
            preview.show(
                plan,
                on_apply=self.apply,
                on_discard=self.discard,
                title=self.plan_title(plan),
                rows=rows,
            )
        return preview

    def apply(self, plan: Plan) -> bool:
        """Apply: ``job.apply(plan)`` on the worker, the report logged, then :meth:`applied`.

        On an error the plan stays up (Apply enabled again) so the user can
        retry or discard it.
        """
        job = self.plan_job
        if job is None:
            return False

        def done(ev: Finished) -> None:
            if ev.error:
                if self.preview is not None:
                    self.preview.set_busy(False)
                return
            report = ev.report
            if report is not None:
                self.say(self.report_text(report))
                for change, error in report.failed[:20]:
                    self.say(f"  failed: {change.label or change.target}: {error}")
            self.close_plan()
            if report is not None:
                self.show_result(plan, report)
            self.applied(report)

        def work(ctx: JobContext) -> Report:
            report = apply_job(self.app, job, plan, ctx)
            # the run read back from the journal, and its rows, here on the worker: nothing
            # proportional to the plan's size on the Tk thread
            outcome = RunOutcome.of(
                plan, report, cancelled=ctx.cancel_event.is_set(), journal=self.app.journal
            )
            rows = result_rows(plan, report, cancelled=outcome.cancelled)
            self._outcomes[report.run_id] = (outcome, rows + self.result_rows(plan, report))
            return report

        return self.window.start_job(
            work, name=plan.job, phase=self.apply_phase(plan), on_done=done, writes=True
        )

    def show_result(self, plan: Plan, report: Report) -> None:
        """What the run did stays on screen (until the next preview): counts that add up to
        the plan, read back from the journal (History counts the same), and the rows that
        were not written, with their reasons."""
        ready = self._outcomes.pop(report.run_id, None)
        if ready is not None:
            outcome, rows = ready
        else:
            outcome = RunOutcome.of(plan, report, cancelled=self.window.cancel_requested)
            rows = result_rows(plan, report, cancelled=outcome.cancelled)
            rows += self.result_rows(plan, report)
        self.window.set_status(outcome.status(title_of(plan.job)))
        self._result = ShownResult(len(plan), report, rows, outcome)
        self._show_outcome(self._result)

    def _show_outcome(self, shown: ShownResult) -> None:
        outcome = shown.outcome
        self.make_preview().show_result(
            f"{outcome.word}: {title_of(shown.report.job)} run {shown.report.run_id}",
            outcome.counts_text(),
            shown.rows,
            empty_text=outcome.empty_text(),
        )

    def follow_journal(self) -> None:
        """The result on screen follows the journal: a run undone since says so.

        The window calls this after every job and on every tab switch; one
        small query, and the preview is redrawn only when the words change.
        """
        shown = getattr(self, "_result", None)
        if shown is None or self.plan is not None or shown.report.run_id is None:
            return
        if self.window.job_running:  # it holds the journal: never wait for it on the Tk thread
            return
        run_id = shown.report.run_id

        def read() -> RunOutcome | None:  # off the Tk thread: a big run's counts take a while
            return RunOutcome.of_run(self.app.journal, run_id, shown.outcome)

        def then(ev: Finished) -> None:
            now = None if ev.error else ev.result
            current = getattr(self, "_result", None)
            if now is None or current is not shown or now == shown.outcome or self.plan is not None:
                return
            self._result = ShownResult(shown.planned, shown.report, shown.rows, now)
            self._show_outcome(self._result)

        self.window.runner.run_task(read, then, name="follow-journal")

    def discard(self, plan: Plan) -> None:
        """Discard: nothing is written; the preview empties."""
        self.say(self.discard_text(plan))
        self.close_plan()

    def close_plan(self) -> None:
        """Forget the plan under review (after Apply or Discard)."""
        self.plan_job = None
        self.plan = None
        if self.preview is not None:
            self.preview.clear()
            self.window.preview_closed(self.preview)
        self.plan_closed()

    # --- hooks of the preview flow (defaults suit most tabs) ------------------------

    def plan_title(self, plan: Plan) -> str:
        """The preview's title for ``plan``: the job in words."""
        return f"Plan: {title_of(plan.job)}"

    def item_kind(self, change: Change) -> str:
        """What a plan row's item is (artist, album, track), for the Field column; "" unknown."""
        return ""

    def planned(self, plan: Plan, result: Any) -> None:
        """The plan is on screen: one log line (tabs add their notes)."""
        self.say(f"{self.plan_title(plan)}: {describe_counts(plan)}.")

    def apply_phase(self, plan: Plan) -> str:
        return f"Writing {len(plan):,} changes…"

    def report_text(self, report: Report) -> str:
        """The log line for a finished apply."""
        return report_line(report)

    def applied(self, report: Report | None) -> None:
        """After a finished apply (the plan is already closed, the result shown)."""

    def result_rows(self, plan: Plan, report: Report) -> list[Change]:
        """More rows for the results panel (Import: the rows that matched nothing)."""
        return []

    def discard_text(self, plan: Plan) -> str:
        return f"{self.title} plan discarded."

    def plan_closed(self) -> None:
        """The plan left the preview: tabs clear their notes here."""

    def say(self, text: str) -> None:
        """A line in the shared log pane (redacted there)."""
        self.window.log_line(text)


@dataclass(frozen=True)
class RunOutcome:
    """A finished apply in the user's terms: every planned change is written, not sent,
    failed or left alone, so they always add up to the plan (a cancelled run included).

    Read from the journal (:attr:`RunRow.outcomes`), so the result line and
    History say the same numbers; a later undo shows here as well.
    """

    planned: int
    written: int
    not_sent: int
    failed: int
    cancelled: bool
    left_alone: int = 0
    #: On the wire when the run stopped: settled against the server on the next run.
    pending: int = 0
    #: Of the written, how many a later undo took back, and the undo's run ids.
    undone: int = 0
    undone_by: tuple[int, ...] = ()

    @classmethod
    def of(cls, plan: Plan, report: Report, *, cancelled: bool, journal: Any = None) -> RunOutcome:
        """The run's outcome from the journal; from the report when the run has no row."""
        run = None
        if journal is not None and report.run_id is not None:
            try:
                run = journal.run(report.run_id)
            except Exception:  # noqa: BLE001 - the report still says what happened
                run = None
        if run is not None:
            return cls.from_outcomes(
                run.outcomes, cancelled, tuple(journal.undone_by(report.run_id))
            )
        planned = len(plan)
        written = min(planned, report.changes)
        done = {c.key for c in report.applied}
        failed = sum(1 for c, e in report.failed if not quiet(e) and c.key not in done)
        failed = min(planned - written, failed)
        left = {c.key for c, _ in report.left_alone} - done - {c.key for c, _ in report.failed}
        left_alone = min(planned - written - failed, len(left))
        not_sent = planned - written - failed - left_alone
        return cls(planned, written, not_sent, failed, cancelled, left_alone)

    @classmethod
    def from_outcomes(
        cls, o: Outcomes, cancelled: bool, undone_by: tuple[int, ...] = ()
    ) -> RunOutcome:
        return cls(
            o.total, o.written, o.not_sent, o.failed, cancelled, o.left_alone, o.pending,
            o.undone, undone_by,
        )  # fmt: skip

    @classmethod
    def of_run(cls, journal: Any, run_id: int, before: RunOutcome) -> RunOutcome | None:
        """The same run read again (None: it is gone from the journal)."""
        run = journal.run(run_id)
        if run is None:
            return None
        return cls.from_outcomes(run.outcomes, before.cancelled, tuple(journal.undone_by(run_id)))

    @property
    def outcomes(self) -> Outcomes:
        return Outcomes(
            self.written, self.not_sent, self.failed, self.left_alone, self.pending, self.undone
        )

    @property
    def word(self) -> str:
        if self.undone and self.undone >= self.written:
            return "Undone"
        if self.cancelled:
            return "Cancelled"
        return "Done with errors" if self.failed or self.not_sent or self.pending else "Done"

    def undone_text(self) -> str:
        """``12 undone by run 6`` ("" when nothing was undone)."""
        if not self.undone:
            return ""
        runs = ", ".join(str(r) for r in self.undone_by)
        by = f" by run {runs}" if len(self.undone_by) == 1 else f" by runs {runs}" if runs else ""
        return f"{self.undone:,} undone{by}"

    def counts_text(self) -> str:
        """``449 written · 598 not sent · 0 failed · of 1,047 planned`` (+ left alone, undone)."""
        text = f"{self.outcomes.text()} · of {self.planned:,} planned"
        undone = self.undone_text()
        return f"{text} · {undone}" if undone else text

    def empty_text(self) -> str:
        """What the list of rows not written says when it is empty."""
        if self.not_sent or self.failed or self.left_alone or self.pending:
            return "Nothing to list."
        if self.undone:
            return f"Every planned change was written; {self.undone_text()}."
        return "Every planned change was written."

    def status(self, title: str) -> str:
        return f"{self.word}: {title}: {self.counts_text()}."


@dataclass(frozen=True)
class ShownResult:
    """The run result a tab shows, kept so it can follow the journal (an undo)."""

    planned: int
    report: Report
    rows: list[Change]
    outcome: RunOutcome


def result_rows(plan: Plan, report: Report, *, cancelled: bool) -> list[Change]:
    """The planned changes that were not written, each with why, in the outcome words."""
    done = {c.key for c in report.applied}
    rows: list[Change] = []
    seen = set(done)
    for c, e in report.failed:
        if c.key in done:
            continue
        seen.add(c.key)
        if e == CANCELLED:
            reason = "not sent: cancelled"
        elif quiet(e):
            reason = e
        else:
            reason = f"failed: {e}"
        rows.append(Change(c.target_kind, c.target, c.field, c.old, c.new, reason, c.label))
    for c, why in report.left_alone:
        if c.key in seen:
            continue
        seen.add(c.key)
        rows.append(
            Change(c.target_kind, c.target, c.field, c.old, c.new, f"left alone: {why}", c.label)
        )
    reason = "not sent: cancelled" if cancelled else "not sent"
    rows += [
        Change(c.target_kind, c.target, c.field, c.old, c.new, reason, c.label)
        for c in plan.changes
        if c.key not in seen
    ]
    return rows


def report_line(report: Report) -> str:
    """``Base rating, run 3: 287 applied, 16 unchanged…``: a run's counts in one log line."""
    counts = ", ".join(count_text(v, k) for k, v in sorted(report.counts.items()) if v)
    title = title_of(report.job)
    head = f"{title} run {report.run_id}" if report.run_id is not None else title
    return f"{head}: {counts or 'nothing done'}"


def tab_class(entry: TabEntry) -> type[Tab]:
    """The Tab subclass registered for ``entry``."""
    cls = _TABS[entry.name][1]
    if not (isinstance(cls, type) and issubclass(cls, Tab)):
        raise TypeError(f"the tab {entry.name!r} must register a Tab subclass")
    return cls


def _plan_of(result: Any) -> Plan | None:
    """The plan a preview's work returned: itself, or its ``plan`` attribute."""
    plan = result if isinstance(result, Plan) else getattr(result, "plan", None)
    return plan if isinstance(plan, Plan) else None
