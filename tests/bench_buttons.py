"""Benchmark: setting the state of N buttons, as a job's start and end do for every tab.

A script, not a test (benchmarks print figures; they are not timed tests). Each
redraw of a customtkinter button's canvas costs about a millisecond on the Tk
thread; a state that is already so should cost nothing.

    xvfb-run -a .venv/bin/python tests/bench_buttons.py [--buttons 40] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--buttons", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    import customtkinter as ctk

    from ratings_gui.gui.widgets import Button, set_enabled

    root = ctk.CTk()
    root.geometry("600x400")
    buttons = [Button(root, text=f"Button {i}") for i in range(args.buttons)]
    for i, b in enumerate(buttons):
        b.place(x=10 + (i % 4) * 140, y=10 + (i // 4) * 36)
    root.update()
    times: dict[str, list[float]] = {"disable": [], "enable": [], "unchanged": []}
    for _ in range(args.rounds):
        for what, enabled in (("disable", False), ("enable", True), ("unchanged", True)):
            t0 = time.perf_counter()
            for b in buttons:
                set_enabled(b, enabled)
            root.update_idletasks()
            times[what].append((time.perf_counter() - t0) * 1000)
    root.destroy()
    print(f"{args.buttons} buttons, median of {args.rounds} rounds:")
    for what, ms in times.items():
        print(f"  {what:<10} {statistics.median(ms):6.1f} ms")


if __name__ == "__main__":
    main()
