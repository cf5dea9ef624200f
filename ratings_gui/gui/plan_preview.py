"""The plan review every job shows before writing: counts, a sortable table, CSV export.

A plan may hold 100,000 changes; Tk cannot hold that many rows without
stalling, so the table shows the first :data:`ROW_CAP` (in small chunks
from ``after()``), sorting runs over the full list in Python, and the CSV
export always writes every change.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tkinter import filedialog
from typing import Any

import customtkinter as ctk

from ratings_gui.core.plan import UPDATE, Change, Plan
from ratings_gui.core.scale import format_stars
from ratings_gui.gui.widgets import (
    SECONDARY,
    Button,
    SortableTable,
    TableColumn,
    count_text,
    field_text,
    reason_text,
    set_enabled,
    stars_text,
)

#: Rows placed in the table; the rest are only in the export.
ROW_CAP = 2000
#: Rows inserted per ``after()`` tick, so each tick stays a few milliseconds.
CHUNK = 100
#: Pause between chunks: long enough that input and redraws get their turn in between.
FILL_DELAY_MS = 10

#: What the plan area says before a preview.
NO_PLAN = "No plan yet. Nothing is written before you see the plan here and press Apply."

CSV_COLUMNS = (
    "target_kind",
    "target",
    "label",
    "field",
    "old",
    "new",
    "old_stars",
    "new_stars",
    "reason",
)

_FORMULA_START = ("=", "+", "-", "@")


def neutralise(cell: Any) -> Any:
    """Prefix a quote to text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def value_text(field: str, value: Any) -> str:
    """A change's old/new as a user reads it: stars for ratings, the tag (or "-") for moods."""
    if field == "mood":
        return str(value) if value else "-"
    if field == "watched":
        return "watched" if value else "not watched"
    return stars_text(value)


def _csv_value(value: Any) -> Any:
    return "" if value is None else value


def _csv_stars(value: Any) -> str:
    """The CSV keeps the glyphs alone (its old/new columns hold the numbers)."""
    if isinstance(value, dict) and "rating" in value:
        value = value["rating"]
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_stars(value)
    return str(value)


def write_plan_csv(changes: list[Change], path: str | Path) -> int:
    """Write every change to ``path``; returns the number of data rows."""
    # surrogateescape: a path with non-UTF-8 bytes is written as those very bytes
    with open(path, "w", encoding="utf-8-sig", newline="", errors="surrogateescape") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for ch in changes:
            w.writerow(
                [
                    neutralise(c)
                    for c in (
                        ch.target_kind,
                        ch.target,
                        ch.label,
                        ch.field,
                        _csv_value(ch.old),
                        _csv_value(ch.new),
                        _csv_stars(ch.old),
                        _csv_stars(ch.new),
                        ch.reason,
                    )
                ]
            )
    return len(changes)


def _old_text(ch: Change) -> str:
    if ch.target_kind == "not read" or (ch.target_kind == NOT_WRITTEN and ch.old is None):
        return ""  # no file read, or no item found: nothing to show as "before"
    return value_text(ch.field, ch.old)


def _new_text(ch: Change) -> str:
    return "" if ch.target_kind == "not read" else value_text(ch.field, ch.new)


def plan_columns(kind_of: Callable[[Any], str] | None = None) -> tuple[TableColumn, ...]:
    """The plan's columns over :class:`Change` rows: sorting compares the raw values
    (unrated first, then ratings by value), the cells show stars. ``kind_of(change)``
    names the item (artist, album, track) so the Field column says what is rated."""

    def field_cell(c: Any) -> str:
        kind = kind_of(c) if kind_of is not None and c.target_kind != "not read" else ""
        return f"{kind} {field_text(c.field)}" if kind else field_text(c.field)

    return (
        TableColumn("item", "Item", 420, lambda c: c.label or c.target, stretch=True),
        TableColumn("field", "Field", 105, field_cell),
        TableColumn("old", "Old", 95, lambda c: c.old, row_text=_old_text),
        TableColumn("new", "New", 100, lambda c: c.new, row_text=_new_text),
        TableColumn("reason", "Reason", 220, lambda c: c.reason, text=reason_text, stretch=True),
    )


