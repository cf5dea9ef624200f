"""The demo library: a generated, deterministic Plex-like catalogue kept in memory.

Generated from a seed so every test and every ``--demo`` run sees the same
artists, albums, twins (the same song on a studio album and a compilation),
live versions, short fillers and partial ratings: the cases the rating jobs
must get right. All mutations go through methods that hold ``lock``, so the
HTTP server threads and the tests can change it concurrently.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ratings_gui.demo import names

#: Fixed clock for generated timestamps: keeps a seed's library identical on every run.
BASE_TIME = 1_700_000_000
YEAR_SECONDS = 365 * 24 * 3600

#: Plex search type numbers (the ``type=`` query parameter).
TYPE_NUMBERS: dict[str, int] = {
    "movie": 1,
    "show": 2,
    "season": 3,
    "episode": 4,
    "artist": 8,
    "album": 9,
    "track": 10,
}
TYPE_NAMES: dict[int, str] = {v: k for k, v in TYPE_NUMBERS.items()}

#: Share of each audio extension, chosen per album (a real library mixes formats).
AUDIO_EXTENSIONS: tuple[tuple[str, float], ...] = (
    ("mp3", 0.5),
    ("flac", 0.3),
    ("wav", 0.1),
    ("aif", 0.1),
)
CONTAINERS: dict[str, tuple[str, str, int]] = {
    # extension -> (Plex container, audioCodec, bitrate kbps)
    "mp3": ("mp3", "mp3", 320),
    "flac": ("flac", "flac", 950),
    "wav": ("wav", "pcm", 1411),
    "aif": ("aiff", "pcm", 1411),
}


@dataclass(slots=True)
class DemoSection:
    """One library section as ``GET /library/sections`` lists it."""

    id: int
    title: str
    type: str  # 'artist' | 'movie' | 'show'
    uuid: str
    location: str
    agent: str
    scanner: str


@dataclass(slots=True, eq=False)
class DemoItem:
    """One metadata item; only the fields the rating jobs and plexapi read."""

    key: int
    kind: str  # artist | album | track | movie | show | season | episode
    section_id: int
    title: str
    added_at: int
    updated_at: int
    parent_key: int | None = None
    grandparent_key: int | None = None
    index: int | None = None
    parent_index: int | None = None
    year: int | None = None
    duration: int | None = None  # milliseconds
    rating: float | None = None  # critic rating 0-10
    audience_rating: float | None = None
    user_rating: float | None = None  # None = unrated
    last_rated_at: int | None = None
    view_count: int = 0
    skip_count: int = 0
    last_viewed_at: int | None = None
    original_title: str | None = None  # track artist on compilations
    guids: list[str] = field(default_factory=list)
    guid: str = ""  # plex:// agent guid
    file: str | None = None
    size: int = 0
    container: str | None = None
    moods: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    genres: list[str] = field(default_factory=list)
    locked: set[str] = field(default_factory=set)
    children: list[int] = field(default_factory=list)
    summary: str = ""
    studio: str | None = None
    xml_cache: str | None = None  # static part of the XML element, filled by xmlgen
    #: What a legacy agent's ``guid`` encodes (``imdb``/``tmdb``/``tvdb``/``anidb`` and,
    #: on seasons and episodes, the show's ``show_tvdb``): for tests and sample exports.
    agent_ids: dict[str, str] = field(default_factory=dict)

    @property
    def is_leaf(self) -> bool:
        return self.kind in ("track", "movie", "episode")

    # Read-only Plex-named aliases, so tests can be written in the XML's vocabulary.
    @property
    def ratingKey(self) -> int:  # noqa: N802
        return self.key

    @property
    def parentRatingKey(self) -> int | None:  # noqa: N802
        return self.parent_key

    @property
    def grandparentRatingKey(self) -> int | None:  # noqa: N802
        return self.grandparent_key

    @property
    def userRating(self) -> float | None:  # noqa: N802
        return self.user_rating

    @property
    def lastRatedAt(self) -> int | None:  # noqa: N802
        return self.last_rated_at

    @property
    def addedAt(self) -> int:  # noqa: N802
        return self.added_at

    @property
    def viewCount(self) -> int:  # noqa: N802
        return self.view_count


@dataclass(slots=True)
class UserState:
    """A Plex Home member's own values for one item (the owner's live on :class:`DemoItem`).

    Plex keeps ratings and plays per account; the field names are DemoItem's,
    so the XML and the filters read either one the same way.
    """

    user_rating: float | None = None
    last_rated_at: int | None = None
    view_count: int = 0
    skip_count: int = 0
    last_viewed_at: int | None = None


#: What a member's item without a state of its own reads as (never mutated).
NO_STATE = UserState()


class DemoLibrary:
    """The whole server state: sections, items by ratingKey, and the edit operations.

    The owner's ratings and plays are the items' own fields; each Plex Home
    member's are in ``member_states[user_id][ratingKey]`` (see demo.home).
    """

    media_root = "/data/music"
    movies_root = "/data/movies"
    shows_root = "/data/tv"

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        self.lock = threading.RLock()
        self.sections: list[DemoSection] = []
        self.items: dict[int, DemoItem] = {}
        self._by_type: dict[tuple[int, str], list[int]] = {}
        self._next_key = 1
        self._next_part = 1
        self.log: list[str] = []  # notable events (e.g. edits without id=) for tests and humans
        #: Plex Home member id -> ratingKey -> that member's own rating and plays.
        self.member_states: dict[int, dict[int, UserState]] = {}
        #: Makes a member's states the first time they are needed (set by the server:
        #: generating them for a 50,000-track library costs half a second).
        self.member_factory: Callable[[int], dict[int, UserState]] | None = None
        self.xml_parent_cache: dict[
            int, str
        ] = {}  # album key -> shared XML attributes of its tracks
        #: Seconds this server's clock is ahead of the computer's (behind: negative): it
        #: stamps lastRatedAt and addedAt, and says it in every answer's Date header.
        self.clock_skew = 0.0

    def now(self) -> int:
        """The server's clock, as it stamps lastRatedAt and addedAt."""
        return int(time.time() + self.clock_skew)

    # ----------------------------------------------------------------- generation
    @classmethod
    def generate(
        cls,
        seed: int = 1,
        tracks: int = 1500,
        movies: int = 60,
        shows: int = 8,
        *,
        legacy: bool = False,
    ) -> DemoLibrary:
        """Build a library; the same arguments always give the same library.

        ``legacy`` adds three sections on Plex's legacy agents (see
        :data:`LEGACY_SECTIONS`) after everything else, so the other sections'
        items and keys are the same with or without them.
        """
        lib = cls(seed)
        rng = random.Random(seed)
        ns = uuid.UUID(int=seed & ((1 << 128) - 1))
        lib.sections = [
            DemoSection(
                1,
                "Music",
                "artist",
                str(uuid.uuid5(ns, "music")),
                lib.media_root,
                "tv.plex.agents.music",
                "Plex Music",
            ),
            DemoSection(
                2,
                "Movies",
                "movie",
                str(uuid.uuid5(ns, "movies")),
                lib.movies_root,
                "tv.plex.agents.movie",
                "Plex Movie",
            ),
            DemoSection(
                3,
                "TV Shows",
                "show",
                str(uuid.uuid5(ns, "shows")),
                lib.shows_root,
                "tv.plex.agents.series",
                "Plex TV Series",
            ),
        ]
        _MusicGenerator(lib, rng).run(tracks)
        _VideoGenerator(lib, rng).run(movies, shows)
        if legacy:
            _LegacyGenerator(lib, random.Random(seed * 7_919 + 4_099), ns).run()
        return lib

    def _new_item(
        self, kind: str, section_id: int, title: str, added_at: int, **kw: object
    ) -> DemoItem:
        key = self._next_key
        self._next_key += 1
        item = DemoItem(key, kind, section_id, title, added_at, added_at, **kw)  # type: ignore[arg-type]
        item.guid = f"plex://{kind}/{key:024x}"
        self.items[key] = item
        self._by_type.setdefault((section_id, kind), []).append(key)
        if item.parent_key is not None:
            self.items[item.parent_key].children.append(key)
        return item

    def _new_part_id(self) -> int:
        pid = self._next_part
        self._next_part += 1
        return pid

    # ----------------------------------------------------------------- queries
    def section(self, section_id: int) -> DemoSection | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def keys_of(self, section_id: int, kind: str) -> list[int]:
        """Keys of one type in one section, in library order (a copy)."""
        with self.lock:
            return list(self._by_type.get((section_id, kind), ()))

    def tracks(self) -> Iterator[DemoItem]:
        for key in self.keys_of(1, "track"):
            yield self.items[key]

    def leaves(self, key: int) -> list[DemoItem]:
        """All playable descendants (tracks of an artist, episodes of a show)."""
        item = self.items[key]
        if item.is_leaf:
            return [item]
        out: list[DemoItem] = []
        for child in item.children:
            out.extend(self.leaves(child))
        return out

    def rating(self, key: int, user: int | None = None) -> float | None:
        """The owner's rating of ``key`` (or Home member ``user``'s)."""
        if user is None:
            return self.items[key].user_rating
        if key not in self.items:
            raise KeyError(key)
        return self._member(user).get(key, NO_STATE).user_rating

    def states_of(self, user: int | None) -> dict[int, UserState] | None:
        """A member's per-item values (None for the owner, whose values are the items')."""
        if user is None:
            return None
        return self._member(user)

    def _member(self, user: int) -> dict[int, UserState]:
        with self.lock:
            states = self.member_states.get(user)
            if states is None:
                factory = self.member_factory
                states = self.member_states[user] = factory(user) if factory else {}
            return states

    def _state(self, key: int, user: int | None) -> DemoItem | UserState:
        """Where ``user``'s values of ``key`` are written (created for a member)."""
        item = self.items[key]
        if user is None:
            return item
        states = self._member(user)
        state = states.get(key)
        if state is None:
            state = states[key] = UserState()
        return state

    # ----------------------------------------------------------------- mutations
    def set_rating(
        self, key: int, value: float | None, when: int | None = None, user: int | None = None
    ) -> None:
        """Rate like ``/:/rate`` does: one decimal, None clears, stamps lastRatedAt.

        ``user`` is a Home member's id: the rating is theirs, the owner's stays.
        """
        with self.lock:
            state = self._state(key, user)
            if value is None or value < 0:
                state.user_rating = None
            else:
                state.user_rating = round(min(float(value), 10.0), 1)
            state.last_rated_at = self.now() if when is None else when

    def scrobble(self, key: int, played: bool = True, user: int | None = None) -> None:
        """Mark played/unplayed; on a container Plex applies it to every leaf below."""
        now = self.now()
        with self.lock:
            for leaf in self.leaves(key):
                state = self._state(leaf.key, user)
                if played:
                    state.view_count += 1
                    state.last_viewed_at = now
                else:
                    state.view_count = 0
                    state.last_viewed_at = None

    def add_track(self, album_key: int, title: str, duration_ms: int) -> int:
        """A track newly added to an album (addedAt = now), as a scan would."""
        with self.lock:
            album = self.items[album_key]
            if album.kind != "album":
                raise ValueError(f"{album_key} is not an album")
            artist = self.items[album.parent_key] if album.parent_key else None
            index = len(album.children) + 1
            ext = "mp3"
            if album.children:
                first = self.items[album.children[0]]
                if first.file:
                    ext = first.file.rsplit(".", 1)[-1]
            now = self.now()
            path = _track_path(
                self.media_root,
                artist.title if artist else "Unknown",
                album.title,
                index,
                title,
                ext,
            )
            track = self._new_item(
                "track",
                album.section_id,
                title,
                now,
                parent_key=album_key,
                grandparent_key=album.parent_key,
                index=index,
                parent_index=1,
                year=album.year,
                duration=duration_ms,
                file=path,
                size=_audio_size(ext, duration_ms),
                container=CONTAINERS[ext][0],
            )
            return track.key

    def edit(
        self, section_id: int, kind: str, ids: Iterable[int] | None, params: dict[str, str]
    ) -> int:
        """The multi-edit (``PUT /library/sections/{id}/all``); ids None = EVERY item of kind.

        Returns how many items changed hands. Supports userRating.value, title.value,
        *.locked, tag adds (``mood[0].tag.tag``) and removals (``mood[].tag.tag-``).
        """
        with self.lock:
            if ids is None:
                keys = list(self._by_type.get((section_id, kind), ()))
                self.log.append(
                    f"multi-edit WITHOUT id= on section {section_id} type {kind}: {len(keys)} items"
                )
            else:
                keys = [k for k in ids if k in self.items]
            now = self.now()
            for key in keys:
                item = self.items[key]
                _apply_edit(item, params, now)
            if params.get("title.value"):
                self.invalidate_xml()
            return len(keys)

    def invalidate_xml(self) -> None:
        """Forget cached XML fragments (after a title change, which children repeat)."""
        with self.lock:
            self.xml_parent_cache.clear()
            for item in self.items.values():
                item.xml_cache = None


