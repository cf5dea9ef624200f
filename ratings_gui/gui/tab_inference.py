"""Inference tab: the library and passes, preview, apply, and the reports that explain the result.

The tab is three parts besides its own options and buttons: the
fine-tuning panel (:mod:`ratings_gui.gui.inference_tuning`), the plan and
report views (:mod:`ratings_gui.gui.inference_reports`) and, as one of those
views, the accuracy test (:mod:`ratings_gui.gui.inference_accuracy`). Every
widget is read on the main thread into an :class:`InferOptions` before a
job starts; the worker only runs the job. The options are remembered (the
CLI starts from the same saved values).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from tkinter import filedialog
from typing import Any

import customtkinter as ctk

from ratings_gui.core import inference as inf
from ratings_gui.core.plan import Plan, Report
from ratings_gui.gui.inference_reports import Previewed, ReportViews, compute_reports
from ratings_gui.gui.inference_tuning import FineTuning
from ratings_gui.gui.tabs import NO_MUSIC_LIBRARY, Tab, TabEntry, register_tab
from ratings_gui.gui.widgets import SECONDARY, Button, plural, tip
from ratings_gui.jobs import infer as ij
from ratings_gui.jobs import ratings_csv as rc
from ratings_gui.jobs.runner import Finished, JobContext

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


class InferenceTab(Tab):
    """Options -> Preview (plan + reports) -> Apply; Test accuracy; CSV exports; provenance
    rebuild. The parts: :attr:`tuning`, :attr:`report_views` (with its ``accuracy``)."""

    music_tab = True

    def build(self) -> Iterator[None]:
        """In parts (see :meth:`Tab.ensure_built`; 230 ms in one turn): the choices, the
        method row and buttons, the settings window, then the report views part by part.
        ``tuning`` and ``report_views`` are set once whole (asked for sooner, the rest of
        the build runs first)."""
        self.libraries: list[str] = []
        self.job: ij.InferJob | None = None
        saved = self.options()
        top, bar, box = self.job_layout()
        yield  # the frames first: the tab switch is drawn in a turn of its own
        self._build_choices(top, saved)
        yield
        tuning = FineTuning(
            top,
            saved,
            on_fold=lambda open_: self.remember(params_folded=not open_),
            build_dialog=False,
        )
        self._build_buttons(bar)
        yield
        tuning.build_dialog()
        self.tuning = tuning
        yield
        # The plan and the reports: one view at a time in all the height there is.
        views = ReportViews(
            box,
            make_plan=lambda: self.make_preview(box),
            say=self.say,
            show_error=self.window.show_error,
            build=False,
        )
        yield from views.build()
        self.report_views = views
        self.start_buttons = [self.preview_button, self.backtest_button, self.rebuild_button]
        self.on_connection_changed()

    def on_connection_changed(self) -> None:
        """The music libraries again; the mood tag is off for a Plex Home member."""
        super().on_connection_changed()
        conn = self.app.connection
        self.tuning.for_member(conn.user_title if conn is not None and conn.member else "")

    def _build_choices(self, top: ctk.CTkFrame, saved: dict[str, Any]) -> None:
        """The library and the passes: a row of their own (not columns shared with the
        parameters), so folding the grid does not move them sideways."""
        pad = {"padx": (8, 4), "pady": 3}
        line = ctk.CTkFrame(top, fg_color="transparent")
        line.pack(fill="x")
        caption = ctk.CTkLabel(line, text="Library")
        caption.pack(side="left", **pad)
        self.library_menu = ctk.CTkOptionMenu(
            line,
            values=[NO_MUSIC_LIBRARY],
            width=180,
            dynamic_resizing=False,
            command=self.library_picked,
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

    def _build_buttons(self, bar: ctk.CTkFrame) -> None:
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

    # --- options ------------------------------------------------------------------------------

    def read_options(self) -> ij.InferOptions:
        """Every widget read here, on the main thread; ValueError names the bad entry."""
        library = self.library_menu.get()
        if library not in self.libraries:
            raise ValueError("Choose a music library first (sign in on the Plex tab).")
        params = self.tuning.read_params()
        passes = tuple(p for p in inf.PASSES if self.pass_vars[p].get())
        if not passes:
            raise ValueError("Choose at least one pass.")
        return ij.InferOptions(library, params, passes, mood_tag=self.tuning.mood_tag())

    def _save(self, opts: ij.InferOptions) -> None:
        self.remember(
            library=opts.library,
            params=opts.params.as_text(),
            passes=list(opts.passes),
            mood_on=opts.mood_tag is not None,
            mood_tag=self.tuning.mood_name_text(),
        )

    def restore_defaults(self) -> None:
        """Every pass on, every parameter and the method at its default, no mood tag."""
        self.tuning.restore_defaults()
        for var in self.pass_vars.values():
            var.set(True)
        self.remember(
            params=inf.Params().as_text(),
            passes=list(inf.PASSES),
            mood_on=False,
            mood_tag=ij.DEFAULT_MOOD,
        )

    def _options_or_error(self) -> ij.InferOptions | None:
        try:
            opts = self.read_options()
        except ValueError as exc:
            self.tuning.show_bad()
            self.window.show_error(str(exc))
            return None
        self._save(opts)
        return opts

    # --- preview and apply ------------------------------------------------------------------------

    def preview_plan(self) -> None:
        opts = self._options_or_error()
        if opts is None:
            return
        job = ij.InferJob(self.app, opts)
        self.job = job
        self.report_views.expect(job)

        def work(ctx: JobContext) -> Previewed:
            plan = job.prepare(ctx)
            # each item's kind for the plan's Field column, here on the worker: made on the
            # Tk thread by the table's first rows, it stalled the window 25-30 ms at 50k
            self._kinds_of = (job, _kinds(job))
            return Previewed(plan, compute_reports(job))

        self.preview_job(
            job, name=ij.JOB, phase=f"Reading {opts.library} and inferring…", work=work
        )

    def item_kind(self, change: Any) -> str:
        """artist, album or track: the item's kind as the library read it."""
        job = self.job
        if job is None or change.target_kind != "plex":
            return ""
        if getattr(self, "_kinds_of", (None, {}))[0] is not job:
            self._kinds_of = (job, _kinds(job))
        return self._kinds_of[1].get(str(change.target), "")

    def plan_title(self, plan: Plan) -> str:
        # Mood tags are changes too, but no ratings: the title counts each for what it is.
        moods = sum(1 for c in plan.changes if c.field == "mood")
        ratings = f"{plural(len(plan) - moods, 'rating')} to write" if len(plan) > moods else ""
        if moods:
            ratings += (" and " if ratings else "") + f"{plural(moods, 'mood tag')} to write"
        ratings = ratings or "nothing to write"
        if plan.job != ij.JOB:
            name = Path(str(getattr(self.plan_job, "path", ""))).name
            return f"Ratings CSV {name}: {ratings}"
        return f"Inference for {plan.options.get('library', '')}: {ratings}"

    def show_plan(self, plan: Plan | None = None, *, rows: list[Any] | None = None) -> Any:
        preview = super().show_plan(plan, rows=rows)
        self.report_views.show_view("Plan")
        return preview

    def show_result(self, plan: Plan, report: Report) -> None:
        super().show_result(plan, report)
        self.report_views.show_view("Plan")

    def planned(self, plan: Plan, result: Any) -> None:
        if isinstance(result, Previewed):
            # the reports in a Tk turn of their own, after the plan's
            job = self.job
            self.window.later(lambda: self.report_views.show(job, result.reports))
            self.say(f"{self.plan_title(plan)}.")

    def report_text(self, report: Report) -> str:
        return _infer_line(report) if report.job == ij.JOB else super().report_text(report)

    # --- accuracy test, rebuild, exports ---------------------------------------------------------

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
        self.report_views.accuracy.show(ev.result)
        self.report_views.show_view("Accuracy")

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
        n = ij.export_ratings_csv(path, job.items, job.result)
        self.say(f"{n:,} ratings exported to {path}")
        return n

    def import_ratings(self, path: str | None = None) -> bool:
        """Preview a ratings CSV (as Export writes it) against the library; Apply writes it.

        Rows marked "own" become the user's ratings, "inferred" ones stay the
        program's. Rows that cannot be used are written beside the file with
        their reasons.
        """
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
                    ctx.log(f"{plural(n, 'row')} not used; the list with the reasons: {unused}")
                except OSError as exc:
                    ctx.log(
                        f"{len(plan.skipped):,} rows not used (could not write the list: {exc})"
                    )
            return plan

        return self.preview_job(job, name=rc.JOB, phase=f"Reading {Path(path).name}…", work=work)

    def on_close(self) -> None:
        try:
            opts = self.read_options()
        except ValueError:
            return
        self._save(opts)


def _infer_line(report: Report) -> str:
    counts = ", ".join(f"{v:,} {k}" for k, v in sorted(report.counts.items()))
    return f"infer run {report.run_id}: {report.changes:,} written; {counts}"


#: This tab, declared once (the window finds it; no list to edit).
ENTRY = TabEntry(
    "inference",
    "Inference",
    "Guess ratings for albums, artists and unrated tracks from the tracks you rated yourself.",
    order=50,
)
TAB = register_tab(ENTRY, InferenceTab)


def _kinds(job: ij.InferJob) -> dict[str, str]:
    """Each read item's kind (artist, album, track) by its key."""
    return {str(it.key): it.kind for it in job.items}
