"""The Inference tab's accuracy view: how well the guesses match the user's own ratings.

"Test accuracy" hides a fifth of the user's track ratings at a time and
guesses them back (:meth:`ratings_gui.jobs.infer.InferJob.backtest`); this
view shows the result as bars per method, a calibration plot and one plain
sentence, and writes its figures to CSV.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from tkinter import filedialog
from typing import Any

import customtkinter as ctk

from ratings_gui.core import inference as inf
from ratings_gui.gui.chart import BacktestChart
from ratings_gui.gui.widgets import frame_colour
from ratings_gui.jobs import infer as ij

log = logging.getLogger(__name__)

#: The backtest chart's short names of the methods.
CHART_LABELS = {
    "fitted": "Fitted to you",
    "classic": "Classic formula",
    "album mean": "Album average",
    "library mean": "Library average",
}
#: What the view says before the first test.
FIRST_TEXT = "Test accuracy to see how well the guesses match your own ratings."


class AccuracyView(ctk.CTkFrame):
    """The bars and the calibration plot, the plain sentence beside them (beside, not
    above: the view is short at the window's default size)."""

    def __init__(self, parent: Any, *, say: Callable[[str], None]) -> None:
        super().__init__(parent, fg_color="transparent")
        self.say = say
        #: The last test's figures (None: not tested yet).
        self.last: inf.Backtest | None = None
        self.grid_columnconfigure(0, weight=2, uniform="backtest")
        self.grid_columnconfigure(1, weight=1, uniform="backtest")
        self.grid_rowconfigure(0, weight=1)
        self.chart = BacktestChart(self, height=140, background=frame_colour(self))
        self.chart.grid(row=0, column=0, sticky="nsew", padx=(0, 6))
        self.sentence = ctk.CTkLabel(
            self, text=FIRST_TEXT, anchor="nw", justify="left", wraplength=300
        )
        self.sentence.grid(row=0, column=1, sticky="nsew", pady=(4, 0))
        # wrap to the column (a third of the view), not to the label's own width
        self.bind(
            "<Configure>", lambda e: self.sentence.configure(wraplength=max(160, e.width // 3 - 12))
        )

    def show(self, bt: inf.Backtest) -> None:
        """A finished test: its figures in the log file, its sentence in the log pane and here."""
        self.last = bt
        for line in bt.lines():
            log.info(line)  # the figures, for the log file; the pane gets the sentence
        self.say(bt.sentence())
        self.sentence.configure(text=bt.sentence())
        self.chart.set_data(
            [(CHART_LABELS[m], mae / 2, m == bt.engine) for m, (mae, _rmse) in bt.scores.items()],
            [(p / 2, a / 2, n) for p, a, n in bt.calibration],
        )

    def note(self) -> str:
        """The line above the view: how many ratings the last test guessed back."""
        bt = self.last
        if bt is None:
            return ""
        return f"{bt.hidden:,} of your ratings guessed back; {bt.within:.0%} within the ± the preview shows"

    def export(self, path: str | None = None) -> int:
        """The last test's errors per method (stars), then its calibration rows; 0 when
        there is no test yet (the caller says so) or the user cancels the file dialog."""
        bt = self.last
        if bt is None:
            return 0
        path = path or filedialog.asksaveasfilename(
            parent=self, defaultextension=".csv", initialfile="inference-backtest.csv"
        )
        if not path:
            return 0
        rows: list[list[Any]] = [
            ["error", inf.METHOD_LABELS[m], round(mae / 2, 4), round(rmse / 2, 4), bt.hidden]
            for m, (mae, rmse) in bt.scores.items()
        ]
        rows += [
            ["calibration", inf.METHOD_LABELS[bt.engine], round(p / 2, 4), round(a / 2, 4), n]
            for p, a, n in bt.calibration
        ]
        header = [
            "row",
            "method",
            "average miss (stars) or guessed stars",
            "typical miss (stars) or your stars",
            "ratings",
        ]
        n = ij.write_csv(path, header, rows)
        self.say(f"backtest: {n:,} rows written to {path}")
        return n

    def recolour(self) -> None:
        """The chart is a plain Canvas: it follows the light/dark mode by hand."""
        bg = frame_colour(self.chart)
        if bg != str(self.chart.cget("background")):
            self.chart.configure(background=bg)
            self.chart.redraw()
