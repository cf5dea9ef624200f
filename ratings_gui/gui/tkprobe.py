"""``python -m ratings_gui.gui.tkprobe``: the window's longest Tk-thread gap, as JSON (a probe).

The benchmark (``python -m ratings_gui.bench``) runs it in its own process
under the display it finds, against a demo server in a third process (as
a real Plex server would be): the real window signed in to it, each job
tab's first showing, its preview, a sort by a column of its plan, its
apply; the Inference tab's report views and accuracy test; then History
shown with a run of 50,000 changes selected (its runs and changes are
read on a task; ``--past-runs`` puts earlier big runs in the journal
first). The Tags and Import phases need real audio files and a movie
library: the probe serves those itself, from a child process of its own
(a real Plex server never shares the window's interpreter).
An ``after(5 ms)`` tick records the longest time between two ticks during
each phase: how long the window could not answer. Idle is measured first,
as the baseline. ``--sample`` prints to stderr where the Tk thread was
during each gap over 30 ms. Figures, not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ratings_gui.context import AppContext
from ratings_gui.core.plan import PLEX, Change
from ratings_gui.demo import audio
from ratings_gui.demo.exports import write_big_imdb
from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer
from ratings_gui.gui.app import App
from ratings_gui.journal import APPLIED
from ratings_gui.plex.connection import connect_direct

TICK_MS = 5
#: Gaps longer than this are where ``--sample`` looks.
SAMPLE_GAP_MS = 30
SAMPLE_EVERY_S = 0.002

#: Changes in each of ``--past-runs``' earlier runs (a 50k library's base rating).
PAST_RUN_CHANGES = 50_000
#: The Import phases' library and file: movies and shows enough for a big export.
IMPORT_MOVIES, IMPORT_SHOWS, IMPORT_ROWS = 4_800, 1_000, 20_000


class Sampler:
    """``--sample``: the Tk thread's stack every 2 ms, from another thread; the stacks seen
    inside long gaps are summed per phase (where the window stood still)."""

    def __init__(self) -> None:
        self.main = threading.main_thread().ident
        self.samples: list[tuple[float, tuple[str, ...]]] = []
        self._stop = threading.Event()
        threading.Thread(target=self._run, name="tk-sampler", daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            frame = sys._current_frames().get(self.main or 0)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)[-14:]
            where = tuple(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack)
            self.samples.append((time.perf_counter(), where))

    def report(self, phase: str, gaps: list[tuple[float, float]]) -> None:
        """The stacks seen in ``gaps``, most seen first, to stderr; the samples are dropped."""
        samples, self.samples = self.samples, []
        seen: Counter[tuple[str, ...]] = Counter()
        for t, where in samples:
            if any(a <= t <= b for a, b in gaps):
                seen[where] += 1
        if not gaps:
            return
        longest = max(b - a for a, b in gaps) * 1000
        print(
            f"== {phase}: {len(gaps)} gaps > {SAMPLE_GAP_MS} ms, longest {longest:.0f}",
            file=sys.stderr,
        )
        for where, n in seen.most_common(6):
            print(f"  {n} samples:", file=sys.stderr)
            for line in where[-9:]:
                print(f"    {line}", file=sys.stderr)


class Probe:
    """The after-loop tick: the longest gap between two ticks since the last reset."""

    def __init__(self, win: App, sampler: Sampler | None = None) -> None:
        self.win = win
        self.sampler = sampler
        self.last = time.perf_counter()
        self.longest = 0.0
        self.gaps: list[tuple[float, float]] = []
        self.out: dict[str, float] = {}
        #: How long each phase took (s): what a change for the window costs the job.
        self.seconds: dict[str, float] = {}
        self.win.after(TICK_MS, self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = now - self.last
        self.longest = max(self.longest, gap)
        if gap * 1000 > SAMPLE_GAP_MS:
            self.gaps.append((self.last, now))
        self.last = now
        self.win.after(TICK_MS, self._tick)

    def phase(self, until: Callable[[], bool], timeout: float, name: str = "") -> float:
        """Pump the window until ``until()``; the longest gap (ms) meanwhile (kept as ``name``)."""
        self.longest = 0.0
        self.gaps = []
        self.last = start = time.perf_counter()
        if self.sampler is not None:
            self.sampler.samples = []
        if not self.win.pump(until, timeout):
            raise TimeoutError(f"the window did not get there in time ({name})")
        ms = round(self.longest * 1000, 1)
        if name:
            self.out[name] = ms
            self.seconds[name] = round(time.perf_counter() - start, 2)
        if self.sampler is not None:
            self.sampler.report(name, self.gaps)
        return ms

    def wait(self, until: Callable[[], bool], timeout: float = 600) -> None:
        """Between phases: pump until ``until()`` (not measured)."""
        if not self.win.pump(until, timeout):
            raise TimeoutError("the window did not get there in time")

    def first_showing(self, name: str, ready: Callable[[Any], bool], phase: str) -> Any:
        """The tab shown for the first time (built inside the phase) until ``ready(tab)``,
        and a second more."""
        tab = self.win.tab_objects[name]
        self.win.after(0, lambda: self.win.select_tab(name))
        end = time.monotonic() + 1.0
        self.phase(
            lambda: (
                tab.built
                and not tab.building
                and not self.win.busy
                and ready(tab)
                and time.monotonic() > end
            ),
            120,
            phase,
        )
        return tab


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


def listed(tab: Any) -> bool:
    return bool(getattr(tab, "libraries", None))


def history_phase(win: App, probe: Probe) -> float:
    """History shown (built, then its runs read) and the newest run selected (its changes
    read): all inside the phase, so the tab's own work on the Tk thread counts too."""
    hist = win.tab_objects["history"]
    win.after(0, lambda: win.select_tab("history"))
    some = bool(win.app.journal.runs())  # none: ``--only history`` without --past-runs

    def filled() -> bool:
        if not hist.built or hist.building or hist.reading:
            return False
        if not some:
            return True
        if not hist.runs_tree.get_children():
            return False
        if hist.selected_run_id() is None:  # the apply's run: its changes are read next
            hist.select_run(int(hist.runs_tree.get_children()[0]))
            return False
        return True

    return probe.phase(filled, 300, "history")


