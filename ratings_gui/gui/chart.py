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


class BacktestChart(tkinter.Canvas):
    """The backtest at a glance: one bar per method (average error in stars, shorter is
    better) and a calibration plot (what the engine predicted against what you gave)."""

    def __init__(self, master: Any, *, height: int = 190, **kw: Any) -> None:
        super().__init__(master, height=height, highlightthickness=0, **kw)
        self.scores: list[tuple[str, float, bool]] = []
        self.points: list[tuple[float, float, int]] = []
        self.bind("<Configure>", lambda _e: self.redraw())

    def set_data(
        self, scores: Sequence[tuple[str, float, bool]], points: Sequence[tuple[float, float, int]]
    ) -> None:
        """``scores`` = (label, error in stars, is the chosen engine); ``points`` = (predicted
        stars, actual average stars, count) per half star of prediction."""
        self.scores = list(scores)
        self.points = list(points)
        self.redraw()

    def bars(self) -> int:
        """How many method bars are drawn (for the window test)."""
        return len(self.find_withtag("bar"))

    def dots(self) -> int:
        """How many calibration points are drawn (for the window test)."""
        return len(self.find_withtag("dot"))

    def redraw(self) -> None:
        self.delete("all")
        w = max(self.winfo_width(), 300)
        h = max(self.winfo_height(), 70)  # drawn to the height it has: the view may be short
        dark = _is_dark(self, self.cget("background"))
        fg = "#dddddd" if dark else "#222222"
        grid = "#555555" if dark else "#cccccc"
        if not self.scores:
            self.create_text(
                w / 2, h / 2, text="Test accuracy to see how well it knows you", fill=fg
            )
            return
        split = w * 0.55
        self._draw_errors(split, h, fg)
        self._draw_calibration(split, w, h, fg, grid, dark)

    def _draw_errors(self, split: float, h: float, fg: str) -> None:
        """Left: one bar per method's average error, the chosen engine in colour."""
        bold = ("TkDefaultFont", 10, "bold")
        self.create_text(
            4, 2, text="Average error (★, shorter = better)", anchor="nw", fill=fg, font=bold
        )
        top = 22
        row_h = min(34.0, (h - 4 - top) / len(self.scores))  # bars stay bars in a tall view
        label_w = 0.0
        for i, (label, _err, _mine) in enumerate(self.scores):
            tid = self.create_text(4, top + (i + 0.5) * row_h, text=label, anchor="w", fill=fg)
            label_w = max(label_w, self.bbox(tid)[2])
        worst = max(e for _, e, _ in self.scores) or 1.0
        span = max(20.0, split - label_w - 70)
        for i, (_label, err, mine) in enumerate(self.scores):
            y = top + i * row_h
            x1 = label_w + 6 + span * err / worst
            self.create_rectangle(
                label_w + 6,
                y + row_h * 0.15,
                x1,
                y + row_h * 0.85,
                fill=AFTER if mine else BEFORE,
                outline="",
                tags=("bar",),
            )
            self.create_text(x1 + 4, y + row_h / 2, text=f"{err:.2f}★", anchor="w", fill=fg)

    def _draw_calibration(
        self, split: float, w: float, h: float, fg: str, grid: str, dark: bool
    ) -> None:
        """Right: what the engine guessed (across) against what you gave (up); on the
        dashed line = right on average."""
        bold = ("TkDefaultFont", 10, "bold")
        left, right, ptop, pbottom = split + 30, w - 8, 30, h - 16
        self.create_text(
            split + 8,
            2,
            text="Guessed (across) vs yours (up), ★",
            anchor="nw",
            fill=fg,
            font=bold,
        )

        def xy(pred: float, actual: float) -> tuple[float, float]:
            return (
                left + (right - left) * pred / 5.0,
                pbottom - (pbottom - ptop) * actual / 5.0,
            )

        self.create_rectangle(left, ptop, right, pbottom, outline=grid)
        for s in (1, 2, 3, 4, 5):
            x, y = xy(s, s)
            self.create_text(x, pbottom + 1, text=str(s), anchor="n", fill=fg)
            self.create_text(left - 4, y, text=str(s), anchor="e", fill=fg)
        x0, y0 = xy(0, 0)
        x1, y1 = xy(5, 5)
        self.create_line(x0, y0, x1, y1, fill=grid, dash=(4, 3))
        self.create_text(
            left + 6,
            ptop + 4,
            text="on the dashed line = right on average",
            anchor="nw",
            fill="#aaaaaa" if dark else "#666666",
        )
        most = max((n for _, _, n in self.points), default=1)
        r_max = max(3.0, min(7.0, (pbottom - ptop) / 10))
        for pred, actual, n in self.points:
            x, y = xy(pred, actual)
            r = 2 + (r_max - 2) * (n / most) ** 0.5
            self.create_oval(x - r, y - r, x + r, y + r, fill=AFTER, outline="", tags=("dot",))
