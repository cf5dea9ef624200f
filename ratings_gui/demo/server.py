"""A local Plex-compatible HTTP server over a :class:`DemoLibrary`, for ``--demo`` and the tests.

It answers the Plex Media Server requests plexapi makes (library listings
with paging and filters, metadata by key lists, ``/:/rate``, multi-edits,
scrobbles) and the plex.tv ones used to sign in (PIN, user, resources),
counts every request by endpoint pattern, and can inject faults (latency,
503/500/429, dropped connections, timeouts, 401) to test the client's
resilience. Standard library only.

Pointing unmodified plexapi at it::

    srv = DemoServer(DemoLibrary.generate(seed=1), token="demo-token")
    url = srv.start()
    plex = PlexServer(url, srv.token)                      # PMS part

    from plexapi.myplex import MyPlexAccount, MyPlexPinLogin, MyPlexResource
    MyPlexPinLogin.PINS = url + "/api/v2/pins"              # PIN create; poll is PINS + "/{id}"
    MyPlexAccount.key = url + "/api/v2/user"
    MyPlexResource.key = url + "/api/v2/resources?includeHttps=1&includeRelay=1&includeIPv6=1"

    # Plex Home (MyPlexAccount.users() and switchHomeUser())
    from plexapi.myplex import MyPlexUser
    MyPlexAccount.HOMEUSERS = url + "/api/home/users"       # switch = HOMEUSERS + "/{id}/switch"
    MyPlexUser.key = url + "/api/users/"                    # what users() reads

(plexapi 4.18 has no separate ``CHECKPINS`` attribute: the poll URL is built
from ``PINS``.) Restore the class attributes afterwards (pytest
``monkeypatch.setattr`` does). The auth page a browser would show is
``url + "/auth#?code=CODE"`` (or ``?code=CODE``); its Approve button, like
:meth:`DemoServer.approve_pin`, releases the account token to the PIN.

Plex Home (see :mod:`ratings_gui.demo.home`): the owner and three members,
"Alex" (protected, PIN :data:`~ratings_gui.demo.home.DEMO_PIN` "1234"), "Sam"
(managed, no PIN) and "Jo" (no PIN), each with ratings and plays of their own.
plex.tv routes, answered for the owner's or a member's account token:

* ``GET /api/v2/user``: the token's account (a member: ``home=1 homeAdmin=0``).
* ``GET /api/v2/resources``: a member sees only this server, not owned, with
  their own ``accessToken`` (``DemoServer.member_token(name)``).
* ``GET /api/users/``: everyone but the caller; Home members have ``home="1"``,
  the owner's friend ``home="0"``.
* ``GET /api/home/users`` (v1, XML ``<User id uuid title username admin
  restricted protected …>``) and ``GET /api/v2/home/users`` (JSON
  ``{"users": [...]}`` when ``Accept: application/json``, else XML).
* ``POST /api/home/users/{id}/switch?pin=`` (v1: 201, ``<user
  authenticationToken=…>``) and ``POST /api/v2/home/users/{uuid}/switch?pin=``
  (v2: 201, JSON or XML ``authToken``): the target's plex.tv account token.
  A protected target without the right PIN: 403 with error code 1041 (JSON
  ``{"errors": [{"code": 1041, …}]}`` or XML ``<errors><error code="1041"/>``).
  The admin may switch without a PIN (``DemoServer.admin_needs_pin`` = True
  makes them need it); a wrong PIN always fails.

On the PMS routes the token decides whose values are read and written:
a member's server token gets that member's ``userRating``, ``lastRatedAt``,
``viewCount``/``lastViewedAt``/``skipCount`` in listings, metadata and
``viewedLeafCount``, in ``userRating``/``lastRatedAt``/``viewCount`` filters
and sorts, and ``/:/rate``, ``/:/scrobble`` and ``/:/unscrobble`` change only
theirs. Only the owner edits: with a member's token ``PUT
/library/sections/{id}/all`` (multi-edits, mood tags), ``PUT
/library/metadata/{keys}`` and refresh/analyze/emptyTrash answer 403. A
member's plex.tv account token is not a server token (401 there), and a
server token is not a plex.tv token. The friend's ``shared_token`` reads and
writes the owner's values, as before.
"""

from __future__ import annotations

import json
import logging
import random
import re
import secrets
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from ratings_gui.demo import home, query, xmlgen
from ratings_gui.demo.audio import write_library_media
from ratings_gui.demo.exports import write_exports
from ratings_gui.demo.home import HomeUser
from ratings_gui.demo.library import TYPE_NAMES, DemoItem, DemoLibrary, UserState
from ratings_gui.demo.xmlgen import attrs, container, error, q

log = logging.getLogger(__name__)

IDENTIFIER = "com.plexapp.plugins.library"
VERSION = "1.41.0.0000-demo"
PRIMARY = {"artist": "artist", "movie": "movie", "show": "show"}
_NUM_RE = re.compile(r"^\d+$")
_KEYS_RE = re.compile(r"^\d+(,\d+)*$")
_HOME_SWITCH_RE = re.compile(r"^/api/(v2/)?home/users/([^/]+)/switch$")
#: plex.tv paths (never fault-injected, plex.tv tokens); everything else is the PMS part.
_PLEXTV_PREFIXES = ("/api/v2", "/auth", "/api/home", "/api/users")


