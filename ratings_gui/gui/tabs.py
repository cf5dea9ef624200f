"""The tab registry and the base class every tab builds on.

A feature lands as one module ``ratings_gui/gui/tab_<name>.py`` that
defines a :class:`Tab` subclass and names it ``TAB = MyTab``. The window
finds it by the name in :data:`TABS`; until the module exists the tab
shows its "coming" note. No other file needs editing to add a tab.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import customtkinter as ctk

from ratings_gui.core.plan import Plan, Report
from ratings_gui.gui.plan_preview import PlanPreview
from ratings_gui.gui.widgets import set_enabled

if TYPE_CHECKING:
    from ratings_gui.gui.app import App
    from ratings_gui.jobs.runner import Finished, JobContext, PlanReady


@dataclass(frozen=True)
class TabEntry:
    """One tab: settings name (also the module suffix), title and the note shown until it lands."""

    name: str
    title: str
    coming: str = ""


#: Tab order in the window. ``name`` -> module ``ratings_gui.gui.tab_<name>``.
TABS: tuple[TabEntry, ...] = (
    TabEntry("plex", "Plex"),
    TabEntry(
        "import",
        "Import",
        "Coming: bring your IMDb, Letterboxd, TMDB and Trakt ratings into your Plex movies and shows.",
    ),
    TabEntry(
        "tags",
        "Tags",
        "Coming: copy track ratings between Plex and the rating tags inside your music files, both ways.",
    ),
    TabEntry(
        "base_rating",
        "Base rating",
        "Coming: give unrated tracks a rating you choose, so Plexamp radios and DJs play them.",
    ),
    TabEntry(
        "inference",
        "Inference",
        "Coming: infer album, artist and unrated-track ratings from the ratings you gave yourself.",
    ),
    TabEntry("history", "History"),
)


class Tab:
    """Base of every tab: its frame, remembered options, and jobs through the window.

    Rules a tab follows: read every widget value on the main thread BEFORE
    calling :meth:`run_job` and pass plain values into the work function;
    the work function never touches a widget. Buttons that start a job go
    in :attr:`start_buttons` so the window disables them while busy.
    """

    name = ""
    title = ""

    def __init__(self, app: App, frame: ctk.CTkFrame, entry: TabEntry) -> None:
        self.app = app
        self.ctx = app.ctx
        self.frame = frame
        self.entry = entry
        self.name = entry.name
        self.title = entry.title
        self.start_buttons: list[Any] = []
        self.preview: PlanPreview | None = None
        self.log = logging.getLogger(f"ratings_gui.gui.{entry.name}")
        self.build()

    # --- hooks for subclasses ----------------------------------------------------

    def build(self) -> None:
        """Create the widgets inside :attr:`frame`."""

    def on_show(self) -> None:
        """The user switched to this tab."""

    def on_connection_changed(self) -> None:
        """Server or library changed (``self.ctx.connection`` / ``self.ctx.library``)."""

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

    # --- services ------------------------------------------------------------------

    def options(self) -> dict[str, Any]:
        """This tab's remembered options (a copy)."""
        return self.ctx.settings.tab(self.name)

    def remember(self, **options: Any) -> None:
        """Merge and save options for the next start."""
        opts = self.options()
        opts.update(options)
        self.ctx.settings.set_tab(self.name, opts)

    def list_libraries(
        self, section_type: str, done: Callable[[list[str]], None], *, poll_ms: int = 100
    ) -> None:
        """The server's library titles of one type, listed on a short worker (one request).

        ``done(names)`` runs on the Tk thread; the worker never touches a
        widget. No connection, or a listing that fails, gives ``[]`` (the
        failure as one log line: the Plex tab reports connection trouble).
        """
        conn = self.ctx.connection
        if conn is None:
            done([])
            return
        found: queue.Queue[list[str] | Exception] = queue.Queue()

        def work() -> None:
            from ratings_gui.plex.http import PlexHttp
            from ratings_gui.plex.snapshot import section_titles

            try:
                found.put(section_titles(PlexHttp(conn), section_type))
            except Exception as exc:  # noqa: BLE001 - shown as one line
                found.put(exc)

        def poll() -> None:
            try:
                got = found.get_nowait()
            except queue.Empty:
                try:
                    self.frame.after(poll_ms, poll)
                except Exception:  # noqa: BLE001 - the window is gone
                    pass
                return
            if isinstance(got, Exception):
                self.say(f"{self.title}: libraries not listed ({got})")
                got = []
            done(got)

        threading.Thread(target=work, name=f"{self.name}-libraries", daemon=True).start()
        self.frame.after(poll_ms, poll)

    def fill_library_menu(self, menu: Any, names: list[str], placeholder: str) -> str:
        """Offer ``names``; pick the window's library, else the one this tab used last."""
        menu.configure(values=names or [placeholder])
        wanted = [self.ctx.library, self.options().get("library")]
        pick = next((n for n in wanted if n in names), names[0] if names else placeholder)
        menu.set(pick)
        return pick

    def run_job(
        self,
        work: Callable[[JobContext], Any],
        *,
        name: str,
        phase: str = "",
        on_plan: Callable[[PlanReady], None] | None = None,
        on_done: Callable[[Finished], None] | None = None,
    ) -> bool:
        """Start ``work`` on the job runner; False when another job is running."""
        return self.app.start_job(work, name=name, phase=phase, on_plan=on_plan, on_done=on_done)

    def make_preview(self, parent: Any | None = None) -> PlanPreview:
        """This tab's plan preview, created once; packed at the bottom unless ``parent`` is given.

        :attr:`App.preview` follows whichever preview showed a plan last.
        """
        if self.preview is None:
            self.preview = PlanPreview(parent or self.frame, on_show=self.app.preview_shown)
            if parent is None:
                self.preview.pack(side="bottom", fill="both", expand=True, padx=4, pady=4)
        return self.preview

    def show_plan(
        self,
        plan: Plan,
        *,
        on_apply: Callable[[Plan], None],
        on_discard: Callable[[Plan], None] | None = None,
        title: str | None = None,
    ) -> PlanPreview:
        """Show ``plan`` in this tab's preview with the tab's Apply/Discard actions."""
        preview = self.make_preview()
        preview.show(plan, on_apply=on_apply, on_discard=on_discard, title=title)
        return preview

    def apply_plan_job(
        self,
        job: Any,
        plan: Plan,
        *,
        after: Callable[[Report | None], None],
        describe: Callable[[Report], str] | None = None,
        phase: str | None = None,
    ) -> bool:
        """Run ``job.apply(plan)`` on the worker, log the report and its failures, then ``after``.

        On an error the plan stays up (Apply enabled again) so the user can
        retry or discard it; ``after`` runs only when the apply finished.
        """

        def done(ev: Finished) -> None:
            if ev.error:
                if self.preview is not None:
                    self.preview.set_busy(False)
                return
            report = ev.report
            if report is not None:
                self.say((describe or report_line)(report))
                for change, error in report.failed[:20]:
                    self.say(f"  failed: {change.label or change.target}: {error}")
            after(report)

        return self.run_job(
            lambda jc: job.apply(jc, plan),
            name=plan.job,
            phase=phase or f"Writing {len(plan):,} changes…",
            on_done=done,
        )

    def say(self, text: str) -> None:
        """A line in the shared log pane (redacted there)."""
        self.app.log_line(text)


