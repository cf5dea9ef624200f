"""Shared widgets: the log pane, the progress row and ttk styling that follows light/dark.

customtkinter has no table, so tables are ttk.Treeview; ttk does not follow
customtkinter's appearance mode by itself, hence :func:`style_treeviews`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tkinter as tk
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

import customtkinter as ctk

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
    "group_bg": "#eef2f7",
    "group_fg": "#1a1a1a",
    # clam's own edges, so light mode looks as before.
    "border": "#9e9a91",
    "edge_light": "#eeebe7",
    "edge_dark": "#cfcdc8",
}
_DARK = {
    "bg": "#2b2b2b",
    "fg": "#e6e6e6",
    "head_bg": "#3a3a3a",
    "head_fg": "#e6e6e6",
    "sel_bg": "#1f538d",
    "sel_fg": "#ffffff",
    "group_bg": "#353b44",
    "group_fg": "#f0f0f0",
    # clam's light edges drew a white frame around every table in dark mode.
    "border": "#4a4a4a",
    "edge_light": "#3a3a3a",
    "edge_dark": "#2b2b2b",
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
    edges = {
        "bordercolor": pal["border"],
        "lightcolor": pal["edge_light"],
        "darkcolor": pal["edge_dark"],
    }
    style.configure("Treeview", **edges)
    style.configure(
        "Treeview.Heading",
        background=pal["head_bg"],
        foreground=pal["head_fg"],
        relief="flat",
        font=("TkDefaultFont", 10, "bold"),
        **edges,
    )
    style.map(
        "Treeview",
        background=[("selected", pal["sel_bg"])],
        foreground=[("selected", pal["sel_fg"])],
    )
    style.map("Treeview.Heading", background=[("active", pal["sel_bg"])])


def stars(value: Any) -> str:
    """A Plex 0-10 rating as the window shows it everywhere: ``★★½ 2.75``.

    The glyphs are the half stars the value has reached (never more), the
    number is exact: ``★★½ 2.75 → ★★★ 3`` reads as a change, where rounding
    the glyphs to the nearest half showed ``★★★`` twice.
    """
    if value is None or value == "":
        return "not rated"
    s = float(value) / 2
    halves = int(s * 2 + 1e-9)
    glyphs = "★" * (halves // 2) + ("½" if halves % 2 else "")
    text = f"{s:.2f}".rstrip("0").rstrip(".")
    return f"{glyphs} {text}" if glyphs else f"{text}★"


#: A star value inside a sentence: ``2.75★``, or glyphs with their number, or glyphs alone.
_STARS_IN_TEXT = re.compile(
    r"(?<![\d.±])(\d+(?:\.\d+)?)★|(?<![\d★½])([★]+½?|½)( \d+(?:\.\d+)?(?![\d★]))?"
)


def reason_text(text: str) -> str:
    """A job's reason in the window's words: every star value in :func:`stars` form, "→"."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return stars(float(m.group(1)) * 2)
        if m.group(3):  # glyphs with their number already: the number is exact
            return stars(float(m.group(3)) * 2)
        glyphs = m.group(2)
        return stars(2 * glyphs.count("★") + (1 if glyphs.endswith("½") else 0))

    return _STARS_IN_TEXT.sub(one, str(text).replace(" -> ", " → "))


#: The tabs' name for :func:`stars` (one star format in the whole window).
stars_label = stars


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 rating``, ``1,207 ratings``: a count with its noun, thousands separated."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


#: Nouns a count's name may start with ("file not found"), singular -> plural.
_NOUNS = {
    w: w + "s"
    for w in (
        "file",
        "row",
        "track",
        "album",
        "artist",
        "rating",
        "item",
        "movie",
        "show",
        "episode",
        "change",
        "run",
        "tag",
        "folder",
        "library",
        "user",
    )
}
_NOUNS.update({"library": "libraries", "guess": "guesses", "match": "matches"})
_SINGULAR = {v: k for k, v in _NOUNS.items()}


def count_text(n: int, name: str) -> str:
    """A plan's or a run's count in words: ``1,502 files not found``, ``1 album inferred``."""
    words = name.replace("_", " ").split(" ")
    first = words[0]
    if first in _NOUNS and n != 1:
        words[0] = _NOUNS[first]
    elif first in _SINGULAR and n == 1:
        words[0] = _SINGULAR[first]
    return f"{n:,} {' '.join(words)}"


