"""Tags tab: Plex track ratings <-> the rating tags in the files, previewed before writing.

The mapping rules are typed one per line (``server=local``) because that is
how users copy them from Plex's library settings. "Test mapping" checks a
sample of files on the window's job runner and offers the suggested rule
with one click; with no rule yet it asks where the music is on this
computer and finds the rule itself. Every widget is read on the main
thread before a job starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from tkinter import filedialog
from typing import Any

import customtkinter as ctk

from ratings_gui.core.pathmap import MappingTest, RuleError, map_path, parse_rule, parse_rules
from ratings_gui.core.plan import FILE, Plan, Report
from ratings_gui.gui.tabs import Tab, TabEntry, register_tab
from ratings_gui.gui.widgets import (
    ERROR_COLOR,
    MUTED_COLOR,
    SECONDARY,
    Button,
    Fold,
    count_text,
    plural,
    quiet_scrollbars,
    readable_segments,
    tip,
)
from ratings_gui.jobs import tags_sync as ts
from ratings_gui.jobs.runner import Finished
from ratings_gui.tags.scales import ScaleQuestion

DIRECTION_KEYS = {v: k for k, v in ts.DIRECTION_NAMES.items()}
CONFLICT_KEYS = {v: k for k, v in ts.CONFLICT_NAMES.items()}
DEFAULTS = {"direction": "both", "conflict": "fill", "popm_email": "", "keep_mtime": False}
DEFAULT_OWNER = "Windows Media Player 9 Series"

HELP = {
    "library": "The Plex music library whose tracks are compared with their files.",
    "direction": "Which way ratings are copied: from Plex into the files, from the files "
    "into Plex, or both ways. Default: both ways.",
    "conflict": "When a track is rated in Plex and in its file with different stars: "
    "keep Plex's, keep the file's, keep the newer one, or change neither and only fill in "
    "missing ratings. Default: fill missing only.",
    "mapping": "Plex sees your music under its own path; this computer may see the same "
    "folder under another. One rule per line: the server's folder = the same folder here, "
    "e.g. /data/music=D:\\Music. Empty: Test mapping asks where your music is.",
    "test": "Checks a sample of 40 files under the rules and, when files are missing, "
    "looks for them and suggests the rule that finds them. Nothing is written.",
    "use": "Put the suggested rule in place of the rules that found nothing.",
    "owner": "MP3 files keep a rating per player under a name. Windows Media Player, "
    "MusicBee and foobar2000 read '" + DEFAULT_OWNER + "' (used when this is empty). "
    "Default: empty.",
    "keep_mtime": "Keep each file's 'date modified' as it was after writing its rating, "
    "so other programs do not see the file as new. Default: off.",
    "include_guesses": "Also write ratings the program guessed (base ratings, inferred "
    "ratings) into the files. Off: only your own ratings go into files, so another player "
    "never takes a guess for yours. Default: off.",
    "allow_clear": "Where one side has no rating, remove the other side's rating too "
    "(off: an unrated side never erases a rating). Not remembered: choose it each time.",
    "preview": "Read the library and the files' tags and show what would change. "
    "Nothing is written until you press Apply.",
}


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
    """Library, direction, conflict rule, mapping rules and Test mapping; Preview -> Apply."""

    music_tab = True

    def build(self) -> Iterator[None]:
        """In parts (see :meth:`Tab.ensure_built`): the options, the bar, then the plan."""
        self.libraries: list[str] = []
        self.last_test: MappingTest | None = None
        saved = {**DEFAULTS, **self.options()}
        options, bar, body = self.job_layout()
        yield  # the frames first: the tab switch is drawn in a turn of its own
        pad = {"padx": (8, 4), "pady": 3}

        line, self.library_menu = self.option_line(HELP["library"])
        caption = ctk.CTkLabel(line, text="Copy")
        caption.pack(side="left", padx=(16, 4))
        self.direction_button = ctk.CTkSegmentedButton(
            line, values=list(ts.DIRECTION_NAMES.values()), **readable_segments()
        )
        self.direction_button.pack(side="left", **pad)
        self.direction_button.set(
            ts.DIRECTION_NAMES.get(str(saved["direction"]), ts.DIRECTION_NAMES["both"])
        )
        tip(HELP["direction"], caption, self.direction_button)
        caption = ctk.CTkLabel(line, text="If both rated")
        caption.pack(side="left", padx=(16, 4))
        self.conflict_menu = ctk.CTkOptionMenu(
            line, values=list(ts.CONFLICT_NAMES.values()), width=150
        )
        self.conflict_menu.pack(side="left", **pad)
        self.conflict_menu.set(
            ts.CONFLICT_NAMES.get(str(saved["conflict"]), ts.CONFLICT_NAMES["fill"])
        )
        tip(HELP["conflict"], caption, self.conflict_menu)
        self._build_mapping(options, saved)
        yield
        more = self._build_more(options, saved)
        self._build_bar(bar, more, saved)
        yield
        preview = self.make_preview(body)
        preview.grid(row=0, column=0, sticky="nsew", padx=4)
        self.start_buttons = [self.preview_button, self.test_button]

        self.on_connection_changed()

    # --- options ------------------------------------------------------------------------

    def rules_text(self) -> str:
        return self.rules_box.get("1.0", "end").strip()

    def set_rules(self, text: str) -> None:
        self.rules_box.delete("1.0", "end")
        self.rules_box.insert("1.0", text)

    def read_options(self, *, need_rules: bool = True) -> ts.TagsOptions:
        """Every widget read here, on the main thread, before a job starts."""
        library = self.library_menu.get()
        if library not in self.libraries:
            raise ValueError("Choose a music library first (sign in on the Plex tab).")
        try:
            rules = parse_rules(self.rules_text().splitlines())
        except RuleError as exc:
            raise ValueError(str(exc)) from None
        if not rules and need_rules:
            raise ValueError(
                "Add a path mapping: the server's music folder = the same folder here,"
                " e.g. /data/music=/home/me/Music (or press Test mapping to find it)."
            )
        return ts.TagsOptions(
            library,
            rules,
            direction=DIRECTION_KEYS.get(self.direction_button.get(), "both"),
            conflict=CONFLICT_KEYS.get(self.conflict_menu.get(), "fill"),
            allow_clear=bool(self.allow_clear_var.get()),
            include_guesses=bool(self.include_guesses_var.get()),
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

    def _build_mapping(self, options: ctk.CTkFrame, saved: dict[str, Any]) -> None:
        """Path mapping: how the server's file paths read on this computer, with its test."""
        mapping = ctk.CTkFrame(options, fg_color="transparent")
        mapping.pack(fill="x", padx=2, pady=(2, 0))
        mapping.grid_columnconfigure(1, weight=1)
        caption = ctk.CTkLabel(mapping, text="Path mapping", justify="left")
        caption.grid(row=0, column=0, sticky="nw", padx=(8, 4), pady=(6, 2))
        self.rules_box = quiet_scrollbars(ctk.CTkTextbox(mapping, height=46, wrap="none"))
        self.rules_box.grid(row=0, column=1, sticky="ew", padx=4, pady=2)
        self.rules_box.insert("1.0", str(saved.get("rules", "")))
        tip(HELP["mapping"], caption, self.rules_box)
        side = ctk.CTkFrame(mapping, fg_color="transparent")
        side.grid(row=0, column=2, sticky="n", padx=(4, 6), pady=2)
        self.test_button = Button(
            side, text="Test mapping", width=120, command=self.test_mapping, **SECONDARY
        )
        self.test_button.pack(side="left")
        self.use_button = Button(
            side, text="Use suggestion", width=120, command=self.use_suggestion, state="disabled"
        )
        self.use_button.pack(side="left", padx=(6, 0))
        tip(HELP["test"], self.test_button)
        tip(HELP["use"], self.use_button)
        self.mapping_label = ctk.CTkLabel(
            mapping, text="", text_color=MUTED_COLOR, justify="left", anchor="w", wraplength=760
        )

    def _build_more(self, options: ctk.CTkFrame, saved: dict[str, Any]) -> ctk.CTkFrame:
        """Less used options, folded: the plan gets their height."""
        more = ctk.CTkFrame(options, fg_color="transparent")
        caption = ctk.CTkLabel(more, text="MP3 rating owner")
        caption.pack(side="left", padx=(10, 4))
        # no textvariable: CTkEntry shows its placeholder (the default owner) only without one
        self.email_entry = ctk.CTkEntry(more, width=230, placeholder_text=DEFAULT_OWNER)
        if saved.get("popm_email"):
            self.email_entry.insert(0, str(saved["popm_email"]))
        self.email_entry.pack(side="left", padx=(0, 16), pady=4)
        tip(HELP["owner"], caption, self.email_entry)
        self.keep_mtime_var = ctk.BooleanVar(value=bool(saved["keep_mtime"]))
        box = ctk.CTkCheckBox(more, text="Keep file dates", variable=self.keep_mtime_var)
        box.pack(side="left", padx=(0, 16))
        tip(HELP["keep_mtime"], box)
        self.include_guesses_var = ctk.BooleanVar(value=False)
        box = ctk.CTkCheckBox(
            more,
            text="Also write the program's guesses into files",
            variable=self.include_guesses_var,
        )
        box.pack(side="left", padx=(0, 16))
        tip(HELP["include_guesses"], box)
        # Never remembered: erasing ratings is a fresh choice every time.
        self.allow_clear_var = ctk.BooleanVar(value=False)
        box = ctk.CTkCheckBox(
            more,
            text="An unrated side clears the other",
            variable=self.allow_clear_var,
            text_color=ERROR_COLOR,
        )
        box.pack(side="left")
        tip(HELP["allow_clear"], box)
        return more

    def _build_bar(self, bar: ctk.CTkFrame, more: ctk.CTkFrame, saved: dict[str, Any]) -> None:
        self.preview_button = Button(bar, text="Preview", width=110, command=self.preview_plan)
        self.preview_button.pack(side="left")
        tip(HELP["preview"], self.preview_button)
        self.more = Fold(
            bar,
            "More options",
            show=lambda: more.pack(fill="x", padx=2, pady=(0, 3)),
            hide=more.pack_forget,
            on_change=lambda open_: self.remember(more_open=open_),
        )
        self.more.button.pack(side="left", padx=(12, 0))
        self.more.set_open(bool(saved.get("more_open", False)), notify=False)
        self.plan_note = ctk.CTkLabel(bar, text="", text_color=MUTED_COLOR)
        self.plan_note.pack(side="left", padx=10)
        # The one question a scan can leave (a RATING of 6-10 whose scale nothing tells):
        # the job asks it mid-read (ask_scale); answered once per library.
        self.scale_answers: dict[str, str] = {}
        self._answer_to: Callable[[str], None] | None = None
        self.scale_bar = ctk.CTkFrame(bar, fg_color="transparent")
        self.scale_label = ctk.CTkLabel(
            self.scale_bar, text="", justify="left", anchor="w", wraplength=560
        )
        self.scale_label.pack(side="left", padx=(10, 6))
        self.scale_buttons = {
            scale: Button(
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
            tip(
                "Some files hold a RATING from 6 to 10 that could be out of 100 or out of 10. "
                "Tell once how this library's files count; the plan is made again.",
                button,
            )

    def restore_defaults(self) -> None:
        """Direction, conflict rule and the folded options; the mapping is the user's own."""
        self.direction_button.set(ts.DIRECTION_NAMES[DEFAULTS["direction"]])
        self.conflict_menu.set(ts.CONFLICT_NAMES[DEFAULTS["conflict"]])
        self.email_entry.delete(0, "end")
        self.keep_mtime_var.set(False)
        self.include_guesses_var.set(False)
        self.allow_clear_var.set(False)
        self.remember(**DEFAULTS)

    def on_close(self) -> None:
        self.remember(rules=self.rules_text())

    # --- libraries ----------------------------------------------------------------------------

    # --- test mapping ---------------------------------------------------------------------------

    def show_mapping_text(self, text: str, *, error: bool = False) -> None:
        """The mapping test's answer under the rules (the line is there only when it says
        something)."""
        self.mapping_label.configure(text=text, text_color=ERROR_COLOR if error else MUTED_COLOR)
        if text:
            self.mapping_label.grid(row=1, column=1, columnspan=2, sticky="w", padx=4)
        else:
            self.mapping_label.grid_remove()

    def music_folder_guess(self) -> str:
        demo = getattr(self.app, "demo_folder", None)
        if demo and (Path(demo) / "music").is_dir():
            return str(Path(demo) / "music")
        music = Path.home() / "Music"
        return str(music if music.is_dir() else Path.home())

    def test_mapping(self, folder: str | None = None) -> None:
        """Check the rules; with none, find the music in ``folder`` (asked for when None)."""
        try:
            opts = self.read_options(need_rules=False)
        except ValueError as exc:
            self.window.show_error(str(exc))
            return
        if not opts.rules:
            folder = folder or filedialog.askdirectory(
                parent=self.frame,
                title="Where is your music on this computer?",
                initialdir=self.music_folder_guess(),
            )
            if not folder:
                self.show_mapping_text(
                    "Choose the folder that holds your music to find the mapping.", error=True
                )
                return
            opts.extra["search_roots"] = [folder]
        self._save(opts)
        job = ts.TagsSyncJob(self.app, opts)
        self.show_mapping_text("Testing the mapping…")
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
            self.show_mapping_text(ev.error or "", error=True)
            return
        lines = [test.describe()]
        if test.examples:
            sp, local = test.examples[0]
            lines.append(f"e.g. {sp}  →  {local}")
        elif test.missing:
            sp, local = test.missing[0]
            lines.append(f"missing: {sp}  →  {local or '(no rule covers it)'}")
        ok = test.found == test.checked
        self.show_mapping_text("\n".join(lines), error=not ok)
        self.use_button.configure(state="normal" if test.suggestion else "disabled")
        self.say(f"Tags mapping: {test.describe()}")

    def use_suggestion(self) -> None:
        """Put the suggested rule in place of every rule that led to a missing file."""
        test = self.last_test
        if test is None or test.suggestion is None:
            return
        missing = [sp for sp, _local in test.missing]
        kept = []
        for line in self.rules_text().splitlines():
            if not line.strip():
                continue
            try:
                rule = parse_rule(line)
            except RuleError:
                continue  # a broken line is no rule to keep
            if rule.server == test.suggestion.server:
                continue
            if any(map_path(sp, [rule]) is not None for sp in missing):
                continue  # this rule pointed at files that are not there
            kept.append(line)
        self.set_rules("\n".join([str(test.suggestion), *kept]))
        self.use_button.configure(state="disabled")
        self.show_mapping_text(f"Using {test.suggestion}: press Test mapping to check it.")

    # --- preview and apply -----------------------------------------------------------------------

    def preview_plan(self) -> None:
        try:
            opts = self.read_options()
        except ValueError as exc:
            self.window.show_error(str(exc))
            return
        self._save(opts)
        self.preview_job(
            ts.TagsSyncJob(self.app, opts, ask_scale=self.ask_scale),
            name=ts.JOB,
            phase=f"Reading {opts.library} and the files' tags…",
        )

    def item_kind(self, change: Any) -> str:
        return "track"  # a file or its Plex track: the Field column reads "track rating"

    def plan_title(self, plan: Plan) -> str:
        files = sum(1 for c in plan.changes if c.target_kind == FILE)
        opts = getattr(self.plan_job, "opts", None)
        if opts is None:
            return super().plan_title(plan)
        head = f"Tags {ts.DIRECTION_NAMES[opts.direction]} ({ts.CONFLICT_NAMES[opts.conflict]})"
        parts = [
            plural(n, word)
            for n, word in ((files, "file"), (len(plan) - files, "Plex rating"))
            if n
        ]
        return f"{head}: {' and '.join(parts) or 'nothing to write'}"

    def planned(self, plan: Plan, result: object) -> None:
        self.plan_note.configure(
            text=plural(int(self.plan_job.figures.get("files", 0)), "file") + " scanned"
        )
        counts = ", ".join(
            count_text(v, k) for k, v in plan.summary().items() if k != "update" and v
        )
        self.say(f"{self.plan_title(plan)}: {counts}")
        question = ts.open_question(plan)
        if question is not None:
            self.scale_label.configure(text=question.text)
            self.scale_bar.pack(side="left", padx=6)  # the job logged the question already
        else:
            self.scale_bar.pack_forget()

    def ask_scale(self, question: ScaleQuestion) -> str | None:
        """The job's question (on its worker): shown with its two answers; waits for one.

        None when the run is cancelled meanwhile (those files then stay unread).
        """
        answer: list[str] = []
        done = threading.Event()

        def show() -> None:
            self._answer_to = lambda scale: (answer.append(scale), done.set())
            self.scale_label.configure(text=question.text)
            self.scale_bar.pack(side="left", padx=6)

        self.window.runner.post(show)
        while not done.wait(0.1):
            if self.window.runner.cancel_event.is_set():
                self.window.runner.post(self.scale_bar.pack_forget)
                return None
        return answer[0]

    def answer_scale(self, scale: str) -> None:
        """The user's answer to the scale question: kept for this library; the read goes on
        (or, for a plan that left it open, is planned again)."""
        opts = getattr(self.plan_job, "opts", None)
        library = getattr(opts, "library", None) or self.library_menu.get()
        self.scale_answers[library] = scale
        self.scale_bar.pack_forget()
        waiting, self._answer_to = self._answer_to, None
        if waiting is not None:
            waiting(scale)
        else:
            self.preview_plan()

    def report_text(self, report: Report) -> str:
        return report_line(report)

    def plan_closed(self) -> None:
        self.plan_note.configure(text="")
        self.scale_bar.pack_forget()


#: This tab, declared once (the window finds it; no list to edit).
ENTRY = TabEntry(
    "tags",
    "Tags",
    "Copy track ratings between Plex and the rating stored inside your music files,"
    " so other players see the same stars.",
    order=30,
)
TAB = register_tab(ENTRY, TagsTab)
