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

(plexapi 4.18 has no separate ``CHECKPINS`` attribute: the poll URL is built
from ``PINS``.) Restore the class attributes afterwards (pytest
``monkeypatch.setattr`` does). The auth page a browser would show is
``url + "/auth#?code=CODE"`` (or ``?code=CODE``); its Approve button, like
:meth:`DemoServer.approve_pin`, releases the account token to the PIN.
"""

from __future__ import annotations

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

from ratings_gui.demo import query, xmlgen
from ratings_gui.demo.library import TYPE_NAMES, DemoItem, DemoLibrary
from ratings_gui.demo.xmlgen import attrs, container, error, q

log = logging.getLogger(__name__)

IDENTIFIER = "com.plexapp.plugins.library"
VERSION = "1.41.0.0000-demo"
PRIMARY = {"artist": "artist", "movie": "movie", "show": "show"}
_NUM_RE = re.compile(r"^\d+$")
_KEYS_RE = re.compile(r"^\d+(,\d+)*$")


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


@dataclass
class _Pin:
    id: int
    code: str
    client_id: str
    created_at: int
    approved: bool = False


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


class DemoServer:
    """Serve a DemoLibrary over HTTP on 127.0.0.1 (see the module docstring)."""

    #: The server's friendly name (a second server in a test may take another).
    name = "Demo Server"

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
        if self.media_dir is not None:
            from ratings_gui.demo.audio import write_library_media

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

    def write_exports(self, folder: Path) -> dict[str, Path]:
        """Sample IMDb and Letterboxd exports for this library (see demo.exports)."""
        from ratings_gui.demo.exports import write_exports

        return write_exports(self.lib, Path(folder))


class _Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, one write per response."""

    demo: DemoServer  # set on the per-server subclass
    _replace: tuple[tuple[bytes, bytes], ...] = ()
    _fail_after = False
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each small response waits ~40 ms for a delayed ACK
    server_version = "PlexMediaServer/" + VERSION
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)

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
        plextv = path.startswith("/api/v2") or path.startswith("/auth")
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
            if token not in (demo.token, demo.shared_token):
                self._send(401, error(401, "Unauthorized"))
                return
            if faults.root_body is not None and method == "GET" and path == "/":
                self._send(200, faults.root_body, ctype="text/html")
                return
            self._replace = faults.replace
            try:
                self._pms(method, path, args, params)
            finally:
                self._replace = ()
                self._fail_after = False
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
                lib.set_rating(key, None if value < 0 else value)
            self._send(200)
        elif path in ("/:/scrobble", "/:/unscrobble") and method in ("PUT", "GET"):
            key = int(args["key"])
            if key not in lib.items:
                raise KeyError(key)
            lib.scrobble(key, played=path == "/:/scrobble")
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
            updatedAt=int(time.time()),
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
            ids_raw = args.get("id")
            ids = [int(x) for x in ids_raw.split(",") if x] if ids_raw is not None else None
            edits = {k: v for k, v in args.items() if k not in ("type", "id", "X-Plex-Token")}
            if ids is None:
                log.warning(
                    "PUT /library/sections/%s/all without id=: editing every %s", section.id, kind
                )
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
            preds = query.build_filters(lib, kind, params)
            for pred in preds:
                items = [i for i in items if pred(i)]
            if args.get("sort"):
                items = query.sort_items(lib, kind, items, args["sort"])
            if args.get("limit"):
                items = items[: int(args["limit"])]
            total = len(items)
            page = items[start:] if size is None else items[start : start + size]
            body = xmlgen.items_xml(lib, page, guids=args.get("includeGuids") == "1", full=False)
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
            body = xmlgen.items_xml(lib, page, guids=True, full=full)
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

    # ----------------------------------------------------------------- plex.tv routes
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
        elif path in ("/api/v2/user", "/api/v2/resources", "/api/v2/ping"):
            if demo.faults.unauthorized or token != demo.token:
                self._send(401, error(401, "Invalid token"))
            elif path == "/api/v2/user":
                self._send(200, self._user_xml())
            elif path == "/api/v2/ping":
                self._send(200, (xmlgen.XML_HEADER + "<pong/>").encode())
            else:
                self._send(200, self._resources_xml())
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

    def _user_xml(self) -> bytes:
        demo = self.demo
        return (
            xmlgen.XML_HEADER
            + "<user"
            + attrs(
                id=1,
                uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-user/{demo.lib.seed}").hex[:16],
                username="demo",
                title="Demo User",
                email="demo@example.invalid",
                friendlyName="Demo User",
                locale="en",
                confirmed=1,
                joinedAt=1_600_000_000,
                emailOnlyAuth=0,
                hasPassword=1,
                protected=0,
                thumb="https://plex.tv/users/demo/avatar",
                authToken=demo.token,
                mailingListStatus="unsubscribed",
                mailingListActive=0,
                scrobbleTypes="1,2,4,10",
                country="US",
                subscriptionDescription="Demo Pass",
                restricted=0,
                anonymous="",
                home=0,
                guest=0,
                homeSize=1,
                homeAdmin=1,
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

    def _resources_xml(self) -> bytes:
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
            name: str, token: str, client_id: str, owned: int, source: str | None, conns: str
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
                    ownerId=None if owned else 2,
                    sourceTitle=source,
                    publicAddress="127.0.0.1",
                    accessToken=token,
                    owned=owned,
                    home=0,
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