def stars_text(value: Any) -> str:
    """A value as stars when it is a rating, else as text (tag fields may hold strings).

    A journaled file change keeps ``{"rating": r, "fields": {...}}``: show the rating.
    """
    if isinstance(value, dict) and "rating" in value:
        value = value["rating"]
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return stars(value)
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


#: Segmented switches in light mode: the theme's light text on mid grey (#979DA2) is hard to
#: read, so unselected segments become light grey with dark text. Dark mode keeps the theme's
#: own colours, which read well. The selected segment keeps the theme's blue.
SEGMENT_COLORS: dict[str, tuple[str, str]] = {
    "fg_color": ("gray80", "gray29"),
    "unselected_color": ("gray80", "gray29"),
    "unselected_hover_color": ("gray70", "gray41"),
    "text_color": ("gray10", "#DCE4EE"),
}


def readable_segments(*, tabview: bool = False) -> dict[str, tuple[str, str]]:
    """:data:`SEGMENT_COLORS` as keyword arguments of a CTkSegmentedButton, or of a CTkTabview.

    A CTkTabview builds its own segmented button and takes the same colours
    under ``segmented_button_`` names (its ``text_color`` goes to the segments).
    """
    if not tabview:
        return dict(SEGMENT_COLORS)
    return {
        (k if k == "text_color" else f"segmented_button_{k}"): v for k, v in SEGMENT_COLORS.items()
    }


def _no_forced_redraw() -> None:
    """Stands in for a scrollbar canvas's ``update_idletasks``."""


def _quiet(bar: Any) -> None:
    """``bar`` (a customtkinter scrollbar) draws without forcing the window's redraws."""
    canvas = getattr(bar, "_canvas", None)  # customtkinter 6's name; absent: as is
    if canvas is not None:
        canvas.update_idletasks = _no_forced_redraw  # an instance attribute: this canvas only


class TableScrollbar(ctk.CTkScrollbar):
    """A customtkinter scrollbar that draws itself and leaves the rest to Tk's idle time.

    customtkinter's scrollbar ends every drawing (made, resized, or moved by
    its table) with ``update_idletasks``: all the window's pending redraws
    and layout, at once. A table filled a chunk a turn called it on every
    chunk, nested inside itself (its own resize redraws it again); sampled,
    that was most of a 20,000-row preview's 50-60 ms stall. Tk does the same
    redraws when it is idle, once.
    """

    def _draw(self, no_color_updates: bool = False) -> None:
        _quiet(self)  # from its first drawing on, while it is being made
        super()._draw(no_color_updates)


def quiet_scrollbars(box: ctk.CTkTextbox) -> ctk.CTkTextbox:
    """A text box whose own scrollbars draw as :class:`TableScrollbar` does (from now on).

    The log pane's scrollbar is set on every batch of log lines; each set
    forced the window's pending redraws (a plan table's new rows, the review
    list), 20-25 ms of a 20,000-row import preview's longest stall.
    """
    for name in ("_y_scrollbar", "_x_scrollbar"):  # customtkinter 6's names; absent: as is
        _quiet(getattr(box, name, None))
    return box


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
    bar = TableScrollbar(holder, command=tree.yview, height=40)
    tree.configure(yscrollcommand=bar.set)
    # The bar first: columns wider than the room must not push it out of the frame.
    bar.pack(side="right", fill="y")
    tree.pack(side="left", fill="both", expand=True)
    return tree, holder


def tree_palette() -> dict[str, str]:
    """Treeview colours of the current mode, for row tags (ttk styles do not reach tags)."""
    return dict(_DARK if is_dark() else _LIGHT)


#: A notice the user should read but that is no error (a capped table, a partial view).
NOTE_COLOR = ("#8a5a00", "#ffcc66")
MUTED_COLOR = ("gray35", "gray65")


def sort_key(value: Any) -> tuple[int, float, str]:
    """Blanks first, then numbers by value, then text ignoring case: a column of mixed cells sorts."""
    if value is None or value == "":
        return (0, 0.0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, float(value), "")
    return (2, 0.0, str(value).casefold())


