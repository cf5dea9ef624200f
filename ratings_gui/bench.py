"""``python -m ratings_gui.bench``: one table of what the jobs cost (a script, not a test).

- every job that writes Plex ratings on a generated library (10,000 tracks)
  behind the demo server with 5 ms added to each request: requests (the
  server's count, read and write), writes among them, and seconds;
- a 50,000-track base-rating dry run: the client's CPU beside the floor
  (the same pages over bare urllib, parsed by ElementTree) and their ratio;
- a 500,000-track dry run: CPU seconds and peak memory of the client.

The read figures come from a separate process against a server in another
process, so the CPU and memory are the client's alone. Figures vary with
the machine; compare runs on one machine. ``scripts/bench`` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ratings_gui.context import AppContext
from ratings_gui.core import inference as inf
from ratings_gui.core.pathmap import Rule
from ratings_gui.core.records import TYPE_IDS
from ratings_gui.demo import audio
from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer, Faults
from ratings_gui.jobs import base_rating as br
from ratings_gui.jobs import infer as ij
from ratings_gui.jobs import tags_sync as ts
from ratings_gui.jobs import transfer as jt
from ratings_gui.jobs.runner import JobContext
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.plex.connection import connect_direct
from ratings_gui.plex.snapshot import floor_read

#: The issue's bounds, shown beside the figures.
BOUNDS = {
    "base rating": 120,
    "tags": 100,
    "inference": 150,
}
RATIO_BOUND = 2.0
BIG_CPU_BOUND = 40.0
BIG_MB_BOUND = 1024.0

Row = tuple[str, str, str, str, str]


def _ctx() -> Any:

    return JobContext(lambda ev: None, threading.Event())


# --- the jobs on 10k -----------------------------------------------------------------------------


def _writes(counts: dict[str, int]) -> int:
    return sum(n for k, n in counts.items() if k.startswith("PUT") or "scrobble" in k)


def bench_jobs(tracks: int, latency: int) -> list[Row]:
    """Each job's prepare + apply on one library, in order; the server counts the requests."""

    rows: list[Row] = []
    tmp = Path(tempfile.mkdtemp(prefix="ratings-bench-"))
    lib = DemoLibrary.generate(seed=5, tracks=tracks, movies=1, shows=1)
    # one real audio file per track (the demo caps this for the tests' sake; not here)
    cap = audio.MAX_MEDIA_TRACKS
    audio.MAX_MEDIA_TRACKS = max(cap, tracks * 2)
    try:
        srv = DemoServer(lib, token="bench", media_dir=tmp / "media")
    finally:
        audio.MAX_MEDIA_TRACKS = cap
    srv.start()
    app = AppContext.open(tmp / "home", logging_on=False)
    try:
        app.set_connection(connect_direct(srv.url, "bench"))
        srv.faults = Faults(latency_ms=latency)

        def run(name: str, job: Any) -> Any:
            srv.reset_counts()
            t0 = time.perf_counter()
            plan = job.prepare(_ctx())
            report = job.apply(_ctx(), plan)
            dt = time.perf_counter() - t0
            counts = dict(srv.counts)
            n = sum(counts.values())
            bound = BOUNDS.get(name)
            plex = sum(1 for c in plan.changes if c.target_kind == "plex")
            note = f"{plex:,} Plex changes"
            if plex != len(plan.changes):
                note += f", {len(plan.changes) - plex:,} files"
            if report.failed:
                note += f", {len(report.failed):,} FAILED"
            if report.left_alone:
                note += f", {len(report.left_alone):,} left alone"
            if bound is not None:
                note += f"; bound {bound}: {'ok' if n <= bound else 'OVER'}"
            k = f"{tracks // 1000}k"
            rows.append((f"{name} {k}", str(n), str(_writes(counts)), f"{dt:.1f}", note))
            return report

        def tags(direction: str) -> Any:
            rules = [Rule(lib.media_root, str(tmp / "media"))]
            return ts.TagsSyncJob(app, ts.TagsOptions("Music", rules, direction=direction))

        run("base rating", br.BaseRatingJob(app, br.BaseRatingOptions("Music", 6.0)))
        # one grouped edit per type and value: Plex's tenths (a setting) make ~80 values a
        # type, half stars (the default, run second: it replaces the tenths) ~10
        tenths = ij.InferOptions("Music", params=inf.Params(rounding=0.1))
        run("inference, tenths (setting)", ij.InferJob(app, tenths))
        run("inference", ij.InferJob(app, ij.InferOptions("Music")))
        run("tags to files", tags("to-files"))
        backup = tmp / "backup.json.gz"
        jt.BackupJob(app, backup).run(_ctx())
        cleared = run("clear", jt.ClearJob(app, "Music"))
        run("tags", tags("to-plex"))  # every track's rating back from its file
        run("restore", jt.RestoreJob(app, backup, ["Music"]))  # the albums' and artists'
        run("undo (of the restore)", UndoJob(app, app.journal.runs()[0].id))
        run("undo (of the clear)", UndoJob(app, cleared.run_id))
    finally:
        app.close()
        srv.stop()
    return rows


# --- the reads, in processes of their own --------------------------------------------------------


