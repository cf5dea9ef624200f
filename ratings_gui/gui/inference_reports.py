"""The Inference tab's lower half: the plan and the reports that explain it, one view at a time.

A switch picks the view, which then gets the whole width and all the
height there is: the plan, the histogram (before and after, drawn on a
Canvas by :mod:`ratings_gui.gui.chart`) with a summary, the coverage, twins
and dissenters tables (the same rows as their CSV files), and the accuracy
test. The reports are computed on the worker (:func:`compute_reports`); the
main thread only fills tables. The report export follows the view shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from tkinter import filedialog
from typing import Any

import customtkinter as ctk

from ratings_gui.core import inference as inf
from ratings_gui.core.plan import Plan
from ratings_gui.core.records import Item
from ratings_gui.gui.chart import AFTER, BEFORE, HistogramChart
from ratings_gui.gui.inference_accuracy import AccuracyView
from ratings_gui.gui.plan_preview import CHUNK, FILL_DELAY_MS, ROW_CAP
from ratings_gui.gui.widgets import (
    MUTED_COLOR,
    SECONDARY,
    Button,
    SortableTable,
    TableColumn,
    frame_colour,
    quiet_scrollbars,
    readable_segments,
    stars_label,
)
from ratings_gui.jobs import infer as ij

#: The accuracy test's view (not a preview report: it has its own button and its own CSV).
BACKTEST = "backtest"
#: The report views, as the switch names them -> the report kind (ij.REPORTS, or BACKTEST).
VIEWS = {
    "Plan": "plan",
    "Histogram": "histogram",
    "Counts": "coverage",
    "Same songs": "twins",
    "Far from album": "dissenters",
    "Accuracy": BACKTEST,
}
#: Table rows visible at the window's default size; a larger window shows more.
TABLE_HEIGHT = 5
#: The summary beside the histogram before the first preview.
FIRST_SUMMARY = (
    "Preview to see coverage, the histogram and the plan.\n"
    "Test accuracy to see how well the guesses match your own ratings."
)


def stars_cell(value: Any) -> str:
    """Report stars (0-5) as every table shows stars: ``★★★½ 3.47`` (the exact number kept)."""
    if value is None or value == "":
        return ""
    return stars_label(float(value) * 2)


def gap_cell(value: Any) -> str:
    """A distance in stars (not a rating): ``1.5★``."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".") + "★"


def _gap(row: Sequence[Any]) -> float:
    """Dissenters row -> how far the track is from its album, in stars."""
    return round(abs(float(row[2]) - float(row[3])), 2)


#: Column layouts over ``ij.report_rows`` rows (indices into those rows).
COVERAGE_COLUMNS = (
    TableColumn("level", "Level", 120, 0),
    TableColumn("own", "Your own", 110, 1, anchor="e"),
    TableColumn("inferred", "Inferred", 110, 2, anchor="e"),
    TableColumn("unrated", "Unrated", 110, 3, anchor="e"),
    TableColumn("other", "Other", 110, 4, anchor="e"),
    TableColumn("spacer", "", 40, lambda _r: "", stretch=True, sortable=False),
)
TWINS_COLUMNS = (
    TableColumn("group", "Group", 70, 0, in_children=False),
    TableColumn("track", "Track", 420, 2, stretch=True),
    TableColumn("seconds", "Seconds", 90, 3, anchor="e"),
    TableColumn("own", "Own stars", 110, 4, anchor="e", text=stars_cell),
    TableColumn("inferred", "Inferred stars", 130, 5, anchor="e", text=stars_cell),
)
DISSENTERS_COLUMNS = (
    TableColumn("track", "Track", 460, 1, stretch=True),
    TableColumn("yours", "Your stars", 110, 2, anchor="e", text=stars_cell),
    TableColumn("album", "Album stars", 110, 3, anchor="e", text=stars_cell),
    TableColumn("gap", "Gap", 90, _gap, anchor="e", text=gap_cell),
)


@dataclass(frozen=True)
class Reports:
    """Every report of one preview, computed on the worker.

    The twins report alone takes about 0.3 s on 100,000 tracks: too long
    for the main thread, which then only fills tables.
    """

    rows: dict[str, tuple[list[str], list[list[Any]]]]
    twin_groups: list[tuple[list[str], list[Any]]]


@dataclass(frozen=True)
class Previewed:
    """What a preview's worker hands back: the plan and the reports that explain it."""

    plan: Plan
    reports: Reports


def compute_reports(job: ij.InferJob) -> Reports:
    """All of ``ij.REPORTS`` for a prepared job (pure; runs on the worker)."""
    res = job.result
    if res is None:
        raise RuntimeError("reports need a prepared job")
    rows = {kind: ij.report_rows(kind, job.items, res, job.opts.passes) for kind in ij.REPORTS}
    return Reports(rows, twin_groups(rows["twins"][1], job.items))


