"""Import tab: an export file -> preview -> settle the loose matches -> Apply; and Export back.

Every widget value is read here on the main thread and handed to
:class:`~ratings_gui.jobs.import_job.ImportJob` as plain values; the job's
prepare and apply run on the worker. The needs-review list edits the plan
through ``job.accept_review`` and the preview is shown again with the result.
"""

from __future__ import annotations

import time
from pathlib import Path
from tkinter import filedialog
from typing import Any

import customtkinter as ctk

from ratings_gui.core.importplan import ReviewItem
from ratings_gui.core.plan import Plan, Report
from ratings_gui.gui.tabs import Tab
from ratings_gui.gui.widgets import SECONDARY, make_tree
from ratings_gui.jobs.runner import Finished

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
NO_CHOICE = "(no candidate)"


def row_text(r: ReviewItem) -> str:
    """``Title (Year)`` as the file wrote it, with its line number."""
    row = r.row
    year = f" ({row.year})" if row.year else ""
    return f"{row.title}{year}"


def candidate_text(item: Any, score: float) -> str:
    return f"{item.label} [{item.kind}, {score:.2f}]"


class ImportTab(Tab):
    """File, options, Preview; then the plan preview beside the needs-review list."""

    def build(self) -> None:
        from ratings_gui.jobs.import_job import ImportJob  # noqa: F401 - fail early if broken

        self.last_report: Any = None
        self.last_unmatched: str | None = None
        opts = self.options()
        f = self.frame
        f.grid_columnconfigure(0, weight=1)
        f.grid_rowconfigure(3, weight=1)

        # --- file row
        top = ctk.CTkFrame(f, fg_color="transparent")
        top.grid(row=0, column=0, sticky="ew", padx=4, pady=(2, 2))
        top.grid_columnconfigure(1, weight=1)
        ctk.CTkLabel(top, text="Export file").grid(row=0, column=0, padx=(2, 6))
        self.path_var = ctk.StringVar(value=opts.get("path", ""))
        self.path_entry = ctk.CTkEntry(
            top,
            textvariable=self.path_var,
            placeholder_text="IMDb, Letterboxd, TMDB or Trakt export",
        )
        self.path_entry.grid(row=0, column=1, sticky="ew")
        self.browse_button = ctk.CTkButton(
            top, text="Choose…", width=90, command=self.browse, **SECONDARY
        )
        self.browse_button.grid(row=0, column=2, padx=6)
        ctk.CTkLabel(top, text="Format").grid(row=0, column=3, padx=(6, 4))
        self.format_menu = ctk.CTkOptionMenu(top, values=list(FORMATS), width=120)
        self.format_menu.set(
            opts.get("format", "Auto") if opts.get("format") in FORMATS else "Auto"
        )
        self.format_menu.grid(row=0, column=4)

        # --- options row
        row = ctk.CTkFrame(f, fg_color="transparent")
        row.grid(row=1, column=0, sticky="ew", padx=4, pady=2)
        kinds = set(opts.get("kinds", [k for k, _ in KINDS]))
        self.kind_vars: dict[str, ctk.BooleanVar] = {}
        for kind, label in KINDS:
            var = ctk.BooleanVar(value=kind in kinds)
            self.kind_vars[kind] = var
            ctk.CTkCheckBox(row, text=label, variable=var, width=90).pack(side="left", padx=(2, 4))
        self.watched_var = ctk.BooleanVar(value=bool(opts.get("mark_watched", False)))
        ctk.CTkCheckBox(row, text="Mark watched", variable=self.watched_var, width=120).pack(
            side="left", padx=(12, 4)
        )
        self.force_var = ctk.BooleanVar(value=bool(opts.get("force", False)))
        ctk.CTkCheckBox(row, text="Force overwrite", variable=self.force_var, width=130).pack(
            side="left", padx=4
        )
        self.all_var = ctk.BooleanVar(value=bool(opts.get("all_libraries", True)))
        ctk.CTkCheckBox(
            row, text="All movie and TV libraries", variable=self.all_var, width=190
        ).pack(side="left", padx=4)
        ctk.CTkLabel(row, text="Min score").pack(side="left", padx=(12, 4))
        self.score_var = ctk.StringVar(value=str(opts.get("min_score", 0.85)))
        ctk.CTkEntry(row, textvariable=self.score_var, width=56).pack(side="left")

        # --- actions row
        act = ctk.CTkFrame(f, fg_color="transparent")
        act.grid(row=2, column=0, sticky="ew", padx=4, pady=(4, 2))
        self.preview_button = ctk.CTkButton(
            act, text="Preview", width=110, command=self.preview_import
        )
        self.preview_button.pack(side="left", padx=(2, 6))
        self.export_button = ctk.CTkButton(
            act, text="Export ratings…", width=130, command=self.ask_export, **SECONDARY
        )
        self.export_button.pack(side="left", padx=6)
        self.unmatched_dir = opts.get("unmatched_dir") or ""
        self.unmatched_button = ctk.CTkButton(
            act, text="Unmatched CSV folder…", width=170, command=self.choose_unmatched_dir,
            **SECONDARY,
        )  # fmt: skip
        self.unmatched_button.pack(side="left", padx=6)
        self.status_label = ctk.CTkLabel(act, text="", anchor="w", text_color=("gray30", "gray70"))
        self.status_label.pack(side="left", padx=8, fill="x", expand=True)
        self._show_unmatched_target()

        # --- plan preview | needs review
        body = ctk.CTkFrame(f, fg_color="transparent")
        body.grid(row=3, column=0, sticky="nsew", padx=0, pady=(2, 0))
        body.grid_columnconfigure(0, weight=5, uniform="body")
        body.grid_columnconfigure(1, weight=3, uniform="body")
        body.grid_rowconfigure(0, weight=1)
        preview = self.make_preview(body)
        preview.grid(row=0, column=0, sticky="nsew", padx=(4, 2))
        # The review list shares the width: narrower item and reason columns keep all five visible.
        preview.tree.column("item", width=250)
        preview.tree.column("reason", width=130)

        rev = ctk.CTkFrame(body)
        rev.grid(row=0, column=1, sticky="nsew", padx=(2, 4))
        rev.grid_columnconfigure(0, weight=1)
        rev.grid_rowconfigure(1, weight=1)
        self.review_label = ctk.CTkLabel(
            rev, text="Needs review", anchor="w", font=ctk.CTkFont(size=14, weight="bold")
        )
        self.review_label.grid(row=0, column=0, sticky="ew", padx=6, pady=(6, 2))
        self.review_tree, holder = make_tree(
            rev,
            [("row", "Row", 110, True), ("match", "Suggested match", 120, True), ("choice", "Choice", 66, False)],
            height=5,
        )  # fmt: skip
        holder.grid(row=1, column=0, sticky="nsew", padx=6)
        self.review_tree.bind("<<TreeviewSelect>>", lambda _e: self._review_selected())
        self.candidate_menu = ctk.CTkOptionMenu(rev, values=[NO_CHOICE], dynamic_resizing=False)
        self.candidate_menu.grid(row=2, column=0, sticky="ew", padx=6, pady=(4, 2))
        buttons = ctk.CTkFrame(rev, fg_color="transparent")
        buttons.grid(row=3, column=0, sticky="ew", padx=6, pady=(2, 6))
        self.accept_button = ctk.CTkButton(buttons, text="Accept", width=80, command=self.accept)
        self.accept_button.pack(side="left")
        self.pick_button = ctk.CTkButton(
            buttons, text="Pick other", width=90, command=self.pick_other, **SECONDARY
        )
        self.pick_button.pack(side="left", padx=6)
        self.skip_button = ctk.CTkButton(
            buttons, text="Skip", width=70, command=self.skip, **SECONDARY
        )
        self.skip_button.pack(side="left")
        self.review_items: list[ReviewItem] = []
        self._set_review_buttons(False)
        self.start_buttons = [self.preview_button, self.export_button]

    # --- options -----------------------------------------------------------------------

    def read_options(self) -> dict[str, Any]:
        """Every widget value, read on the main thread (the job gets plain values)."""
        text = self.score_var.get().strip().replace(",", ".")
        try:
            score = float(text)
        except ValueError:
            score = -1.0
        if not 0 <= score <= 1:
            raise ValueError("Min score is a number between 0 and 1, for example 0.85.")
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

    def browse(self) -> None:
        start = Path(self.path_var.get()).parent if self.path_var.get() else Path.home()
        path = filedialog.askopenfilename(
            parent=self.frame,
            title="Choose a ratings export",
            initialdir=str(start),
            filetypes=FILE_TYPES,
        )
        if path:
            self.path_var.set(path)

    def choose_unmatched_dir(self) -> None:
        folder = filedialog.askdirectory(
            parent=self.frame, title="Where the unmatched-rows CSV goes"
        )
        self.unmatched_dir = folder or ""
        self.remember(unmatched_dir=self.unmatched_dir)
        self._show_unmatched_target()

    def _show_unmatched_target(self) -> None:
        where = self.unmatched_dir or "next to the export file"
        self.status_label.configure(text=f"Unmatched rows CSV: {where}")

    def on_close(self) -> None:
        try:
            self.remember(**self.read_options())
        except ValueError:
            pass

    # --- preview -------------------------------------------------------------------------

    def preview_import(self) -> None:
        """Read the file and the libraries on the worker; the plan comes back for review."""
        from ratings_gui.jobs.import_job import ImportJob

        try:
            opts = self.read_options()
        except ValueError as exc:
            self.app.show_error(str(exc))
            return
        self.remember(**opts)
        self.close_plan()
        job = ImportJob(
            self.ctx,
            opts["path"],
            fmt=FORMATS.get(opts["format"]),
            kinds=opts["kinds"],
            min_score=opts["min_score"],
            force=opts["force"],
            mark_watched=opts["mark_watched"],
            all_libraries=opts["all_libraries"],
            library=None if opts["all_libraries"] else self.ctx.library,
            unmatched_dir=opts["unmatched_dir"] or None,
        )
        self.preview_job(
            job, name="import", phase=f"Reading {Path(opts['path']).name} and the library…"
        )

    def plan_title(self, plan: Plan) -> str:
        return f"Import {Path(self.plan_job.path).name}"

    def planned(self, plan: Plan, result: object) -> None:
        self.review_items = list(self.plan_job.review)
        for i, r in enumerate(self.review_items):
            best = candidate_text(*r.candidates[0]) if r.candidates else NO_CHOICE
            self.review_tree.insert("", "end", iid=str(i), values=(row_text(r), best, "—"))
        self.review_label.configure(
            text=f"Needs review: {len(self.review_items)}"
            if self.review_items
            else "Nothing needs review"
        )
        if self.review_items:
            self.review_tree.selection_set("0")
        self.say(f"Import planned: {len(plan):,} change(s); review, then Apply.")

    # --- needs review ------------------------------------------------------------------------

    def selected_review(self) -> tuple[int, ReviewItem] | None:
        sel = self.review_tree.selection()
        if not sel:
            return None
        i = int(sel[0])
        return i, self.review_items[i]

    def _review_selected(self) -> None:
        picked = self.selected_review()
        if picked is None:
            self._set_review_buttons(False)
            return
        _, r = picked
        labels = [candidate_text(it, s) for it, s in r.candidates] or [NO_CHOICE]
        self.candidate_menu.configure(values=labels)
        chosen = self.plan_job.chosen(r)
        current = next(
            (lb for lb, (it, _) in zip(labels, r.candidates, strict=False) if it.key == chosen),
            labels[1] if len(labels) > 1 else labels[0],
        )
        self.candidate_menu.set(current)
        self._set_review_buttons(bool(r.candidates))

    def _set_review_buttons(self, on: bool) -> None:
        state = "normal" if on else "disabled"
        for b in (self.accept_button, self.pick_button):
            b.configure(state=state)
        self.skip_button.configure(state="normal" if self.review_items else "disabled")

    def _decide(self, candidate: int | None) -> None:
        picked = self.selected_review()
        if picked is None or self.plan_job is None:
            return
        i, r = picked
        choice = r.candidates[candidate][0] if candidate is not None else None
        try:
            self.plan_job.accept_review(r, choice)
        except ValueError as exc:
            self.app.show_error(str(exc))
            return
        text = "skipped" if choice is None else "accepted" if candidate == 0 else "picked"
        values = list(self.review_tree.item(str(i), "values"))
        if choice is not None:
            values[1] = candidate_text(*r.candidates[candidate or 0])
        values[2] = text
        self.review_tree.item(str(i), values=values)
        self.show_plan()
        nxt = str(i + 1)
        if self.review_tree.exists(nxt):
            self.review_tree.selection_set(nxt)
            self.review_tree.see(nxt)

    def accept(self) -> None:
        """Take the suggested (best) candidate."""
        self._decide(0)

    def pick_other(self) -> None:
        """Take the candidate chosen in the menu."""
        picked = self.selected_review()
        if picked is None:
            return
        labels = [candidate_text(it, s) for it, s in picked[1].candidates]
        value = self.candidate_menu.get()
        if value in labels:
            self._decide(labels.index(value))

    def skip(self) -> None:
        self._decide(None)

    def _clear_review(self) -> None:
        self.review_tree.delete(*self.review_tree.get_children())
        self.review_items = []
        self.review_label.configure(text="Needs review")
        self.candidate_menu.configure(values=[NO_CHOICE])
        self.candidate_menu.set(NO_CHOICE)
        self._set_review_buttons(False)

    # --- apply ---------------------------------------------------------------------------------

    def apply(self, plan: Plan) -> bool:
        self._set_review_buttons(False)
        return super().apply(plan)

    def apply_phase(self, plan: Plan) -> str:
        return f"Writing {len(plan):,} change(s)…"

    def report_text(self, report: Report) -> str:
        # The job already logged the breakdown and the unmatched-rows path.
        return f"Import run {report.run_id}: {report.changes:,} change(s) written."

    def applied(self, report: Report | None) -> None:
        self.last_report = report
        if report is None:
            return
        self.last_unmatched = report.extra.get("unmatched_csv")
        if self.last_unmatched:
            name = Path(self.last_unmatched).name
            self.status_label.configure(text=f"Unmatched rows CSV: {name} (beside the export)")
            if self.unmatched_dir:
                self.status_label.configure(text=f"Unmatched rows CSV: {self.last_unmatched}")
        else:
            self.status_label.configure(text="Every row was matched.")

    def plan_closed(self) -> None:
        self._clear_review()

    # --- export --------------------------------------------------------------------------------

    def ask_export(self) -> None:
        folder = filedialog.askdirectory(parent=self.frame, title="Folder for the exported ratings")
        if folder:
            self.export_to(folder)

    def export_to(self, folder: str | Path) -> tuple[Path, Path] | None:
        """Letterboxd CSV and plain CSV of the ratings, from one read (on the worker)."""
        from ratings_gui.jobs.import_job import export_ratings

        stamp = time.strftime("%Y%m%d-%H%M%S")
        lb = Path(folder) / f"plex-ratings-letterboxd-{stamp}.csv"
        plain = Path(folder) / f"plex-ratings-{stamp}.csv"
        all_libs = bool(self.all_var.get())
        library = self.ctx.library
        ctx = self.ctx

        def work(jc: Any) -> dict[str, int]:
            return export_ratings(
                ctx, jc, letterboxd=lb, plain=plain, library=library, all_libraries=all_libs
            )

        def done(ev: Finished) -> None:
            if not ev.error:
                self.say(f"Exported ratings: {lb} and {plain}")

        if self.run_job(work, name="export", phase="Reading ratings…", on_done=done):
            return lb, plain
        return None


TAB = ImportTab
