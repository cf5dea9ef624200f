"""A tab's own library picker: the server's libraries of one type, listed beside the job.

A part of :class:`~ratings_gui.gui.tabs.Tab` (a mixin). A music tab lists the
server's music libraries whenever the connection changes, picks the
window's library (else the one it used last) and names it in the header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ratings_gui.context import AppContext
from ratings_gui.jobs.runner import Finished
from ratings_gui.plex.http import PlexHttp
from ratings_gui.plex.snapshot import section_titles

#: What a music tab's picker says when the server has no music library.
NO_MUSIC_LIBRARY = "(no music library)"


class LibraryPicking:
    """list_libraries / fill_library_menu / the header's library; the tab supplies the rest."""

    app: AppContext
    window: Any
    name: str
    title: str
    music_tab: bool
    library_menu: Any
    libraries: list[str]
    say: Any
    options: Any

    def on_connection_changed(self) -> None:
        """Server or library changed (``self.app.connection`` / ``self.app.library``).

        A music tab (:attr:`music_tab`) lists the server's music libraries again.
        """
        if self.music_tab:
            self.list_libraries("artist", self.music_libraries_listed)

    def music_libraries_listed(self, names: list[str]) -> None:
        """The music libraries came back: offer them in :attr:`library_menu`."""
        self.libraries = names
        self.fill_library_menu(self.library_menu, names, NO_MUSIC_LIBRARY)

    def list_libraries(self, section_type: str, done: Callable[[list[str]], None]) -> None:
        """The server's library titles of one type, listed by a task beside the job (one request).

        ``done(names)`` runs on the Tk thread. No connection, or a listing
        that fails, gives ``[]`` (the failure as one log line: the Plex tab
        reports connection trouble).
        """
        conn = self.app.connection
        if conn is None:
            done([])
            return
        known = self.window.known_libraries()
        if known is not None:  # the Plex tab listed this server's libraries: no request
            done([lib.name for lib in known if lib.type == section_type])
            return

        def listed(ev: Finished) -> None:
            if ev.error:
                self.say(f"{self.title}: libraries not listed ({ev.error})")
            done([] if ev.error else ev.result)

        self.window.run_task(
            lambda: section_titles(PlexHttp(conn), section_type),
            listed,
            name=f"{self.name}-libraries",
        )

    def fill_library_menu(self, menu: Any, names: list[str], placeholder: str) -> str:
        """Offer ``names``; pick the window's library, else the one this tab used last."""
        menu.configure(values=names or [placeholder])
        wanted = [self.app.library, self.options().get("library")]
        pick = next((n for n in wanted if n in names), names[0] if names else placeholder)
        menu.set(pick)
        self.library_picked(pick)
        return pick

    def shown_library(self) -> str | None:
        """The library this tab works on (its own picker), for the header; None: the window's."""
        # vars(): a tab still being built (in parts) is not built whole just for the header
        menu = vars(self).get("library_menu")
        if not self.music_tab or menu is None:
            return None
        name = str(menu.get())
        return name if name in getattr(self, "libraries", []) else None

    def library_picked(self, _name: str = "") -> None:
        """The tab's picker changed: the header names the library this tab works on."""
        tabs = getattr(self.window, "tabs", None)
        if tabs is None or tabs.get() != self.title:
            return
        picked = self.shown_library()
        if picked is not None:
            self.window.header.set(library=picked)
