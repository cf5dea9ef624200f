"""``python -m ratings_gui``: the window, ``--demo``, ``--selftest`` or a headless job."""

from __future__ import annotations

import sys

from ratings_gui.cli import main

if __name__ == "__main__":
    sys.exit(main())