@contextmanager
def served(tracks: int) -> Iterator[str]:
    """A demo server with ``tracks`` tracks in a child process; yields its address."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ratings_gui.bench", "--serve", str(tracks)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("the demo server did not start")
        yield url
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def serve(tracks: int) -> None:
    """Child: generate, serve, print the address; stop when stdin closes."""

    lib = DemoLibrary.generate(seed=5, tracks=tracks, movies=1, shows=1)
    with DemoServer(lib, token="bench") as srv:
        print(srv.url, flush=True)
        sys.stdin.read()


def measure(url: str, floor: bool, repeats: int) -> dict[str, float]:
    """Child: the base-rating dry run's CPU, wall time and peak memory (and the floor's CPU)."""

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = AppContext.open(Path(tmp) / "home", logging_on=False)
        app.set_connection(connect_direct(url, "bench"))

        def timed(fn: Callable[[], Any]) -> tuple[float, float]:
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            return time.process_time() - c0, time.perf_counter() - t0

        def dry_run() -> None:
            job = br.BaseRatingJob(app, br.BaseRatingOptions("Music", 6.0))
            plan = job.prepare(_ctx())
            out["changes"] = len(plan.changes)

        def bare() -> None:
            pages, size = floor_read(url, "bench", 1, TYPE_IDS["track"])
            out["mb"] = size / 1e6

        if floor:
            bare()  # the server's caches warm
        runs = [timed(dry_run) for _ in range(repeats)]
        out["cpu"], out["wall"] = min(runs)
        out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if floor:
            out["floor_cpu"] = min(timed(bare)[0] for _ in range(repeats))
        app.close()
    return out


def _measure_in_child(url: str, floor: bool, repeats: int) -> dict[str, float]:
    cmd = [sys.executable, "-m", "ratings_gui.bench", "--measure", url, "--repeats", str(repeats)]
    if floor:
        cmd.append("--floor")
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def bench_reads(read_tracks: int, big_tracks: int | None) -> list[Row]:
    rows: list[Row] = []
    with served(read_tracks) as url:
        m = _measure_in_child(url, floor=True, repeats=3)
    ratio = m["cpu"] / m["floor_cpu"]
    k = f"{read_tracks // 1000}k"
    rows.append(
        (f"read {k}: base-rating dry run", "", "", f"{m['wall']:.1f}", f"CPU {m['cpu']:.2f} s")
    )
    rows.append(
        (
            f"read {k}: floor (urllib + ElementTree)",
            "",
            "",
            "",
            f"CPU {m['floor_cpu']:.2f} s ({m['mb']:.0f} MB of XML)",
        )
    )
    verdict = "ok" if ratio <= RATIO_BOUND else "OVER"
    rows.append(
        (
            f"read {k}: dry run / floor",
            "",
            "",
            "",
            f"{ratio:.2f}x; bound {RATIO_BOUND:g}x: {verdict}",
        )
    )
    if big_tracks:
        with served(big_tracks) as url:
            b = _measure_in_child(url, floor=False, repeats=1)
        ok = b["cpu"] < BIG_CPU_BOUND and b["rss_mb"] < BIG_MB_BOUND
        rows.append(
            (
                f"{big_tracks // 1000}k tracks planned (dry run)",
                "",
                "",
                f"{b['wall']:.1f}",
                f"CPU {b['cpu']:.1f} s, peak {b['rss_mb']:.0f} MB; bounds {BIG_CPU_BOUND:g} s, "
                f"{BIG_MB_BOUND:g} MB: {'ok' if ok else 'OVER'}",
            )
        )
    return rows


def bench_window(tracks: int) -> list[Row]:
    """The window's longest Tk-thread gap in a preview, sort and apply (gui/tkprobe, in its
    own process, against a server in another): needs a display (Xvfb will do)."""
    if not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        return [("Tk gap", "", "", "", "no display: run under xvfb-run")]
    with served(tracks) as url:
        cmd = [sys.executable, "-m", "ratings_gui.gui.tkprobe", "--url", url, "--token", "bench"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    try:
        gaps = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return [("Tk gap", "", "", "", f"the probe failed: {done.stderr.strip()[-200:]}")]
    out: list[Row] = []
    for phase in (
        "idle", "tab", "preview", "sort", "apply", "history",
        "inference_tab", "inference_preview", "inference_views", "inference_sort",
        "inference_apply", "inference_backtest",
        "tags_tab", "tags_preview", "tags_sort", "tags_apply",
        "import_tab", "import_preview", "import_sort", "import_apply",
    ):  # fmt: skip
        ms = gaps.get(phase, 0.0)
        if phase == "idle":
            verdict = ""
        elif phase == "tab" or phase.endswith("_tab"):
            verdict = "  (the tab's first showing: no bound)"
        else:
            verdict = "  bound 50 ms: ok" if ms < 50 else "  bound 50 ms: OVER"
        out.append(
            (f"Tk gap, {tracks // 1000}k {phase}", "", "", "", f"longest {ms:.0f} ms{verdict}")
        )
    return out


def print_table(rows: list[Row]) -> None:
    head: Row = ("job", "requests", "writes", "seconds", "")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for r in [head, *rows]:
        print(
            f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  "
            f"{r[3]:>{widths[3]}}  {r[4]}".rstrip()
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ratings_gui.bench", description=__doc__)
    ap.add_argument("--tracks", type=int, default=10_000, help="library of the jobs")
    ap.add_argument("--latency", type=int, default=5, help="ms added to each request")
    ap.add_argument("--read-tracks", type=int, default=50_000)
    ap.add_argument("--big-tracks", type=int, default=500_000, help="0: skip")
    ap.add_argument("--skip-jobs", action="store_true")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--repeats", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")
    if args.serve:
        serve(args.serve)
        return 0
    if args.measure:
        print(json.dumps(measure(args.measure, args.floor, args.repeats)))
        return 0
    rows: list[Row] = []
    if not args.skip_jobs:
        rows += bench_jobs(args.tracks, args.latency)
    rows += bench_reads(args.read_tracks, args.big_tracks or None)
    rows += bench_window(args.read_tracks)
    print(f"ratings_gui bench: jobs on {args.tracks:,} tracks at {args.latency} ms a request")
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
