"""Backup tab: every rating in one file, restored on this server or a new one, and Clear.

Back up is a read and a file: no plan, nothing sent to Plex. Restore and
Clear are jobs like the others: preview -> Apply -> History can undo. Clear
asks the user to type the library's name before anything is cleared, and
always writes a backup of what it clears first. Copy ratings to another
user… gives one Plex Home member's ratings to another (a dialog asks From,
To, the library and Replace), through the same preview -> Apply.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from tkinter import filedialog
from typing import Any

import customtkinter as ctk

from ratings_gui.core import backup as bk
from ratings_gui.core import restoreplan as rp
from ratings_gui.core.plan import Plan
from ratings_gui.core.records import KINDS_BY_SECTION
from ratings_gui.gui.confirm import AUTO_KEY, TypedConfirmDialog
from ratings_gui.gui.dialogs import _center_on, _lift
from ratings_gui.gui.tabs import Tab, TabEntry, register_tab
from ratings_gui.gui.widgets import ERROR_COLOR, MUTED_COLOR, SECONDARY, Button, tip
from ratings_gui.jobs import transfer as jt
from ratings_gui.jobs.copy_ratings import CopyRatingsJob

ALL_LIBRARIES = "All libraries"
ALL_KINDS = "all kinds"
FILETYPES = [("Ratings backup", "*.json.gz *.json"), ("All files", "*")]
HELP = {
    "library": "Back up and restore every library, or only this one. Clear always names one.",
    "overwrite": "Off: a rating the server already holds stays, and is listed as a conflict. "
    "On: the backup's value replaces it. A base or inferred rating the program set is "
    "replaced by your own either way.",
    "kind": "Clear only these ratings (tracks, albums…), or every kind in the library.",
    "auto": "Before any run writes ratings, keep the ratings it is about to change in a "
    "backup file beside the history (the backups folder).",
    "backup": "Write every rating (with every id, file path and title, and whose it is) "
    "into one file. Nothing on the server changes.",
    "restore": "Pick a backup, see what matches on this server, then Apply. It may be "
    "another server: items are found by ids, file paths and titles. History can undo it.",
    "unmatched": "Save the rows that were not restored (not found, ambiguous, conflicts) "
    "as a CSV, with the reason for each.",
    "clear": "Remove the ratings of the chosen library after a preview. A backup of them "
    "is written first; you type the library's name to go on; History can undo it.",
    "copy": "Plex Home: give another member the ratings of one member (From) on the items "
    "they have not rated. Their own ratings stay unless you tick Replace. Preview first; "
    "History can undo it.",
    "copy_replace": "Off: a rating the To member gave stays as it is. On: From's rating "
    "replaces it. The program's base and inferred guesses are replaced either way.",
}


class BackupTab(Tab):
    """Back up all ratings…, Restore ratings… (preview), Clear ratings (typed confirmation)."""

    def build(self) -> Iterator[None]:
        """In parts (see :meth:`Tab.ensure_built`): the options and buttons, then the plan."""
        self.libraries: dict[str, str] = {}  # title -> section type
        self.confirm_dialog: TypedConfirmDialog | None = None
        saved = self.options()
        options, bar, body = self.job_layout()
        yield  # the frames first: the tab switch is drawn in a turn of its own
        self._build_library_line(options)
        self._build_clear_line(options)
        self._build_buttons(bar)
        yield
        preview = self.make_preview(body)
        preview.grid(row=0, column=0, sticky="nsew", padx=4)
        self.start_buttons += [
            self.backup_button,
            self.restore_button,
            self.clear_button,
            self.copy_button,
        ]
        self._saved_library = saved.get("library")
        self.on_connection_changed()

    def _build_library_line(self, options: Any) -> None:
        """Which library, and whether a restore may replace ratings already there."""
        pad = {"padx": (8, 4), "pady": 3}
        line = ctk.CTkFrame(options, fg_color="transparent")
        line.pack(fill="x", padx=2, pady=(3, 0))
        caption = ctk.CTkLabel(line, text="Library", width=56, anchor="w")
        caption.pack(side="left", **pad)
        self.library_menu = ctk.CTkOptionMenu(
            line,
            values=[ALL_LIBRARIES],
            width=200,
            dynamic_resizing=False,
            command=lambda _v: self._library_changed(),
        )
        self.library_menu.pack(side="left", **pad)
        tip(HELP["library"], caption, self.library_menu)
        self.overwrite_var = ctk.BooleanVar(value=False)  # never remembered: a fresh choice
        self.overwrite_check = ctk.CTkCheckBox(
            line,
            text="Restore replaces ratings the server already holds",
            variable=self.overwrite_var,
        )
        self.overwrite_check.pack(side="left", padx=(16, 4))
        tip(HELP["overwrite"], self.overwrite_check)

    def _build_clear_line(self, options: Any) -> None:
        """What a clear removes, and the automatic backup before every run that writes."""
        pad = {"padx": (8, 4), "pady": 3}
        line = ctk.CTkFrame(options, fg_color="transparent")
        line.pack(fill="x", padx=2, pady=(0, 3))
        caption = ctk.CTkLabel(line, text="Clear", width=56, anchor="w")
        caption.pack(side="left", **pad)
        self.kind_menu = ctk.CTkOptionMenu(
            line, values=[ALL_KINDS], width=200, dynamic_resizing=False
        )
        self.kind_menu.pack(side="left", **pad)
        tip(HELP["kind"], caption, self.kind_menu)
        self.auto_var = ctk.BooleanVar(value=bool(self.app.settings.get(AUTO_KEY)))
        self.auto_switch = ctk.CTkSwitch(
            line,
            text="Before a run writes, keep a backup of the ratings it changes",
            variable=self.auto_var,
            command=self._auto_changed,
        )
        self.auto_switch.pack(side="left", padx=(16, 4))
        tip(HELP["auto"], self.auto_switch)

    def _build_buttons(self, bar: Any) -> None:
        """Back up, Restore, Save rows not restored, Copy to another user, Clear; the status."""
        row = ctk.CTkFrame(bar, fg_color="transparent")
        row.pack(fill="x")
        self.backup_button = Button(
            row, text="Back up all ratings…", width=170, command=self.backup
        )
        self.backup_button.pack(side="left")
        tip(HELP["backup"], self.backup_button)
        self.restore_button = Button(row, text="Restore ratings…", width=150, command=self.restore)
        self.restore_button.pack(side="left", padx=8)
        tip(HELP["restore"], self.restore_button)
        self.unmatched_button = Button(
            row,
            text="Save rows not restored…",
            width=170,
            command=self.save_unmatched,
            state="disabled",
            **SECONDARY,
        )
        self.unmatched_button.pack(side="left")
        tip(HELP["unmatched"], self.unmatched_button)
        self.copy_button = Button(
            row, text="Copy ratings to another user…", width=210, command=self.copy_ratings
        )
        self.copy_button.pack(side="left", padx=8)
        tip(HELP["copy"], self.copy_button)
        self.copy_dialog: CopyRatingsDialog | None = None
        self.clear_button = Button(
            row,
            text="Clear ratings…",
            width=140,
            command=self.clear,
            fg_color=ERROR_COLOR,
            hover_color=("#8c1d18", "#e57373"),
        )
        self.clear_button.pack(side="right")
        tip(HELP["clear"], self.clear_button)
        self.status_label = ctk.CTkLabel(
            bar, text="", anchor="w", justify="left", text_color=MUTED_COLOR, wraplength=1000
        )
        self.status_label.pack(fill="x", padx=(4, 0), pady=(2, 0))

    def restore_defaults(self) -> None:
        """All libraries, all kinds, restore keeps what the server holds."""
        self.library_menu.set(ALL_LIBRARIES)
        self._library_changed()
        self.overwrite_var.set(False)
        self.remember(library=ALL_LIBRARIES)

    # --- libraries ----------------------------------------------------------------------

    def on_connection_changed(self) -> None:
        found: dict[str, str] = {}

        def step(types: list[str]) -> None:
            if not types:
                self._set_libraries(found)
                return

            def got(names: list[str], kind: str = types[0]) -> None:
                found.update({n: kind for n in names})
                step(types[1:])

            self.list_libraries(types[0], got)

        step(list(KINDS_BY_SECTION))

    def _set_libraries(self, found: dict[str, str]) -> None:
        self.libraries = found
        self.library_menu.configure(values=[ALL_LIBRARIES, *found])
        if self._saved_library in found:
            self.library_menu.set(self._saved_library)
        self._library_changed()

    def _library_changed(self) -> None:
        name = self.library_menu.get()
        kinds = KINDS_BY_SECTION.get(self.libraries.get(name, ""), ())
        self.kind_menu.configure(values=[ALL_KINDS, *kinds])
        if self.kind_menu.get() not in (ALL_KINDS, *kinds):
            self.kind_menu.set(ALL_KINDS)
        one = name in self.libraries
        self.backup_button.configure(text="Back up its ratings…" if one else "Back up all ratings…")

    def chosen_libraries(self) -> list[str] | None:
        name = self.library_menu.get()
        return [name] if name in self.libraries else None

    def _auto_changed(self) -> None:
        self.app.settings.set(AUTO_KEY, bool(self.auto_var.get()))

    def on_close(self) -> None:
        self.remember(library=self.library_menu.get())

    def set_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.configure(text=text, text_color=ERROR_COLOR if error else MUTED_COLOR)

    # --- back up ------------------------------------------------------------------------

    def backup(self, path: str | Path | None = None) -> bool:
        """Ask where (unless given), then read and write the file on the worker."""
        if self.app.connection is None:
            self.set_status("Sign in first (Plex tab).", error=True)
            return False
        stamp = time.strftime("%Y-%m-%d")
        path = path or filedialog.asksaveasfilename(
            parent=self.frame,
            title="Back up ratings to",
            initialfile=f"plex-ratings-{stamp}.json.gz",
            defaultextension=".json.gz",
            filetypes=FILETYPES,
        )
        if not path:
            return False
        job = jt.BackupJob(self.app, path, self.chosen_libraries())

        def done(ev: Any) -> None:
            if ev.error:
                self.set_status(ev.error, error=True)
                return
            res: jt.BackupResult = ev.result
            kinds = ", ".join(f"{res.counts[k]:,} {k}s" for k in bk.KINDS if res.counts.get(k))
            text = f"Backed up {res.total:,} ratings ({kinds or 'none'}) to {res.path}"
            self.set_status(text + ".")

        self.remember(library=self.library_menu.get())
        return self.run_job(job.run, name="backup", phase="Reading every rating…", on_done=done)

    # --- restore ------------------------------------------------------------------------

    def restore(self, path: str | Path | None = None) -> bool:
        """Pick a backup, then preview: matched, not found (with the reason), conflicts."""
        if self.app.connection is None:
            self.set_status("Sign in first (Plex tab).", error=True)
            return False
        path = path or filedialog.askopenfilename(
            parent=self.frame, title="Restore ratings from", filetypes=FILETYPES
        )
        if not path:
            return False
        job = jt.RestoreJob(
            self.app, path, self.chosen_libraries(), overwrite=bool(self.overwrite_var.get())
        )
        self.set_status(f"Reading {Path(path).name} and the server…")
        return self.preview_job(job, name="restore", phase="Matching the backup…")

    def save_unmatched(self, path: str | Path | None = None) -> bool:
        plan, job = self.plan, self.plan_job
        if plan is None or not plan.skipped or not isinstance(job, jt.RestoreJob):
            return False
        path = path or filedialog.asksaveasfilename(
            parent=self.frame,
            title="Save the rows not restored",
            initialfile=f"{job.path.name.split('.')[0]}-not-restored.csv",
            defaultextension=".csv",
            filetypes=[("CSV", "*.csv")],
        )
        if not path:
            return False

        def done(ev: Any) -> None:
            if ev.error:
                self.set_status(ev.error, error=True)
            else:
                self.set_status(f"{ev.result:,} rows not restored written to {path}")

        return self.run_job(
            lambda ctx: job.write_unmatched(plan, path), name="unmatched", on_done=done
        )

    # --- copy ratings to another Plex Home member -----------------------------------------

    def copy_ratings(self) -> bool:
        """List the Home's members (a plex.tv request, beside the job), then ask From and To."""
        if self.app.connection is None:
            self.set_status("Sign in first (Plex tab).", error=True)
            return False

        def listed(ev: Any) -> None:
            if ev.error:
                self.set_status(
                    f"The Plex Home members could not be listed: {ev.error}", error=True
                )
                return
            names = [m.name for m in ev.result]
            if len(names) < 2:
                self.set_status("Your Plex Home has one member: there is no one to copy to.")
                return
            self.set_status("Choose whose ratings to copy (From) and who gets them (To).")
            self.copy_dialog = CopyRatingsDialog(
                self.frame.winfo_toplevel(),
                members=names,
                libraries=list(self.libraries),
                library=self.library_menu.get(),
                on_answer=self._copy_chosen,
            )

        self.set_status("Listing the members of your Plex Home…")
        self.window.run_task(lambda: jt.home_members(self.app), listed, name="backup-members")
        return True

    def _copy_chosen(self, choice: CopyChoice | None) -> None:
        self.copy_dialog = None
        if choice is None:
            self.set_status("Nothing copied.")
            return
        libraries = [choice.library] if choice.library in self.libraries else None
        job = CopyRatingsJob(
            self.app, choice.source, choice.target, libraries, overwrite=choice.overwrite
        )
        self.set_status(f"Reading the ratings of {choice.source} and {choice.target}…")
        self.preview_job(job, name="copy-ratings", phase="Reading both members' ratings…")

    # --- clear --------------------------------------------------------------------------

    def clear(self) -> bool:
        """Preview the clear; Apply then asks for the library's name, typed."""
        name = self.library_menu.get()
        if name not in self.libraries:
            self.set_status("Choose the library to clear (not all libraries).", error=True)
            return False
        kind = self.kind_menu.get()
        job = jt.ClearJob(self.app, name, None if kind == ALL_KINDS else [kind])
        self.set_status(f"Reading the ratings of {name}…")
        return self.preview_job(job, name="clear-ratings", phase=f"Reading {name}…")

    def apply(self, plan: Plan) -> bool:
        """A clear needs the library's name typed; everything else applies as usual."""
        if plan.job != rp.CLEAR_JOB or not plan.changes:
            return super().apply(plan)
        library = str(plan.options.get("library", ""))

        def answer(ok: bool) -> None:
            self.confirm_dialog = None
            if ok:
                super(BackupTab, self).apply(plan)
            else:
                self.set_status("Nothing cleared.")
                if self.preview is not None:
                    self.preview.set_busy(False)

        self.confirm_dialog = TypedConfirmDialog(
            self.frame.winfo_toplevel(),
            title="Clear ratings",
            text=(
                f"This removes {len(plan.changes):,} ratings from {library}. A backup of them is "
                f"written first, and History can undo it.\nType the library's name to go on:"
            ),
            expected=library,
            action="Clear ratings",
            on_answer=answer,
        )
        return True

    # --- plan hooks ---------------------------------------------------------------------

    def plan_title(self, plan: Plan) -> str:
        if plan.job == rp.COPY_JOB:
            return f"Copy ratings: {plan.options.get('from_user')} → {plan.options.get('to_user')}"
        if plan.job == rp.CLEAR_JOB:
            return f"Clear: {plan.options.get('library', '')}"
        return f"Restore: {Path(str(plan.options.get('file', ''))).name}"

    def planned(self, plan: Plan, result: Any) -> None:
        super().planned(plan, result)
        if plan.job == rp.RESTORE_JOB:
            how = ", ".join(f"{v:,} by {k}" for k, v in plan.options.get("matched_by", {}).items())
            left = len(plan.skipped)
            text = f"Matched {how or 'nothing'}: {rp.restore_breakdown(plan.counts)}."
            if left:
                text += f" {left:,} rows not restored: Save rows not restored… lists the reasons."
            self.set_status(text)
            self.unmatched_button.configure(state="normal" if left else "disabled")
        elif plan.job == rp.COPY_JOB:
            to = plan.options.get("to_user")
            self.set_status(
                f"{plan.options.get('from_user')} → {to}: {rp.copy_breakdown(plan.counts)}. "
                f"Apply writes them as {to}'s own; History can undo it."
            )
        else:
            self.set_status(
                f"{len(plan.changes):,} ratings would be cleared. Apply asks you to type the "
                "library's name; a backup is written first."
            )

    def applied(self, report: Any) -> None:
        if report is None:
            return
        backup = report.extra.get("backup")
        text = f"{report.job} run {report.run_id}: {report.changes:,} ratings written"
        if backup:
            text = f"{report.job} run {report.run_id}: {report.changes:,} cleared; backup: {backup}"
        self.set_status(text + ". History can undo it.")

    def plan_closed(self) -> None:
        self.unmatched_button.configure(state="disabled")


