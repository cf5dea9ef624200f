"""The desktop window: a thin customtkinter shell over the same jobs the CLI runs.

This package is the only place that imports customtkinter or tkinter, so
the rest of the program stays importable (and testable) without a display.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
from typing import Any


def _import_customtkinter_keeping_fonts() -> None:
    """Import customtkinter without rewriting font files another window has mapped.

    On Linux customtkinter copies its Roboto fonts into ``~/.fonts`` on every
    import. The copy truncates the file first, and a second program window
    (or a test's subprocess) that has that font memory-mapped dies with
    SIGBUS. An identical file already in place is left alone instead.
    """
    if not sys.platform.startswith("linux") or "customtkinter" in sys.modules:
        return
    real_copy = shutil.copy

    def copy_unless_same(src: Any, dst: Any, *args: Any, **kwargs: Any) -> Any:
        target = os.path.join(dst, os.path.basename(src)) if os.path.isdir(dst) else dst
        try:
            if os.path.isfile(target) and filecmp.cmp(src, target, shallow=False):
                return target
        except OSError:
            pass
        return real_copy(src, dst, *args, **kwargs)

    shutil.copy = copy_unless_same
    try:
        import customtkinter  # noqa: F401
    finally:
        shutil.copy = real_copy


_import_customtkinter_keeping_fonts()
