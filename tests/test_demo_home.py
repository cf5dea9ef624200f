"""The demo server as a Plex Home, driven by the unmodified plexapi over real HTTP.

The client's per-user jobs will be built and tested against this, so each
test pins one thing a real Plex Home does: the member list, PIN-protected
switching, the member's own server token, ratings kept per user on every
route, and edits refused to anyone but the owner.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from plexapi.exceptions import BadRequest, Unauthorized
from plexapi.myplex import MyPlexAccount, MyPlexResource, MyPlexUser
from plexapi.server import PlexServer

from ratings_gui.demo import home
from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer

TOKEN = "home-token"
MEMBERS = ("Alex", "Sam", "Jo")


@pytest.fixture
def srv(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoServer]:
    """A fresh demo server (tests change ratings) with plexapi's plex.tv URLs pointed at it."""
    lib = DemoLibrary.generate(seed=11, tracks=300, movies=12, shows=2)
    server = DemoServer(lib, token=TOKEN)
    url = server.start()
    monkeypatch.setattr(MyPlexAccount, "key", url + "/api/v2/user")
    monkeypatch.setattr(MyPlexAccount, "HOMEUSERS", url + "/api/home/users")
    monkeypatch.setattr(MyPlexUser, "key", url + "/api/users/")
    monkeypatch.setattr(
        MyPlexResource, "key", url + "/api/v2/resources?includeHttps=1&includeRelay=1&includeIPv6=1"
    )
    yield server
    server.stop()


def owner_account(srv: DemoServer) -> MyPlexAccount:
    return MyPlexAccount(token=srv.token, session=requests.Session(), timeout=10)


def switch(srv: DemoServer, name: str) -> MyPlexAccount:
    pin = home.DEMO_PIN if name == "Alex" else None
    return owner_account(srv).switchHomeUser(name, pin=pin)


def member_server(srv: DemoServer, name: str) -> PlexServer:
    """The member's connection, made the way a client makes it: switch, resources, connect."""
    account = switch(srv, name)
    resource = next(
        r
        for r in account.resources()
        if "server" in r.provides and r.clientIdentifier == srv.machine_id
    )
    plex = resource.connect(timeout=5)
    plex._session = requests.Session()
    return plex


def listing(plex: PlexServer, **filters: object) -> dict[int, float | None]:
    """Every track of Music as plexapi reads it: ratingKey -> userRating (no auto-reloads)."""
    tracks = plex.library.section("Music").searchTracks(filters=filters or None)
    out = {}
    for t in tracks:
        t._autoReload = False
        out[t.ratingKey] = t.userRating
    return out


def track_ratings(srv: DemoServer, name: str | None) -> dict[int, float]:
    tracks = set(srv.lib.keys_of(1, "track"))
    return {k: v for k, v in srv.ratings_of(name).items() if k in tracks}


def test_home_users_as_plexapi_and_plextv_list_them(srv: DemoServer) -> None:
    account = owner_account(srv)
    assert account.home and account.homeAdmin and account.homeSize == 4
    users = {u.title: u for u in account.users()}
    assert {t for t, u in users.items() if u.home} == set(MEMBERS)
    assert not users["friend"].home  # a friend is not a Home member
    assert users["Alex"].protected and not users["Jo"].protected
    assert users["Sam"].restricted == "1" and users["Jo"].restricted == "0"
    assert srv.member_token("Alex") not in (srv.token, srv.member_token("Jo"))

    v1 = account.query(account.HOMEUSERS)
    rows = {u.attrib["title"]: u.attrib for u in v1.findall("User")}
    assert list(rows) == ["Demo User", *MEMBERS]
    assert rows["Demo User"]["admin"] == "1" and rows["Alex"]["admin"] == "0"
    assert rows["Alex"]["protected"] == "1" and rows["Sam"]["restricted"] == "1"

    v2 = account.query(srv.url + "/api/v2/home/users", headers={"Accept": "application/json"})
    by_title = {u["title"]: u for u in v2["users"]}
    assert by_title["Alex"]["protected"] is True and by_title["Jo"]["protected"] is False
    assert by_title["Sam"]["restricted"] is True and by_title["Demo User"]["admin"] is True
    assert {u.uuid for u in srv.home_users()} == {u["uuid"] for u in v2["users"]}
    xml = account.query(srv.url + "/api/v2/home/users")  # no Accept: XML
    assert [u.attrib["title"] for u in xml.iter("user")] == ["Demo User", *MEMBERS]
    assert xml.attrib["guestEnabled"] == "0" and xml.find("users/user").attrib["admin"] == "1"


