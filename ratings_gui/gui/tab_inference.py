"""Inference tab: parameters, passes, preview, apply, and the reports that explain the result.

Every widget is read on the main thread into an :class:`InferOptions`
before a job starts; the worker only runs the job. The parameters are
remembered (the CLI starts from the same saved values). The histogram is
drawn on a Canvas (:mod:`ratings_gui.gui.chart`), before and after.
"""

from __future__ import annotations

import queue
import threading
from tkinter import filedialog
from typing import Any

import customtkinter as ctk

from ratings_gui.core import inference as inf
from ratings_gui.core.plan import Plan, Report
from ratings_gui.gui.chart import AFTER, BEFORE, HistogramChart
from ratings_gui.gui.tabs import Tab
from ratings_gui.gui.widgets import ERROR_COLOR, SECONDARY
from ratings_gui.jobs import infer as ij
from ratings_gui.jobs.runner import Finished, JobContext

MUTED = ("gray35", "gray65")

#: The parameters shown as entries: (name, label, width).
FIELDS: tuple[tuple[str, str, int], ...] = (
    ("confidence", "Confidence C", 60),
    ("critic_weight", "Critic weight", 60),
    ("critic_bias", "Critic bias", 60),
    ("global_weight", "Global weight", 60),
    ("album_gravity", "Album gravity", 60),
    ("track_gravity", "Track gravity", 60),
    ("min_duration", "Min. seconds", 60),
    ("twin_tolerance", "Twin tolerance s", 60),
    ("rounding", "Rounding (Plex)", 60),
    ("filler_words", "Filler words", 260),
    ("twin_exclude", "Twin exclusions", 260),
)
PASS_LABELS = {
    "album-up": "Album up",
    "artist-up": "Artist up",
    "album-down": "Album down",
    "track-down": "Track down",
    "twins": "Twins",
}