# ----------------------------------------------------------------------------- helpers
_TAG_FIELDS = {"mood": "moods", "label": "labels", "genre": "genres"}


def _apply_edit(item: DemoItem, params: dict[str, str], now: int) -> None:
    for name, value in params.items():
        if name.endswith(".locked"):
            fieldname = name[: -len(".locked")]
            if value in ("1", "true"):
                item.locked.add(fieldname)
            else:
                item.locked.discard(fieldname)
        elif name == "userRating.value":
            if value in ("", "-1"):
                item.user_rating = None
            else:
                item.user_rating = round(min(max(float(value), 0.0), 10.0), 1)
            # Whether Plex stamps lastRatedAt on this edit path is unverified; we do.
            item.last_rated_at = now
        elif name == "title.value" and value:
            item.title = value
        elif "[" in name and name.endswith(".tag.tag"):
            attr = _TAG_FIELDS.get(name.split("[", 1)[0])
            if attr:
                tags: list[str] = getattr(item, attr)
                if value not in tags:
                    tags.append(value)
        elif "[]" in name and name.endswith(".tag.tag-"):
            attr = _TAG_FIELDS.get(name.split("[", 1)[0])
            if attr:
                from urllib.parse import unquote

                drop = {unquote(v) for v in value.split(",")}
                setattr(item, attr, [t for t in getattr(item, attr) if t not in drop])
    item.updated_at = now