def cell_text(value: Any) -> str:
    """A cell as shown: blank for None, thousands separators for counts, no float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class TableColumn:
    """One column of a :class:`SortableTable`.

    ``cell`` is the index of the value in a row, or a function of the row
    (a derived column such as a difference). The value is what sorting
    compares; ``text`` only decides how it looks. ``in_children=False``
    leaves the cell blank in the child rows of a group (its parent shows it);
    ``sortable=False`` makes a header click do nothing (a filler column).
    ``row_text`` draws the cell from the whole row when its look needs more
    than the value (a plan's old/new: stars for a rating, the text of a tag).
    """

    id: str
    heading: str
    width: int
    cell: int | Callable[[Sequence[Any]], Any] = 0
    stretch: bool = False
    anchor: str = "w"
    text: Callable[[Any], str] = cell_text
    in_children: bool = True
    sortable: bool = True
    row_text: Callable[[Any], str] | None = None

    def value(self, row: Sequence[Any]) -> Any:
        return self.cell(row) if callable(self.cell) else row[self.cell]


#: A group of rows under one parent row: (the parent's texts, one per column; the rows).
Group = tuple[Sequence[str], Sequence[Sequence[Any]]]


class SortableTable(ctk.CTkFrame):
    """A read-only table: sorts on a header click, shows at most ``row_cap`` rows and says so.

    Tk stalls when tens of thousands of rows go in at once, so rows go in
    ``chunk`` at a time from ``after()``; sorting runs over all rows in
    Python and the first ``row_cap`` are shown again. Rows may come in
    groups, shown as parent rows with their rows beneath (sorted together).
    With no rows the table shows a sentence instead of an empty grid.
    """

    def __init__(
        self,
        parent: Any,
        columns: Sequence[TableColumn],
        *,
        height: int = 6,
        row_cap: int = 2000,
        chunk: int = 100,
        delay_ms: int = 10,
        empty_text: str = "Nothing to show.",
        placeholder: str = "",
    ) -> None:
        super().__init__(parent, fg_color="transparent")
        self.columns = list(columns)
        self._by_id = {c.id: c for c in self.columns}
        self.row_cap = row_cap
        self.chunk = chunk
        self.delay_ms = delay_ms
        self.empty_text = empty_text
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.grouped = False
        self._groups: list[tuple[Sequence[str] | None, list[Sequence[Any]]]] = []
        self._ops: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = []
        self._fill_at = 0
        self._shown = 0
        self._fill_job: str | None = None
        self._generation = 0

        specs = [(c.id, c.heading, c.width, c.stretch) for c in self.columns]
        self.tree, self._holder = make_tree(self, specs, height=height)
        #: A cut cell's whole text, in a tooltip.
        self.cell_tips = CellTips(self.tree)
        for c in self.columns:
            self.tree.heading(c.id, anchor=c.anchor)
            if c.sortable:
                self.tree.heading(c.id, command=lambda cid=c.id: self.sort_by(cid))
            self.tree.column(c.id, anchor=c.anchor)
        self.tree.column("#0", width=30, minwidth=30, stretch=False)
        self.note_label = ctk.CTkLabel(self, text="", anchor="w", text_color=NOTE_COLOR)
        self.empty_label = ctk.CTkLabel(
            self,
            text=placeholder or empty_text,
            anchor="nw",
            justify="left",
            text_color=MUTED_COLOR,
        )
        self._colour_tags()
        # style_treeviews (a light/dark switch) fires <<ThemeChanged>>: recolour the tags then.
        self.tree.bind("<<ThemeChanged>>", lambda _e: self._colour_tags(), add="+")
        self._layout(empty=True)

    # --- content -----------------------------------------------------------------

    def set_rows(
        self, rows: Sequence[Sequence[Any]], *, sort: tuple[str, bool] | None = None
    ) -> None:
        """Show plain rows; ``sort`` = (column id, descending) marks the order (rows are re-sorted)."""
        self._load([(None, list(rows))], grouped=False, sort=sort)

    def set_groups(self, groups: Sequence[Group], *, sort: tuple[str, bool] | None = None) -> None:
        """Show rows under parent rows, one per group; empty groups are dropped."""
        self._load([(p, list(r)) for p, r in groups if r], grouped=True, sort=sort)

    def clear(self, placeholder: str = "") -> None:
        """Forget the rows and show ``placeholder`` (or the empty sentence)."""
        self._cancel_fill()
        self._groups = []
        self._ops = []
        self._shown = 0
        self.tree.delete(*self.tree.get_children())
        self.empty_label.configure(text=placeholder or self.empty_text)
        self._layout(empty=True)

    @property
    def rows(self) -> list[Sequence[Any]]:
        """Every row (not only the shown ones) in the current order."""
        return [r for _, rows in self._groups for r in rows]

    @property
    def total_rows(self) -> int:
        return sum(len(rows) for _, rows in self._groups)

    @property
    def shown_rows(self) -> int:
        """Rows inserted in the tree so far (parent rows not counted)."""
        return self._shown

    @property
    def filling(self) -> bool:
        return self._fill_job is not None

    @property
    def empty(self) -> bool:
        return not self._groups

    def shown_values(self) -> list[tuple[str, ...]]:
        """The texts of the shown rows (no parent rows), top to bottom, as the user reads them."""
        out: list[tuple[str, ...]] = []
        for iid in self.tree.get_children():
            kids = self.tree.get_children(iid)
            for child in kids if self.grouped else (iid,):
                out.append(tuple(str(v) for v in self.tree.item(child, "values")))
        return out

    def _load(
        self,
        groups: list[tuple[Sequence[str] | None, list[Sequence[Any]]]],
        *,
        grouped: bool,
        sort: tuple[str, bool] | None,
    ) -> None:
        self._groups = [g for g in groups if g[1]]
        self.grouped = grouped
        self.tree.configure(show="tree headings" if grouped else "headings")
        self.sort_column, self.sort_reverse = sort if sort else (None, False)
        if self.sort_column is not None:
            self._sort()
        self._refresh_headings()
        if not self._groups:
            self.clear()
            return
        total = self.total_rows
        if total > self.row_cap:
            self.note_label.configure(
                text=f"first {self.row_cap:,} of {total:,} shown; export CSV for all"
            )
        self._layout(empty=False, capped=total > self.row_cap)
        self._start_fill()

    def _layout(self, *, empty: bool, capped: bool = False) -> None:
        for w in (self._holder, self.note_label, self.empty_label):
            w.pack_forget()
        if empty:
            self.empty_label.pack(fill="both", expand=True, padx=8, pady=8)
            return
        if capped:
            self.note_label.pack(side="bottom", fill="x", padx=4)
        self._holder.pack(fill="both", expand=True)

    # --- filling in chunks --------------------------------------------------------------

    def _texts(self, row: Sequence[Any], child: bool) -> tuple[str, ...]:
        return tuple(
            ""
            if child and not c.in_children
            else c.row_text(row)
            if c.row_text is not None
            else c.text(c.value(row))
            for c in self.columns
        )

    def _plan_inserts(self) -> None:
        """(parent iid, iid, texts or the row, tags) for the first ``row_cap`` rows and their
        parents. A row's texts are built when its chunk is inserted, not all at once here:
        nothing proportional to the plan's size runs in one turn of the Tk thread."""
        ops: list[tuple[str, str, Any, tuple[str, ...]]] = []
        n = 0
        for g, (parent, rows) in enumerate(self._groups):
            if n >= self.row_cap:
                break
            under = ""
            if self.grouped:
                under = f"g{g}"
                texts = tuple(parent or ()) + ("",) * (len(self.columns) - len(parent or ()))
                ops.append(("", under, texts, ("group",)))
            for i, row in enumerate(rows[: self.row_cap - n]):
                ops.append((under, f"r{g}.{i}", row, ()))
            n += min(len(rows), self.row_cap - n)
        self._ops = ops

    def _cancel_fill(self) -> None:
        self._generation += 1
        if self._fill_job is not None:
            try:
                self.after_cancel(self._fill_job)
            except ValueError:
                pass
            self._fill_job = None

    def _start_fill(self) -> None:
        self._cancel_fill()
        self.tree.delete(*self.tree.get_children())
        self._plan_inserts()
        self._fill_at = 0
        self._shown = 0
        gen = self._generation
        self._fill_job = self.after(self.delay_ms, lambda: self._fill_chunk(gen))

    def _fill_chunk(self, gen: int) -> None:
        """Insert one chunk, then give input and redraws their turn."""
        if gen != self._generation:
            return
        end = min(self._fill_at + self.chunk, len(self._ops))
        insert = self.tree.insert
        for parent, iid, row, tags in self._ops[self._fill_at : end]:
            if "group" in tags:
                insert(parent, "end", iid=iid, values=row, tags=tags, open=True)
                continue
            texts = self._texts(row, self.grouped)
            insert(parent, "end", iid=iid, values=texts, tags=tags, open=True)
            self._shown += 1
        self._fill_at = end
        if end < len(self._ops):
            self._fill_job = self.after(self.delay_ms, lambda: self._fill_chunk(gen))
        else:
            self._fill_job = None

    # --- sorting ---------------------------------------------------------------------

    def sort_by(self, column: str) -> None:
        """A header click: sort all rows by ``column`` (again: the other way) and refill."""
        if not self._groups:
            return
        if self.sort_column == column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self._sort()
        self._refresh_headings()
        self._start_fill()

    def _sort(self) -> None:
        """Rows within each group, then groups by their first row: a group stays together."""
        col = self._by_id[self.sort_column or ""]

        def key(row: Sequence[Any]) -> tuple[int, float, str]:
            return sort_key(col.value(row))

        for _, rows in self._groups:
            rows.sort(key=key, reverse=self.sort_reverse)
        if self.grouped:
            self._groups.sort(key=lambda g: key(g[1][0]), reverse=self.sort_reverse)

    def _refresh_headings(self) -> None:
        for c in self.columns:
            text = c.heading
            if c.id == self.sort_column:
                text += " ▼" if self.sort_reverse else " ▲"
            self.tree.heading(c.id, text=text)

    def _colour_tags(self) -> None:
        pal = tree_palette()
        self.tree.tag_configure(
            "group",
            background=pal["group_bg"],
            foreground=pal["group_fg"],
            font=("TkDefaultFont", 10, "bold"),
        )


class LogPane(ctk.CTkFrame):
    """The shared log: one line per message, secrets masked again here whatever the caller did."""

    def __init__(self, parent: Any, *, height: int = 120) -> None:
        super().__init__(parent)
        self.text = quiet_scrollbars(
            ctk.CTkTextbox(self, height=height, wrap="word", font=ctk.CTkFont(size=12))
        )
        self.text.pack(fill="both", expand=True, padx=4, pady=4)
        self.text.configure(state="disabled")
        self._lines = 0

    def append(self, line: str) -> None:
        self.append_many([line])

    def append_many(self, lines: Sequence[str]) -> None:
        """Lines at the end in one insert (and one scroll); the oldest go past
        :data:`LOG_MAX_LINES`."""
        text = "\n".join(redact(str(line)).rstrip("\n") for line in lines[-LOG_MAX_LINES:])
        self.text.configure(state="normal")
        self.text.insert("end", text + "\n")
        self._lines += text.count("\n") + 1
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
    if seconds < 1:
        return "almost done"
    s = int(round(seconds))
    if s < 60:
        return f"about {s} s left"
    m, s = divmod(s, 60)
    if m < 60:
        return f"about {m} min {s:02d} s left"
    h, m = divmod(m, 60)
    return f"about {h} h {m:02d} min left"


#: Share of a phase done before the progress row guesses the time left.
ETA_AFTER = 0.02
#: The least change of the progress bar drawn again (a pixel of its 200).
BAR_STEP = 0.005

ERROR_COLOR = ("#b3261e", "#ff8a80")
TEXT_COLOR = ("gray10", "gray90")


def elide(text: str, room: int, measure: Callable[[str], int]) -> str:
    """``text`` cut to ``room`` pixels with "…" (the first line only when it has several).

    A few measurements, not a search: each one is a call into Tk, and while a
    job works each such call waits for the worker's turn.
    """
    first = text.split("\n", 1)[0]
    width = measure(first)
    if width <= room and first == text:
        return text
    if width <= room:
        return first + "…" if measure(first + "…") <= room else _cut(first, room, measure, width)
    return _cut(first, room, measure, width)


def _cut(first: str, room: int, measure: Callable[[str], int], width: int) -> str:
    """The longest start of ``first`` that fits ``room`` with "…", guessed from the widths."""
    n = max(0, min(len(first), int(len(first) * room / max(1, width))))
    for _ in range(8):  # the guess is close: a step or two down (rarely up) settles it
        shown = first[:n].rstrip() + "…"
        if measure(shown) <= room or n == 0:
            return shown
        n = max(0, n - max(1, n // 20))
    return first[:n].rstrip() + "…"


class ElidedLabel(ctk.CTkLabel):
    """A one-line label: text longer than its room ends in "…", the whole text in its tooltip.

    ``cget("text")`` answers the whole text (what the label says); :attr:`shown_text` is
    what is on screen.
    """

    def __init__(self, parent: Any, *, text: str = "", **kwargs: Any) -> None:
        self.full_text = text
        super().__init__(parent, text=text, **kwargs)
        self.tip = Tooltip(self, text)
        tk.Misc.bind(self, "<Configure>", lambda _e: self._fit(), "+")

    def configure(self, require_redraw: bool = False, **kwargs: Any) -> None:
        if "text" in kwargs:
            self.full_text = str(kwargs["text"])
            if hasattr(self, "tip"):
                self.tip.text = self.widget_tip_text()
                self.tooltip_text = self.tip.text
            kwargs["text"] = self._shorten(self.full_text)
        super().configure(require_redraw=require_redraw, **kwargs)

    def cget(self, attribute_name: str) -> Any:
        if attribute_name == "text":
            return self.full_text
        return super().cget(attribute_name)

    def widget_tip_text(self) -> str:
        return self.full_text

    @property
    def shown_text(self) -> str:
        return str(super().cget("text"))

    def _shorten(self, text: str) -> str:
        width = self.winfo_width()
        if width <= 1:
            return text.split("\n", 1)[0]
        spec = str(self._label.cget("font"))
        if getattr(self, "_font_spec", None) != spec:  # a Tk font is made once, not per text
            self._font_spec = spec
            self._font = tkfont.Font(font=self._label.cget("font"))
        return elide(text, width - 12, self._font.measure)

    def _fit(self) -> None:
        shown = self._shorten(self.full_text)
        if shown != self.shown_text:
            super().configure(text=shown)


class CellTips:
    """A table cell whose text is cut shows all of it in a tooltip when the pointer rests on it."""

    def __init__(self, tree: ttk.Treeview) -> None:
        self.tree = tree
        self._cell: tuple[str, str] | None = None
        self.tip = Tooltip(tree, "")
        tree.bind("<Motion>", self._moved, add="+")

    def cut_text(self, iid: str, column: str) -> str:
        """The cell's text when the column is too narrow for it ("" when it fits)."""
        try:
            index = int(column.lstrip("#")) - 1
            values = self.tree.item(iid, "values")
            text = str(values[index]) if 0 <= index < len(values) else ""
        except (ValueError, tk.TclError):
            return ""
        width = int(self.tree.column(column, "width"))
        font = tkfont.Font(font=ttk.Style(self.tree).lookup("Treeview", "font") or "TkDefaultFont")
        return text if font.measure(text) > width - 8 else ""

    def _moved(self, event: Any) -> None:
        cell = (self.tree.identify_row(event.y), self.tree.identify_column(event.x))
        if cell == self._cell:
            return
        self._cell = cell
        self.tip.hide()
        text = self.cut_text(*cell) if cell[0] else ""
        if text:
            self.tip.text = text
            self.tip._schedule()


class ProgressRow(ctk.CTkFrame):
    """Progress bar, one line of phase text with counts and ETA (or the last error), Cancel,
    and the toggle of the log drawer."""

    def __init__(
        self,
        parent: Any,
        on_cancel: Callable[[], None],
        on_log: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent, fg_color="transparent")
        self.bar = ctk.CTkProgressBar(self, width=200)
        self.bar.set(0)
        self.phase = ElidedLabel(self, text="Ready", anchor="w", text_color=TEXT_COLOR)
        self.cancel_button = Button(
            self, text="Cancel", width=90, command=on_cancel, state="disabled"
        )
        self.log_button = Button(
            self, text="Show log", width=110, command=on_log or (lambda: None), **SECONDARY
        )
        self.bar.pack(side="left", padx=(4, 10))
        self.log_button.pack(side="right", padx=4)
        self.cancel_button.pack(side="right", padx=4)
        # One line always: a long message ends in "…" and its tooltip holds all of it.
        self.phase.pack(side="left", fill="x", expand=True)

    @property
    def message(self) -> ctk.CTkLabel:
        """The label that shows the last error (the phase line, in red)."""
        return self.phase

    def show(self, done: int, total: int, phase: str, eta: float | None) -> None:
        """The bar and the phase line; what would look the same is not drawn again."""
        fraction = min(1.0, done / total) if total > 0 else 0.0
        if abs(fraction - self.bar.get()) >= BAR_STEP or fraction in (0.0, 1.0):
            self.bar.set(fraction)
        text = f"{phase}: {done:,} of {total:,}" if total > 0 else phase
        # The first items of a phase say little about its length: no guess before 2 % are done.
        extra = format_eta(eta) if total and done >= max(20, total * ETA_AFTER) else ""
        line = f"{text} — {extra}" if extra else text
        # both answers come from Python attributes (no Tcl call)
        if line != self.phase.cget("text") or self.phase.cget("text_color") != TEXT_COLOR:
            self.phase.configure(text=line, text_color=TEXT_COLOR)

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
        if len(text) > 240:
            text = text[:237] + "…"
        self.phase.configure(text=text, text_color=ERROR_COLOR)


DISABLED_FILL = ("gray78", "gray30")


class Button(ctk.CTkButton):
    """A CTkButton that LOOKS disabled while it is.

    customtkinter keeps a filled button's colour when disabled, so a greyed
    Apply, Accept or idle Cancel still looked clickable. Outlined (transparent)
    buttons keep their fill; their text greys out as customtkinter does.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._enabled_fill = self._fg_color
        self._show_state()

    def configure(self, require_redraw: bool = False, **kwargs: Any) -> None:
        """As CTkButton's, in one redraw: a state that is already so draws nothing, and a
        new state comes with its fill (each redraw of a button's canvas costs about a
        millisecond, and a job's start and end set every tab's buttons)."""
        fill = kwargs.pop("fg_color", None)
        if fill is not None:
            self._enabled_fill = fill
        state = kwargs.get("state")
        if fill is None and not require_redraw and kwargs == {"state": self._state}:
            return
        if state is not None or fill is not None:
            want = self._fill_for(state if state is not None else self._state)
            if want is not None:
                kwargs["fg_color"] = want
        super().configure(require_redraw=require_redraw, **kwargs)

    def _fill_for(self, state: str) -> Any:
        """The fill a button in ``state`` shows (None: an outlined one keeps its own)."""
        fill = getattr(self, "_enabled_fill", None)
        if fill is None or fill == "transparent":
            return fill
        return DISABLED_FILL if state == "disabled" else fill

    def _show_state(self) -> None:
        want = self._fill_for(self._state)
        if want is not None and want != "transparent" and self._fg_color != want:
            super().configure(fg_color=want)

    @property
    def looks_enabled(self) -> bool:
        """What the user sees (tests check it matches the state)."""
        return self._fg_color == self._enabled_fill or self._enabled_fill == "transparent"


def set_enabled(button: Any, enabled: bool) -> None:
    """Enable or disable a button (a :class:`Button` also looks it)."""
    button.configure(state="normal" if enabled else "disabled")


class Tooltip:
    """Plain-language help that appears when the pointer rests on a control.

    Tk has no tooltip of its own for these widgets, so this is the usual
    small borderless window, shown after a short delay and gone on leave
    or click. ``widget.tooltip_text`` keeps the text for tests.
    """

    DELAY_MS = 450

    def __init__(self, widget: Any, text: str) -> None:
        self.widget = widget
        self.text = text
        self._tip: tk.Toplevel | None = None
        self._after: str | None = None
        widget.tooltip_text = text
        widget.tooltip = self
        for seq, fn in (
            ("<Enter>", self._schedule),
            ("<Leave>", self.hide),
            ("<ButtonPress>", self.hide),
        ):
            try:
                widget.bind(seq, fn, add="+")
            except (NotImplementedError, ValueError, TypeError, AttributeError):
                tk.Misc.bind(widget, seq, fn, "+")

    def _schedule(self, _event: Any = None) -> None:
        self._cancel()
        self._after = self.widget.after(self.DELAY_MS, self.show)

    def _cancel(self) -> None:
        if self._after is not None:
            try:
                self.widget.after_cancel(self._after)
            except (ValueError, tk.TclError):
                pass
            self._after = None

    def show(self) -> None:
        self._after = None
        if self._tip is not None or not self.text or not self.widget.winfo_exists():
            return
        dark = is_dark()
        tip = tk.Toplevel(self.widget)
        tip.wm_overrideredirect(True)
        x = self.widget.winfo_pointerx() + 14
        y = self.widget.winfo_pointery() + 18
        tk.Label(
            tip,
            text=self.text,
            justify="left",
            wraplength=380,
            background="#3b3b3b" if dark else "#ffffe6",
            foreground="#f2f2f2" if dark else "#1a1a1a",
            relief="solid",
            borderwidth=1,
            padx=8,
            pady=5,
        ).pack()
        tip.update_idletasks()
        # keep it on the screen
        x = min(x, tip.winfo_screenwidth() - tip.winfo_reqwidth() - 4)
        y = min(y, tip.winfo_screenheight() - tip.winfo_reqheight() - 4)
        tip.wm_geometry(f"+{max(0, x)}+{max(0, y)}")
        self._tip = tip

    def hide(self, _event: Any = None) -> None:
        self._cancel()
        if self._tip is not None:
            try:
                self._tip.destroy()
            except tk.TclError:
                pass
            self._tip = None


def tip(text: str, *widgets: Any) -> None:
    """Give each widget the same tooltip (a caption and its control)."""
    for w in widgets:
        Tooltip(w, text)


class Fold:
    """A header button that shows or hides a frame of less used options.

    ``body`` is packed/gridded by ``show``/``hide`` callbacks, so the fold
    works with either geometry manager; the state is remembered by the tab.
    """

    def __init__(
        self,
        parent: Any,
        text: str,
        *,
        show: Callable[[], None],
        hide: Callable[[], None],
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.text = text
        self._show, self._hide, self._on_change = show, hide, on_change
        self.open = False
        self.button = Button(
            parent,
            text=f"{text} ▸",
            width=20,
            height=26,
            anchor="w",
            command=self.toggle,
            fg_color="transparent",
            text_color=TEXT_COLOR,
            hover_color=("gray78", "gray28"),
            font=ctk.CTkFont(weight="bold"),
        )

    def toggle(self) -> None:
        self.set_open(not self.open)

    def set_open(self, open_: bool, *, notify: bool = True) -> None:
        self.open = open_
        (self._show if open_ else self._hide)()
        self.button.configure(text=f"{self.text} {'▾' if open_ else '▸'}")
        if notify and self._on_change is not None:
            self._on_change(open_)


def frame_colour(widget: Any) -> str:
    """The frame's colour for the current appearance, for a plain tk Canvas drawn on a frame
    (CTk keeps light/dark pairs; tk takes one colour)."""
    colour = ctk.ThemeManager.theme["CTkFrame"]["fg_color"]
    if isinstance(colour, (list, tuple)):
        colour = colour[1] if ctk.get_appearance_mode() == "Dark" else colour[0]
    try:
        widget.winfo_rgb(colour)
    except Exception:  # noqa: BLE001 - a CTk colour name tk does not know
        return "#dbdbdb"
    return str(colour)


def open_path(path: str | os.PathLike[str]) -> None:
    """Open a file or folder with the system's own program for it."""
    if sys.platform.startswith("win"):
        os.startfile(str(path))  # type: ignore[attr-defined]  # noqa: S606 - the user's own file
    else:
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.Popen([opener, str(path)])  # noqa: S603 - a fixed program, the user's file


def unique_labels(labels: list[str]) -> list[str]:
    """Two servers (or members) may share a name; a menu needs distinct entries."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        n = seen.get(label, 0) + 1
        seen[label] = n
        out.append(label if n == 1 else f"{label} #{n}")
    return out


def card(parent: Any, title: str) -> ctk.CTkFrame:
    """A titled panel (the Plex tab's sign-in, connect and server cards)."""
    frame = ctk.CTkFrame(parent, fg_color=("gray96", "gray20"))
    ctk.CTkLabel(frame, text=title, font=ctk.CTkFont(size=15, weight="bold"), anchor="w").pack(
        fill="x", padx=14, pady=(10, 6)
    )
    return frame
