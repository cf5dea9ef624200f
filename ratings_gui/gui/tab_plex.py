"""Plex tab: sign in (PIN in the browser, or URL + token), then pick server and library.

Network calls run as jobs; the token is never shown except masked in the
token entry, and is registered as a secret the moment it is known so the
log pane and log files mask it.
"""

from __future__ import annotations

import webbrowser
from typing import Any

import customtkinter as ctk

from ratings_gui.gui.dialogs import PinDialog, TokenStorageDialog
from ratings_gui.gui.tabs import Tab, TabEntry, register_tab
from ratings_gui.gui.widgets import (
    ERROR_COLOR,
    SECONDARY,
    TEXT_COLOR,
    Button,
    plural,
    readable_segments,
    tip,
)
from ratings_gui.jobs.runner import Finished, JobContext
from ratings_gui.logsetup import add_secret
from ratings_gui.plex.auth import PinSignIn, account_servers, connect_server
from ratings_gui.plex.connection import connect_direct
from ratings_gui.plex.home import home_users
from ratings_gui.plex.snapshot import list_libraries
from ratings_gui.settings import TokenStoreError

NO_SERVERS = "Sign in to list your servers"
NO_LIBRARIES = "Connect to a server first"
#: The user picker when there is no Home to choose in (or not signed in with Plex).
ONLY_YOU = "You"
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