#: The columns of a plan whose items need no kind (a plan of one kind, or a mixed result).
COLUMNS = plan_columns()
#: The Item column's share of the room the fixed columns leave (the Reason has the rest).
ITEM_SHARE = 0.62


@dataclass(frozen=True)
class NotReadRow:
    """A row the plan will not write, listed under the changes with why (never applied):
    a file it could not read, or a row of a plan that lists what it leaves out."""

    target: str
    label: str
    reason: str
    target_kind: str = "not read"
    field: str = "file"
    old: Any = None
    new: Any = None


#: The kind of a listed row that is not written (see :data:`LIST_SKIPPED`).
NOT_WRITTEN = "not written"
#: A plan option: list every skipped row under the changes (a restore's rows not found,
#: ambiguous or in conflict), with the value it would have written.
LIST_SKIPPED = "list_skipped"
#: A skipped row's key: list this one row (a rating of yours kept against the file's).
SHOW = "show_in_preview"


def preview_rows(plan: Plan) -> list[Any]:
    """The plan's changes, then every file it could not read (missing, unreadable...),
    every rating of yours it keeps against the source (:data:`SHOW`) and, for a plan
    that asks (:data:`LIST_SKIPPED`), every row it leaves out."""
    problems = [
        NotReadRow(str(s.get("target", "")), str(s.get("label", "")), str(s.get("reason", "")))
        for s in plan.skipped
        if s.get("file_problem")
    ]
    every = bool(plan.options.get(LIST_SKIPPED))
    problems += [
        NotReadRow(
            str(s.get("key", "")),
            str(s.get("label") or s.get("title", "")),
            f"{s.get('reason', '')}: {s['detail']}" if s.get("detail") else str(s["reason"]),
            target_kind=NOT_WRITTEN,
            field="userRating",
            old=s.get("current"),
            new=s.get("rating"),
        )
        for s in plan.skipped
        if not s.get("file_problem") and (every or s.get(SHOW))
    ]
    return [*plan.changes, *problems]


def describe_counts(plan: Plan) -> str:
    """``100,000 to change · 12 unchanged · 3 not found`` (changes first)."""
    counts = dict(plan.counts)
    n = counts.pop(UPDATE, len(plan.changes))
    parts = [f"{n:,} to change" if n else "nothing to change"]
    for name, value in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if value:
            parts.append(count_text(value, name))
    return " · ".join(parts)


