"""The Inference tab's fine-tuning panel: the engine's parameters, folded away once set.

The grid of numeric and text parameters, the engine and filler choice and
the mood tag. Folded (remembered), one line beside the toggle says which
values differ from the defaults, so the reports and the plan get its
height. Every value is read on the main thread before a job starts; a
refused value is outlined in red and unfolds the grid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import customtkinter as ctk

from ratings_gui.core import inference as inf
from ratings_gui.gui.widgets import ERROR_COLOR, MUTED_COLOR, TEXT_COLOR, Button, tip
from ratings_gui.jobs import infer as ij

#: The parameters shown as entries: (name, label, width).
FIELDS: tuple[tuple[str, str, int], ...] = (
    ("confidence", "Ratings to trust", 60),
    ("critic_weight", "Critics count", 60),
    ("critic_bias", "Critics offset", 60),
    ("global_weight", "Average counts", 60),
    ("album_gravity", "Album pull", 60),
    ("track_gravity", "Track pull", 60),
    ("min_duration", "Filler under s", 60),
    ("twin_tolerance", "Same song ±s", 60),
    ("rounding", "Write in steps", 60),
    ("sure_within", "Sure within ±★", 60),
    ("filler_words", "Filler words", 220),
    ("twin_exclude", "Never the same song", 220),
)
#: The engines as the menu names them -> ``Params.method``.
METHOD_LABELS = {
    "Fitted to your ratings": "fitted",
    "Classic formula": "classic",
}
#: The parameters toggle: open (the grid shows) and folded.
OPEN_TEXT = "Fine-tuning ▾"
FOLDED_TEXT = "Fine-tuning ▸"
#: The grid's columns: a caption and its entry each, a wide entry spanning three.
GRID_COLUMNS = 10


class FineTuning:
    """The toggle heads the grid's first row, so unfolded it costs no row of its own.

    ``on_fold(open_)`` remembers the user's choice; nothing folds the grid
    by itself, only a refused value unfolds it.
    """

    def __init__(
        self, parent: Any, saved: dict[str, Any], *, on_fold: Callable[[bool], None]
    ) -> None:
        self.on_fold = on_fold
        params = inf.Params.from_text(saved.get("params", {}))
        fold_row = ctk.CTkFrame(parent, fg_color="transparent")
        fold_row.pack(fill="x", padx=4, pady=(0, 4))
        self.params_toggle = Button(
            fold_row,
            text=OPEN_TEXT,
            width=100,
            height=24,
            anchor="w",
            command=self.toggle_params,
            fg_color="transparent",
            text_color=TEXT_COLOR,
            hover_color=("gray78", "gray28"),
            font=ctk.CTkFont(weight="bold"),
            cursor="hand2",
        )
        self.params_toggle.pack(side="left", anchor="n", pady=(4, 0))
        self.params_note = ctk.CTkLabel(
            fold_row, text="", anchor="w", height=24, text_color=MUTED_COLOR
        )
        self.param_grid = ctk.CTkFrame(fold_row, fg_color="transparent")
        self.param_vars: dict[str, ctk.StringVar] = {}
        self.param_entries: dict[str, ctk.CTkEntry] = {}
        self.bad_param: str | None = None
        last_row = self._build_fields(params)
        self._build_choices(last_row + 1, params, saved)
        for var in (self.method_var, self.filler_var):
            var.trace_add("write", lambda *_a: self._update_params_note())
        self.params_open = True
        self.set_params_open(not saved.get("params_folded", True), remember=False)

    def _build_fields(self, params: inf.Params) -> int:
        """The entries, in rows of :data:`GRID_COLUMNS`; returns the last row used."""
        text = params.as_text()
        col = row = 0
        for name, label, width in FIELDS:
            span = 3 if width > 100 else 1
            if col + 1 + span > GRID_COLUMNS:
                row, col = row + 1, 0
            caption = ctk.CTkLabel(self.param_grid, text=label)
            caption.grid(row=row, column=col, sticky="e", padx=(8, 3))
            var = ctk.StringVar(value=text[name])
            self.param_vars[name] = var
            entry = ctk.CTkEntry(self.param_grid, textvariable=var, width=width)
            entry.grid(row=row, column=col + 1, columnspan=span, sticky="w", pady=2)
            self.param_entries[name] = entry
            tip(inf.param_help(name), caption, entry)
            var.trace_add("write", lambda *_a, n=name: self._param_edited(n))
            col += 1 + span
        return row

    def _build_choices(self, row: int, params: inf.Params, saved: dict[str, Any]) -> None:
        """The engine and the filler choice (the classic formula's fields above only matter
        to the classic formula; the fitted engine learns its own weights), and the mood tag:
        off by default, so it lives with the other folded options."""
        box = ctk.CTkFrame(self.param_grid, fg_color="transparent")
        box.grid(row=row, column=0, columnspan=GRID_COLUMNS, sticky="w", pady=(2, 0))
        caption = ctk.CTkLabel(box, text="Method")
        caption.pack(side="left", padx=(8, 3))
        by_method = {v: k for k, v in METHOD_LABELS.items()}
        self.method_var = ctk.StringVar(value=by_method[params.method])
        self.method_menu = ctk.CTkOptionMenu(
            box, values=list(METHOD_LABELS), variable=self.method_var, width=190
        )
        self.method_menu.pack(side="left")
        tip(inf.param_help("method"), caption, self.method_menu)
        self.filler_var = ctk.BooleanVar(value=params.keep_filler_unrated)
        check = ctk.CTkCheckBox(
            box, text="Leave intros, skits and short tracks unrated", variable=self.filler_var
        )
        check.pack(side="left", padx=(14, 0))
        tip(inf.param_help("keep_filler_unrated"), check)
        self.mood_var = ctk.BooleanVar(value=bool(saved.get("mood_on", False)))
        self.mood_name = ctk.StringVar(value=str(saved.get("mood_tag", ij.DEFAULT_MOOD)))
        check = ctk.CTkCheckBox(
            box, text="Mark guesses with mood", variable=self.mood_var, width=20
        )
        check.pack(side="left", padx=(14, 4))
        self.mood_check = check
        self.mood_off_label = ctk.CTkLabel(
            box, text="", text_color=("gray35", "gray65"), anchor="w"
        )
        self.mood_entry = ctk.CTkEntry(box, textvariable=self.mood_name, width=140)
        self.mood_entry.pack(side="left")
        tip(
            "Also give every guessed item this Plex mood tag, so you can see and filter the "
            "guesses in Plex, and the program can recover them if its history is lost. "
            f"Default: off ({ij.DEFAULT_MOOD}).",
            check,
            self.mood_entry,
        )

    # --- reading and resetting ------------------------------------------------------------

    def read_params(self) -> inf.Params:
        """Main thread: the parameters as typed; ValueError names the refused field by its label
        (and outlines it in red)."""
        params = inf.Params()
        self._mark_bad(None)
        labels = {name: label for name, label, _w in FIELDS}
        for name, var in self.param_vars.items():
            try:
                params = params.with_text(name, var.get())
            except ValueError as exc:
                self._mark_bad(name)
                # The core names it as the CLI does (track_gravity); the user reads the label.
                raise ValueError(str(exc).replace(name, labels[name], 1)) from None
        params = params.with_text("method", METHOD_LABELS[self.method_var.get()])
        return params.with_text("keep_filler_unrated", "yes" if self.filler_var.get() else "no")

    def for_member(self, name: str) -> None:
        """A Plex Home member ("" the owner): tags are the owner's to change, so the mood is off."""
        on = not name
        self.mood_check.configure(state="normal" if on else "disabled")
        self.mood_entry.configure(state="normal" if on else "disabled")
        if on:
            self.mood_off_label.pack_forget()
        else:
            self.mood_off_label.configure(text=f"(off for {name}: only the server's owner may tag)")
            self.mood_off_label.pack(side="left", padx=(6, 0))

    def mood_tag(self) -> str | None:
        """The mood tag to mark guesses with (None: off); ValueError when on without a name."""
        if not self.mood_var.get() or self.mood_check.cget("state") == "disabled":
            return None
        mood = self.mood_name.get().strip()
        if not mood:
            raise ValueError("Name the mood tag, or switch it off.")
        return mood

    def mood_name_text(self) -> str:
        """The mood tag's name as remembered (the default when left empty)."""
        return self.mood_name.get().strip() or ij.DEFAULT_MOOD

    def restore_defaults(self) -> None:
        """Every parameter and the method at its default, no mood tag."""
        defaults = inf.Params()
        text = defaults.as_text()
        for name, var in self.param_vars.items():
            var.set(text[name])
        by_method = {v: k for k, v in METHOD_LABELS.items()}
        self.method_var.set(by_method[defaults.method])
        self.filler_var.set(defaults.keep_filler_unrated)
        self.mood_var.set(False)
        self.mood_name.set(ij.DEFAULT_MOOD)
        self._mark_bad(None)

    def show_bad(self) -> None:
        """A folded grid would hide the red field: show it, cursor in it."""
        if self.bad_param is not None:
            self.set_params_open(True)
            self.param_entries[self.bad_param].focus_set()

    # --- folding, the folded summary, the bad field -----------------------------------------

    def toggle_params(self) -> None:
        """The toggle's click: fold or unfold the parameter grid."""
        self.set_params_open(not self.params_open)

    def set_params_open(self, open_: bool, *, remember: bool = True) -> None:
        """Show or hide the parameter grid; the state is the user's, kept for the next start."""
        self.params_open = open_
        if open_:
            self.params_note.pack_forget()
            self.param_grid.pack(side="left")
        else:
            self.param_grid.pack_forget()
            self.params_note.pack(
                side="left", anchor="n", fill="x", expand=True, padx=(6, 0), pady=(4, 0)
            )
        self.params_toggle.configure(text=OPEN_TEXT if open_ else FOLDED_TEXT)
        self._update_params_note()
        if remember:
            self.on_fold(open_)

    def params_summary(self) -> str:
        """The folded grid in one line: which parameters differ from the defaults."""
        defaults = inf.Params()
        base = defaults.as_text()
        changed: list[str] = []
        for name, label, width in FIELDS:
            text = self.param_vars[name].get().strip()
            try:
                same = defaults.with_text(name, text).as_text()[name] == base[name]
            except ValueError:
                changed.append(f"{label} {text!r} (not valid)")
                continue
            if not same:
                changed.append(f"{label} edited" if width > 100 else f"{label} {text}")
        if METHOD_LABELS[self.method_var.get()] != defaults.method:
            changed.append(self.method_var.get())
        if self.filler_var.get() != defaults.keep_filler_unrated:
            changed.append("filler left unrated")
        return "changed: " + " · ".join(changed) if changed else "all at their defaults"

    def _update_params_note(self) -> None:
        self.params_note.configure(text="" if self.params_open else self.params_summary())

    def _param_edited(self, name: str) -> None:
        if name == self.bad_param:
            self._mark_bad(None)  # the user is fixing it: no longer red
        self._update_params_note()

    def _mark_bad(self, name: str | None) -> None:
        """Outline the refused parameter in red (and only it); None clears the mark."""
        if name == self.bad_param:
            return
        normal = ctk.ThemeManager.theme["CTkEntry"]["border_color"]
        for n in {name, self.bad_param} - {None}:
            self.param_entries[str(n)].configure(border_color=ERROR_COLOR if n == name else normal)
        self.bad_param = name
