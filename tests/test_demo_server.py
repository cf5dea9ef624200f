"""The demo Plex server over real HTTP, driven by the unmodified plexapi (and raw requests).

Every other test of the project trusts this server to behave like Plex, so
each test here pins one behaviour the project relies on: paging, partial
objects without userRating, key-list fetches, rating writes, multi-edits,
the sign-in flow, faults and the generated media files.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import mutagen
import pytest
import requests
from plexapi.exceptions import NotFound, Unauthorized
from plexapi.myplex import MyPlexAccount, MyPlexPinLogin, MyPlexResource
from plexapi.server import PlexServer

from ratings_gui.demo.audio import crc8, crc16, local_path, write_library_media
from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer, Faults, endpoint_pattern

TOKEN = "test-token"


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    lib = DemoLibrary.generate(seed=3, tracks=1500, movies=60, shows=8)
    srv = DemoServer(lib, token=TOKEN)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def srv(server: DemoServer) -> Iterator[DemoServer]:
    """The shared server with clean counters and no faults."""
    server.faults = Faults()
    server.reset_counts()
    yield server
    server.faults = Faults()


@pytest.fixture
def plex(srv: DemoServer) -> PlexServer:
    p = PlexServer(srv.url, srv.token, session=requests.Session(), timeout=10)
    srv.reset_counts()
    return p


@pytest.fixture
def plextv(srv: DemoServer, monkeypatch: pytest.MonkeyPatch) -> DemoServer:
    """Point plexapi's plex.tv class attributes at the demo server."""
    monkeypatch.setattr(MyPlexPinLogin, "PINS", srv.url + "/api/v2/pins")
    monkeypatch.setattr(MyPlexAccount, "key", srv.url + "/api/v2/user")
    monkeypatch.setattr(
        MyPlexResource,
        "key",
        srv.url + "/api/v2/resources?includeHttps=1&includeRelay=1&includeIPv6=1",
    )
    return srv


def _raw(srv: DemoServer, path: str, method: str = "GET", **headers: str) -> requests.Response:
    return requests.request(
        method, srv.url + path, headers={"X-Plex-Token": srv.token, **headers}, timeout=5
    )


# ----------------------------------------------------------------------------- library


def test_generate_is_deterministic_and_has_the_hard_cases() -> None:
    a = DemoLibrary.generate(seed=5, tracks=1500)
    b = DemoLibrary.generate(seed=5, tracks=1500)
    c = DemoLibrary.generate(seed=6, tracks=1500)
    sig = [(i.key, i.title, i.user_rating, i.file) for i in a.items.values()]
    assert sig == [(i.key, i.title, i.user_rating, i.file) for i in b.items.values()]
    assert sig != [(i.key, i.title, i.user_rating, i.file) for i in c.items.values()]

    tracks = list(a.tracks())
    assert abs(len(tracks) - 1500) <= 20
    rated = [t for t in tracks if t.user_rating is not None]
    assert 0.2 < len(rated) / len(tracks) < 0.4
    assert {t.user_rating for t in rated} <= {float(v) for v in range(1, 11)}
    assert {t.file.rsplit(".", 1)[1] for t in tracks if t.file} >= {"mp3", "flac", "wav", "aif"}
    assert all(t.file and t.file.startswith(a.media_root + "/") for t in tracks)
    fillers = [
        t
        for t in tracks
        if t.title in ("Intro", "Outro", "Skit", "Interlude", "Interview", "Applause")
    ]
    assert fillers and all((t.duration or 0) < 80_000 for t in fillers)
    assert any(t.title.endswith("(Live)") for t in tracks)

    albums = [a.items[k] for k in a.keys_of(1, "album")]
    assert all(8 <= len(al.children) <= 16 for al in albums)
    assert 0.3 < sum(al.rating is not None for al in albums) / len(albums) < 0.7
    assert any(al.user_rating is not None for al in albums)
    # Twins: a Greatest Hits track has a same-artist, same-title studio twin within 2 s.
    hits = next(al for al in albums if al.title == "Greatest Hits")
    artist = a.items[hits.parent_key or 0]
    studio = {
        a.items[t].title: a.items[t].duration
        for al_key in artist.children
        if a.items[al_key].title != "Greatest Hits"
        and not a.items[al_key].title.startswith("Live at")
        for t in a.items[al_key].children
    }
    for key in hits.children:
        track = a.items[key]
        assert abs((studio[track.title] or 0) - (track.duration or 0)) <= 2_000
    va = [x for x in a.items.values() if x.kind == "artist" and x.title == "Various Artists"]
    assert va and all(
        a.items[t].original_title for al in va[0].children for t in a.items[al].children
    )

    for kind in ("movie", "show", "episode"):
        items = [x for x in a.items.values() if x.kind == kind]
        assert items and all(any(g.startswith("imdb://tt") for g in x.guids) for x in items)
        assert all(any(g.startswith("tvdb://") for g in x.guids) for x in items)


