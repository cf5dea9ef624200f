"""The Plex tab's sign-in: with Plex (a PIN approved in the browser) or a server URL + token.

A part of :class:`~ratings_gui.gui.tab_plex.PlexTab` (a mixin). Network calls
run as jobs; the token is registered as a secret the moment it is known, and
kept in the keyring (or where the user says when there is none).
"""

from __future__ import annotations

import webbrowser
from typing import Any

import customtkinter as ctk

from ratings_gui.context import AppContext
from ratings_gui.gui.dialogs import TokenStorageDialog
from ratings_gui.gui.widgets import SECONDARY, Button, card, plural
from ratings_gui.jobs.runner import Finished, JobContext
from ratings_gui.logsetup import add_secret
from ratings_gui.plex.auth import PinSignIn, account_servers
from ratings_gui.settings import TokenStoreError


class SignInPart:
    """Sign in with Plex, or connect with URL + token; the tab supplies the rest."""

    app: AppContext
    window: Any
    frame: Any
    run_job: Any
    status: Any
    say: Any

    def _build_pincard(self, f: Any) -> None:
        """Sign in with Plex: the button, Cancel/Sign out, the link to approve."""
        pin = card(f, "Sign in with Plex")
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

    def _build_directcard(self, f: Any) -> None:
        """Or a server's URL and a token, for a server reached directly."""
        direct = card(f, "Or connect with a server URL and token")
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
