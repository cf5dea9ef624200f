"""Plex's notification websocket: the one place the program listens to it."""

from __future__ import annotations

import logging
import threading
from typing import Any

from ratings_gui.plex.connection import Connection

log = logging.getLogger(__name__)

#: Notification types that can mean "the library changed".
LIBRARY_CHANGES = ("timeline", "activity")


def wake_on_library_change(conn: Connection, wake: threading.Event) -> Any:
    """Set ``wake`` when Plex says the library changed; the listener (``.stop()``) or None.

    Notifications are only a shortcut for a poll: None when websocket-client
    is missing or the server refuses, and the caller keeps polling.
    """
    try:
        import websocket  # noqa: F401 - plexapi's AlertListener needs it
    except ImportError:
        return None

    def on_alert(data: dict[str, Any]) -> None:
        if data.get("type") in LIBRARY_CHANGES:
            wake.set()

    def on_error(exc: Exception) -> None:
        log.info("Plex notifications unavailable (%s); polling only", exc)

    try:
        return conn.server.startAlertListener(callback=on_alert, callbackError=on_error)
    except Exception as exc:  # noqa: BLE001 - notifications are only a shortcut
        log.debug("Plex notifications unavailable (%s); polling only", exc)
        return None
