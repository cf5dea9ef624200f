"""Raw requests to a Plex server with the retry rules a long job needs.

plexapi's ``query`` turns every non-2xx answer into an exception without
the ``Retry-After`` header, and builds objects the bulk reader does not
need. The snapshot and the writer use this instead: same session, same
headers, XML parsed once, and retries that honour Retry-After on 429/503,
back off on 5xx, and reconnect after dropped connections and timeouts.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Mapping
from typing import Any, NoReturn
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

import requests
from plexapi import exceptions as plex_exc

from ratings_gui.plex.connection import Connection, PlexError, describe_error

log = logging.getLogger(__name__)

RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0
#: Seconds one request may go unanswered (its timeouts added up, retries included) before
#: the server counts as unreachable: three such writes in a row stop a run
#: (``journal.writeloop.STOP_AFTER_UNREACHABLE``), so a server that hangs stops it within a minute.
NO_ANSWER_SECONDS = 15.0


class HttpStatusError(PlexError):
    """A final non-2xx answer (after retries), with the status code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Unreachable(PlexError):
    """The server could not be reached (or only said it is unavailable) through every retry."""


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class PlexHttp:
    """Requests against one :class:`Connection`; thread-safe; counts what it sent."""

    def __init__(
        self,
        conn: Connection,
        *,
        retries: int = 6,
        timeout: float | None = None,
        backoff: float = 0.4,
        cancel: threading.Event | None = None,
    ) -> None:
        self.conn = conn
        self.retries = retries
        self.timeout = timeout if timeout is not None else conn.timeout
        self.backoff = backoff
        self.cancel = cancel
        self._lock = threading.Lock()
        self.sent = 0
        self.retried = 0
        self._rng = random.Random()

    def _count(self, retried: bool) -> None:
        with self._lock:
            self.sent += 1
            if retried:
                self.retried += 1

    def _sleep(self, seconds: float) -> None:
        if self.cancel is not None:
            self.cancel.wait(seconds)
        else:
            time.sleep(seconds)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> requests.Response:
        """Send one request, retrying transient failures; raise PlexError when it gives up.

        ``retries=0`` sends once: for a request that must not be repeated blindly.
        """
        url = self.conn.url + path
        last: BaseException | str | None = None
        unanswered = 0.0
        for attempt in range((self.retries if retries is None else retries) + 1):
            if attempt and self.cancel is not None and self.cancel.is_set():
                break
            if unanswered >= NO_ANSWER_SECONDS:
                break
            self._count(attempt > 0)
            started = time.monotonic()
            try:
                resp = self.conn.session.request(
                    method,
                    url,
                    params=params,
                    headers=self.conn.headers(dict(headers or {})),
                    timeout=min(timeout or self.timeout, max(1.0, NO_ANSWER_SECONDS - unanswered)),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                # Dropped socket or no answer: start over on fresh connections.
                last = exc
                if isinstance(exc, requests.Timeout):
                    unanswered += time.monotonic() - started
                self.conn.reconnect()
                if retries != 0:
                    self._sleep(self._delay(attempt, None))
                continue
            if resp.status_code in (200, 201, 204):
                return resp
            if resp.status_code == 401:
                raise HttpStatusError(
                    401, describe_error(plex_exc.Unauthorized("(401)"), self.conn.url)
                )
            if resp.status_code in RETRY_STATUS:
                last = f"({resp.status_code})"
                wait = retry_after_seconds(resp.headers.get("Retry-After"))
                if retries != 0:
                    self._sleep(self._delay(attempt, wait))
                continue
            raise HttpStatusError(
                resp.status_code,
                f"The Plex server answered {resp.status_code} to {method} {path.split('?')[0]}.",
            )
        self._give_up(last)

    def _give_up(self, last: BaseException | str | None) -> NoReturn:
        """The retries are spent: unreachable (no answer, or a gateway's 502-504) or the
        last status the server gave."""
        if isinstance(last, BaseException):
            raise Unreachable(describe_error(last, self.conn.url))
        code = int(str(last).strip("()")) if last else 0
        if code in (502, 503, 504):
            raise Unreachable(describe_error(PlexError(f"({code})"), self.conn.url))
        raise HttpStatusError(code, describe_error(PlexError(f"({code})"), self.conn.url))

    def pause(self, attempt: int) -> None:
        """Wait the backoff of retry ``attempt`` (cut short by cancel)."""
        self._sleep(self._delay(attempt, None))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        base = min(8.0, self.backoff * (2**attempt))
        return base * (0.5 + self._rng.random() / 2)

    def get_xml(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        start: int | None = None,
        size: int | None = None,
        timeout: float | None = None,
    ) -> ElementTree.Element:
        """GET and parse XML; ``start``/``size`` go in Plex's paging headers."""
        headers: dict[str, str] = {}
        if start is not None:
            headers["X-Plex-Container-Start"] = str(start)
        if size is not None:
            headers["X-Plex-Container-Size"] = str(size)
        resp = self.request("GET", path, params=params, headers=headers, timeout=timeout)
        try:
            return ElementTree.fromstring(resp.content)
        except ElementTree.ParseError as exc:
            raise PlexError(f"The Plex server sent an unreadable answer to {path}: {exc}") from None

    def total(self, section_id: int, type_id: int | None) -> int | None:
        """How many items of a type a section holds (a size-0 listing, read totalSize).

        None when the server's count is missing or not a count (e.g. "-7").
        """
        params: dict[str, Any] = {}
        if type_id is not None:
            params["type"] = type_id
        root = self.get_xml(f"/library/sections/{section_id}/all", params=params, start=0, size=0)
        return container_total(root)


def container_total(root: Element | Mapping[str, str]) -> int | None:
    """A listing's totalSize (else size); None when missing or not a count (e.g. "-7")."""
    for name in ("totalSize", "size"):
        value = root.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return None
