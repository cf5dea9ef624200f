"""``python -m ratings_gui.gui.tkprobe``: the window's longest Tk-thread gap, as JSON (a probe).

The benchmark (``python -m ratings_gui.bench``) runs it in its own process
under the display it finds, against a demo server in a third process (as
a real Plex server would be): the real window signed in to it, a
base-rating preview, a sort by a column of the plan table, the apply, and
then History shown with the apply's run selected (its runs and changes are
read on a task; ``--past-runs`` puts earlier big runs in the journal first).
An ``after(5 ms)`` tick records the longest time between two ticks during
each phase: how long the window could not answer. Idle is measured first,
as the baseline. Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ratings_gui.context import AppContext
from ratings_gui.core.plan import PLEX, Change
from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer
from ratings_gui.gui.app import App
from ratings_gui.journal import APPLIED
from ratings_gui.plex.connection import connect_direct

TICK_MS = 5

#: Changes in each of ``--past-runs``' earlier runs (a 50k library's base rating).
PAST_RUN_CHANGES = 50_000


class Probe:
    """The after-loop tick: the longest gap between two ticks since the last reset."""

    def __init__(self, win: App) -> None:
        self.win = win
        self.last = time.perf_counter()
        self.longest = 0.0
        self.win.after(TICK_MS, self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now
        self.win.after(TICK_MS, self._tick)

    def phase(self, until: Callable[[], bool], timeout: float) -> float:
        """Pump the window until ``until()``; the longest gap (ms) meanwhile."""
        self.longest = 0.0
        self.last = time.perf_counter()
        if not self.win.pump(until, timeout):
            raise TimeoutError("the window did not get there in time")
        return round(self.longest * 1000, 1)


def past_runs(app: AppContext, count: int) -> None:
    """``count`` finished runs of :data:`PAST_RUN_CHANGES` changes each, journaled before
    the window opens (History counts every change of every run)."""
    journal = app.journal
    for _ in range(count):
        run_id = journal.start_run("base-rating", server="probe", library="Music")
        changes = (
            Change(PLEX, str(k), "userRating", None, 6.0, "", f"t{k}")
            for k in range(PAST_RUN_CHANGES)
        )
        journal.mark(journal.record_pending(run_id, changes), APPLIED)
        journal.finish_run(run_id, "done")


def history_phase(win: App, probe: Probe) -> float:
    """History shown (built, then its runs read) and the newest run selected (its changes
    read): all inside the phase, so the tab's own work on the Tk thread counts too."""
    hist = win.tab_objects["history"]
    win.after(0, lambda: win.select_tab("history"))

    def filled() -> bool:
        if not hist.built or hist.reading or not hist.runs_tree.get_children():
            return False
        if hist.selected_run_id() is None:  # the apply's run: its changes are read next
            hist.select_run(int(hist.runs_tree.get_children()[0]))
            return False
        return True

    return probe.phase(filled, 300)


def run(url: str, token: str, past: int = 0) -> dict[str, float]:
    """The longest gap (ms) per phase, in the window signed in to the server at ``url``."""
    home = Path(tempfile.mkdtemp(prefix="tkprobe-"))
    app = AppContext.open(home, logging_on=False)
    try:
        past_runs(app, past)
        app.set_connection(connect_direct(url, token))
        app.library = "Music"
        win = App(app)
        win.geometry("1366x768+0+0")
        probe = Probe(win)
        out: dict[str, float] = {}
        tab = win.tab_objects["base_rating"]
        probe.phase(lambda: not win.busy and bool(getattr(tab, "libraries", None)), 120)
        end = time.monotonic() + 1.0
        out["idle"] = probe.phase(lambda: time.monotonic() > end, 5)
        win.select_tab("base_rating")  # the tab's first showing is a phase of its own
        end = time.monotonic() + 1.0
        out["tab"] = probe.phase(lambda: time.monotonic() > end, 5)
        tab.preview_button.invoke()
        out["preview"] = probe.phase(
            lambda: tab.plan is not None and not win.busy and not tab.preview.filling, 600
        )
        tab.preview.sort_by("item")
        out["sort"] = probe.phase(lambda: not tab.preview.filling, 60)
        tab.preview.apply_button.invoke()
        out["apply"] = probe.phase(lambda: tab.plan is None and not win.busy, 1200)
        out["history"] = history_phase(win, probe)
        win.destroy()
        return out
    finally:
        app.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a (demo) server's address; default: one started here")
    p.add_argument("--token", default="probe-token")
    p.add_argument("--tracks", type=int, default=50_000, help="without --url: its size")
    p.add_argument(
        "--past-runs",
        type=int,
        default=0,
        help=f"earlier runs of {PAST_RUN_CHANGES:,} changes each in the journal first",
    )
    args = p.parse_args(argv)
    if args.url:
        print(json.dumps(run(args.url, args.token, args.past_runs)), flush=True)
        return 0
    lib = DemoLibrary.generate(seed=3, tracks=args.tracks, movies=1, shows=1)
    with DemoServer(lib, token=args.token) as server:  # in this process: gaps run higher
        print(json.dumps(run(server.url, args.token, args.past_runs)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
