"""History tab: every run from the journal, its changes, and Undo through the plan preview.

Undo is a job like any other: prepare (read current values, build the
inverse plan) -> review in the preview -> apply (journaled as a new run).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import customtkinter as ctk

from ratings_gui.core.plan import Plan, Report
from ratings_gui.core.registry import title_of
from ratings_gui.gui.dialogs import PinDialog
from ratings_gui.gui.plan_preview import value_text
from ratings_gui.gui.tabs import Tab, TabEntry, register_tab
from ratings_gui.gui.widgets import SECONDARY, Button, field_text, make_tree
from ratings_gui.jobs.runner import Finished
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.journal import Outcomes, row_outcome

#: Change rows shown for one run (a run may hold 100,000).
CHANGE_ROWS = 2000

T = TypeVar("T")


class HistoryUnreadable(Exception):
    """The journal could not be read (closed): one plain sentence for the window."""

    plain_message = True


def _read(fn: Callable[[], T]) -> T:
    """``fn()`` on a task; a closed journal becomes a plain sentence, not sqlite's words."""
    try:
        return fn()
    except sqlite3.ProgrammingError as exc:
        raise HistoryUnreadable("the history database is closed.") from exc


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""


def run_values(run: Any) -> tuple[Any, ...]:
    """One row of the runs table: the job in words, whose ratings it changed, and its
    changes in the outcome words the run's result used (the same numbers)."""
    title = title_of(run.job)
    job = title if run.undo_of is None else f"{title} of run {run.undo_of}"
    status = f"{run.status} (dry run)" if run.dry_run else run.status
    o = run.outcomes
    if o.pending:  # interrupted mid-write: settled when undone or run again
        status += f", {o.pending:,} pending"
    return (
        run.id,
        _when(run.started_at),
        job,
        run.library,
        getattr(run, "user_name", "") or "you",
        status,
        o.written,
        o.not_sent,
        o.failed,
        o.left_alone,
        o.undone,
    )


def changes_title(run_id: int, outcomes: Outcomes, listed: int, recorded: int) -> str:
    """``Changes of run 4: 1,047 · 449 written · 598 not sent · 0 failed``, and what is listed.

    Changes a Cancel kept back before their chunk was recorded have no row:
    the title says how many rows there are.
    """
    text = f"Changes of run {run_id}: {outcomes.total:,} · {outcomes.text()}"
    if outcomes.undone:
        text += f" · {outcomes.undone:,} undone"
    if recorded < outcomes.total:
        text += f" (listed: the {recorded:,} recorded one by one)"
    if listed < recorded:
        text += f" (showing {listed:,} of {recorded:,})"
    return text