def test_set_rating_and_add_track() -> None:
    lib = DemoLibrary.generate(seed=2, tracks=200, movies=3, shows=1)
    track = next(lib.tracks())
    lib.set_rating(track.key, 3.29)
    assert lib.rating(track.key) == 3.3 and track.last_rated_at
    lib.set_rating(track.key, None)
    assert lib.rating(track.key) is None
    album = lib.keys_of(1, "album")[0]
    key = lib.add_track(album, "Brand New", 123_000)
    new = lib.items[key]
    assert new.parent_key == album and new.added_at > time.time() - 60
    assert new.file and new.file.startswith(lib.media_root)


def test_endpoint_patterns() -> None:
    assert endpoint_pattern("GET", "/library/metadata/1,2,3") == "GET /library/metadata/{keys}"
    assert endpoint_pattern("GET", "/library/metadata/7") == "GET /library/metadata/{keys}"
    assert (
        endpoint_pattern("GET", "/library/metadata/7/children")
        == "GET /library/metadata/{id}/children"
    )
    assert endpoint_pattern("PUT", "/library/sections/1/all") == "PUT /library/sections/{id}/all"
    assert endpoint_pattern("GET", "/") == "GET /"


# ----------------------------------------------------------------------------- PMS over HTTP


def test_connect_and_list_libraries(plex: PlexServer, srv: DemoServer) -> None:
    assert plex.machineIdentifier == srv.machine_id
    sections = plex.library.sections()
    assert [(s.title, s.type) for s in sections] == [
        ("Music", "artist"),
        ("Movies", "movie"),
        ("TV Shows", "show"),
    ]
    assert sections[0].locations == [srv.lib.media_root]
    assert srv.counts["GET /library/sections"] == 1


def test_paged_search_tracks_counts_requests(plex: PlexServer, srv: DemoServer) -> None:
    music = plex.library.section("Music")
    n = len(srv.lib.keys_of(1, "track"))
    assert music.totalViewSize(libtype="track") == n
    srv.reset_counts()
    page = 400
    tracks = music.searchTracks(container_size=page)
    assert len(tracks) == n
    assert len({t.ratingKey for t in tracks}) == n
    assert srv.counts["GET /library/sections/{id}/all"] == math.ceil(n / page)
    assert srv.total_requests() == math.ceil(n / page)
    first = tracks[0]
    lib_item = srv.lib.items[first.ratingKey]
    assert first.media[0].parts[0].file == lib_item.file
    assert first.parentRatingKey == lib_item.parent_key and first.grandparentTitle


