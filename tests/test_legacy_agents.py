"""Libraries on Plex's legacy agents (issue 13): ids only in the ``guid`` attribute.

The parser is fed random legacy guid strings (hypothesis): it gives a parsed id or no
id, never a half-read one. Then the demo server's legacy and mixed libraries are read
over real HTTP and imported into: rows match by id, episodes by show id + numbers.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import fromstring

import pytest
from conftest import job_ctx, serving, signed_in
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_gui.demo.library import LEGACY_SECTIONS, DemoItem, DemoLibrary
from ratings_gui.demo.server import DemoServer
from ratings_gui.jobs.import_job import ImportJob
from ratings_gui.plex.snapshot import ids_from_guid, item_from_xml, read_library

#: The only shapes an id may have once read.
VALID = re.compile(
    r"^(?:imdb://tt\d{5,12}"
    r"|(?:tmdb|tvdb|anidb)://[1-9]\d{0,9}(?:/\d{1,5}){0,2}"
    r"|plex://(?:movie|show|season|episode|artist|album|track)/[0-9a-f]{6,40}"
    r"|lastfm://[^\s/]+(?:/[^\s/]+){0,2})$"
)
AGENTS = [
    "com.plexapp.agents.imdb",
    "com.plexapp.agents.themoviedb",
    "com.plexapp.agents.thetvdb",
    "com.plexapp.agents.hama",
    "com.plexapp.agents.lastfm",
    "com.plexapp.agents.none",
    "com.plexapp.agents.xbmcnfo",
    "local",
    "plex",
    "tv.plex.agents.none",
    "file",
]


@st.composite
def legacy_guids(draw: st.DrawFn) -> str:
    """Strings shaped like legacy guids, often broken: agents, ids, numbers, junk, queries."""
    agent = draw(st.sampled_from(AGENTS) | st.text(max_size=12))
    parts = draw(
        st.lists(
            st.one_of(
                st.integers(0, 10**12).map(str),
                st.integers(0, 10**9).map(lambda n: f"tt{n:07d}"),
                st.sampled_from(["anidb-", "tvdb-", "tvdb3-", "tmdb-", "imdb-tt"]).flatmap(
                    lambda p: st.integers(0, 10**8).map(lambda n: f"{p}{n}")
                ),
                st.text(max_size=8),
                st.sampled_from(["movie", "show", "5d776825880197001ec967a8", "Artist", ""]),
            ),
            max_size=4,
        )
    )
    query = draw(st.sampled_from(["", "?lang=en", "?lang=xn", "#x", "?"]))
    sep = draw(st.sampled_from(["://", ":/", "//", "://"]))
    return f"{agent}{sep}{'/'.join(parts)}{query}"


@settings(max_examples=600, deadline=None)
@given(legacy_guids() | st.text(max_size=60))
def test_random_legacy_guids_give_a_parsed_id_or_none(guid: str) -> None:
    ids = ids_from_guid(guid)
    assert isinstance(ids, tuple) and len(ids) <= 1
    for gid in ids:
        assert VALID.match(gid), (guid, gid)


@settings(max_examples=300, deadline=None)
@given(
    agent=st.sampled_from(
        [("com.plexapp.agents.thetvdb", "tvdb"), ("com.plexapp.agents.themoviedb", "tmdb")]
    ),
    show=st.integers(1, 10**9),
    numbers=st.lists(st.integers(0, 999), max_size=2),
    lang=st.sampled_from(["", "?lang=en", "?lang=de"]),
)
def test_well_formed_legacy_guids_read_exactly(
    agent: tuple[str, str], show: int, numbers: list[int], lang: str
) -> None:
    path = "/".join(str(n) for n in [show, *numbers])
    want = f"{agent[1]}://{path}"
    assert ids_from_guid(f"{agent[0]}://{path}{lang}") == (want,)
    # zero-padded numbers read the same
    padded = "/".join([str(show), *(f"{n:02d}" for n in numbers)])
    assert ids_from_guid(f"{agent[0]}://{padded}{lang}") == (want,)


@pytest.mark.parametrize(
    ("guid", "ids"),
    [
        ("com.plexapp.agents.imdb://tt0123456?lang=en", ("imdb://tt0123456",)),
        ("com.plexapp.agents.themoviedb://603?lang=en", ("tmdb://603",)),
        ("com.plexapp.agents.themoviedb://tt0133093?lang=en", ("imdb://tt0133093",)),
        ("com.plexapp.agents.thetvdb://12345?lang=en", ("tvdb://12345",)),
        ("com.plexapp.agents.thetvdb://12345/1?lang=en", ("tvdb://12345/1",)),
        ("com.plexapp.agents.thetvdb://12345/1/10?lang=en", ("tvdb://12345/1/10",)),
        ("com.plexapp.agents.hama://anidb-123?lang=en", ("anidb://123",)),
        ("com.plexapp.agents.hama://anidb-123/1/5?lang=en", ("anidb://123/1/5",)),
        ("com.plexapp.agents.hama://tvdb-81797?lang=en", ("tvdb://81797",)),
        ("hama://anidb-4563?lang=ja", ("anidb://4563",)),  # written without the prefix
        ("com.plexapp.agents.hama://tvdb3-81797/1/5?lang=en", ()),  # its own numbering
        ("com.plexapp.agents.lastfm://Daft%20Punk/Discovery?lang=en",
         ("lastfm://Daft%20Punk/Discovery",)),
        ("com.plexapp.agents.none://5f8e1c0a?lang=xn", ()),
        ("local://12345", ()),
        ("plex://movie/5d776825880197001ec967a8", ("plex://movie/5d776825880197001ec967a8",)),
        ("com.plexapp.agents.imdb://603?lang=en", ()),  # not an IMDb id
        ("com.plexapp.agents.thetvdb://0?lang=en", ()),
        ("com.plexapp.agents.thetvdb://12x?lang=en", ()),
        ("", ()),
    ],
)  # fmt: skip
def test_legacy_guid_shapes(guid: str, ids: tuple[str, ...]) -> None:
    assert ids_from_guid(guid) == ids


def test_snapshot_keeps_every_id_from_guid_and_guid_children() -> None:
    mixed = fromstring(
        '<Video ratingKey="7" type="movie" title="M" guid="com.plexapp.agents.imdb://tt0111161?lang=en">'
        '<Guid id="tmdb://278"/><Guid id="imdb://tt0111161"/></Video>'
    )
    item = item_from_xml(mixed)
    assert item is not None and item.guids == ("tmdb://278", "imdb://tt0111161")
    new = fromstring(
        '<Video ratingKey="8" type="movie" title="N" guid="plex://movie/5d776825880197001ec967a8">'
        '<Guid id="imdb://tt0068646"/></Video>'
    )
    assert item_from_xml(new).guids == ("imdb://tt0068646", "plex://movie/5d776825880197001ec967a8")  # type: ignore[union-attr]
    episode = fromstring(
        '<Video ratingKey="9" type="episode" title="E" parentIndex="1" index="10"'
        ' guid="com.plexapp.agents.thetvdb://12345/1/10?lang=en"/>'
    )
    ep = item_from_xml(episode)
    assert ep is not None and ep.guids == ("tvdb://12345/1/10",)
    assert ep.guid("tvdb") is None  # the show's id and numbers, not the episode's own id


# --- the demo server's legacy and mixed libraries, over real HTTP -------------------------------


@pytest.fixture
def legacy_demo() -> Iterator[DemoServer]:
    lib = DemoLibrary.generate(seed=7, tracks=40, movies=4, shows=1, legacy=True)
    with serving(lib) as srv:
        yield srv


@pytest.fixture
def legacy_app(home: Path, legacy_demo: DemoServer) -> Iterator[Any]:
    with signed_in(legacy_demo, home) as ctx:
        yield ctx


def items_of(lib: DemoLibrary, section: int, kind: str) -> list[DemoItem]:
    return [lib.items[k] for k in lib.keys_of(section, kind)]


def test_legacy_libraries_read_into_the_new_agents_ids(legacy_app: Any, legacy_demo: Any) -> None:
    lib = legacy_demo.lib
    assert [s.agent for s in lib.sections[3:]] == [s[3] for s in LEGACY_SECTIONS]
    movies = read_library(legacy_app.connection, "Legacy Movies")
    for m in items_of(lib, 4, "movie"):
        want = (f"imdb://{m.agent_ids['imdb']}",) if m.agent_ids else ()
        assert movies.items[m.key].guids == want
    shows = read_library(legacy_app.connection, "Mixed TV Shows")
    by_kind: dict[str, set[str]] = {}
    for it in shows:
        for g in it.guids:
            by_kind.setdefault(it.kind, set()).add(g.split("://")[0])
    # plex:// + <Guid> children on the refreshed items, tvdb/anidb from the legacy guids
    assert by_kind["show"] == {"plex", "imdb", "tmdb", "tvdb", "anidb"}
    assert by_kind["episode"] == {"plex", "imdb", "tvdb", "anidb"}
    legacy_ep = next(e for e in items_of(lib, 6, "episode") if e.agent_ids)
    assert shows.items[legacy_ep.key].guids == (
        f"tvdb://{legacy_ep.agent_ids['show_tvdb']}/{legacy_ep.parent_index}/{legacy_ep.index}",
    )


def _trakt_episode(lib: DemoLibrary, ep: DemoItem, rating: int) -> dict[str, Any]:
    show = lib.items[ep.grandparent_key or 0]
    show_ids: dict[str, Any] = {"trakt": ep.key}
    for g in show.guids:  # a refreshed show: the ids its <Guid> children give
        scheme, value = g.split("://")
        show_ids[scheme] = value if scheme == "imdb" else int(value)
    if "tvdb" in show.agent_ids:
        show_ids["tvdb"] = int(show.agent_ids["tvdb"])
    ep_ids: dict[str, Any] = {"trakt": 10_000 + ep.key, "tvdb": None, "imdb": None}
    for g in ep.guids:
        scheme, value = g.split("://")
        ep_ids[scheme] = value if scheme == "imdb" else int(value)
    return {
        "rated_at": "2024-02-02T10:00:00.000Z",
        "rating": rating,
        "type": "episode",
        "episode": {"season": ep.parent_index, "number": ep.index, "title": ep.title,
                    "ids": ep_ids},
        "show": {"title": show.title, "year": show.year, "ids": show_ids},
    }  # fmt: skip


def _rating_for(item: DemoItem, i: int) -> int:
    v = i % 10 + 1
    return v % 10 + 1 if v == item.user_rating else v


def test_imports_match_legacy_items_by_id_and_episodes_by_show_and_numbers(
    legacy_app: Any, legacy_demo: Any, tmp_path: Path
) -> None:
    lib = legacy_demo.lib
    # IMDb: the legacy movies by their imdb ids (titles deliberately wrong).
    movies = [m for m in items_of(lib, 4, "movie") if m.agent_ids]
    want = {m.key: _rating_for(m, i) for i, m in enumerate(movies)}
    imdb = tmp_path / "imdb.csv"
    with imdb.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Const", "Your Rating", "Date Rated", "Title", "URL", "Title Type",
                    "IMDb Rating", "Runtime (mins)", "Year", "Genres", "Num Votes",
                    "Release Date", "Directors"])  # fmt: skip
        for i, m in enumerate(movies):
            w.writerow([m.agent_ids["imdb"], want[m.key], "2024-01-01", f"Renamed {i}",
                        "", "movie", "7", "90", m.year, "", "1", "", ""])  # fmt: skip
    job = ImportJob(legacy_app, imdb, library="Legacy Movies", overwrite=True)
    plan = job.prepare(job_ctx())
    assert {c.reason for c in plan.changes} == {"matched by IMDb id"}
    assert plan.counts["update"] == len(movies) and plan.counts["not found"] == 0
    job.apply(job_ctx(), plan)
    assert {m.key: lib.rating(m.key) for m in movies} == want

    # Trakt: episodes of the legacy library and of the mixed one.
    legacy_eps = items_of(lib, 5, "episode")[:5]
    mixed_eps = [e for e in items_of(lib, 6, "episode") if e.agent_ids or e.guids]
    chosen = legacy_eps + mixed_eps[::3]
    assert any(e.agent_ids for e in mixed_eps[::3]) and any(e.guids for e in mixed_eps[::3])
    trakt = tmp_path / "trakt"
    trakt.mkdir()
    want = {e.key: _rating_for(e, i) for i, e in enumerate(chosen)}
    rows = [_trakt_episode(lib, e, want[e.key]) for e in chosen]
    (trakt / "ratings-episodes.json").write_text(json.dumps(rows), encoding="utf-8")
    job = ImportJob(legacy_app, trakt, all_libraries=True, overwrite=True)
    plan = job.prepare(job_ctx())
    how = {int(c.target): c.reason for c in plan.changes}
    for e in chosen:
        # legacy: the show's tvdb id + season + episode; refreshed: the episode's own id
        assert how[e.key] == (
            "matched by show id and episode number" if e.agent_ids else "matched by IMDb id"
        ), e.guid
    assert plan.counts["update"] == len(chosen)
    job.apply(job_ctx(), plan)
    assert {e.key: lib.rating(e.key) for e in chosen} == want


def test_letterboxd_row_without_apostrophe_finds_the_legacy_film(
    legacy_app: Any, legacy_demo: Any, tmp_path: Path
) -> None:
    """The local:// and none:// films have no id at all: only their titles match."""
    lib = legacy_demo.lib
    bare = [m for m in items_of(lib, 4, "movie") if not m.agent_ids]
    assert len(bare) == 2
    path = tmp_path / "ratings.csv"
    lines = ["Date,Name,Year,Letterboxd URI,Rating"]
    for i, m in enumerate(bare):
        shouted = re.sub(r"[^\w\s]", "", m.title).upper()  # "ELENAS FEATHER"
        lines.append(f"2024-01-0{i + 1},{shouted},{m.year},https://boxd.it/x{i},4")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    job = ImportJob(legacy_app, path, library="Legacy Movies", overwrite=True)
    plan = job.prepare(job_ctx())
    assert sorted(int(c.target) for c in plan.changes) == sorted(m.key for m in bare)