class HistoryTab(Tab):
    """Runs (newest first), the selected run's changes, and Undo."""

    def build(self) -> Iterator[None]:
        """In parts (see :meth:`Tab.ensure_built`): the runs, then the changes below them;
        the undo plan's preview is made on the first Undo (24 ms nobody may need)."""
        self._undo_run: int | None = None
        #: Runs as last read, by id (Undo asks whose run it was here, not the journal).
        self._runs: dict[int, Any] = {}
        #: Read numbers: asked for, and the last that came back (runs, then changes).
        self._runs_seq = self._runs_done = 0
        self._changes_seq = self._changes_done = 0
        self._changes_for: int | None = None  # the run whose changes were asked for last
        self._want_run: int | None = None  # to select once the runs being read arrive
        _options, bar, f = self.job_layout(defaults=False)
        # Runs get less room than the lower area, where plans are reviewed.
        f.grid_rowconfigure(0, weight=1)
        f.grid_rowconfigure(2, weight=2)
        self._build_bar(bar)
        self._build_runs(f)
        yield
        self._build_lower(f)
        self.start_buttons = [self.undo_button]
        self.refresh()

    def _build_bar(self, bar: Any) -> None:
        """The title, how many runs, Refresh and Undo run…."""
        ctk.CTkLabel(bar, text="Runs", font=ctk.CTkFont(size=15, weight="bold")).pack(side="left")
        self.summary_label = ctk.CTkLabel(bar, text="", text_color=("gray35", "gray65"))
        self.summary_label.pack(side="left", padx=12)
        self.undo_button = Button(bar, text="Undo run…", width=110, command=self.undo)
        self.undo_button.pack(side="right")
        self.refresh_button = Button(
            bar,
            text="Refresh",
            width=90,
            command=self.refresh,
            **SECONDARY,
        )
        self.refresh_button.pack(side="right", padx=8)

    def _build_runs(self, f: Any) -> None:
        """The runs table: each run's job in words, whose ratings, and its outcome counts."""
        self.runs_tree, holder = make_tree(
            f,
            [
                # at 1040x640 every column fits (about 985 px); wider windows go to the words
                ("id", "Run", 44, False),
                ("time", "Started", 140, False),
                ("job", "Job", 130, True),
                ("library", "Library", 86, True),
                ("user", "User", 64, True),
                ("status", "Status", 124, False),
                ("written", "Written", 76, False),
                ("not_sent", "Not sent", 82, False),
                ("failed", "Failed", 62, False),
                ("left_alone", "Left alone", 96, False),
                ("undone", "Undone", 76, False),
            ],
            height=4,
        )
        holder.grid(row=0, column=0, sticky="nsew", padx=4)
        self.runs_tree.bind("<<TreeviewSelect>>", lambda _e: self._selected())

    def _build_lower(self, f: Any) -> None:
        """Below: the selected run's changes, or the undo plan under review in their place."""
        self.changes_title = ctk.CTkLabel(
            f, text="Select a run to see its changes.", anchor="w", font=ctk.CTkFont(weight="bold")
        )
        self.changes_title.grid(row=1, column=0, sticky="ew", padx=6, pady=(8, 2))
        # The lower area shows either the run's changes or the undo plan for review.
        self.lower = ctk.CTkFrame(f, fg_color="transparent")
        self.lower.grid(row=2, column=0, sticky="nsew", padx=4, pady=(0, 2))
        self.lower.grid_columnconfigure(0, weight=1)
        self.lower.grid_rowconfigure(0, weight=1)
        self.changes_tree, self._changes_holder = make_tree(
            self.lower,
            [
                ("item", "Item", 360, True),
                ("field", "Field", 90, False),
                ("old", "Old", 110, False),
                ("new", "New", 110, False),
                ("status", "Status", 160, True),
            ],
            height=6,
        )
        self._changes_holder.grid(row=0, column=0, sticky="nsew")

    # --- runs ---------------------------------------------------------------------------
    # The journal is read on a task beside the job: counting a big journal's changes takes
    # longer than the window may stand still (367 ms for 20 runs of 50,000). Each read
    # carries a number; an answer older than the newest request is dropped.

    def on_show(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Reload runs from the journal on a task, keeping the selection; the tree keeps its
        rows until the new ones arrive."""
        self._runs_seq += 1
        seq = self._runs_seq
        self.summary_label.configure(text="Reading the history…")
        journal = self.app.journal
        self.window.run_task(
            lambda: _read(journal.runs),
            lambda ev: self._runs_read(seq, ev),
            name="history-runs",
        )

    def _runs_read(self, seq: int, ev: Finished) -> None:
        """The runs arrived (Tk thread): fill the tree unless a newer read was asked for."""
        if seq != self._runs_seq or not self.frame.winfo_exists():
            return
        self._runs_done = seq
        if ev.error:
            self.summary_label.configure(text=f"History not read: {ev.error}")
            self.window.log_line(f"History not read: {ev.error}")
            return
        runs: list[Any] = ev.result
        keep = self._want_run if self._want_run is not None else self.selected_run_id()
        self._want_run = None
        self._runs = {run.id: run for run in runs}
        self.runs_tree.delete(*self.runs_tree.get_children())
        for run in runs:
            self.runs_tree.insert("", "end", iid=str(run.id), values=run_values(run))
        self.summary_label.configure(text=f"{len(runs)} run(s)" if runs else "No runs yet.")
        if keep is not None and self.runs_tree.exists(str(keep)):
            self.select_run(keep)
        else:
            self.show_changes()

    @property
    def reading(self) -> bool:
        """A read of the runs or of a run's changes has not come back yet (or the tab is still
        being built: its runs are read at the end)."""
        return (
            self.building
            or self._runs_seq != self._runs_done
            or self._changes_seq != self._changes_done
        )

    def selected_run_id(self) -> int | None:
        sel = self.runs_tree.selection()
        return int(sel[0]) if sel else None

    def select_run(self, run_id: int) -> None:
        """Select the run and show its changes; a run not listed yet is selected when the
        runs being read arrive (a run just made)."""
        iid = str(run_id)
        if self.runs_tree.exists(iid):
            self.runs_tree.selection_set(iid)
            self.runs_tree.see(iid)
            self.show_changes()
        elif self._runs_seq != self._runs_done:
            self._want_run = run_id

    def _selected(self) -> None:
        """A click on a run: read its changes unless they are read or being read already."""
        if self.selected_run_id() != self._changes_for or self.plan is not None:
            self.show_changes()

    def show_changes(self) -> None:
        """The selected run's changes: item, field, old -> new in stars, status (read on a
        task; only the rows shown are read, the totals come from the run's counts)."""
        if self.plan is not None:
            return
        self._changes_seq += 1
        seq = self._changes_seq
        run_id = self._changes_for = self.selected_run_id()
        if run_id is None:
            self._changes_done = seq
            self.changes_tree.delete(*self.changes_tree.get_children())
            self.changes_title.configure(text="Select a run to see its changes.")
            return
        self.changes_title.configure(text=f"Reading the changes of run {run_id}…")
        journal = self.app.journal

        def read() -> tuple[list[Any], Any]:
            return _read(lambda: (journal.changes(run_id, limit=CHANGE_ROWS), journal.run(run_id)))

        self.window.run_task(
            read, lambda ev: self._changes_read(seq, run_id, ev), name="history-changes"
        )

    def _changes_read(self, seq: int, run_id: int, ev: Finished) -> None:
        """A run's changes arrived (Tk thread): shown unless a newer read or a plan came."""
        if seq != self._changes_seq or not self.frame.winfo_exists():
            return
        self._changes_done = seq
        if self.plan is not None:  # an undo plan took the changes' place meanwhile
            return
        if ev.error:
            self.changes_title.configure(text=f"Changes of run {run_id} not read: {ev.error}")
            return
        rows, run = ev.result
        self.changes_tree.delete(*self.changes_tree.get_children())
        for row in rows:
            ch = row.change
            self.changes_tree.insert(
                "",
                "end",
                iid=str(row.id),
                values=(
                    ch.label or ch.target,
                    field_text(ch.field),
                    value_text(ch.field, ch.old),
                    value_text(ch.field, ch.new),
                    row_outcome(row.status, row.error),
                ),
            )
        if run is None:
            self.changes_title.configure(text=f"Changes of run {run_id}: {len(rows):,}")
            return
        recorded = run.applied + run.failed + run.not_sent + run.undone + run.pending
        self.changes_title.configure(text=changes_title(run_id, run.outcomes, len(rows), recorded))

    # --- undo ------------------------------------------------------------------------------

    def undo(self) -> None:
        """Prepare the undo of the selected run on the worker; the plan comes back for review.

        Whose run it was comes from the runs already read (no journal read here).
        """
        run_id = self.selected_run_id()
        if run_id is None:
            self.window.show_error("Select a run to undo first.")
            return
        run = self._runs.get(run_id)
        conn = self.app.connection
        member = self._member_of(run.user) if run is not None and conn is not None else None
        if member is not None and member.protected and run.user != conn.user:
            # the run was made as a member with a PIN: undo runs as them, so ask it first
            self.pin_dialog = PinDialog(
                self.frame.winfo_toplevel(),
                member.name,
                lambda pin: self._undo(run_id, pin) if pin else None,
            )
            return
        self._undo(run_id, None)

    def _member_of(self, uuid: str) -> Any:
        """The Plex Home member with this uuid, as the Plex tab listed them (None: unknown)."""
        if not uuid:
            return None
        users = getattr(self.window.plex_tab, "home_users", {}) or {}
        return next((u for u in users.values() if u.uuid == uuid), None)

    def _undo(self, run_id: int, pin: str | None) -> None:
        job = UndoJob(self.app, run_id)
        job.pin = pin
        self._undo_run = run_id
        self.preview_job(job, name="undo", phase=f"Reading current values for run {run_id}…")

    def plan_title(self, plan: Plan) -> str:
        return f"Undo run {self._undo_run}"

    def show_plan(self, plan: Plan | None = None, *, rows: list[Any] | None = None) -> Any:
        """The undo plan takes the place of the run's changes while it is reviewed."""
        self._changes_holder.grid_remove()
        preview = self.make_preview(self.lower)  # made on the first undo, in the same place
        preview.grid(row=0, column=0, sticky="nsew")
        self.changes_title.configure(
            text=f"Undo of run {self._undo_run}: review, then Apply or Discard."
        )
        return super().show_plan(plan, rows=rows)

    def planned(self, plan: Plan, result: Any) -> None:
        self.say(f"Undo of run {self._undo_run} planned: {len(plan):,} change(s).")

    def apply_phase(self, plan: Plan) -> str:
        return f"Undoing run {self._undo_run}…"

    def applied(self, report: Report | None) -> None:
        self.refresh()
        if report is not None and report.run_id is not None:
            self.select_run(report.run_id)

    def discard_text(self, plan: Plan) -> str:
        return f"Undo of run {self._undo_run} discarded."

    def plan_closed(self) -> None:
        if self.preview is not None:
            self.preview.grid_remove()
        self._changes_holder.grid()
        self.show_changes()


#: This tab, declared once (the window finds it; no list to edit).
ENTRY = TabEntry(
    "history",
    "History",
    "Every run this program made, what it changed, and Undo for any of them.",
    order=70,
)
TAB = register_tab(ENTRY, HistoryTab)
