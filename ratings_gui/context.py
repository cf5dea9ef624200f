"""What the window and the CLI share: folders, settings, journal, token, connection."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ratings_gui.jobs import declare_all
from ratings_gui.journal import Journal
from ratings_gui.logsetup import add_secret, setup_logging
from ratings_gui.plex.auth import AUTH_APP_URL, use_plextv
from ratings_gui.plex.connection import Connection, configure_headers
from ratings_gui.plex.home import HomeUserError, connect_as, home_users
from ratings_gui.settings import Paths, Settings, TokenStore, resolve_paths

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    """One per process. ``connection`` and ``library`` change as the user picks them."""

    paths: Paths
    settings: Settings
    journal: Journal
    tokens: TokenStore
    connection: Connection | None = None
    library: str | None = None
    plextv_base: str | None = None
    auth_app_url: str = AUTH_APP_URL
    demo: Any = field(default=None, repr=False)
    #: ``--demo``: the one folder with the demo's music files and sample exports.
    demo_folder: Any = field(default=None, repr=False)
    #: The plex.tv token of the account that signed in: what switching Home users needs.
    account_token: str = field(default="", repr=False)
    #: The connection as the account itself (the owner), kept while a member is chosen.
    owner_connection: Connection | None = field(default=None, repr=False)

    @property
    def user_label(self) -> str:
        """Whose ratings the jobs read and write: the member's name, "" for the account itself."""
        conn = self.connection
        return conn.user_title if conn is not None and conn.member else ""

    def as_user(self, user: str, pin: str | None = None) -> AppContext:
        """This context working as another Plex Home member (itself when it already is).

        The copy shares the journal, settings and folders; only its connection
        differs, so a job run through it (undo of a member's run) writes as
        that member while the window stays as it is.
        """
        conn = self.connection
        if conn is None or conn.user == user:
            return self
        return dataclasses.replace(self, connection=self.connection_for(user, pin))

    def connection_for(self, user: str, pin: str | None = None) -> Connection:
        """The connected server as the Home member with uuid ``user`` ("" the account itself).

        Undo of a run made as another member runs as that member, by itself.
        """

        conn = self.connection
        if conn is None:
            raise RuntimeError("not connected")
        if conn.user == user:
            return conn
        base = self.owner_connection or conn
        if not user:
            return base
        token = self.account_token or self.tokens.load() or ""
        member = next((u for u in home_users(token) if u.uuid == user), None)
        if member is None:
            raise HomeUserError("That Plex Home member is no longer in your Home.")
        return connect_as(base, token, member, pin)

    @classmethod
    def open(
        cls,
        data_dir: str | Path | None = None,
        *,
        verbose: bool = False,
        plextv_base: str | None = None,
        logging_on: bool = True,
    ) -> AppContext:
        """Create the folders, start logging, open the journal, set the Plex headers."""
        declare_all()  # every job's declaration, before the journal records or answers
        paths = resolve_paths(data_dir).ensure()
        if logging_on:
            setup_logging(paths.logs, verbose=verbose)
        settings = Settings(paths.settings_file)
        configure_headers(settings.client_id())
        tokens = TokenStore(settings)
        add_secret(settings.get("token"))
        ctx = cls(paths, settings, Journal(paths.journal_file), tokens)
        ctx.set_plextv(plextv_base)
        return ctx

    def set_plextv(self, base: str | None) -> None:
        """Use plex.tv, or a stand-in for it (the demo server) for sign-in."""
        self.plextv_base = base
        use_plextv(base)
        self.auth_app_url = f"{base.rstrip('/')}/auth#!" if base else AUTH_APP_URL

    def set_connection(self, conn: Connection | None) -> None:
        """Connect (as the account itself, or as a Home member: ``conn.user``)."""
        self.connection = conn
        if conn is not None:
            add_secret(conn.token)
            if not conn.member:
                self.owner_connection = conn
        else:
            self.owner_connection = None

    @property
    def server_label(self) -> str:
        return self.connection.name if self.connection else ""

    def close(self) -> None:
        self.journal.close()