def _safe(name: str) -> str:
    """A file-system safe path component (what a tagger would have written)."""
    return "".join("_" if c in '/\\:*?"<>|' else c for c in name).strip(" .") or "_"


def _track_path(root: str, artist: str, album: str, index: int, title: str, ext: str) -> str:
    return f"{root}/{_safe(artist)}/{_safe(album)}/{index:02d} - {_safe(title)}.{ext}"


def _audio_size(ext: str, duration_ms: int) -> int:
    return CONTAINERS[ext][2] * 125 * duration_ms // 1000 + 4096


def _fill(pattern: str, rng: random.Random) -> str:
    return pattern.format(
        adj=rng.choice(names.ADJECTIVES),
        noun=rng.choice(names.NOUNS),
        noun2=rng.choice(names.NOUNS),
        first=rng.choice(names.FIRST_NAMES),
        first2=rng.choice(names.FIRST_NAMES),
        last=rng.choice(names.LAST_NAMES),
    )


def _unique(patterns: list[str] | tuple[str, ...], seen: set[str], rng: random.Random) -> str:
    """A title not in ``seen``; once the patterns run dry, a numbered one (never loops forever)."""
    for _ in range(50):
        title = _fill(rng.choice(patterns), rng)
        if title not in seen:
            return title
    n = len(seen)
    while f"{title} {n}" in seen:
        n += 1
    return f"{title} {n}"


