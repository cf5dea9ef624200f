"""Inference tab: parameters, passes, preview, apply, and the reports that explain the result.

Every widget is read on the main thread into an :class:`InferOptions`
before a job starts; the worker only runs the job. The parameters are
remembered (the CLI starts from the same saved values); the grid of
numeric and text parameters folds away (remembered too) so the reports and
the plan get its height once the values are set. The histogram is
drawn on a Canvas (:mod:`ratings_gui.gui.chart`), before and after; the
coverage, twins and dissenters reports are tables (the same rows as their
CSV files), one view at a time, so each gets the whole width.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from tkinter import filedialog
from typing import Any

import customtkinter as ctk

from ratings_gui.core import inference as inf
from ratings_gui.core.plan import Plan, Report
from ratings_gui.core.records import Item
from ratings_gui.gui.chart import AFTER, BEFORE, BacktestChart, HistogramChart
from ratings_gui.gui.plan_preview import CHUNK, FILL_DELAY_MS, ROW_CAP
from ratings_gui.gui.tabs import Tab
from ratings_gui.gui.widgets import (
    ERROR_COLOR,
    SECONDARY,
    TEXT_COLOR,
    Button,
    SortableTable,
    TableColumn,
    readable_segments,
    stars_label,
    tip,
)
from ratings_gui.jobs import infer as ij
from ratings_gui.jobs.runner import Finished, JobContext

log = logging.getLogger(__name__)

MUTED = ("gray35", "gray65")

#: The parameters shown as entries: (name, label, width).
FIELDS: tuple[tuple[str, str, int], ...] = (
    ("confidence", "Ratings to trust", 60),
    ("critic_weight", "Critics count", 60),
    ("critic_bias", "Critics offset", 60),
    ("global_weight", "Average counts", 60),
    ("album_gravity", "Album pull", 60),
    ("track_gravity", "Track pull", 60),
    ("min_duration", "Filler under s", 60),
    ("twin_tolerance", "Same song ±s", 60),
    ("rounding", "Write in steps", 60),
    ("sure_within", "Sure within ±★", 60),
    ("filler_words", "Filler words", 220),
    ("twin_exclude", "Never the same song", 220),
)
#: The engines as the menu names them -> ``Params.method``.
METHOD_LABELS = {
    "Fitted to your ratings": "fitted",
    "Classic formula": "classic",
}
PASS_LABELS = {
    "album-up": "Albums",
    "artist-up": "Artists",
    "album-down": "Albums from artist",
    "track-down": "Unrated tracks",
    "twins": "Same song",
}
#: What each pass guesses, for its tooltip.
PASS_HELP = {
    "album-up": "Rate each album from the tracks on it you rated.",
    "artist-up": "Rate each artist from their albums.",
    "album-down": "Rate albums with none of your track ratings from their artist.",
    "track-down": "Rate the tracks you have not rated from their album.",
    "twins": "A song you rated on one album rates the same song on the artist's other "
    "albums (a live copy or a best-of).",
}
#: The backtest chart's short names of the methods.
CHART_LABELS = {
    "fitted": "Fitted to you",
    "classic": "Classic formula",
    "album mean": "Album average",
    "library mean": "Library average",
}
#: The backtest's view (not a preview report: it has its own button and its own CSV).
BACKTEST = "backtest"
#: The report views, as the switch names them -> the report kind (ij.REPORTS, or BACKTEST).
VIEWS = {
    "Plan": "plan",
    "Histogram": "histogram",
    "Counts": "coverage",
    "Same songs": "twins",
    "Far from album": "dissenters",
    "Accuracy": BACKTEST,
}
#: Table rows visible at the window's default size; a larger window shows more.
TABLE_HEIGHT = 5
#: The parameters toggle: open (the grid shows) and folded.
OPEN_TEXT = "Fine-tuning ▾"
FOLDED_TEXT = "Fine-tuning ▸"


def stars_cell(value: Any) -> str:
    """Report stars (0-5) as every table shows stars: ``★★★½ 3.47`` (the exact number kept)."""
    if value is None or value == "":
        return ""
    return stars_label(float(value) * 2)


def gap_cell(value: Any) -> str:
    """A distance in stars (not a rating): ``1.5★``."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".") + "★"


def _gap(row: Sequence[Any]) -> float:
    """Dissenters row -> how far the track is from its album, in stars."""
    return round(abs(float(row[2]) - float(row[3])), 2)