def _unique(labels: list[str]) -> list[str]:
    """Two servers may share a name; the menu needs distinct entries."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        n = seen.get(label, 0) + 1
        seen[label] = n
        out.append(label if n == 1 else f"{label} #{n}")
    return out


def _card(parent: Any, title: str) -> ctk.CTkFrame:
    card = ctk.CTkFrame(parent, fg_color=("gray96", "gray20"))
    ctk.CTkLabel(card, text=title, font=ctk.CTkFont(size=15, weight="bold"), anchor="w").pack(
        fill="x", padx=14, pady=(10, 6)
    )
    return card


class PlexTab(Tab):
    """Sign-in, server and library choice; every other tab works on what is chosen here."""

    def build(self) -> None:
        self.servers: dict[str, Any] = {}
        self.libraries: dict[str, Any] = {}
        self.token_dialog: TokenStorageDialog | None = None
        self._pin: Any = None
        self._waiting = False

        f = self.frame
        f.grid_columnconfigure((0, 1), weight=1, uniform="cards")
        f.grid_rowconfigure(4, weight=1)  # spare height stays below the content
        ctk.CTkLabel(
            f, text=self.entry.purpose, anchor="w", text_color=("gray35", "gray65"), height=22
        ).grid(row=0, column=0, columnspan=2, sticky="ew", padx=8)

        # --- sign in with Plex (PIN) ---
        pin = _card(f, "Sign in with Plex")
        pin.grid(row=1, column=0, sticky="nsew", padx=(4, 6), pady=4)
        ctk.CTkLabel(
            pin,
            text="Opens plex.tv in your browser; approve this program there.",
            anchor="w",
            text_color=("gray35", "gray65"),
        ).pack(fill="x", padx=14)
        row = ctk.CTkFrame(pin, fg_color="transparent")
        row.pack(fill="x", padx=14, pady=8)
        self.sign_in_button = Button(row, text="Sign in with Plex", command=self.sign_in)
        self.sign_in_button.pack(side="left")
        self.cancel_sign_in_button = Button(
            row, text="Cancel", width=80, command=self.cancel_sign_in, state="disabled"
        )
        self.cancel_sign_in_button.pack(side="left", padx=8)
        self.sign_out_button = Button(
            row,
            text="Sign out",
            width=90,
            command=self.sign_out,
            **SECONDARY,
        )
        self.code_label = ctk.CTkLabel(pin, text="", font=ctk.CTkFont(size=30, weight="bold"))
        self.code_label.pack(padx=14, pady=(0, 2))
        self.link_var = ctk.StringVar(value="")
        link_row = ctk.CTkFrame(pin, fg_color="transparent")
        self.link_row = link_row  # shown only while there is a link to open
        self.link_entry = ctk.CTkEntry(
            link_row, textvariable=self.link_var, state="readonly", placeholder_text="link"
        )
        self.link_entry.pack(side="left", fill="x", expand=True)
        self.copy_link_button = Button(link_row, text="Copy link", width=90, command=self.copy_link)
        self.copy_link_button.pack(side="left", padx=(6, 0))
        self.open_link_button = Button(link_row, text="Open", width=60, command=self.open_link)
        self.open_link_button.pack(side="left", padx=(6, 0))

        # --- direct URL + token ---
        direct = _card(f, "Or connect with a server URL and token")
        direct.grid(row=1, column=1, sticky="nsew", padx=(6, 4), pady=4)
        direct.grid_columnconfigure(1, weight=1)
        inner = ctk.CTkFrame(direct, fg_color="transparent")
        inner.pack(fill="x", padx=14, pady=(0, 10))
        inner.grid_columnconfigure(1, weight=1)
        self.url_var = ctk.StringVar(value=str(self.app.settings.get("server_url") or ""))
        self.token_var = ctk.StringVar(value="")
        ctk.CTkLabel(inner, text="Server URL").grid(row=0, column=0, sticky="w", pady=4)
        self.url_entry = ctk.CTkEntry(
            inner, textvariable=self.url_var, placeholder_text="http://192.168.1.10:32400"
        )
        self.url_entry.grid(row=0, column=1, sticky="ew", padx=(10, 0), pady=4)
        ctk.CTkLabel(inner, text="Token").grid(row=1, column=0, sticky="w", pady=4)
        self.token_entry = ctk.CTkEntry(inner, textvariable=self.token_var, show="•")
        self.token_entry.grid(row=1, column=1, sticky="ew", padx=(10, 0), pady=4)
        self.connect_button = Button(inner, text="Connect", command=self.connect_direct)
        self.connect_button.grid(row=2, column=1, sticky="e", pady=(6, 0))

        # --- server and library ---
        pick = _card(f, "Server and library")
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
        ctk.CTkLabel(grid, text="User").grid(row=3, column=0, sticky="w", pady=4)
        self.home_users: dict[str, Any] = {}
        self.user_menu = ctk.CTkOptionMenu(
            grid,
            values=[ONLY_YOU],
            command=self.choose_user,
            dynamic_resizing=False,
            state="disabled",
        )
        self.user_menu.grid(row=3, column=1, sticky="ew", padx=10, pady=4)
        self.user_note = ctk.CTkLabel(
            grid, text="", anchor="w", text_color=("gray35", "gray65"), wraplength=700
        )
        self.user_note.grid(row=4, column=1, columnspan=2, sticky="w", padx=10)
        self.pin_dialog: PinDialog | None = None
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
        self._build_appearance(f)
        self._show_state()

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
        self.start_buttons = [self.sign_in_button, self.connect_button]
        if self.app.connection is not None:
            # --demo (or a remembered connection): show it and list its libraries.
            self.frame.after(10, self._show_existing_connection)
        elif self.app.settings.get("server_url"):
            self.frame.after(10, self._reconnect)

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

    # --- PIN sign-in ------------------------------------------------------------------

    def sign_in(self) -> None:
        """Step 1 (worker): ask plex.tv for a PIN; the browser opens when it is back."""

        pin = PinSignIn(self.app.settings.client_id(), auth_app_url=self.app.auth_app_url)
        self._pin = pin
        self.code_label.configure(text="")
        self.show_link("")
        self.run_job(
            lambda ctx: pin.start(),
            name="sign-in",
            phase="Asking Plex for a sign-in code…",
            on_done=self._pin_started,
        )

    def _pin_started(self, ev: Finished) -> None:
        if ev.error:
            self.status(ev.error, error=True, log=False)
            return
        url, code = ev.result
        pin = self._pin
        self.show_link(url)
        if len(code) <= 8:
            # A plex.tv/link code is typed by the user: it reads big.
            self.code_label.configure(text=code, font=ctk.CTkFont(size=30, weight="bold"))
            self.status(f"Approve code {code} in your browser (Open shows the page again).")
        else:
            # A long sign-in code is the link's own business: the user needs the link.
            self.code_label.configure(
                text="Approve in your browser", font=ctk.CTkFont(size=18, weight="bold")
            )
            self.status(
                "Approve the sign-in on the page your browser opened; if it did not open, "
                "open the link below (Open, or Copy link and paste it into your browser)."
            )
        self.open_link()
        self._waiting = True
        self.run_job(
            lambda ctx: self._wait_for_token(pin, ctx),
            name="sign-in",
            phase="Waiting for you to approve the sign-in in your browser…",
            on_done=self._signed_in,
        )

    @staticmethod
    def _wait_for_token(pin: Any, ctx: JobContext) -> tuple[str, str, list[Any]]:
        """Worker: poll the PIN, then list the account's servers. No widgets here."""

        token = pin.wait(ctx.cancel_event, timeout=300)
        add_secret(token)
        ctx.log("Signed in; listing your servers…")
        account, servers = account_servers(token)
        for s in servers:
            add_secret(getattr(s, "access_token", None))
        return token, account, list(servers)

    def _signed_in(self, ev: Finished) -> None:
        self._waiting = False
        self.cancel_sign_in_button.configure(state="disabled")
        if ev.error:
            self.code_label.configure(text="")
            self.status(
                ev.error if not ev.cancelled else "Sign-in cancelled.", error=not ev.cancelled
            )
            return
        token, account, servers = ev.result
        self.app.settings.set("account", account)
        self.window.header.set(account=account)
        self._show_state()
        self.keep_token(token)
        self.code_label.configure(
            text=f"✓ Signed in as {account}", font=ctk.CTkFont(size=18, weight="bold")
        )
        self.show_link("")
        self.fill_servers(servers)
        owned = sum(1 for s in servers if s.owned)
        self.status(
            f"Signed in as {account}: {plural(len(servers), 'server')}"
            + (f", {owned:,} owned" if owned else "")
            + ". Pick one and press Connect."
        )

    def cancel_sign_in(self) -> None:
        if self._waiting:
            self.window.cancel_job()

    def show_link(self, url: str) -> None:
        """The sign-in link row appears only while a link is waiting to be approved."""
        self.link_var.set(url)
        if url:
            self.link_row.pack(fill="x", padx=14, pady=(0, 10))
        else:
            self.link_row.pack_forget()

    def open_link(self) -> None:
        url = self.link_var.get()
        if url:
            webbrowser.open(url)

    def copy_link(self) -> None:
        url = self.link_var.get()
        if url:
            self.frame.clipboard_clear()
            self.frame.clipboard_append(url)
            self.say("Sign-in link copied.")

    # --- servers -------------------------------------------------------------------

    def fill_servers(self, servers: list[Any]) -> None:
        """Reconfigure the menu's values (never rebuild an OptionMenu)."""
        labels = _unique([server_label(s) for s in servers])
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
        if label in self.servers and not self.window.busy:
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
        labels = _unique([library_label(lib) for lib in libs])
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

    # --- Plex Home users --------------------------------------------------------------------

    def _account_token(self) -> str:
        return self.app.account_token or self.app.tokens.load() or ""

    def list_home_users(self) -> None:
        """After connecting: the Home's members (one plex.tv request), the owner first."""
        def work(ctx: JobContext) -> list[Any] | None:
            token = self._account_token()  # the keyring may take a while: not on the Tk thread
            return home_users(token) if token else None

        def done(ev: Finished) -> None:
            if ev.error:
                self._no_home(f"Only your ratings: {ev.error}")
                return
            if ev.result is None:
                self._no_home("Sign in with Plex to work on another Home member's ratings.")
                return
            self.fill_users(ev.result)

        self.run_job(work, name="home-users", phase="Listing your Plex Home…", on_done=done)

    def _no_home(self, why: str) -> None:
        self.home_users = {}
        self.user_menu.configure(values=[ONLY_YOU], state="disabled")
        self.user_menu.set(ONLY_YOU)
        self.user_note.configure(text=why)

    def fill_users(self, users: list[Any]) -> None:
        labels = _unique([u.name + (" (owner)" if u.admin else "") for u in users])
        self.home_users = dict(zip(labels, users, strict=True))
        if len(users) < 2:
            self._no_home("Your Plex Home has no other members.")
            return
        self.user_menu.configure(values=labels, state="normal")
        conn = self.app.connection
        current = next(
            (lb for lb, u in self.home_users.items()
             if (conn is not None and conn.member and u.uuid == conn.user)
             or (conn is not None and not conn.member and u.admin)),
            labels[0],
        )  # fmt: skip
        self.user_menu.set(current)
        self.user_note.configure(
            text="Every tab reads and writes the ratings of the user chosen here."
        )

    def choose_user(self, label: str) -> None:
        """Switch every tab to this member's ratings (a PIN first when they have one)."""
        user = self.home_users.get(label)
        conn = self.app.connection
        if user is None or conn is None:
            return
        if (user.admin and not conn.member) or (conn.member and user.uuid == conn.user):
            return
        if user.protected and not user.admin:
            if self.pin_dialog is not None and self.pin_dialog.winfo_exists():
                self.pin_dialog.destroy()
            self.pin_dialog = PinDialog(
                self.frame.winfo_toplevel(),
                user.name,
                lambda pin: self._switch(user, pin) if pin else self._user_kept(),
            )
            return
        self._switch(user, None)

    def _user_kept(self) -> None:
        """The PIN dialog was cancelled: the picker shows the user still chosen."""
        if self.home_users:
            self.fill_users(list(self.home_users.values()))

    def _switch(self, user: Any, pin: str | None) -> None:
        uuid = "" if user.admin else user.uuid

        def work(ctx: JobContext) -> Any:
            return self.app.connection_for(uuid, pin)

        def done(ev: Finished) -> None:
            if ev.error:
                self.status(ev.error, error=True, log=False)
                self._user_kept()
                return
            self.app.set_connection(ev.result)
            who = ev.result.user_title if ev.result.member else "you"
            self.status(f"Working on the ratings of {who}.", log=False)
            self.say(f"User: {user.name}")
            self.window.connection_changed()

        self.run_job(work, name="switch-user", phase=f"Switching to {user.name}…", on_done=done)

    # --- token -------------------------------------------------------------------------------

    def keep_token(self, token: str) -> None:
        """Keyring first; without one the user picks "session" or "file" in a small dialog."""

        tokens = self.app.tokens
        if tokens.keyring_available():
            try:
                tokens.save(token)
                return
            except TokenStoreError:
                pass
        if self.token_dialog is not None and self.token_dialog.winfo_exists():
            self.token_dialog.destroy()

        def chosen(storage: str) -> None:
            where = tokens.save(token, storage=storage)
            self.token_dialog = None
            self.say(
                "Token kept for this session only."
                if where == "session"
                else "Token kept in the settings file."
            )

        self.token_dialog = TokenStorageDialog(self.frame.winfo_toplevel(), chosen)

    def sign_out(self) -> None:
        """Forget the token and every choice that depended on it."""
        if self.window.busy:
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
