"""Tags tab: Plex track ratings <-> the rating tags in the files, previewed before writing.

The mapping rules are typed one per line (``server=local``) because that is
how users copy them from Plex's library settings. "Test mapping" checks a
sample of files on the window's job runner and offers the suggested rule
with one click. Every widget is read on the main thread before a job starts.
"""

from __future__ import annotations

import customtkinter as ctk

from ratings_gui.core.pathmap import MappingTest, RuleError, parse_rules
from ratings_gui.core.plan import FILE, Plan, Report
from ratings_gui.gui.tabs import Tab
from ratings_gui.gui.widgets import ERROR_COLOR, SECONDARY
from ratings_gui.jobs import tags_sync as ts
from ratings_gui.jobs.runner import Finished

MUTED = ("gray35", "gray65")
NO_LIBRARY = "(no music library)"
DIRECTION_KEYS = {v: k for k, v in ts.DIRECTION_NAMES.items()}
CONFLICT_KEYS = {v: k for k, v in ts.CONFLICT_NAMES.items()}


def report_line(report: Report) -> str:
    """``tags run 3: 118 files and 1 Plex ratings written; counts…`` for the log."""
    files = report.extra.get("files_written", 0)
    plex = report.extra.get("plex_written", 0)
    counts = ", ".join(f"{v:,} {k}" for k, v in sorted(report.counts.items()))
    return (
        f"{report.job} run {report.run_id}: {files:,} files and {plex:,} Plex ratings written"
        f" ({counts or 'nothing done'})"
    )


