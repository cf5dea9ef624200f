"""Benchmark of inference: the pure math on 100,000 tracks, and a plan + apply on the demo server.

Run: ``python tests/bench_inference.py [--tracks 100000] [--demo-tracks 50000]``.
Prints figures; it asserts nothing (benchmarks are scripts, not timed tests).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from ratings_gui.core import inference as inf  # noqa: E402
from ratings_gui.core.records import Item  # noqa: E402


def demo_items(lib: object, section_id: int = 1) -> list[Item]:
    """The demo library's music as snapshot records, without HTTP (for the pure timing)."""
    out = []
    for it in lib.items.values():  # type: ignore[attr-defined]
        if it.section_id != section_id or it.kind not in ("artist", "album", "track"):
            continue
        out.append(
            Item(
                key=it.key,
                kind=it.kind,
                title=it.title,
                parent_key=it.parent_key,
                grandparent_key=it.grandparent_key,
                original_title=it.original_title or "",
                duration=it.duration,
                user_rating=it.user_rating,
                critic_rating=it.rating,
            )
        )
    return out


def bench_pure(tracks: int) -> None:
    """Fit + plan of the whole snapshot per method, then the 5-fold backtest and its ratios."""
    from ratings_gui.demo.library import DemoLibrary

    t0 = time.perf_counter()
    lib = DemoLibrary.generate(seed=3, tracks=tracks, movies=0, shows=0)
    items = demo_items(lib)
    print(f"generated {tracks:,} tracks in {time.perf_counter() - t0:.1f} s")
    for method in inf.METHODS:
        params = inf.Params(method=method)
        times = []
        cpu = []
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            plan, res = inf.plan_inference(items, {}, params)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        # CPU time too: on a shared machine the wall clock also counts other processes' turns
        print(
            f"fit + plan ({method}): {len(plan):,} changes from {len(items):,} items in "
            f"{min(times):.3f} s wall, {min(cpu):.3f} s CPU (best of 3; first {times[0]:.3f} s)"
        )
    print("fit:", ", ".join(f"{k}={v:g}" for k, v in res.fit.as_json().items()))
    t0 = time.perf_counter()
    bt = inf.backtest(items, {})
    print(f"5-fold backtest (both engines, two averages) in {time.perf_counter() - t0:.2f} s")
    for line in bt.lines():
        print("  " + line)
    mae = {k: v[0] for k, v in bt.scores.items()}
    print(
        f"  fitted vs album average: {1 - mae['fitted'] / mae['album mean']:.1%} lower MAE "
        f"(bar: 5%); vs classic: {1 - mae['fitted'] / mae['classic']:.1%} lower (bar: 15%)"
    )
    print("  calibration (predicted -> actual, count):")
    for a, b, n in bt.calibration:
        print(f"    {a:5.2f} -> {b:5.2f}  {n:,}")
    print("  " + bt.sentence())


def bench_demo(tracks: int) -> None:
    from ratings_gui.context import AppContext
    from ratings_gui.demo.library import DemoLibrary
    from ratings_gui.demo.server import DemoServer
    from ratings_gui.jobs.infer import InferJob, InferOptions
    from ratings_gui.jobs.runner import JobContext
    from ratings_gui.plex.connection import connect_direct

    lib = DemoLibrary.generate(seed=7, tracks=tracks, movies=0, shows=0)
    srv = DemoServer(lib, token="bench")
    srv.start()
    home = Path(tempfile.mkdtemp(prefix="bench_infer_"))
    app = AppContext.open(home, plextv_base=srv.url)
    try:
        app.set_connection(connect_direct(srv.url, srv.token))
        for run in (1, 2):
            ctx = JobContext(lambda ev: None, threading.Event())
            job = InferJob(app, InferOptions("Music", mood_tag="Rating_Inferred"))
            t0 = time.perf_counter()
            plan = job.prepare(ctx)
            t_plan = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = job.apply(ctx, plan)
            t_apply = time.perf_counter() - t0
            moods = sum(1 for c in plan.changes if c.field == "mood")
            print(
                f"run {run}: read+plan {t_plan:.2f} s in {job.read_requests} requests, "
                f"{len(plan) - moods:,} ratings + {moods:,} mood tags; apply {t_apply:.2f} s, "
                f"{report.changes:,} written in {report.extra.get('requests', 0)} write requests "
                f"+ {report.extra.get('verify_requests', 0)} verify reads"
            )
    finally:
        app.close()
        srv.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tracks", type=int, default=100_000)
    ap.add_argument("--demo-tracks", type=int, default=50_000)
    ap.add_argument("--skip-demo", action="store_true")
    a = ap.parse_args()
    bench_pure(a.tracks)
    if not a.skip_demo:
        bench_demo(a.demo_tracks)


if __name__ == "__main__":
    main()