#: Column layouts over ``ij.report_rows`` rows (indices into those rows).
COVERAGE_COLUMNS = (
    TableColumn("level", "Level", 120, 0),
    TableColumn("own", "Your own", 110, 1, anchor="e"),
    TableColumn("inferred", "Inferred", 110, 2, anchor="e"),
    TableColumn("unrated", "Unrated", 110, 3, anchor="e"),
    TableColumn("other", "Other", 110, 4, anchor="e"),
    TableColumn("spacer", "", 40, lambda _r: "", stretch=True, sortable=False),
)
TWINS_COLUMNS = (
    TableColumn("group", "Group", 70, 0, in_children=False),
    TableColumn("track", "Track", 420, 2, stretch=True),
    TableColumn("seconds", "Seconds", 90, 3, anchor="e"),
    TableColumn("own", "Own stars", 110, 4, anchor="e", text=stars_cell),
    TableColumn("inferred", "Inferred stars", 130, 5, anchor="e", text=stars_cell),
)
DISSENTERS_COLUMNS = (
    TableColumn("track", "Track", 460, 1, stretch=True),
    TableColumn("yours", "Your stars", 110, 2, anchor="e", text=stars_cell),
    TableColumn("album", "Album stars", 110, 3, anchor="e", text=stars_cell),
    TableColumn("gap", "Gap", 90, _gap, anchor="e", text=gap_cell),
)