class TagsTab(Tab):
    """Mapping rules, Test mapping, direction, conflict rule, options; Preview -> Apply."""

    def build(self) -> None:
        self.libraries: list[str] = []
        self.last_test: MappingTest | None = None
        saved = self.options()
        f = self.frame
        f.grid_columnconfigure(0, weight=1)
        f.grid_rowconfigure(2, weight=1)
        pad = {"padx": (10, 6), "pady": 4}

        box = ctk.CTkFrame(f)
        box.grid(row=0, column=0, sticky="ew", padx=4, pady=(2, 4))
        box.grid_columnconfigure(1, weight=1)

        ctk.CTkLabel(box, text="Library").grid(row=0, column=0, sticky="w", **pad)
        self.library_menu = ctk.CTkOptionMenu(
            box, values=[NO_LIBRARY], width=220, dynamic_resizing=False
        )
        self.library_menu.grid(row=0, column=1, sticky="w", **pad)

        ctk.CTkLabel(box, text="Path mapping\n(server=local,\none per line)", justify="left").grid(
            row=1, column=0, sticky="nw", **pad
        )
        self.rules_box = ctk.CTkTextbox(box, height=62, wrap="none")
        self.rules_box.grid(row=1, column=1, sticky="ew", **pad)
        self.rules_box.insert("1.0", str(saved.get("rules", "")))
        side = ctk.CTkFrame(box, fg_color="transparent")
        side.grid(row=1, column=2, sticky="n", padx=(0, 10), pady=4)
        self.test_button = ctk.CTkButton(
            side, text="Test mapping", width=130, command=self.test_mapping, **SECONDARY
        )
        self.test_button.pack(anchor="w")
        self.use_button = ctk.CTkButton(
            side, text="Use suggestion", width=130, command=self.use_suggestion, **SECONDARY
        )
        self.use_button.pack(anchor="w", pady=(4, 0))
        self.use_button.configure(state="disabled")
        self.mapping_label = ctk.CTkLabel(
            box, text="", text_color=MUTED, justify="left", anchor="w", wraplength=900
        )
        self.mapping_label.grid(row=2, column=1, columnspan=2, sticky="w", padx=(10, 6))

        row = ctk.CTkFrame(box, fg_color="transparent")
        row.grid(row=3, column=0, columnspan=3, sticky="w", padx=6, pady=2)
        ctk.CTkLabel(row, text="Direction").pack(side="left", padx=(4, 6))
        self.direction_button = ctk.CTkSegmentedButton(
            row, values=list(ts.DIRECTION_NAMES.values())
        )
        self.direction_button.pack(side="left", padx=(0, 20))
        self.direction_button.set(
            ts.DIRECTION_NAMES.get(str(saved.get("direction")), ts.DIRECTION_NAMES["both"])
        )
        ctk.CTkLabel(row, text="When both are rated and differ").pack(side="left", padx=(0, 6))
        self.conflict_menu = ctk.CTkOptionMenu(
            row, values=list(ts.CONFLICT_NAMES.values()), width=160
        )
        self.conflict_menu.pack(side="left")
        self.conflict_menu.set(
            ts.CONFLICT_NAMES.get(str(saved.get("conflict")), ts.CONFLICT_NAMES["fill"])
        )

        row2 = ctk.CTkFrame(box, fg_color="transparent")
        row2.grid(row=4, column=0, columnspan=3, sticky="w", padx=6, pady=(2, 8))
        ctk.CTkLabel(row2, text="POPM e-mail").pack(side="left", padx=(4, 6))
        # no textvariable: CTkEntry shows its placeholder (the default owner) only without one
        self.email_entry = ctk.CTkEntry(
            row2, width=230, placeholder_text="Windows Media Player 9 Series"
        )
        if saved.get("popm_email"):
            self.email_entry.insert(0, str(saved["popm_email"]))
        self.email_entry.pack(side="left", padx=(0, 20))
        self.keep_mtime_var = ctk.BooleanVar(value=bool(saved.get("keep_mtime", False)))
        ctk.CTkCheckBox(row2, text="Keep file dates", variable=self.keep_mtime_var).pack(
            side="left", padx=(0, 20)
        )
        # Never remembered: erasing ratings is a fresh choice every time.
        self.allow_clear_var = ctk.BooleanVar(value=False)
        ctk.CTkCheckBox(
            row2,
            text="An unrated side clears the other",
            variable=self.allow_clear_var,
            text_color=ERROR_COLOR,
        ).pack(side="left")

        bar = ctk.CTkFrame(f, fg_color="transparent")
        bar.grid(row=1, column=0, sticky="ew", padx=4, pady=(0, 2))
        self.preview_button = ctk.CTkButton(
            bar, text="Preview", width=110, command=self.preview_plan
        )
        self.preview_button.pack(side="left")
        self.plan_note = ctk.CTkLabel(bar, text="", text_color=MUTED)
        self.plan_note.pack(side="left", padx=10)
        # The one question a scan can leave (a RATING of 6-10 whose scale nothing tells):
        # shown beside the preview, answered once per library, then planned again.
        self.scale_answers: dict[str, str] = {}
        self.scale_bar = ctk.CTkFrame(bar, fg_color="transparent")
        self.scale_label = ctk.CTkLabel(
            self.scale_bar, text="", justify="left", anchor="w", wraplength=560
        )
        self.scale_label.pack(side="left", padx=(10, 6))
        self.scale_buttons = {
            scale: ctk.CTkButton(
                self.scale_bar,
                text=f"Read as {label}",
                width=120,
                command=lambda s=scale: self.answer_scale(s),
                **SECONDARY,
            )
            for scale, label in (("percent", "0-100"), ("ten", "0-10"))
        }
        for button in self.scale_buttons.values():
            button.pack(side="left", padx=(0, 6))

        preview = self.make_preview(f)
        preview.grid(row=2, column=0, sticky="nsew")
        self.start_buttons = [self.preview_button, self.test_button]

        self.on_connection_changed()

    # --- options ------------------------------------------------------------------------

    def rules_text(self) -> str:
        return self.rules_box.get("1.0", "end").strip()

    def set_rules(self, text: str) -> None:
        self.rules_box.delete("1.0", "end")
        self.rules_box.insert("1.0", text)

    def read_options(self) -> ts.TagsOptions:
        """Every widget read here, on the main thread, before a job starts."""
        library = self.library_menu.get()
        if library not in self.libraries:
            raise ValueError("Choose a music library first (sign in on the Plex tab).")
        try:
            rules = parse_rules(self.rules_text().splitlines())
        except RuleError as exc:
            raise ValueError(str(exc)) from None
        if not rules:
            raise ValueError(
                "Add a path mapping: the server's music folder = the same folder here,"
                " e.g. /data/music=/home/me/Music"
            )
        return ts.TagsOptions(
            library,
            rules,
            direction=DIRECTION_KEYS.get(self.direction_button.get(), "both"),
            conflict=CONFLICT_KEYS.get(self.conflict_menu.get(), "fill"),
            allow_clear=bool(self.allow_clear_var.get()),
            popm_email=self.email_entry.get().strip(),
            keep_mtime=bool(self.keep_mtime_var.get()),
            rating_scale=self.scale_answers.get(library),
        )

    def _save(self, opts: ts.TagsOptions) -> None:
        self.remember(
            library=opts.library,
            rules=self.rules_text(),
            direction=opts.direction,
            conflict=opts.conflict,
            popm_email=opts.popm_email,
            keep_mtime=opts.keep_mtime,
        )

    def on_close(self) -> None:
        self.remember(rules=self.rules_text())

    # --- libraries ----------------------------------------------------------------------------

    def on_connection_changed(self) -> None:
        self.list_libraries("artist", self._set_libraries)

    def _set_libraries(self, names: list[str]) -> None:
        self.libraries = names
        self.fill_library_menu(self.library_menu, names, NO_LIBRARY)

    # --- test mapping ---------------------------------------------------------------------------

    def test_mapping(self) -> None:
        try:
            opts = self.read_options()
        except ValueError as exc:
            self.app.show_error(str(exc))
            return
        self._save(opts)
        job = ts.TagsSyncJob(self.ctx, opts)
        self.mapping_label.configure(text="Testing the mapping…", text_color=MUTED)
        self.run_job(
            job.test_mapping,
            name="tags-test-mapping",
            phase="Checking a sample of files…",
            on_done=self._tested,
        )

    def _tested(self, ev: Finished) -> None:
        test = ev.result if isinstance(ev.result, MappingTest) else None
        self.last_test = test
        if test is None:
            self.mapping_label.configure(text=ev.error or "", text_color=ERROR_COLOR)
            return
        lines = [test.describe()]
        if test.examples:
            sp, local = test.examples[0]
            lines.append(f"e.g. {sp}  →  {local}")
        if test.missing:
            sp, local = test.missing[0]
            lines.append(f"missing: {sp}  →  {local or '(no rule covers it)'}")
        ok = test.found == test.checked
        self.mapping_label.configure(text="\n".join(lines), text_color=MUTED if ok else ERROR_COLOR)
        self.use_button.configure(state="normal" if test.suggestion else "disabled")
        self.say(f"Tags mapping: {test.describe()}")

    def use_suggestion(self) -> None:
        """Put the suggested rule in place of the rule that found nothing."""
        test = self.last_test
        if test is None or test.suggestion is None:
            return
        lines = [ln for ln in self.rules_text().splitlines() if ln.strip()]
        server = test.suggestion.server
        kept = [ln for ln in lines if ln.split("=", 1)[0].strip() != server]
        self.set_rules("\n".join([str(test.suggestion), *kept]))
        self.use_button.configure(state="disabled")
        self.mapping_label.configure(text=f"Using {test.suggestion}", text_color=MUTED)

    # --- preview and apply -----------------------------------------------------------------------

    def preview_plan(self) -> None:
        try:
            opts = self.read_options()
        except ValueError as exc:
            self.app.show_error(str(exc))
            return
        self._save(opts)
        self.preview_job(
            ts.TagsSyncJob(self.ctx, opts),
            name=ts.JOB,
            phase=f"Reading {opts.library} and the files' tags…",
        )

    def plan_title(self, plan: Plan) -> str:
        files = sum(1 for c in plan.changes if c.target_kind == FILE)
        opts = getattr(self.plan_job, "opts", None)
        if opts is None:
            return super().plan_title(plan)
        return (
            f"Tags {ts.DIRECTION_NAMES[opts.direction]} ({ts.CONFLICT_NAMES[opts.conflict]}): "
            f"{files:,} files, {len(plan) - files:,} Plex ratings"
        )

    def planned(self, plan: Plan, result: object) -> None:
        self.plan_note.configure(text=f"{self.plan_job.figures.get('files', 0):,.0f} files scanned")
        counts = ", ".join(f"{v:,} {k}" for k, v in plan.summary().items() if k != "update")
        self.say(f"{self.plan_title(plan)}: {counts}")
        question = plan.options.get("rating_scale_question")
        if isinstance(question, dict):
            self.scale_label.configure(text=str(question.get("text", "")))
            self.scale_bar.pack(side="left", padx=6)  # the job logged the question already
        else:
            self.scale_bar.pack_forget()

    def answer_scale(self, scale: str) -> None:
        """The user's answer to the scale question: kept for this library, then planned again."""
        opts = getattr(self.plan_job, "opts", None)
        library = getattr(opts, "library", None) or self.library_menu.get()
        self.scale_answers[library] = scale
        self.scale_bar.pack_forget()
        self.preview_plan()

    def report_text(self, report: Report) -> str:
        return report_line(report)

    def plan_closed(self) -> None:
        self.plan_note.configure(text="")
        self.scale_bar.pack_forget()


TAB = TagsTab
