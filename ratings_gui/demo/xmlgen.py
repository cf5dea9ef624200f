"""XML for the demo server, shaped like real Plex responses, built as strings for speed.

A 2,000-track page must serialize in a few milliseconds, so each item keeps
the unchanging part of its element (titles, keys, Media/Part) as a cached
string and only the mutable attributes (ratings, play counts, tags) are
formatted per request. ElementTree would be 10x slower here.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from ratings_gui.demo.library import (
    CONTAINERS,
    NO_STATE,
    DemoItem,
    DemoLibrary,
    DemoSection,
    UserState,
)

XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'

_TAGS = {
    "track": "Track",
    "movie": "Video",
    "episode": "Video",
    "artist": "Directory",
    "album": "Directory",
    "show": "Directory",
    "season": "Directory",
}


def q(value: object) -> str:
    """Attribute-safe text (quotes included in the escape set)."""
    return escape(str(value), quote=True)


def attrs(**kw: object) -> str:
    """` a="1" b="x"` for the non-None values, in the given order."""
    return "".join(
        f' {k}="{escape(v, quote=True) if isinstance(v, str) else v}"'
        for k, v in kw.items()
        if v is not None
    )


def container(body: str, **kw: object) -> bytes:
    """A complete ``<MediaContainer>`` document."""
    return (XML_HEADER + f"<MediaContainer{attrs(**kw)}>{body}</MediaContainer>\n").encode()


def error(status: int, message: str) -> bytes:
    """Plex answers errors with a small XML document too."""
    return (XML_HEADER + f'<Response code="{status}" status="{q(message)}"/>\n').encode()


def section_directory(lib: DemoLibrary, section: DemoSection) -> str:
    return (
        "<Directory"
        + attrs(
            allowSync=1,
            art=f"/:/resources/{section.type}-fanart.jpg",
            composite=f"/library/sections/{section.id}/composite/{1_700_000_000}",
            filters=1,
            refreshing=0,
            thumb=f"/:/resources/{section.type}.png",
            key=section.id,
            type=section.type,
            title=section.title,
            agent=section.agent,
            scanner=section.scanner,
            language="en-US",
            uuid=section.uuid,
            updatedAt=1_700_000_000,
            createdAt=1_600_000_000,
            scannedAt=1_700_000_000,
            content=1,
            directory=1,
            contentChangedAt=1_700_000_000,
            hidden=0,
        )
        + f'><Location id="{section.id}" path="{q(section.location)}"/></Directory>'
    )


def _static(lib: DemoLibrary, item: DemoItem) -> tuple[str, str]:
    """(opening attributes, Media block) that only change if the title changes."""
    if item.xml_cache is not None:
        head, _, media = item.xml_cache.partition("\x00")
        return head, media
    section = lib.section(item.section_id)
    stitle = section.title if section else ""
    parent = lib.items.get(item.parent_key) if item.parent_key else None
    grand = lib.items.get(item.grandparent_key) if item.grandparent_key else None
    if item.kind == "track":
        assert parent is not None and grand is not None
        head, media = _track_static(lib, item, parent, grand, stitle)
    else:
        key = f"/library/metadata/{item.key}"
        if item.kind in ("artist", "album", "show", "season"):
            key += "/children"
        common = dict(
            ratingKey=item.key,
            key=key,
            guid=item.guid,
            type=item.kind,
            title=item.title,
            librarySectionTitle=stitle,
            librarySectionID=item.section_id,
            librarySectionKey=f"/library/sections/{item.section_id}",
        )
        head = _HEADS.get(item.kind, _episode_head)(item, parent, grand, common)
        media = _video_media(item) if item.kind not in ("artist", "album", "show", "season") else ""
    item.xml_cache = head + "\x00" + media
    return head, media


def _lineage(parent: DemoItem, grand: DemoItem | None = None) -> dict[str, Any]:
    """The parent's (and grandparent's) keys, guids and titles, in Plex's attribute order."""
    out: dict[str, Any] = {}
    for name in ("RatingKey", "Guid", "Key", "Title"):
        for prefix, it in (("parent", parent), ("grandparent", grand)):
            if it is None:
                continue
            if name == "RatingKey":
                out[prefix + name] = it.key
            elif name == "Guid":
                out[prefix + name] = it.guid
            elif name == "Key":
                out[prefix + name] = f"/library/metadata/{it.key}"
            else:
                out[prefix + name] = it.title
    return out