def test_paging_by_query_params_and_size_zero(srv: DemoServer) -> None:
    n = len(srv.lib.keys_of(1, "track"))
    r = _raw(
        srv, "/library/sections/1/all?type=10&X-Plex-Container-Start=10&X-Plex-Container-Size=25"
    )
    root = ElementTree.fromstring(r.content)
    assert r.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert (root.get("size"), root.get("totalSize"), root.get("offset")) == ("25", str(n), "10")
    assert root.get("librarySectionID") == "1" and root.get("librarySectionTitle") == "Music"
    tracks = root.findall("Track")
    assert int(tracks[0].get("ratingKey") or 0) == srv.lib.keys_of(1, "track")[10]
    # Part nested inside Media, as Plex does.
    assert tracks[0].find("Media/Part") is not None and tracks[0].find("Part") is None
    r0 = _raw(srv, "/library/sections/1/all?type=10", **{"X-Plex-Container-Size": "0"})
    root0 = ElementTree.fromstring(r0.content)
    assert len(root0) == 0 and root0.get("totalSize") == str(n)


def test_unrated_lack_userrating_and_autoreload_off_costs_nothing(
    plex: PlexServer, srv: DemoServer
) -> None:
    tracks = plex.library.section("Music").searchTracks(container_size=1000)
    unrated = [t for t in tracks if srv.lib.rating(t.ratingKey) is None]
    raw = ElementTree.fromstring(_raw(srv, f"/library/metadata/{unrated[0].ratingKey}").content)
    assert "userRating" not in raw[0].attrib
    srv.reset_counts()
    for t in tracks:
        t._autoReload = False
        assert (t.userRating is None) == (srv.lib.rating(t.ratingKey) is None)
        _ = t.moods
    assert srv.total_requests() == 0
    unrated[0]._autoReload = True
    _ = unrated[0].userRating  # a partial object reloads itself: exactly one request
    assert srv.counts["GET /library/metadata/{keys}"] == 1


def test_fetch_items_by_key_list_returns_guids(plex: PlexServer, srv: DemoServer) -> None:
    keys = srv.lib.keys_of(2, "movie")[:5] + srv.lib.keys_of(3, "episode")[:3]
    items = plex.fetchItems(keys)
    assert [i.ratingKey for i in items] == keys
    for item in items:
        assert {g.id for g in item.guids} == set(srv.lib.items[item.ratingKey].guids)
    assert srv.counts == {"GET /library/metadata/{keys}": 1}
    with pytest.raises(NotFound):
        plex.fetchItem(999_999)


def test_rate_then_clear(plex: PlexServer, srv: DemoServer) -> None:
    key = srv.lib.keys_of(1, "track")[3]
    track = plex.fetchItem(key)
    track.rate(3.29)
    again = plex.fetchItem(key)
    assert again.userRating == 3.3 and again.lastRatedAt is not None
    assert srv.counts["PUT /:/rate"] == 1
    track.rate(None)
    assert plex.fetchItem(key).userRating is None
    assert srv.lib.rating(key) is None
    album = plex.fetchItem(srv.lib.keys_of(1, "album")[2])
    album.rate(8)
    assert srv.lib.rating(album.ratingKey) == 8.0


def test_multi_edit_sets_several_and_unguarded_put_edits_all(
    plex: PlexServer, srv: DemoServer
) -> None:
    music = plex.library.section("Music")
    keys = srv.lib.keys_of(1, "track")[20:24]
    items = plex.fetchItems(keys)
    music.multiEdit(items, **{"userRating.value": 7, "userRating.locked": 1})
    assert [srv.lib.rating(k) for k in keys] == [7.0] * 4
    assert srv.counts["PUT /library/sections/{id}/all"] == 1
    music.batchMultiEdits(items).addMood("Rating_Inferred").saveMultiEdits()
    assert all("Rating_Inferred" in srv.lib.items[k].moods for k in keys)
    moods = plex.fetchItem(keys[0]).moods
    assert "Rating_Inferred" in [m.tag for m in moods]
    music.batchMultiEdits(items).removeMood("Rating_Inferred").saveMultiEdits()
    assert not any("Rating_Inferred" in srv.lib.items[k].moods for k in keys)

    # Without id= Plex edits EVERY item of the type: the server does it too (and logs it).
    lib = DemoLibrary.generate(seed=9, tracks=100, movies=2, shows=1)
    with DemoServer(lib, token=TOKEN) as other:
        r = _raw(
            other, "/library/sections/1/all?type=10&userRating.value=2&userRating.locked=1", "PUT"
        )
        assert r.status_code == 200 and r.content == b""
        assert {t.user_rating for t in lib.tracks()} == {2.0}
        assert any("WITHOUT id=" in line for line in lib.log)


