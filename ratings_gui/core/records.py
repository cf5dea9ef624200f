"""Plain records of a library snapshot: what every job plans from.

The snapshot layer turns Plex XML into these once; nothing downstream
touches plexapi objects, so planning is pure and fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

#: Plex item kinds per library type, parents before children.
KINDS_BY_SECTION = {
    "artist": ("artist", "album", "track"),
    "movie": ("movie",),
    "show": ("show", "season", "episode"),
}

#: Plex's numeric type ids, used in ``/all?type=N`` listings.
TYPE_IDS = {
    "movie": 1,
    "show": 2,
    "season": 3,
    "episode": 4,
    "artist": 8,
    "album": 9,
    "track": 10,
}


@dataclass(frozen=True, slots=True)
class Item:
    """One Plex item as the jobs need it; ratings on the Plex 0-10 scale."""

    key: int
    kind: str
    title: str
    parent_key: int | None = None
    grandparent_key: int | None = None
    parent_title: str = ""
    grandparent_title: str = ""
    original_title: str = ""
    year: int | None = None
    index: int | None = None
    parent_index: int | None = None
    duration: int | None = None
    user_rating: float | None = None
    critic_rating: float | None = None
    audience_rating: float | None = None
    last_rated_at: int | None = None
    added_at: int | None = None
    view_count: int = 0
    guids: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    #: Mood tags; only full metadata (``/library/metadata/k1,k2``) carries them.
    moods: tuple[str, ...] = ()
    #: The item's own ``guid`` attribute: ``plex://…`` (the same on every server),
    #: ``local://…`` (this server only) or a legacy agent's id.
    plex_guid: str = ""

    def has_mood(self, tag: str) -> bool:
        """Plex matches tag names without regard to case."""
        want = tag.casefold()
        return any(m.casefold() == want for m in self.moods)

    @property
    def label(self) -> str:
        """A human name: ``Artist - Album - Title`` for tracks, ``Title (Year)`` for films."""
        if self.kind == "track":
            parts = [p for p in (self.grandparent_title, self.parent_title, self.title) if p]
            return " - ".join(parts)
        if self.kind == "album":
            return f"{self.parent_title} - {self.title}" if self.parent_title else self.title
        if self.kind == "episode":
            se = ""
            if self.parent_index is not None and self.index is not None:
                se = f" S{self.parent_index:02d}E{self.index:02d}"
            return f"{self.grandparent_title}{se} - {self.title}"
        if self.kind == "season":
            return f"{self.parent_title} - {self.title}"
        return f"{self.title} ({self.year})" if self.year else self.title

    def guid(self, scheme: str) -> str | None:
        """The id for ``imdb``/``tmdb``/``tvdb``, without the ``scheme://`` prefix.

        A legacy episode's ``tvdb://SHOW/SEASON/EPISODE`` names its show, not itself:
        it is not the item's id.
        """
        prefix = f"{scheme}://"
        for g in self.guids:
            if g.startswith(prefix) and "/" not in g[len(prefix) :]:
                return g[len(prefix) :]
        return None


@dataclass
class Snapshot:
    """Everything one bulk read of a library returned."""

    server: str
    library: str
    section_id: int
    section_type: str
    items: dict[int, Item] = field(default_factory=dict)
    requests: int = 0
    #: Items the server sent with a malformed key or rating, skipped ("title: why").
    bad: list[str] = field(default_factory=list)

    def add(self, items: Iterable[Item]) -> None:
        for it in items:
            self.items[it.key] = it

    def of_kind(self, kind: str) -> list[Item]:
        return [it for it in self.items.values() if it.kind == kind]

    def children(self, key: int) -> list[Item]:
        return [it for it in self.items.values() if it.parent_key == key]

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for it in self.items.values():
            out[it.kind] = out.get(it.kind, 0) + 1
        return out
