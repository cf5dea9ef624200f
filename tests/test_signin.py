"""Sign-in against the demo's plex.tv: PIN, servers, connection choice, plain errors."""

from __future__ import annotations

import threading
import time

import plexapi
import pytest

from ratings_gui.jobs.runner import Cancelled
from ratings_gui.plex.auth import (
    ConnectionInfo,
    PinSignIn,
    ServerInfo,
    account_servers,
    connect_server,
    use_plextv,
)
from ratings_gui.plex.connection import PlexError, configure_headers, connect_direct
from ratings_gui.plex.snapshot import list_libraries


@pytest.fixture
def plextv(demo):  # noqa: ANN001, ANN201
    use_plextv(demo.url)
    try:
        yield demo
    finally:
        use_plextv(None)


def test_pin_sign_in_lists_servers_and_connects_local(plextv) -> None:  # noqa: ANN001
    demo = plextv
    cid = configure_headers("client-id-123")
    assert plexapi.BASE_HEADERS["X-Plex-Client-Identifier"] == cid == "client-id-123"
    assert plexapi.BASE_HEADERS["X-Plex-Product"] == "Ratings for Plex"
    pin = PinSignIn(cid, auth_app_url=f"{demo.url}/auth#!", poll_interval=0.05)
    url, code = pin.start()
    assert (
        url.startswith(f"{demo.url}/auth#!?")
        and f"code={code}" in url
        and "clientID=client-id-123" in url
    )
    threading.Timer(0.3, demo.approve_pin, args=(code,)).start()
    token = pin.wait(timeout=10)
    assert token == demo.token
    name, servers = account_servers(token)
    assert name
    assert servers[0].owned and not servers[-1].owned  # owned first, shared marked
    assert "shared by" in servers[-1].display and "(owned)" in servers[0].display
    kinds = {c.kind for c in servers[0].connections}
    assert kinds == {"local", "remote", "relay"}
    t0 = time.monotonic()
    conn = connect_server(servers[0], timeout=5)
    assert conn.kind == "local" and conn.url == demo.url
    assert time.monotonic() - t0 < 4  # did not wait for the dead remote/relay addresses
    assert [lib.name for lib in list_libraries(conn)] == ["Music", "Movies", "TV Shows"]


def test_pin_cancel_and_timeout(plextv) -> None:  # noqa: ANN001
    pin = PinSignIn("cid", poll_interval=0.05)
    pin.start()
    with pytest.raises(PlexError, match="timed out"):
        pin.wait(timeout=0.3)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        pin.wait(cancel, timeout=5)


def test_remote_used_when_local_is_dead(demo) -> None:  # noqa: ANN001
    info = ServerInfo(
        "S",
        "m",
        True,
        "",
        (ConnectionInfo("http://127.0.0.1:9", "local"), ConnectionInfo(demo.url, "remote")),
        demo.token,
    )
    conn = connect_server(info, timeout=3)
    assert conn.kind == "remote"


@pytest.mark.parametrize(
    ("url", "token", "message"),
    [
        ("", "x", "Enter the server address"),
        ("http://127.0.0.1:9", "x", "Could not reach the Plex server"),
        ("not a url at all", "x", "Could not reach|not a valid"),
    ],
)
def test_direct_errors_are_plain(url: str, token: str, message: str) -> None:
    with pytest.raises(PlexError, match=message):
        connect_direct(url, token, timeout=2)


def test_wrong_token_is_a_plain_401(demo) -> None:  # noqa: ANN001
    with pytest.raises(PlexError, match="401") as ei:
        connect_direct(demo.url, "wrong-token-abc")
    assert "wrong-token-abc" not in str(ei.value)
    assert "Traceback" not in str(ei.value)


def test_timeout_is_plain(demo) -> None:  # noqa: ANN001
    from ratings_gui.demo.server import Faults

    demo.faults = Faults(latency_ms=1500)
    with pytest.raises(PlexError, match="did not answer in time"):
        connect_direct(demo.url, demo.token, timeout=0.5)


def test_certificate_error_is_plain() -> None:
    import requests

    from ratings_gui.plex.connection import describe_error

    msg = describe_error(
        requests.exceptions.SSLError("certificate verify failed"), "https://x:32400"
    )
    assert "certificate" in msg and "https://x:32400" in msg