def test_switching_to_a_protected_member_needs_the_right_pin(srv: DemoServer) -> None:
    account = owner_account(srv)
    with pytest.raises(BadRequest) as wrong:
        account.switchHomeUser("Alex", pin="0000")
    assert "(403)" in str(wrong.value) and str(home.PIN_ERROR_CODE) in str(wrong.value)
    alex = account.switchHomeUser("Alex", pin=home.DEMO_PIN)
    assert (alex.title, alex.id, alex.home, alex.homeAdmin) == ("Alex", 201, True, False)
    assert alex.authToken == srv.account_token("Alex") != srv.token
    # the admin may switch without the member's PIN, unless the server is told otherwise
    assert account.switchHomeUser("Alex").title == "Alex"
    srv.admin_needs_pin = True
    with pytest.raises(BadRequest, match="1041"):
        account.switchHomeUser("Alex")
    # another member always needs it
    jo = account.switchHomeUser("Jo")
    with pytest.raises(BadRequest, match="1041"):
        jo.switchHomeUser("Alex")
    assert jo.switchHomeUser("Alex", pin=home.DEMO_PIN).title == "Alex"
    assert account.switchHomeUser("Sam").restricted  # managed member, no PIN


def test_v2_switch_by_uuid_answers_json(srv: DemoServer) -> None:
    alex = srv.home_user("Alex")
    url = f"{srv.url}/api/v2/home/users/{alex.uuid}/switch"
    headers = {"X-Plex-Token": srv.account_token("Jo"), "Accept": "application/json"}
    refused = requests.post(url, headers=headers, timeout=5)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == home.PIN_ERROR_CODE
    ok = requests.post(url, params={"pin": home.DEMO_PIN}, headers=headers, timeout=5)
    assert ok.status_code == 201 and ok.json()["authToken"] == srv.account_token("Alex")
    by_id = requests.post(f"{srv.url}/api/v2/home/users/{alex.id}/switch", headers=headers)
    assert by_id.status_code == 404  # v2 addresses members by uuid, not id


@pytest.mark.parametrize("name", MEMBERS)
def test_member_reads_and_rates_only_their_own(srv: DemoServer, name: str) -> None:
    plex = member_server(srv, name)
    assert plex._token == srv.member_token(name)
    mine = track_ratings(srv, name)
    assert mine and mine != track_ratings(srv, None)
    seen = listing(plex)
    assert {k: v for k, v in seen.items() if v is not None} == mine

    before = {who: srv.ratings_of(who) for who in (None, *MEMBERS)}
    key = next(k for k in track_ratings(srv, None) if k not in mine)  # owner-rated, not theirs
    track = plex.fetchItem(key)
    track.rate(3.0)
    assert plex.fetchItem(key).userRating == 3.0 and plex.fetchItem(key).lastRatedAt
    owner = PlexServer(srv.url, srv.token, session=requests.Session(), timeout=10)
    assert owner.fetchItem(key).userRating == before[None][key]
    after = {who: srv.ratings_of(who) for who in (None, *MEMBERS)}
    assert after[name] == {**before[name], key: 3.0}
    assert {w: r for w, r in after.items() if w != name} == {
        w: r for w, r in before.items() if w != name
    }
    # incremental reads ("rated in the last hour") see the member's own rating only
    assert key in listing(plex, **{"lastRatedAt>>": "1h"})
    assert key not in listing(owner, **{"lastRatedAt>>": "1h"})
    track.rate(None)  # clearing is theirs too
    assert key not in srv.ratings_of(name) and srv.ratings_of(None) == before[None]


def test_filters_sorts_and_key_fetches_are_per_user(srv: DemoServer) -> None:
    owner = PlexServer(srv.url, srv.token, session=requests.Session(), timeout=10)
    alex = member_server(srv, "Alex")
    for plex, who in ((owner, None), (alex, "Alex")):
        truth = track_ratings(srv, who)
        high = listing(plex, **{"userRating>>": 6})
        assert set(high) == {k for k, v in truth.items() if v > 6}
        assert set(listing(plex, **{"userRating": 4})) == {k for k, v in truth.items() if v == 4}
        top = plex.library.section("Music").searchTracks(sort="userRating:desc", maxresults=20)
        values = [t.userRating for t in top]
        assert values == sorted(values, reverse=True) and values[0] == max(truth.values())
    assert set(listing(owner, **{"userRating>>": 6})) != set(listing(alex, **{"userRating>>": 6}))
    both = [k for k in track_ratings(srv, None) if k in track_ratings(srv, "Alex")]
    assert both  # items both rated, differently
    fetched_owner = {i.ratingKey: i.userRating for i in owner.fetchItems(both)}
    fetched_alex = {i.ratingKey: i.userRating for i in alex.fetchItems(both)}
    assert all(fetched_owner[k] != fetched_alex[k] for k in both)
    assert fetched_alex == {k: srv.ratings_of("Alex")[k] for k in both}


