"""Asking before a run that writes: a typed confirmation, and the automatic-backup offer.

Both call back instead of blocking, so the event loop (and the tests) keep
running. The automatic backup itself runs on the worker, before the run's
first write; it reads only the items the plan changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import customtkinter as ctk

from ratings_gui.core.plan import Plan
from ratings_gui.gui.widgets import ERROR_COLOR, MUTED_COLOR, SECONDARY
from ratings_gui.jobs.policy import AUTO_BACKUP_KEY as AUTO_KEY
from ratings_gui.jobs.policy import writes_ratings


class TypedConfirmDialog(ctk.CTkToplevel):
    """ "Type the name to go on": the action button works only once the text matches."""

    def __init__(
        self,
        parent: Any,
        *,
        title: str,
        text: str,
        expected: str,
        action: str,
        on_answer: Callable[[bool], None],
    ) -> None:
        super().__init__(parent)
        self.title(title)
        self.resizable(False, False)
        self.expected = expected
        self._on_answer = on_answer
        self.answered: bool | None = None
        ctk.CTkLabel(self, text=text, wraplength=420, justify="left").pack(
            padx=20, pady=(18, 8), anchor="w"
        )
        self.text_var = ctk.StringVar(value="")
        self.entry = ctk.CTkEntry(
            self, textvariable=self.text_var, width=300, placeholder_text=expected
        )
        self.entry.pack(padx=20, pady=(0, 4), anchor="w")
        self.hint = ctk.CTkLabel(self, text="", text_color=MUTED_COLOR)
        self.hint.pack(padx=20, anchor="w")
        row = ctk.CTkFrame(self, fg_color="transparent")
        row.pack(padx=20, pady=(6, 18), fill="x")
        self.cancel_button = ctk.CTkButton(
            row, text="Cancel", width=110, command=lambda: self._answer(False), **SECONDARY
        )
        self.cancel_button.pack(side="right", padx=(8, 0))
        self.ok_button = ctk.CTkButton(
            row,
            text=action,
            width=150,
            fg_color=ERROR_COLOR,
            state="disabled",
            command=self._confirm,
        )
        self.ok_button.pack(side="right")
        self.text_var.trace_add("write", lambda *_: self._typed())
        self.protocol("WM_DELETE_WINDOW", lambda: self._answer(False))
        self.transient(parent)
        self._place(parent)
        self.after(50, self._focus)

    def _place(self, parent: Any) -> None:
        """Over the middle of the window, not in a screen corner."""
        try:
            self.update_idletasks()
            x = parent.winfo_rootx() + (parent.winfo_width() - self.winfo_reqwidth()) // 2
            y = parent.winfo_rooty() + (parent.winfo_height() - self.winfo_reqheight()) // 3
            self.geometry(f"+{max(0, x)}+{max(0, y)}")
        except Exception:  # noqa: BLE001 - placement is cosmetic
            pass

    def _focus(self) -> None:
        try:
            self.lift()
            self.entry.focus_set()
        except Exception:  # noqa: BLE001 - the dialog may already be gone
            pass

    def matches(self) -> bool:
        return self.text_var.get().strip() == self.expected

    def _typed(self) -> None:
        ok = self.matches()
        self.ok_button.configure(state="normal" if ok else "disabled")
        self.hint.configure(text="" if ok or not self.text_var.get() else "not the name yet")

    def _confirm(self) -> None:
        if self.matches():
            self._answer(True)

    def _answer(self, ok: bool) -> None:
        if self.answered is not None:
            return
        self.answered = ok
        self.destroy()
        self._on_answer(ok)


class BackupOffer(ctk.CTkFrame):
    """The once-asked offer, shown with a plan that writes ratings until the user answers."""

    def __init__(self, parent: Any, settings: Any, on_answer: Callable[[bool], None]) -> None:
        super().__init__(parent, fg_color=("#fff4d6", "#3a3020"), corner_radius=6)
        self.settings = settings
        self._on_answer = on_answer
        #: The plan preview it was offered beside (it goes when that plan does).
        self.preview: Any = None
        self.label = ctk.CTkLabel(
            self, text="Before a run writes, keep a backup of the ratings it changes?", anchor="w"
        )
        self.label.pack(side="left", padx=(10, 6), pady=3)
        self.yes_button = ctk.CTkButton(
            self, text="Yes, always", width=96, height=26, command=lambda: self.answer(True)
        )
        self.yes_button.pack(side="left", padx=3, pady=3)
        self.no_button = ctk.CTkButton(
            self, text="No", width=50, height=26, command=lambda: self.answer(False), **SECONDARY
        )
        self.no_button.pack(side="left", padx=(3, 8), pady=3)

    @staticmethod
    def wanted(settings: Any, plan: Plan | None) -> bool:
        """Not answered yet, and this plan writes ratings."""
        return settings.get(AUTO_KEY) is None and writes_ratings(plan)

    def answer(self, yes: bool) -> None:
        self.settings.set(AUTO_KEY, bool(yes))
        self._on_answer(bool(yes))


#: How often an unanswered offer checks that its plan is still on screen.
OFFER_POLL_MS = 300


#: The offer's words when the plan is too narrow for the whole sentence beside its buttons.
SHORT_OFFER = "Keep a backup before each run?"


def place_beside_buttons(bar: Any, preview: Any) -> None:
    """Left of Export/Apply/Discard when it fits (shortened if need be), else just above
    them: never over a button (a narrow plan, as Import's beside its review list)."""
    bar.update_idletasks()
    export = getattr(preview, "export_button", None)
    room = (
        export.winfo_rootx() - preview.winfo_rootx() - 16
        if export is not None and export.winfo_ismapped()
        else preview.winfo_width()
    )
    if bar.winfo_reqwidth() > room:
        bar.label.configure(text=SHORT_OFFER)
        bar.update_idletasks()
    if bar.winfo_reqwidth() <= room:
        bar.place(in_=preview, relx=0.0, rely=1.0, x=8, y=-6, anchor="sw")
    else:
        lift = export.master.winfo_height() + 8 if export is not None else 46
        bar.place(in_=preview, relx=0.0, rely=1.0, x=8, y=-lift, anchor="sw")


def offer_backup(window: Any, preview: Any) -> BackupOffer | None:
    """With a plan that writes ratings, until answered: the offer beside the plan's buttons.

    Placed over the preview's bottom-left corner (the buttons sit on the
    right), so no tab's layout changes; it goes when the plan does.
    """
    old = getattr(window, "backup_offer", None)
    if old is not None:
        old.destroy()
        window.backup_offer = None
    settings = window.app.settings
    if not BackupOffer.wanted(settings, getattr(preview, "plan", None)):
        return None

    def answered(yes: bool) -> None:
        bar.destroy()
        window.backup_offer = None
        tab = getattr(window, "tab_objects", {}).get("backup")
        if tab is not None:
            tab.auto_var.set(yes)
        window.log_line(
            "Backups before each run that writes: on (kept beside the history)."
            if yes
            else "No backups before runs (the Backup tab can turn them on)."
        )

    def watch() -> None:
        if window.backup_offer is not bar:
            return
        if getattr(preview, "plan", None) is None:
            bar.destroy()
            window.backup_offer = None
            return
        bar.after(OFFER_POLL_MS, watch)

    bar = BackupOffer(window, settings, answered)
    bar.preview = preview
    place_beside_buttons(bar, preview)
    bar.lift()
    window.backup_offer = bar
    bar.after(OFFER_POLL_MS, watch)
    return bar


def withdraw_offer(window: Any, preview: Any) -> None:
    """``preview``'s plan is gone (applied or discarded): its offer goes at once, not at
    the next check (the result of a run showed a question about runs for up to 0.3 s)."""
    bar = getattr(window, "backup_offer", None)
    if bar is not None and getattr(bar, "preview", None) is preview:
        bar.destroy()
        window.backup_offer = None
