"""Benchmark (a script, not a test): a 5,000-row IMDb import against a ~20,000-item demo server.

Everything real: the demo server over HTTP, the listings, the parse, the
index and the plan (a dry run: nothing is written). Prints seconds per step
and the requests the server saw; the target is the whole prepare under 5 s
with no added latency, and requests = listing pages only.

    python tests/bench_import.py [--movies 4800] [--shows 1000] [--rows 5000] [--apply]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ratings_gui.context import AppContext  # noqa: E402
from ratings_gui.demo.exports import write_big_imdb  # noqa: E402
from ratings_gui.demo.library import DemoLibrary  # noqa: E402
from ratings_gui.demo.server import DemoServer  # noqa: E402
from ratings_gui.jobs.import_job import ImportJob  # noqa: E402
from ratings_gui.jobs.runner import JobContext  # noqa: E402
from ratings_gui.plex.connection import connect_direct  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--movies", type=int, default=4800)
    ap.add_argument("--shows", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--apply", action="store_true", help="also apply and count the writes")
    a = ap.parse_args()

    t0 = time.perf_counter()
    lib = DemoLibrary.generate(seed=3, tracks=10, movies=a.movies, shows=a.shows)
    counts = {k: len(lib.keys_of(s, k)) for s, k in ((2, "movie"), (3, "show"), (3, "episode"))}
    print(f"library: {counts} ({time.perf_counter() - t0:.1f} s to generate)")
    with tempfile.TemporaryDirectory() as tmp, DemoServer(lib) as srv:
        path = Path(tmp) / "imdb.csv"
        write_big_imdb(lib, a.rows, path)
        app = AppContext.open(Path(tmp) / "home", logging_on=False)
        app.set_connection(connect_direct(srv.url, srv.token))
        ctx = JobContext(lambda ev: None)
        job = ImportJob(app, path, all_libraries=True)
        srv.reset_counts()
        t = time.perf_counter()
        plan = job.prepare(ctx)
        prepare = time.perf_counter() - t
        print(f"rows: {a.rows:,}; outcomes: {plan.summary()}")
        print(
            f"prepare (parse + listings + index + plan): {prepare:.2f} s; "
            f"pure index+plan: {job.plan_seconds:.2f} s"
        )
        print(f"requests while planning: {srv.total_requests()} {dict(srv.counts)}")
        print("target: prepare < 5 s ->", "OK" if prepare < 5 else "TOO SLOW")
        if a.apply:
            srv.reset_counts()
            t = time.perf_counter()
            report = job.apply(ctx, plan)
            print(
                f"apply: {report.changes:,} changes in {time.perf_counter() - t:.1f} s, "
                f"requests {srv.total_requests()} {dict(srv.counts)}"
            )
        app.close()


if __name__ == "__main__":
    main()