def _thumb(item: DemoItem) -> str:
    return f"/library/metadata/{item.key}/thumb/{item.updated_at}"


def _track_static(
    lib: DemoLibrary, item: DemoItem, parent: DemoItem, grand: DemoItem, stitle: str
) -> tuple[str, str]:
    """The hot path (50,000-track snapshots): one f-string, escaping only free text; the
    album's and artist's part is built once per album."""
    shared = lib.xml_parent_cache.get(parent.key)
    if shared is None:
        shared = attrs(
            librarySectionTitle=stitle,
            librarySectionID=item.section_id,
            librarySectionKey=f"/library/sections/{item.section_id}",
            **_lineage(parent, grand),
            parentYear=parent.year,
            thumb=_thumb(parent),
            parentThumb=_thumb(parent),
            grandparentThumb=_thumb(grand),
        )
        lib.xml_parent_cache[parent.key] = shared
    original = f' originalTitle="{escape(item.original_title)}"' if item.original_title else ""
    k = item.key
    head = (
        f' ratingKey="{k}" key="/library/metadata/{k}" guid="{item.guid}" type="track"'
        f' title="{escape(item.title)}"{shared}{original} summary="" index="{item.index}"'
        f' parentIndex="{item.parent_index}" duration="{item.duration}" musicAnalysisVersion="1"'
    )
    ext = (item.file or "x.mp3").rsplit(".", 1)[-1]
    cont, codec, kbps = CONTAINERS.get(ext, ("mp3", "mp3", 320))
    media = (
        f'<Media id="{k}" duration="{item.duration}" bitrate="{kbps}" audioChannels="2"'
        f' audioCodec="{codec}" container="{cont}"><Part id="{k}"'
        f' key="/library/parts/{k}/{item.added_at}/file.{ext}" duration="{item.duration}"'
        f' file="{escape(item.file or "")}" size="{item.size}" container="{cont}"'
        ' hasThumbnail="0"/></Media>'
    )
    return head, media


_Parent = DemoItem | None


def _album_head(item: DemoItem, parent: _Parent, grand: _Parent, common: dict[str, Any]) -> str:
    assert parent is not None
    return attrs(
        **common,
        **_lineage(parent),
        studio=item.studio,
        summary="",
        index=1,
        year=item.year,
        originallyAvailableAt=f"{item.year}-01-01" if item.year else None,
        thumb=_thumb(item),
        parentThumb=_thumb(parent),
        loudnessAnalysisVersion=2,
    )


def _artist_head(item: DemoItem, parent: _Parent, grand: _Parent, common: dict[str, Any]) -> str:
    return attrs(**common, summary="", index=1, thumb=_thumb(item))


def _movie_head(item: DemoItem, parent: _Parent, grand: _Parent, common: dict[str, Any]) -> str:
    return attrs(
        **common,
        studio=item.studio,
        contentRating="PG-13",
        summary="",
        year=item.year,
        duration=item.duration,
        originallyAvailableAt=f"{item.year}-06-01" if item.year else None,
        thumb=_thumb(item),
    )


def _show_head(item: DemoItem, parent: _Parent, grand: _Parent, common: dict[str, Any]) -> str:
    return attrs(
        **common,
        studio=item.studio,
        contentRating="TV-14",
        summary="",
        index=1,
        year=item.year,
        originallyAvailableAt=f"{item.year}-09-01" if item.year else None,
        thumb=_thumb(item),
        childCount=len(item.children),
    )


def _season_head(item: DemoItem, parent: _Parent, grand: _Parent, common: dict[str, Any]) -> str:
    assert parent is not None
    return attrs(
        **common,
        **_lineage(parent),
        parentIndex=None,
        summary="",
        index=item.index,
        year=item.year,
        thumb=_thumb(item),
    )


