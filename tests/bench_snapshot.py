"""Benchmark (a script, not a test): requests and seconds for library snapshots.

    python tests/bench_snapshot.py [--sizes 10000 50000] [--latency 0 10]

Runs the demo server in this process, reads the music library the way every
job does (paged raw listings, 2,000 items a page) and prints one line per
size and latency. Figures vary with the machine; compare runs on one machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer, Faults
from ratings_gui.plex.connection import connect_direct
from ratings_gui.plex.snapshot import read_library


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--latency", type=int, nargs="+", default=[0, 10], help="ms added per request")
    ap.add_argument("--page", type=int, default=2000)
    args = ap.parse_args()
    print(f"{'tracks':>8} {'latency':>8} {'requests':>9} {'seconds':>8} {'items/s':>9}")
    for n in args.sizes:
        lib = DemoLibrary.generate(seed=5, tracks=n, movies=1, shows=1)
        with DemoServer(lib, token="bench") as srv:
            conn = connect_direct(srv.url, "bench")
            for ms in args.latency:
                srv.faults = Faults(latency_ms=ms)
                srv.reset_counts()
                t0 = time.perf_counter()
                snap = read_library(conn, "Music", page_size=args.page)
                dt = time.perf_counter() - t0
                tracks = len(snap.of_kind("track"))
                print(
                    f"{tracks:>8} {ms:>6}ms {srv.total_requests():>9} {dt:>8.2f} {len(snap) / dt:>9.0f}"
                )


if __name__ == "__main__":
    main()
