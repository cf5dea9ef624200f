"""``python -m ratings_gui``: the window, ``--demo``, ``--selftest`` or a headless job.

Also the target of the installed ``ratings-gui`` (window) and
``ratings-gui-cli`` (console) entry points.
"""

from __future__ import annotations

import sys

from ratings_gui.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Run the program; a Python without Tk gets one line naming the package to install."""
    try:
        return cli_main(argv)
    except ModuleNotFoundError as exc:
        if exc.name not in ("tkinter", "_tkinter"):
            raise
        from ratings_gui.tkcheck import missing_tk_message

        if sys.stderr is not None:
            print(missing_tk_message(), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
