"""The backup format, its checks, and the pure restore matcher (issue 16)."""

from __future__ import annotations

import gzip
import json

import pytest

from ratings_gui.core import backup as bk
from ratings_gui.core import restoreplan as rp
from ratings_gui.core.records import Item
from ratings_gui.journal import Provenance

LOC = ("/data/music",)


def _track(key: int, title: str, album: str, artist: str, index: int, **kw: object) -> Item:
    return Item(
        key=key,
        kind="track",
        title=title,
        parent_title=album,
        grandparent_title=artist,
        index=index,
        parent_index=1,
        files=(f"/data/music/{artist}/{album}/{index:02d} - {title}.mp3",),
        **kw,  # type: ignore[arg-type]
    )


# --- ids and paths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("imdb://tt0123456", "imdb://tt0123456"),
        ("com.plexapp.agents.imdb://tt0123456?lang=en", "imdb://tt0123456"),
        ("com.plexapp.agents.themoviedb://603?lang=en", "tmdb://603"),
        ("com.plexapp.agents.thetvdb://12345?lang=en", "tvdb://12345"),
        ("com.plexapp.agents.thetvdb://12345/1?lang=en", "tvdb-season://12345/1"),
        ("com.plexapp.agents.thetvdb://12345/1/10?lang=en", "tvdb-episode://12345/1/10"),
        ("tvdb://12345/01/10", "tvdb-episode://12345/1/10"),  # as the snapshot reads it
        ("com.plexapp.agents.hama://anidb-123/1/4?lang=en", "anidb-episode://123/1/4"),
        ("com.plexapp.agents.hama://anidb-123?lang=en", "anidb://123"),
        ("com.plexapp.agents.lastfm://Some%20Artist/Album?lang=en", "lastfm://some%20artist/album"),
        (
            "mbid://0383dadf-2a4e-4d10-a46a-e9e041da8eb3",
            "mbid://0383dadf-2a4e-4d10-a46a-e9e041da8eb3",
        ),
        ("plex://movie/5d776825880197001ec967c6", None),
        ("local://12345", None),
        ("com.plexapp.agents.none://abc?lang=xn", None),
        ("com.plexapp.agents.localmedia://1", None),
        ("", None),
        ("not an id", None),
    ],
)
def test_normalize_id(raw: str, want: str | None) -> None:
    assert bk.normalize_id(raw) == want


def test_item_ids_merges_guid_and_children_without_duplicates() -> None:
    ids = bk.item_ids("com.plexapp.agents.imdb://tt1?lang=en", ["imdb://tt1", "tmdb://5"])
    assert ids == ("imdb://tt1", "tmdb://5")


@pytest.mark.parametrize(
    ("file", "locs", "want"),
    [
        ("/data/music/A/B/01 - x.mp3", ["/data/music"], "A/B/01 - x.mp3"),
        ("/data/music/A/B/01 - x.mp3", ["/data", "/data/music"], "A/B/01 - x.mp3"),
        ("/data/musicals/A.mp3", ["/data/music"], ""),
        ("D:\\Media\\Music\\A\\01.flac", ["d:\\media\\music"], "A/01.flac"),
        ("/other/A.mp3", ["/data/music"], ""),
        ("", ["/data/music"], ""),
    ],
)
def test_relative_path(file: str, locs: list[str], want: str) -> None:
    assert bk.relative_path(file, locs) == want


# --- owner -------------------------------------------------------------------------------------


def test_owner_follows_the_journal_only_while_the_value_stands() -> None:
    base = Provenance(5.0, "base-rating", 1, whose="base")
    assert bk.owner_of(5.0, base) == (bk.BASE, "base-rating")
    assert bk.owner_of(6.0, base) == (bk.USER, "")  # the user re-rated it
    assert bk.owner_of(7.0, Provenance(7.0, "infer", 2, whose="inferred")) == (bk.INFERRED, "infer")
    assert bk.owner_of(7.0, Provenance(7.0, "import", 3, whose="yours")) == (bk.USER, "")
    inferred_csv = Provenance(4.0, "ratings-import", 4, "imported as inferred", "inferred")
    assert bk.owner_of(4.0, inferred_csv)[0] == bk.INFERRED
    as_base = Provenance(4.0, "restore", 5, "restored as base", "base")
    assert bk.owner_of(4.0, as_base)[0] == bk.BASE
    assert bk.owner_of(4.0, Provenance(4.0, "restore", 5, "restored as own", "yours"))[0] == bk.USER
    assert bk.owner_of(4.0, None) == (bk.USER, "")


