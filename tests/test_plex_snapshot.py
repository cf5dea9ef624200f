"""The bulk snapshot against the demo server: right records, few requests."""

from __future__ import annotations

import gc
import math

import pytest

from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer
from ratings_gui.plex.connection import PlexError, connect_direct
from ratings_gui.plex.snapshot import ListingParser, read_items, read_library


def test_music_snapshot_matches_the_server(demo) -> None:  # noqa: ANN001
    conn = connect_direct(demo.url, demo.token)
    pages: list[tuple[int, int, str]] = []
    snap = read_library(conn, "Music", progress=lambda d, t, p: pages.append((d, t, p)))
    lib = demo.lib
    tracks = snap.of_kind("track")
    assert len(tracks) == len(lib.keys_of(snap.section_id, "track"))
    assert snap.counts()["album"] == len(lib.keys_of(snap.section_id, "album"))
    for t in tracks:
        assert t.user_rating == lib.rating(t.key)
        assert t.parent_key in snap.items and t.grandparent_key in snap.items
        assert t.files and t.files[0].startswith(lib.media_root)
        assert t.duration and t.duration > 0
    rated = [t for t in tracks if t.user_rating is not None]
    assert 0 < len(rated) < len(tracks)
    assert any(a.critic_rating is not None for a in snap.of_kind("album"))
    assert pages and pages[-1][0] == pages[-1][1]


def test_video_snapshot_has_guids(demo) -> None:  # noqa: ANN001
    conn = connect_direct(demo.url, demo.token)
    movies = read_library(conn, "Movies")
    assert movies.of_kind("movie") and all(m.guid("imdb") for m in movies.of_kind("movie"))
    assert all(m.guid("tmdb") for m in movies.of_kind("movie"))
    shows = read_library(conn, "TV Shows")
    eps = shows.of_kind("episode")
    assert eps and all(e.guid("imdb") and e.grandparent_title for e in eps)
    assert all(s.guid("tvdb") for s in shows.of_kind("show"))


def test_unknown_library_names_the_choices(demo) -> None:  # noqa: ANN001
    conn = connect_direct(demo.url, demo.token)
    with pytest.raises(PlexError, match="Music"):
        read_library(conn, "Nope")


def test_read_items_by_key_lists(demo) -> None:  # noqa: ANN001
    conn = connect_direct(demo.url, demo.token)
    keys = demo.lib.keys_of(1, "track")[:450]
    demo.reset_counts()
    places: dict[int, int] = {}
    got = read_items(conn, keys + [99_999_999], places=places)
    assert set(got) == set(keys)
    assert demo.counts["GET /library/metadata/{keys}"] == 1  # 500 keys per request
    assert places == dict.fromkeys(keys, 1)  # each item's library, for grouped edits
    demo.reset_counts()
    assert set(read_items(conn, keys, chunk=200)) == set(keys)
    assert demo.counts["GET /library/metadata/{keys}"] == 3


def test_5k_snapshot_costs_a_proportional_number_of_requests() -> None:
    """50,000 tracks may cost 60 requests (tests/bench_snapshot.py reads them); 5,000 a tenth.

    Plus the requests any read makes whatever its size: the section list and
    one short last page per kind.
    """
    lib = DemoLibrary.generate(seed=3, tracks=5_000, movies=5, shows=1)
    srv = DemoServer(lib, token="t")
    srv.start()
    try:
        conn = connect_direct(srv.url, "t")
        srv.reset_counts()
        snap = read_library(conn, "Music")
        n_tracks = len(lib.keys_of(snap.section_id, "track"))
        assert n_tracks >= 4_900
        assert len(snap.of_kind("track")) == n_tracks
        budget = 4 + math.ceil(60 * n_tracks / 50_000)
        assert srv.total_requests() <= budget, dict(srv.counts)
        assert srv.counts.get("GET /library/metadata/{keys}", 0) == 0  # no per-item reads
    finally:
        srv.stop()


def test_wrong_library_type_is_refused_before_reading(demo) -> None:  # noqa: ANN001
    conn = connect_direct(demo.url, demo.token)
    demo.reset_counts()
    with pytest.raises(PlexError, match="Movies is not a music library"):
        read_library(conn, "Movies", require_type="artist")
    assert demo.counts.get("GET /library/sections/{id}/all", 0) == 0


def test_reading_pages_leaves_no_cyclic_garbage(demo) -> None:  # noqa: ANN001
    """Jobs read without full collections (young_gc_only): whatever a page leaves in a cycle
    that outlives the young collections stays in memory for the whole read, so a page must leave nothing (it was ~3.5 MB a page
    of parser buffers, 1.2 GB for 500,000 tracks)."""
    conn = connect_direct(demo.url, demo.token)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds stays in gc.garbage to look at
    try:
        snap = read_library(conn, "Music", page_size=50)  # many pages
        assert len(snap.of_kind("track")) > 100
        gc.collect()
        # the demo server answers in this process: its threads may leave their own garbage
        left = [o for o in gc.garbage if isinstance(o, ListingParser)]
        big = [o for o in gc.garbage if isinstance(o, bytes | bytearray) and len(o) > 10_000]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not left and not big
