"""Plex sign-in: the OAuth PIN in the browser, the account's servers, and connecting.

The PIN flow: one POST makes a PIN; the user approves it on the auth page
in the default browser (the window also shows the link and the code); we
poll until plex.tv hands out the token. plex.tv's URLs are class
attributes in plexapi, so the demo server can stand in for plex.tv.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from urllib.parse import urlencode

import plexapi
from plexapi import exceptions as plex_exc
from plexapi.myplex import MyPlexAccount, MyPlexPinLogin, MyPlexResource, MyPlexUser
from plexapi.server import PlexServer

from ratings_gui.core.plan import Cancelled
from ratings_gui.logsetup import add_secret
from ratings_gui.plex.connection import (
    Connection,
    PlexError,
    describe_error,
    make_session,
)

log = logging.getLogger(__name__)

PLEXTV = "https://plex.tv"
AUTH_APP_URL = "https://app.plex.tv/auth/#!"
_ORIGINAL = {
    "pins": MyPlexPinLogin.PINS,
    "user": MyPlexAccount.key,
    "resources": MyPlexResource.key,
    "home": MyPlexAccount.HOMEUSERS,
    "users": MyPlexUser.key,
}


def use_plextv(base: str | None) -> None:
    """Point plexapi's plex.tv URLs at ``base`` (the demo server), or back at plex.tv."""
    if base is None:
        MyPlexPinLogin.PINS = _ORIGINAL["pins"]
        MyPlexAccount.key = _ORIGINAL["user"]
        MyPlexResource.key = _ORIGINAL["resources"]
        MyPlexAccount.HOMEUSERS = _ORIGINAL["home"]
        MyPlexUser.key = _ORIGINAL["users"]
        return
    base = base.rstrip("/")
    MyPlexPinLogin.PINS = _ORIGINAL["pins"].replace(PLEXTV, base)
    MyPlexAccount.key = _ORIGINAL["user"].replace(PLEXTV, base)
    MyPlexResource.key = _ORIGINAL["resources"].replace(PLEXTV, base)
    MyPlexAccount.HOMEUSERS = _ORIGINAL["home"].replace(PLEXTV, base)
    MyPlexUser.key = _ORIGINAL["users"].replace(PLEXTV, base)


class PinSignIn:
    """One OAuth PIN sign-in: :meth:`start` then :meth:`wait` (both on a worker thread)."""

    def __init__(
        self,
        client_id: str,
        *,
        auth_app_url: str = AUTH_APP_URL,
        poll_interval: float = 1.0,
        request_timeout: float = 15,
    ) -> None:
        self.client_id = client_id
        self.auth_app_url = auth_app_url
        self.poll_interval = poll_interval
        self._login = MyPlexPinLogin(
            session=make_session(2),
            requestTimeout=request_timeout,
            headers={"X-Plex-Client-Identifier": client_id},
            oauth=True,
        )
        self.code: str | None = None

    def start(self) -> tuple[str, str]:
        """Ask plex.tv for a PIN; return the browser URL and the code."""
        try:
            code = self._login._getCode()
        except Exception as exc:  # noqa: BLE001
            raise PlexError(
                "Could not reach plex.tv to start signing in. " + describe_error(exc)
            ) from None
        if not code:
            raise PlexError("plex.tv did not hand out a sign-in code. Try again.")
        self.code = code
        h = dict(plexapi.BASE_HEADERS)
        params = {
            "clientID": self.client_id,
            "code": code,
            "context[device][product]": h.get("X-Plex-Product", ""),
            "context[device][version]": h.get("X-Plex-Version", ""),
            "context[device][platform]": h.get("X-Plex-Platform", ""),
            "context[device][device]": h.get("X-Plex-Device", ""),
        }
        return f"{self.auth_app_url}?{urlencode(params)}", code

    def wait(self, cancel: threading.Event | None = None, timeout: float = 300) -> str:
        """Poll until approved; the token, or PlexError on timeout, Cancelled on cancel.

        plex.tv rate-limits polling (429): back off instead of giving up.
        """
        cancel = cancel or threading.Event()
        deadline = time.monotonic() + timeout
        delay = self.poll_interval
        failures = 0
        while time.monotonic() < deadline:
            if cancel.is_set():
                raise Cancelled()
            try:
                if self._login._checkLogin():
                    token = str(self._login.token)
                    add_secret(token)
                    return token
                delay, failures = self.poll_interval, 0
            except Exception as exc:  # noqa: BLE001 - transient poll failures are retried
                failures += 1
                delay = min(10.0, delay * 2)
                if "(404)" in str(exc) or failures > 8:
                    raise PlexError(
                        "The sign-in code expired or plex.tv stopped answering. "
                        + describe_error(exc)
                    ) from None
            cancel.wait(delay)
        raise PlexError("Sign-in timed out: the code was not approved in time. Start again.")