@dataclass(frozen=True)
class Faults:
    """Fault injection for Plex Media Server endpoints (never the plex.tv ones).

    ``fail_rate`` is the share of requests that fail, drawn from a RNG seeded
    with ``seed`` so a test run is repeatable; each failure picks one of
    ``kinds``: "503"/"429" (with Retry-After), "500", "drop" (connection
    closed without an answer) or "timeout" (held ``timeout_delay`` seconds,
    then closed). A failed request is never applied, except "applied-500":
    the request is carried out and then answered 500. ``only_paths`` limits
    all of it to paths starting with one of the given prefixes.
    """

    latency_ms: int = 0
    fail_rate: float = 0.0
    kinds: tuple[str, ...] = ("503", "drop", "timeout")
    retry_after: int = 1
    timeout_delay: float = 2.0
    unauthorized: bool = False
    only_paths: tuple[str, ...] | None = None
    seed: int = 0
    #: Items whose edits and rates are answered 200 but not kept (a write that
    #: "does not stick"): what a client's after-write check must catch.
    ignore_writes: frozenset[int] = frozenset()
    #: The first this many requests fail (kinds taken in turn), then ``fail_rate`` applies.
    fail_first: int = 0
    #: Malformed server data: (old, new) byte replacements in every answer's body.
    replace: tuple[tuple[bytes, bytes], ...] = ()
    #: Served at ``/`` instead of the server's MediaContainer (e.g. an HTML page).
    root_body: bytes | None = None
    #: A grouped edit that clears ratings (``userRating.value=-1`` or empty) is answered
    #: 200 and leaves every rating as it was: a server whose edit path cannot clear
    #: (real Plex's behaviour is unverified), for the writer's probe to catch.
    grouped_clear_ignored: bool = False
    #: Such a grouped clear stores 0 instead of clearing (another way it may not clear).
    grouped_clear_zero: bool = False


@dataclass
class _Pin:
    id: int
    code: str
    client_id: str
    created_at: int
    approved: bool = False


def _grouped_clear_fault(edits: dict[str, str], faults: Faults) -> dict[str, str]:
    """A multi-edit's fields after the grouped-clear faults (the demo clears by default)."""
    if edits.get("userRating.value") not in ("", "-1"):
        return edits
    if faults.grouped_clear_ignored:
        return {k: v for k, v in edits.items() if not k.startswith("userRating.")}
    if faults.grouped_clear_zero:
        return {**edits, "userRating.value": "0"}
    return edits


def endpoint_pattern(method: str, path: str) -> str:
    """``GET /library/metadata/1,2,3`` -> ``GET /library/metadata/{keys}``: what srv.counts uses."""
    segs = path.split("/")
    out = []
    for i, seg in enumerate(segs):
        if (
            i == 3
            and segs[1:3] == ["library", "metadata"]
            and i == len(segs) - 1
            and _KEYS_RE.match(seg)
        ):
            out.append("{keys}")
        elif _NUM_RE.match(seg):
            out.append("{id}")
        elif "," in seg and _KEYS_RE.match(seg):
            out.append("{keys}")
        else:
            out.append(seg)
    return f"{method} {'/'.join(out) or '/'}"


class _Drop(Exception):
    """Close the connection without answering (fault injection)."""


class _PinRequired(Exception):
    """A switch to a protected Home member without the right PIN (plex.tv: 403, code 1041)."""


