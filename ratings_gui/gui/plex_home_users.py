"""The Plex tab's User picker: whose ratings every tab reads and writes (a Plex Home member).

A part of :class:`~ratings_gui.gui.tab_plex.PlexTab` (a mixin): the Home's
members are listed after connecting, a protected member is asked for the
PIN, and switching makes every tab work as that member.
"""

from __future__ import annotations

from typing import Any

import customtkinter as ctk

from ratings_gui.context import AppContext
from ratings_gui.gui.dialogs import PinDialog
from ratings_gui.gui.widgets import tip, unique_labels
from ratings_gui.jobs.runner import Finished, JobContext
from ratings_gui.plex.home import home_users

#: The user picker when there is no Home to choose in (or not signed in with Plex).
ONLY_YOU = "You"


class HomeUsersPart:
    """The User row and what it does; the tab supplies app, window, run_job, status, say."""

    app: AppContext
    window: Any
    frame: Any
    run_job: Any
    status: Any
    say: Any

    def _build_user_row(self, grid: Any) -> None:
        """The User picker under the library: whose ratings every tab works on."""
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
        tip(
            "Whose ratings every tab reads and writes: you, or another member of your Plex "
            "Home (Plex keeps each person's stars apart). A member with a PIN is asked for it.",
            self.user_menu,
        )

    def _account_token(self) -> str:
        return self.app.account_token or self.app.tokens.load() or ""

    def list_home_users(self) -> None:
        """After connecting: the Home's members (one plex.tv request), the owner first.

        A background task, not a job: a Preview pressed meanwhile is not refused
        as "another job is still running". The newest listing wins.
        """
        self._listing = getattr(self, "_listing", 0) + 1
        listing = self._listing

        def work() -> list[Any] | None:
            token = self._account_token()  # the keyring may take a while: not on the Tk thread
            return home_users(token) if token else None

        def done(ev: Finished) -> None:
            if listing != self._listing:
                return  # a newer connection's listing is on its way
            if ev.error:
                self._no_home(f"Only your ratings: {ev.error}")
                return
            if ev.result is None:
                self._no_home("Sign in with Plex to work on another Home member's ratings.")
                return
            self.fill_users(ev.result)

        self.user_note.configure(text="Listing your Plex Home…")
        self.window.run_task(work, done, name="home-users")

    def _no_home(self, why: str) -> None:
        self.home_users = {}
        self.user_menu.configure(values=[ONLY_YOU], state="disabled")
        self.user_menu.set(ONLY_YOU)
        self.user_note.configure(text=why)

    def fill_users(self, users: list[Any]) -> None:
        labels = unique_labels([u.name + (" (owner)" if u.admin else "") for u in users])
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
