"""The backup file of every rating: its records, its format (versions, checksum) and its checks.

A backup must survive a move to another server, where every ratingKey,
every ``local://`` guid and the library folder differ. So each rated item
keeps every id it has (the Plex guid, external ids, the ids of the legacy
agents), its file path relative to the library folder, and the titles and
numbers of the item and its parents. The restore matcher that uses them
is ``core.restoreplan``.

Pure: no I/O. The file is built and read as bytes here; writing it to disk
is the job's business.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .guids import ids_from_guid
from .provenance import BASE as P_BASE
from .provenance import GUESSES, YOURS, whose
from .provenance import INFERRED as P_INFERRED
from .records import Item
from .scale import normalize

FORMAT = "ratings_gui-backup"
#: The newest format this program reads and writes.
VERSION = 2
#: One person's backup keeps the first format (plus an optional ``user``), so older
#: versions of the program still restore it; only a backup of every Home member
#: (``users``: one section per member) needs format 2.
ONE_USER_VERSION = 1
HOME_VERSION = 2

#: Every kind a backup holds, parents before children.
KINDS = ("artist", "album", "track", "movie", "show", "season", "episode")
LEAF_KINDS = frozenset({"track", "movie", "episode"})

# Whose rating it is. "program" is a value some other job of the program invented.
USER = "user"
BASE = "base"
INFERRED = "inferred"
PROGRAM = "program"
OWNERS = (USER, BASE, INFERRED, PROGRAM)
#: The backup file's owner words <-> whose a value is (``core.provenance``). The file
#: keeps its words ("user" is yours); "program" (older files) is read as a base value.
OWNER_OF_WHOSE = {YOURS: USER, P_BASE: BASE, P_INFERRED: INFERRED}
WHOSE_OF_OWNER = {USER: YOURS, BASE: P_BASE, INFERRED: P_INFERRED, PROGRAM: P_BASE}


#: Guid schemes that only mean something on the server that made them.
LOCAL_SCHEMES = frozenset(
    {"local", "none", "localmedia", "library", "file", "collection", "com.plexapp.agents.none"}
)
#: Legacy agents the snapshot does not read as ids, whose values still name the
#: same thing on every server.
OTHER_AGENTS = {"musicbrainz": "mbid", "plexmusic": "plexmusic"}

#: Item fields in the file, in the order they are written. Empty ones are left out.
ENTRY_FIELDS = (
    "kind",
    "key",
    "rating",
    "owner",
    "owner_job",
    "title",
    "parent_title",
    "grandparent_title",
    "original_title",
    "year",
    "index",
    "parent_index",
    "duration",
    "guid",
    "ids",
    "file",
    "relpath",
    "rated_at",
    "watched",
)
#: Largest backup read (bytes, after gzip): far above any real library, below a memory problem.
MAX_BYTES = 1_000_000_000


class BackupError(ValueError):
    """A file that cannot be used as a backup; the message says why in plain words."""


# --- ids and paths -------------------------------------------------------------------------


def _strip_query(text: str) -> str:
    return text.split("?", 1)[0].rstrip("/")


def normalize_id(raw: str) -> str | None:
    """An id as ``scheme://value`` that means the same on every server, else None.

    Legacy agent guids become the modern scheme (``com.plexapp.agents.imdb://tt1?lang=en``
    -> ``imdb://tt1``). The TVDB agent's season and episode guids name the
    show, season and episode (``thetvdb://12345/1/10``), not the episode's own
    id, so they get schemes of their own. ``plex://`` and server-local guids
    (``local://``, ``none``) are not external ids: None.
    """
    text = (raw or "").strip()
    if "://" not in text:
        return None
    scheme = text.partition("://")[0].casefold()
    if scheme.startswith("com.plexapp.agents.") or scheme == "hama":
        agent = scheme.removeprefix("com.plexapp.agents.")
        if agent in OTHER_AGENTS:
            text = f"{OTHER_AGENTS[agent]}://{text.partition('://')[2]}"
        else:  # the snapshot's own reading of legacy guids, one parser for both
            parsed = ids_from_guid(text)
            if not parsed:
                return None
            text = parsed[0]
    scheme, _, value = text.partition("://")
    scheme = scheme.casefold()
    value = _strip_query(value)
    if not value or scheme == "plex" or scheme in LOCAL_SCHEMES:
        return None
    if scheme in ("tvdb", "anidb") and "/" in value:
        # SHOW/SEASON[/EPISODE] (the legacy agents' shape, as the snapshot reads it)
        parts = value.split("/")
        if all(p.isdigit() for p in parts[:3]):
            nums = "/".join(str(int(p)) for p in parts[:3])
            return f"{scheme}-{'season' if len(parts) == 2 else 'episode'}://{nums}"
    if scheme in ("imdb", "lastfm"):
        value = value.casefold()
    return f"{scheme}://{value}"


def item_ids(guid: str, guids: Iterable[str]) -> tuple[str, ...]:
    """Every external id of an item (``<Guid>`` children and a legacy ``guid``), deduplicated."""
    out: dict[str, None] = {}
    for raw in (guid, *guids):
        n = normalize_id(raw)
        if n:
            out[n] = None
    return tuple(out)


def is_plex_guid(guid: str) -> bool:
    """A ``plex://`` guid names the same metadata on every server."""
    return guid.startswith("plex://")


def _split_path(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").split("/") if p]


def _windowsish(path: str) -> bool:
    return "\\" in path or (len(path) > 1 and path[1] == ":")


def relative_path(file: str, locations: Sequence[str]) -> str:
    """``file`` relative to the library folder that holds it (``/``-separated), else "".

    The longest matching folder wins; Windows paths compare without case.
    """
    if not file:
        return ""
    parts = _split_path(file)
    fold = _windowsish(file)
    best: list[str] | None = None
    for loc in locations:
        lparts = _split_path(loc)
        if not lparts or len(lparts) >= len(parts):
            continue
        head = parts[: len(lparts)]
        if fold or _windowsish(loc):
            ok = [p.casefold() for p in head] == [p.casefold() for p in lparts]
        else:
            ok = head == lparts
        if ok and (best is None or len(lparts) > len(best)):
            best = lparts
    if best is None:
        return ""
    return "/".join(parts[len(best) :])


def path_key(relpath: str) -> str:
    """Relative paths compare without case: a library moved from Windows keeps its names."""
    return relpath.casefold()


# --- the backup record ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One rated item as the backup keeps it; the rating on the Plex 0-10 scale."""

    kind: str
    key: int
    rating: float
    title: str = ""
    owner: str = USER
    owner_job: str = ""
    parent_title: str = ""
    grandparent_title: str = ""
    original_title: str = ""
    year: int | None = None
    index: int | None = None
    parent_index: int | None = None
    duration: int | None = None
    guid: str = ""
    ids: tuple[str, ...] = ()
    file: str = ""
    relpath: str = ""
    rated_at: int | None = None
    watched: bool | None = None

    @property
    def label(self) -> str:
        """The same human name the snapshot's items get."""
        return self.as_item().label

    def as_item(self) -> Item:
        return Item(
            key=self.key,
            kind=self.kind,
            title=self.title,
            parent_title=self.parent_title,
            grandparent_title=self.grandparent_title,
            original_title=self.original_title,
            year=self.year,
            index=self.index,
            parent_index=self.parent_index,
            duration=self.duration,
            user_rating=self.rating,
        )

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ENTRY_FIELDS:
            v = getattr(self, name)
            if name == "ids":
                v = list(v)
            if v in (None, "", []) and name not in ("kind", "key", "rating"):
                continue
            if name == "owner" and v == USER:
                continue
            out[name] = v
        return out


@dataclass
class BackupLibrary:
    """One library of the backed-up server and its rated items."""

    title: str
    type: str
    section_id: int | None = None
    locations: tuple[str, ...] = ()
    entries: list[Entry] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.entries:
            out[e.kind] = out.get(e.kind, 0) + 1
        return out


@dataclass(frozen=True)
class BackupUser:
    """Whose ratings a backup (or one member's section of it) holds.

    Plex keeps ratings per Plex Home member; a restore puts each member's
    back into the same member, found by ``uuid`` (plex.tv's id, the same on
    every server of the Home), then by name.
    """

    name: str
    uuid: str = ""
    admin: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "uuid": self.uuid, "admin": self.admin}


@dataclass
class Backup:
    """A whole backup file: where it came from, when, and every rated item by library.

    One person's backup has ``libraries`` (and says whose in ``user``; older
    files do not: the account that signed in). A backup of every Home
    member has no libraries of its own but one section per member in
    ``members``, each a one-person Backup.
    """

    libraries: list[BackupLibrary]
    created_at: int = 0
    server: str = ""
    program: str = ""
    version: int = ONE_USER_VERSION
    #: Anything the writer wants kept (e.g. why it was made); free-form, small.
    note: str = ""
    #: Whose ratings these are (None: a file from before Plex Home members).
    user: BackupUser | None = None
    #: A backup of every Home member: their sections, the owner first.
    members: list[Backup] = field(default_factory=list)
    #: Members not in the file, and why (a PIN was needed): ``{"name": …, "reason": …}``.
    skipped_users: list[dict[str, str]] = field(default_factory=list)

    @property
    def is_home(self) -> bool:
        """Every member's ratings, in sections (format 2)."""
        return bool(self.members)

    @property
    def entries(self) -> list[Entry]:
        """Every rated item of the file (of every member's section, one after the other)."""
        own = [e for lib in self.libraries for e in lib.entries]
        return own + [e for m in self.members for e in m.entries]

    def __len__(self) -> int:
        own = sum(len(lib.entries) for lib in self.libraries)
        return own + sum(len(m) for m in self.members)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in [*self.libraries, *self.members]:
            for k, n in part.counts().items():
                out[k] = out.get(k, 0) + n
        return out

    def member_names(self) -> str:
        """``Demo User, Alex, Sam``: the members whose ratings the file holds."""
        return ", ".join(m.user.name if m.user else "?" for m in self.members)

    def section_for(self, uuid: str, name: str) -> Backup | None:
        """The member's section: by plex.tv uuid, then by name (any case); None if absent."""
        if uuid:
            for m in self.members:
                if m.user is not None and m.user.uuid and m.user.uuid == uuid:
                    return m
        key = name.strip().casefold()
        for m in self.members:
            if m.user is not None and key and m.user.name.casefold() == key:
                return m
        return None


def owner_of(rating: float | None, prov: Any) -> tuple[str, str]:
    """(owner word, job) of a current rating for the backup file: ``core.provenance.whose``."""
    w = whose(rating, prov)
    if w in GUESSES:
        return OWNER_OF_WHOSE[w], str(prov.job)
    return USER, ""


def entry_from_item(item: Item, locations: Sequence[str], prov: Any = None) -> Entry | None:
    """A rated snapshot item -> its backup entry (None when it holds no rating)."""
    rating = normalize(item.user_rating)
    if rating is None or item.kind not in KINDS:
        return None
    owner, job = owner_of(rating, prov)
    file = item.files[0] if item.files else ""
    guid = getattr(item, "plex_guid", "") or ""
    return Entry(
        kind=item.kind,
        key=item.key,
        rating=rating,
        title=item.title,
        owner=owner,
        owner_job=job,
        parent_title=item.parent_title,
        grandparent_title=item.grandparent_title,
        original_title=item.original_title,
        year=item.year,
        index=item.index,
        parent_index=item.parent_index,
        duration=item.duration,
        guid=guid,
        ids=item_ids(guid, item.guids),
        file=file,
        relpath=relative_path(file, locations),
        rated_at=item.last_rated_at,
        watched=(item.view_count > 0) if item.kind in LEAF_KINDS else None,
    )


def build_library(
    title: str,
    section_type: str,
    items: Iterable[Item],
    *,
    section_id: int | None = None,
    locations: Sequence[str] = (),
    provenance: Mapping[str, Any] | None = None,
    kinds: Iterable[str] | None = None,
) -> BackupLibrary:
    """The rated items of one library snapshot, parents before children."""
    prov = provenance or {}
    wanted = set(kinds) if kinds is not None else set(KINDS)
    order = {k: i for i, k in enumerate(KINDS)}
    entries = [
        e
        for it in sorted(items, key=lambda i: (order.get(i.kind, 99), i.key))
        if it.kind in wanted
        if (e := entry_from_item(it, locations, prov.get(str(it.key)))) is not None
    ]
    return BackupLibrary(title, section_type, section_id, tuple(locations), entries)


# --- the file --------------------------------------------------------------------------------


def _checksum(libraries: list[dict[str, Any]]) -> str:
    text = json.dumps(libraries, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _libraries_json(libraries: Iterable[BackupLibrary]) -> list[dict[str, Any]]:
    return [
        {
            "title": lib.title,
            "type": lib.type,
            "section_id": lib.section_id,
            "locations": list(lib.locations),
            "items": [e.as_json() for e in lib.entries],
        }
        for lib in libraries
    ]


def _users_json(backup: Backup) -> list[dict[str, Any]]:
    return [
        {
            **(m.user or BackupUser("")).as_json(),
            "counts": m.counts(),
            "libraries": _libraries_json(m.libraries),
        }
        for m in backup.members
    ]


def to_json(backup: Backup) -> dict[str, Any]:
    """The document written to disk; the checksum lets a reader notice hand edits.

    One person's backup: ``libraries`` (format 1; ``user`` says whose). Every
    Home member's: ``users``, one section each with its ``libraries``
    (format 2); the checksum covers the whole list.
    """
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": HOME_VERSION if backup.is_home else backup.version,
        "created_at": backup.created_at,
        "program": backup.program,
        "server": backup.server,
        "note": backup.note,
        "counts": backup.counts(),
    }
    if backup.is_home:
        users = _users_json(backup)
        doc["skipped_users"] = list(backup.skipped_users)
        doc["users"] = users
        doc["checksum"] = _checksum(users)
        return doc
    if backup.user is not None:
        doc["user"] = backup.user.as_json()
    libs = _libraries_json(backup.libraries)
    doc["libraries"] = libs
    doc["checksum"] = _checksum(libs)
    return doc


def _encode_libraries(libs: list[dict[str, Any]], parts: list[str]) -> None:
    """``"libraries": [...]`` with one item per line (diffable)."""
    parts.append('"libraries": [\n')
    for i, lib in enumerate(libs):
        items = lib.pop("items")
        meta = json.dumps(lib, ensure_ascii=False)[:-1]
        parts.append(("" if i == 0 else ",\n") + meta + ', "items": [\n')
        parts.append(",\n".join(json.dumps(x, ensure_ascii=False) for x in items))
        parts.append("\n]}")
    parts.append("\n]")


def encode(backup: Backup, *, compress: bool = False) -> bytes:
    """The file's bytes: UTF-8 JSON, one item per line (diffable), gzip when asked."""
    doc = to_json(backup)
    libs = doc.pop("libraries", None)
    users = doc.pop("users", None)
    checksum = doc.pop("checksum")
    parts = [json.dumps(doc, ensure_ascii=False)[:-1], ", "]
    if users is not None:
        parts.append('"users": [\n')
        for i, user in enumerate(users):
            ulibs = user.pop("libraries")
            parts.append(("" if i == 0 else ",\n") + json.dumps(user, ensure_ascii=False)[:-1])
            parts.append(", ")
            _encode_libraries(ulibs, parts)
            parts.append("}")
        parts.append("\n]")
    else:
        _encode_libraries(libs or [], parts)
    parts.append(f', "checksum": {json.dumps(checksum)}}}\n')
    data = "".join(parts).encode("utf-8")
    # mtime=0: the same ratings give the same file, whenever it is written
    return gzip.compress(data, compresslevel=6, mtime=0) if compress else data


def _int_or_none(v: Any, what: str, where: str) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise BackupError(f"{where}: {what} must be a number, not {v!r}.")
    if isinstance(v, float) and (not math.isfinite(v) or v != int(v)):
        raise BackupError(f"{where}: {what} must be a whole number, not {v!r}.")
    return int(v)


def _str(v: Any, what: str, where: str) -> str:
    if v is None:
        return ""
    if not isinstance(v, str):
        raise BackupError(f"{where}: {what} must be text, not {v!r}.")
    return v


def _entry(raw: Any, where: str) -> Entry:
    """One item of the file, checked field by field: a hand edit gets a plain message."""
    if not isinstance(raw, dict):
        raise BackupError(f"{where} is not an item (found {type(raw).__name__}).")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise BackupError(f"{where}: unknown kind {kind!r} (expected one of {', '.join(KINDS)}).")
    key = _int_or_none(raw.get("key"), "key", where)
    if key is None:
        raise BackupError(f"{where}: the item has no key.")
    r = raw.get("rating")
    if isinstance(r, bool) or not isinstance(r, int | float) or not 0 <= float(r) <= 10:
        raise BackupError(f"{where}: rating {r!r} is not a number from 0 to 10.")
    owner = raw.get("owner", USER)
    if owner not in OWNERS:
        raise BackupError(f"{where}: owner {owner!r} is not one of {', '.join(OWNERS)}.")
    ids = raw.get("ids", [])
    if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
        raise BackupError(f"{where}: ids must be a list of texts.")
    watched = raw.get("watched")
    if watched is not None and not isinstance(watched, bool):
        raise BackupError(f"{where}: watched must be true or false.")
    return Entry(
        kind=kind,
        key=key,
        rating=float(normalize(float(r)) or 0.0),
        title=_str(raw.get("title"), "title", where),
        owner=owner,
        owner_job=_str(raw.get("owner_job"), "owner_job", where),
        parent_title=_str(raw.get("parent_title"), "parent_title", where),
        grandparent_title=_str(raw.get("grandparent_title"), "grandparent_title", where),
        original_title=_str(raw.get("original_title"), "original_title", where),
        year=_int_or_none(raw.get("year"), "year", where),
        index=_int_or_none(raw.get("index"), "index", where),
        parent_index=_int_or_none(raw.get("parent_index"), "parent_index", where),
        duration=_int_or_none(raw.get("duration"), "duration", where),
        guid=_str(raw.get("guid"), "guid", where),
        ids=tuple(ids),
        file=_str(raw.get("file"), "file", where),
        relpath=_str(raw.get("relpath"), "relpath", where),
        rated_at=_int_or_none(raw.get("rated_at"), "rated_at", where),
        watched=watched,
    )


def _text_of(data: bytes, name: str) -> str:
    if data[:2] == b"\x1f\x8b":
        try:
            d = zlib.decompressobj(wbits=31)
            out = d.decompress(data, MAX_BYTES + 1)
            if len(out) > MAX_BYTES:
                raise BackupError(f"{name} unpacks to more than {MAX_BYTES:,} bytes.")
            if not d.eof:
                raise BackupError(
                    f"{name} is cut off: the compressed file ends early "
                    "(an interrupted copy or download?). Nothing was restored."
                )
            data = out
        except zlib.error:
            raise BackupError(
                f"{name} looks compressed (gzip) but is damaged. Nothing was restored."
            ) from None
    if data.startswith(b"PK\x03\x04"):
        raise BackupError(f"{name} is a zip archive, not a ratings backup.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BackupError(f"{name} is not a ratings backup: it is not text (UTF-8 JSON).") from None


def decode(data: bytes, name: str = "The file") -> Backup:
    """Bytes of a backup file (plain or gzip) -> Backup; BackupError says what is wrong.

    Checks, in order: compressed and cut off; not JSON at all; JSON cut off;
    JSON that is not one of our backups (a Trakt export, a settings file);
    a newer format version; items that do not hold what they should; a
    checksum that no longer fits (edited by hand).
    """
    if not data.strip():
        raise BackupError(f"{name} is empty: it is not a ratings backup.")
    text = _text_of(data, name)
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        raise BackupError(
            f"{name} is not a ratings backup: it is not JSON (it starts with {stripped[:30]!r})."
        )
    try:
        doc = json.loads(text)
    except RecursionError:
        raise BackupError(f"{name} is damaged: its brackets nest far too deep.") from None
    except json.JSONDecodeError as exc:
        tail = len(text.rstrip())
        if exc.pos >= tail - 1 or "Unterminated string" in exc.msg:
            raise BackupError(
                f"{name} is cut off at line {exc.lineno}: the file ends in the middle of "
                "the backup (an interrupted copy or a full disk?). Nothing was restored."
            ) from None
        raise BackupError(
            f"{name} is damaged at line {exc.lineno}, column {exc.colno} ({exc.msg}); "
            "was it edited by hand? Nothing was restored."
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        what = "a list" if isinstance(doc, list) else "JSON of another program"
        raise BackupError(
            f"{name} is not a ratings backup made by this program ({what}). "
            "Choose a file written by 'Back up all ratings' or the backup command."
        )
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BackupError(f"{name} has no valid format version ({version!r}).")
    if version > VERSION:
        raise BackupError(
            f"{name} was written by a newer version of this program (backup format "
            f"{version}; this version reads up to {VERSION}). Update the program to restore it."
        )
    checksum = doc.get("checksum")
    if version >= HOME_VERSION and "users" in doc:
        return _decode_home(doc, name, version, checksum)
    libs = doc.get("libraries")
    if not isinstance(libs, list):
        raise BackupError(f"{name} holds no list of libraries; it is not a complete backup.")
    libraries = _decode_libraries(libs, name)
    if checksum != _checksum(libs):
        raise BackupError(_CHANGED.format(name=name))
    return Backup(
        libraries,
        version=version,
        user=_decode_user(doc.get("user"), name) if doc.get("user") is not None else None,
        **_head(doc, name),
    )


_CHANGED = (
    "{name} was changed after it was written (its checksum does not fit its "
    "contents): it may have been edited by hand or damaged. Nothing was restored; "
    "use the file as it was written."
)


def _head(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "created_at": _int_or_none(doc.get("created_at"), "created_at", name) or 0,
        "server": _str(doc.get("server"), "server", name),
        "program": _str(doc.get("program"), "program", name),
        "note": _str(doc.get("note"), "note", name),
    }


def _decode_libraries(libs: list[Any], name: str) -> list[BackupLibrary]:
    libraries: list[BackupLibrary] = []
    for li, lib in enumerate(libs, 1):
        where = f"{name}, library {li}"
        if not isinstance(lib, dict) or not isinstance(lib.get("items"), list):
            raise BackupError(f"{where} is not a library with items.")
        locs = lib.get("locations") or []
        if not isinstance(locs, list) or not all(isinstance(x, str) for x in locs):
            raise BackupError(f"{where}: locations must be a list of folders.")
        bl = BackupLibrary(
            _str(lib.get("title"), "title", where),
            _str(lib.get("type"), "type", where),
            _int_or_none(lib.get("section_id"), "section_id", where),
            tuple(locs),
        )
        for i, raw in enumerate(lib["items"], 1):
            bl.entries.append(_entry(raw, f"{where} ({bl.title}), item {i}"))
        libraries.append(bl)
    return libraries


def _decode_user(raw: Any, where: str) -> BackupUser:
    if not isinstance(raw, dict):
        raise BackupError(f"{where}: the member (user) must be a name and an id.")
    user_name = _str(raw.get("name"), "the member's name", where)
    if not user_name:
        raise BackupError(f"{where}: a member without a name.")
    admin = raw.get("admin", False)
    if not isinstance(admin, bool):
        raise BackupError(f"{where}: admin must be true or false.")
    return BackupUser(user_name, _str(raw.get("uuid"), "uuid", where), admin)


def _decode_home(doc: dict[str, Any], name: str, version: int, checksum: Any) -> Backup:
    """Format 2: one section per Home member, each checked like a one-person backup."""
    users = doc.get("users")
    if not isinstance(users, list) or not users:
        raise BackupError(f"{name} holds no list of members; it is not a complete backup.")
    head = _head(doc, name)
    members: list[Backup] = []
    for ui, raw in enumerate(users, 1):
        where = f"{name}, member {ui}"
        user = _decode_user(raw, where)
        libs = raw.get("libraries")
        if not isinstance(libs, list):
            raise BackupError(f"{where} ({user.name}) holds no list of libraries.")
        members.append(Backup(_decode_libraries(libs, f"{where} ({user.name})"), user=user, **head))
    if checksum != _checksum(users):
        raise BackupError(_CHANGED.format(name=name))
    skipped = doc.get("skipped_users") or []
    if not isinstance(skipped, list) or not all(
        isinstance(x, dict) and all(isinstance(v, str) for v in x.values()) for x in skipped
    ):
        raise BackupError(f"{name}: skipped_users must be a list of names and reasons.")
    return Backup(
        [], version=version, members=members, skipped_users=[dict(x) for x in skipped], **head
    )


# --- restore: matching -----------------------------------------------------------------------


# --- restore: the plan --------------------------------------------------------------------------


# --- clear ------------------------------------------------------------------------------------


# --- copy ratings between Plex Home members -------------------------------------------------
