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
from ratings_gui.gui.widgets import (
    MUTED_COLOR,
    SECONDARY,
    Button,
    CellTips,
    make_tree,
    stars_label,
    tip,
)


def row_text(r: ReviewItem) -> str:
    """``Title (Year)`` as the file wrote it."""
    row = r.row
    year = f" ({row.year})" if row.year else ""
    return f"{row.title}{year}"


def candidate_text(item: Any, score: float) -> str:
    """``Heat (1995) — movie, 91% alike``: a candidate as a Plex user reads it."""
    return f"{item.label} — {item.kind}, {score:.0%} alike"


def item_ids(item: Any) -> str:
    """``imdb tt0113277 · tmdb 949``: the ids Plex holds for the item."""
    out = []
    for g in getattr(item, "guids", ()) or ():
        scheme, _, value = str(g).partition("://")
        if value:
            out.append(f"{scheme} {value}")
    return " · ".join(out)


def item_folder(item: Any) -> str:
    """The folder of the item's first file ("" when Plex gave no file)."""
    files = getattr(item, "files", ()) or ()
    if not files:
        return ""
    path = str(files[0]).replace("\\", "/")
    return path.rsplit("/", 1)[0] if "/" in path else path


def candidate_details(item: Any, library: str = "") -> list[tuple[str, str]]:
    """What tells two candidates apart, as (caption, value) lines: kind and year, the
    original title, the ids, the library and the folder."""
    lines = [("Kind", f"{item.kind}, {item.year}" if item.year else str(item.kind))]
    original = getattr(item, "original_title", "")
    if original and original != item.title:
        lines.append(("Original title", original))
    ids = item_ids(item)
    lines.append(("Ids", ids or "none"))
    if library:
        lines.append(("Library", library))
    folder = item_folder(item)
    if folder:
        lines.append(("Folder", folder))
    return lines


def candidate_rows(candidates: list[tuple[Any, float]]) -> list[tuple[str, str, str]]:
    """(item, alike, what sets it apart) per candidate: the ids, else the folder, else
    the original title, whichever differs between candidates of one name."""
    out = []
    for item, score in candidates:
        apart = item_ids(item) or item_folder(item) or getattr(item, "original_title", "")
        out.append((item.label, f"{score:.0%}", apart))
    return out


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
        library: Callable[[Any], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.decide, self.chosen = decide, chosen
        #: The library a candidate is in ("" when not known).
        self.library_of = library or (lambda _item: "")
        #: Rows answered: the Plex key chosen, or None for a skip.
        self.answers: dict[int, Any] = {}
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
            [("row", "In your file", 140, True), ("choice", "Your choice", 160, True)],
            height=3,
        )
        self.review_tips = CellTips(self.review_tree)
        holder.grid(row=1, column=0, sticky="nsew", padx=6)
        self.review_tree.bind("<<TreeviewSelect>>", lambda _e: self._review_selected())
        self.candidates_label = ctk.CTkLabel(
            self, text="Possible matches in Plex", anchor="w", text_color=MUTED_COLOR
        )
        self.candidates_label.grid(row=2, column=0, sticky="ew", padx=6, pady=(4, 0))
        self.candidate_tree, holder = make_tree(
            self,
            [
                ("candidate", "Plex item", 190, True),
                ("alike", "Alike", 50, False),
                ("apart", "Ids / folder", 120, True),
            ],
            height=2,
        )
        self.candidate_tips = CellTips(self.candidate_tree)
        holder.grid(row=3, column=0, sticky="nsew", padx=6)
        self.candidate_tree.bind("<Double-1>", lambda _e: self.accept())
        self.candidate_tree.bind("<<TreeviewSelect>>", lambda _e: self._candidate_selected())
        #: The selected candidate in full: what tells it from the others.
        self.details_label = ctk.CTkLabel(
            self, text="", anchor="w", justify="left", text_color=MUTED_COLOR, wraplength=380
        )
        self.details_label.grid(row=4, column=0, sticky="ew", padx=6)
        self._build_buttons()

    def _build_buttons(self) -> None:
        buttons = ctk.CTkFrame(self, fg_color="transparent")
        buttons.grid(row=5, column=0, sticky="ew", padx=6, pady=(4, 6))
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
        self.answers = {}
        for i, r in enumerate(self.review_items):
            self.review_tree.insert("", "end", iid=str(i), values=(row_text(r), "not decided"))
        self._count()
        if self.review_items:
            self.review_tree.selection_set("0")

    def counts(self) -> dict[str, int]:
        """Rows to decide, chosen and skipped: a skipped row no longer needs review."""
        skipped = sum(1 for v in self.answers.values() if v is None)
        chosen = len(self.answers) - skipped
        return {
            "to decide": len(self.review_items) - len(self.answers),
            "chosen": chosen,
            "skipped": skipped,
        }

    def _count(self) -> None:
        if not self.review_items:
            self.review_label.configure(text="Nothing needs review")
            return
        parts = [f"{n:,} {word}" for word, n in self.counts().items() if n]
        self.review_label.configure(text="Needs review: " + " · ".join(parts))

    def clear(self) -> None:
        self.review_tree.delete(*self.review_tree.get_children())
        self.candidate_tree.delete(*self.candidate_tree.get_children())
        self.details_label.configure(text="")
        self.answers = {}
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
        for n, values in enumerate(candidate_rows(r.candidates)):
            self.candidate_tree.insert("", "end", iid=str(n), values=values)
        rating = stars_label(r.row.rating) if getattr(r.row, "rating", None) is not None else ""
        self.candidates_label.configure(
            text=f"Possible matches for {row_text(r)} {rating}".rstrip()
            if r.candidates
            else "No possible match in Plex"
        )
        self.details_label.configure(text="")
        if r.candidates:
            chosen = self.chosen(r)
            keys = [it.key for it, _ in r.candidates]
            pick = keys.index(chosen) if chosen in keys else 0
            self.candidate_tree.selection_set(str(pick))
            self.candidate_tree.see(str(pick))
        self.set_buttons(bool(r.candidates))

    def _candidate_selected(self) -> None:
        """The selected candidate's details: year, kind, original title, ids, library, folder."""
        picked, n = self.selected_review(), self.selected_candidate()
        if picked is None or n is None or n >= len(picked[1].candidates):
            self.details_label.configure(text="")
            return
        item = picked[1].candidates[n][0]
        lines = candidate_details(item, self.library_of(item))
        self.details_label.configure(text="\n".join(f"{c}: {v}" for c, v in lines))

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
        self.answers[i] = None if choice is None else choice.key
        self.review_tree.item(str(i), values=(row_text(r), text))
        self._count()
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