def job_phases(probe: Probe, tab: Any, prefix: str, start: Callable[[], Any]) -> None:
    """``start()`` a preview; the plan shown and filled; a sort by the Item column; Apply."""
    win = probe.win
    start()
    probe.phase(
        lambda: tab.plan is not None and not win.busy and not tab.preview.filling,
        1200,
        f"{prefix}preview",
    )
    tab.preview.sort_by("item")
    probe.phase(lambda: not tab.preview.filling, 60, f"{prefix}sort")
    tab.preview.apply_button.invoke()
    probe.phase(lambda: tab.plan is None and not win.busy, 1800, f"{prefix}apply")


def base_rating_phases(probe: Probe) -> None:
    """The Base rating tab: first showing, preview, sort, apply (the phases' old names)."""
    tab = probe.first_showing("base_rating", listed, "tab")
    job_phases(probe, tab, "", tab.preview_button.invoke)


def inference_phases(probe: Probe) -> None:
    """The Inference tab: first showing, preview with its reports, each report view in
    turn, a sort of the plan and of a report, apply, then the accuracy test."""
    win = probe.win
    tab = probe.first_showing("inference", listed, "inference_tab")
    views = tab.report_views

    def tables_idle() -> bool:
        return not any(
            t.filling for t in (views.coverage_table, views.twins_table, views.dissenters_table)
        )

    tab.preview_button.invoke()
    probe.phase(
        lambda: (
            tab.plan is not None
            and views.reports is not None
            and not win.busy
            and not tab.preview.filling
            and tables_idle()
        ),
        1200,
        "inference_preview",
    )
    labels = ["Histogram", "Counts", "Same songs", "Far from album", "Plan"]
    for i, label in enumerate(labels):
        win.after(150 * i, lambda lab=label: views.show_view(lab))
    end = time.monotonic() + 0.15 * len(labels) + 0.3
    probe.phase(lambda: time.monotonic() > end and tables_idle(), 60, "inference_views")
    tab.preview.sort_by("item")
    views.twins_table.sort_by("track")
    probe.phase(lambda: not tab.preview.filling and tables_idle(), 60, "inference_sort")
    tab.preview.apply_button.invoke()
    probe.phase(lambda: tab.plan is None and not win.busy, 1800, "inference_apply")
    before = views.accuracy.last
    tab.backtest_button.invoke()
    probe.phase(
        lambda: not win.busy and views.accuracy.last is not before, 1200, "inference_backtest"
    )


@dataclass
class Extras:
    """What the Tags and Import phases need: a server with real audio files and movies."""

    url: str
    token: str
    media_root: str
    media_dir: Path
    imdb_csv: Path


def serve_media(tracks: int, token: str) -> None:
    """Child: a demo server with ``tracks`` tracks, each with a real audio file, and movies
    and shows for an import of :data:`IMPORT_ROWS` rows; prints what the phases need as one
    JSON line, stops when stdin closes."""
    tmp = Path(tempfile.mkdtemp(prefix="tkprobe-media-"))
    lib = DemoLibrary.generate(seed=3, tracks=tracks, movies=IMPORT_MOVIES, shows=IMPORT_SHOWS)
    cap = audio.MAX_MEDIA_TRACKS
    audio.MAX_MEDIA_TRACKS = max(cap, tracks * 2)  # the demo's cap is for the tests' sake
    try:
        server = DemoServer(lib, token=token, media_dir=tmp / "media")
    finally:
        audio.MAX_MEDIA_TRACKS = cap
    write_big_imdb(lib, IMPORT_ROWS, tmp / "imdb.csv")
    with server:
        where = {"url": server.url, "root": lib.media_root, "dir": str(tmp / "media")}
        print(json.dumps(where), flush=True)
        sys.stdin.read()