# --- the file ----------------------------------------------------------------------------------


def _backup() -> bk.Backup:
    items = [
        Item(key=1, kind="artist", title="Ärtist", user_rating=8.0, plex_guid="plex://artist/a1"),
        Item(key=2, kind="album", title="Album", parent_title="Ärtist", user_rating=6.0),
        _track(
            3,
            "Song",
            "Album",
            "Ärtist",
            1,
            user_rating=9.0,
            view_count=2,
            last_rated_at=1_700_000_000,
            plex_guid="local://3",
        ),
        _track(4, "Unrated", "Album", "Ärtist", 2),
    ]
    prov = {"2": Provenance(6.0, "base-rating", 7, whose="base")}
    lib = bk.build_library("Music", "artist", items, section_id=1, locations=LOC, provenance=prov)
    return bk.Backup([lib], created_at=1_700_000_100, server="Demo", program="ratings_gui 1")


def test_build_keeps_every_rated_item_with_ids_paths_and_owner() -> None:
    b = _backup()
    assert [e.kind for e in b.entries] == ["artist", "album", "track"]
    track = b.entries[2]
    assert track.relpath == "Ärtist/Album/01 - Song.mp3"
    assert track.file.startswith("/data/music/")
    assert track.guid == "local://3" and track.ids == ()
    assert track.watched is True and track.rated_at == 1_700_000_000
    assert b.entries[1].owner == bk.BASE and b.entries[0].owner == bk.USER
    assert b.counts() == {"artist": 1, "album": 1, "track": 1}


@pytest.mark.parametrize("compress", [False, True])
def test_round_trip(compress: bool) -> None:
    b = _backup()
    data = bk.encode(b, compress=compress)
    assert data[:2] == (b"\x1f\x8b" if compress else b'{"')
    back = bk.decode(data)
    assert back.entries == b.entries
    assert back.server == "Demo" and back.created_at == 1_700_000_100
    assert back.libraries[0].locations == LOC


def test_encode_is_stable_and_one_item_per_line() -> None:
    b = _backup()
    assert bk.encode(b, compress=True) == bk.encode(b, compress=True)
    text = bk.encode(b).decode()
    assert sum(1 for line in text.splitlines() if line.startswith('{"kind"')) == 3


def _doc() -> dict:
    return json.loads(bk.encode(_backup()))


def _bad(data: bytes) -> str:
    with pytest.raises(bk.BackupError) as err:
        bk.decode(data, "ratings.json")
    return str(err.value)


