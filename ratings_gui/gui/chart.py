"""A grouped bar chart on a plain tk Canvas: the rating histogram before and after inference.

No plotting library: a few rectangles and labels, redrawn on resize, so
the window stays light and the chart follows the light/dark theme.
"""

from __future__ import annotations

import tkinter
from collections.abc import Sequence
from typing import Any

BEFORE = "#8a94a6"
AFTER = "#2f7fd8"


class HistogramChart(tkinter.Canvas):
    """Counts per half star, one or two series side by side, with a legend and axis labels."""

    def __init__(self, master: Any, *, height: int = 190, **kw: Any) -> None:
        super().__init__(master, height=height, highlightthickness=0, **kw)
        self.series: list[tuple[str, str, list[int]]] = []
        self.labels: list[str] = []
        self.title = ""
        self.bind("<Configure>", lambda _e: self.redraw())

    def set_data(
        self,
        labels: Sequence[str],
        series: Sequence[tuple[str, str, Sequence[int]]],
        title: str = "",
    ) -> None:
        """``series`` = (name, colour, counts per label)."""
        self.labels = list(labels)
        self.series = [(n, c, list(v)) for n, c, v in series]
        self.title = title
        self.redraw()

    def bars(self) -> int:
        """How many bars are drawn (for the window test)."""
        return len(self.find_withtag("bar"))

    def redraw(self) -> None:
        self.delete("all")
        w = max(self.winfo_width(), 200)
        h = max(self.winfo_height(), 120)
        bg = self.cget("background")
        dark = _is_dark(self, bg)
        fg = "#dddddd" if dark else "#222222"
        if not self.series or not self.labels:
            self.create_text(w / 2, h / 2, text="Preview to see the histogram", fill=fg)
            return
        left, right, top, bottom = 44, 10, 26, 22
        top_count = max(1, max(max(v) if v else 0 for _, _, v in self.series))
        plot_w, plot_h = w - left - right, h - top - bottom
        slot = plot_w / len(self.labels)
        bar_w = max(2.0, slot * 0.8 / len(self.series))
        if self.title:
            self.create_text(
                left, 4, text=self.title, anchor="nw", fill=fg, font=("TkDefaultFont", 10, "bold")
            )
        x_legend = w - right
        for name, colour, _ in reversed(self.series):
            tid = self.create_text(x_legend, 6, text=name, anchor="ne", fill=fg)
            x0 = self.bbox(tid)[0]
            self.create_rectangle(x0 - 14, 7, x0 - 4, 17, fill=colour, outline="")
            x_legend = x0 - 22
        for frac in (0, 0.5, 1):
            y = top + plot_h * (1 - frac)
            self.create_line(left, y, w - right, y, fill="#555555" if dark else "#cccccc")
            self.create_text(left - 4, y, text=f"{int(top_count * frac):,}", anchor="e", fill=fg)
        for i, label in enumerate(self.labels):
            x = left + i * slot + slot * 0.1
            for j, (_, colour, values) in enumerate(self.series):
                v = values[i] if i < len(values) else 0
                bh = plot_h * v / top_count
                self.create_rectangle(
                    x + j * bar_w,
                    top + plot_h - bh,
                    x + (j + 1) * bar_w - 1,
                    top + plot_h,
                    fill=colour,
                    outline="",
                    tags=("bar",),
                )
            self.create_text(left + (i + 0.5) * slot, h - 4, text=label, anchor="s", fill=fg)


def _is_dark(widget: tkinter.Misc, colour: str) -> bool:
    try:
        r, g, b = widget.winfo_rgb(colour)
    except tkinter.TclError:
        return False
    return (r + g + b) / 3 < 0x8000
