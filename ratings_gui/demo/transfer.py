"""The same media as a second, fresh server would hold it: for testing backup and restore.

A user who moves to a new server, rebuilds a broken database or re-adds a
library gets every item again under new ratingKeys, with new ``local://``
guids (the old ``plex://`` ones only come back once the agent matches
again), often under another folder, and with no ratings and no watch
state. :func:`transferred_copy` builds exactly that from a demo library,
so a restore can be tested against a server where only the media agree.
"""

from __future__ import annotations

import dataclasses

from ratings_gui.demo.library import DemoItem, DemoLibrary, DemoSection

#: Where the copy keeps its media: another disk, another layout above the library folders.
NEW_ROOT = "/mnt/newdisk/media"


def _move(path: str | None, old: str, new: str) -> str | None:
    if path and (path == old or path.startswith(old.rstrip("/") + "/")):
        return new + path[len(old.rstrip("/")) :]
    return path


def transferred_copy(
    lib: DemoLibrary,
    *,
    key_offset: int = 100_000,
    root: str = NEW_ROOT,
    local_guids: bool = True,
    keep_ratings: bool = False,
) -> DemoLibrary:
    """A new library with the same media: keys shifted, new guids, another folder, no ratings.

    ``local_guids`` gives every item ``local://<new key>`` (as a fresh
    server before matching); else the ``plex://`` guids stay (a server
    whose agent matched the same metadata). External ids (``<Guid>``
    children: imdb, tmdb, tvdb) stay: they come from the agent or the files.
    """
    with lib.lock:
        out = DemoLibrary(lib.seed)
        roots = {
            lib.media_root: f"{root}/Music",
            lib.movies_root: f"{root}/Films",
            lib.shows_root: f"{root}/Series",
        }
        out.media_root = roots[lib.media_root]
        out.movies_root = roots[lib.movies_root]
        out.shows_root = roots[lib.shows_root]
        out.sections = [
            DemoSection(
                s.id, s.title, s.type, s.uuid, roots.get(s.location, s.location), s.agent, s.scanner
            )
            for s in lib.sections
        ]

        for key in sorted(lib.items):
            copy = _moved_item(lib.items[key], key_offset, roots, local_guids, keep_ratings)
            out.items[copy.key] = copy
        for (section_id, kind), keys in lib._by_type.items():
            out._by_type[(section_id, kind)] = [k + key_offset for k in keys]
        out._next_key = max(out.items, default=key_offset) + 1
        out._next_part = lib._next_part
        return out


def _moved_item(
    it: DemoItem, key_offset: int, roots: dict[str, str], local_guids: bool, keep_ratings: bool
) -> DemoItem:
    """One item on the new server: keys shifted, its file under the new folder, fresh state."""

    def shift(k: int | None) -> int | None:
        return None if k is None else k + key_offset

    new_key = it.key + key_offset
    file = it.file
    for old, new in roots.items():
        file = _move(file, old, new)
    return dataclasses.replace(
        it,
        key=new_key,
        parent_key=shift(it.parent_key),
        grandparent_key=shift(it.grandparent_key),
        children=[c + key_offset for c in it.children],
        guids=list(it.guids),
        guid=f"local://{new_key}" if local_guids else it.guid,
        file=file,
        moods=list(it.moods),
        labels=list(it.labels),
        genres=list(it.genres),
        locked=set(),
        user_rating=it.user_rating if keep_ratings else None,
        last_rated_at=it.last_rated_at if keep_ratings else None,
        view_count=it.view_count if keep_ratings else 0,
        last_viewed_at=it.last_viewed_at if keep_ratings else None,
        skip_count=0,
        xml_cache=None,
    )
