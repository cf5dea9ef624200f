"""Import tab: an export file -> preview -> settle the loose matches -> Apply; and Export back.

Every widget value is read here on the main thread and handed to
:class:`~ratings_gui.jobs.import_job.ImportJob` as plain values; the job's
prepare and apply run on the worker. The needs-review list edits the plan
through ``job.accept_review`` and the preview is shown again with the result.
After Apply the results stay: counts, the rows that matched nothing with
their reasons, and a button that opens the unmatched-rows CSV.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from tkinter import filedialog
from typing import Any

import customtkinter as ctk

from ratings_gui.core.importplan import ReviewItem
from ratings_gui.core.matching import MIN_SCORE
from ratings_gui.core.plan import Change, Plan, Report
from ratings_gui.gui.import_review import ReviewPane
from ratings_gui.gui.tabs import Tab, TabEntry, register_tab
from ratings_gui.gui.widgets import MUTED_COLOR, SECONDARY, Button, open_path, plural, tip
from ratings_gui.jobs.import_job import ImportJob, export_ratings
from ratings_gui.jobs.runner import Finished
from ratings_gui.sources import several_exports, several_exports_message

#: Format menu label -> ``sources`` format name (None = detect from the header).
FORMATS = {
    "Auto": None,
    "IMDb": "imdb",
    "Letterboxd": "letterboxd",
    "TMDB": "tmdb",
    "Trakt": "trakt",
}
KINDS = (("movie", "Movies"), ("show", "Shows"), ("episode", "Episodes"))
FILE_TYPES = [
    ("Rating exports", "*.csv *.json *.zip"),
    ("CSV", "*.csv"),
    ("All files", "*"),
]
DEFAULTS: dict[str, Any] = {
    "format": "Auto",
    "kinds": [k for k, _ in KINDS],
    "mark_watched": False,
    "force": False,
    "all_libraries": True,
    "min_score": MIN_SCORE,
    "unmatched_dir": "",
}

HELP = {
    "path": "The file you downloaded from IMDb (ratings.csv), Letterboxd (the export zip or "
    "its ratings.csv), TMDB or Trakt. A folder works when it holds one export.",
    "format": "Which site the file comes from. Auto (the default) recognises it by its "
    "column names.",
    "kinds": "Which Plex items may receive ratings: movies, shows, single episodes. "
    "Default: all three.",
    "mark_watched": "Also mark each rated item as watched in Plex. Default: off.",
    "force": "Also write ratings that differ from one you already gave in Plex "
    '(off: your own Plex ratings are kept and listed as "kept yours"; ratings the program '
    "guessed, base or inferred, are replaced either way). Default: off.",
    "all_libraries": "Look for matches in every movie and TV library of the server "
    "(off: only the library chosen on the Plex tab). Default: on.",
    "min_score": "How alike a title must be to count as the same film without asking you: "
    f"0 to 1, where 1 means identical. Rows below it go to Needs review. Default: {MIN_SCORE}.",
    "preview": "Read the file and your libraries and show what would change. Nothing is "
    "written until you press Apply.",
    "export": "Write your Plex ratings to a Letterboxd-style CSV and a plain CSV, "
    "to keep or to import elsewhere.",
    "unmatched_dir": "Where the list of rows that matched nothing is written after Apply. "
    "Default: beside the export file.",
}


class ImportTab(Tab):
    """File and options, Preview; then the plan beside the needs-review list; results stay."""

    def build(self) -> Iterator[None]:
        """In parts (see :meth:`Tab.ensure_built`): the options, then the plan, then the
        needs-review list."""
        self.last_report: Any = None
        self.last_unmatched: str | None = None
        opts = {**DEFAULTS, **self.options()}
        options, bar, body = self.job_layout()
        yield  # the frames first: the tab switch is drawn in a turn of its own
        self._build_file_row(options, opts)
        self._build_options_row(options, opts)
        self._build_actions(bar, opts)
        yield
        # the plan preview | needs review
        self.body = body
        preview = self.make_preview(body)
        preview.grid(row=0, column=0, sticky="nsew", padx=(4, 2))
        # The review list shares the width: narrower item and reason columns keep all five visible.
        preview.tree.column("item", width=230)
        preview.tree.column("reason", width=120)
        yield
        self.review = ReviewPane(
            body, decide=self._decide, chosen=self._chosen, library=self._library_of
        )
        self.show_review_pane(False)
        self.start_buttons = [self.preview_button, self.export_button]

    def _build_file_row(self, options: ctk.CTkFrame, opts: dict[str, Any]) -> None:
        top = ctk.CTkFrame(options, fg_color="transparent")
        top.pack(fill="x", padx=4, pady=(4, 2))
        top.grid_columnconfigure(1, weight=1)
        caption = ctk.CTkLabel(top, text="Export file")
        caption.grid(row=0, column=0, padx=(4, 6))
        self.path_var = ctk.StringVar(value=opts.get("path", ""))
        self.path_entry = ctk.CTkEntry(
            top,
            textvariable=self.path_var,
            placeholder_text="IMDb, Letterboxd, TMDB or Trakt export",
        )
        self.path_entry.grid(row=0, column=1, sticky="ew")
        self.browse_button = Button(top, text="Choose…", width=90, command=self.browse, **SECONDARY)
        self.browse_button.grid(row=0, column=2, padx=6)
        tip(HELP["path"], caption, self.path_entry, self.browse_button)
        fmt_caption = ctk.CTkLabel(top, text="Format")
        fmt_caption.grid(row=0, column=3, padx=(6, 4))
        self.format_menu = ctk.CTkOptionMenu(top, values=list(FORMATS), width=120)
        self.format_menu.set(opts["format"] if opts["format"] in FORMATS else "Auto")
        self.format_menu.grid(row=0, column=4, padx=(0, 4))
        tip(HELP["format"], fmt_caption, self.format_menu)

    def _build_options_row(self, options: ctk.CTkFrame, opts: dict[str, Any]) -> None:
        row = ctk.CTkFrame(options, fg_color="transparent")
        row.pack(fill="x", padx=4, pady=(2, 4))
        self.kind_vars: dict[str, ctk.BooleanVar] = {}
        for kind, label in KINDS:
            var = ctk.BooleanVar(value=kind in set(opts["kinds"]))
            self.kind_vars[kind] = var
            box = ctk.CTkCheckBox(row, text=label, variable=var, width=90)
            box.pack(side="left", padx=(4, 4))
            tip(HELP["kinds"], box)
        self.watched_var = ctk.BooleanVar(value=bool(opts["mark_watched"]))
        box = ctk.CTkCheckBox(row, text="Mark watched", variable=self.watched_var, width=120)
        box.pack(side="left", padx=(12, 4))
        tip(HELP["mark_watched"], box)
        self.force_var = ctk.BooleanVar(value=bool(opts["force"]))
        box = ctk.CTkCheckBox(row, text="Replace ratings I already gave", variable=self.force_var)
        box.pack(side="left", padx=4)
        tip(HELP["force"], box)
        self.all_var = ctk.BooleanVar(value=bool(opts["all_libraries"]))
        box = ctk.CTkCheckBox(row, text="All movie and TV libraries", variable=self.all_var)
        box.pack(side="left", padx=4)
        tip(HELP["all_libraries"], box)
        self.score_var = ctk.StringVar(value=str(opts["min_score"]))
        self.score_entry = ctk.CTkEntry(row, textvariable=self.score_var, width=56)
        self.score_entry.pack(side="right", padx=(0, 4))
        score_caption = ctk.CTkLabel(row, text="Sure match from")
        score_caption.pack(side="right", padx=(12, 4))
        tip(HELP["min_score"], score_caption, self.score_entry)

    def _build_actions(self, bar: ctk.CTkFrame, opts: dict[str, Any]) -> None:
        self.preview_button = Button(bar, text="Preview", width=110, command=self.preview_import)
        self.preview_button.pack(side="left", padx=(2, 6))
        tip(HELP["preview"], self.preview_button)
        self.export_button = Button(
            bar, text="Export ratings…", width=130, command=self.ask_export, **SECONDARY
        )
        self.export_button.pack(side="left", padx=6)
        tip(HELP["export"], self.export_button)
        self.unmatched_dir = str(opts.get("unmatched_dir") or "")
        self.unmatched_button = Button(
            bar, text="Unmatched list folder…", width=170, command=self.choose_unmatched_dir,
            **SECONDARY,
        )  # fmt: skip
        self.unmatched_button.pack(side="left", padx=6)
        tip(HELP["unmatched_dir"], self.unmatched_button)
        self.open_unmatched_button = Button(
            bar, text="Open unmatched list", width=150, command=self.open_unmatched
        )
        tip(
            "Open the list of rows that matched nothing (with the reason for each) in your "
            "spreadsheet program.",
            self.open_unmatched_button,
        )
        self.status_label = ctk.CTkLabel(bar, text="", anchor="w", text_color=MUTED_COLOR)
        self.status_label.pack(side="left", padx=8, fill="x", expand=True)
        self._show_unmatched_target()

    # --- options -----------------------------------------------------------------------

    def read_options(self) -> dict[str, Any]:
        """Every widget value, read on the main thread (the job gets plain values)."""
        text = self.score_var.get().strip().replace(",", ".")
        try:
            score = float(text)
        except ValueError:
            score = -1.0
        if not 0 <= score <= 1:
            raise ValueError("'Sure match from' is a number between 0 and 1, for example 0.85.")
        kinds = [k for k, _ in KINDS if self.kind_vars[k].get()]
        if not kinds:
            raise ValueError("Tick at least one media type: movies, shows or episodes.")
        path = self.path_var.get().strip()
        if not path:
            raise ValueError("Choose the export file first.")
        return {
            "path": path,
            "format": self.format_menu.get(),
            "kinds": kinds,
            "mark_watched": bool(self.watched_var.get()),
            "force": bool(self.force_var.get()),
            "all_libraries": bool(self.all_var.get()),
            "min_score": score,
            "unmatched_dir": self.unmatched_dir,
        }

    def restore_defaults(self) -> None:
        self.format_menu.set(DEFAULTS["format"])
        for kind, var in self.kind_vars.items():
            var.set(kind in DEFAULTS["kinds"])
        self.watched_var.set(DEFAULTS["mark_watched"])
        self.force_var.set(DEFAULTS["force"])
        self.all_var.set(DEFAULTS["all_libraries"])
        self.score_var.set(str(DEFAULTS["min_score"]))
        self.unmatched_dir = DEFAULTS["unmatched_dir"]
        self.remember(**{k: v for k, v in DEFAULTS.items()})
        self._show_unmatched_target()

    def start_folder(self) -> Path:
        """Where Choose… opens: beside the current file, else the demo's exports, else home."""
        current = self.path_var.get().strip()
        if current and Path(current).parent.is_dir():
            return Path(current).parent
        demo = getattr(self.app, "demo_folder", None)
        if demo and (Path(demo) / "exports").is_dir():
            return Path(demo) / "exports"
        return Path.home()

    def browse(self) -> None:
        path = filedialog.askopenfilename(
            parent=self.frame,
            title="Choose a ratings export",
            initialdir=str(self.start_folder()),
            filetypes=FILE_TYPES,
        )
        if path:
            self.path_var.set(path)

    def choose_unmatched_dir(self) -> None:
        folder = filedialog.askdirectory(
            parent=self.frame, title="Where the list of unmatched rows goes"
        )
        self.unmatched_dir = folder or ""
        self.remember(unmatched_dir=self.unmatched_dir)
        self._show_unmatched_target()

    def _show_unmatched_target(self) -> None:
        where = self.unmatched_dir or "beside the export file"
        self.status_label.configure(text=f"Rows that match nothing are listed {where}.")

    def on_close(self) -> None:
        try:
            self.remember(**self.read_options())
        except ValueError:
            pass

    # --- preview -------------------------------------------------------------------------

    def preview_import(self) -> None:
        """Read the file and the libraries on the worker; the plan comes back for review."""
        try:
            opts = self.read_options()
        except ValueError as exc:
            self.window.show_error(str(exc))
            return
        path = Path(opts["path"])
        several = several_exports(path) if path.is_dir() else []
        if several:
            self.window.show_error(several_exports_message(path, several))
            return
        self.remember(**opts)
        self.close_plan()
        self._show_unmatched_target()
        self.open_unmatched_button.pack_forget()
        job = ImportJob(
            self.app,
            opts["path"],
            fmt=FORMATS.get(opts["format"]),
            kinds=opts["kinds"],
            min_score=opts["min_score"],
            overwrite=opts["force"],
            mark_watched=opts["mark_watched"],
            all_libraries=opts["all_libraries"],
            library=None if opts["all_libraries"] else self.app.library,
            unmatched_dir=opts["unmatched_dir"] or None,
        )
        self.preview_job(job, name="import", phase=f"Reading {path.name} and the library…")

    def plan_title(self, plan: Plan) -> str:
        return f"Import {Path(self.plan_job.path).name}"

    def planned(self, plan: Plan, result: object) -> None:
        self.review.fill(self.plan_job.review)
        self.show_review_pane(bool(self.review.review_items))
        self.say(f"Import planned: {plural(len(plan), 'change')}; review, then Apply.")

    # --- needs review ------------------------------------------------------------------------

    def show_review_pane(self, show: bool) -> None:
        """The needs-review list beside the plan only when rows need a decision; otherwise
        the plan takes the whole width."""
        if show:
            self.body.grid_columnconfigure(0, weight=5, uniform="body")
            self.body.grid_columnconfigure(1, weight=3, uniform="body")
            self.review.grid(row=0, column=1, sticky="nsew", padx=(2, 4))
        else:
            self.review.grid_remove()
            self.body.grid_columnconfigure(0, weight=1, uniform="")
            self.body.grid_columnconfigure(1, weight=0, uniform="")

    def _library_of(self, item: Any) -> str:
        """The library a candidate is in, when the import read one library."""
        libraries = getattr(self.plan_job, "libraries", None) or []
        return str(libraries[0]) if len(libraries) == 1 else ""

    def _chosen(self, item: ReviewItem) -> Any:
        """The Plex item the plan holds for a row the user decided (None: not yet)."""
        return self.plan_job.chosen(item) if self.plan_job is not None else None

    def _decide(self, item: ReviewItem, choice: Any) -> bool:
        """A review decision (``None``: skip) edits the plan, which is shown again."""
        if self.plan_job is None:
            return False
        try:
            self.plan_job.accept_review(item, choice)
        except ValueError as exc:
            self.window.show_error(str(exc))
            return False
        self.show_plan()
        return True

    # --- apply ---------------------------------------------------------------------------------

    def apply(self, plan: Plan) -> bool:
        self.review.set_buttons(False)
        return super().apply(plan)

    def apply_phase(self, plan: Plan) -> str:
        return f"Writing {plural(len(plan), 'change')}…"

    def report_text(self, report: Report) -> str:
        # The job already logged the breakdown and the unmatched-rows path.
        return f"Import run {report.run_id}: {plural(report.changes, 'change')} written."

    def result_rows(self, plan: Plan, report: Report) -> list[Change]:
        """What was written (each with "written"), then the rows of the file that became no
        rating, each with its reason: after Apply the list says both."""
        out = [
            Change(c.target_kind, c.target, c.field, c.old, c.new, f"written: {c.reason}", c.label)
            for c in report.applied
        ]
        for s in plan.skipped:
            if s.get("reason") in ("unchanged",):
                continue
            year = f" ({s['year']})" if s.get("year") else ""
            line = f"line {s['line']}: " if s.get("line") else ""
            reason = str(s.get("reason", "")).replace("_", " ")
            detail = str(s.get("detail") or "")
            out.append(
                Change(
                    "row",
                    str(s.get("line", "")),
                    "not imported",
                    "",
                    s.get("rating"),
                    f"{reason}: {detail}" if detail and detail != reason else reason,
                    f"{line}{s.get('title', '')}{year}",
                )
            )
        return out

    def applied(self, report: Report | None) -> None:
        self.last_report = report
        if report is None:
            return
        self.last_unmatched = report.extra.get("unmatched_csv")
        if self.last_unmatched:
            where = Path(self.last_unmatched)
            folder = "beside the export" if not self.unmatched_dir else f"in {where.parent}"
            self.status_label.configure(text=f"Rows that matched nothing: {where.name} ({folder})")
            self.open_unmatched_button.tooltip_text = str(where)
            self.open_unmatched_button.pack(side="left", padx=6, before=self.status_label)
        else:
            self.status_label.configure(text="Every row was matched.")

    def open_unmatched(self) -> None:
        if self.last_unmatched and Path(self.last_unmatched).exists():
            open_path(self.last_unmatched)

    def plan_closed(self) -> None:
        self.review.clear()

    # --- export --------------------------------------------------------------------------------

    def ask_export(self) -> None:
        folder = filedialog.askdirectory(parent=self.frame, title="Folder for the exported ratings")
        if folder:
            self.export_to(folder)

    def export_to(self, folder: str | Path) -> tuple[Path, Path] | None:
        """Letterboxd CSV and plain CSV of the ratings, from one read (on the worker)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        lb = Path(folder) / f"plex-ratings-letterboxd-{stamp}.csv"
        plain = Path(folder) / f"plex-ratings-{stamp}.csv"
        all_libs = bool(self.all_var.get())
        library = self.app.library
        app = self.app

        def work(ctx: Any) -> dict[str, int]:
            return export_ratings(
                app, ctx, letterboxd=lb, plain=plain, library=library, all_libraries=all_libs
            )

        def done(ev: Finished) -> None:
            if not ev.error:
                self.say(f"Exported ratings: {lb} and {plain}")

        if self.run_job(work, name="export", phase="Reading ratings…", on_done=done):
            return lb, plain
        return None


#: This tab, declared once (the window finds it; no list to edit).
ENTRY = TabEntry(
    "import",
    "Import",
    "Bring the ratings you gave on IMDb, Letterboxd, TMDB or Trakt into your Plex movies"
    " and shows.",
    order=20,
)
TAB = register_tab(ENTRY, ImportTab)
