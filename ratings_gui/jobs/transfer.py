"""Backup, restore and clear of every rating: the jobs around core.backup and core.restoreplan.

- backup: one paged bulk read of every library (or the named ones) -> one
  versioned JSON file, written atomically (gzip when the name ends in .gz).
  It writes nothing to Plex, so it is not a journaled run.
- restore: the file -> the pure matcher against one bulk read of the target
  -> plan -> preview -> grouped, journaled writes (History can undo them),
  then one listing re-read to check what the server kept.
- clear: every rating of a library (or of some kinds) -> unrated, after a
  backup of exactly those ratings is safely on disk; journaled.

Whose rating it is travels with it: the backup records the journal's
word, and the restore journals base and inferred values as the program's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ratings_gui import __version__
from ratings_gui.core import backup as bk
from ratings_gui.core import restoreplan as rp
from ratings_gui.core.plan import PLEX, Plan, Report, summary
from ratings_gui.core.provenance import YOURS
from ratings_gui.core.records import KINDS_BY_SECTION, Item
from ratings_gui.core.registry import JobSpec, declare
from ratings_gui.jobs.base import (
    PlanJob,
    check_written,
    rating_provenance,
    require_connection,
)
from ratings_gui.jobs.import_job import ImportInputError
from ratings_gui.jobs.runner import JobApp, JobContext
from ratings_gui.journal.writeloop import Writer
from ratings_gui.plex.bulk import BulkRatingWriter
from ratings_gui.plex.connection import PlexError
from ratings_gui.plex.home import HomeUserError, home_users
from ratings_gui.plex.http import PlexHttp
from ratings_gui.plex.snapshot import list_sections, read_items, read_sections
from ratings_gui.sources.backup_file import read_bounded, wants_gzip, write_atomically
from ratings_gui.sources.base import SourceError
from ratings_gui.sources.export import write_unmatched_csv

log = logging.getLogger(__name__)

BACKUP_JOB = "backup"
RESTORE_JOB = rp.RESTORE_JOB
CLEAR_JOB = rp.CLEAR_JOB
#: A restore puts back whose each value was (the change says); by default yours.
RESTORE_SPEC = declare(
    JobSpec(RESTORE_JOB, sets=YOURS, title="Restore", command="restore", tab="backup")
)
#: A clear writes "unrated": no one's value.
CLEAR_SPEC = declare(
    JobSpec(
        CLEAR_JOB,
        sets="",
        title="Clear ratings",
        command="clear-ratings",
        tab="backup",
        backup_first=False,  # a clear always writes its own backup first
    )
)
BACKUP_SPEC = declare(
    JobSpec(BACKUP_JOB, sets="", title="Backup", command="backup", tab="backup", writes="")
)
#: Page size of the after-write listing (keys and ratings only): few requests.
VERIFY_PAGE = 10_000
#: Folder (below the data folder, beside the journal) for automatic backups.
AUTO_FOLDER = "backups"


class BackupFileError(ImportInputError):
    """The backup file cannot be used (or written): a plain message, nothing was written."""


# --- files ------------------------------------------------------------------------------------


def expand_name(path: str | Path, now: float | None = None) -> Path:
    """``{date}`` and ``{time}`` in a file name: a scheduled backup keeps one file per run."""
    t = time.localtime(now if now is not None else time.time())
    text = str(path)
    text = text.replace("{date}", time.strftime("%Y-%m-%d", t))
    text = text.replace("{time}", time.strftime("%H%M%S", t))
    return Path(text)


def write_backup_file(path: str | Path, backup: bk.Backup, *, compress: bool | None = None) -> int:
    """Encode and write atomically; returns the bytes written."""
    data = bk.encode(backup, compress=wants_gzip(path) if compress is None else compress)
    try:
        return write_atomically(path, data)
    except SourceError as exc:
        raise BackupFileError(str(exc)) from None


def read_backup_file(path: str | Path) -> bk.Backup:
    """Read and check a backup; BackupFileError with a plain message for anything wrong."""
    p = Path(path)
    try:
        data = read_bounded(p, bk.MAX_BYTES)
        return bk.decode(data, p.name or str(p))
    except (SourceError, bk.BackupError) as exc:
        raise BackupFileError(str(exc)) from None


# --- reading ------------------------------------------------------------------------------------


def read_targets(
    app: JobApp,
    libraries: Sequence[str] | None,
    ctx: JobContext,
    *,
    kinds: Sequence[str] | None = None,
) -> tuple[list[rp.TargetLibrary], int]:
    """One paged bulk read of the libraries; returns them and the requests it took."""

    conn = require_connection(app)
    http = PlexHttp(conn, cancel=ctx.cancel_event)
    read = read_sections(
        conn,
        list(libraries) if libraries else None,
        kinds=kinds,
        progress=ctx.progress,
        cancel=ctx.cancel_event,
        http=http,
    )
    ctx.check_cancel()
    targets = [
        rp.TargetLibrary(sec.title, sec.type, sec.id, sec.locations, list(snap))
        for sec, snap in read
    ]
    n = sum(len(t.items) for t in targets)
    ctx.log(f"read {n:,} items of {len(targets)} libraries in {http.sent} requests")
    return targets, http.sent


def build_backup(
    app: JobApp,
    targets: Iterable[rp.TargetLibrary],
    *,
    kinds: Iterable[str] | None = None,
    keys: set[int] | None = None,
    note: str = "",
    user: bk.BackupUser | None = None,
) -> bk.Backup:
    """The rated items of the libraries read, with whose rating each is (from the journal).

    The file says whose ratings they are: ``user``, else the Home member the
    connection works as (a plain owner connection: none, as in older files).
    """
    prov = rating_provenance(app)
    libs = []
    for t in targets:
        items = t.items if keys is None else [it for it in t.items if it.key in keys]
        libs.append(
            bk.build_library(
                t.title,
                t.type,
                items,
                section_id=t.section_id,
                locations=t.locations,
                provenance=prov,
                kinds=kinds,
            )
        )
    conn = app.connection
    if user is None and conn is not None and conn.member:
        user = bk.BackupUser(conn.user_title, conn.user)
    return bk.Backup(
        libs,
        created_at=int(time.time()),
        server=conn.name if conn is not None else "",
        program=f"ratings_gui {__version__}",
        note=note,
        user=user,
    )


# --- Plex Home members ----------------------------------------------------------------------------


def home_members(app: JobApp) -> list[Any]:
    """The Home's members (``plex.home.HomeUser``), the owner first; one plex.tv request."""

    token = app.account_token or app.tokens.load() or ""
    if not token:
        raise HomeUserError(
            "Every member's ratings need the Plex sign-in of the Home's owner (not a server "
            "token): sign in with Plex first."
        )
    return home_users(token)


