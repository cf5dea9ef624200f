"""Benchmark: read_many over a big mixed library vs a bare ``mutagen.File`` loop.

A script, not a test (benchmarks print figures; they are not timed tests).
The target from the issue: read_many takes at most 1.3x the bare loop.

    python tests/bench_tags_scan.py --n 5000 [--workers 8] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import mutagen

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ratings_gui.tags import SUPPORTED_EXTENSIONS, TagError, read_many  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "rating-samples"


def build_library(folder: Path, n: int, samples: Path) -> list[Path]:
    """N copies of the samples, cycling through every container, 500 per folder."""
    sources = sorted(p for p in samples.iterdir() if p.suffix.lower() in SUPPORTED_EXTENSIONS)
    paths = []
    for i in range(n):
        src = sources[i % len(sources)]
        sub = folder / f"album{i // 500:04d}"
        if i % 500 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        dst = sub / f"{i:06d}{src.suffix}"
        shutil.copyfile(src, dst)
        paths.append(dst)
    return paths


def bare_loop(paths: list[Path]) -> float:
    start = time.perf_counter()
    for p in paths:
        try:
            mutagen.File(p)
        except Exception:
            pass
    return time.perf_counter() - start


def ours(paths: list[Path], workers: int) -> tuple[float, int, int]:
    start = time.perf_counter()
    rated = errors = 0
    for _, result in read_many(paths, workers=workers):
        if isinstance(result, TagError):
            errors += 1
        elif result.rating is not None:
            rated += 1
    return time.perf_counter() - start, rated, errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50_000, help="number of files (default 50,000)")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--samples", type=Path, default=SAMPLES)
    ap.add_argument("--keep", type=Path, help="build the library here and keep it")
    ap.add_argument("--rounds", type=int, default=2, help="alternate rounds; best time counts")
    args = ap.parse_args(argv)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_tags_"))
    try:
        t0 = time.perf_counter()
        paths = build_library(folder, args.n, args.samples)
        print(f"copied {len(paths)} files in {time.perf_counter() - t0:.1f} s to {folder}")
        for p in paths:  # warm the page cache so neither side pays for the first read
            with open(p, "rb") as fh:
                fh.read()
        bare_times, our_times = [], []
        rated = errors = 0
        for _ in range(max(1, args.rounds)):
            bare_times.append(bare_loop(paths))
            t, rated, errors = ours(paths, args.workers)
            our_times.append(t)
        bare, mine = min(bare_times), min(our_times)
        print(f"bare mutagen.File loop : {bare:7.2f} s  ({len(paths) / bare:,.0f} files/s)")
        print(
            f"read_many (workers={args.workers}): {mine:7.2f} s  ({len(paths) / mine:,.0f} files/s,"
            f" {rated} rated, {errors} errors)"
        )
        ratio = mine / bare
        print(
            f"ratio read_many / bare : {ratio:.2f}x  (target <= 1.30x: {'OK' if ratio <= 1.3 else 'MISSED'})"
        )
        print(f"cpu count: {os.cpu_count()}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
