"""``python -m ratings_gui.demo``: serve the demo library until Ctrl-C (for manual testing)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer


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
        "--media", type=Path, default=None, help="write small real audio files here"
    )
    args = parser.parse_args(argv)
    lib = DemoLibrary.generate(seed=args.seed, tracks=args.tracks)
    try:
        srv = DemoServer(lib, token=args.token, media_dir=args.media)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    url = srv.start(args.port)
    print(f"Demo Plex server: {url}")
    print(f"Token: {srv.token}")
    print(f"Sign-in page: {url}/auth")
    if args.media:
        print(f"Media files: {args.media} (server paths under {lib.media_root})")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