def member_app(app: JobApp, member: Any, pin: str | None = None) -> Any:
    """The app working as ``member`` (the owner: the account itself); HomeUserError if refused."""
    return app.as_user("" if member.admin else member.uuid, pin)


def member_ref(member: Any) -> bk.BackupUser:
    """What the file keeps of a member: name and plex.tv uuid (the same on every server)."""
    return bk.BackupUser(member.name, member.uuid, bool(member.admin))


# --- backup -------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    """What a backup read and wrote (``path`` None on a dry run)."""

    path: Path | None
    counts: dict[str, int]
    libraries: list[str]
    requests: int
    bytes: int = 0
    owners: dict[str, int] = field(default_factory=dict)
    #: ``--all-users``: each member's name and ratings kept, and the members skipped (why).
    members: list[dict[str, Any]] = field(default_factory=list)
    skipped_users: list[dict[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_json(self, dry_run: bool) -> dict[str, Any]:
        return summary(
            BACKUP_JOB,
            dry_run=dry_run,
            counts=dict(sorted(self.counts.items())),
            file=str(self.path) if self.path else None,
            libraries=self.libraries,
            items=self.total,
            owners=self.owners,
            requests=self.requests,
            bytes=self.bytes,
            **(
                {"users": self.members, "skipped_users": self.skipped_users} if self.members else {}
            ),
        )


class BackupJob:
    """Read every rated item and write the file; nothing is sent to Plex."""

    name = BACKUP_JOB

    def __init__(
        self,
        app: JobApp,
        path: str | Path,
        libraries: Sequence[str] | None = None,
        *,
        compress: bool | None = None,
        all_users: bool = False,
    ) -> None:
        self.app = app
        self.path = expand_name(path)
        self.libraries = list(libraries or [])
        self.compress = compress
        #: Every Plex Home member's ratings, one section each (else the connected user's).
        self.all_users = all_users
        self.backup: bk.Backup | None = None

    def run(self, ctx: JobContext, *, dry_run: bool = False) -> BackupResult:
        if self.all_users:
            self.backup, titles, requests, members = self._read_members(ctx)
        else:
            targets, requests = read_targets(self.app, self.libraries, ctx)
            self.backup = build_backup(self.app, targets)
            titles, members = [t.title for t in targets], []
        owners: dict[str, int] = {}
        for e in self.backup.entries:
            owners[e.owner] = owners.get(e.owner, 0) + 1
        res = BackupResult(
            None,
            self.backup.counts(),
            titles,
            requests,
            owners=owners,
            members=members,
            skipped_users=list(self.backup.skipped_users),
        )
        if dry_run:
            ctx.log(f"dry run: {res.total:,} ratings would be backed up; no file written")
            return res
        res.bytes = write_backup_file(self.path, self.backup, compress=self.compress)
        res.path = self.path
        ctx.log(f"backed up {res.total:,} ratings to {self.path} ({res.bytes:,} bytes)")
        return res

    def _read_members(
        self, ctx: JobContext
    ) -> tuple[bk.Backup, list[str], int, list[dict[str, Any]]]:
        """Each Home member's ratings, read with their own token (the owner's right to switch).

        A member the owner cannot switch to without a PIN is left out whole
        and named, with the reason; the others are kept.
        """

        sections: list[bk.Backup] = []
        skipped: list[dict[str, str]] = []
        titles: list[str] = []
        requests = 0
        for member in home_members(self.app):
            ctx.check_cancel()
            try:
                as_member = member_app(self.app, member)
            except HomeUserError as exc:
                skipped.append({"name": member.name, "reason": str(exc)})
                ctx.log(f"{member.name} skipped: {exc}", logging.WARNING)
                continue
            targets, n = read_targets(as_member, self.libraries, ctx)
            requests += n
            titles = titles or [t.title for t in targets]
            part = build_backup(as_member, targets, user=member_ref(member))
            sections.append(part)
            ctx.log(f"{member.name}: {len(part):,} ratings")
        if not sections:
            raise BackupFileError(
                "No member's ratings could be read: "
                + "; ".join(f"{s['name']}: {s['reason']}" for s in skipped)
            )
        conn = self.app.connection
        backup = bk.Backup(
            [],
            created_at=int(time.time()),
            server=conn.name if conn is not None else "",
            program=f"ratings_gui {__version__}",
            note="every Plex Home member's ratings",
            members=sections,
            skipped_users=skipped,
        )
        members = [
            {"name": m.user.name if m.user else "", "uuid": m.user.uuid if m.user else "",
             "items": len(m)}
            for m in sections
        ]  # fmt: skip
        return backup, titles, requests, members


# --- writing ------------------------------------------------------------------------------------


def section_writer(
    conn: Any, section_of: Mapping[int, int], kind_of: Mapping[int, str], cancel: Any
) -> Writer:
    """Grouped multi-edits per library and kind (each needs its own section and ``type=``).

    One grouped writer knows every item's library and kind; clears are
    grouped too (item by item where the server's first grouped clear did
    not clear). The job checks the result with one listing re-read, not per chunk.
    """

    first = next(iter(section_of.values()), 0)
    return BulkRatingWriter(
        conn, first, kinds=kind_of, sections=section_of, cancel=cancel, verify=False
    )


def verify_written(
    app: JobApp, targets: Sequence[rp.TargetLibrary], report: Report, ctx: JobContext
) -> int:
    """Read back only the written items (500 keys a request); what did not stick is marked failed."""

    written = [c for c in report.applied if c.field == "userRating" and c.target.isdigit()]
    if not written:
        return 0
    http = PlexHttp(app.connection, cancel=ctx.cancel_event)
    now: dict[int, Item] = read_items(
        app.connection, [c.target for c in written], http=http, cancel=ctx.cancel_event
    )
    report.extra["verify_requests"] = http.sent
    return check_written(app, report, written, now, ctx)


# --- restore ------------------------------------------------------------------------------------


class RestoreRead(NamedTuple):
    """The backup (this user's part), the target libraries, and whose each value is now."""

    backup: bk.Backup
    targets: list[rp.TargetLibrary]
    standing: dict[str, Any]


class RestoreJob(PlanJob):
    """A PlanJob; keeps the backup and the target read."""

    name = RESTORE_JOB

    def __init__(
        self,
        app: JobApp,
        path: str | Path,
        libraries: Sequence[str] | None = None,
        *,
        overwrite: bool = False,
        member_section: bk.Backup | None = None,
    ) -> None:
        super().__init__(app)
        self.path = Path(path)
        self.libraries = list(libraries or [])
        self.overwrite = overwrite
        #: One member's part of an every-member backup, already read and chosen.
        self.member_section = member_section
        self.backup: bk.Backup | None = None
        self.targets: list[rp.TargetLibrary] = []

    def read(self, ctx: JobContext) -> RestoreRead:
        """Check the file first (a bad one stops before any request), then read the target."""
        ctx.progress(0, 1, f"reading {self.path.name}")
        self.backup = self.member_section or self.member_part(read_backup_file(self.path))
        made = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.backup.created_at))
        ctx.log(
            f"{self.path.name}: {len(self.backup):,} ratings from {self.backup.server or '?'} "
            f"({made})"
        )
        conn = require_connection(self.app)
        into = conn.user_title if conn.member else ""
        if self.backup.user is not None and (into or self.backup.user.name):
            ctx.log(f"ratings of {self.backup.user.name} restored as {into or 'the owner'}")
        self.targets, self.read_requests = read_targets(self.app, self.libraries, ctx)
        return RestoreRead(self.backup, self.targets, rating_provenance(self.app))

    def member_part(self, backup: bk.Backup) -> bk.Backup:
        """A file of every Home member: the section of the member this restore works as.

        Found by the member's plex.tv uuid, then name; the owner takes the
        owner's section. A one-person file is restored as it is, into whoever
        the restore works as (``--user`` picks the member).
        """
        if not backup.is_home:
            return backup
        conn = require_connection(self.app)
        if conn.member:
            part = backup.section_for(conn.user, conn.user_title)
        else:
            part = next((m for m in backup.members if m.user and m.user.admin), None)
        if part is None:
            who = conn.user_title if conn.member else "the owner"
            raise BackupFileError(
                f"{self.path.name} holds no ratings of {who}: it holds {backup.member_names()}. "
                "Restore every member with 'all users', or choose one of them."
            )
        return part

    def plan(self, snapshot: RestoreRead) -> Plan:
        """The pure matcher; the plan names the libraries it writes to."""
        backup, targets, standing = snapshot
        plan = rp.plan_restore(backup, targets, standing, overwrite=self.overwrite)
        plan.options.update(
            file=str(self.path),
            library=", ".join(t.title for t in self.targets),
            libraries=[t.title for t in self.targets],
            backup_server=backup.server,
        )
        if backup.user is not None:  # whose ratings the file held (a member's restore)
            plan.options["backup_user"] = backup.user.name
        return plan

    def log_plan(self, ctx: JobContext, plan: Plan) -> None:
        ctx.log(rp.restore_breakdown(plan.counts))
        how = ", ".join(f"{k} {v:,}" for k, v in plan.options["matched_by"].items())
        if how:
            ctx.log(f"matched by {how}")
        ctx.progress(1, 1, "planned")

    def writer(self, ctx: JobContext, plan: Plan) -> Writer | None:
        conn = require_connection(self.app)
        if plan.changes and not self.targets:
            raise PlexError("Plan the restore first: the server has not been read.")
        if not plan.changes:
            return None
        section_of = {it.key: t.section_id for t in self.targets for it in t.items}
        kind_of = {it.key: it.kind for t in self.targets for it in t.items}
        return section_writer(conn, section_of, kind_of, ctx.cancel_event)

    def after_apply(self, ctx: JobContext, plan: Plan, report: Report) -> None:
        """One listing re-read per library written, before the run's status is set."""
        report.extra["file"] = str(self.path)
        if report.applied and not ctx.cancelled:
            verify_written(self.app, self.targets, report, ctx)

    def write_unmatched(self, plan: Plan, path: str | Path) -> int:
        """Not found, ambiguous, duplicate and conflict rows with the reason (OSError if not)."""

        return write_unmatched_csv(path, plan.skipped)