def test_plays_are_per_user(srv: DemoServer) -> None:
    jo = member_server(srv, "Jo")
    key = srv.lib.keys_of(1, "track")[0]
    owner_views = srv.lib.items[key].view_count
    played = jo.fetchItem(key).viewCount or 0
    jo.fetchItem(key).markPlayed()
    assert jo.fetchItem(key).viewCount == played + 1
    assert srv.lib.items[key].view_count == owner_views
    jo.fetchItem(key).markUnplayed()
    assert not jo.fetchItem(key).viewCount and srv.lib.items[key].view_count == owner_views
    unplayed = listing(jo, unwatched=True)
    assert key in unplayed


def test_only_the_owner_edits(srv: DemoServer) -> None:
    sam = member_server(srv, "Sam")
    section = sam.library.section("Music")
    tracks = section.searchTracks(maxresults=3)
    keys = [t.ratingKey for t in tracks]
    before = {k: (srv.lib.items[k].user_rating, list(srv.lib.items[k].moods)) for k in keys}
    sams = srv.ratings_of("Sam")
    with pytest.raises(BadRequest, match=r"\(403\)"):
        section.multiEdit(tracks, **{"userRating.value": 9, "userRating.locked": 1})
    with pytest.raises(BadRequest, match=r"\(403\)"):
        section.batchMultiEdits(tracks).addMood("Calm").saveMultiEdits()
    with pytest.raises(BadRequest, match=r"\(403\)"):
        tracks[0].editTitle("Renamed by Sam")
    assert {k: (srv.lib.items[k].user_rating, list(srv.lib.items[k].moods)) for k in keys} == before
    assert srv.ratings_of("Sam") == sams and srv.lib.items[keys[0]].title != "Renamed by Sam"
    tracks[0].rate(7.0)  # rating is not an edit: members may
    assert srv.ratings_of("Sam")[keys[0]] == 7.0
    owner = PlexServer(srv.url, srv.token, session=requests.Session(), timeout=10)
    owner.library.section("Music").multiEdit(tracks[:1], **{"userRating.value": 2})
    assert srv.lib.items[keys[0]].user_rating == 2.0 and srv.ratings_of("Sam")[keys[0]] == 7.0


def test_tokens_are_kept_apart(srv: DemoServer) -> None:
    alex = switch(srv, "Alex")
    assert alex.resources()[0].accessToken == srv.member_token("Alex")
    assert [r.name for r in owner_account(srv).resources()] == [srv.name, "Friend's Server"]
    with pytest.raises(Unauthorized):  # a plex.tv account token is not a server token
        PlexServer(srv.url, srv.account_token("Alex"), session=requests.Session(), timeout=5)
    with pytest.raises(Unauthorized):  # nor a server token a plex.tv one
        MyPlexAccount(token=srv.member_token("Alex"), session=requests.Session(), timeout=5)
    friend = PlexServer(srv.url, srv.shared_token, session=requests.Session(), timeout=5)
    key = next(iter(track_ratings(srv, None)))
    assert friend.fetchItem(key).userRating == srv.ratings_of(None)[key]  # as before


def test_member_ratings_are_generated_from_the_seed(srv: DemoServer) -> None:
    again = DemoServer(DemoLibrary.generate(seed=11, tracks=300, movies=12, shows=2), token="x")
    other = DemoServer(DemoLibrary.generate(seed=12, tracks=300, movies=12, shows=2))
    for name in MEMBERS:
        assert again.ratings_of(name) == srv.ratings_of(name)
        assert other.ratings_of(name) != srv.ratings_of(name)
    owner = srv.ratings_of(None)
    per_member = [srv.ratings_of(n) for n in MEMBERS]
    assert per_member[0] != per_member[1] != per_member[2] != per_member[0]
    for ratings in per_member:
        overlap = [k for k in ratings if k in owner]
        assert len(overlap) >= 10 and all(ratings[k] != owner[k] for k in overlap)
        assert any(srv.lib.items[k].kind in ("movie", "episode") for k in ratings)  # not only music
    # a second server on the same library keeps what the members did
    srv.lib.set_rating(srv.lib.keys_of(1, "track")[0], 1.0, user=home.JO.id)
    kept = DemoServer(srv.lib, token=TOKEN)
    assert kept.ratings_of("Jo")[srv.lib.keys_of(1, "track")[0]] == 1.0


def test_demo_printout_names_the_home_and_the_pin() -> None:
    from ratings_gui.demo.session import DemoSession

    with DemoSession(tracks=40, movies=2, shows=1) as session:
        line = next(x for x in session.describe() if x.startswith("Plex Home users:"))
    assert f"Alex (PIN {home.DEMO_PIN})" in line and "Sam (managed)" in line and "Jo" in line