def twin_groups(rows: list[list[Any]], items: Sequence[Item]) -> list[tuple[list[str], list[Any]]]:
    """Twins report rows -> one parent row per song ("Artist - Title, on 3 albums") and its rows.

    The rows come from ``ij.report_rows`` ordered by group; the parent names
    the song once so the rows beneath only need to say which album.
    """
    by_key = {it.key: it for it in items}
    groups: dict[int, list[Any]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    out: list[tuple[list[str], list[Any]]] = []
    for n, members in groups.items():
        first = by_key.get(members[0][1])
        if first is not None:
            who = first.original_title or first.grandparent_title
            song = f"{who} - {first.title}" if who else first.title
        else:
            song = str(members[0][2])
        out.append(([f"{n:,}", f"{song}  (on {len(members)} albums)"], members))
    return out


class ReportViews:
    """The view switch over the plan, the reports and the accuracy test, in ``box``.

    ``box`` is the job tab's body; ``make_plan()`` gives the tab's plan
    preview, shown here as one of the views.
    """

    def __init__(
        self,
        box: ctk.CTkFrame,
        *,
        make_plan: Callable[[], Any],
        say: Callable[[str], None],
        show_error: Callable[[str], None],
        build: bool = True,
    ) -> None:
        """``build=False``: the caller runs :meth:`build` (a part a Tk turn) before any use."""
        self.box = box
        self.say, self.show_error = say, show_error
        self._make_plan = make_plan
        #: The last preview's job and reports (the reports None while a new preview runs).
        self.job: ij.InferJob | None = None
        self.reports: Reports | None = None
        if build:
            for _ in self.build():
                pass

    def build(self) -> Iterator[None]:
        """The widgets in parts (each ``yield`` ends one): the switch and the histogram,
        the report tables, then the accuracy view and the plan."""
        box = self.box
        box.grid_rowconfigure(0, weight=0)
        box.grid_rowconfigure(1, weight=1)
        self._build_head()
        self._build_histogram()
        yield
        self._build_tables()
        yield
        self.accuracy = AccuracyView(box, say=self.say)
        plan = self._make_plan()
        # The charts are plain Canvases: recolour them when the mode changes (style_treeviews
        # then fires <<ThemeChanged>> on every ttk widget, this tree included).
        self.coverage_table.tree.bind("<<ThemeChanged>>", lambda _e: self.recolour(), add="+")
        self.views: dict[str, Any] = {
            "plan": plan,
            "histogram": self.histogram,
            "coverage": self.coverage_table,
            "twins": self.twins_table,
            "dissenters": self.dissenters_table,
            BACKTEST: self.accuracy,
        }
        self.report_view = "histogram"
        self.view_switch.set("Plan")
        self.show_view("Plan")
        self._set_summary(FIRST_SUMMARY)

    def _build_head(self) -> None:
        head = ctk.CTkFrame(self.box, fg_color="transparent")
        head.grid(row=0, column=0, sticky="ew", padx=4, pady=(2, 4))
        self.view_switch = ctk.CTkSegmentedButton(
            head, values=list(VIEWS), command=self.show_view, **readable_segments()
        )
        self.view_switch.pack(side="left")
        self.view_note = ctk.CTkLabel(head, text="", anchor="w", text_color=MUTED_COLOR)
        self.view_note.pack(side="left", fill="x", expand=True, padx=10)
        self.report_button = Button(
            head, text="Export report CSV…", width=190, command=self.export_report, **SECONDARY
        )
        self.report_button.pack(side="right", padx=(6, 4))

    def _build_histogram(self) -> None:
        mid = self.histogram = ctk.CTkFrame(self.box, fg_color="transparent")
        mid.grid_columnconfigure(0, weight=3)
        mid.grid_columnconfigure(1, weight=2)
        mid.grid_rowconfigure(0, weight=1)
        self.chart = HistogramChart(mid, height=140, background=frame_colour(mid))
        self.chart.grid(row=0, column=0, sticky="nsew", padx=(0, 6))
        self.summary = quiet_scrollbars(
            ctk.CTkTextbox(
                mid, height=140, wrap="word", font=ctk.CTkFont(family="TkFixedFont", size=12)
            )
        )
        self.summary.grid(row=0, column=1, sticky="nsew")

    def _build_tables(self) -> None:
        table = {
            "height": TABLE_HEIGHT,
            "row_cap": ROW_CAP,
            "chunk": CHUNK,
            "delay_ms": FILL_DELAY_MS,
        }
        self.coverage_table = SortableTable(
            self.box,
            COVERAGE_COLUMNS,
            empty_text="No artists, albums or tracks in this library.",
            placeholder="Preview to see how many ratings are yours, inferred or missing.",
            **table,
        )
        self.twins_table = SortableTable(
            self.box,
            TWINS_COLUMNS,
            empty_text="No song is on several albums (within the 'Same song' length difference).",
            placeholder="Preview to see the same song on several albums.",
            **table,
        )
        self.dissenters_table = SortableTable(
            self.box,
            DISSENTERS_COLUMNS,
            empty_text="Every track you rated is near its album's rating.",
            placeholder="Preview to see your ratings that are far from their album's.",
            **table,
        )

    # --- which view ---------------------------------------------------------------------

    @property
    def view(self) -> str:
        """The report kind on screen (one of ``ij.REPORTS``); the CSV export writes this one."""
        return VIEWS.get(self.view_switch.get(), "histogram")

    def show_view(self, label: str) -> None:
        """Show one report view in the whole width; the export button names what it writes."""
        if self.view_switch.get() != label:
            self.view_switch.set(label)
        kind = self.view
        for name, widget in self.views.items():
            if name == kind:
                widget.grid(row=1, column=0, sticky="nsew", padx=4)
            else:
                widget.grid_forget()
        if kind == "plan":
            self.report_button.pack_forget()  # the plan has its own Export CSV…
        else:
            self.report_view = kind
            self.report_button.configure(text=f"Export {label.lower()} CSV…")
            self.report_button.pack(side="right", padx=(6, 4))
        self._update_note()

    def _update_note(self) -> None:
        job, kind = self.job, self.view
        text = ""
        if kind == BACKTEST:
            text = self.accuracy.note()
        elif job is not None and job.result is not None and self.reports is not None:
            if kind in ("twins", "dissenters") and self.views[kind].empty:
                pass  # the table says so itself
            elif kind == "twins":
                groups = len(job.result.twins)
                text = f"{groups:,} songs on several albums, {self.twins_table.total_rows:,} tracks"
            elif kind == "dissenters":
                n = self.dissenters_table.total_rows
                text = f"{n:,} of your track ratings far from their album's"
            elif kind == "coverage":
                text = f"your library average {stars_label(job.result.mu)}"
        self.view_note.configure(text=text)

    def recolour(self) -> None:
        bg = frame_colour(self.chart)
        if bg != str(self.chart.cget("background")):
            self.chart.configure(background=bg)
            self.chart.redraw()
        self.accuracy.recolour()

    # --- the reports of a preview -------------------------------------------------------------

    def expect(self, job: ij.InferJob) -> None:
        """A preview started: the tables keep the last preview's rows until the new ones come."""
        self.job, self.reports = job, None

    def show(self, job: ij.InferJob | None, reports: Reports) -> None:
        self.job, self.reports = job, reports
        self.show_reports()

    def show_reports(self) -> None:
        """The histogram, the summary and the report tables of the last preview."""
        job, reports = self.job, self.reports
        if job is None or job.result is None or reports is None:
            return
        self.coverage_table.set_rows(reports.rows["coverage"][1])
        self.twins_table.set_groups(reports.twin_groups)
        self.dissenters_table.set_rows(reports.rows["dissenters"][1], sort=("gap", True))
        self._update_note()
        rows = reports.rows["histogram"][1]
        labels = [f"{r[0]:g}" for r in rows]
        self.chart.set_data(
            labels,
            [("before", BEFORE, [r[1] for r in rows]), ("after", AFTER, [r[2] for r in rows])],
            title="Track ratings (stars)",
        )
        self._set_summary("\n".join(self._summary_lines(job.result, reports)))

    def _summary_lines(self, result: inf.Result, reports: Reports) -> list[str]:
        lines = [
            f"your library average {stars_label(result.mu)}",
            f"{'level':8}{'own':>8}{'inferred':>10}{'unrated':>9}",
        ]
        lines += [
            f"{r[0]:8}{r[1]:>8,}{r[2]:>10,}{r[3] + r[4]:>9,}" for r in reports.rows["coverage"][1]
        ]
        lines.append(
            f"same songs {len(result.twins):,}   "
            f"far from their album {len(reports.rows['dissenters'][1]):,}"
        )
        if result.params.method == "fitted":
            lines += ["", "What it learned from your ratings:", *result.fit.describe()]
        if self.accuracy.last is not None:
            lines += ["", self.accuracy.last.sentence()]
        return lines

    def _set_summary(self, text: str) -> None:
        self.summary.configure(state="normal")
        self.summary.delete("1.0", "end")
        self.summary.insert("1.0", text)
        self.summary.configure(state="disabled")

    def summary_text(self) -> str:
        return self.summary.get("1.0", "end").strip()

    def export_report(self, path: str | None = None, kind: str | None = None) -> int:
        """A report of the last preview as CSV (the one on screen unless ``kind``); all its rows."""
        if (kind or self.view) == BACKTEST:
            if self.accuracy.last is None:
                self.show_error("Test accuracy first: the export writes its figures.")
                return 0
            return self.accuracy.export(path)
        job = self.job
        if job is None or job.result is None:
            self.show_error("Preview first: the reports describe the previewed plan.")
            return 0
        kind = kind or self.report_view
        path = path or filedialog.asksaveasfilename(
            parent=self.box, defaultextension=".csv", initialfile=f"inference-{kind}.csv"
        )
        if not path:
            return 0
        if self.reports is not None and kind in self.reports.rows:
            header, rows = self.reports.rows[kind]  # every row, in the report's own order
        else:
            header, rows = ij.report_rows(kind, job.items, job.result, job.opts.passes)
        n = ij.write_csv(path, header, rows)
        self.say(f"{kind} report: {n:,} rows written to {path}")
        return n