@dataclass
class MemberRestore:
    """One member's part of an every-member restore: their own run, or why there is none."""

    name: str
    job: RestoreJob | None = None
    plan: Plan | None = None
    report: Report | None = None
    #: Why this member is not restored (no such member here, a PIN was needed); "" if restored.
    skipped: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.skipped:
            out["skipped"] = self.skipped
        if self.plan is not None:
            out.update(planned=len(self.plan.changes), counts=self.plan.summary())
        if self.report is not None:
            out.update(
                run_id=self.report.run_id,
                changes=self.report.changes,
                failed=len(self.report.failed),
            )
        return out


class HomeRestoreJob:
    """Every member's ratings of an every-member backup back into the same members.

    Each member of the file is found in this Home by plex.tv uuid, then name,
    and restored by their own :class:`RestoreJob`, working as them: its own
    journaled run, so History and undo work per member. Every member is
    switched to and planned before anything is written; a member that
    cannot be switched to (a PIN plex.tv asks for) is skipped whole, named,
    with the reason.
    """

    name = RESTORE_JOB

    def __init__(
        self,
        app: JobApp,
        path: str | Path,
        libraries: Sequence[str] | None = None,
        *,
        overwrite: bool = False,
    ) -> None:
        self.app = app
        self.path = Path(path)
        self.libraries = list(libraries or [])
        self.overwrite = overwrite
        self.parts: list[MemberRestore] = []

    def prepare(self, ctx: JobContext) -> list[MemberRestore]:

        backup = read_backup_file(self.path)
        if not backup.is_home:
            who = backup.user.name if backup.user else "the account that made it"
            raise BackupFileError(
                f"{self.path.name} holds the ratings of one person ({who}), not of every "
                "member: restore it into one member instead (restore FILE --user NAME)."
            )
        members = home_members(self.app)
        self.parts = []
        for section in backup.members:
            ctx.check_cancel()
            ref = section.user or bk.BackupUser("?")
            member = next((m for m in members if ref.uuid and m.uuid == ref.uuid), None)
            member = member or next(
                (m for m in members if m.name.casefold() == ref.name.casefold()), None
            )
            part = MemberRestore(ref.name)
            self.parts.append(part)
            if member is None:
                part.skipped = f"no member called {ref.name} in this Plex Home"
                ctx.log(f"{ref.name} skipped: {part.skipped}", logging.WARNING)
                continue
            try:
                as_member = member_app(self.app, member)
            except HomeUserError as exc:
                part.skipped = str(exc)
                ctx.log(f"{ref.name} skipped: {exc}", logging.WARNING)
                continue
            part.name = member.name
            part.job = RestoreJob(
                as_member,
                self.path,
                self.libraries,
                overwrite=self.overwrite,
                member_section=section,
            )
            ctx.log(f"{member.name}: planning")
            part.plan = part.job.prepare(ctx)
        for s in backup.skipped_users:
            self.parts.append(
                MemberRestore(
                    s.get("name", "?"), skipped="not in the backup: " + s.get("reason", "")
                )
            )
        return self.parts

    def apply(self, ctx: JobContext) -> list[MemberRestore]:
        """Each planned member's run, one after the other (each journaled as that member)."""
        for part in self.parts:
            if part.job is None or part.plan is None:
                continue
            ctx.check_cancel()
            part.report = part.job.apply(ctx, part.plan)
        return self.parts


