"""Small dialogs. They call back instead of blocking, so the event loop (and tests) keep running."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import customtkinter as ctk

from ratings_gui.gui.widgets import SECONDARY, Button


class TokenStorageDialog(ctk.CTkToplevel):
    """No keyring: ask where the Plex token may be kept ("session" or "file")."""

    def __init__(self, parent: Any, on_choice: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.title("Keep the Plex token")
        self.resizable(False, False)
        self._on_choice = on_choice
        self.chosen: str | None = None
        ctk.CTkLabel(
            self,
            text="No system keyring found. Keep the Plex token:",
            font=ctk.CTkFont(size=14),
        ).pack(padx=20, pady=(18, 6))
        ctk.CTkLabel(
            self,
            text="The settings file is plain text in your user folder; "
            "'this session only' asks you to sign in again next time.",
            wraplength=380,
            justify="left",
            text_color=("gray35", "gray65"),
        ).pack(padx=20, pady=(0, 10))
        row = ctk.CTkFrame(self, fg_color="transparent")
        row.pack(padx=20, pady=(0, 18))
        self.session_button = Button(
            row, text="For this session only", command=lambda: self._choose("session")
        )
        self.session_button.pack(side="left", padx=6)
        self.file_button = Button(
            row, text="In the settings file", command=lambda: self._choose("file")
        )
        self.file_button.pack(side="left", padx=6)
        self.protocol("WM_DELETE_WINDOW", lambda: self._choose("session"))
        self.transient(parent)
        _center_on(self, parent)
        self.after(50, lambda: _lift(self))

    def _choose(self, storage: str) -> None:
        if self.chosen is not None:
            return
        self.chosen = storage
        self.destroy()
        self._on_choice(storage)


class ConfirmDialog(ctk.CTkToplevel):
    """A yes/no question that calls back (``True`` for yes) instead of blocking."""

    def __init__(
        self,
        parent: Any,
        *,
        title: str,
        text: str,
        yes: str,
        no: str,
        on_answer: Callable[[bool], None],
    ) -> None:
        super().__init__(parent)
        self.title(title)
        self.resizable(False, False)
        self._on_answer = on_answer
        self.answered: bool | None = None
        ctk.CTkLabel(
            self, text=text, wraplength=400, justify="left", font=ctk.CTkFont(size=14)
        ).pack(padx=20, pady=(18, 12))
        row = ctk.CTkFrame(self, fg_color="transparent")
        row.pack(padx=20, pady=(0, 18))
        self.yes_button = Button(row, text=yes, command=lambda: self._answer(True))
        self.yes_button.pack(side="left", padx=6)
        self.no_button = Button(row, text=no, command=lambda: self._answer(False), **SECONDARY)
        self.no_button.pack(side="left", padx=6)
        self.protocol("WM_DELETE_WINDOW", lambda: self._answer(False))
        self.bind("<Escape>", lambda _e: self._answer(False))
        self.transient(parent)
        _center_on(self, parent)
        self.after(50, lambda: _lift(self))

    def _answer(self, yes: bool) -> None:
        if self.answered is not None:
            return
        self.answered = yes
        self.destroy()
        self._on_answer(yes)


def _center_on(dialog: Any, parent: Any) -> None:
    """Over the middle of the main window, not in a screen corner."""
    try:
        dialog.update_idletasks()
        w, h = dialog.winfo_reqwidth(), dialog.winfo_reqheight()
        x = parent.winfo_rootx() + (parent.winfo_width() - w) // 2
        y = parent.winfo_rooty() + (parent.winfo_height() - h) // 3
        dialog.geometry(f"+{max(0, x)}+{max(0, y)}")
    except Exception:  # noqa: BLE001 - placement is cosmetic
        pass


def _lift(dialog: Any) -> None:
    try:
        dialog.lift()
        dialog.focus_force()
    except Exception:  # noqa: BLE001 - the dialog may already be gone
        pass


class PinDialog(ctk.CTkToplevel):
    """A Plex Home member's PIN (four digits, never shown); calls back with it or None."""

    def __init__(self, parent: Any, name: str, on_answer: Callable[[str | None], None]) -> None:
        super().__init__(parent)
        self.title(f"PIN for {name}")
        self.resizable(False, False)
        self._on_answer = on_answer
        self.answered = False
        ctk.CTkLabel(
            self,
            text=f"{name} is protected by a Plex Home PIN. Type it to work on {name}'s ratings.",
            wraplength=360,
            justify="left",
            font=ctk.CTkFont(size=14),
        ).pack(padx=20, pady=(18, 8))
        self.pin_var = ctk.StringVar(value="")
        self.entry = ctk.CTkEntry(self, textvariable=self.pin_var, show="•", width=120)
        self.entry.pack(padx=20, pady=(0, 10))
        self.entry.bind("<Return>", lambda _e: self._answer(True))
        row = ctk.CTkFrame(self, fg_color="transparent")
        row.pack(padx=20, pady=(0, 18))
        self.ok_button = Button(row, text="Switch", width=100, command=lambda: self._answer(True))
        self.ok_button.pack(side="left", padx=6)
        self.cancel_button = Button(
            row, text="Cancel", width=100, command=lambda: self._answer(False), **SECONDARY
        )
        self.cancel_button.pack(side="left", padx=6)
        self.protocol("WM_DELETE_WINDOW", lambda: self._answer(False))
        self.transient(parent)
        _center_on(self, parent)
        self.after(50, lambda: (_lift(self), self.entry.focus_set()))

    def _answer(self, ok: bool) -> None:
        if self.answered:
            return
        self.answered = True
        pin = self.pin_var.get().strip() if ok else None
        self.destroy()
        self._on_answer(pin or None if ok else None)
