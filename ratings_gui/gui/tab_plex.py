"""Plex tab: sign in (PIN in the browser, or URL + token), then pick server and library.

Network calls run as jobs; the token is never shown except masked in the
token entry, and is registered as a secret the moment it is known so the
log pane and log files mask it.
"""

from __future__ import annotations

from typing import Any

import customtkinter as ctk

from ratings_gui.gui.plex_home_users import HomeUsersPart
from ratings_gui.gui.plex_signin import SignInPart
from ratings_gui.gui.tabs import Tab, TabEntry, register_tab
from ratings_gui.gui.widgets import (
    ERROR_COLOR,
    TEXT_COLOR,
    Button,
    card,
    readable_segments,
    tip,
    unique_labels,
)
from ratings_gui.jobs.runner import Finished, JobContext
from ratings_gui.logsetup import add_secret
from ratings_gui.plex.auth import connect_server
from ratings_gui.plex.connection import connect_direct
from ratings_gui.plex.snapshot import list_libraries

NO_SERVERS = "Sign in to list your servers"
NO_LIBRARIES = "Connect to a server first"
#: How a library type reads in the picker.
KIND_WORDS = {"artist": "music", "movie": "movies", "show": "TV shows"}


def server_label(info: Any) -> str:
    """``Demo Server (owned)`` / ``Friend's Server (shared by friend)``."""
    if info.owned:
        return f"{info.name} (owned)"
    owner = getattr(info, "source", "") or "someone"
    return f"{info.name} (shared by {owner})"


def library_label(lib: Any) -> str:
    """``Music — music, 1,234 tracks``."""
    kind = KIND_WORDS.get(lib.type, lib.type)
    count = getattr(lib, "count_label", "") or f"{lib.count:,} items"
    return f"{lib.name} — {kind}, {count}"


