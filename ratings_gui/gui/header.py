"""The window's header: account, server and library at a glance, on every tab."""

from __future__ import annotations

from typing import Any

import customtkinter as ctk

from ratings_gui import APP_TITLE, about_text
from ratings_gui.gui.widgets import SECONDARY, Button, open_path, tip


class Header(ctk.CTkFrame):
    """Account, server and library at a glance, on every tab (and the demo's folder)."""

    def __init__(self, parent: Any) -> None:
        super().__init__(parent, corner_radius=0)
        title = ctk.CTkLabel(self, text=APP_TITLE, font=ctk.CTkFont(size=18, weight="bold"))
        title.pack(side="left", padx=(14, 24), pady=8)
        self.about_button = ctk.CTkButton(self, text="About", width=64, command=self.show_about)
        self.about_button.pack(side="right", padx=10)
        self.about_window: ctk.CTkToplevel | None = None
        self.account = self._pair("Account")
        self.server = self._pair("Server")
        self.library = self._pair("Library")
        #: ``--demo`` only: where its sample exports and music files are.
        self.demo = ctk.CTkLabel(self, text="", text_color=("gray25", "gray75"), anchor="e")

    def _pair(self, caption: str) -> ctk.CTkLabel:
        ctk.CTkLabel(self, text=f"{caption}:", text_color=("gray35", "gray65")).pack(
            side="left", padx=(10, 4)
        )
        value = ctk.CTkLabel(self, text="—", font=ctk.CTkFont(weight="bold"))
        value.pack(side="left", padx=(0, 10))
        return value

    def show_about(self) -> None:
        """The version (and its parts'), for the user and for bug reports."""
        if self.about_window is not None and self.about_window.winfo_exists():
            self.about_window.focus()
            return
        self.about_window = top = ctk.CTkToplevel(self)
        top.title(f"About {APP_TITLE}")
        ctk.CTkLabel(top, text=about_text(), justify="left").pack(padx=20, pady=(16, 8))
        ctk.CTkButton(top, text="Close", width=80, command=top.destroy).pack(pady=(0, 14))

    def set(
        self, *, account: str | None = None, server: str | None = None, library: str | None = None
    ) -> None:
        """Update the given fields; an empty string shows a dash."""
        for label, value in (
            (self.account, account),
            (self.server, server),
            (self.library, library),
        ):
            if value is not None:
                label.configure(text=value or "—")

    def show_demo_folder(self, folder: str) -> None:
        """Name the demo's one folder (sample exports and music) where it is always seen;
        a long path is shortened in the middle, the tooltip and Open show all of it."""
        self.demo_folder = folder
        shown = folder if len(folder) <= 44 else f"{folder[:14]}…{folder[-29:]}"
        self.demo.configure(text=f"Demo files: {shown}")
        self.demo_open = Button(
            self, text="Open", width=56, height=24, command=self._open_demo_folder, **SECONDARY
        )
        self.demo_open.pack(side="right", padx=(4, 10))
        self.demo.pack(side="right", padx=(10, 0))
        tip(
            f"The demo's sample exports (for Import) and music files (for Tags): {folder}. "
            "Removed when the demo ends.",
            self.demo,
            self.demo_open,
        )

    def _open_demo_folder(self) -> None:
        open_path(self.demo_folder)
