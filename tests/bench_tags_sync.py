"""Benchmark: a Tags sync of a 5,000-track demo library with real files.

A script, not a test: it prints figures and asserts nothing. The Plex side
must be the bulk snapshot only (a few paged requests, no per-track reads);
the files are read on a thread pool and only changed ones written.

    python tests/bench_tags_sync.py [--tracks 5000] [--apply]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ratings_gui.context import AppContext  # noqa: E402
from ratings_gui.core.pathmap import Rule  # noqa: E402
from ratings_gui.demo.library import DemoLibrary  # noqa: E402
from ratings_gui.demo.server import DemoServer  # noqa: E402
from ratings_gui.jobs import tags_sync as ts  # noqa: E402
from ratings_gui.jobs.runner import JobContext  # noqa: E402
from ratings_gui.plex.connection import connect_direct  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--tracks",
        type=int,
        default=4990,
        help="about 5,000 (the demo writes files for at most 5,000)",
    )
    ap.add_argument("--apply", action="store_true", help="also write the plan (to files)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_tags_sync_"))
    t0 = time.perf_counter()
    lib = DemoLibrary.generate(seed=3, tracks=args.tracks, movies=0, shows=0)
    srv = DemoServer(lib, token="bench", media_dir=tmp / "media")
    url = srv.start()
    print(f"setup: {args.tracks:,} tracks and files in {time.perf_counter() - t0:.1f} s ({tmp})")
    app = AppContext.open(tmp / "home")
    try:
        app.set_connection(connect_direct(url, "bench"))
        ctx = JobContext(lambda ev: None, threading.Event())
        opts = ts.TagsOptions("Music", [Rule(lib.media_root, str(tmp / "media"))], conflict="plex")
        job = ts.TagsSyncJob(app, opts)
        srv.reset_counts()
        t = time.perf_counter()
        plan = job.prepare(ctx)
        total = time.perf_counter() - t
        print(
            f"plan: {total:.2f} s total; Plex snapshot {job.figures['plex_seconds']:.2f} s in "
            f"{int(job.figures['plex_requests'])} requests (server counted "
            f"{srv.total_requests()}); {int(job.figures['files']):,} files read in "
            f"{job.figures['scan_seconds']:.2f} s"
        )
        print(f"counts: {plan.summary()}")
        if args.apply:
            srv.reset_counts()
            t = time.perf_counter()
            report = job.apply(ctx, plan)
            print(
                f"apply: {report.changes:,} written in {time.perf_counter() - t:.2f} s, "
                f"{srv.total_requests()} requests, {len(report.failed)} failed"
            )
    finally:
        app.close()
        srv.stop()


if __name__ == "__main__":
    main()
