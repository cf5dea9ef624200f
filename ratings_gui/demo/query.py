"""Listing filters, sorts and the ``includeMeta=1`` block, as far as the project and plexapi use them.

plexapi validates ``search(filters=..., sort=...)`` against the Meta block
of ``/library/sections/{id}/all?includeMeta=1`` before it sends anything, so
the block has to list each field, sort and operator that the server below
then honours. Unsupported parameters are ignored, as Plex does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from ratings_gui.demo.library import NO_STATE, TYPE_NUMBERS, DemoItem, DemoLibrary, UserState
from ratings_gui.demo.xmlgen import attrs

#: Parameters that are not filters.
CONTROL_PARAMS = frozenset(
    {
        "type",
        "sort",
        "includeGuids",
        "includeMeta",
        "includeAdvanced",
        "includeCollections",
        "includeExternalMedia",
        "limit",
        "push",
        "pop",
        "or",
        "and",
        "id",
        "excludeAllLeaves",
        "X-Plex-Container-Start",
        "X-Plex-Container-Size",
        "X-Plex-Token",
        "checkFiles",
        "includeFields",
        "includeChildren",
        "clusterZoomLevel",
        "index",
    }
)

#: field -> (field type, title)
FIELDS: dict[str, tuple[str, str]] = {
    "title": ("string", "Title"),
    "userRating": ("integer", "User Rating"),
    "rating": ("integer", "Critic Rating"),
    "addedAt": ("date", "Date Added"),
    "updatedAt": ("date", "Date Updated"),
    "lastRatedAt": ("date", "Last Rated"),
    "lastViewedAt": ("date", "Last Played"),
    "viewCount": ("integer", "Plays"),
    "skipCount": ("integer", "Skips"),
    "year": ("integer", "Year"),
    "duration": ("integer", "Duration"),
    "mood": ("tag", "Mood"),
    "genre": ("tag", "Genre"),
    "label": ("tag", "Label"),
    "unwatched": ("boolean", "Unplayed"),
}
SORTS: dict[str, tuple[str, str]] = {
    # key -> (title, default direction)
    "titleSort": ("Title", "asc"),
    "addedAt": ("Date Added", "desc"),
    "updatedAt": ("Date Updated", "desc"),
    "userRating": ("Rating", "desc"),
    "lastRatedAt": ("Last Rated", "desc"),
    "viewCount": ("Plays", "desc"),
    "lastViewedAt": ("Last Played", "desc"),
    "year": ("Year", "desc"),
    "rating": ("Critic Rating", "desc"),
    "duration": ("Duration", "desc"),
    "index": ("Track Number", "asc"),
    "random": ("Randomly", "asc"),
}
OPERATORS: dict[str, tuple[tuple[str, str], ...]] = {
    "integer": (("=", "is"), ("!=", "is not"), (">>=", "is greater than"), ("<<=", "is less than")),
    "string": (
        ("=", "contains"),
        ("!=", "does not contain"),
        ("==", "is"),
        ("!==", "is not"),
        ("<=", "begins with"),
        (">=", "ends with"),
    ),
    "date": (("<<=", "is before"), (">>=", "is after")),
    "boolean": (("=", "is true"), ("!=", "is false")),
    "tag": (("=", "is"), ("!=", "is not")),
}
TYPE_TITLES = {
    "artist": "Artists",
    "album": "Albums",
    "track": "Tracks",
    "movie": "Movies",
    "show": "Shows",
    "season": "Seasons",
    "episode": "Episodes",
}
SECTION_KINDS: dict[str, tuple[str, ...]] = {
    "artist": ("artist", "album", "track"),
    "movie": ("movie",),
    "show": ("show", "season", "episode"),
}
_HIERARCHY = {
    "album": "artist",
    "track": "album",
    "season": "show",
    "episode": "season",
}
_TAG_ATTR = {"mood": "moods", "genre": "genres", "label": "labels"}
#: Fields Plex keeps per user: a Home member's filters and sorts use their own values.
PER_USER = frozenset(
    {"userRating", "lastRatedAt", "lastViewedAt", "viewCount", "skipCount", "unwatched"}
)
_FILTER_RE = re.compile(r"^(?:([a-zA-Z]+)\.)?([a-zA-Z]+)([!<>=]*)$")
_REL_RE = re.compile(r"^-?(\d+)(mon|[smhdwy])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mon": 2_592_000, "y": 31_536_000}


def meta_block(lib: DemoLibrary, section_id: int, section_type: str, active: str) -> str:
    """The ``<Meta>`` element plexapi reads listFields/listSorts/listFilters from."""
    parts = ["<Meta>"]
    for kind in SECTION_KINDS[section_type]:
        num = TYPE_NUMBERS[kind]
        parts.append(
            "<Type"
            + attrs(
                key=f"/library/sections/{section_id}/all?type={num}",
                type=kind,
                title=TYPE_TITLES[kind],
                active=1 if kind == active else 0,
            )
            + ">"
        )
        for tag in ("mood", "genre", "label"):
            parts.append(
                "<Filter"
                + attrs(
                    filter=tag,
                    filterType="string",
                    key=f"/library/sections/{section_id}/{tag}?type={num}",
                    title=FIELDS[tag][1],
                    type="filter",
                )
                + "/>"
            )
        for key, (title, direction) in SORTS.items():
            parts.append(
                "<Sort"
                + attrs(
                    default=direction if key == "titleSort" else None,
                    active=1 if key == "titleSort" else None,
                    defaultDirection=direction,
                    descKey=f"{key}:desc",
                    firstCharacterKey=f"/library/sections/{section_id}/firstCharacter"
                    if key == "titleSort"
                    else None,
                    key=key,
                    title=title,
                )
                + "/>"
            )
        for key, (ftype, title) in FIELDS.items():
            parts.append("<Field" + attrs(key=f"{kind}.{key}", title=title, type=ftype) + "/>")
        parts.append("</Type>")
    for ftype, ops in OPERATORS.items():
        parts.append(f'<FieldType type="{ftype}">')
        parts.extend("<Operator" + attrs(key=k, title=t) + "/>" for k, t in ops)
        parts.append("</FieldType>")
    parts.append("</Meta>")
    return "".join(parts)


def collections_meta(section_id: int) -> str:
    """``/collections?includeMeta=1``: the demo has no collections but plexapi asks."""
    return (
        "<Meta>"
        + "<Type"
        + attrs(
            key=f"/library/sections/{section_id}/collections",
            type="collection",
            title="Collections",
            active=0,
        )
        + '><Sort default="asc" defaultDirection="asc" descKey="titleSort:desc" key="titleSort" title="Title"/>'
        + '<Field key="collection.title" title="Title" type="string"/></Type></Meta>'
    )


def related(lib: DemoLibrary, item: DemoItem, kind: str) -> list[DemoItem]:
    """Items of ``kind`` tied to ``item``: itself, its ancestor, or its descendants."""
    if item.kind == kind:
        return [item]
    # ancestor?
    cur: DemoItem | None = item
    while cur is not None and cur.parent_key is not None:
        cur = lib.items.get(cur.parent_key)
        if cur is not None and cur.kind == kind:
            return [cur]
    # descendants
    out: list[DemoItem] = []
    stack = list(item.children)
    while stack:
        child = lib.items[stack.pop()]
        if child.kind == kind:
            out.append(child)
        else:
            stack.extend(child.children)
    return out


def _value(item: DemoItem, name: str, states: dict[int, UserState] | None = None) -> object:
    if states is not None and name in PER_USER:
        return _value(states.get(item.key, NO_STATE), name)  # type: ignore[arg-type]
    if name == "title":
        return item.title
    if name == "titleSort":
        return item.title.lower()
    if name in _TAG_ATTR:
        return getattr(item, _TAG_ATTR[name])
    if name == "unwatched":
        return item.view_count == 0
    attr = {
        "userRating": "user_rating",
        "rating": "rating",
        "addedAt": "added_at",
        "updatedAt": "updated_at",
        "lastRatedAt": "last_rated_at",
        "lastViewedAt": "last_viewed_at",
        "viewCount": "view_count",
        "skipCount": "skip_count",
        "year": "year",
        "duration": "duration",
        "index": "index",
    }.get(name)
    return getattr(item, attr) if attr else None


def _as_number(raw: str, ftype: str, now: float) -> float:
    if ftype == "date":
        m = _REL_RE.match(raw)
        if m:
            return now - int(m.group(1)) * _UNIT[m.group(2)]
    return float(raw)


def build_filters(
    lib: DemoLibrary,
    kind: str,
    params: list[tuple[str, str]],
    states: dict[int, UserState] | None = None,
) -> list[Callable[[DemoItem], bool]]:
    """One predicate per filter parameter; unknown fields are ignored like Plex ignores them.

    ``states``: a Home member's own values (None = the owner's).
    """
    now = lib.now()  # the server's clock: relative dates count from it
    preds: list[Callable[[DemoItem], bool]] = []
    for raw_key, raw_value in params:
        if raw_key in CONTROL_PARAMS:
            continue
        m = _FILTER_RE.match(raw_key)
        if not m:
            continue
        prefix, name, suffix = m.groups()
        if name not in FIELDS:
            continue
        ftype = FIELDS[name][0]
        op = {
            "": "=",
            "!": "!=",
            ">>": ">>=",
            "<<": "<<=",
            "=": "==",
            "!=": "!==",
            "<": "<=",
            ">": ">=",
        }.get(suffix)
        if op is None:
            continue
        values = [unquote(v) for v in raw_value.split(",")] if raw_value != "" else [""]
        target = prefix or kind
        preds.append(_predicate(lib, kind, target, name, ftype, op, values, now, states))
    return preds


def _predicate(
    lib: DemoLibrary,
    kind: str,
    target: str,
    name: str,
    ftype: str,
    op: str,
    values: list[str],
    now: float,
    states: dict[int, UserState] | None = None,
) -> Callable[[DemoItem], bool]:
    def one(item: DemoItem) -> bool:
        value = _value(item, name, states)
        if ftype in ("integer", "date"):
            nums = [_as_number(v, ftype, now) for v in values]
            if op == "=":
                return value is not None and any(float(value) == n for n in nums)  # type: ignore[arg-type]
            if op == "!=":
                return value is None or all(float(value) != n for n in nums)  # type: ignore[arg-type]
            if value is None:
                return False
            if op == ">>=":
                return float(value) > nums[0]  # type: ignore[arg-type]
            return float(value) < nums[0]  # type: ignore[arg-type]
        if ftype == "boolean":
            truth = bool(value) == (values[0] not in ("0", "false"))
            return truth if op == "=" else not truth
        if ftype == "tag":
            tags = {t.lower() for t in value}  # type: ignore[union-attr]
            hit = any(v.lower() in tags for v in values)
            return hit if op == "=" else not hit
        text = str(value or "").lower()
        wanted = [v.lower() for v in values]
        if op == "=":
            return any(w in text for w in wanted)
        if op == "!=":
            return all(w not in text for w in wanted)
        if op == "==":
            return text in wanted
        if op == "!==":
            return text not in wanted
        if op == "<=":
            return any(text.startswith(w) for w in wanted)
        return any(text.endswith(w) for w in wanted)

    if target == kind:
        return one
    return lambda item: any(one(r) for r in related(lib, item, target))


def sort_items(
    lib: DemoLibrary,
    kind: str,
    items: list[DemoItem],
    sort: str,
    states: dict[int, UserState] | None = None,
) -> list[DemoItem]:
    """Stable multi-key sort; missing values go last whatever the direction (as Plex lists them).

    ``states``: a Home member's own values (None = the owner's).
    """
    for spec in reversed([s for s in sort.split(",") if s]):
        field, _, direction = spec.partition(":")
        prefix, _, name = field.rpartition(".")
        if name not in SORTS or name == "random":
            continue
        desc = direction == "desc"
        target = prefix or kind

        def keyfunc(item: DemoItem, name: str = name, target: str = target) -> object:
            src = item if target == kind else next(iter(related(lib, item, target)), None)
            return _value(src, name, states) if src is not None else None

        present = [(keyfunc(i), i) for i in items]
        have = [p for p in present if p[0] is not None]
        missing = [p[1] for p in present if p[0] is None]
        have.sort(key=lambda p: p[0], reverse=desc)  # type: ignore[arg-type,return-value]
        items = [p[1] for p in have] + missing
    return items


def filter_choices(lib: DemoLibrary, section_id: int, kind: str, tag: str) -> list[str]:
    attr = _TAG_ATTR.get(tag)
    if not attr:
        return []
    seen: set[str] = set()
    for key in lib.keys_of(section_id, kind):
        seen.update(getattr(lib.items[key], attr))
    return sorted(seen)