def test_mark_played_and_unplayed(plex: PlexServer, srv: DemoServer) -> None:
    key = srv.lib.keys_of(2, "movie")[4]
    before = srv.lib.items[key].view_count
    movie = plex.fetchItem(key)
    movie.markPlayed()
    assert plex.fetchItem(key).viewCount == before + 1
    assert srv.counts["GET /:/scrobble"] == 1
    movie.markUnplayed()
    assert srv.lib.items[key].view_count == 0


def test_filters_and_sort_via_include_meta(plex: PlexServer, srv: DemoServer) -> None:
    music = plex.library.section("Music")
    album = srv.lib.keys_of(1, "album")[-1]
    new_key = srv.lib.add_track(album, "Fresh Arrival", 201_000)
    recent = music.search(filters={"track.addedAt>>": "30d"}, libtype="track")
    assert [t.ratingKey for t in recent] == [new_key]
    newest = music.search(sort="addedAt:desc", libtype="track", maxresults=3)
    assert newest[0].ratingKey == new_key
    high = music.search(filters={"track.userRating>>": 8}, libtype="track")
    assert high and all((t.userRating or 0) > 8 for t in high)
    expected = sum(1 for t in srv.lib.tracks() if (t.user_rating or 0) > 8)
    assert len(high) == expected
    assert srv.counts["GET /library/sections/{id}/collections"] == 1  # plexapi's one-time meta read
    by_title = music.search(sort="titleSort", libtype="album", maxresults=5)
    titles = [a.title.lower() for a in by_title]
    assert titles == sorted(titles)


def test_wrong_token_is_unauthorized(srv: DemoServer) -> None:
    with pytest.raises(Unauthorized):
        PlexServer(srv.url, "wrong-token", timeout=5)
    r = requests.get(srv.url + "/library/sections", timeout=5)
    assert r.status_code == 401 and r.text.startswith("<?xml")
    r = requests.get(srv.url + f"/library/sections?X-Plex-Token={srv.token}", timeout=5)
    assert r.status_code == 200


# ----------------------------------------------------------------------------- plex.tv part


def test_pin_flow(plextv: DemoServer) -> None:
    login = MyPlexPinLogin(oauth=True)
    assert "code=" in login.oauthUrl()
    assert plextv.counts["POST /api/v2/pins"] == 1
    assert not login.checkLogin()
    code = login._code
    assert code and len(code) >= 20
    page = requests.get(plextv.url + "/auth", params={"code": code}, timeout=5)
    assert "Approve" in page.text and "/auth/approve" in page.text
    plextv.approve_pin(login._id)
    assert login.checkLogin()
    assert login.token == plextv.token


def test_auth_page_approves(plextv: DemoServer) -> None:
    login = MyPlexPinLogin(oauth=True)
    login._getCode()
    r = requests.post(plextv.url + "/auth/approve", params={"code": login._code}, timeout=5)
    assert r.status_code == 200
    assert login.checkLogin() and login.token == plextv.token


def test_account_and_resources(plextv: DemoServer) -> None:
    account = MyPlexAccount(token=plextv.token)
    assert account.authToken == plextv.token and account.username == "demo"
    resources = account.resources()
    assert [(r.name, r.owned) for r in resources] == [
        ("Demo Server", True),
        ("Friend's Server", False),
    ]
    own, friend = resources
    assert own.clientIdentifier == plextv.machine_id and own.accessToken == plextv.token
    assert [(c.local, c.relay) for c in own.connections] == [
        (True, False),
        (False, False),
        (False, True),
    ]
    assert own.connections[0].uri == plextv.url
    assert friend.sourceTitle == "friend" and friend.connections[0].uri == plextv.url
    server = own.connect(timeout=5)
    assert server.machineIdentifier == plextv.machine_id
    with pytest.raises(Unauthorized):
        MyPlexAccount(token="nope")


