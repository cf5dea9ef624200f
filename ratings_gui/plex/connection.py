"""A connection to one Plex server, plain-language errors, and the Plex headers.

Only ``plex/`` talks HTTP. Everything here keeps the token out of reprs,
messages and logs: errors go through :func:`describe_error`, which masks it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree import ElementTree

# Auto-reload makes plexapi fetch one item per missing attribute; the program
# never relies on it. Must be set before plexapi reads its config.
os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")

import plexapi  # noqa: E402
import requests  # noqa: E402
from plexapi import exceptions as plex_exc  # noqa: E402
from plexapi.server import PlexServer  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

from ratings_gui import APP_TITLE, __version__  # noqa: E402
from ratings_gui.logsetup import add_secret, redact  # noqa: E402

log = logging.getLogger(__name__)

PRODUCT = APP_TITLE
#: Kept small: Plex's database is effectively single-writer.
POOL_SIZE = 8


class PlexError(Exception):
    """A Plex problem worded for the user (never carries the token)."""


def configure_headers(client_id: str | None = None) -> str:
    """Put our identity into plexapi's headers, mutating ``BASE_HEADERS`` in place.

    Other plexapi modules imported the dict by name, so reassigning it would
    have no effect. Returns the client identifier in use.
    """
    cid = client_id or str(uuid.uuid4())
    plexapi.BASE_HEADERS["X-Plex-Client-Identifier"] = cid
    plexapi.BASE_HEADERS["X-Plex-Product"] = PRODUCT
    plexapi.BASE_HEADERS["X-Plex-Version"] = __version__
    plexapi.BASE_HEADERS["X-Plex-Device-Name"] = f"{PRODUCT} ({plexapi.X_PLEX_DEVICE_NAME})"
    plexapi.X_PLEX_IDENTIFIER = cid
    return cid


#: Clocks this close are taken as one: a Date header says whole seconds, and a few
#: seconds either way change nothing a person did.
SAME_CLOCK_WITHIN_S = 5.0


class ServerClock:
    """How far the server's clock is from this computer's, from its answers' ``Date``.

    Plex stamps ``lastRatedAt`` and ``addedAt`` with its own clock; "a rating given
    after the read" and "a track added since the last run" compare them with when
    the read began, so that time must be on the server's clock too. A computer
    whose clock is off by minutes would otherwise keep a rating given just before
    the read from being written (or miss one given just after).
    """

    def __init__(self) -> None:
        #: Seconds to add to this computer's time to get the server's (0: the same clock).
        self.offset = 0.0

    def note(self, resp: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        """A response hook: the newest answer's ``Date`` sets the offset (none: kept)."""
        date = resp.headers.get("Date")
        if not date:
            return
        try:
            when = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return
        offset = when - time.time()
        self.offset = 0.0 if abs(offset) < SAME_CLOCK_WITHIN_S else offset

    def server_time(self, local: float) -> float:
        """``local`` (a ``time.time()`` of this computer) on the server's clock."""
        return local + self.offset


#: The clock of a connection whose session does not learn one: this computer's.
_SAME_CLOCK = ServerClock()


def make_session(pool: int = POOL_SIZE) -> requests.Session:
    """A requests session whose connection pool matches our worker count; its
    :class:`ServerClock` (``server_clock``) learns the server's time from every answer."""
    s = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    clock = ServerClock()
    s.server_clock = clock  # type: ignore[attr-defined]
    s.hooks["response"].append(clock.note)
    return s