class PlexTab(SignInPart, HomeUsersPart, Tab):
    """Sign-in, server and library choice; every other tab works on what is chosen here."""

    def build(self) -> None:
        self.servers: dict[str, Any] = {}
        self.libraries: dict[str, Any] = {}
        self.token_dialog: Any = None  # the token-storage dialog while it is open
        self._pin: Any = None
        self._waiting = False

        f = self.frame
        f.grid_columnconfigure((0, 1), weight=1, uniform="cards")
        f.grid_rowconfigure(4, weight=1)  # spare height stays below the content
        ctk.CTkLabel(
            f, text=self.entry.purpose, anchor="w", text_color=("gray35", "gray65"), height=22
        ).grid(row=0, column=0, columnspan=2, sticky="ew", padx=8)

        self._build_pincard(f)
        self._build_directcard(f)
        self._build_pickcard(f)
        self._build_appearance(f)
        self._show_state()
        self._tips()
        self.start_buttons = [self.sign_in_button, self.connect_button]
        if self.app.connection is not None:
            # --demo (or a remembered connection): show it and list its libraries.
            self.frame.after(10, self._show_existing_connection)
        elif self.app.settings.get("server_url"):
            self.frame.after(10, self._reconnect)

    def _build_pickcard(self, f: Any) -> None:
        """The server, its library and whose ratings (a Plex Home member), and the status."""
        pick = card(f, "Server and library")
        pick.grid(row=2, column=0, columnspan=2, sticky="new", padx=4, pady=(8, 4))
        grid = ctk.CTkFrame(pick, fg_color="transparent")
        grid.pack(fill="x", padx=14, pady=(0, 12))
        grid.grid_columnconfigure(1, weight=1)
        ctk.CTkLabel(grid, text="Server").grid(row=0, column=0, sticky="w", pady=4)
        self.server_menu = ctk.CTkOptionMenu(
            grid, values=[NO_SERVERS], command=self._server_picked, dynamic_resizing=False
        )
        self.server_menu.grid(row=0, column=1, sticky="ew", padx=10, pady=4)
        self.server_connect_button = Button(
            grid, text="Connect", width=100, command=self.connect_server, state="disabled"
        )
        self.server_connect_button.grid(row=0, column=2, pady=4)
        self.connection_label = ctk.CTkLabel(
            grid, text="Not connected.", anchor="w", text_color=("gray35", "gray65")
        )
        self.connection_label.grid(row=1, column=1, columnspan=2, sticky="w", padx=10)
        ctk.CTkLabel(grid, text="Library").grid(row=2, column=0, sticky="w", pady=4)
        self.library_menu = ctk.CTkOptionMenu(
            grid,
            values=[NO_LIBRARIES],
            command=self.choose_library,
            dynamic_resizing=False,
            state="disabled",
        )
        self.library_menu.grid(row=2, column=1, sticky="ew", padx=10, pady=4)
        self._build_user_row(grid)
        self.status_label = ctk.CTkLabel(pick, text="", anchor="w", wraplength=900, justify="left")
        self.status_label.pack(fill="x", padx=14, pady=(0, 10))
        # Shown once a library is chosen: before that there is no job to pick.
        self.next_label = ctk.CTkLabel(
            f,
            text="Next: pick a job tab. Every job shows its plan for review before anything "
            "is written, and History can undo any run.",
            anchor="w",
            justify="left",
            wraplength=900,
            text_color=("gray35", "gray65"),
        )

    def _tips(self) -> None:
        tip(
            "Opens plex.tv in your browser; you approve this program there. "
            "Your password is never typed here.",
            self.sign_in_button,
        )
        tip("Forget the Plex token and the chosen server on this computer.", self.sign_out_button)
        tip(
            "Your server's address, as Plex shows it under Settings > Remote Access or "
            "the local one, e.g. http://192.168.1.10:32400.",
            self.url_entry,
        )
        tip(
            "A Plex token (X-Plex-Token). It is kept safe on this computer and never "
            "shown or written to the log.",
            self.token_entry,
        )
        tip("The library the Import, Tags, Base rating and Inference tabs start with.",
            self.library_menu)  # fmt: skip
        tip(
            "Whose ratings every tab reads and writes: you, or another member of your Plex "
            "Home (Plex keeps each person's stars apart). A member with a PIN is asked for it.",
            self.user_menu,
        )

    def _build_appearance(self, f: Any) -> None:
        """Light, dark or as the system is: at the foot of the tab, kept for the next start."""
        line = ctk.CTkFrame(f, fg_color="transparent")
        line.grid(row=5, column=0, columnspan=2, sticky="ew", padx=8, pady=(4, 2))
        caption = ctk.CTkLabel(line, text="Appearance")
        caption.pack(side="left", padx=(6, 8))
        window = self.window
        self.appearance_switch = ctk.CTkSegmentedButton(
            line,
            values=["System", "Light", "Dark"],
            command=lambda mode: window.set_appearance(mode),  # type: ignore[attr-defined]
            **readable_segments(),
        )
        self.appearance_switch.set(str(getattr(window, "appearance", "System")))
        self.appearance_switch.pack(side="left")
        tip(
            "Light or dark window, or as your computer is set (System). Kept for the next start.",
            caption,
            self.appearance_switch,
        )

    # --- state helpers -------------------------------------------------------------

    def _show_state(self) -> None:
        """Sign out only when someone is signed in or connected; "Next" only with a library."""
        signed_in = bool(self.app.settings.get("account")) or self.app.connection is not None
        if signed_in:
            self.sign_out_button.pack(side="right")
        else:
            self.sign_out_button.pack_forget()
        if self.app.connection is not None and self.app.library:
            self.next_label.grid(row=3, column=0, columnspan=2, sticky="ew", padx=18, pady=(6, 4))
        else:
            self.next_label.grid_remove()

    def on_connection_changed(self) -> None:
        self._show_state()

    def set_busy(self, busy: bool) -> None:
        super().set_busy(busy)
        self.cancel_sign_in_button.configure(
            state="normal" if busy and self._waiting else "disabled"
        )
        has_server = bool(self.servers)
        self.server_connect_button.configure(
            state="normal" if has_server and not busy else "disabled"
        )

    def status(self, text: str, *, error: bool = False, log: bool = True) -> None:
        """The tab's status line; job errors are already in the log, so ``log=False`` for them."""
        self.status_label.configure(text=text, text_color=ERROR_COLOR if error else TEXT_COLOR)
        if log:
            if error:
                self.window.show_error(text)
            else:
                self.say(text)

    # --- servers -------------------------------------------------------------------

    def fill_servers(self, servers: list[Any]) -> None:
        """Reconfigure the menu's values (never rebuild an OptionMenu)."""
        labels = unique_labels([server_label(s) for s in servers])
        self.servers = dict(zip(labels, servers, strict=True))
        if labels:
            self.server_menu.configure(values=labels)
            self.server_menu.set(labels[0])
            self.server_connect_button.configure(state="normal")
        else:
            self.server_menu.configure(values=[NO_SERVERS])
            self.server_menu.set("No servers on this account")
            self.server_connect_button.configure(state="disabled")

    def _server_picked(self, label: str) -> None:
        if label in self.servers and not self.window.job_running:
            self.connect_server()

    def connect_server(self) -> None:
        info = self.servers.get(self.server_menu.get())
        if info is None:
            return
        self.connection_label.configure(text=f"Connecting to {info.name}…")

        def work(ctx: JobContext) -> tuple[Any, list[Any]]:

            conn = connect_server(info, timeout=10, cancel=ctx.cancel_event)
            ctx.log(f"Connected to {conn.name} ({conn.kind}); listing libraries…")
            return conn, list_libraries(conn)

        self.run_job(
            work, name="connect", phase=f"Connecting to {info.name}…", on_done=self._connected
        )

    # --- direct URL + token --------------------------------------------------------------

    def connect_direct(self) -> None:
        url = self.url_var.get().strip()
        token = self.token_var.get().strip()
        if not url or not token:
            self.status("Enter the server URL and a token.", error=True)
            return
        add_secret(token)

        def work(ctx: JobContext) -> tuple[Any, list[Any]]:

            conn = connect_direct(url, token, timeout=15)
            ctx.log(f"Connected to {conn.name}; listing libraries…")
            return conn, list_libraries(conn)

        def done(ev: Finished) -> None:
            if not ev.error:
                self.keep_token(token)
            self._connected(ev)

        self.connection_label.configure(text=f"Connecting to {url}…")
        self.run_job(work, name="connect", phase=f"Connecting to {url}…", on_done=done)

    # --- connected -------------------------------------------------------------------------

    def _connected(self, ev: Finished) -> None:
        if ev.error:
            old = self.app.connection
            if old is not None:
                # the working connection stays, and the pickers show it again
                self._show_connection(old)
                self.server_menu.set(next((lb for lb, i in self.servers.items()
                                           if i.name == old.name), old.name))  # fmt: skip
                self.status(f"{ev.error} Still connected to {old.name}.", error=True, log=False)
            else:
                self.connection_label.configure(text="Not connected.")
                self.status(ev.error, error=True, log=False)
            return
        conn, libs = ev.result
        self.app.set_connection(conn)
        self.app.settings.update({"server_url": conn.url, "server_name": conn.name})
        self._show_connection(conn)
        self.status(f"Connected to {conn.name}. Choose a library.", log=False)
        self.fill_libraries(libs)
        self.window.connection_changed()
        self.list_home_users()

    def _show_connection(self, conn: Any) -> None:
        kind = getattr(conn, "kind", "") or "direct"
        self.connection_label.configure(text=f"Connected to {conn.name}: {kind} {conn.url}")

    def _show_existing_connection(self) -> None:
        conn = self.app.connection
        if conn is None:
            return
        self._show_connection(conn)
        # --demo starts connected: the server list names that server, not "Sign in…".
        self.server_menu.configure(values=[conn.name])
        self.server_menu.set(conn.name)
        self.run_job(
            lambda ctx: (conn, list_libraries(conn)),
            name="connect",
            phase=f"Listing libraries on {conn.name}…",
            on_done=self._connected,
        )

    def _reconnect(self) -> None:
        """Last session's server, with the kept token: the user starts where they left off."""
        url = str(self.app.settings.get("server_url") or "")
        token = self.app.tokens.load()
        if not url or not token or self.app.connection is not None:
            return
        name = str(self.app.settings.get("server_name") or url)

        def work(ctx: JobContext) -> tuple[Any, list[Any]]:

            conn = connect_direct(url, token, timeout=10, name=name)
            return conn, list_libraries(conn)

        def done(ev: Finished) -> None:
            if ev.error:
                self.connection_label.configure(text="Not connected.")
                self.status(f"Could not reconnect to {name}: {ev.error}", error=True, log=False)
            else:
                self._connected(ev)

        self.connection_label.configure(text=f"Reconnecting to {name}…")
        self.run_job(work, name="connect", phase=f"Reconnecting to {name}…", on_done=done)

    def fill_libraries(self, libs: list[Any]) -> None:
        labels = unique_labels([library_label(lib) for lib in libs])
        self.libraries = dict(zip(labels, libs, strict=True))
        if not labels:
            self.library_menu.configure(values=[NO_LIBRARIES], state="disabled")
            self.library_menu.set("This server has no music, movie or TV library")
            return
        self.library_menu.configure(values=labels, state="normal")
        wanted = self.app.library or self.app.settings.get("library")
        chosen = next((lb for lb, lib in self.libraries.items() if lib.name == wanted), None)
        if chosen is not None:
            self.library_menu.set(chosen)
            self.choose_library(chosen)
        else:
            self.library_menu.set("Choose a library")
            self.app.library = None
        self.say(f"{len(labels)} libraries: " + "; ".join(labels))

    def choose_library(self, label: str) -> None:
        lib = self.libraries.get(label)
        if lib is None:
            return
        self.library_menu.set(label)
        self.app.library = lib.name
        self.app.settings.set("library", lib.name)
        self.status(
            f"Library {lib.name} ({lib.count_label}): the other tabs work on this library.",
            log=False,
        )
        self.say(f"Library: {label}")
        self.window.connection_changed()

    def sign_out(self) -> None:
        """Forget the token and every choice that depended on it."""
        if self.window.job_running:
            self.window.cancel_job()
        self.app.tokens.forget()
        self.app.set_connection(None)
        self.app.library = None
        self.app.settings.set("account", None)
        self.token_var.set("")
        self.show_link("")
        self.code_label.configure(text="")
        self.servers = {}
        self.server_menu.configure(values=[NO_SERVERS])
        self.server_menu.set(NO_SERVERS)
        self.server_connect_button.configure(state="disabled")
        self.libraries = {}
        self.library_menu.configure(values=[NO_LIBRARIES], state="disabled")
        self.library_menu.set(NO_LIBRARIES)
        self._no_home("")
        self.connection_label.configure(text="Not connected.")
        self.window.connection_changed()
        self.status("Signed out; the token was removed.")


#: This tab, declared once (the window finds it; no list to edit).
ENTRY = TabEntry(
    "plex",
    "Plex",
    "Sign in and choose the server and library the other tabs work on.",
    order=10,
)
TAB = register_tab(ENTRY, PlexTab)