@contextmanager
def serving(tracks: int, token: str) -> Iterator[Extras]:
    """The Tags and Import phases' server, in a process of its own as a real Plex server
    is: its threads never compete with the window's for this process's interpreter lock."""
    cmd = [sys.executable, "-m", "ratings_gui.gui.tkprobe", "--serve-media", str(tracks)]
    proc = subprocess.Popen(
        [*cmd, "--token", token], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.strip():
            raise RuntimeError("the probe's demo server did not start")
        where = json.loads(line)
        media = Path(where["dir"])
        yield Extras(where["url"], token, where["root"], media, media.parent / "imdb.csv")
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()


def switch_server(probe: Probe, app: AppContext, url: str, token: str) -> None:
    """The window signed in to another server (as the Plex tab would), libraries listed."""
    if app.connection is not None and app.connection.url == url:
        return
    app.set_connection(connect_direct(url, token))
    app.library = "Music"
    probe.win.connection_changed()
    probe.wait(lambda: not probe.win.busy, 120)


def tags_phases(probe: Probe, extras: Extras, workers: int | None = None) -> None:
    """The Tags tab: first showing, preview (every track's file read; the program's
    guesses written into the files too, so the plan is as big as the library), sort, apply.
    ``workers``: the job's file readers, instead of its own number."""
    tab = probe.first_showing("tags", listed, "tags_tab")
    if workers is not None:
        read_options = tab.read_options
        tab.read_options = lambda **kw: dataclasses.replace(read_options(**kw), workers=workers)
    tab.set_rules(f"{extras.media_root}={extras.media_dir}")
    tab.include_guesses_var.set(True)
    job_phases(probe, tab, "tags_", tab.preview_button.invoke)


def import_phases(probe: Probe, extras: Extras) -> None:
    """The Import tab: first showing, preview of a big IMDb export, sort, apply."""
    tab = probe.first_showing("import", lambda _t: True, "import_tab")
    tab.path_var.set(str(extras.imdb_csv))
    job_phases(probe, tab, "import_", tab.preview_button.invoke)


#: The tabs whose phases the probe runs, in this order (``--only`` picks some).
TABS = ("base_rating", "history", "inference", "tags", "import")


def run(
    url: str,
    token: str,
    past: int = 0,
    extras: Extras | None = None,
    sample: bool = False,
    only: Collection[str] = TABS,
    tags_workers: int | None = None,
) -> dict[str, Any]:
    """The longest gap (ms) per phase, in the window signed in to the server at ``url``;
    the phases of the tabs in ``only`` (Tags and Import need ``extras``)."""
    home = Path(tempfile.mkdtemp(prefix="tkprobe-"))
    app = AppContext.open(home, logging_on=False)
    try:
        past_runs(app, past)
        app.set_connection(connect_direct(url, token))
        app.library = "Music"
        win = App(app)
        win.geometry("1366x768+0+0")
        probe = Probe(win, Sampler() if sample else None)
        probe.wait(lambda: not win.busy, 120)
        end = time.monotonic() + 1.0
        probe.phase(lambda: time.monotonic() > end, 5, "idle")
        if "base_rating" in only:
            base_rating_phases(probe)
        if "history" in only:
            history_phase(win, probe)
        if "inference" in only:
            inference_phases(probe)
        if extras is not None and {"tags", "import"} & set(only):
            switch_server(probe, app, extras.url, extras.token)
            if "tags" in only:
                tags_phases(probe, extras, tags_workers)
            if "import" in only:
                import_phases(probe, extras)
        end = time.monotonic() + 1.0  # the last follow-journal read ends before the close
        probe.wait(lambda: time.monotonic() > end, 5)
        win.destroy()
        return {**probe.out, "seconds": probe.seconds}
    finally:
        app.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="a (demo) server's address; default: one started here")
    p.add_argument("--token", default="probe-token")
    p.add_argument("--tracks", type=int, default=50_000, help="the library's tracks (and files)")
    p.add_argument(
        "--past-runs",
        type=int,
        default=0,
        help=f"earlier runs of {PAST_RUN_CHANGES:,} changes each in the journal first",
    )
    p.add_argument("--no-files", action="store_true", help="skip the Tags and Import phases")
    p.add_argument(
        "--only",
        default=",".join(TABS),
        help=f"the tabs to probe, comma-separated (default: all of {','.join(TABS)})",
    )
    p.add_argument(
        "--tags-workers",
        type=int,
        help="the Tags job's file readers (default: the job's own); to weigh them against the window",
    )
    p.add_argument(
        "--sample", action="store_true", help="where the Tk thread stood still, to stderr"
    )
    p.add_argument("--serve-media", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve_media:
        serve_media(args.serve_media, args.token)
        return 0
    only = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = set(only) - set(TABS)
    if unknown:
        p.error(f"--only: no such tab: {', '.join(sorted(unknown))} (tabs: {', '.join(TABS)})")
    with serving(args.tracks, args.token) as extras:
        url = args.url or extras.url  # without --url: one server for every phase
        files = None if args.no_files else extras
        out = run(url, args.token, args.past_runs, files, args.sample, only, args.tags_workers)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
