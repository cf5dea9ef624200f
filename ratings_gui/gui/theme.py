"""The system's light/dark setting, asked at most every few seconds.

customtkinter's "System" appearance asks the system (darkdetect) every 30 ms on the Tk
thread; on Linux each answer runs a ``gsettings`` process (15-25 ms), which
alone stalls the window. The answer is kept for :data:`TTL` seconds: the
window still follows a change of the system's theme, a few seconds later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from customtkinter.windows.widgets.appearance_mode.appearance_mode_tracker import (
    AppearanceModeTracker,
)

#: Seconds an answer is kept.
TTL = 5.0


def cached(ask: Callable[[], Any], ttl: float = TTL) -> Callable[[], Any]:
    """``ask``, answered from its last answer while that is younger than ``ttl``."""
    last: list[Any] = [None, -1e9]

    def theme() -> Any:
        now = time.monotonic()
        if now - last[1] >= ttl:
            last[0], last[1] = ask(), now
        return last[0]

    theme.__wrapped__ = ask  # type: ignore[attr-defined]
    return theme


def quiet_system_theme() -> None:
    """Make customtkinter's look at the system theme the cached one (once)."""
    ask = AppearanceModeTracker.detect_appearance_mode
    if not hasattr(ask, "__wrapped__"):
        AppearanceModeTracker.detect_appearance_mode = staticmethod(cached(ask))  # type: ignore[method-assign]