# --- clear --------------------------------------------------------------------------------------


def auto_backup_path(app: JobApp, job: str, library: str = "", now: float | None = None) -> Path:
    """``<data>/backups/<job>-<library>-<date-time>.json.gz``: beside the journal."""
    folder = Path(app.paths.data) / AUTO_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now if now is not None else time.time()))
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in library)[:40]
    base = f"{job}-{safe}-{stamp}" if safe else f"{job}-{stamp}"
    p = folder / f"{base}.json.gz"
    n = 2
    while p.exists():
        p = folder / f"{base}-{n}.json.gz"
        n += 1
    return p


class ClearJob(PlanJob):
    """Remove the ratings of one library (or of some kinds), after a backup of them."""

    name = CLEAR_JOB

    def __init__(
        self,
        app: JobApp,
        library: str,
        kinds: Sequence[str] | None = None,
        *,
        backup_path: str | Path | None = None,
    ) -> None:
        super().__init__(app)
        self.library = library
        self.kinds = list(kinds or [])
        self.backup_path = Path(backup_path) if backup_path else None
        #: The backup file the last apply wrote (None: nothing to clear, no file).
        self.written_backup: str | None = None
        self.targets: list[rp.TargetLibrary] = []

    def read(self, ctx: JobContext) -> rp.TargetLibrary:
        self.targets, self.read_requests = read_targets(self.app, [self.library], ctx)
        return self.targets[0]

    def plan(self, snapshot: rp.TargetLibrary) -> Plan:
        t = snapshot
        allowed = KINDS_BY_SECTION.get(t.type, ())
        bad = [k for k in self.kinds if k not in allowed]
        if bad:
            raise ImportInputError(
                f"{t.title} holds no {', '.join(bad)} ratings: its kinds are {', '.join(allowed)}."
            )
        plan = rp.plan_clear(t.items, self.kinds or None)
        plan.options.update(library=t.title, section_id=t.section_id, kinds=self.kinds or "all")
        return plan

    def log_plan(self, ctx: JobContext, plan: Plan) -> None:
        ctx.log(f"{len(plan.changes):,} ratings of {plan.options['library']} would be cleared")

    def apply(self, ctx: JobContext, plan: Plan) -> Report:
        """Write the backup first; only when it is safely on disk is anything cleared."""
        if plan.changes and not self.targets:
            raise PlexError("Plan the clear first: the library has not been read.")
        keys = {int(c.target) for c in plan.changes}
        path = self.backup_path or auto_backup_path(self.app, CLEAR_JOB, self.library)
        backup = build_backup(
            self.app, self.targets, keys=keys, note=f"written before clearing {self.library}"
        )
        if plan.changes:
            n = write_backup_file(path, backup)
            ctx.log(f"backup of {len(backup):,} ratings written to {path} ({n:,} bytes)")
        # a result of this apply: the report (and so the run's summary) says where it is
        self.written_backup = str(path) if plan.changes else None
        return super().apply(ctx, plan)

    def writer(self, ctx: JobContext, plan: Plan) -> Writer | None:
        """The grouped writer every job uses (clears grouped; item by item where refused)."""

        sid = plan.options.get("section_id")
        conn = require_connection(self.app)
        return BulkRatingWriter(conn, sid, kind=None, cancel=ctx.cancel_event)

    def after_apply(self, ctx: JobContext, plan: Plan, report: Report) -> None:
        report.extra["backup"] = self.written_backup