def report_line(report: Report) -> str:
    """``base-rating run 3: 287 applied, 16 unchanged…``: a run's counts in one log line."""
    counts = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in sorted(report.counts.items()))
    head = f"{report.job} run {report.run_id}" if report.run_id is not None else report.job
    return f"{head}: {counts or 'nothing done'}"


class ComingTab(Tab):
    """Placeholder for a tab whose module has not landed yet: one sentence on what it will do."""

    def build(self) -> None:
        self.note = ctk.CTkLabel(
            self.frame,
            text=self.entry.coming,
            wraplength=560,
            justify="left",
            font=ctk.CTkFont(size=15),
        )
        self.note.pack(padx=24, pady=40, anchor="n")


def tab_class(entry: TabEntry) -> type[Tab]:
    """The class in ``ratings_gui.gui.tab_<name>`` (its ``TAB``), or :class:`ComingTab`."""
    module_name = f"ratings_gui.gui.tab_{entry.name}"
    if importlib.util.find_spec(module_name) is None:
        return ComingTab
    module = importlib.import_module(module_name)
    cls = getattr(module, "TAB", None)
    if not (isinstance(cls, type) and issubclass(cls, Tab)):
        raise TypeError(f"{module_name} must define TAB = <a Tab subclass>")
    return cls
