"""Shared widgets: the log pane, the progress row and ttk styling that follows light/dark.

customtkinter has no table, so tables are ttk.Treeview; ttk does not follow
customtkinter's appearance mode by itself, hence :func:`style_treeviews`.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

import customtkinter as ctk

from ratings_gui.core.scale import format_stars
from ratings_gui.logsetup import redact

#: The log pane keeps this many lines; older ones are dropped so it never grows unbounded.
LOG_MAX_LINES = 5000

_LIGHT = {
    "bg": "#ffffff",
    "fg": "#1a1a1a",
    "head_bg": "#e4e4e4",
    "head_fg": "#1a1a1a",
    "sel_bg": "#3a7ebf",
    "sel_fg": "#ffffff",
}
_DARK = {
    "bg": "#2b2b2b",
    "fg": "#e6e6e6",
    "head_bg": "#3a3a3a",
    "head_fg": "#e6e6e6",
    "sel_bg": "#1f538d",
    "sel_fg": "#ffffff",
}


def is_dark() -> bool:
    return ctk.get_appearance_mode().lower() == "dark"


def style_treeviews(root: tk.Misc) -> None:
    """Colour every ttk.Treeview for the current appearance mode (ttk ignores ctk's)."""
    pal = _DARK if is_dark() else _LIGHT
    style = ttk.Style(root)
    if "clam" in style.theme_names():
        style.theme_use("clam")
    style.configure(
        "Treeview",
        background=pal["bg"],
        fieldbackground=pal["bg"],
        foreground=pal["fg"],
        rowheight=24,
        borderwidth=0,
        font=("TkDefaultFont", 10),
    )
    style.configure(
        "Treeview.Heading",
        background=pal["head_bg"],
        foreground=pal["head_fg"],
        relief="flat",
        font=("TkDefaultFont", 10, "bold"),
    )
    style.map(
        "Treeview",
        background=[("selected", pal["sel_bg"])],
        foreground=[("selected", pal["sel_fg"])],
    )
    style.map("Treeview.Heading", background=[("active", pal["sel_bg"])])


def stars_text(value: Any) -> str:
    """A value as stars when it is a rating, else as text (tag fields may hold strings).

    A journaled file change keeps ``{"rating": r, "fields": {...}}``: show the rating.
    """
    if isinstance(value, dict) and "rating" in value:
        value = value["rating"]
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return format_stars(value)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


#: Journal/plan field names as users read them.
FIELD_NAMES = {"userRating": "rating", "watched": "watched", "mood": "mood tag"}


def field_text(name: str) -> str:
    return FIELD_NAMES.get(name, name)


#: A quiet secondary button (outlined), for Discard, Refresh, Sign out.
SECONDARY = {
    "fg_color": "transparent",
    "border_width": 1,
    "text_color": ("gray10", "gray90"),
    "hover_color": ("gray85", "gray25"),
}


def make_tree(
    parent: Any, columns: list[tuple[str, str, int, bool]], *, height: int = 10
) -> tuple[ttk.Treeview, ctk.CTkFrame]:
    """A Treeview with a vertical scrollbar in a frame; columns = (id, heading, width, stretch)."""
    holder = ctk.CTkFrame(parent, fg_color="transparent")
    tree = ttk.Treeview(
        holder,
        columns=[c[0] for c in columns],
        show="headings",
        height=height,
        selectmode="browse",
    )
    for cid, heading, width, stretch in columns:
        tree.heading(cid, text=heading, anchor="w")
        tree.column(cid, width=width, minwidth=40, stretch=stretch, anchor="w")
    # A small requested height: the tree, not the scrollbar, decides how tall the table is.
    bar = ctk.CTkScrollbar(holder, command=tree.yview, height=40)
    tree.configure(yscrollcommand=bar.set)
    tree.pack(side="left", fill="both", expand=True)
    bar.pack(side="right", fill="y")
    return tree, holder


class LogPane(ctk.CTkFrame):
    """The shared log: one line per message, secrets masked again here whatever the caller did."""

    def __init__(self, parent: Any, *, height: int = 120) -> None:
        super().__init__(parent)
        self.text = ctk.CTkTextbox(self, height=height, wrap="word", font=ctk.CTkFont(size=12))
        self.text.pack(fill="both", expand=True, padx=4, pady=4)
        self.text.configure(state="disabled")
        self._lines = 0

    def append(self, line: str) -> None:
        line = redact(str(line)).rstrip("\n")
        self.text.configure(state="normal")
        self.text.insert("end", line + "\n")
        self._lines += line.count("\n") + 1
        if self._lines > LOG_MAX_LINES:
            drop = self._lines - LOG_MAX_LINES
            self.text.delete("1.0", f"{drop + 1}.0")
            self._lines -= drop
        self.text.configure(state="disabled")
        self.text.see("end")

    def content(self) -> str:
        """Everything shown (tests assert no secret ever reaches the pane)."""
        return self.text.get("1.0", "end")

    def clear(self) -> None:
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        self.text.configure(state="disabled")
        self._lines = 0


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(round(seconds))
    if s < 60:
        return f"about {s} s left"
    m, s = divmod(s, 60)
    if m < 60:
        return f"about {m} min {s:02d} s left"
    h, m = divmod(m, 60)
    return f"about {h} h {m:02d} min left"


ERROR_COLOR = ("#b3261e", "#ff8a80")
TEXT_COLOR = ("gray10", "gray90")


class ProgressRow(ctk.CTkFrame):
    """Progress bar, one line of phase text with counts and ETA (or the last error), and Cancel."""

    def __init__(self, parent: Any, on_cancel: Callable[[], None]) -> None:
        super().__init__(parent, fg_color="transparent")
        self.bar = ctk.CTkProgressBar(self, width=220)
        self.bar.set(0)
        self.phase = ctk.CTkLabel(self, text="Ready", anchor="w", text_color=TEXT_COLOR)
        self.cancel_button = ctk.CTkButton(
            self, text="Cancel", width=90, command=on_cancel, state="disabled"
        )
        self.bar.pack(side="left", padx=(4, 10))
        self.cancel_button.pack(side="right", padx=4)
        self.phase.pack(side="left", fill="x", expand=True)

    @property
    def message(self) -> ctk.CTkLabel:
        """The label that shows the last error (the phase line, in red)."""
        return self.phase

    def show(self, done: int, total: int, phase: str, eta: float | None) -> None:
        if total > 0:
            self.bar.set(min(1.0, done / total))
            text = f"{phase}: {done:,} of {total:,}"
        else:
            self.bar.set(0)
            text = phase
        extra = format_eta(eta)
        self.phase.configure(text=f"{text} — {extra}" if extra else text, text_color=TEXT_COLOR)

    def set_busy(self, busy: bool, phase: str = "") -> None:
        self.cancel_button.configure(state="normal" if busy else "disabled")
        if busy:
            self.bar.set(0)
            self.phase.configure(text=phase or "Working…", text_color=TEXT_COLOR)
        elif phase:
            self.phase.configure(text=phase, text_color=TEXT_COLOR)

    def error(self, text: str) -> None:
        """Show a plain error in red until the next job starts."""
        text = redact(text)
        if len(text) > 180:
            text = text[:177] + "…"
        self.phase.configure(text=text, text_color=ERROR_COLOR)


DISABLED_FILL = ("gray78", "gray30")


def set_enabled(button: Any, enabled: bool) -> None:
    """Enable or disable a button so it also LOOKS disabled.

    customtkinter keeps a filled button's colour when disabled, so a greyed
    Apply after a run still looked clickable. Transparent buttons keep theirs.
    """
    if not hasattr(button, "_ratings_fill"):
        button._ratings_fill = button.cget("fg_color")
    fill = button._ratings_fill
    button.configure(state="normal" if enabled else "disabled")
    if fill != "transparent":
        button.configure(fg_color=fill if enabled else DISABLED_FILL)
