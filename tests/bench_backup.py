"""Benchmark (a script, not a test): requests, seconds and bytes of backup and restore.

    python tests/bench_backup.py [--tracks 50000] [--latency 0]

Runs two demo servers in this process: one whose every track is rated, and a
fresh copy of the same media (keys shifted, local guids, another folder, no
ratings). Backs the first up (plain and gzip), restores onto the second with
grouped writes, and prints the requests each server counted. The issue's
bound: a 50,000-track backup in at most 60 requests.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from ratings_gui.context import AppContext
from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer, Faults
from ratings_gui.demo.transfer import transferred_copy
from ratings_gui.jobs import transfer as jt
from ratings_gui.jobs.runner import JobContext
from ratings_gui.plex.connection import connect_direct

BOUND = 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=50_000)
    ap.add_argument("--latency", type=int, default=0, help="ms added per request")
    args = ap.parse_args()
    ctx = JobContext(lambda ev: None)
    rng = random.Random(1)
    lib = DemoLibrary.generate(seed=5, tracks=args.tracks)
    for it in lib.items.values():
        if it.kind == "track":
            it.user_rating = float(rng.randrange(1, 11))
    rated = sum(1 for it in lib.items.values() if it.user_rating is not None)
    tracks = sum(1 for it in lib.items.values() if it.kind == "track")
    with tempfile.TemporaryDirectory() as tmp, DemoServer(lib, token="bench") as srv:
        app = AppContext.open(Path(tmp) / "home", logging_on=False)
        app.set_connection(connect_direct(srv.url, "bench"))
        srv.faults = Faults(latency_ms=args.latency)
        print(f"{tracks:,} tracks, {rated:,} ratings of every kind, latency {args.latency} ms")
        for name in ("backup.json", "backup.json.gz"):
            srv.reset_counts()
            t0 = time.perf_counter()
            res = jt.BackupJob(app, Path(tmp) / name).run(ctx)
            dt = time.perf_counter() - t0
            n = srv.total_requests()
            verdict = "within" if n <= BOUND else "OVER"
            print(
                f"backup {name:15} {n:>4} requests ({verdict} the bound of {BOUND}) "
                f"{dt:6.2f} s  {res.bytes / 1e6:6.1f} MB  {res.total:,} ratings"
            )
        copy = transferred_copy(lib)
        with DemoServer(copy, token="bench2") as srv2:
            app.set_connection(connect_direct(srv2.url, "bench2"))
            srv2.faults = Faults(latency_ms=args.latency)
            srv2.reset_counts()
            t0 = time.perf_counter()
            job = jt.RestoreJob(app, Path(tmp) / "backup.json.gz")
            plan = job.prepare(ctx)
            t1 = time.perf_counter()
            reads = srv2.total_requests()
            report = job.apply(ctx, plan)
            t2 = time.perf_counter()
            writes = srv2.counts["PUT /library/sections/{id}/all"]
            per_item = srv2.counts.get("PUT /:/rate", 0)
            ok = sum(
                1
                for k, it in copy.items.items()
                if it.user_rating is not None
                and lib.items[k - 100_000].user_rating == it.user_rating
            )
            print(
                f"restore plan   {reads:>4} requests {t1 - t0:6.2f} s  "
                f"matched by {plan.options['matched_by']}"
            )
            print(
                f"restore apply  {srv2.total_requests() - reads:>4} requests {t2 - t1:6.2f} s  "
                f"({writes} grouped edits, {per_item} single rates; "
                f"{report.changes:,} written, {len(report.failed)} failed, {ok:,} right)"
            )
        app.close()


if __name__ == "__main__":
    main()