class DemoServer:
    """Serve a DemoLibrary over HTTP on 127.0.0.1 (see the module docstring)."""

    #: The server's friendly name (a second server in a test may take another).
    name = "Demo Server"
    #: plex.tv lets the Home's admin switch to a protected member without the PIN
    #: (a PIN that is given must still be right); True makes the admin need it too.
    admin_needs_pin = False

    def __init__(
        self, lib: DemoLibrary, token: str = "demo-token", media_dir: Path | None = None
    ) -> None:
        self.lib = lib
        self.token = token
        self.shared_token = token + "-shared"
        self.machine_id = uuid.uuid5(uuid.NAMESPACE_URL, f"ratings-gui-demo/{lib.seed}").hex
        self.friend_machine_id = uuid.uuid5(
            uuid.NAMESPACE_URL, f"ratings-gui-demo-friend/{lib.seed}"
        ).hex
        self.media_dir = Path(media_dir) if media_dir is not None else None
        self.counts: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()  # fault kind -> times injected
        self.url = ""
        self.port = 0
        self._lock = threading.Lock()
        self._faults = Faults()
        self._rng = random.Random(0)
        self._failed_first = 0
        self._pins: dict[int, _Pin] = {}
        self._next_pin = 1000
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._home = home.home_users(lib.seed, token)
        self._by_account = {u.account_token: u for u in self._home}
        self._by_server_token = {u.server_token: u for u in self._home if u.member is not None}
        with lib.lock:  # a second server on the same library keeps what members did
            if lib.member_factory is None:
                lib.member_factory = home.member_factory(lib)
        if self.media_dir is not None:
            write_library_media(lib, self.media_dir)

    # ----------------------------------------------------------------- lifecycle
    def start(self, port: int = 0) -> str:
        """Bind 127.0.0.1 (a free port unless given) and serve on a daemon thread."""
        handler = type("DemoHandler", (_Handler,), {"demo": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="demo-plex", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __enter__(self) -> DemoServer:
        if not self.url:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- counters / faults
    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        with self._lock:
            self._faults = value
            self._rng = random.Random(value.seed)
            self._failed_first = 0

    def total_requests(self, prefix: str = "") -> int:
        """Requests whose pattern starts with prefix (e.g. "GET /library", "PUT")."""
        with self._lock:
            return sum(n for k, n in self.counts.items() if k.startswith(prefix))

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.injected.clear()

    def _count(self, pattern: str) -> None:
        with self._lock:
            self.counts[pattern] += 1

    def _pick_fault(self, path: str) -> tuple[Faults, str | None]:
        with self._lock:
            f = self._faults
            if f.only_paths is not None and not any(path.startswith(p) for p in f.only_paths):
                return f, None
            if self._failed_first < f.fail_first and f.kinds:
                kind = f.kinds[self._failed_first % len(f.kinds)]
                self._failed_first += 1
                self.injected[kind] += 1
                return f, kind
            if f.fail_rate > 0 and f.kinds and self._rng.random() < f.fail_rate:
                kind = self._rng.choice(f.kinds)
                self.injected[kind] += 1
                return f, kind
            return f, None

    # ----------------------------------------------------------------- plex.tv part
    def create_pin(self, strong: bool, client_id: str = "") -> _Pin:
        with self._lock:
            self._next_pin += 1
            alphabet = (
                "abcdefghijklmnopqrstuvwxyz0123456789"
                if strong
                else "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
            )
            code = "".join(secrets.choice(alphabet) for _ in range(25 if strong else 4))
            pin = _Pin(self._next_pin, code, client_id, int(time.time()))
            self._pins[pin.id] = pin
            return pin

    def approve_pin(self, pin_id_or_code: int | str) -> None:
        """What the user does on the auth page: the PIN then carries the account token."""
        with self._lock:
            for pin in self._pins.values():
                if str(pin.id) == str(pin_id_or_code) or pin.code == str(pin_id_or_code):
                    pin.approved = True
                    return
        raise KeyError(f"no such PIN: {pin_id_or_code}")

    def _pin(self, pin_id: int) -> _Pin | None:
        with self._lock:
            return self._pins.get(pin_id)

    # ----------------------------------------------------------------- Plex Home
    def home_users(self) -> list[HomeUser]:
        """The owner and the members of the demo's Plex Home, as plex.tv lists them."""
        return list(self._home)

    def home_user(self, name: str | int) -> HomeUser:
        """A Home user by title, username, id or uuid (KeyError if none)."""
        return home.find_user(self._home, name)

    def member_token(self, name: str | int) -> str:
        """The user's own server ``accessToken`` (the owner's is :attr:`token`)."""
        return self.home_user(name).server_token

    def account_token(self, name: str | int) -> str:
        """The user's plex.tv token: what switching to them returns."""
        return self.home_user(name).account_token

    def ratings_of(self, name: str | int | None = None) -> dict[int, float]:
        """ratingKey -> rating of every item the user rated (None: the owner)."""
        user = None if name is None else self.home_user(name)
        with self.lib.lock:
            if user is None or user.member is None:
                return {
                    k: it.user_rating
                    for k, it in self.lib.items.items()
                    if it.user_rating is not None
                }
            states = self.lib.states_of(user.id) or {}
            return {k: st.user_rating for k, st in states.items() if st.user_rating is not None}

    def switch_home_user(self, caller: HomeUser, target: HomeUser, pin: str | None) -> HomeUser:
        """plex.tv's rule: a protected member needs their PIN, except that the admin may
        switch without one (unless :attr:`admin_needs_pin`); a wrong PIN never works."""
        if target.protected:
            if pin:
                if pin != target.pin:
                    raise _PinRequired
            elif not caller.admin or self.admin_needs_pin:
                raise _PinRequired
        return target

    def _pms_user(self, token: str | None) -> HomeUser | None | bool:
        """Whose values a PMS request reads: None = the owner's; False = not a server token."""
        if token in (self.token, self.shared_token):
            return None
        return self._by_server_token.get(token or "", False)

    def write_exports(self, folder: Path) -> dict[str, Path]:
        """Sample IMDb and Letterboxd exports for this library (see demo.exports)."""

        return write_exports(self.lib, Path(folder))


class _LibraryRoutes:
    """The media server's library side of :class:`_Handler`: sections, listings, metadata."""

    demo: DemoServer
    _member: HomeUser | None

    def _root(self) -> bytes:
        demo = self.demo
        return container(
            "",
            size=0,
            allowCameraUpload=0,
            allowChannelAccess=1,
            allowMediaDeletion=1,
            allowSharing=1,
            allowSync=1,
            backgroundProcessing=1,
            certificate=0,
            companionProxy=1,
            eventStream=1,
            friendlyName=demo.name,
            hubSearch=1,
            machineIdentifier=demo.machine_id,
            multiuser=1,
            myPlex=1,
            myPlexMappingState="mapped",
            myPlexSigninState="ok",
            myPlexSubscription=1,
            myPlexUsername="demo@example.invalid",
            platform="Linux",
            platformVersion="demo",
            pluginHost=1,
            readOnlyLibraries=0,
            requestParametersInCookie=1,
            sync=1,
            transcoderActiveVideoSessions=0,
            transcoderAudio=1,
            transcoderVideo=1,
            updatedAt=demo.lib.now(),
            updater=0,
            version=VERSION,
            voiceSearch=1,
        )

    def _paging(self, args: dict[str, str]) -> tuple[int, int | None]:
        start = (
            self.headers.get("X-Plex-Container-Start") or args.get("X-Plex-Container-Start") or "0"
        )
        size = self.headers.get("X-Plex-Container-Size") or args.get("X-Plex-Container-Size")
        return int(start), (int(size) if size not in (None, "") else None)

    def _section_route(
        self, method: str, segs: list[str], args: dict[str, str], params: list[tuple[str, str]]
    ) -> None:
        lib = self.demo.lib
        section = lib.section(int(segs[2]))
        if section is None:
            raise KeyError(f"section {segs[2]}")
        rest = segs[3:]
        type_num = args.get("type")
        kind = TYPE_NAMES[int(type_num)] if type_num else PRIMARY[section.type]
        if kind not in query.SECTION_KINDS[section.type]:
            raise ValueError(f"type {type_num} not in section {section.id}")
        if rest == ["all"] and method == "GET":
            self._listing(section.id, section.type, section.title, kind, args, params)
        elif rest == ["all"] and method == "PUT":
            if self._owner_only():
                return
            ids_raw = args.get("id")
            ids = [int(x) for x in ids_raw.split(",") if x] if ids_raw is not None else None
            edits = {k: v for k, v in args.items() if k not in ("type", "id", "X-Plex-Token")}
            if ids is None:
                log.warning(
                    "PUT /library/sections/%s/all without id=: editing every %s", section.id, kind
                )
            edits = _grouped_clear_fault(edits, self.demo.faults)
            ignored = self.demo.faults.ignore_writes
            if ids is not None and ignored:
                ids = [k for k in ids if k not in ignored]
            if ids is None or ids:
                lib.edit(section.id, kind, ids, edits)
            self._send(200)
        elif rest == ["albums"] and method == "GET":
            self._listing(section.id, section.type, section.title, "album", args, params)
        elif rest == ["collections"] and method == "GET":
            meta = query.collections_meta(section.id) if args.get("includeMeta") == "1" else ""
            self._send(
                200,
                container(
                    meta,
                    size=0,
                    totalSize=0,
                    offset=0,
                    librarySectionID=section.id,
                    librarySectionTitle=section.title,
                ),
            )
        elif len(rest) == 1 and rest[0] in ("mood", "genre", "label") and method == "GET":
            choices = query.filter_choices(lib, section.id, kind, rest[0])
            body = "".join(
                "<Directory"
                + attrs(
                    fastKey=f"/library/sections/{section.id}/all?{rest[0]}={c}",
                    key=c,
                    title=c,
                    type=rest[0],
                )
                + "/>"
                for c in choices
            )
            self._send(200, container(body, size=len(choices)))
        elif rest in (["refresh"], ["analyze"], ["emptyTrash"]):
            if not self._owner_only():
                self._send(200)
        elif not rest and method == "GET":
            body = '<Directory key="all" title="All"/><Directory key="albums" title="By Album"/>'
            self._send(
                200, container(body, size=2, librarySectionID=section.id, title1=section.title)
            )
        else:
            raise KeyError("/".join(segs))

    def _listing(
        self,
        section_id: int,
        section_type: str,
        section_title: str,
        kind: str,
        args: dict[str, str],
        params: list[tuple[str, str]],
    ) -> None:
        lib = self.demo.lib
        start, size = self._paging(args)
        with lib.lock:
            items = [lib.items[k] for k in lib.keys_of(section_id, kind)]
            preds = query.build_filters(lib, kind, params, self._states)
            for pred in preds:
                items = [i for i in items if pred(i)]
            if args.get("sort"):
                items = query.sort_items(lib, kind, items, args["sort"], self._states)
            if args.get("limit"):
                items = items[: int(args["limit"])]
            total = len(items)
            page = items[start:] if size is None else items[start : start + size]
            body = xmlgen.items_xml(
                lib,
                page,
                guids=args.get("includeGuids") == "1",
                full=False,
                states=self._states,
            )
            meta = (
                query.meta_block(lib, section_id, section_type, kind)
                if args.get("includeMeta") == "1"
                else ""
            )
        self._send(
            200,
            container(
                meta + body,
                size=len(page),
                totalSize=total,
                offset=start,
                allowSync=1,
                identifier=IDENTIFIER,
                librarySectionID=section_id,
                librarySectionTitle=section_title,
                librarySectionUUID=lib.section(section_id).uuid,  # type: ignore[union-attr]
                mediaTagPrefix="/system/bundle/media/flags/",
                mediaTagVersion=1_700_000_000,
                title1=section_title,
                title2=f"All {query.TYPE_TITLES[kind]}",
                viewGroup=kind,
            ),
        )

    def _metadata_route(
        self, method: str, segs: list[str], args: dict[str, str], params: list[tuple[str, str]]
    ) -> None:
        lib = self.demo.lib
        if not _KEYS_RE.match(segs[2]):
            raise KeyError(segs[2])
        keys = [int(k) for k in segs[2].split(",")]
        rest = segs[3:]
        with lib.lock:
            found = [lib.items[k] for k in keys if k in lib.items]
            if not found:
                raise KeyError(segs[2])
            if method == "GET" and not rest:
                items: list[DemoItem] = found
                full = True
                parent = None
            elif method == "GET" and rest in (["children"], ["allLeaves"]) and len(found) == 1:
                parent = found[0]
                if rest == ["children"]:
                    items = [lib.items[k] for k in parent.children]
                else:
                    items = lib.leaves(parent.key) if not parent.is_leaf else []
                full = False
            elif method == "PUT" and not rest:
                if self._owner_only():
                    return
                edits = {k: v for k, v in args.items() if k not in ("type", "id", "X-Plex-Token")}
                first = found[0]
                lib.edit(first.section_id, first.kind, [i.key for i in found], edits)
                self._send(200)
                return
            else:
                raise KeyError("/".join(segs))
            start, size = self._paging(args)
            total = len(items)
            page = items[start:] if size is None else items[start : start + size]
            body = xmlgen.items_xml(lib, page, guids=True, full=full, states=self._states)
            section = lib.section(found[0].section_id)
            extra: dict[str, object] = {}
            if parent is not None:
                extra = {
                    "key": parent.key,
                    "parentTitle": parent.title,
                    "title1": parent.title,
                    "viewGroup": items[0].kind if items else None,
                }
        self._send(
            200,
            container(
                body,
                size=len(page),
                totalSize=total,
                offset=start,
                allowSync=1,
                identifier=IDENTIFIER,
                librarySectionID=section.id if section else None,
                librarySectionTitle=section.title if section else None,
                librarySectionUUID=section.uuid if section else None,
                mediaTagPrefix="/system/bundle/media/flags/",
                mediaTagVersion=1_700_000_000,
                **extra,
            ),
        )


class _PlexTvRoutes:
    """The plex.tv side of :class:`_Handler`: PINs, the account, Home users, resources."""

    demo: DemoServer

    def _plextv(self, method: str, path: str, args: dict[str, str]) -> None:
        demo = self.demo
        token = self.headers.get("X-Plex-Token") or args.get("X-Plex-Token")
        if path == "/api/v2/pins" and method == "POST":
            strong = args.get("strong", "").lower() in ("1", "true")
            pin = demo.create_pin(strong, self.headers.get("X-Plex-Client-Identifier") or "")
            self._send(201, self._pin_xml(pin))
        elif path.startswith("/api/v2/pins/") and method == "GET":
            pin = demo._pin(int(path.rsplit("/", 1)[1]))
            if pin is None:
                self._send(404, error(404, "Not Found"))
            else:
                self._send(200, self._pin_xml(pin))
        elif path in ("/api/v2/user", "/api/v2/resources", "/api/v2/ping") or (
            path.startswith(("/api/home", "/api/v2/home", "/api/users"))
        ):
            account = None if demo.faults.unauthorized else demo._by_account.get(token or "")
            if account is None:
                self._send(401, error(401, "Invalid token"))
            elif path == "/api/v2/user":
                self._send(200, self._user_xml(account))
            elif path == "/api/v2/ping":
                self._send(200, (xmlgen.XML_HEADER + "<pong/>").encode())
            elif path == "/api/v2/resources":
                self._send(200, self._resources_xml(account))
            else:
                self._home_route(method, path, args, account)
        elif path == "/auth" and method == "GET":
            self._send(
                200, _auth_page(args.get("code", "")).encode(), ctype="text/html;charset=utf-8"
            )
        elif path == "/auth/approve" and method == "POST":
            code = args.get("code", "")
            try:
                demo.approve_pin(code)
            except KeyError:
                self._send(
                    404, b"<html><body><p>Unknown code.</p></body></html>", ctype="text/html"
                )
                return
            page = "<html><body><h1>Signed in</h1><p>You can close this window.</p></body></html>"
            self._send(200, page.encode(), ctype="text/html;charset=utf-8")
        else:
            self._send(404, error(404, "Not Found"))

    def _pin_xml(self, pin: _Pin) -> bytes:
        token = self.demo.token if pin.approved else None
        return (
            xmlgen.XML_HEADER
            + "<pin"
            + attrs(
                id=pin.id,
                code=pin.code,
                product="Plex Web",
                trusted=0,
                qr=f"https://plex.tv/api/v2/pins/qr/{pin.code}",
                clientIdentifier=pin.client_id,
                expiresIn=1800 - (int(time.time()) - pin.created_at),
                createdAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(pin.created_at)),
                expiresAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(pin.created_at + 1800)),
                authToken=token,
                newRegistration=None,
            )
            + "/>\n"
        ).encode()

    # -- Plex Home (plex.tv)
    def _wants_json(self) -> bool:
        return "application/json" in (self.headers.get("Accept") or "")

    def _home_route(self, method: str, path: str, args: dict[str, str], account: HomeUser) -> None:
        """Members and switching: v1 (XML, by id) and v2 (JSON or XML, by uuid)."""
        demo = self.demo
        switch = _HOME_SWITCH_RE.match(path)
        if path == "/api/users" and method == "GET":
            self._send(200, self._users_xml(account))
        elif path == "/api/home/users" and method == "GET":
            body = "".join("<User" + attrs(**_home_user_attrs(u)) + "/>" for u in demo._home)
            self._send(200, self._myplex_container(body, len(demo._home)))
        elif path == "/api/v2/home/users" and method == "GET":
            users = [_home_user_attrs(u) for u in demo._home]
            head = {
                "id": 90_000 + demo.lib.seed,
                "name": f"{home.OWNER_TITLE}'s Home",
                "guestUserID": None,
                "guestUserUUID": None,
                "guestEnabled": False,
                "subscription": True,
            }
            if self._wants_json():
                for u in users:
                    for k in ("admin", "guest", "restricted", "protected", "hasPassword"):
                        u[k] = bool(u[k])
                body = json.dumps({**head, "users": users}).encode()
                self._send(200, body, ctype="application/json; charset=utf-8")
            else:
                inner = "".join("<user" + attrs(**u) + "/>" for u in users)
                self._send(
                    200,
                    (
                        xmlgen.XML_HEADER
                        + "<home"
                        + attrs(
                            **{
                                k: int(v) if isinstance(v, bool) else v
                                for k, v in head.items()
                                if v is not None
                            }
                        )
                        + f'><users size="{len(users)}">{inner}</users></home>\n'
                    ).encode(),
                )
        elif switch and method == "POST":
            v2, ref = bool(switch.group(1)), switch.group(2)
            try:
                target = next(u for u in demo._home if ref == (u.uuid if v2 else str(u.id)))
            except StopIteration:
                self._send(404, error(404, "Not Found"))
                return
            try:
                demo.switch_home_user(account, target, args.get("pin") or None)
            except _PinRequired:
                self._pin_error(v2)
                return
            if v2 and self._wants_json():
                info = {**_home_user_attrs(target), "authToken": target.account_token}
                self._send(201, json.dumps(info).encode(), ctype="application/json; charset=utf-8")
            else:
                extra = {"authToken": target.account_token}
                if not v2:
                    extra["authenticationToken"] = target.account_token
                body = "<user" + attrs(**_home_user_attrs(target), **extra) + "/>\n"
                self._send(201, (xmlgen.XML_HEADER + body).encode())
        else:
            self._send(404, error(404, "Not Found"))

    def _pin_error(self, v2: bool) -> None:
        err = {"code": home.PIN_ERROR_CODE, "message": home.PIN_ERROR_MESSAGE, "status": 403}
        if v2 and self._wants_json():
            self._send(403, json.dumps({"errors": [err]}).encode(), ctype="application/json")
        else:
            body = xmlgen.XML_HEADER + "<errors><error" + attrs(**err) + "/></errors>\n"
            self._send(403, body.encode())

    def _myplex_container(self, body: str, size: int) -> bytes:
        return container(
            body,
            friendlyName="myPlex",
            identifier="com.plexapp.plugins.myplex",
            machineIdentifier=self.demo.machine_id,
            totalSize=size,
            size=size,
        )

    def _users_xml(self, account: HomeUser) -> bytes:
        """``/api/users``: everyone but the caller: Home users (home=1) and the friend."""
        demo = self.demo
        server = (
            "<Server"
            + attrs(
                id=5_000 + demo.lib.seed,
                serverId=6_000 + demo.lib.seed,
                machineIdentifier=demo.machine_id,
                name=demo.name,
                lastSeenAt=int(time.time()),
                numLibraries=len(demo.lib.sections),
                allLibraries=1,
                owned=1,
                pending=0,
            )
            + "/>"
        )
        parts = []
        for u in demo._home:
            if u.id == account.id:
                continue
            parts.append(
                "<User"
                + attrs(
                    id=u.id,
                    title=u.title,
                    thumb=f"https://plex.tv/users/{u.uuid}/avatar",
                    protected=int(u.protected),
                    home=1,
                    allowTuners=0,
                    allowSync=1,
                    allowCameraUpload=0,
                    allowChannels=1,
                    allowSubtitleAdmin=0,
                    filterAll="",
                    filterMovies="",
                    filterMusic="",
                    filterPhotos="",
                    filterTelevision="",
                    restricted=int(u.restricted),
                    username=u.username,
                    email=_email(u),
                    recommendationsPlaylistId="",
                )
                + ">"
                + (server if u.member is not None else "")
                + "</User>"
            )
        if account.member is None:  # the friend who shares "Friend's Server" with the owner
            parts.append(
                "<User"
                + attrs(
                    id=2,
                    title="friend",
                    thumb="https://plex.tv/users/friend/avatar",
                    protected=0,
                    home=0,
                    allowTuners=0,
                    allowSync=0,
                    allowCameraUpload=0,
                    allowChannels=0,
                    allowSubtitleAdmin=0,
                    restricted=0,
                    username="friend",
                    email="friend@example.invalid",
                    recommendationsPlaylistId="",
                )
                + "/>"
            )
        return self._myplex_container("".join(parts), len(parts))

    def _user_xml(self, account: HomeUser) -> bytes:
        """``/api/v2/user``: the account the token belongs to (the owner or a member)."""
        member = account.member
        return (
            xmlgen.XML_HEADER
            + "<user"
            + attrs(
                id=account.id,
                uuid=account.uuid,
                username=account.username,
                title=account.title,
                email=_email(account),
                friendlyName=account.title,
                locale="en",
                confirmed=1,
                joinedAt=1_600_000_000,
                emailOnlyAuth=0,
                hasPassword=int(member is None or not member.restricted),
                protected=int(account.protected),
                thumb=f"https://plex.tv/users/{account.username or account.uuid}/avatar",
                authToken=account.account_token,
                mailingListStatus="unsubscribed",
                mailingListActive=0,
                scrobbleTypes="1,2,4,10",
                country="US",
                subscriptionDescription="Demo Pass",
                restricted=int(account.restricted),
                anonymous="",
                home=1,
                guest=0,
                homeSize=len(self.demo._home),
                homeAdmin=int(account.admin),
                maxHomeSize=15,
                rememberExpiresAt=int(time.time()) + 86400 * 365,
                twoFactorEnabled=0,
                backupCodesCreated=0,
                experimentalFeatures=0,
            )
            + ">"
            + '<subscription active="1" subscribedAt="" status="Active" paymentService="" plan="lifetime">'
            + '<features><feature id="music-analysis"/></features></subscription>'
            + '<profile autoSelectAudio="1" defaultAudioLanguage="en" defaultSubtitleLanguage="en"'
            + ' autoSelectSubtitle="0" defaultSubtitleAccessibility="0" defaultSubtitleForces="0"/>'
            + "<entitlements/><roles/><services/></user>\n"
        ).encode()

    def _resources_xml(self, account: HomeUser) -> bytes:
        """The owner: their server and the friend's; a member: the Home's server with the
        member's own accessToken (not owned: plexapi then tries only the non-local
        connections, so the demo's address is listed as remote too)."""
        demo = self.demo
        port = demo.port

        def conn(uri: str, address: str, port_: int, local: int, relay: int) -> str:
            return (
                "<connection"
                + attrs(
                    protocol="http",
                    address=address,
                    port=port_,
                    uri=uri,
                    local=local,
                    relay=relay,
                    IPv6=0,
                )
                + "/>"
            )

        def resource(
            name: str,
            token: str,
            client_id: str,
            owned: int,
            source: str | None,
            conns: str,
            home_: int = 0,
            owner_id: int = 2,
        ) -> str:
            return (
                "<resource"
                + attrs(
                    name=name,
                    product="Plex Media Server",
                    productVersion=VERSION,
                    platform="Linux",
                    platformVersion="demo",
                    device="PC",
                    clientIdentifier=client_id,
                    createdAt="2023-01-01T00:00:00Z",
                    lastSeenAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    provides="server",
                    ownerId=None if owned else owner_id,
                    sourceTitle=source,
                    publicAddress="127.0.0.1",
                    accessToken=token,
                    owned=owned,
                    home=home_,
                    synced=0,
                    relay=1,
                    presence=1,
                    httpsRequired=0,
                    publicAddressMatches=1,
                    dnsRebindingProtection=0,
                    natLoopbackSupported=0,
                )
                + f"><connections>{conns}</connections></resource>"
            )

        if account.member is not None:
            mine = resource(
                demo.name,
                account.server_token,
                demo.machine_id,
                0,
                home.OWNER_USERNAME,
                conn(demo.url, "127.0.0.1", port, 1, 0)
                + conn(demo.url, "127.0.0.1", port, 0, 0)
                + conn("http://127.0.0.1:10", "127.0.0.1", 10, 0, 1),
                home_=1,
                owner_id=home.OWNER_ID,
            )
            return (xmlgen.XML_HEADER + f'<resources size="1">{mine}</resources>\n').encode()
        own = resource(
            demo.name,
            demo.token,
            demo.machine_id,
            1,
            None,
            conn(demo.url, "127.0.0.1", port, 1, 0)
            + conn("http://127.0.0.1:9", "127.0.0.1", 9, 0, 0)
            + conn("http://127.0.0.1:10", "127.0.0.1", 10, 0, 1),
        )
        friend = resource(
            "Friend's Server",
            demo.shared_token,
            demo.friend_machine_id,
            0,
            "friend",
            conn(demo.url, "127.0.0.1", port, 0, 0),
        )
        return (xmlgen.XML_HEADER + f'<resources size="2">{own}{friend}</resources>\n').encode()