class PlanPreview(ctk.CTkFrame):
    """Shows one plan; Apply and Discard call back into the tab that asked for the review."""

    def __init__(
        self,
        parent: Any,
        *,
        on_apply: Callable[[Plan], None] | None = None,
        on_discard: Callable[[Plan], None] | None = None,
        on_show: Callable[[PlanPreview], None] | None = None,
        row_cap: int = ROW_CAP,
        run_job: Callable[..., bool] | None = None,
        kind_of: Callable[[Any], str] | None = None,
    ) -> None:
        super().__init__(parent)
        #: The tab's run_job: a 100,000-row export is written on the worker, not the Tk thread.
        self._run_job = run_job
        self.on_apply = on_apply
        self.on_discard = on_discard
        self._on_show = on_show
        self.plan: Plan | None = None
        #: After Apply: the rows that were not written, shown until the next preview.
        self.result_rows: list[Change] = []

        self._build_top()
        self._build_buttons()
        self.table = SortableTable(
            self,
            plan_columns(kind_of),
            height=6,
            row_cap=row_cap,
            chunk=CHUNK,
            delay_ms=FILL_DELAY_MS,
            empty_text="Nothing to change.",
            placeholder=NO_PLAN,
        )
        self.table.pack(fill="both", expand=True, padx=6, pady=2)
        self.tree = self.table.tree
        self.tree.bind("<Configure>", lambda _e: self._share_width(), add="+")

    def _build_top(self) -> None:
        """The plan's title and its counts (the counts wrap instead of running off)."""
        top = ctk.CTkFrame(self, fg_color="transparent")
        top.pack(fill="x", padx=6, pady=(6, 2))
        self.title_label = ctk.CTkLabel(
            top, text="Plan", font=ctk.CTkFont(size=14, weight="bold"), anchor="w"
        )
        self.title_label.pack(side="left")
        self.counts_label = ctk.CTkLabel(top, text="", anchor="w", justify="left")
        self.counts_label.pack(side="left", padx=12, fill="x", expand=True)
        # a long breakdown wraps instead of running off the right edge
        self._top = top
        top.bind("<Configure>", lambda _e: self._wrap_counts(), add="+")

    def _build_buttons(self) -> None:
        """Export CSV…, Apply, Discard: packed before the table, so they keep their place."""
        bottom = ctk.CTkFrame(self, fg_color="transparent")
        # Packed before the table so the buttons keep their place when space is short.
        bottom.pack(side="bottom", fill="x", padx=6, pady=(2, 6))
        self.note_label = ctk.CTkLabel(bottom, text="", anchor="w")
        self.note_label.pack(side="left", fill="x", expand=True)
        self.discard_button = Button(
            bottom, text="Discard", width=100, command=self._discard, state="disabled", **SECONDARY
        )
        self.discard_button.pack(side="right", padx=(6, 0))
        self.apply_button = Button(
            bottom, text="Apply", width=100, command=self._apply, state="disabled"
        )
        self.apply_button.pack(side="right", padx=(6, 0))
        self.export_button = Button(
            bottom, text="Export CSV…", width=110, command=self._ask_export, state="disabled"
        )
        self.export_button.pack(side="right", padx=(6, 0))

    def _share_width(self) -> None:
        """The long columns split the room the short ones leave: the item gets the larger part,
        so "Artist - Album - Title" is read whole at 1040 pixels wide."""
        width = self.tree.winfo_width()
        if width <= 1:
            return
        fixed = sum(int(self.tree.column(c, "width")) for c in ("field", "old", "new"))
        rest = max(200, width - fixed - 4)
        item = int(rest * ITEM_SHARE)
        self.tree.column("item", width=item, stretch=False)
        self.tree.column("reason", width=rest - item, stretch=True)

    # --- showing -------------------------------------------------------------

    def _wrap_counts(self) -> None:
        """Wrap the breakdown to the room the title leaves (the title changes with each plan).

        The title's own size is not laid out yet when a plan arrives, so its
        text is measured with its font instead.
        """
        font = self.title_label.cget("font")
        title = font.measure(self.title_label.cget("text")) if hasattr(font, "measure") else 300
        scale = self.title_label._get_widget_scaling()
        room = self._top.winfo_width() - int(title * scale) - int(40 * scale)
        self.counts_label.configure(wraplength=max(200, int(room / scale)))

    def show(
        self,
        plan: Plan,
        *,
        on_apply: Callable[[Plan], None] | None = None,
        on_discard: Callable[[Plan], None] | None = None,
        title: str | None = None,
        rows: list[Any] | None = None,
    ) -> None:
        """Show ``plan`` at once (counts) and fill the table over the next ticks.

        ``rows``: :func:`preview_rows` of the plan, made on the worker (one object per
        change: a big plan's would hold the window up here)."""
        if on_apply is not None:
            self.on_apply = on_apply
        if on_discard is not None:
            self.on_discard = on_discard
        self.plan = plan
        self.result_rows = []
        self.table.empty_text = "Nothing to change."
        rows = rows if rows is not None else preview_rows(plan)
        self.table.set_rows(rows)
        self.title_label.configure(text=title or f"Plan: {plan.job}")
        self.counts_label.configure(text=describe_counts(plan))
        self._wrap_counts()
        n = len(plan.changes)
        set_enabled(self.export_button, bool(rows))
        set_enabled(self.apply_button, bool(n and self.on_apply))
        set_enabled(self.discard_button, True)
        self.note_label.configure(text="")
        if self._on_show is not None:
            self._on_show(self)

    def show_result(
        self,
        title: str,
        counts: str,
        rows: list[Change],
        *,
        empty_text: str = "Every planned change was written.",
    ) -> None:
        """After Apply: what the run did, and the rows that were not written (with reasons).

        Nothing is left to apply; the panel stays until the next preview.
        """
        self.plan = None
        self.result_rows = list(rows)
        self.title_label.configure(text=title)
        self.counts_label.configure(text=counts)
        self._wrap_counts()
        self.table.empty_text = empty_text
        self.table.set_rows(self.result_rows)
        for b in (self.apply_button, self.discard_button):
            set_enabled(b, False)
        set_enabled(self.export_button, bool(rows))
        self.note_label.configure(text="")

    def clear(self) -> None:
        """Forget the plan (after Apply or Discard)."""
        self.plan = None
        self.result_rows = []
        self.table.empty_text = "Nothing to change."
        self.table.clear(NO_PLAN)
        self.title_label.configure(text="Plan")
        self.counts_label.configure(text="")
        self.note_label.configure(text="")
        for b in (self.apply_button, self.discard_button, self.export_button):
            set_enabled(b, False)

    def set_busy(self, busy: bool) -> None:
        """No second Apply while a job runs, and no Discard of a plan being written."""
        if busy:
            set_enabled(self.apply_button, False)
            set_enabled(self.discard_button, False)
            return
        if self.plan is not None:
            set_enabled(self.discard_button, True)
            if self.plan.changes and self.on_apply:
                set_enabled(self.apply_button, True)

    @property
    def rows(self) -> list[Change]:
        """Every change of the plan, in the order the table shows them."""
        return list(self.table.rows)  # type: ignore[arg-type]

    @property
    def row_cap(self) -> int:
        return self.table.row_cap

    @property
    def shown_rows(self) -> int:
        return self.table.shown_rows

    @property
    def filling(self) -> bool:
        return self.table.filling

    def sort_by(self, column: str) -> None:
        """Sort the whole plan (not just the shown rows) and show the first rows again."""
        self.table.sort_by(column)

    # --- buttons ---------------------------------------------------------------

    def export_csv(self, path: str | Path) -> int:
        """Write ALL changes of the plan (in the current sort order); returns the row count."""
        return write_plan_csv(self.rows, path)

    def _ask_export(self) -> None:
        if not self.rows:
            return
        name = f"plan-{self.plan.job}.csv" if self.plan is not None else "not-written.csv"
        path = filedialog.asksaveasfilename(
            parent=self,
            title="Export plan",
            defaultextension=".csv",
            initialfile=name,
            filetypes=[("CSV", "*.csv"), ("All files", "*")],
        )
        if not path:
            return
        rows = list(self.rows)

        def done(ev: Any) -> None:
            if not ev.error:
                self.note_label.configure(text=f"Exported {ev.result:,} rows to {Path(path).name}.")

        started = self._run_job is not None and self._run_job(
            lambda ctx: write_plan_csv(rows, path),
            name="export-plan",
            phase="Exporting the plan…",
            on_done=done,
        )
        if not started:  # no worker, or a write is running: a plain export here
            n = self.export_csv(path)
            self.note_label.configure(text=f"Exported {n:,} rows to {Path(path).name}.")

    def _apply(self) -> None:
        if self.plan is not None and self.on_apply is not None:
            set_enabled(self.apply_button, False)
            self.on_apply(self.plan)

    def _discard(self) -> None:
        plan = self.plan
        self.clear()
        if plan is not None and self.on_discard is not None:
            self.on_discard(plan)


__all__ = ["PlanPreview", "ROW_CAP", "describe_counts", "neutralise", "write_plan_csv"]