def _clip(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


#: The demo user's taste (Plex units): a hidden quality per artist (drawn in ``run``), per
#: album around it, per song around that; a rating is the song's quality plus a little noise,
#: so copies of one song land close together. Filler sits lower; critics follow album quality
#: on their own scale. Inference should recover this, and the backtest measures how well.
ARTIST_SPREAD = 1.6
ALBUM_SPREAD = 1.0
SONG_SPREAD = 0.8
RATING_NOISE = 0.6
FILLER_OFFSET = -2.0
CRITIC_SHIFT, CRITIC_SCALE, CRITIC_NOISE = 2.0, 0.75, 0.9


@dataclass(slots=True)
class _Song:
    """A song as an artist owns it, to be repeated on compilations and live albums."""

    title: str
    duration: int
    artist: str
    quality: float


class _MusicGenerator:
    """Artists with studio albums, live albums, greatest hits and Various Artists compilations."""

    def __init__(self, lib: DemoLibrary, rng: random.Random) -> None:
        self.lib = lib
        self.rng = rng
        self.count = 0
        self.artist_names: set[str] = set()
        self.pool: list[_Song] = []  # songs for Various Artists compilations
        self.va_key: int | None = None
        self.album_no = 0
        # The latent song effects draw from their own stream, so titles, durations and which
        # items are rated stay as the seed always made them.
        self.taste = random.Random(lib.seed * 1_000_003 + 7)

    def run(self, target: int) -> None:
        rng = self.rng
        while self.count < target:
            artist = self._artist()
            quality = 6.5 + ARTIST_SPREAD * rng.gauss(0, 1.0)
            songs: list[_Song] = []
            used: set[str] = set()
            for _ in range(rng.choice((1, 1, 2, 2, 3, 3, 4, 5))):
                if self.count >= target:
                    break
                songs.extend(self._studio_album(artist, quality, used))
            real = [s for s in songs if s.duration >= 90_000]
            if self.count < target and len(real) >= 6 and rng.random() < 0.25:
                self._live_album(artist, quality, real)
            if self.count < target and len(real) >= 12 and rng.random() < 0.35:
                self._greatest_hits(artist, quality, real)
            self.pool.extend(real)
            if self.count < target and len(self.pool) >= 40 and rng.random() < 0.12:
                self._various_artists()
            if rng.random() < 0.1:
                self.lib.set_rating(artist.key, float(round(_clip(quality, 1, 10))), self._ts())

    # -- pieces
    def _ts(self, spread_years: float = 6.0) -> int:
        return BASE_TIME - int(self.rng.random() * spread_years * YEAR_SECONDS)

    def _artist(self) -> DemoItem:
        rng = self.rng
        name = _fill(rng.choice(names.ARTIST_PATTERNS), rng)
        while name in self.artist_names or name == "Various Artists":
            name = _fill(rng.choice(names.ARTIST_PATTERNS), rng) + f" {len(self.artist_names)}"
        self.artist_names.add(name)
        genre = rng.choice(names.GENRES)
        return self.lib._new_item("artist", 1, name, self._ts(), genres=[genre])

    def _album(
        self, artist: DemoItem, title: str, year: int, quality: float, ext: str | None = None
    ) -> DemoItem:
        rng = self.rng
        self.album_no += 1
        added = self._ts()
        album = self.lib._new_item(
            "album",
            1,
            title,
            added,
            parent_key=artist.key,
            year=year,
            genres=list(artist.genres),
            studio=f"{rng.choice(names.NOUNS)} Records",
        )
        if rng.random() < 0.5:
            critic = CRITIC_SHIFT + CRITIC_SCALE * quality + CRITIC_NOISE * rng.gauss(0, 1.0)
            album.rating = round(_clip(critic, 0, 10), 1)
            album.audience_rating = round(_clip(quality + rng.gauss(0, 1.0), 0, 10), 1)
        if rng.random() < 0.12:
            album.user_rating = float(round(_clip(quality + rng.gauss(0, 1), 1, 10)))
            album.last_rated_at = added + 86_400
        album.container = ext or _pick_ext(rng)
        return album

    def _track(
        self,
        album: DemoItem,
        artist: DemoItem,
        index: int,
        title: str,
        duration: int,
        quality: float,
        original: str | None = None,
        rated_share: float = 0.3,
    ) -> DemoItem:
        rng = self.rng
        ext = album.container or "mp3"
        track = self.lib._new_item(
            "track",
            1,
            title,
            album.added_at,
            parent_key=album.key,
            grandparent_key=artist.key,
            index=index,
            parent_index=1,
            year=album.year,
            duration=duration,
            original_title=original,
            file=_track_path(self.lib.media_root, artist.title, album.title, index, title, ext),
            size=_audio_size(ext, duration),
            container=CONTAINERS[ext][0],
        )
        if rng.random() < rated_share:
            noise = RATING_NOISE * rng.gauss(0, 1.0)
            track.user_rating = float(round(_clip(quality + noise, 1, 10)))
            track.last_rated_at = album.added_at + rng.randrange(86_400, 200 * 86_400)
        if rng.random() < 0.6:
            track.view_count = rng.randrange(1, 40)
            track.last_viewed_at = album.added_at + rng.randrange(3_600, 300 * 86_400)
        if rng.random() < 0.2:
            track.skip_count = rng.randrange(1, 6)
        if rng.random() < 0.1:
            track.moods.append(rng.choice(names.MOODS))
        self.count += 1
        return track

    def _song_title(self, used: set[str]) -> str:
        rng = self.rng
        for _ in range(20):
            title = _fill(rng.choice(names.SONG_PATTERNS), rng)
            if title not in used:
                break
        else:
            title = f"{title} {len(used)}"
        used.add(title)
        return title

    def _studio_album(self, artist: DemoItem, quality: float, used: set[str]) -> list[_Song]:
        rng = self.rng
        title = _fill(rng.choice(names.ALBUM_PATTERNS), rng)
        if any(self.lib.items[k].title == title for k in artist.children):
            title = f"{title} II"
        album_q = quality + ALBUM_SPREAD * rng.gauss(0, 1.0)
        album = self._album(artist, title, rng.randrange(1968, 2024), album_q)
        n = rng.randrange(8, 16)
        songs: list[_Song] = []
        filler_at = set()
        if rng.random() < 0.3:
            filler_at.add(1)
        if rng.random() < 0.15:
            filler_at.add(n)
        if n > 9 and rng.random() < 0.2:
            filler_at.add(n // 2)
        for i in range(1, n + 1):
            if i in filler_at:
                kind = "Intro" if i == 1 else "Outro" if i == n else rng.choice(names.FILLERS[2:])
                low = album_q + FILLER_OFFSET + self.taste.gauss(0, 0.5)
                self._track(
                    album, artist, i, kind, rng.randrange(15_000, 78_000), low, rated_share=0.1
                )
                continue
            song_q = album_q + self.taste.gauss(0, SONG_SPREAD)
            song = _Song(
                self._song_title(used), rng.randrange(150_000, 420_000), artist.title, song_q
            )
            self._track(album, artist, i, song.title, song.duration, song_q)
            songs.append(song)
        return songs

    def _live_album(self, artist: DemoItem, quality: float, songs: list[_Song]) -> None:
        rng = self.rng
        album = self._album(
            artist, f"Live at {rng.choice(names.VENUES)}", rng.randrange(1975, 2024), quality - 0.3
        )
        picked = rng.sample(songs, min(len(songs), rng.randrange(8, 14)))
        for i, song in enumerate(picked, 1):
            live = song.duration + rng.randrange(10_000, 90_000)
            self._track(album, artist, i, f"{song.title} (Live)", live, song.quality - 0.3)

    def _greatest_hits(self, artist: DemoItem, quality: float, songs: list[_Song]) -> None:
        rng = self.rng
        album = self._album(artist, "Greatest Hits", rng.randrange(1990, 2024), quality + 0.5)
        picked = rng.sample(songs, min(len(songs), rng.randrange(10, 16)))
        for i, song in enumerate(picked, 1):
            twin = song.duration + rng.randrange(-2_000, 2_001)
            self._track(album, artist, i, song.title, twin, song.quality)

    def _various_artists(self) -> None:
        rng = self.rng
        if self.va_key is None:
            va = self.lib._new_item("artist", 1, "Various Artists", self._ts())
            self.va_key = va.key
        va = self.lib.items[self.va_key]
        n_va = len(va.children) + 1
        title = f"{rng.choice(names.ADJECTIVES)} Hits Vol. {n_va}"
        album = self._album(va, title, rng.randrange(1990, 2024), 6.5)
        picked = rng.sample(self.pool, rng.randrange(12, 16))
        for i, song in enumerate(picked, 1):
            twin = song.duration + rng.randrange(-2_000, 2_001)
            self._track(album, va, i, song.title, twin, song.quality, original=song.artist)


def _pick_ext(rng: random.Random) -> str:
    x = rng.random()
    for ext, share in AUDIO_EXTENSIONS:
        if x < share:
            return ext
        x -= share
    return AUDIO_EXTENSIONS[0][0]


class _VideoGenerator:
    """Movies and shows with imdb/tmdb/tvdb Guids, a remake and a movie/show title clash."""

    def __init__(self, lib: DemoLibrary, rng: random.Random) -> None:
        self.lib = lib
        self.rng = rng
        self.imdb_used: set[int] = set()

    def _imdb(self) -> str:
        while True:
            n = self.rng.randrange(100_000, 9_999_999)
            if n not in self.imdb_used:
                self.imdb_used.add(n)
                return f"imdb://tt{n:07d}"

    def _ts(self) -> int:
        return BASE_TIME - int(self.rng.random() * 4 * YEAR_SECONDS)

    def run(self, movies: int, shows: int) -> None:
        rng = self.rng
        titles: list[str] = []
        seen: set[str] = set()
        for i in range(movies):
            if i == 7 and titles:
                title = titles[0]  # a remake: same title, another year
            else:
                title = _unique(names.MOVIE_PATTERNS, seen, rng)
            seen.add(title)
            titles.append(title)
            year = rng.randrange(1955, 2024)
            if i == 7:
                first_year = self.lib.items[self.lib.keys_of(2, "movie")[0]].year or 1970
                year = min(first_year + 25, 2023) if first_year < 1999 else first_year - 25
            added = self._ts()
            movie = self.lib._new_item(
                "movie",
                2,
                title,
                added,
                year=year,
                duration=rng.randrange(80, 170) * 60_000,
                rating=round(rng.uniform(3.0, 9.5), 1),
                audience_rating=round(rng.uniform(3.0, 9.5), 1),
                guids=[
                    self._imdb(),
                    f"tmdb://{rng.randrange(10, 999_999)}",
                    f"tvdb://{rng.randrange(10, 399_999)}",
                ],
                genres=[rng.choice(names.MOVIE_GENRES)],
                studio=f"{rng.choice(names.ADJECTIVES)} Pictures",
                file=f"{self.lib.movies_root}/{_safe(title)} ({year})/{_safe(title)} ({year}).mkv",
                container="mkv",
            )
            movie.size = (movie.duration or 0) * 500
            if rng.random() < 0.4:
                movie.user_rating = float(rng.randrange(2, 11))
                movie.last_rated_at = added + rng.randrange(3_600, 100 * 86_400)
            if rng.random() < 0.5:
                movie.view_count = rng.randrange(1, 4)
                movie.last_viewed_at = added + rng.randrange(3_600, 100 * 86_400)
        for s in range(shows):
            if s == 0 and titles:
                title = titles[1 % len(titles)]  # a show sharing a movie's title
            else:
                title = _unique(names.SHOW_PATTERNS, seen, rng)
            seen.add(title)
            self._show(title)

    def _episode(
        self, title: str, show: DemoItem, season: DemoItem, sn: int, en: int, year: int, added: int
    ) -> None:
        """Episode ``en`` of season ``sn``: its file, and sometimes a rating and a view."""
        rng = self.rng
        lib = self.lib
        ep_title = _fill(rng.choice(names.EPISODE_PATTERNS), rng)
        ep = lib._new_item(
            "episode",
            3,
            ep_title,
            added + sn * 1000 + en,
            parent_key=season.key,
            grandparent_key=show.key,
            index=en,
            parent_index=sn,
            year=year + sn - 1,
            duration=rng.randrange(22, 60) * 60_000,
            rating=round(rng.uniform(5.0, 9.8), 1),
            guids=[self._imdb(), f"tvdb://{rng.randrange(1_000_000, 9_999_999)}"],
            file=(
                f"{lib.shows_root}/{_safe(title)}/Season {sn:02d}/"
                f"{_safe(title)} - S{sn:02d}E{en:02d} - {_safe(ep_title)}.mkv"
            ),
            container="mkv",
        )
        ep.size = (ep.duration or 0) * 400
        if rng.random() < 0.3:
            ep.user_rating = float(rng.randrange(3, 11))
            ep.last_rated_at = ep.added_at + 86_400
        if rng.random() < 0.5:
            ep.view_count = 1
            ep.last_viewed_at = ep.added_at + 7 * 86_400

    def _show(self, title: str) -> None:
        rng = self.rng
        lib = self.lib
        year = rng.randrange(1990, 2022)
        added = self._ts()
        show = lib._new_item(
            "show",
            3,
            title,
            added,
            year=year,
            rating=round(rng.uniform(5.0, 9.5), 1),
            audience_rating=round(rng.uniform(5.0, 9.5), 1),
            guids=[
                self._imdb(),
                f"tmdb://{rng.randrange(10, 299_999)}",
                f"tvdb://{rng.randrange(70_000, 450_000)}",
            ],
            genres=[rng.choice(names.MOVIE_GENRES)],
            studio=f"{rng.choice(names.NOUNS)} Television",
        )
        if rng.random() < 0.5:
            show.user_rating = float(rng.randrange(4, 11))
            show.last_rated_at = added + 86_400
        for sn in range(1, rng.randrange(2, 5)):
            season = lib._new_item(
                "season",
                3,
                f"Season {sn}",
                added,
                parent_key=show.key,
                index=sn,
                year=year + sn - 1,
            )
            for en in range(1, rng.randrange(6, 11)):
                self._episode(title, show, season, sn, en, year, added)


# ----------------------------------------------------------------------------- legacy agents
#: Sections ``generate(legacy=True)`` adds: (id, title, type, agent, scanner).
LEGACY_SECTIONS: tuple[tuple[int, str, str, str, str], ...] = (
    (4, "Legacy Movies", "movie", "com.plexapp.agents.imdb", "Plex Movie Scanner"),
    (5, "Legacy TV Shows", "show", "com.plexapp.agents.thetvdb", "Plex Series Scanner"),
    (6, "Mixed TV Shows", "show", "tv.plex.agents.series", "Plex TV Series"),
)
LEGACY_LANG = "?lang=en"


class _LegacyGenerator:
    """Libraries as long-lived servers have them: items matched by the legacy agents
    carry their id only in the ``guid`` attribute (no <Guid> children); a mixed library
    holds both kinds, as after switching agents without refreshing everything."""

    def __init__(self, lib: DemoLibrary, rng: random.Random, ns: uuid.UUID) -> None:
        self.lib = lib
        self.rng = rng
        self.ns = ns
        self.used: set[str] = {it.title for it in lib.items.values()}
        self.numbers: set[int] = set()

    def _number(self, low: int, high: int) -> int:
        while True:
            n = self.rng.randrange(low, high)
            if n not in self.numbers:
                self.numbers.add(n)
                return n

    def _ts(self) -> int:
        return BASE_TIME - int(self.rng.random() * 3 * YEAR_SECONDS)

    def run(self) -> None:
        for sid, title, kind, agent, scanner in LEGACY_SECTIONS:
            root = self.lib.movies_root if kind == "movie" else self.lib.shows_root
            self.lib.sections.append(
                DemoSection(
                    sid,
                    title,
                    kind,
                    str(uuid.uuid5(self.ns, title)),
                    f"{root}-{title.split()[0].lower()}",
                    agent,
                    scanner,
                )
            )
        self._movies(4)
        for _ in range(3):
            self._show(5, "thetvdb")
        for how in ("plex", "thetvdb", "plex", "hama"):
            self._show(6, how)

    def _movies(self, sid: int) -> None:
        rng = self.rng
        for i in range(10):
            title = _unique(names.MOVIE_PATTERNS, self.used, rng)
            self.used.add(title)
            year = rng.randrange(1960, 2016)
            movie = self.lib._new_item(
                "movie",
                sid,
                title,
                self._ts(),
                year=year,
                duration=rng.randrange(80, 160) * 60_000,
                file=f"{self.lib.movies_root}-legacy/{_safe(title)} ({year})/{_safe(title)}.mkv",
                container="mkv",
            )
            if i == 8:  # never matched: the "none" agent's hash
                movie.guid = (
                    f"com.plexapp.agents.none://{uuid.uuid5(self.ns, title).hex}{LEGACY_LANG}"
                )
            elif i == 9:  # a local-media item
                movie.guid = f"local://{movie.key}"
            else:
                imdb = f"tt{self._number(100_000, 9_999_999):07d}"
                movie.guid = f"com.plexapp.agents.imdb://{imdb}{LEGACY_LANG}"
                movie.agent_ids = {"imdb": imdb}
            if rng.random() < 0.4:
                movie.user_rating = float(rng.randrange(2, 11))
                movie.last_rated_at = movie.added_at + 86_400
            movie.size = (movie.duration or 0) * 500

    def _episode(
        self, sid: int, how: str, show: DemoItem, season: DemoItem, sn: int, en: int, tvdb: str
    ) -> None:
        """Episode ``en`` of season ``sn``, with the ids its agent gives it."""
        rng, lib = self.rng, self.lib
        title, year = show.title, show.year or 0
        ep_title = _fill(rng.choice(names.EPISODE_PATTERNS), rng)
        ep = lib._new_item(
            "episode",
            sid,
            ep_title,
            show.added_at + sn * 1000 + en,
            parent_key=season.key,
            grandparent_key=show.key,
            index=en,
            parent_index=sn,
            year=year + sn - 1,
            duration=rng.randrange(22, 60) * 60_000,
            file=(
                f"{lib.shows_root}-{sid}/{_safe(title)}/Season {sn:02d}/"
                f"{_safe(title)} - S{sn:02d}E{en:02d}.mkv"
            ),
            container="mkv",
        )
        ep.size = (ep.duration or 0) * 400
        if how == "plex":
            ep.guids = [
                f"imdb://tt{self._number(100_000, 9_999_999):07d}",
                f"tvdb://{self._number(1_000_000, 9_999_999)}",
            ]
        elif how == "thetvdb":
            ep.guid = f"com.plexapp.agents.thetvdb://{tvdb}/{sn}/{en}{LEGACY_LANG}"
            ep.agent_ids = {"show_tvdb": tvdb}
        else:
            anidb = show.agent_ids["anidb"]
            ep.guid = f"com.plexapp.agents.hama://anidb-{anidb}/{sn}/{en}{LEGACY_LANG}"
        if rng.random() < 0.3:
            ep.user_rating = float(rng.randrange(3, 11))
            ep.last_rated_at = ep.added_at + 86_400

    def _show(self, sid: int, how: str) -> None:
        """``how``: ``plex`` (new agent, Guid children), ``thetvdb`` or ``hama`` (legacy)."""
        rng, lib = self.rng, self.lib
        title = _unique(names.SHOW_PATTERNS, self.used, rng)
        self.used.add(title)
        year = rng.randrange(1995, 2020)
        show = lib._new_item("show", sid, title, self._ts(), year=year)
        tvdb = str(self._number(70_000, 450_000))
        if how == "plex":
            show.guids = [
                f"imdb://tt{self._number(100_000, 9_999_999):07d}",
                f"tmdb://{self._number(10, 299_999)}",
                f"tvdb://{tvdb}",
            ]
        elif how == "thetvdb":
            show.guid = f"com.plexapp.agents.thetvdb://{tvdb}{LEGACY_LANG}"
            show.agent_ids = {"tvdb": tvdb}
        else:
            anidb = str(self._number(1, 19_999))
            show.guid = f"com.plexapp.agents.hama://anidb-{anidb}{LEGACY_LANG}"
            show.agent_ids = {"anidb": anidb}
        for sn in (1, 2):
            season = lib._new_item(
                "season", sid, f"Season {sn}", show.added_at, parent_key=show.key, index=sn
            )
            if how == "thetvdb":
                season.guid = f"com.plexapp.agents.thetvdb://{tvdb}/{sn}{LEGACY_LANG}"
                season.agent_ids = {"show_tvdb": tvdb}
            for en in range(1, 5):
                self._episode(sid, how, show, season, sn, en, tvdb)