def _episode_head(item: DemoItem, parent: _Parent, grand: _Parent, common: dict[str, Any]) -> str:
    assert parent is not None and grand is not None
    return attrs(
        **common,
        **_lineage(parent, grand),
        contentRating="TV-14",
        summary="",
        index=item.index,
        parentIndex=item.parent_index,
        year=item.year,
        duration=item.duration,
        originallyAvailableAt=f"{item.year}-10-{min(item.index or 1, 28):02d}",
        thumb=_thumb(item),
    )


#: The opening attributes of every kind but tracks (their own hot path) and episodes (the rest).
_HEADS = {
    "album": _album_head,
    "artist": _artist_head,
    "movie": _movie_head,
    "show": _show_head,
    "season": _season_head,
}


def _video_media(item: DemoItem) -> str:
    return (
        "<Media"
        + attrs(
            id=item.key,
            duration=item.duration,
            bitrate=4000,
            width=1920,
            height=1080,
            aspectRatio=1.78,
            audioChannels=6,
            audioCodec="eac3",
            videoCodec="h264",
            videoResolution="1080",
            container=item.container,
            videoFrameRate="24p",
        )
        + "><Part"
        + attrs(
            id=item.key,
            key=f"/library/parts/{item.key}/{item.added_at}/file.mkv",
            duration=item.duration,
            file=item.file,
            size=item.size,
            container=item.container,
        )
        + "/></Media>"
    )


def item_xml(
    lib: DemoLibrary,
    item: DemoItem,
    *,
    guids: bool,
    full: bool,
    states: dict[int, UserState] | None = None,
) -> str:
    """One element; ``full`` = the /library/metadata shape with tags and locked fields.

    ``states`` are a Home member's own ratings and plays (None: the owner's,
    which are the item's fields): Plex answers with the token's user's values.
    """
    head, media = _static(lib, item)
    tag = _TAGS[item.kind]
    mine: DemoItem | UserState = item if states is None else states.get(item.key, NO_STATE)
    dyn = []
    if item.rating is not None:
        dyn.append(f' rating="{item.rating}"')
    if item.audience_rating is not None:
        dyn.append(f' audienceRating="{item.audience_rating}"')
    if mine.user_rating is not None:
        dyn.append(f' userRating="{mine.user_rating:.1f}"')
    if mine.last_rated_at is not None:
        dyn.append(f' lastRatedAt="{mine.last_rated_at}"')
    if mine.view_count:
        dyn.append(f' viewCount="{mine.view_count}"')
    if mine.skip_count:
        dyn.append(f' skipCount="{mine.skip_count}"')
    if mine.last_viewed_at is not None:
        dyn.append(f' lastViewedAt="{mine.last_viewed_at}"')
    if item.kind in ("album", "artist", "show", "season"):
        leaves = lib.leaves(item.key)
        if states is None:
            viewed = sum(1 for x in leaves if x.view_count)
        else:
            viewed = sum(1 for x in leaves if states.get(x.key, NO_STATE).view_count)
        dyn.append(f' leafCount="{len(leaves)}"')
        dyn.append(f' viewedLeafCount="{viewed}"')
    dyn.append(f' addedAt="{item.added_at}" updatedAt="{item.updated_at}"')
    children = [media]
    if guids or full:
        children.extend(f'<Guid id="{q(g)}"/>' for g in item.guids)
    if full:
        children.extend(f'<Genre tag="{q(t)}"/>' for t in item.genres)
        children.extend(f'<Mood tag="{q(t)}"/>' for t in item.moods)
        children.extend(f'<Label tag="{q(t)}"/>' for t in item.labels)
        children.extend(f'<Field locked="1" name="{q(f)}"/>' for f in sorted(item.locked))
    elif item.genres and item.kind in ("movie", "show"):
        children.extend(f'<Genre tag="{q(t)}"/>' for t in item.genres[:2])
    inner = "".join(children)
    if inner:
        return f"<{tag}{head}{''.join(dyn)}>{inner}</{tag}>"
    return f"<{tag}{head}{''.join(dyn)}/>"


def items_xml(
    lib: DemoLibrary,
    items: Iterable[DemoItem],
    *,
    guids: bool,
    full: bool,
    states: dict[int, UserState] | None = None,
) -> str:
    return "".join(item_xml(lib, it, guids=guids, full=full, states=states) for it in items)