@dataclass(frozen=True)
class ConnectionInfo:
    uri: str
    kind: str  # local | remote | relay


@dataclass(frozen=True)
class ServerInfo:
    """A server from the account's resources, as the server picker shows it."""

    name: str
    machine_id: str
    owned: bool
    source: str
    connections: tuple[ConnectionInfo, ...]
    access_token: str = field(repr=False, default="")

    @property
    def display(self) -> str:
        return (
            f"{self.name} (owned)"
            if self.owned
            else f"{self.name} (shared by {self.source or 'a friend'})"
        )


def account_servers(token: str, *, timeout: float = 15) -> tuple[str, list[ServerInfo]]:
    """The account's name and its servers, owned first."""
    add_secret(token)
    try:
        account = MyPlexAccount(token=token, session=make_session(2), timeout=timeout)
        resources = account.resources()
    except Exception as exc:  # noqa: BLE001
        raise PlexError(describe_error(exc, "plex.tv")) from None
    servers: list[ServerInfo] = []
    for r in resources:
        if "server" not in (r.provides or ""):
            continue
        conns: list[ConnectionInfo] = []
        seen: set[str] = set()
        for c in r.connections:
            kind = "relay" if c.relay else ("local" if c.local else "remote")
            if not r.owned and kind == "local":
                continue
            for uri in (c.uri, c.httpuri if kind == "local" else None):
                if uri and uri not in seen:
                    seen.add(uri)
                    conns.append(ConnectionInfo(uri.rstrip("/"), kind))
        order = {"local": 0, "remote": 1, "relay": 2}
        conns.sort(key=lambda ci: order[ci.kind])
        add_secret(r.accessToken)
        servers.append(
            ServerInfo(
                r.name,
                r.clientIdentifier,
                bool(r.owned),
                r.sourceTitle or "",
                tuple(conns),
                r.accessToken or token,
            )
        )
    servers.sort(key=lambda s: (not s.owned, s.name.lower()))
    name = account.username or account.title or account.email or "Plex account"
    return str(name), servers


def connect_server(
    info: ServerInfo, *, timeout: float = 10, cancel: threading.Event | None = None
) -> Connection:
    """Try the server's addresses in parallel; keep the best that answers (local > remote > relay).

    Waits only as long as a better address might still answer, so an
    unreachable remote address does not hold up a working local one.
    """
    if not info.connections:
        raise PlexError(f"{info.name} has no addresses to connect to.")
    session = make_session()

    def attempt(ci: ConnectionInfo) -> PlexServer:
        return PlexServer(ci.uri, info.access_token, session=session, timeout=timeout)

    pool = ThreadPoolExecutor(min(8, len(info.connections)), thread_name_prefix="plex-connect")
    futures: list[Future[PlexServer]] = [pool.submit(attempt, ci) for ci in info.connections]
    errors: list[str] = []
    try:
        pending = set(futures)
        while pending:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for ci, fut in zip(info.connections, futures, strict=True):
                if not fut.done():
                    break  # a better address is still trying
                exc = fut.exception()
                if exc is None:
                    server = fut.result()
                    return Connection(
                        server, ci.uri, info.access_token, info.name, ci.kind, timeout * 3, session
                    )
                if isinstance(exc, plex_exc.Unauthorized):
                    raise PlexError(describe_error(exc, ci.uri))
                msg = describe_error(exc, ci.uri)
                if msg not in errors:
                    errors.append(msg)
        raise PlexError(
            f"Could not connect to {info.name} on any of its addresses. " + " ".join(errors[:2])
        )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
