"""The Inference tab's fine-tuning: the method first, then its settings in a window of their own.

The method (fitted or classic) sits in the tab, always in sight. The
toggle opens a small window with only the chosen method's settings, in
plain words; beside the toggle one line says which values differ from the
defaults. In the tab the settings took the plan's rows and, at 1040x640,
pushed Apply out of the window. Every value is read on the main thread
before a job starts; a refused value is outlined in red and opens the
settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import customtkinter as ctk

from ratings_gui.core import inference as inf
from ratings_gui.gui.widgets import (
    ERROR_COLOR,
    MUTED_COLOR,
    TEXT_COLOR,
    Button,
    readable_segments,
    tip,
)
from ratings_gui.jobs import infer as ij

#: The parameters shown as entries: (name, label in plain words, width).
FIELDS: tuple[tuple[str, str, int], ...] = (
    ("sure_within", "Write only guesses sure within ±★", 60),
    ("confidence", "Own ratings an album needs", 60),
    ("critic_weight", "Weight of critic scores", 60),
    ("critic_bias", "Raise critic scores by", 60),
    ("global_weight", "Weight of your average", 60),
    ("album_gravity", "Pull unrated albums to your average", 60),
    ("track_gravity", "Pull unrated tracks to your average", 60),
    ("rounding", "Round guesses to (1 = half stars)", 60),
    ("min_duration", "Tracks shorter than (seconds) are filler", 60),
    ("twin_tolerance", "Same song when lengths differ by (seconds)", 60),
    ("filler_words", "Titles with these words are filler", 220),
    ("twin_exclude", "Never the same song when titles have", 220),
)
#: The engines as the switch names them -> ``Params.method``.
METHOD_LABELS = {
    "Fitted to your ratings": "fitted",
    "Classic formula": "classic",
}
#: The settings only one method uses (the rest serve both).
ONLY_FOR = {
    "sure_within": "fitted",
    "keep_filler_unrated": "fitted",
    "confidence": "classic",
    "critic_weight": "classic",
    "critic_bias": "classic",
    "global_weight": "classic",
    "album_gravity": "classic",
    "track_gravity": "classic",
}
#: The parameters toggle: open (the grid shows) and folded.
OPEN_TEXT = "Fine-tuning ▾"
FOLDED_TEXT = "Fine-tuning ▸"
#: The grid's columns: a caption and its entry each (two pairs a row; a wide entry spans one pair).
GRID_COLUMNS = 4


class FineTuning:
    """The method first (always in sight), then the toggle; unfolded, only the chosen
    method's settings show, in plain words.

    ``on_fold(open_)`` remembers the user's choice; nothing folds the grid
    by itself, only a refused value unfolds it.
    """

    def __init__(
        self,
        parent: Any,
        saved: dict[str, Any],
        *,
        on_fold: Callable[[bool], None],
        build_dialog: bool = True,
    ) -> None:
        """``build_dialog=False``: the caller calls :meth:`build_dialog` before any use."""
        self.on_fold = on_fold
        params = inf.Params.from_text(saved.get("params", {}))
        fold_row = ctk.CTkFrame(parent, fg_color="transparent")
        fold_row.pack(fill="x", padx=4, pady=(0, 2))
        self._build_method(fold_row, params)
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
        self.params_toggle.pack(side="left", padx=(16, 0))
        tip("The chosen method's settings. Every one has a default that suits most libraries.",
            self.params_toggle)  # fmt: skip
        self.params_note = ctk.CTkLabel(
            fold_row, text="", anchor="w", height=24, text_color=MUTED_COLOR
        )
        self._parent, self._params, self._saved = parent, params, saved
        if build_dialog:
            self.build_dialog()

    def build_dialog(self) -> None:
        """The settings window (withdrawn); a tab builds it on a later turn than the row
        (see :meth:`Tab.ensure_built`): together they took 80 ms of one turn."""
        parent, params, saved = self._parent, self._params, self._saved
        # The settings open in a window of their own: in the tab they took the plan's rows
        # and pushed Apply off a 640-pixel-high window.
        self.dialog = ctk.CTkToplevel(parent)
        self.dialog.withdraw()
        self.dialog.title("Inference: fine-tuning")
        self.dialog.resizable(False, False)
        self.dialog.protocol("WM_DELETE_WINDOW", lambda: self.set_params_open(False))
        self.dialog_caption = ctk.CTkLabel(self.dialog, text="", anchor="w", justify="left")
        self.dialog_caption.pack(fill="x", padx=12, pady=(10, 2))
        self.param_grid = ctk.CTkFrame(self.dialog, fg_color="transparent")
        self.param_grid.pack(fill="x", padx=6, pady=4)
        self.close_button = Button(
            self.dialog, text="Close", width=90, command=lambda: self.set_params_open(False)
        )
        self.close_button.pack(side="bottom", anchor="e", padx=12, pady=(4, 10))
        tip("Close these settings; they are kept as typed for the next preview.", self.close_button)
        self.param_vars: dict[str, ctk.StringVar] = {}
        self.param_entries: dict[str, ctk.CTkEntry] = {}
        self.param_captions: dict[str, ctk.CTkLabel] = {}
        self.bad_param: str | None = None
        self.params_open = True
        self._build_fields(params)
        self._build_choices(params, saved)
        self._layout_fields()
        for var in (self.method_var, self.filler_var):
            var.trace_add("write", lambda *_a: self._update_params_note())
        self.method_var.trace_add("write", lambda *_a: self._layout_fields())
        # Closed at start: a settings window popping up with the main one would be a surprise.
        self.set_params_open(False, remember=False)

    def _build_method(self, row: Any, params: inf.Params) -> None:
        """How values are guessed: the first choice, never folded away."""
        caption = ctk.CTkLabel(row, text="Method")
        caption.pack(side="left", padx=(4, 8))
        by_method = {v: k for k, v in METHOD_LABELS.items()}
        self.method_var = ctk.StringVar(value=by_method[params.method])
        self.method_menu = ctk.CTkSegmentedButton(
            row, values=list(METHOD_LABELS), variable=self.method_var, **readable_segments()
        )
        self.method_menu.pack(side="left")
        tip(inf.param_help("method"), caption, self.method_menu)

    @property
    def method(self) -> str:
        """``fitted`` or ``classic``: the method chosen now."""
        return METHOD_LABELS[self.method_var.get()]

    def _build_fields(self, params: inf.Params) -> None:
        """Every entry, made once; :meth:`_layout_fields` places the chosen method's."""
        text = params.as_text()
        for name, label, width in FIELDS:
            caption = ctk.CTkLabel(self.param_grid, text=label, anchor="e")
            var = ctk.StringVar(value=text[name])
            self.param_vars[name] = var
            entry = ctk.CTkEntry(self.param_grid, textvariable=var, width=width)
            self.param_entries[name] = entry
            self.param_captions[name] = caption
            tip(inf.param_help(name), caption, entry)
            var.trace_add("write", lambda *_a, n=name: self._param_edited(n))

    def shown_fields(self) -> list[str]:
        """The settings the chosen method uses, in the grid's order."""
        return [n for n, _l, _w in FIELDS if ONLY_FOR.get(n, self.method) == self.method]

    def _layout_fields(self) -> None:
        """Two caption-entry pairs a row; the other method's settings leave the grid."""
        shown = self.shown_fields()
        for name in self.param_entries:
            if name not in shown:
                self.param_captions[name].grid_remove()
                self.param_entries[name].grid_remove()
        for i, name in enumerate(shown):
            row, col = divmod(i, GRID_COLUMNS // 2)
            self.param_captions[name].grid(row=row, column=2 * col, sticky="e", padx=(8, 4))
            self.param_entries[name].grid(row=row, column=2 * col + 1, sticky="w", pady=2)
        last = (len(shown) + 1) // 2
        self.choices_box.grid(row=last, column=0, columnspan=GRID_COLUMNS, sticky="w", pady=(2, 0))
        if self.method == "fitted":
            self.filler_check.pack(side="left", padx=(8, 14), before=self.mood_check)
        else:
            self.filler_check.pack_forget()
        self._update_params_note()

    def _build_choices(self, params: inf.Params, saved: dict[str, Any]) -> None:
        """The filler choice (the fitted method's) and the mood tag: off by default, so it
        lives with the other folded settings."""
        box = ctk.CTkFrame(self.param_grid, fg_color="transparent")
        self.choices_box = box
        self.filler_var = ctk.BooleanVar(value=params.keep_filler_unrated)
        self.filler_check = ctk.CTkCheckBox(
            box, text="Leave intros, skits and short tracks unrated", variable=self.filler_var
        )
        tip(inf.param_help("keep_filler_unrated"), self.filler_check)
        self.mood_var = ctk.BooleanVar(value=bool(saved.get("mood_on", False)))
        self.mood_name = ctk.StringVar(value=str(saved.get("mood_tag", ij.DEFAULT_MOOD)))
        check = ctk.CTkCheckBox(
            box, text="Mark guesses with mood", variable=self.mood_var, width=20
        )
        check.pack(side="left", padx=(8, 4))
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
        if not self.params_note.winfo_manager():
            self.params_note.pack(side="left", fill="x", expand=True, padx=(6, 0))
        if open_:
            top = self.params_toggle.winfo_toplevel()
            self.dialog.transient(top)
            x = top.winfo_rootx() + 60
            y = self.params_toggle.winfo_rooty() + 30
            self.dialog.geometry(f"+{max(0, x)}+{max(0, y)}")
            self.dialog.deiconify()
            self.dialog.lift()
        else:
            self.dialog.withdraw()
        self.params_toggle.configure(text=OPEN_TEXT if open_ else FOLDED_TEXT)
        self.dialog_caption.configure(text=f"Settings of the method {self.method_var.get()}")
        self._update_params_note()
        if remember:
            self.on_fold(open_)

    def params_summary(self) -> str:
        """The folded grid in one line: which parameters differ from the defaults."""
        defaults = inf.Params()
        base = defaults.as_text()
        changed: list[str] = []
        shown = set(self.shown_fields())
        for name, label, width in FIELDS:
            if name not in shown:
                continue
            text = self.param_vars[name].get().strip()
            try:
                same = defaults.with_text(name, text).as_text()[name] == base[name]
            except ValueError:
                changed.append(f"{label} {text!r} (not valid)")
                continue
            if not same:
                changed.append(f"{label} edited" if width > 100 else f"{label} {text}")
        if self.method == "fitted" and self.filler_var.get() != defaults.keep_filler_unrated:
            changed.append("filler left unrated")
        return "changed: " + " · ".join(changed) if changed else "all at their defaults"

    def _update_params_note(self) -> None:
        self.params_note.configure(text=self.params_summary())
        if hasattr(self, "dialog_caption"):
            self.dialog_caption.configure(text=f"Settings of the method {self.method_var.get()}")

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