def test_truncated_json_is_named_cut_off() -> None:
    data = bk.encode(_backup())
    assert "cut off" in _bad(data[: len(data) // 2])
    assert "cut off" in _bad(data[:-3])


def test_truncated_gzip_is_named_cut_off() -> None:
    data = bk.encode(_backup(), compress=True)
    assert "cut off" in _bad(data[: len(data) - 12])


def test_damaged_gzip() -> None:
    data = bytearray(bk.encode(_backup(), compress=True))
    data[20:40] = b"\x00" * 20
    msg = _bad(bytes(data))
    assert "damaged" in msg or "cut off" in msg


def test_hand_edited_value_breaks_the_checksum() -> None:
    text = bk.encode(_backup()).decode()
    edited = text.replace('"rating": 9.0', '"rating": 10.0')
    assert edited != text
    msg = _bad(edited.encode())
    assert "changed after it was written" in msg


def test_hand_edited_syntax_names_line_and_column() -> None:
    text = bk.encode(_backup()).decode()
    lines = text.splitlines()
    lines[2] = lines[2].replace('"kind":', '"kind"', 1)
    msg = _bad("\n".join(lines).encode())
    assert "line 3" in msg and "edited by hand" in msg


def test_invalid_item_field_says_which_item() -> None:
    doc = _doc()
    doc["libraries"][0]["items"][1]["rating"] = 14
    msg = _bad(json.dumps(doc).encode())
    assert "item 2" in msg and "0 to 10" in msg
    doc = _doc()
    doc["libraries"][0]["items"][0]["kind"] = "podcast"
    assert "unknown kind 'podcast'" in _bad(json.dumps(doc).encode())


def test_infinite_numbers_and_deep_nesting_are_plain_errors() -> None:
    doc = _doc()
    doc["libraries"][0]["items"][0]["year"] = float("inf")  # json writes Infinity
    assert "whole number" in _bad(json.dumps(doc).encode())
    assert "nest far too deep" in _bad(b"[" * 100_000)


def test_newer_version_is_refused_with_a_plain_reason() -> None:
    doc = _doc()
    doc["version"] = bk.VERSION + 1
    msg = _bad(json.dumps(doc).encode())
    assert "newer version" in msg and "Update" in msg


@pytest.mark.parametrize(
    "data",
    [
        b'[{"movie": {"ids": {"imdb": "tt1"}}, "rating": 8}]',  # a Trakt export
        b'{"theme": "dark", "library": "Music"}',  # some settings file
        b'{"format": "other-backup", "version": 1}',
    ],
)
def test_foreign_json_is_not_a_backup(data: bytes) -> None:
    assert "not a ratings backup" in _bad(data)


@pytest.mark.parametrize(
    ("data", "word"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"Const,Your Rating,Date Rated\n", "not JSON"),
        (b"PK\x03\x04rest", "zip"),
        (b"\xff\xfe\x00\x01{", "not text"),
    ],
)
def test_not_a_backup(data: bytes, word: str) -> None:
    assert word in _bad(data)


def test_gzip_of_foreign_json_is_still_foreign() -> None:
    assert "not a ratings backup" in _bad(gzip.compress(b'{"a": 1}'))


# --- matching ---------------------------------------------------------------------------------


def _target(items: list[Item], kind: str = "artist", locs: tuple[str, ...] = ("/new/Music",)):
    return rp.TargetLibrary("Music", kind, 1, locs, items)


def _entry(**kw: object) -> bk.Entry:
    base: dict[str, object] = {"kind": "track", "key": 1, "rating": 8.0, "title": "Song"}
    base.update(kw)
    return bk.Entry(**base)  # type: ignore[arg-type]


def test_plex_guid_wins_over_everything() -> None:
    right = Item(key=50, kind="movie", title="Other Name", plex_guid="plex://movie/x")
    decoy = Item(key=51, kind="movie", title="Film", year=2000, guids=("imdb://tt9",))
    idx = rp.TargetIndex([_target([right, decoy], "movie")])
    e = _entry(kind="movie", title="Film", year=2000, guid="plex://movie/x", ids=("imdb://tt9",))
    f = rp.find(e, idx)
    assert f.item is right and f.how == rp.BY_GUID


def test_local_guid_never_matches() -> None:
    other = Item(key=3, kind="track", title="Else", plex_guid="local://3")
    idx = rp.TargetIndex([_target([other])])
    f = rp.find(_entry(guid="local://3"), idx)
    assert f.item is None and f.how == rp.NOT_FOUND


def test_external_and_legacy_ids() -> None:
    ep = Item(
        key=70, kind="episode", title="x", plex_guid="com.plexapp.agents.thetvdb://99/2/5?lang=en"
    )
    mv = Item(key=71, kind="movie", title="y", guids=("imdb://tt0000123",))
    idx = rp.TargetIndex([_target([ep], "show"), _target([mv], "movie")])
    f = rp.find(_entry(kind="episode", ids=("tvdb-episode://99/2/5",)), idx)
    assert f.item is ep and f.how == rp.BY_ID
    legacy = bk.item_ids("com.plexapp.agents.imdb://tt0000123?lang=en", ())
    f = rp.find(_entry(kind="movie", ids=legacy), idx)
    assert f.item is mv


def test_relative_path_matches_in_another_folder() -> None:
    t = Item(key=9, kind="track", title="Renamed", files=("/new/Music/A/B/01 - Song.flac",))
    idx = rp.TargetIndex([_target([t])])
    f = rp.find(_entry(relpath="A/B/01 - Song.flac", title="Song"), idx)
    assert f.item is t and f.how == rp.BY_PATH
    f = rp.find(_entry(relpath="a/b/01 - song.FLAC", title="Nope"), idx)
    assert f.item is t  # case differs after a move from Windows


def test_titles_for_each_kind() -> None:
    items = [
        Item(key=1, kind="artist", title="The Band"),
        Item(key=2, kind="album", title="Disc", parent_title="The Band", year=1990),
        _track(3, "Song", "Disc", "The Band", 4),
        _track(4, "Song", "Disc", "The Band", 9),  # the same title later on the album
        Item(key=5, kind="show", title="Show", year=2001),
        Item(key=6, kind="season", title="Season 2", parent_title="Show", index=2),
        Item(key=7, kind="episode", title="Ep", grandparent_title="Show", parent_index=2, index=3),
        Item(key=8, kind="movie", title="Film", year=1999),
        Item(key=9, kind="movie", title="Film", year=2019),
    ]
    idx = rp.TargetIndex(
        [_target(items[:4]), _target(items[4:7], "show"), _target(items[7:], "movie")]
    )
    cases = [
        (_entry(kind="artist", title="Band, The"), 1),
        (_entry(kind="album", title="disc", parent_title="the band", year=1990), 2),
        (
            _entry(
                title="Song",
                parent_title="Disc",
                grandparent_title="The Band",
                index=9,
                parent_index=1,
            ),
            4,
        ),
        (_entry(kind="show", title="Show", year=2001), 5),
        (_entry(kind="season", title="Season 2", parent_title="Show", index=2), 6),
        (
            _entry(
                kind="episode", title="renamed", grandparent_title="Show", parent_index=2, index=3
            ),
            7,
        ),
        (_entry(kind="movie", title="Film", year=2019), 9),
    ]
    for e, key in cases:
        f = rp.find(e, idx)
        assert f.item is not None and f.item.key == key, e
        assert f.how == rp.BY_TITLES
    f = rp.find(_entry(kind="movie", title="Film"), idx)  # no year: two films fit
    assert f.item is None and f.how == rp.AMBIGUOUS and len(f.candidates) == 2
    f = rp.find(_entry(kind="movie", title="Film", year=2005), idx)
    assert f.item is None and f.how == rp.NOT_FOUND


def test_ambiguous_id_falls_through_to_the_path() -> None:
    a = Item(key=1, kind="movie", title="F", guids=("imdb://tt1",), files=("/new/Music/F (1).mkv",))
    b = Item(key=2, kind="movie", title="F", guids=("imdb://tt1",), files=("/new/Music/F (2).mkv",))
    idx = rp.TargetIndex([_target([a, b], "movie")])
    f = rp.find(_entry(kind="movie", ids=("imdb://tt1",), relpath="F (2).mkv"), idx)
    assert f.item is b and f.how == rp.BY_PATH


# --- the restore plan ---------------------------------------------------------------------------


def test_plan_restore_outcomes() -> None:
    items = [
        Item(key=10, kind="movie", title="A", year=2000),  # unrated -> restore
        Item(key=11, kind="movie", title="B", year=2000, user_rating=4.0),  # conflict
        Item(key=12, kind="movie", title="C", year=2000, user_rating=6.0),  # already
        Item(key=13, kind="movie", title="D", year=2000, user_rating=5.0),  # recorded
    ]
    entries = [
        _entry(kind="movie", key=1, title="A", year=2000, rating=8.0),
        _entry(kind="movie", key=2, title="B", year=2000, rating=9.0),
        _entry(kind="movie", key=3, title="C", year=2000, rating=6.0),
        _entry(kind="movie", key=4, title="D", year=2000, rating=5.0, owner=bk.BASE),
        _entry(kind="movie", key=5, title="Gone", year=2000, rating=5.0),
        _entry(kind="track", key=6, title="Song", rating=5.0),  # a music row, no music library
    ]
    plan = rp.plan_restore(entries, [_target(items, "movie")])
    by_target = {c.target: c for c in plan.changes}
    assert set(by_target) == {"10", "13"}
    assert by_target["10"].new == 8.0 and by_target["10"].reason == "restored as own"
    assert by_target["13"].old == by_target["13"].new == 5.0
    assert by_target["13"].reason == "restored as base"
    c = plan.counts
    assert (c["update"], c[rp.CONFLICT], c[rp.ALREADY], c[rp.RECORDED]) == (1, 1, 1, 1)
    assert (c[rp.NOT_FOUND], c[rp.OTHER_LIBRARY]) == (1, 1)
    reasons = {s["title"]: s["reason"] for s in plan.skipped}
    assert reasons == {"B": rp.CONFLICT, "Gone": rp.NOT_FOUND}
    assert plan.options["matched_by"] == {rp.BY_TITLES: 4}

    over = rp.plan_restore(entries, [_target(items, "movie")], overwrite=True)
    b = next(ch for ch in over.changes if ch.target == "11")
    assert (b.old, b.new) == (4.0, 9.0)
    assert over.counts[rp.OVERWRITE] == 1 and over.counts["update"] == 2


def test_same_value_the_journal_calls_the_programs_is_recorded_as_own() -> None:
    items = [Item(key=10, kind="movie", title="A", year=2000, user_rating=8.0)]
    prov = {"10": Provenance(8.0, "base-rating", 1, whose="base")}
    e = _entry(kind="movie", title="A", year=2000, rating=8.0)
    plan = rp.plan_restore([e], [_target(items, "movie")], prov)
    assert [c.reason for c in plan.changes] == ["restored as own"]
    assert plan.counts[rp.RECORDED] == 1


def test_strongest_match_claims_the_item_first() -> None:
    t = Item(key=10, kind="movie", title="A", year=2000, guids=("imdb://tt5",))
    by_title = _entry(kind="movie", key=1, title="A", year=2000, rating=3.0)
    by_id = _entry(kind="movie", key=2, title="Other", ids=("imdb://tt5",), rating=9.0)
    plan = rp.plan_restore([by_title, by_id], [_target([t], "movie")])
    assert [c.new for c in plan.changes] == [9.0]
    assert plan.counts[rp.DUPLICATE] == 1


def test_plan_clear_only_rated_items_of_the_kinds() -> None:
    items = [
        Item(key=1, kind="artist", title="X", user_rating=8.0),
        _track(2, "S", "A", "X", 1, user_rating=6.0),
        _track(3, "T", "A", "X", 2),
    ]
    plan = rp.plan_clear(items, ["track"])
    assert [(c.target, c.old, c.new) for c in plan.changes] == [("2", 6.0, None)]
    assert rp.plan_clear(items).counts["update"] == 2


def test_the_users_rating_replaces_a_program_value_without_overwrite() -> None:
    items = [
        Item(key=10, kind="movie", title="A", year=2000, user_rating=5.0),
        Item(key=11, kind="movie", title="B", year=2000, user_rating=5.0),
    ]
    prov = {
        "10": Provenance(5.0, "base-rating", 1, whose="base"),
        "11": Provenance(5.0, "base-rating", 1, whose="base"),
    }
    rows = [
        _entry(kind="movie", key=1, title="A", year=2000, rating=9.0),
        _entry(kind="movie", key=2, title="B", year=2000, rating=7.0, owner=bk.INFERRED),
    ]
    plan = rp.plan_restore(rows, [_target(items, "movie")], prov)
    assert [(c.target, c.new) for c in plan.changes] == [("10", 9.0)]
    assert plan.counts[rp.OVER_PROGRAM] == 1 and plan.counts[rp.CONFLICT] == 1