def describe_error(exc: BaseException, url: str = "") -> str:
    """One plain sentence for what went wrong talking to Plex, token masked."""
    where = f" at {redact(url)}" if url else ""
    if isinstance(exc, PlexError) or getattr(exc, "plain_message", False):
        return redact(str(exc))
    if isinstance(exc, plex_exc.Unauthorized) or "(401)" in str(exc):
        return (
            f"The Plex server{where} refused the sign-in (401 Unauthorized): "
            "the token is wrong or expired. Sign in again."
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return (
            f"The secure connection to the Plex server{where} failed: its certificate "
            "could not be verified. Try the server's http:// address on your network, "
            "or check the system clock."
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return f"The Plex server{where} did not answer in time. It may be busy or unreachable."
    if isinstance(exc, requests.exceptions.ConnectionError):
        return (
            f"Could not reach the Plex server{where}. Check the address and port, "
            "and that the server is running."
        )
    if isinstance(exc, plex_exc.NotFound) or "(404)" in str(exc):
        return f"The Plex server{where} does not have what was asked for (404 Not Found)."
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return f"{redact(url) or 'That'} is not a valid server address (example: http://192.168.1.10:32400)."
    text = str(exc)
    for code in ("500", "502", "503", "429"):
        if f"({code})" in text or f" {code} " in text:
            return f"The Plex server{where} answered with an error ({code}). Try again later."
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


@dataclass(frozen=True)
class LibraryInfo:
    """A library as the picker shows it: name, type and how many items."""

    name: str
    type: str
    count: int
    section_id: int
    count_label: str

    @property
    def type_label(self) -> str:
        return {"artist": "music", "movie": "movies", "show": "TV shows"}.get(self.type, self.type)

    @property
    def display(self) -> str:
        return f"{self.name} — {self.type_label}, {self.count_label}"


@dataclass
class Connection:
    """A signed-in server: the plexapi object plus how we reached it."""

    server: PlexServer
    url: str
    token: str = field(repr=False)
    name: str = ""
    kind: str = "direct"  # local | remote | relay | direct
    timeout: float = 30.0
    session: requests.Session = field(default_factory=make_session, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: The Plex user whose ratings this token reads and writes ("" for the account that
    #: signed in). Provenance and the journal are kept per server and user.
    user: str = ""
    #: The Plex Home member's name, for the header and History ("" for the account itself).
    user_title: str = ""

    @property
    def clock(self) -> ServerClock:
        """The server's clock as its answers tell it (a session made elsewhere: ours)."""
        clock = getattr(self.session, "server_clock", None)
        return clock if isinstance(clock, ServerClock) else _SAME_CLOCK

    def server_time(self, local: float) -> float:
        """``local`` (this computer's ``time.time()``) on the server's clock."""
        return self.clock.server_time(local)

    @property
    def member(self) -> bool:
        """Connected as a Plex Home member, not the owner: metadata edits are refused (403)."""
        return bool(self.user)

    @property
    def machine_id(self) -> str:
        return str(getattr(self.server, "machineIdentifier", "") or "")

    @property
    def describe(self) -> str:
        return f"{self.kind} {self.url}"

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = dict(plexapi.BASE_HEADERS)
        h["Accept"] = "application/xml"
        h["X-Plex-Token"] = self.token
        if extra:
            h.update(extra)
        return h

    def reconnect(self) -> None:
        """Drop pooled sockets after a dropped connection or a timeout."""
        with self._lock:
            adapter = HTTPAdapter(pool_connections=2, pool_maxsize=POOL_SIZE)
            old = self.session.get_adapter(self.url)
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
        try:
            old.close()
        except Exception:  # noqa: BLE001 - closing a broken pool must not fail the job
            pass

    def section(self, name: str) -> Any:
        """The plexapi section called ``name`` (PlexError with the choices if none)."""
        try:
            return self.server.library.section(name)
        except plex_exc.NotFound:
            names = ", ".join(s.title for s in self.server.library.sections())
            raise PlexError(
                f"No library called {name!r} on {self.name}. Libraries: {names}."
            ) from None


#: Tries of the sign-in request: a busy server (503) or a dropped socket is asked again.
CONNECT_TRIES = 4
CONNECT_BACKOFF = 0.5
_RETRY_CODES = ("(429)", "(500)", "(502)", "(503)", "(504)")


def _transient(exc: BaseException) -> bool:
    """Worth asking again: a dropped or refused connection, or a busy server."""
    if isinstance(exc, requests.exceptions.Timeout | requests.exceptions.SSLError):
        return False  # a timeout already waited long; a certificate will not change
    if isinstance(exc, requests.exceptions.ConnectionError):
        return True
    return isinstance(exc, plex_exc.BadRequest) and any(c in str(exc) for c in _RETRY_CODES)


def _open_server(url: str, token: str, session: requests.Session, timeout: float) -> PlexServer:
    """``GET /`` with a few quick retries; plain words for a server that is not Plex."""
    for attempt in range(CONNECT_TRIES):
        try:
            server = PlexServer(url, token, session=session, timeout=timeout)
        except ElementTree.ParseError:
            raise PlexError(_not_plex(url)) from None
        except Exception as exc:  # noqa: BLE001 - translated into one plain message
            if attempt + 1 < CONNECT_TRIES and _transient(exc):
                log.info(
                    "connect attempt %d failed (%s); trying again", attempt + 1, type(exc).__name__
                )
                time.sleep(CONNECT_BACKOFF * (2**attempt))
                continue
            raise PlexError(describe_error(exc, url)) from None
        if not getattr(server, "machineIdentifier", None):
            raise PlexError(_not_plex(url))
        return server
    raise AssertionError("unreachable")


def _not_plex(url: str) -> str:
    return (
        f"{redact(url)} answered, but this is not a Plex server (its answer is not what "
        "Plex sends). Check the address and port (Plex usually listens on 32400)."
    )


def connect_direct(url: str, token: str, *, timeout: float = 15, name: str = "") -> Connection:
    """Sign in with a server address and a token (one ``GET /``)."""
    url = (url or "").strip().rstrip("/")
    token = (token or "").strip()
    if not url:
        raise PlexError("Enter the server address, for example http://192.168.1.10:32400.")
    if not url.startswith(("http://", "https://")):
        url = "http://" + url
    if not token:
        raise PlexError("Enter the Plex token, or sign in with Plex instead.")
    add_secret(token)
    session = make_session()
    server = _open_server(url, token, session, timeout)
    return Connection(server, url, token, server.friendlyName or name, "direct", timeout, session)