class InferenceTab(Tab):
    """Options -> Preview (plan + reports) -> Apply; Backtest; CSV exports; provenance rebuild."""

    def build(self) -> None:
        self.libraries: list[str] = []
        self._found: queue.Queue[list[str]] = queue.Queue()
        self.job: ij.InferJob | None = None
        self.last_backtest: inf.Backtest | None = None
        saved = self.options()
        params = inf.Params.from_text(saved.get("params", {}))
        f = self.frame
        f.grid_columnconfigure(0, weight=1)
        f.grid_rowconfigure(3, weight=1)
        pad = {"padx": (8, 4), "pady": 3}

        top = ctk.CTkFrame(f)
        top.grid(row=0, column=0, sticky="ew", padx=4, pady=(2, 2))
        ctk.CTkLabel(top, text="Library").grid(row=0, column=0, sticky="w", **pad)
        self.library_menu = ctk.CTkOptionMenu(
            top, values=["(no music library)"], width=180, dynamic_resizing=False
        )
        self.library_menu.grid(row=0, column=1, sticky="w", **pad)
        passes_box = ctk.CTkFrame(top, fg_color="transparent")
        passes_box.grid(row=0, column=2, columnspan=6, sticky="w", **pad)
        chosen = set(saved.get("passes", inf.PASSES))
        self.pass_vars: dict[str, ctk.BooleanVar] = {}
        for name in inf.PASSES:
            var = ctk.BooleanVar(value=name in chosen)
            self.pass_vars[name] = var
            ctk.CTkCheckBox(passes_box, text=PASS_LABELS[name], variable=var, width=20).pack(
                side="left", padx=(0, 10)
            )
        self.mood_var = ctk.BooleanVar(value=bool(saved.get("mood_on", False)))
        self.mood_name = ctk.StringVar(value=str(saved.get("mood_tag", ij.DEFAULT_MOOD)))
        ctk.CTkCheckBox(passes_box, text="Mood tag", variable=self.mood_var, width=20).pack(
            side="left", padx=(12, 4)
        )
        ctk.CTkEntry(passes_box, textvariable=self.mood_name, width=140).pack(side="left")

        grid = ctk.CTkFrame(top, fg_color="transparent")
        grid.grid(row=1, column=0, columnspan=8, sticky="w", padx=4, pady=(0, 4))
        self.param_vars: dict[str, ctk.StringVar] = {}
        text = params.as_text()
        col = 0
        row = 0
        for name, label, width in FIELDS:
            span = 3 if width > 100 else 1
            if col + 1 + span > 10:
                row, col = row + 1, 0
            ctk.CTkLabel(grid, text=label).grid(row=row, column=col, sticky="e", padx=(8, 3))
            var = ctk.StringVar(value=text[name])
            self.param_vars[name] = var
            ctk.CTkEntry(grid, textvariable=var, width=width).grid(
                row=row, column=col + 1, columnspan=span, sticky="w", pady=2
            )
            col += 1 + span
        self.eb_var = ctk.BooleanVar(value=params.empirical_bayes)
        ctk.CTkCheckBox(
            grid, text="Empirical Bayes (estimate C and gravities)", variable=self.eb_var
        ).grid(row=row, column=col, columnspan=4, sticky="w", padx=(12, 0))

        bar = ctk.CTkFrame(f, fg_color="transparent")
        bar.grid(row=1, column=0, sticky="ew", padx=4, pady=(0, 2))
        self.preview_button = ctk.CTkButton(
            bar, text="Preview", width=100, command=self.preview_plan
        )
        self.preview_button.pack(side="left")
        self.backtest_button = ctk.CTkButton(
            bar, text="Backtest", width=100, command=self.run_backtest, **SECONDARY
        )
        self.backtest_button.pack(side="left", padx=6)
        self.rebuild_button = ctk.CTkButton(
            bar,
            text="Rebuild provenance from mood tags…",
            width=230,
            command=self.rebuild,
            **SECONDARY,
        )
        self.rebuild_button.pack(side="left", padx=6)
        self.report_menu = ctk.CTkOptionMenu(bar, values=list(ij.REPORTS), width=120)
        self.report_menu.pack(side="right", padx=(6, 4))
        self.export_ratings_button = ctk.CTkButton(
            bar, text="Export ratings CSV…", width=150, command=self.export_ratings, **SECONDARY
        )
        self.export_ratings_button.pack(side="right", padx=6)
        self.report_button = ctk.CTkButton(
            bar, text="Export report CSV…", width=150, command=self.export_report, **SECONDARY
        )
        self.report_button.pack(side="right")

        mid = ctk.CTkFrame(f, fg_color="transparent")
        mid.grid(row=2, column=0, sticky="ew", padx=4)
        mid.grid_columnconfigure(0, weight=3)
        mid.grid_columnconfigure(1, weight=2)
        self.chart = HistogramChart(mid, height=140, background=_bg(mid))
        self.chart.grid(row=0, column=0, sticky="ew", padx=(0, 6))
        self.summary = ctk.CTkTextbox(
            mid, height=140, wrap="word", font=ctk.CTkFont(family="TkFixedFont", size=12)
        )
        self.summary.grid(row=0, column=1, sticky="nsew")
        self._set_summary(
            "Preview to see coverage, the histogram and the plan.\n"
            "Backtest to see how well the parameters fit your ratings."
        )
        self.note = ctk.CTkLabel(f, text="", text_color=ERROR_COLOR)

        preview = self.make_preview(f)
        preview.grid(row=3, column=0, sticky="nsew")
        self.start_buttons = [
            self.preview_button,
            self.backtest_button,
            self.rebuild_button,
        ]
        self.frame.after(150, self._poll)
        self.on_connection_changed()

    # --- options ------------------------------------------------------------------------------

    def read_options(self) -> ij.InferOptions:
        """Every widget read here, on the main thread; ValueError names the bad entry."""
        library = self.library_menu.get()
        if library not in self.libraries:
            raise ValueError("Choose a music library first (sign in on the Plex tab).")
        params = inf.Params()
        for name, var in self.param_vars.items():
            params = params.with_text(name, var.get())
        params = params.with_text("empirical_bayes", "yes" if self.eb_var.get() else "no")
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

    def _options_or_error(self) -> ij.InferOptions | None:
        try:
            opts = self.read_options()
        except ValueError as exc:
            self.app.show_error(str(exc))
            return None
        self._save(opts)
        return opts

    # --- libraries -------------------------------------------------------------------------------

    def on_connection_changed(self) -> None:
        conn = self.ctx.connection
        if conn is None:
            self._set_libraries([])
            return
        found = self._found

        def work() -> None:
            from ratings_gui.plex.http import PlexHttp
            from ratings_gui.plex.snapshot import section_titles

            try:
                names = section_titles(PlexHttp(conn), "artist")
            except Exception:  # noqa: BLE001 - the Plex tab reports connection trouble
                names = []
            found.put(names)  # the worker never touches Tk; _poll picks it up

        threading.Thread(target=work, name="inference-libraries", daemon=True).start()

    def _poll(self) -> None:
        """Main thread: take the library list a worker found, then look again later."""
        try:
            while True:
                self._set_libraries(self._found.get_nowait())
        except queue.Empty:
            pass
        try:
            self.frame.after(150, self._poll)
        except Exception:  # noqa: BLE001 - the window is gone
            pass

    def _set_libraries(self, names: list[str]) -> None:
        self.libraries = names
        self.library_menu.configure(values=names or ["(no music library)"])
        wanted = [self.ctx.library, self.options().get("library")]
        pick = next((n for n in wanted if n in names), names[0] if names else "(no music library)")
        self.library_menu.set(pick)

    # --- preview and apply ------------------------------------------------------------------------

    def preview_plan(self) -> None:
        opts = self._options_or_error()
        if opts is None:
            return
        job = ij.InferJob(self.ctx, opts)
        self.job = job
        self.run_job(
            job.prepare,
            name=ij.JOB,
            phase=f"Reading {opts.library} and inferring…",
            on_done=self._prepared,
        )

    def _prepared(self, ev: Finished) -> None:
        if ev.error or not isinstance(ev.result, Plan) or self.job is None:
            return
        plan = ev.result
        self.show_reports()
        title = f"Inference for {plan.options.get('library', '')}: {len(plan):,} rating(s) to write"
        self.show_plan(plan, on_apply=self._apply, on_discard=self._discard, title=title)
        self.say(f"{title}.")

    def show_reports(self) -> None:
        """Histogram before/after and coverage from the job's snapshot and result."""
        job = self.job
        if job is None or job.result is None:
            return
        passes = job.opts.passes
        _, rows = ij.report_rows("histogram", job.items, job.result, passes)
        labels = [f"{r[0]:g}" for r in rows]
        self.chart.set_data(
            labels,
            [("before", BEFORE, [r[1] for r in rows]), ("after", AFTER, [r[2] for r in rows])],
            title="Track ratings (stars)",
        )
        _, cov = ij.report_rows("coverage", job.items, job.result, passes)
        lines = [
            f"library mean {job.result.mu / 2:.2f}★   C={job.result.params.confidence:g}",
            f"{'level':8}{'own':>8}{'inferred':>10}{'unrated':>9}",
        ]
        lines += [f"{r[0]:8}{r[1]:>8,}{r[2]:>10,}{r[3] + r[4]:>9,}" for r in cov]
        lines.append(
            f"twin groups {len(job.result.twins):,}   "
            f"dissenters {len(inf.dissenters(job.items, job.result)):,}"
        )
        if self.last_backtest is not None:
            lines += ["", *self.last_backtest.lines()]
        self._set_summary("\n".join(lines))

    def _apply(self, plan: Plan) -> None:
        if self.job is not None:
            self.apply_plan_job(self.job, plan, after=self._applied, describe=_infer_line)

    def _applied(self, _report: Report | None) -> None:
        if self.preview is not None:
            self.preview.clear()

    def _discard(self, _plan: Plan) -> None:
        self.say("Inference plan discarded.")
        if self.preview is not None:
            self.preview.clear()

    # --- backtest, rebuild, exports -------------------------------------------------------------------

    def run_backtest(self) -> None:
        opts = self._options_or_error()
        if opts is None:
            return
        job = ij.InferJob(self.ctx, opts)

        def work(jc: JobContext) -> Any:
            bt = job.backtest(jc)
            eb = inf.backtest(job.items, job.program, _with_eb(opts.params))
            return bt, eb

        self.run_job(work, name="infer-backtest", phase="Backtest…", on_done=self._backtested)

    def _backtested(self, ev: Finished) -> None:
        if ev.error or not isinstance(ev.result, tuple):
            return
        bt, eb = ev.result
        self.last_backtest = bt
        lines = bt.lines()
        other = "empirical Bayes" if not bt.params.empirical_bayes else "the same, again"
        lines.append(f"  with {other}: MAE {eb.mae:.3f}  RMSE {eb.rmse:.3f}")
        for line in lines:
            self.say(line)
        self._set_summary("\n".join(lines))

    def rebuild(self) -> None:
        opts = self._options_or_error()
        if opts is None:
            return
        if not opts.mood_tag:
            self.app.show_error("Switch on the mood tag and name it: its items are the program's.")
            return
        job = ij.InferJob(self.ctx, opts)
        self.run_job(
            job.rebuild_provenance,
            name=ij.REBUILD_JOB,
            phase="Reading mood tags…",
            on_done=lambda ev: (
                None if ev.error else self.say(f"Provenance rebuilt for {ev.result:,} item(s).")
            ),
        )

    def export_report(self, path: str | None = None) -> int:
        """The chosen report of the last preview as CSV; returns the rows written."""
        job = self.job
        if job is None or job.result is None:
            self.app.show_error("Preview first: the reports describe the previewed plan.")
            return 0
        kind = self.report_menu.get()
        path = path or filedialog.asksaveasfilename(
            parent=self.frame, defaultextension=".csv", initialfile=f"inference-{kind}.csv"
        )
        if not path:
            return 0
        header, rows = ij.report_rows(kind, job.items, job.result, job.opts.passes)
        n = ij.write_csv(path, header, rows)
        self.say(f"{kind} report: {n:,} rows written to {path}")
        return n

    def export_ratings(self, path: str | None = None) -> int:
        job = self.job
        if job is None or job.result is None:
            self.app.show_error("Preview first: the export uses the library just read.")
            return 0
        path = path or filedialog.asksaveasfilename(
            parent=self.frame, defaultextension=".csv", initialfile="ratings.csv"
        )
        if not path:
            return 0
        n = ij.export_ratings(path, job.items, job.result)
        self.say(f"{n:,} ratings exported to {path}")
        return n

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


def _with_eb(p: inf.Params) -> inf.Params:
    from dataclasses import replace

    return replace(p, empirical_bayes=not p.empirical_bayes)


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
