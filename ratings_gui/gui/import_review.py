"""The Import tab's needs-review list: rows whose title was close but not sure enough.

The user picks the right Plex item for each (or skips the row); the
choice goes to the job through the tab (``decide``), which shows the plan
again with the result. The candidate shown selected is the one "Use this
match" writes: the user's earlier choice, else the best.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import customtkinter as ctk

from ratings_gui.core.importplan import ReviewItem
from ratings_gui.gui.widgets import MUTED_COLOR, SECONDARY, Button, make_tree, stars_label, tip


def row_text(r: ReviewItem) -> str:
    """``Title (Year)`` as the file wrote it."""
    row = r.row
    year = f" ({row.year})" if row.year else ""
    return f"{row.title}{year}"


def candidate_text(item: Any, score: float) -> str:
    """``Heat (1995) — movie, 91% alike``: a candidate as a Plex user reads it."""
    return f"{item.label} — {item.kind}, {score:.0%} alike"


class ReviewPane(ctk.CTkFrame):
    """The rows to decide, the possible matches of the selected one, Use this match / Skip.

    ``decide(item, choice)`` hands a decision (``None``: skip) to the plan and
    says whether it was taken; ``chosen(item)`` is the key the plan holds for a
    row the user already decided (None: not yet).
    """

    def __init__(
        self,
        parent: Any,
        *,
        decide: Callable[[ReviewItem, Any], bool],
        chosen: Callable[[ReviewItem], Any],
    ) -> None:
        super().__init__(parent)
        self.decide, self.chosen = decide, chosen
        self.review_items: list[ReviewItem] = []
        self.grid_columnconfigure(0, weight=1)
        self.grid_rowconfigure(1, weight=3)
        self.grid_rowconfigure(3, weight=2)
        self.review_label = ctk.CTkLabel(
            self, text="Needs review", anchor="w", font=ctk.CTkFont(size=14, weight="bold")
        )
        self.review_label.grid(row=0, column=0, sticky="ew", padx=6, pady=(6, 2))
        tip(
            "Rows whose title was close but not sure enough. Pick the right film (or Skip): "
            "Use this match writes the one selected below.",
            self.review_label,
        )
        self.review_tree, holder = make_tree(
            self,
            [("row", "In your file", 150, True), ("choice", "Your choice", 120, False)],
            height=3,
        )
        holder.grid(row=1, column=0, sticky="nsew", padx=6)
        self.review_tree.bind("<<TreeviewSelect>>", lambda _e: self._review_selected())
        self.candidates_label = ctk.CTkLabel(
            self, text="Possible matches in Plex", anchor="w", text_color=MUTED_COLOR
        )
        self.candidates_label.grid(row=2, column=0, sticky="ew", padx=6, pady=(4, 0))
        self.candidate_tree, holder = make_tree(
            self, [("candidate", "Plex item", 260, True)], height=2
        )
        holder.grid(row=3, column=0, sticky="nsew", padx=6)
        self.candidate_tree.bind("<Double-1>", lambda _e: self.accept())
        self._build_buttons()

    def _build_buttons(self) -> None:
        buttons = ctk.CTkFrame(self, fg_color="transparent")
        buttons.grid(row=4, column=0, sticky="ew", padx=6, pady=(4, 6))
        self.accept_button = Button(buttons, text="Use this match", width=120, command=self.accept)
        self.accept_button.pack(side="left")
        self.skip_button = Button(buttons, text="Skip", width=70, command=self.skip, **SECONDARY)
        self.skip_button.pack(side="left", padx=6)
        tip("Write the rating to the Plex item selected above.", self.accept_button)
        tip("Do not import this row.", self.skip_button)
        self.set_buttons(False)

    def fill(self, items: list[ReviewItem]) -> None:
        """A new plan's rows to decide; the first is selected."""
        self.review_items = list(items)
        for i, r in enumerate(self.review_items):
            self.review_tree.insert("", "end", iid=str(i), values=(row_text(r), "not decided"))
        self.review_label.configure(
            text=f"Needs review: {len(self.review_items)}"
            if self.review_items
            else "Nothing needs review"
        )
        if self.review_items:
            self.review_tree.selection_set("0")

    def clear(self) -> None:
        self.review_tree.delete(*self.review_tree.get_children())
        self.candidate_tree.delete(*self.candidate_tree.get_children())
        self.review_items = []
        self.review_label.configure(text="Needs review")
        self.candidates_label.configure(text="Possible matches in Plex")
        self.set_buttons(False)

    def selected_review(self) -> tuple[int, ReviewItem] | None:
        sel = self.review_tree.selection()
        if not sel:
            return None
        i = int(sel[0])
        return i, self.review_items[i]

    def selected_candidate(self) -> int | None:
        """The candidate selected in the list: what Use this match writes."""
        sel = self.candidate_tree.selection()
        return int(sel[0]) if sel else None

    def _review_selected(self) -> None:
        self.candidate_tree.delete(*self.candidate_tree.get_children())
        picked = self.selected_review()
        if picked is None:
            self.set_buttons(False)
            return
        _, r = picked
        for n, (item, score) in enumerate(r.candidates):
            self.candidate_tree.insert("", "end", iid=str(n), values=(candidate_text(item, score),))
        rating = stars_label(r.row.rating) if getattr(r.row, "rating", None) is not None else ""
        self.candidates_label.configure(
            text=f"Possible matches for {row_text(r)} {rating}".rstrip()
            if r.candidates
            else "No possible match in Plex"
        )
        if r.candidates:
            chosen = self.chosen(r)
            keys = [it.key for it, _ in r.candidates]
            pick = keys.index(chosen) if chosen in keys else 0
            self.candidate_tree.selection_set(str(pick))
            self.candidate_tree.see(str(pick))
        self.set_buttons(bool(r.candidates))

    def set_buttons(self, on: bool) -> None:
        self.accept_button.configure(state="normal" if on else "disabled")
        self.skip_button.configure(state="normal" if self.review_items else "disabled")

    def _decide(self, candidate: int | None) -> None:
        picked = self.selected_review()
        if picked is None:
            return
        i, r = picked
        choice = r.candidates[candidate][0] if candidate is not None else None
        if not self.decide(r, choice):
            return
        text = "skipped" if choice is None else "✓ " + choice.label
        self.review_tree.item(str(i), values=(row_text(r), text))
        nxt = str(i + 1)
        if self.review_tree.exists(nxt):
            self.review_tree.selection_set(nxt)
            self.review_tree.see(nxt)
        else:
            self._review_selected()

    def accept(self) -> None:
        """Write the candidate selected in the list (the best one unless the user chose)."""
        n = self.selected_candidate()
        if n is not None:
            self._decide(n)

    def skip(self) -> None:
        self._decide(None)