# ----------------------------------------------------------------------------- faults


def test_fault_503_is_not_applied(srv: DemoServer) -> None:
    key = srv.lib.keys_of(1, "track")[40]
    before = srv.lib.rating(key)
    srv.faults = Faults(fail_rate=1.0, kinds=("503",), retry_after=7)
    r = _raw(srv, f"/:/rate?key={key}&identifier=com.plexapp.plugins.library&rating=4", "PUT")
    assert r.status_code == 503 and r.headers["Retry-After"] == "7"
    assert r.text.startswith("<?xml")
    assert srv.lib.rating(key) == before
    # plex.tv endpoints are never faulted
    assert requests.post(srv.url + "/api/v2/pins", timeout=5).status_code == 201


def test_fault_drop_and_timeout(srv: DemoServer) -> None:
    srv.faults = Faults(fail_rate=1.0, kinds=("drop",))
    with pytest.raises(requests.ConnectionError):
        _raw(srv, "/library/sections")
    srv.faults = Faults(fail_rate=1.0, kinds=("timeout",), timeout_delay=1.0)
    with pytest.raises(requests.ReadTimeout):
        requests.get(
            srv.url + "/library/sections", headers={"X-Plex-Token": srv.token}, timeout=0.3
        )
    assert srv.injected["drop"] == 1 and srv.injected["timeout"] == 1


def test_fault_rate_only_paths_and_unauthorized(srv: DemoServer) -> None:
    srv.faults = Faults(
        fail_rate=0.5, kinds=("500", "429"), seed=4, only_paths=("/library/metadata",)
    )
    assert _raw(srv, "/library/sections").status_code == 200
    codes = [_raw(srv, "/library/metadata/1").status_code for _ in range(40)]
    assert {500, 429, 200} == set(codes) and 8 < codes.count(200) < 32
    srv.faults = Faults(unauthorized=True)
    with pytest.raises(Unauthorized):
        PlexServer(srv.url, srv.token, timeout=5)


# ----------------------------------------------------------------------------- media files and exports


def test_media_files_open_with_mutagen(tmp_path: Path) -> None:
    lib = DemoLibrary.generate(seed=4, tracks=150, movies=2, shows=1)
    srv = DemoServer(lib, token=TOKEN, media_dir=tmp_path)
    by_ext: dict[str, Path] = {}
    for track in lib.tracks():
        path = local_path(lib, tmp_path, track.file or "")
        assert path.is_file() and track.size == path.stat().st_size
        by_ext.setdefault(path.suffix, path)
    assert set(by_ext) >= {".mp3", ".flac", ".wav", ".aif"}
    for path in by_ext.values():
        audio = mutagen.File(path)
        assert audio is not None and audio.info.length > 0, path
        assert path.stat().st_size < 20_000
    assert srv.machine_id
    assert crc8(b"123456789") == 0xF4 and crc16(b"123456789") == 0xFEE8  # CRC-8 and CRC-16/BUYPASS
    big = DemoLibrary.generate(seed=4, tracks=5_200, movies=0, shows=0)
    with pytest.raises(ValueError, match="at most"):
        write_library_media(big, tmp_path / "big")


def test_write_exports(srv: DemoServer, tmp_path: Path) -> None:
    paths = srv.write_exports(tmp_path)
    imdb = paths["imdb"].read_text(encoding="utf-8").splitlines()
    assert imdb[0] == (
        "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,"
        "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors"
    )
    ids = {
        g[len("imdb://") :]
        for i in srv.lib.items.values()
        for g in i.guids
        if g.startswith("imdb://")
    }
    consts = [line.split(",", 1)[0] for line in imdb[1:]]
    assert any(c in ids for c in consts) and any(c not in ids for c in consts)
    assert any(",TV Episode," in line for line in imdb)
    lb = paths["letterboxd"].read_text(encoding="utf-8").splitlines()
    assert lb[0] == "Date,Name,Year,Letterboxd URI,Rating" and len(lb) > 10