class _Handler(_LibraryRoutes, _PlexTvRoutes, BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, one write per response."""

    demo: DemoServer  # set on the per-server subclass
    _replace: tuple[tuple[bytes, bytes], ...] = ()
    _fail_after = False
    #: The Home member the current PMS request's token belongs to (None: the owner).
    _member: HomeUser | None = None
    _states: dict[int, UserState] | None = None
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each small response waits ~40 ms for a delayed ACK
    server_version = "PlexMediaServer/" + VERSION
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header, on the library's clock (which may be set apart from this one's)."""
        return super().date_time_string(self.demo.lib.now() if timestamp is None else timestamp)

    # -- plumbing
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _send(
        self,
        status: int,
        body: bytes = b"",
        ctype: str = "text/xml;charset=utf-8",
        extra: dict[str, str] | None = None,
    ) -> None:
        if self._fail_after and status == 200:
            status, body = 500, error(500, "Internal Server Error")
        reason = self.responses.get(status, ("",))[0]
        head = [
            f"HTTP/1.1 {status} {reason}",
            f"Server: {self.server_version}",
            f"Content-Type: {ctype}",
            f"Content-Length: {len(body)}",
            "Connection: keep-alive" if not self.close_connection else "Connection: close",
            "X-Plex-Protocol: 1.0",
            f"Date: {self.date_time_string()}",  # as Plex sends it (its own clock)
        ]
        for old, new in self._replace:
            body = body.replace(old, new)
        head[3] = f"Content-Length: {len(body)}"
        for k, v in (extra or {}).items():
            head.append(f"{k}: {v}")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        self.log_request(status, len(body))

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self, method: str) -> None:
        demo = self.demo
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        params = parse_qsl(split.query, keep_blank_values=True)
        args = dict(params)
        if body and "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        demo._count(endpoint_pattern(method, path))
        plextv = path.startswith(_PLEXTV_PREFIXES)
        try:
            if plextv:
                self._plextv(method, path, args)
                return
            faults, kind = demo._pick_fault(path)
            if faults.latency_ms:
                time.sleep(faults.latency_ms / 1000)
            if faults.unauthorized:
                self._send(401, error(401, "Unauthorized"))
                return
            if kind == "applied-500":
                # the server does the work, then answers 500: a client that resends
                # a non-idempotent request (a scrobble) without looking does it twice
                self._fail_after = True
            elif kind is not None:
                self._fault(kind, faults)
                return
            token = self.headers.get("X-Plex-Token") or args.get("X-Plex-Token")
            member = demo._pms_user(token)
            if member is False:
                self._send(401, error(401, "Unauthorized"))
                return
            if faults.root_body is not None and method == "GET" and path == "/":
                self._send(200, faults.root_body, ctype="text/html")
                return
            self._replace = faults.replace
            if isinstance(member, HomeUser):
                self._member = member
                self._states = demo.lib.states_of(member.id)
            try:
                self._pms(method, path, args, params)
            finally:
                self._replace = ()
                self._fail_after = False
                self._member = None
                self._states = None
        except _Drop:
            self._drop()
        except KeyError as exc:
            self._send(404, error(404, f"Not Found: {exc}"))
        except (ValueError, TypeError) as exc:
            self._send(400, error(400, f"Bad Request: {exc}"))
        except Exception as exc:  # a bug here must still answer in XML, not hang the client
            log.exception("demo server error on %s %s", method, path)
            self._send(500, error(500, f"Internal Server Error: {type(exc).__name__}"))

    def _fault(self, kind: str, faults: Faults) -> None:
        if kind == "drop":
            raise _Drop
        if kind == "timeout":
            time.sleep(faults.timeout_delay)
            raise _Drop
        status = int(kind)
        extra = {"Retry-After": str(faults.retry_after)} if status in (429, 503) else None
        self._send(status, error(status, self.responses.get(status, ("Error",))[0]), extra=extra)

    # ----------------------------------------------------------------- PMS routes
    def _pms(
        self, method: str, path: str, args: dict[str, str], params: list[tuple[str, str]]
    ) -> None:
        demo = self.demo
        lib = demo.lib
        segs = path.strip("/").split("/") if path != "/" else []
        if method == "GET" and not segs:
            self._send(200, self._root())
        elif method == "GET" and segs == ["identity"]:
            self._send(
                200,
                container(
                    "", size=0, claimed=1, machineIdentifier=demo.machine_id, version=VERSION
                ),
            )
        elif path in ("/:/rate",) and method in ("PUT", "GET"):
            key = int(args["key"])
            if key not in lib.items:
                raise KeyError(key)
            value = float(args.get("rating", "-1"))
            if key not in demo.faults.ignore_writes:
                lib.set_rating(key, None if value < 0 else value, user=self._user_id)
            self._send(200)
        elif path in ("/:/scrobble", "/:/unscrobble") and method in ("PUT", "GET"):
            key = int(args["key"])
            if key not in lib.items:
                raise KeyError(key)
            lib.scrobble(key, played=path == "/:/scrobble", user=self._user_id)
            self._send(200)
        elif segs == ["library"] and method == "GET":
            body = "".join(
                f'<Directory key="{k}" title="{t}"/>'
                for k, t in (
                    ("sections", "Library Sections"),
                    ("recentlyAdded", "Recently Added Content"),
                )
            )
            self._send(200, container(body, size=2, identifier=IDENTIFIER, title1="Plex Library"))
        elif segs == ["library", "sections"] and method == "GET":
            body = "".join(xmlgen.section_directory(lib, s) for s in lib.sections)
            self._send(
                200, container(body, size=len(lib.sections), allowSync=0, title1="Plex Library")
            )
        elif len(segs) >= 3 and segs[:2] == ["library", "sections"]:
            self._section_route(method, segs, args, params)
        elif len(segs) >= 3 and segs[:2] == ["library", "metadata"]:
            self._metadata_route(method, segs, args, params)
        else:
            raise KeyError(path)

    @property
    def _user_id(self) -> int | None:
        return self._member.id if self._member is not None else None

    def _owner_only(self) -> bool:
        """Only the server owner edits metadata: a Home member's token gets 403 (True)."""
        if self._member is None:
            return False
        self._send(403, error(403, "Forbidden"))
        return True