# --- automatic backup before a run ----------------------------------------------------------------


def backup_before(app: JobApp, plan: Plan, ctx: JobContext | None = None) -> Path | None:
    """Keep the current ratings of the items a plan will write, beside the journal.

    One bulk read of those items (a few hundred keys per request); only
    items that hold a rating are kept (an unrated item has nothing to lose).
    Returns the file, or None when the plan touches no rated Plex item.
    """

    keys = {int(c.target) for c in plan.changes if c.target_kind == PLEX and c.target.isdigit()}
    if not keys or app.connection is None:
        return None

    http = PlexHttp(app.connection)
    items = read_items(app.connection, keys, http=http)
    rated = [it for it in items.values() if it.user_rating is not None]
    if not rated:
        return None
    sections = list_sections(http)
    library = str(plan.options.get("library") or app.library or "")
    sec = next((s for s in sections if s.title == library), None)
    locations = sec.locations if sec else tuple(loc for s in sections for loc in s.locations)
    target = rp.TargetLibrary(
        library or "items", sec.type if sec else "", sec.id if sec else 0, locations, rated
    )
    backup = build_backup(app, [target], note=f"before a {plan.job} run")
    path = auto_backup_path(app, plan.job, library)
    write_backup_file(path, backup)
    if ctx is not None:
        ctx.log(f"kept a backup of the {len(backup):,} ratings this run changes: {path}")
    return path


__all__ = [
    "BackupFileError",
    "BackupJob",
    "BackupResult",
    "ClearJob",
    "HomeRestoreJob",
    "MemberRestore",
    "RestoreJob",
    "section_writer",
    "auto_backup_path",
    "backup_before",
    "build_backup",
    "expand_name",
    "home_members",
    "member_app",
    "read_backup_file",
    "read_targets",
    "write_backup_file",
]