class InferenceTab(Tab):
    """Options -> Preview (plan + reports) -> Apply; Backtest; CSV exports; provenance rebuild."""

    music_tab = True

    def build(self) -> None:
        self.libraries: list[str] = []
        self.job: ij.InferJob | None = None
        self.reports: Reports | None = None
        self.last_backtest: inf.Backtest | None = None
        saved = self.options()
        params = inf.Params.from_text(saved.get("params", {}))
        top, bar, box = self.job_layout()
        pad = {"padx": (8, 4), "pady": 3}
        # Rows of their own (not columns shared with the parameters): folding the grid must
        # not move the library picker and the passes sideways.
        line = ctk.CTkFrame(top, fg_color="transparent")
        line.pack(fill="x")
        caption = ctk.CTkLabel(line, text="Library")
        caption.pack(side="left", **pad)
        self.library_menu = ctk.CTkOptionMenu(
            line, values=["(no music library)"], width=180, dynamic_resizing=False
        )
        self.library_menu.pack(side="left", **pad)
        tip("The Plex music library to guess ratings in.", caption, self.library_menu)
        passes_box = ctk.CTkFrame(line, fg_color="transparent")
        passes_box.pack(side="left", **pad)
        ctk.CTkLabel(passes_box, text="Guess").pack(side="left", padx=(6, 8))
        chosen = set(saved.get("passes", inf.PASSES))
        self.pass_vars: dict[str, ctk.BooleanVar] = {}
        for name in inf.PASSES:
            var = ctk.BooleanVar(value=name in chosen)
            self.pass_vars[name] = var
            check = ctk.CTkCheckBox(passes_box, text=PASS_LABELS[name], variable=var, width=20)
            check.pack(side="left", padx=(0, 10))
            tip(f"{PASS_HELP[name]} Default: on.", check)

        # The toggle folds only the numeric/text parameters: library, passes and mood tag stay.
        # It heads the grid's first row, so unfolded it costs no row of its own; folded, a line
        # beside it says which values differ from the defaults.
        fold_row = ctk.CTkFrame(top, fg_color="transparent")
        fold_row.pack(fill="x", padx=4, pady=(0, 4))
        self.params_toggle = Button(
            fold_row,
            text=OPEN_TEXT,
            width=100,
            height=24,
            anchor="w",
            command=self.toggle_params,
            fg_color="transparent",
            text_color=TEXT_COLOR,
            hover_color=("gray78", "gray28"),
            font=ctk.CTkFont(weight="bold"),
            cursor="hand2",
        )
        self.params_toggle.pack(side="left", anchor="n", pady=(4, 0))
        self.params_note = ctk.CTkLabel(fold_row, text="", anchor="w", height=24, text_color=MUTED)
        grid = ctk.CTkFrame(fold_row, fg_color="transparent")
        self.param_grid = grid
        self.param_vars: dict[str, ctk.StringVar] = {}
        self.param_entries: dict[str, ctk.CTkEntry] = {}
        self.bad_param: str | None = None
        text = params.as_text()
        col = 0
        row = 0
        for name, label, width in FIELDS:
            span = 3 if width > 100 else 1
            if col + 1 + span > 10:
                row, col = row + 1, 0
            caption = ctk.CTkLabel(grid, text=label)
            caption.grid(row=row, column=col, sticky="e", padx=(8, 3))
            var = ctk.StringVar(value=text[name])
            self.param_vars[name] = var
            entry = ctk.CTkEntry(grid, textvariable=var, width=width)
            entry.grid(row=row, column=col + 1, columnspan=span, sticky="w", pady=2)
            self.param_entries[name] = entry
            tip(inf.param_help(name), caption, entry)
            var.trace_add("write", lambda *_a, n=name: self._param_edited(n))
            col += 1 + span
        # The engine and the filler choice: the classic formula's fields above only matter
        # to the classic formula; the fitted engine learns its own weights.
        method_box = ctk.CTkFrame(grid, fg_color="transparent")
        method_box.grid(row=row + 1, column=0, columnspan=10, sticky="w", pady=(2, 0))
        caption = ctk.CTkLabel(method_box, text="Method")
        caption.pack(side="left", padx=(8, 3))
        by_method = {v: k for k, v in METHOD_LABELS.items()}
        self.method_var = ctk.StringVar(value=by_method[params.method])
        self.method_menu = ctk.CTkOptionMenu(
            method_box, values=list(METHOD_LABELS), variable=self.method_var, width=190
        )
        self.method_menu.pack(side="left")
        tip(inf.param_help("method"), caption, self.method_menu)
        self.filler_var = ctk.BooleanVar(value=params.keep_filler_unrated)
        check = ctk.CTkCheckBox(
            method_box,
            text="Leave intros, skits and short tracks unrated",
            variable=self.filler_var,
        )
        check.pack(side="left", padx=(14, 0))
        tip(inf.param_help("keep_filler_unrated"), check)
        # The mood tag: off by default, so it lives with the other folded options.
        self.mood_var = ctk.BooleanVar(value=bool(saved.get("mood_on", False)))
        self.mood_name = ctk.StringVar(value=str(saved.get("mood_tag", ij.DEFAULT_MOOD)))
        check = ctk.CTkCheckBox(
            method_box, text="Mark guesses with mood", variable=self.mood_var, width=20
        )
        check.pack(side="left", padx=(14, 4))
        self.mood_entry = ctk.CTkEntry(method_box, textvariable=self.mood_name, width=140)
        self.mood_entry.pack(side="left")
        tip(
            "Also give every guessed item this Plex mood tag, so you can see and filter the "
            "guesses in Plex, and the program can recover them if its history is lost. "
            f"Default: off ({ij.DEFAULT_MOOD}).",
            check,
            self.mood_entry,
        )
        for var in (self.method_var, self.filler_var):
            var.trace_add("write", lambda *_a: self._update_params_note())
        self.params_open = True
        self.set_params_open(not saved.get("params_folded", True), remember=False)

        self.preview_button = Button(bar, text="Preview", width=100, command=self.preview_plan)
        self.preview_button.pack(side="left")
        tip(
            "Read the library, guess the ratings and show what would be written. "
            "Nothing is written until you press Apply.",
            self.preview_button,
        )
        self.backtest_button = Button(
            bar, text="Test accuracy", width=110, command=self.run_backtest, **SECONDARY
        )
        self.backtest_button.pack(side="left", padx=6)
        tip(
            "Hide a fifth of your own track ratings at a time, guess them back, and show how "
            "far off the guesses are. Nothing is written.",
            self.backtest_button,
        )
        self.rebuild_button = Button(
            bar,
            text="Recover guesses from mood tag…",
            width=220,
            command=self.rebuild,
            **SECONDARY,
        )
        self.rebuild_button.pack(side="left", padx=6)
        tip(
            "If this program's history was lost: items with the mood tag are remembered as "
            "guesses again, so a later run may update them. Nothing is written to Plex.",
            self.rebuild_button,
        )
        self.export_ratings_button = Button(
            bar, text="Export ratings CSV…", width=150, command=self.export_ratings, **SECONDARY
        )
        self.export_ratings_button.pack(side="right", padx=(6, 4))
        self.import_ratings_button = Button(
            bar, text="Import ratings CSV…", width=150, command=self.import_ratings, **SECONDARY
        )
        self.import_ratings_button.pack(side="right", padx=6)
        tip(
            "Write every rating of the library to a CSV, marked as yours or guessed.",
            self.export_ratings_button,
        )
        tip(
            "Preview a ratings CSV as Export writes it against this library; Apply writes it.",
            self.import_ratings_button,
        )

        # The plan and the reports: one view at a time in all the height there is; the
        # report export follows the report shown.
        box.grid_rowconfigure(0, weight=0)
        box.grid_rowconfigure(1, weight=1)
        head = ctk.CTkFrame(box, fg_color="transparent")
        head.grid(row=0, column=0, sticky="ew", padx=4, pady=(2, 4))
        self.view_switch = ctk.CTkSegmentedButton(
            head, values=list(VIEWS), command=self.show_view, **readable_segments()
        )
        self.view_switch.pack(side="left")
        self.view_note = ctk.CTkLabel(head, text="", anchor="w", text_color=MUTED)
        self.view_note.pack(side="left", fill="x", expand=True, padx=10)
        self.report_button = Button(
            head, text="Export report CSV…", width=190, command=self.export_report, **SECONDARY
        )
        self.report_button.pack(side="right", padx=(6, 4))
        mid = ctk.CTkFrame(box, fg_color="transparent")
        mid.grid_columnconfigure(0, weight=3)
        mid.grid_columnconfigure(1, weight=2)
        mid.grid_rowconfigure(0, weight=1)
        self.chart = HistogramChart(mid, height=140, background=_bg(mid))
        self.chart.grid(row=0, column=0, sticky="nsew", padx=(0, 6))
        self.summary = ctk.CTkTextbox(
            mid, height=140, wrap="word", font=ctk.CTkFont(family="TkFixedFont", size=12)
        )
        self.summary.grid(row=0, column=1, sticky="nsew")
        table = {"height": TABLE_HEIGHT, "row_cap": ROW_CAP, "chunk": CHUNK}
        self.coverage_table = SortableTable(
            box,
            COVERAGE_COLUMNS,
            empty_text="No artists, albums or tracks in this library.",
            placeholder="Preview to see how many ratings are yours, inferred or missing.",
            delay_ms=FILL_DELAY_MS,
            **table,
        )
        self.twins_table = SortableTable(
            box,
            TWINS_COLUMNS,
            empty_text="No song is on several albums (within the 'Same song' length difference).",
            placeholder="Preview to see the same song on several albums.",
            delay_ms=FILL_DELAY_MS,
            **table,
        )
        self.dissenters_table = SortableTable(
            box,
            DISSENTERS_COLUMNS,
            empty_text="Every track you rated is near its album's rating.",
            placeholder="Preview to see your ratings that are far from their album's.",
            delay_ms=FILL_DELAY_MS,
            **table,
        )
        # The backtest: the bars and the calibration plot, the plain sentence beside them
        # (beside, not above: the view is short at the window's default size).
        bt_view = ctk.CTkFrame(box, fg_color="transparent")
        bt_view.grid_columnconfigure(0, weight=2, uniform="backtest")
        bt_view.grid_columnconfigure(1, weight=1, uniform="backtest")
        bt_view.grid_rowconfigure(0, weight=1)
        self.bt_chart = BacktestChart(bt_view, height=140, background=_bg(bt_view))
        self.bt_chart.grid(row=0, column=0, sticky="nsew", padx=(0, 6))
        self.sentence = ctk.CTkLabel(
            bt_view,
            text="Test accuracy to see how well the guesses match your own ratings.",
            anchor="nw",
            justify="left",
            wraplength=300,
        )
        self.sentence.grid(row=0, column=1, sticky="nsew", pady=(4, 0))
        # wrap to the column (a third of the view), not to the label's own width
        bt_view.bind(
            "<Configure>", lambda e: self.sentence.configure(wraplength=max(160, e.width // 3 - 12))
        )
        # The chart is a plain Canvas: recolour it when the mode changes (style_treeviews
        # then fires <<ThemeChanged>> on every ttk widget, this tree included).
        self.coverage_table.tree.bind(
            "<<ThemeChanged>>", lambda _e: self._recolour_chart(), add="+"
        )
        preview = self.make_preview(box)
        self.views: dict[str, Any] = {
            "plan": preview,
            "histogram": mid,
            "coverage": self.coverage_table,
            "twins": self.twins_table,
            "dissenters": self.dissenters_table,
            BACKTEST: bt_view,
        }
        self.report_view = "histogram"
        self.view_switch.set("Plan")
        self.show_view("Plan")
        self._set_summary(
            "Preview to see coverage, the histogram and the plan.\n"
            "Test accuracy to see how well the guesses match your own ratings."
        )
        self.note = ctk.CTkLabel(self.frame, text="", text_color=ERROR_COLOR)
        self.start_buttons = [
            self.preview_button,
            self.backtest_button,
            self.rebuild_button,
        ]
        self.on_connection_changed()

    # --- options ------------------------------------------------------------------------------

    def read_options(self) -> ij.InferOptions:
        """Every widget read here, on the main thread; ValueError names the bad entry."""
        library = self.library_menu.get()
        if library not in self.libraries:
            raise ValueError("Choose a music library first (sign in on the Plex tab).")
        params = inf.Params()
        self._mark_bad(None)
        labels = {name: label for name, label, _w in FIELDS}
        for name, var in self.param_vars.items():
            try:
                params = params.with_text(name, var.get())
            except ValueError as exc:
                self._mark_bad(name)
                # The core names it as the CLI does (track_gravity); the user reads the label.
                raise ValueError(str(exc).replace(name, labels[name], 1)) from None
        params = params.with_text("method", METHOD_LABELS[self.method_var.get()])
        params = params.with_text("keep_filler_unrated", "yes" if self.filler_var.get() else "no")
        passes = tuple(p for p in inf.PASSES if self.pass_vars[p].get())
        if not passes:
            raise ValueError("Choose at least one pass.")
        mood = self.mood_name.get().strip() if self.mood_var.get() else None
        if self.mood_var.get() and not mood:
            raise ValueError("Name the mood tag, or switch it off.")
        return ij.InferOptions(library, params, passes, mood_tag=mood)

    def _save(self, opts: ij.InferOptions) -> None:
        self.remember(
            library=opts.library,
            params=opts.params.as_text(),
            passes=list(opts.passes),
            mood_on=opts.mood_tag is not None,
            mood_tag=self.mood_name.get().strip() or ij.DEFAULT_MOOD,
        )

    def restore_defaults(self) -> None:
        """Every pass on, every parameter and the method at its default, no mood tag."""
        defaults = inf.Params()
        text = defaults.as_text()
        for name, var in self.param_vars.items():
            var.set(text[name])
        by_method = {v: k for k, v in METHOD_LABELS.items()}
        self.method_var.set(by_method[defaults.method])
        self.filler_var.set(defaults.keep_filler_unrated)
        for var in self.pass_vars.values():
            var.set(True)
        self.mood_var.set(False)
        self.mood_name.set(ij.DEFAULT_MOOD)
        self._mark_bad(None)
        self.remember(params=text, passes=list(inf.PASSES), mood_on=False, mood_tag=ij.DEFAULT_MOOD)

    def _options_or_error(self) -> ij.InferOptions | None:
        try:
            opts = self.read_options()
        except ValueError as exc:
            if self.bad_param is not None:
                # A folded grid would hide the red field: show it, cursor in it.
                self.set_params_open(True)
                self.param_entries[self.bad_param].focus_set()
            self.window.show_error(str(exc))
            return None
        self._save(opts)
        return opts

    # --- the parameter grid: folding, the folded summary, the bad field -----------------------

    def toggle_params(self) -> None:
        """The toggle's click: fold or unfold the parameter grid."""
        self.set_params_open(not self.params_open)

    def set_params_open(self, open_: bool, *, remember: bool = True) -> None:
        """Show or hide the parameter grid; the state is the user's, kept for the next start.

        Nothing folds it by itself: only a refused value unfolds it.
        """
        self.params_open = open_
        if open_:
            self.params_note.pack_forget()
            self.param_grid.pack(side="left")
        else:
            self.param_grid.pack_forget()
            self.params_note.pack(
                side="left", anchor="n", fill="x", expand=True, padx=(6, 0), pady=(4, 0)
            )
        self.params_toggle.configure(text=OPEN_TEXT if open_ else FOLDED_TEXT)
        self._update_params_note()
        if remember:
            self.remember(params_folded=not open_)

    def params_summary(self) -> str:
        """The folded grid in one line: which parameters differ from the defaults."""
        defaults = inf.Params()
        base = defaults.as_text()
        changed: list[str] = []
        for name, label, width in FIELDS:
            text = self.param_vars[name].get().strip()
            try:
                same = defaults.with_text(name, text).as_text()[name] == base[name]
            except ValueError:
                changed.append(f"{label} {text!r} (not valid)")
                continue
            if not same:
                changed.append(f"{label} edited" if width > 100 else f"{label} {text}")
        if METHOD_LABELS[self.method_var.get()] != defaults.method:
            changed.append(self.method_var.get())
        if self.filler_var.get() != defaults.keep_filler_unrated:
            changed.append("filler left unrated")
        return "changed: " + " · ".join(changed) if changed else "all at their defaults"

    def _update_params_note(self) -> None:
        self.params_note.configure(text="" if self.params_open else self.params_summary())

    def _param_edited(self, name: str) -> None:
        if name == self.bad_param:
            self._mark_bad(None)  # the user is fixing it: no longer red
        self._update_params_note()

    def _mark_bad(self, name: str | None) -> None:
        """Outline the refused parameter in red (and only it); None clears the mark."""
        if name == self.bad_param:
            return
        normal = ctk.ThemeManager.theme["CTkEntry"]["border_color"]
        for n in {name, self.bad_param} - {None}:
            self.param_entries[str(n)].configure(border_color=ERROR_COLOR if n == name else normal)
        self.bad_param = name

    # --- libraries -------------------------------------------------------------------------------

    # --- preview and apply ------------------------------------------------------------------------

    def preview_plan(self) -> None:
        opts = self._options_or_error()
        if opts is None:
            return
        job = ij.InferJob(self.app, opts)
        self.job = job
        self.reports = None  # the tables keep the last preview's rows until the new ones come

        def work(ctx: JobContext) -> Previewed:
            plan = job.prepare(ctx)
            return Previewed(plan, compute_reports(job))

        self.preview_job(
            job, name=ij.JOB, phase=f"Reading {opts.library} and inferring…", work=work
        )

    def plan_title(self, plan: Plan) -> str:
        # Mood tags are changes too, but no ratings: the title counts each for what it is.
        moods = sum(1 for c in plan.changes if c.field == "mood")
        ratings = f"{len(plan) - moods:,} rating(s) to write"
        if moods:
            ratings += f" and {moods:,} mood tag(s)"
        if plan.job != ij.JOB:
            name = Path(str(getattr(self.plan_job, "path", ""))).name
            return f"Ratings CSV {name}: {ratings}"
        return f"Inference for {plan.options.get('library', '')}: {ratings}"

    def show_plan(self, plan: Plan | None = None) -> Any:
        preview = super().show_plan(plan)
        self.show_view("Plan")
        return preview

    def show_result(self, plan: Plan, report: Report) -> None:
        super().show_result(plan, report)
        self.show_view("Plan")

    def planned(self, plan: Plan, result: Any) -> None:
        if isinstance(result, Previewed):
            self.reports = result.reports
            self.show_reports()
            self.say(f"{self.plan_title(plan)}.")

    def report_text(self, report: Report) -> str:
        return _infer_line(report) if report.job == ij.JOB else super().report_text(report)

    # --- report views ---------------------------------------------------------------------------

    @property
    def view(self) -> str:
        """The report kind on screen (one of ``ij.REPORTS``); the CSV export writes this one."""
        return VIEWS.get(self.view_switch.get(), "histogram")

    def show_view(self, label: str) -> None:
        """Show one report view in the whole width; the export button names what it writes."""
        if self.view_switch.get() != label:
            self.view_switch.set(label)
        kind = self.view
        for name, widget in self.views.items():
            if name == kind:
                widget.grid(row=1, column=0, sticky="nsew", padx=4)
            else:
                widget.grid_forget()
        if kind == "plan":
            self.report_button.pack_forget()  # the plan has its own Export CSV…
        else:
            self.report_view = kind
            self.report_button.configure(text=f"Export {label.lower()} CSV…")
            self.report_button.pack(side="right", padx=(6, 4))
        self._update_view_note()

    def _recolour_chart(self) -> None:
        for chart in (self.chart, self.bt_chart):
            bg = _bg(chart)
            if bg != str(chart.cget("background")):
                chart.configure(background=bg)
                chart.redraw()

    def _update_view_note(self) -> None:
        job = self.job
        text = ""
        bt = self.last_backtest
        if self.view == BACKTEST:
            if bt is not None:
                text = (
                    f"{bt.hidden:,} of your ratings guessed back; "
                    f"{bt.within:.0%} within the ± the preview shows"
                )
        elif job is not None and job.result is not None and self.reports is not None:
            if self.view in ("twins", "dissenters") and self.views[self.view].empty:
                pass  # the table says so itself
            elif self.view == "twins":
                groups = len(job.result.twins)
                text = f"{groups:,} songs on several albums, {self.twins_table.total_rows:,} tracks"
            elif self.view == "dissenters":
                n = self.dissenters_table.total_rows
                text = f"{n:,} of your track ratings far from their album's"
            elif self.view == "coverage":
                text = f"your library average {stars_label(job.result.mu)}"
        self.view_note.configure(text=text)

    def show_reports(self) -> None:
        """The histogram, the summary and the report tables of the last preview."""
        job, reports = self.job, self.reports
        if job is None or job.result is None or reports is None:
            return
        self.coverage_table.set_rows(reports.rows["coverage"][1])
        self.twins_table.set_groups(reports.twin_groups)
        self.dissenters_table.set_rows(reports.rows["dissenters"][1], sort=("gap", True))
        self._update_view_note()
        rows = reports.rows["histogram"][1]
        labels = [f"{r[0]:g}" for r in rows]
        self.chart.set_data(
            labels,
            [("before", BEFORE, [r[1] for r in rows]), ("after", AFTER, [r[2] for r in rows])],
            title="Track ratings (stars)",
        )
        lines = [
            f"your library average {stars_label(job.result.mu)}",
            f"{'level':8}{'own':>8}{'inferred':>10}{'unrated':>9}",
        ]
        lines += [
            f"{r[0]:8}{r[1]:>8,}{r[2]:>10,}{r[3] + r[4]:>9,}" for r in reports.rows["coverage"][1]
        ]
        lines.append(
            f"same songs {len(job.result.twins):,}   "
            f"far from their album {len(reports.rows['dissenters'][1]):,}"
        )
        if job.result.params.method == "fitted":
            lines += ["", "What it learned from your ratings:", *job.result.fit.describe()]
        if self.last_backtest is not None:
            lines += ["", self.last_backtest.sentence()]
        self._set_summary("\n".join(lines))

    # --- backtest, rebuild, exports -------------------------------------------------------------------

    def run_backtest(self) -> None:
        opts = self._options_or_error()
        if opts is None:
            return
        job = ij.InferJob(self.app, opts)

        self.run_job(
            job.backtest, name="infer-backtest", phase="Testing accuracy…", on_done=self._backtested
        )

    def _backtested(self, ev: Finished) -> None:
        if ev.error or not isinstance(ev.result, inf.Backtest):
            return
        bt = ev.result
        self.last_backtest = bt
        for line in bt.lines():
            log.info(line)  # the figures, for the log file; the pane gets the sentence
        self.say(bt.sentence())
        self.sentence.configure(text=bt.sentence())
        self.bt_chart.set_data(
            [(CHART_LABELS[m], mae / 2, m == bt.engine) for m, (mae, _rmse) in bt.scores.items()],
            [(p / 2, a / 2, n) for p, a, n in bt.calibration],
        )
        self.show_view("Accuracy")

    def rebuild(self) -> None:
        opts = self._options_or_error()
        if opts is None:
            return
        if not opts.mood_tag:
            self.window.show_error(
                "Switch on the mood tag and name it: its items are the program's."
            )
            return
        job = ij.InferJob(self.app, opts)
        self.run_job(
            job.rebuild_provenance,
            name=ij.REBUILD_JOB,
            phase="Reading mood tags…",
            on_done=lambda ev: (
                None
                if ev.error
                else self.say(f"{ev.result:,} guesses recovered from the mood tag.")
            ),
        )

    def export_report(self, path: str | None = None, kind: str | None = None) -> int:
        """A report of the last preview as CSV (the one on screen unless ``kind``); all its rows."""
        if (kind or self.view) == BACKTEST:
            return self.export_backtest(path)
        job = self.job
        if job is None or job.result is None:
            self.window.show_error("Preview first: the reports describe the previewed plan.")
            return 0
        kind = kind or self.report_view
        path = path or filedialog.asksaveasfilename(
            parent=self.frame, defaultextension=".csv", initialfile=f"inference-{kind}.csv"
        )
        if not path:
            return 0
        if self.reports is not None and kind in self.reports.rows:
            header, rows = self.reports.rows[kind]  # every row, in the report's own order
        else:
            header, rows = ij.report_rows(kind, job.items, job.result, job.opts.passes)
        n = ij.write_csv(path, header, rows)
        self.say(f"{kind} report: {n:,} rows written to {path}")
        return n

    def export_backtest(self, path: str | None = None) -> int:
        """The last backtest's errors per method (stars), then its calibration rows."""
        bt = self.last_backtest
        if bt is None:
            self.window.show_error("Test accuracy first: the export writes its figures.")
            return 0
        path = path or filedialog.asksaveasfilename(
            parent=self.frame, defaultextension=".csv", initialfile="inference-backtest.csv"
        )
        if not path:
            return 0
        rows: list[list[Any]] = [
            ["error", inf.METHOD_LABELS[m], round(mae / 2, 4), round(rmse / 2, 4), bt.hidden]
            for m, (mae, rmse) in bt.scores.items()
        ]
        rows += [
            ["calibration", inf.METHOD_LABELS[bt.engine], round(p / 2, 4), round(a / 2, 4), n]
            for p, a, n in bt.calibration
        ]
        header = [
            "row",
            "method",
            "average miss (stars) or guessed stars",
            "typical miss (stars) or your stars",
            "ratings",
        ]
        n = ij.write_csv(path, header, rows)
        self.say(f"backtest: {n:,} rows written to {path}")
        return n

    def export_ratings(self, path: str | None = None) -> int:
        job = self.job
        if job is None or job.result is None:
            self.window.show_error("Preview first: the export uses the library just read.")
            return 0
        path = path or filedialog.asksaveasfilename(
            parent=self.frame, defaultextension=".csv", initialfile="ratings.csv"
        )
        if not path:
            return 0
        n = ij.export_ratings(path, job.items, job.result)
        self.say(f"{n:,} ratings exported to {path}")
        return n

    def import_ratings(self, path: str | None = None) -> bool:
        """Preview a ratings CSV (as Export writes it) against the library; Apply writes it.

        Rows marked "own" become the user's ratings, "inferred" ones stay the
        program's. Rows that cannot be used are written beside the file with
        their reasons.
        """
        from ratings_gui.jobs import ratings_csv as rc

        opts = self._options_or_error()
        if opts is None:
            return False
        path = path or filedialog.askopenfilename(
            parent=self.frame,
            title="Ratings CSV to import",
            filetypes=[("CSV files", "*.csv"), ("All files", "*.*")],
        )
        if not path:
            return False
        job = rc.RatingsImportJob(self.app, opts.library, path)
        unused = Path(path).with_name(Path(path).stem + "-unused.csv")

        def work(ctx: JobContext) -> Plan:
            """Worker: plan, and write the unusable rows beside the file (file I/O off Tk)."""
            plan = job.prepare(ctx)
            if plan.skipped:
                try:
                    n = job.write_unmatched(plan, unused)
                    ctx.log(f"{n:,} row(s) not used; the list with the reasons: {unused}")
                except OSError as exc:
                    ctx.log(
                        f"{len(plan.skipped):,} rows not used (could not write the list: {exc})"
                    )
            return plan

        return self.preview_job(job, name=rc.JOB, phase=f"Reading {Path(path).name}…", work=work)

    def _set_summary(self, text: str) -> None:
        self.summary.configure(state="normal")
        self.summary.delete("1.0", "end")
        self.summary.insert("1.0", text)
        self.summary.configure(state="disabled")

    def summary_text(self) -> str:
        return self.summary.get("1.0", "end").strip()

    def on_close(self) -> None:
        try:
            opts = self.read_options()
        except ValueError:
            return
        self._save(opts)


@dataclass(frozen=True)
class Reports:
    """Every report of one preview, computed on the worker.

    The twins report alone takes about 0.3 s on 100,000 tracks: too long
    for the main thread, which then only fills tables.
    """

    rows: dict[str, tuple[list[str], list[list[Any]]]]
    twin_groups: list[tuple[list[str], list[Any]]]


@dataclass(frozen=True)
class Previewed:
    """What a preview's worker hands back: the plan and the reports that explain it."""

    plan: Plan
    reports: Reports


def compute_reports(job: ij.InferJob) -> Reports:
    """All of ``ij.REPORTS`` for a prepared job (pure; runs on the worker)."""
    res = job.result
    if res is None:
        raise RuntimeError("reports need a prepared job")
    rows = {kind: ij.report_rows(kind, job.items, res, job.opts.passes) for kind in ij.REPORTS}
    return Reports(rows, twin_groups(rows["twins"][1], job.items))


def twin_groups(rows: list[list[Any]], items: Sequence[Item]) -> list[tuple[list[str], list[Any]]]:
    """Twins report rows -> one parent row per song ("Artist - Title, on 3 albums") and its rows.

    The rows come from ``ij.report_rows`` ordered by group; the parent names
    the song once so the rows beneath only need to say which album.
    """
    by_key = {it.key: it for it in items}
    groups: dict[int, list[Any]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    out: list[tuple[list[str], list[Any]]] = []
    for n, members in groups.items():
        first = by_key.get(members[0][1])
        if first is not None:
            who = first.original_title or first.grandparent_title
            song = f"{who} - {first.title}" if who else first.title
        else:
            song = str(members[0][2])
        out.append(([f"{n:,}", f"{song}  (on {len(members)} albums)"], members))
    return out


def _bg(widget: Any) -> str:
    """The frame's colour for the current appearance (CTk keeps light/dark pairs)."""
    colour = ctk.ThemeManager.theme["CTkFrame"]["fg_color"]
    if isinstance(colour, (list, tuple)):
        colour = colour[1] if ctk.get_appearance_mode() == "Dark" else colour[0]
    try:
        widget.winfo_rgb(colour)
    except Exception:  # noqa: BLE001 - a CTk colour name tk does not know
        return "#dbdbdb"
    return str(colour)


def _infer_line(report: Report) -> str:
    counts = ", ".join(f"{v:,} {k}" for k, v in sorted(report.counts.items()))
    return f"infer run {report.run_id}: {report.changes:,} written; {counts}"


TAB = InferenceTab