def _home_user_attrs(user: HomeUser) -> dict[str, object]:
    """A Home user as plex.tv's home/users lists them (v1 XML, v2 XML and JSON)."""
    return {
        "id": user.id,
        "uuid": user.uuid,
        "title": user.title,
        "username": user.username,
        "email": _email(user),
        "friendlyName": user.title,
        "thumb": f"https://plex.tv/users/{user.uuid}/avatar",
        "hasPassword": int(not user.restricted),
        "restricted": int(user.restricted),
        "restrictionProfile": "little_kid" if user.restricted else "",
        "updatedAt": 1_650_000_000,
        "admin": int(user.admin),
        "guest": 0,
        "protected": int(user.protected),
    }


def _email(user: HomeUser) -> str:
    return f"{user.username}@example.invalid" if user.username else ""


def _auth_page(code: str) -> str:
    """The sign-in page a browser shows; the code comes from ?code= or the #! fragment."""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Demo Plex sign-in</title></head>
<body style="font-family:sans-serif;margin:3em">
<h1>Demo Plex: sign in</h1>
<p>An application asks to use your demo Plex account. Code: <code id="code">{q(code)}</code></p>
<form id="f" method="post" action="/auth/approve?code={q(code)}">
<button type="submit" id="approve">Approve</button></form>
<script>
var c = "{q(code)}";
if (!c) {{
  var h = location.hash.replace(/^#!?\\??/, "");
  var m = new URLSearchParams(h).get("code");
  if (m) {{ c = m; document.getElementById("code").textContent = m;
    document.getElementById("f").action = "/auth/approve?code=" + encodeURIComponent(m); }}
}}
</script></body></html>
"""
