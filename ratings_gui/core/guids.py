"""Ids from a Plex ``guid`` attribute, whichever agent wrote it (pure).

Items matched by Plex's legacy agents carry their id only in the ``guid``
attribute (no <Guid> children), in the agent's own shape. They are read into
the ids the new agents give (``imdb://tt…``, ``tmdb://N``, ``tvdb://N``), so
rows match by id whichever agent a library runs. A legacy episode or season
is named by its show's id and its numbers: ``tvdb://SHOW/SEASON/EPISODE``.
"""

from __future__ import annotations

import re

#: Legacy agent -> what its bare value is (``tt…`` is always IMDb, whatever the agent).
_LEGACY_AGENTS = {
    "com.plexapp.agents.imdb": "imdb",
    "com.plexapp.agents.themoviedb": "tmdb",
    "com.plexapp.agents.thetvdb": "tvdb",
    "com.plexapp.agents.thetvdbdvdorder": "tvdb",
    "com.plexapp.agents.xbmcnfo": "imdb",
    "com.plexapp.agents.xbmcnfotv": "tvdb",
    "com.plexapp.agents.hama": "hama",
    "com.plexapp.agents.lastfm": "lastfm",
    # the new agents' schemes, should a guid attribute ever use them
    "imdb": "imdb",
    "tmdb": "tmdb",
    "tvdb": "tvdb",
    # agent names written without their com.plexapp.agents. prefix
    "hama": "hama",
    "thetvdb": "tvdb",
    "themoviedb": "tmdb",
    "lastfm": "lastfm",
}
_GUID = re.compile(r"^(?P<agent>[A-Za-z][\w.+-]{0,80})://(?P<value>[^?#]*)")
_IMDB = re.compile(r"^tt\d{5,12}$")
_POSITION = re.compile(r"^\d{1,10}(?:/\d{1,5}){0,2}$")
#: HAMA ids: ``anidb-123``, ``tvdb-123`` (and its ``tvdb2``..``tvdb6`` numbering modes), ...
_HAMA = re.compile(
    r"^(?P<src>anidb|tvdb\d?|tmdb|tsdb|imdb)-(?P<id>tt\d{5,12}|\d{1,10})(?P<pos>(?:/\d{1,5}){0,2})$"
)
_PLEX = re.compile(r"^plex://(?:movie|show|season|episode|artist|album|track)/[0-9a-f]{6,40}$")
_LASTFM = re.compile(r"^[^\s/\x00-\x1f\x7f]{1,300}(?:/[^\s/\x00-\x1f\x7f]{1,300}){0,2}$")


def _numbered(scheme: str, value: str) -> str | None:
    """``12345/01/10`` -> ``tvdb://12345/1/10``: an id, then a season and an episode."""
    if not _POSITION.match(value):
        return None
    parts = [str(int(p)) for p in value.split("/")]
    if parts[0] == "0":
        return None  # no such id
    return f"{scheme}://{'/'.join(parts)}"


def ids_from_guid(guid: str) -> tuple[str, ...]:
    """The ids a ``guid`` attribute names, as ``scheme://value``; () when it names none.

    ``plex://…`` is kept as it is; ``com.plexapp.agents.none://``, ``local://`` and
    anything unknown or malformed give nothing, never a half-read id.
    """
    g = (guid or "").strip()
    if _PLEX.match(g):
        return (g,)
    m = _GUID.match(g)
    if not m:
        return ()
    kind = _LEGACY_AGENTS.get(m.group("agent").lower())
    value = m.group("value").strip().strip("/")
    if kind is None or not value:
        return ()
    head = value.split("/", 1)[0]
    if _IMDB.match(head):
        return (f"imdb://{head}",) if head == value else ()
    if kind == "hama":
        h = _HAMA.match(value)
        if not h:
            return ()
        src, pos = h.group("src"), h.group("pos")
        if h.group("id").startswith("tt"):
            return (f"imdb://{h.group('id')}",) if src == "imdb" and not pos else ()
        if src in ("anidb", "tvdb"):
            found = _numbered(src, h.group("id") + pos)
        elif (src.startswith("tvdb") or src == "tmdb") and not pos:
            # tvdb2..tvdb6 number episodes their own way: only a show's own id is read.
            found = _numbered(src[:4], h.group("id"))
        else:
            found = None
        return (found,) if found else ()
    if kind == "lastfm":
        return (f"lastfm://{value}",) if _LASTFM.match(value) else ()
    if kind == "imdb":
        return ()  # the IMDb agent's ids are tt… (handled above)
    found = _numbered(kind, value)
    return (found,) if found else ()
