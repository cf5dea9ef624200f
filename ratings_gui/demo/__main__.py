"""``python -m ratings_gui.demo``: serve the demo library until Ctrl-C (for manual testing).

It prints the server's address and token, and the one folder that holds
the demo's music files and sample exports (removed again on Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ratings_gui.demo.session import DemoSession, stop_on_signals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ratings_gui.demo", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument(
        "--tracks", type=int, default=1500, help="about how many tracks to generate"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", default="demo-token")
    parser.add_argument(
        "--folder",
        type=Path,
        default=None,
        help="write the music and sample exports here and keep them (default: a temporary "
        "folder, removed when the demo ends)",
    )
    args = parser.parse_args(argv)
    try:
        session = DemoSession(
            seed=args.seed, tracks=args.tracks, token=args.token, folder=args.folder
        )
        session.start(args.port)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop_on_signals()
    try:
        print("\n".join(session.describe()), flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        session.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
