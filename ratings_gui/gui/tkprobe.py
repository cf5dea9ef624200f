"""``python -m ratings_gui.gui.tkprobe``: the window's longest Tk-thread gap, as JSON (a probe).

The benchmark (``python -m ratings_gui.bench``) runs it in its own process
under the display it finds: a demo server with a big library, the real
window signed in to it, a base-rating preview, its apply and a sort by a
column of the plan table. An ``after(5 ms)`` tick records the longest time
between two ticks during each phase: how long the window could not answer.
Idle is measured first, as the baseline. Figures, not a test.
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
from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer
from ratings_gui.gui.app import App
from ratings_gui.plex.connection import connect_direct

TICK_MS = 5


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


def run(tracks: int) -> dict[str, float]:
    lib = DemoLibrary.generate(seed=3, tracks=tracks, movies=1, shows=1)
    server = DemoServer(lib, token="probe-token")
    url = server.start()
    home = Path(tempfile.mkdtemp(prefix="tkprobe-"))
    app = AppContext.open(home, logging_on=False)
    try:
        app.set_connection(connect_direct(url, server.token))
        app.library = "Music"
        win = App(app)
        win.geometry("1366x768+0+0")
        probe = Probe(win)
        out: dict[str, float] = {}
        tab = win.tab_objects["base_rating"]
        probe.phase(lambda: not win.busy and bool(getattr(tab, "libraries", None)), 120)
        end = time.monotonic() + 1.0
        out["idle"] = probe.phase(lambda: time.monotonic() > end, 5)
        win.select_tab("base_rating")
        tab.preview_button.invoke()
        out["preview"] = probe.phase(
            lambda: tab.plan is not None and not win.busy and not tab.preview.filling, 600
        )
        tab.preview.sort_by("item")
        out["sort"] = probe.phase(lambda: not tab.preview.filling, 60)
        tab.preview.apply_button.invoke()
        out["apply"] = probe.phase(lambda: tab.plan is None and not win.busy, 1200)
        win.destroy()
        return out
    finally:
        app.close()
        server.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tracks", type=int, default=50_000)
    args = p.parse_args(argv)
    print(json.dumps(run(args.tracks)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