@dataclass(frozen=True)
class CopyChoice:
    """What the Copy ratings dialog asks: From, To, the library and Replace."""

    source: str
    target: str
    library: str
    overwrite: bool


class CopyRatingsDialog(ctk.CTkToplevel):
    """From and To among the Home's members, the library, Replace; Preview calls back.

    Calls back instead of blocking (like the other dialogs), with None on Cancel.
    """

    def __init__(
        self,
        parent: Any,
        *,
        members: list[str],
        libraries: list[str],
        library: str,
        on_answer: Callable[[CopyChoice | None], None],
    ) -> None:
        super().__init__(parent)
        self.title("Copy ratings to another user")
        self.resizable(False, False)
        self._on_answer = on_answer
        self.answered = False
        ctk.CTkLabel(
            self, text=HELP["copy"], wraplength=420, justify="left", text_color=MUTED_COLOR
        ).grid(row=0, column=0, columnspan=2, padx=20, pady=(16, 10), sticky="w")
        self.hint = ctk.CTkLabel(self, text="", text_color=ERROR_COLOR)
        self.from_menu = self._menu(1, "From", members, members[0])
        self.to_menu = self._menu(2, "To", members, members[1])
        self.library_menu = self._menu(
            3, "Library", [ALL_LIBRARIES, *libraries], library if library in libraries else ""
        )
        self.overwrite_var = ctk.BooleanVar(value=False)
        self.overwrite_check = ctk.CTkCheckBox(
            self, text="Replace their own ratings", variable=self.overwrite_var
        )
        self.overwrite_check.grid(row=4, column=1, padx=(4, 20), pady=6, sticky="w")
        tip(HELP["copy_replace"], self.overwrite_check)
        self.hint.grid(row=5, column=0, columnspan=2, padx=20, sticky="w")
        row = ctk.CTkFrame(self, fg_color="transparent")
        row.grid(row=6, column=0, columnspan=2, padx=20, pady=(4, 16), sticky="e")
        self.preview_button = Button(row, text="Preview", width=110, command=self._preview)
        self.preview_button.pack(side="left", padx=(0, 8))
        self.cancel_button = Button(
            row, text="Cancel", width=110, command=lambda: self._answer(None), **SECONDARY
        )
        self.cancel_button.pack(side="left")
        self.protocol("WM_DELETE_WINDOW", lambda: self._answer(None))
        self.bind("<Escape>", lambda _e: self._answer(None))
        self.transient(parent)
        _center_on(self, parent)
        self.after(50, lambda: _lift(self))

    def _menu(self, row: int, text: str, values: list[str], value: str) -> ctk.CTkOptionMenu:
        ctk.CTkLabel(self, text=text, anchor="w").grid(row=row, column=0, padx=(20, 8), sticky="w")
        menu = ctk.CTkOptionMenu(
            self,
            values=values,
            width=240,
            dynamic_resizing=False,
            command=lambda _v: self.hint.configure(text=""),
        )
        menu.set(value or values[0])
        menu.grid(row=row, column=1, padx=(4, 20), pady=4, sticky="w")
        return menu

    def choice(self) -> CopyChoice:
        return CopyChoice(
            self.from_menu.get(),
            self.to_menu.get(),
            self.library_menu.get(),
            bool(self.overwrite_var.get()),
        )

    def _preview(self) -> None:
        c = self.choice()
        if c.source == c.target:
            self.hint.configure(text="Choose two different members.")
            return
        self._answer(c)

    def _answer(self, choice: CopyChoice | None) -> None:
        if self.answered:
            return
        self.answered = True
        self.destroy()
        self._on_answer(choice)


#: This tab, declared once (the window finds it; no list to edit).
ENTRY = TabEntry(
    "backup",
    "Backup",
    "Keep every rating in one file, put them back on this server or a new one, or clear"
    " a library's ratings (after a backup).",
    order=60,
)
TAB = register_tab(ENTRY, BackupTab)
